/**
 * `neo4j-ecs probe bolt://HOST:PORT [more members...] [--user U] [--password P | --secret-arn ARN]
 * [--json] [--timeout MS]`: connects to each member directly and prints the ClusterView (the leader of
 * each database, each member's role, health and version, the health gate), as a table or as JSON.
 * Works against any Neo4j 5.x / 2025.x or 4.4 cluster, real or simulated.
 *
 * Exit code: 0 healthy; 1 probed but not healthy; 2 nothing usable could be read (bad input, wrong
 * password, Community edition, no member reachable).
 */
import { Command, InvalidArgumentError } from 'commander';
import { AwsSecretReader } from '../../aws/secrets.js';
import { ProbeError, credentialsFromSecret, probeCluster } from '../../neo4j/index.js';
import type { ClusterView, Credentials, SecretReader } from '../../neo4j/index.js';
import { processIo } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { renderClusterView } from './probe-output.js';

export interface ProbeCommandDeps {
  io?: CliIo;
  /** Reads --secret-arn; default Secrets Manager from the standard AWS configuration. */
  secrets?: () => SecretReader;
  env?: NodeJS.ProcessEnv;
}

interface ProbeFlags {
  user?: string;
  password?: string;
  secretArn?: string;
  json?: boolean;
  timeout: number;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError('must be a positive whole number of milliseconds');
  return n;
}

/** 2 when nothing usable was read, 1 when not healthy, 0 when healthy. */
export function probeExitCode(v: ClusterView): number {
  const fatal = v.problems.some(
    (p) => p.kind === 'auth' || p.kind === 'community-edition' || p.kind === 'unsupported-version',
  );
  if (fatal || v.dialect === null) return 2;
  return v.healthy ? 0 : 1;
}

export function probeCommand(deps: ProbeCommandDeps = {}): Command {
  const io = deps.io ?? processIo;
  return new Command('probe')
    .description(
      'probe a Neo4j cluster over Bolt: leaders, roles, health, versions and the rolling-upgrade health gate',
    )
    .argument('<urls...>', 'bolt:// (or bolt+s://) URL of one or more members')
    .option('--user <user>', 'Neo4j user (default neo4j, or the secret’s username)')
    .option('--password <password>', 'Neo4j password (or set NEO4J_PASSWORD)')
    .option('--secret-arn <arn>', 'Secrets Manager secret holding {"username","password"} or "user/password"')
    .option('--json', 'print the ClusterView as JSON')
    .option('--timeout <ms>', 'bound on every call to a member', positiveInt, 5000)
    .action(async (urls: string[], flags: ProbeFlags) => {
      const env = deps.env ?? process.env;
      try {
        if (flags.password !== undefined && flags.secretArn !== undefined) {
          throw new ProbeError('query', 'give either --password or --secret-arn, not both');
        }
        let creds: Credentials;
        if (flags.secretArn !== undefined) {
          const reader = deps.secrets ? deps.secrets() : new AwsSecretReader();
          const fromSecret = await credentialsFromSecret(reader, flags.secretArn);
          creds = { user: flags.user ?? fromSecret.user, password: fromSecret.password };
        } else {
          const password = flags.password ?? env.NEO4J_PASSWORD;
          if (password === undefined || password === '') {
            throw new ProbeError(
              'query',
              'no password: give --password, --secret-arn, or set NEO4J_PASSWORD',
            );
          }
          creds = { user: flags.user ?? 'neo4j', password };
        }
        const view = await probeCluster(urls, creds, { timeoutMs: flags.timeout });
        if (flags.json) io.out(JSON.stringify(view, null, 2));
        else for (const line of renderClusterView(view)) io.out(line);
        const code = probeExitCode(view);
        if (code === 2 && !flags.json) {
          for (const p of view.problems) io.err(`error: ${p.message}`);
        }
        io.setExitCode(code);
      } catch (e) {
        io.err(`error: ${e instanceof Error ? e.message : String(e)}`);
        io.setExitCode(2);
      }
    });
}
