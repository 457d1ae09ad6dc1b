/**
 * `neo4j-ecs run --source <file|s3://…|git+URL#ref:path> [...]`: the production entry point, the
 * controller as an ECS service. Configuration comes from flags and NEO4J_ECS_* environment variables
 * and is validated before anything starts (exit 2 with every problem). SIGTERM or SIGINT stops it
 * gracefully within --stop-timeout: the pass in flight finishes or is abandoned, leases are released,
 * events and metrics are flushed.
 */
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, SETTINGS } from '../../controller/config.js';
import type { RawConfig } from '../../controller/config.js';
import { startController } from '../../controller/wiring.js';
import { packageVersion } from '../version.js';

export const EXIT_CONFIG = 2;
export const EXIT_START_FAILED = 1;

export function runCommand(): Command {
  const cmd = new Command('run').description(
    'run the controller: poll the desired state, reconcile every cluster, report events, metrics and status',
  );
  for (const s of SETTINGS) {
    const flag = s.boolean ? s.flag : `${s.flag} <value>`;
    const help = `${s.help} [env ${s.env}${s.default !== undefined ? `; default ${s.default}` : ''}]`;
    cmd.addOption(new Option(flag, help));
  }
  cmd.action(async (opts: Partial<Record<keyof RawConfig, string | boolean>>) => {
    let config;
    try {
      config = loadConfig(opts, process.env);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      console.error(`neo4j-ecs run: ${e.message}`);
      process.exitCode = EXIT_CONFIG;
      return;
    }
    let running;
    try {
      running = await startController(config, { version: packageVersion() });
    } catch (e) {
      console.error(`neo4j-ecs run: could not start: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = EXIT_START_FAILED;
      return;
    }
    if (running.http)
      console.error(`neo4j-ecs run: serving /healthz /readyz /metrics /status on ${running.http.url}`);
    const keepAlive = setInterval(() => undefined, 1 << 30);
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      console.error(`neo4j-ecs run: ${signal}: stopping within ${config.stopTimeout} ms`);
      const deadline = setTimeout(() => {
        console.error('neo4j-ecs run: stop timeout passed; exiting');
        process.exit(1);
      }, config.stopTimeout + 2000);
      deadline.unref();
      void running
        .stop()
        .then((report) => {
          console.error(
            `neo4j-ecs run: stopped; released ${report.released.length} lease(s)${report.abandoned.length ? `, abandoned passes of ${report.abandoned.join(', ')}` : ''}`,
          );
          process.exitCode = report.timedOut ? 1 : 0;
        })
        .catch((e: unknown) => {
          console.error(`neo4j-ecs run: stop failed: ${e instanceof Error ? e.message : String(e)}`);
          process.exitCode = 1;
        })
        .finally(() => {
          clearInterval(keepAlive);
          // Anything still holding the event loop (a socket the SDK keeps) must not hold the exit.
          setTimeout(() => process.exit(), 1000).unref();
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return cmd;
}
