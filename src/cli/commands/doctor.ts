/** `neo4j-ecs doctor`: loads every runtime dependency and reports the runtime, so a broken install or image fails loudly. */
import { Command } from 'commander';
import { loadRuntimeDependencies, RUNTIME_DEPENDENCIES } from '../../deps.js';

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check that the runtime and every runtime dependency load')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const loaded = await loadRuntimeDependencies();
      const result = {
        node: process.version,
        dependencies: Object.fromEntries(
          RUNTIME_DEPENDENCIES.map((d) => [d, loaded[d].length > 0 ? 'ok' : 'empty']),
        ),
      };
      if (opts.json) console.log(JSON.stringify(result, null, 2));
      else {
        console.log(`node ${result.node}`);
        for (const [d, s] of Object.entries(result.dependencies)) console.log(`${s} ${d}`);
      }
      if (Object.values(result.dependencies).some((s) => s !== 'ok')) process.exitCode = 1;
    });
}
