/**
 * Configuration of `neo4j-ecs run`, from flags and environment variables (12-factor; a flag wins over
 * its variable), validated with zod before anything starts. Every problem is reported at once, naming
 * the flag and the variable.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseS3Url } from '../aws/object-store.js';
import { parseDuration } from '../model/quantities.js';
import { defaultHolderId } from './lease.js';
import { sourceKind } from './sources/index.js';

/** One setting: its flag, its environment variable, its help. */
export interface Setting {
  key: keyof RawConfig;
  flag: string;
  env: string;
  help: string;
  /** Shown in help; the schema holds the real default. */
  default?: string;
  boolean?: boolean;
}

export interface RawConfig {
  source?: string;
  interval?: string;
  resync?: string;
  leaseTtl?: string;
  holderId?: string;
  httpHost?: string;
  httpPort?: string;
  statusBucket?: string;
  namespace?: string;
  logGroup?: string;
  logStream?: string;
  stopTimeout?: string;
  concurrency?: string;
  passTimeout?: string;
  flushInterval?: string;
  gitCacheDir?: string;
  cloudwatch?: string;
  debugEvents?: string;
}

export const SETTINGS: readonly Setting[] = [
  {
    key: 'source',
    flag: '--source',
    env: 'NEO4J_ECS_SOURCE',
    help: 'desired state: a file or directory, s3://bucket/key (or prefix/), or git+<url>#<ref>:<path>',
  },
  {
    key: 'interval',
    flag: '--interval',
    env: 'NEO4J_ECS_INTERVAL',
    help: 'source poll interval',
    default: '15s for S3, 60s for git, 5s for files',
  },
  {
    key: 'resync',
    flag: '--resync',
    env: 'NEO4J_ECS_RESYNC',
    help: 'reconcile every cluster this often even without changes (drift detection)',
    default: '60s',
  },
  {
    key: 'leaseTtl',
    flag: '--lease-ttl',
    env: 'NEO4J_ECS_LEASE_TTL',
    help: 'lease time-to-live; another controller takes over a cluster this long after its holder stops renewing',
    default: '30s',
  },
  {
    key: 'holderId',
    flag: '--holder-id',
    env: 'NEO4J_ECS_HOLDER_ID',
    help: "this controller's identity in leases, events and status",
    default: '<hostname>-<pid>-<random>',
  },
  {
    key: 'httpHost',
    flag: '--http-host',
    env: 'NEO4J_ECS_HTTP_HOST',
    help: 'address of the HTTP endpoint',
    default: '0.0.0.0',
  },
  {
    key: 'httpPort',
    flag: '--http-port',
    env: 'NEO4J_ECS_HTTP_PORT',
    help: 'port of /healthz, /readyz, /metrics and /status (0: any free port; "off": none)',
    default: '8080',
  },
  {
    key: 'statusBucket',
    flag: '--status-bucket',
    env: 'NEO4J_ECS_STATUS_BUCKET',
    help: 's3://bucket/prefix/ for status and leases',
    default: 'beside the spec for s3:// sources; none otherwise (one controller only)',
  },
  {
    key: 'namespace',
    flag: '--namespace',
    env: 'NEO4J_ECS_NAMESPACE',
    help: "CloudWatch metrics namespace (a cluster's spec.observability.namespace wins for its own metrics)",
    default: 'Neo4jEcs',
  },
  {
    key: 'logGroup',
    flag: '--log-group',
    env: 'NEO4J_ECS_LOG_GROUP',
    help: 'CloudWatch Logs group for events',
    default: '/neo4j-ecs/controller',
  },
  {
    key: 'logStream',
    flag: '--log-stream',
    env: 'NEO4J_ECS_LOG_STREAM',
    help: 'CloudWatch Logs stream for events',
    default: 'the holder id',
  },
  {
    key: 'stopTimeout',
    flag: '--stop-timeout',
    env: 'NEO4J_ECS_STOP_TIMEOUT',
    help: 'on SIGTERM, finish or abandon the pass in flight, release leases and flush within this long',
    default: '25s',
  },
  {
    key: 'concurrency',
    flag: '--concurrency',
    env: 'NEO4J_ECS_CONCURRENCY',
    help: 'clusters reconciled at the same time',
    default: '4',
  },
  {
    key: 'passTimeout',
    flag: '--pass-timeout',
    env: 'NEO4J_ECS_PASS_TIMEOUT',
    help: 'a pass is aborted after this long',
    default: '5m',
  },
  {
    key: 'flushInterval',
    flag: '--flush-interval',
    env: 'NEO4J_ECS_FLUSH_INTERVAL',
    help: 'how often events and metrics are sent to CloudWatch',
    default: '5s',
  },
  {
    key: 'gitCacheDir',
    flag: '--git-cache-dir',
    env: 'NEO4J_ECS_GIT_CACHE_DIR',
    help: 'where git sources are fetched',
    default: '<tmpdir>/neo4j-ecs-git',
  },
  {
    key: 'cloudwatch',
    flag: '--cloudwatch',
    env: 'NEO4J_ECS_CLOUDWATCH',
    help: 'send events and metrics to CloudWatch (true/false)',
    default: 'true',
  },
  {
    key: 'debugEvents',
    flag: '--debug-events',
    env: 'NEO4J_ECS_DEBUG_EVENTS',
    help: 'emit a PassSummary event after every pass, with its AWS calls',
    default: 'false',
    boolean: true,
  },
];

const duration = (min: number, max: number) =>
  z.string().transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration such as "500ms", "15s" or "1m30s", found "${s}"`,
      });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `expected between ${min} ms and ${max} ms, found "${s}"` });
      return z.NEVER;
    }
    return ms;
  });

const bool = z.string().transform((s, ctx) => {
  if (/^(true|1|yes|on)$/i.test(s)) return true;
  if (/^(false|0|no|off)$/i.test(s)) return false;
  ctx.addIssue({ code: 'custom', message: `expected true or false, found "${s}"` });
  return z.NEVER;
});

const int = (min: number, max: number) =>
  z.string().transform((s, ctx) => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a whole number from ${min} to ${max}, found "${s}"`,
      });
      return z.NEVER;
    }
    return n;
  });

const source = z.string().superRefine((s, ctx) => {
  try {
    const kind = sourceKind(s);
    if (kind === 's3') parseS3Url(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

const statusBucket = z.string().transform((s, ctx) => {
  try {
    const { bucket, key } = parseS3Url(s);
    return { bucket, folder: key === '' || key.endsWith('/') ? key : `${key}/` };
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export const ConfigSchema = z.object({
  source: source,
  interval: duration(100, 24 * 3600_000).optional(),
  resync: duration(100, 24 * 3600_000).default(60_000),
  leaseTtl: duration(1000, 3600_000).default(30_000),
  holderId: z
    .string()
    .regex(/^[\w.:@/-]{1,200}$/, 'expected 1-200 letters, digits or "_.:@/-"')
    .optional(),
  httpHost: z.string().min(1).default('0.0.0.0'),
  httpPort: z
    .string()
    .default('8080')
    .transform((s, ctx) => {
      if (s === 'off') return undefined;
      const n = Number(s);
      if (!/^\d+$/.test(s) || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `expected a port 0-65535 or "off", found "${s}"` });
        return z.NEVER;
      }
      return n;
    }),
  statusBucket: statusBucket.optional(),
  namespace: z
    .string()
    .regex(
      /^[^:][\w .#/:-]{0,254}$/,
      'expected a CloudWatch namespace (letters, digits, " .#/:-_", not starting with ":")',
    )
    .default('Neo4jEcs'),
  logGroup: z
    .string()
    .regex(/^[\w/.#-]{1,512}$/, 'expected a CloudWatch Logs group name')
    .default('/neo4j-ecs/controller'),
  logStream: z
    .string()
    .regex(/^[^:*]{1,512}$/, 'expected a CloudWatch Logs stream name (no ":" or "*")')
    .optional(),
  stopTimeout: duration(100, 3600_000).default(25_000),
  concurrency: int(1, 64).default(4),
  passTimeout: duration(1000, 3600_000).default(300_000),
  flushInterval: duration(100, 3600_000).default(5000),
  gitCacheDir: z.string().min(1).default(join(tmpdir(), 'neo4j-ecs-git')),
  cloudwatch: bool.default(true),
  debugEvents: bool.default(false),
});

export type RunConfig = z.output<typeof ConfigSchema> & { holderId: string; logStream: string };

/**
 * Merges flags (already strings) over environment variables and validates. Throws an Error whose
 * message lists every problem, one per line, with the flag and the variable.
 */
export function loadConfig(
  flags: Partial<Record<keyof RawConfig, string | boolean>>,
  env: NodeJS.ProcessEnv,
): RunConfig {
  const raw: Record<string, string> = {};
  for (const s of SETTINGS) {
    const f = flags[s.key];
    const v = f === undefined ? env[s.env] : typeof f === 'boolean' ? String(f) : f;
    if (v !== undefined && v !== '') raw[s.key] = v;
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const s = SETTINGS.find((x) => x.key === i.path[0]);
      const where = s ? `${s.flag} (${s.env})` : String(i.path[0] ?? 'config');
      const msg =
        i.code === 'invalid_type' && raw[String(i.path[0])] === undefined ? 'is required' : i.message;
      return `  ${where}: ${msg}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const holderId = parsed.data.holderId ?? defaultHolderId();
  return { ...parsed.data, holderId, logStream: parsed.data.logStream ?? holderId.replace(/[:*]/g, '-') };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
