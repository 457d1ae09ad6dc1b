/**
 * `neo4j-ecs twin neo4j --primaries 3 --secondaries 2 --databases movies,social --password P
 * [--seed N] [--time-scale X]`: starts a standalone simulated Neo4j cluster in the foreground and
 * prints each member on its own line as `<member> <primary|secondary> bolt://<host>:<port>`; it stops
 * on SIGINT or SIGTERM. (A subcommand of `twin`; only src/cli may start the twin.)
 */
import { Command } from 'commander';
import { positiveArg, untilSignal, wholeNumber } from './args.js';
import { VirtualClock } from '../../../twin/core/clock.js';
import { startCluster } from '../../../twin/neo4j/index.js';
import type { SimCluster } from '../../../twin/neo4j/index.js';
import { processIo } from './cli-io.js';
import type { CliIo } from './cli-io.js';

export interface TwinNeo4jDeps {
  io?: CliIo;
  /** Resolves when the cluster should stop. Default: the first SIGINT or SIGTERM. */
  until?: (cluster: SimCluster) => Promise<void>;
  env?: NodeJS.ProcessEnv;
}

interface Flags {
  primaries: number;
  secondaries: number;
  databases: string[];
  user: string;
  password?: string;
  seed?: number;
  timeScale: number;
  electionTimeout: number;
  neo4jVersion: string;
  host?: string;
  port?: number;
}

function list(v: string): string[] {
  return v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

export function twinNeo4jCommand(deps: TwinNeo4jDeps = {}): Command {
  const io = deps.io ?? processIo;
  return new Command('neo4j')
    .description('run a standalone simulated Neo4j cluster (Bolt on loopback addresses) until interrupted')
    .option('--primaries <n>', 'number of primaries', wholeNumber(1, 64), 3)
    .option('--secondaries <n>', 'number of secondaries', wholeNumber(0, 64), 0)
    .option('--databases <names>', 'user databases besides neo4j, comma-separated', list, [])
    .option('--user <user>', 'Neo4j user', 'neo4j')
    .option('--password <password>', 'Neo4j password (or set NEO4J_PASSWORD)')
    .option('--seed <n>', 'seed of the simulation', wholeNumber(0, 2 ** 31 - 1))
    .option('--time-scale <x>', 'virtual ms per real ms', positiveArg, 1)
    .option(
      '--election-timeout <ms>',
      'virtual ms from losing a leader to the next election',
      wholeNumber(0, 3_600_000),
      20_000,
    )
    .option('--neo4j-version <v>', 'Neo4j version the members report', '5.26.0')
    .option('--host <address>', 'listen on this address (default: one loopback address per member)')
    .option('--port <port>', 'Bolt port (default 7687 per member address; 0 = random)', wholeNumber(0, 65535))
    .action(async (flags: Flags) => {
      const env = deps.env ?? process.env;
      const password = flags.password ?? env.NEO4J_PASSWORD;
      if (!password) {
        io.err('error: give --password (or set NEO4J_PASSWORD)');
        io.setExitCode(2);
        return;
      }
      const clock = new VirtualClock({ timeScale: flags.timeScale });
      let cluster: SimCluster;
      try {
        cluster = await startCluster({
          primaries: flags.primaries,
          secondaries: flags.secondaries,
          databases: flags.databases,
          user: flags.user,
          password,
          version: flags.neo4jVersion,
          clock,
          electionTimeoutMs: flags.electionTimeout,
          ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
          ...(flags.host !== undefined ? { host: flags.host } : {}),
          ...(flags.port !== undefined ? { port: flags.port } : {}),
        });
      } catch (e) {
        clock.stop();
        io.err(`error: cannot start the simulated cluster: ${e instanceof Error ? e.message : String(e)}`);
        io.setExitCode(2);
        return;
      }
      for (const m of cluster.members) io.out(`${m.name} ${m.mode} ${m.boltUrl}`);
      try {
        await (deps.until ?? untilSignal)(cluster);
      } finally {
        await cluster.stop();
        clock.stop();
      }
    });
}
