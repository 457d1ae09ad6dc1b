/**
 * `neo4j-ecs twin [--port N] [--host A] [--seed N] [--time-scale X] [--state-dir DIR]`: starts the AWS
 * twin (one loopback endpoint for ECS, Auto Scaling, EC2/EBS, CloudWatch, CloudWatch Logs, S3 and
 * Secrets Manager), with simulated Neo4j members running inside its ECS tasks, in the foreground, prints the endpoint and the environment to export, and stops
 * cleanly on SIGINT or SIGTERM (saving state first with --state-dir). `neo4j-ecs twin neo4j …` runs a
 * standalone simulated Neo4j cluster instead (twin-neo4j.ts). See docs/twin.md.
 */
import { Command } from 'commander';
import { portArg, positiveArg, seedArg, startFailure, untilSignal } from './args.js';
import { type AwsTwin, twinEnv } from '../../../twin/aws/index.js';
import { startTwin } from '../../../twin/index.js';
import { type CliIo, processIo } from './cli-io.js';
import { twinNeo4jCommand } from './twin-neo4j.js';

export interface TwinDeps {
  io?: CliIo;
  /** Resolves when the twin should stop. Default: the first SIGINT or SIGTERM. */
  until?: (twin: AwsTwin) => Promise<void>;
}

interface Flags {
  port: number;
  host: string;
  seed: number;
  timeScale: number;
  stateDir?: string;
}

/** The lines `neo4j-ecs twin` prints once the endpoint is up. */
export function twinBanner(
  twin: AwsTwin,
  flags: { seed: number; timeScale: number; stateDir?: string },
): string[] {
  const lines = [
    `AWS twin listening on ${twin.endpoint} (region ${twin.region}, account ${twin.accountId}, seed ${flags.seed}, time scale ${flags.timeScale})`,
    `Control API: ${twin.endpoint}/_twin/health (see docs/twin.md)`,
    flags.stateDir !== undefined
      ? `State is saved in ${flags.stateDir}`
      : 'State lives in memory (use --state-dir to keep it across restarts)',
    'Point the AWS SDKs and the AWS CLI at it:',
  ];
  for (const [k, v] of Object.entries(twinEnv(twin))) lines.push(`export ${k}=${v}`);
  lines.push('Press Ctrl-C to stop.');
  return lines;
}

export function twinCommand(deps: TwinDeps = {}): Command {
  const io = deps.io ?? processIo;
  return new Command('twin')
    .description(
      'run the local AWS twin (ECS, Auto Scaling, EC2/EBS, CloudWatch, Logs, S3, Secrets Manager) until interrupted',
    )
    .enablePositionalOptions()
    .option('--port <port>', 'port to listen on (0 = any free port)', portArg, 4566)
    .option('--host <address>', 'loopback address to listen on', '127.0.0.1')
    .option('--seed <n>', 'seed of every random choice in the simulation', seedArg, 1)
    .option(
      '--time-scale <x>',
      'virtual ms per real ms (e.g. 10 runs delays ten times faster)',
      positiveArg,
      1,
    )
    .option('--state-dir <dir>', 'keep the twin state in this directory across restarts')
    .addCommand(twinNeo4jCommand({ io }))
    .action(async (flags: Flags) => {
      let twin: AwsTwin;
      try {
        twin = await startTwin({
          port: flags.port,
          host: flags.host,
          seed: flags.seed,
          timeScale: flags.timeScale,
          ...(flags.stateDir !== undefined ? { stateDir: flags.stateDir } : {}),
        });
      } catch (e) {
        const why = startFailure(e, flags.port);
        io.err(`error: cannot start the AWS twin: ${why}`);
        io.setExitCode(2);
        return;
      }
      for (const line of twinBanner(twin, flags)) io.out(line);
      try {
        await (deps.until ?? untilSignal)(twin);
      } finally {
        await twin.stop();
        io.out('AWS twin stopped.');
      }
    });
}
