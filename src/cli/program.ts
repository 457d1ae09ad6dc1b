/** The `neo4j-ecs` command tree. main.ts runs it; tests call `buildProgram()` directly. */
import { Command } from 'commander';
import { approveCommand } from './commands/approve.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { probeCommand } from './commands/probe.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { schemaCommand } from './commands/schema.js';
import { twinCommand } from './commands/twin.js';
import { validateCommand } from './commands/validate.js';
import { packageVersion } from './version.js';

export function buildProgram(): Command {
  const program = new Command('neo4j-ecs')
    .description(
      'Run Neo4j Enterprise clusters on Amazon ECS: a reconciling operator, its AWS twin and tools',
    )
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .enablePositionalOptions();
  program.addCommand(validateCommand());
  program.addCommand(schemaCommand());
  program.addCommand(doctorCommand());
  program.addCommand(runCommand());
  program.addCommand(statusCommand());
  program.addCommand(probeCommand());
  program.addCommand(approveCommand());
  program.addCommand(twinCommand());
  program.addCommand(demoCommand());
  return program;
}
