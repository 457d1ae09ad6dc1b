/**
 * `neo4j-ecs demo [--port N] [--time-scale X] [--spec FILE] [--seed N] [--watch-file FILE]
 * [--exit-after DURATION]`: starts the twin, points the standard AWS configuration of this process at
 * it (AWS_ENDPOINT_URL and friends, exactly what `neo4j-ecs twin` tells a user to export), and runs the
 * demo of src/demo: bootstrap, spec in S3, the controller in-process on the twin's clock, a live view.
 * SIGINT or SIGTERM stops the controller and the twin cleanly (exit 0). See docs/demo.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { portArg, positiveArg, seedArg, startFailure } from './args.js';
import { twinEnv } from '../../../twin/aws/index.js';
import type { Twin } from '../../../twin/index.js';
import { startTwin } from '../../../twin/index.js';
import { clockFrom } from '../../demo/clock.js';
import type { RunningDemo } from '../../demo/run.js';
import { startDemo } from '../../demo/run.js';
import { LiveScreen } from '../../demo/screen.js';
import { demoCluster } from '../../demo/spec.js';
import { parseDuration } from '../../model/quantities.js';
import { packageVersion } from '../version.js';

/** Default time scale: a 3-primary cluster comes up within a minute of wall time (docs/demo.md). */
export const DEMO_TIME_SCALE = 20;

interface Flags {
  port: number;
  timeScale: number;
  seed: number;
  spec?: string;
  watchFile?: string;
  exitAfter?: number;
}

function wallDuration(v: string): number {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('must be a duration such as "10s" or "2m"');
  return ms;
}

/** examples/minimal.yaml of this package, found upwards from this module (src/ or dist/src/). */
export function defaultSpecPath(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'examples', 'minimal.yaml');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return resolve('examples/minimal.yaml');
}

/** Points this process's standard AWS configuration at `endpoint`, and only there. */
function pointAwsAt(env: Record<string, string>): void {
  for (const k of Object.keys(process.env))
    if (
      k.startsWith('AWS_ENDPOINT_URL_') ||
      k === 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS' ||
      k === 'AWS_PROFILE'
    )
      delete process.env[k];
  Object.assign(process.env, env);
}

function untilStop(exitAfterMs: number | undefined): Promise<string> {
  return new Promise((done) => {
    const finish = (why: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (timer) clearTimeout(timer);
      done(why);
    };
    const onInt = (): void => finish('SIGINT');
    const onTerm = (): void => finish('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    const timer =
      exitAfterMs !== undefined ? setTimeout(() => finish('--exit-after'), exitAfterMs) : undefined;
  });
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'start the twin, create the infrastructure for a cluster, put its spec in S3 and run the controller, showing the cluster come up',
    )
    .option('--port <port>', 'port of the twin (0 = any free port)', portArg, 4566)
    .option(
      '--time-scale <x>',
      'virtual ms per real ms for the twin and the controller',
      positiveArg,
      DEMO_TIME_SCALE,
    )
    .option('--spec <file>', 'the Neo4jCluster document to run (default: examples/minimal.yaml)')
    .option('--seed <n>', 'seed of every random choice in the twin', seedArg, 1)
    .option(
      '--watch-file <file>',
      'local copy of the spec, uploaded to S3 whenever it changes (default: in the temp dir)',
    )
    .option(
      '--exit-after <duration>',
      'stop by itself after this much wall time (scripted runs)',
      wallDuration,
    )
    .action(async (flags: Flags) => {
      const specPath = flags.spec ?? defaultSpecPath();
      let specText: string;
      try {
        specText = readFileSync(specPath, 'utf8');
        demoCluster(specText, specPath);
      } catch (e) {
        console.error(`neo4j-ecs demo: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 2;
        return;
      }
      let twin: Twin;
      try {
        twin = await startTwin({ port: flags.port, seed: flags.seed, timeScale: flags.timeScale });
      } catch (e) {
        const why = startFailure(e, flags.port);
        console.error(`neo4j-ecs demo: cannot start the twin: ${why}`);
        process.exitCode = 1;
        return;
      }
      pointAwsAt(twinEnv(twin));
      const screen = new LiveScreen(process.stdout);
      screen.print(`endpoint: ${twin.endpoint}`);
      screen.print(
        `twin: region ${twin.region}, seed ${flags.seed}, time scale ${flags.timeScale} (virtual time runs ${flags.timeScale}x faster than the wall clock)`,
      );
      let demo: RunningDemo | undefined;
      let exitCode = 0;
      // Listening from here on, so a signal during the bootstrap also stops cleanly once it is done.
      const stop = untilStop(flags.exitAfter);
      try {
        demo = await startDemo({
          endpoint: twin.endpoint,
          specText,
          specSource: specPath,
          clock: clockFrom(twin.clock),
          screen,
          version: packageVersion(),
          ...(flags.watchFile !== undefined ? { watchFile: flags.watchFile } : {}),
        });
        const why = await stop;
        screen.print(`${why}: stopping the controller and the twin`);
      } catch (e) {
        screen.print(`neo4j-ecs demo: ${e instanceof Error ? e.message : String(e)}`);
        exitCode = 1;
      }
      const watchdog = setTimeout(() => {
        console.error('neo4j-ecs demo: stopping took too long; exiting');
        process.exit(1);
      }, 20_000);
      watchdog.unref();
      try {
        await demo?.stop();
      } finally {
        await twin.stop();
      }
      screen.print('demo stopped.');
      process.exitCode = exitCode;
      // Sockets the SDK keeps alive must not hold the exit.
      setTimeout(() => process.exit(), 1000).unref();
    });
}
