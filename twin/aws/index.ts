/**
 * The AWS twin's composition root: one clock, seeded randomness, the world log, the compute
 * simulation (EC2, EBS, Auto Scaling, ECS), the data services (S3, CloudWatch, CloudWatch Logs,
 * Secrets Manager), the call log, faults, the control API and optional `--state-dir` persistence,
 * all behind one HTTP endpoint on loopback. Unmodified AWS SDK clients and the AWS CLI reach it by
 * endpoint override only (`AWS_ENDPOINT_URL`). See docs/twin.md.
 */
import { VirtualClock } from '../core/clock.js';
import { LoopbackAllocator } from '../core/loopback.js';
import { Rng } from '../core/rng.js';
import { WorldLog } from '../core/world-log.js';
import { CallLog } from './call-log.js';
import { AwsError, type ServiceModule } from './contract.js';
import { type Control, createControl } from './control.js';
import { FaultControl } from './faults.js';
import { type PersistedState, Persister, STATE_FORMAT, loadState } from './persist.js';
import { uuid } from './protocols/ids.js';
import { startTwinServer } from './server.js';
import {
  type ComputeParams,
  type ComputeSimulation,
  createComputeSimulation,
} from './services/compute/index.js';
import { createCloudWatch } from './services/cloudwatch.js';
import { createLogs } from './services/logs.js';
import { createS3 } from './services/s3.js';
import { createSecretsManager } from './services/secretsmanager.js';
import { type CloudMapParams, createCloudMap } from './services/servicediscovery.js';

export type { CallFilter, CallRecord } from './call-log.js';
export { CallLog } from './call-log.js';
export type { FaultRule, FaultSpec } from './faults.js';
export type { ComputeParams, ComputeSimulation } from './services/compute/index.js';
export type { CloudMapParams } from './services/servicediscovery.js';
export { FaultControl, THROTTLING } from './faults.js';

export interface AwsTwinOptions {
  /** Default 4566; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. The twin only listens on loopback. */
  host?: string;
  /** Seed of every random choice (ids, placement, fault rates). Default 1. */
  seed?: number;
  /** Virtual ms per real ms when the twin makes its own clock. Default 1. */
  timeScale?: number;
  /** Use this clock (e.g. a manual one in tests) instead of making one. */
  clock?: VirtualClock;
  /** Persist state here across restarts. */
  stateDir?: string;
  /** Real ms between periodic state saves with `stateDir`. Default 10 s. */
  saveIntervalMs?: number;
  /** Default us-east-1. */
  region?: string;
  /** Default 000000000000. */
  accountId?: string;
  params?: Partial<ComputeParams>;
  /** Delays of Cloud Map's asynchronous operations. */
  cloudMap?: Partial<CloudMapParams>;
  /** Largest request body, bytes. Default 64 MiB. */
  maxBodyBytes?: number;
  /** Receives unexpected handler failures (default: stderr). */
  onInternalError?: (err: unknown, where: { service: string; operation: string; requestId: string }) => void;
}

export interface TwinSnapshot {
  now: number;
  region: string;
  accountId: string;
  services: Record<string, unknown>;
}

/**
 * The twin's DNS over the Cloud Map records (what a task's VPC resolver answers): `<service>.<namespace>`
 * gives the IPv4 addresses of the healthy registered instances. No TTL, no negative caching.
 */
export interface TwinDns {
  /** A records: `<service>.<namespace>` or `<instance-id>.<service>.<namespace>`. */
  resolve(name: string): string[];
  /** SRV records of `<service>.<namespace>`. */
  resolveSrv(name: string): { target: string; port: number }[];
}

export interface AwsTwin {
  endpoint: string;
  port: number;
  region: string;
  accountId: string;
  clock: VirtualClock;
  rng: Rng;
  world: WorldLog;
  calls: CallLog;
  faults: FaultControl;
  compute: ComputeSimulation;
  /** Name resolution over Cloud Map (the simulated members use it for discovery). */
  dns: TwinDns;
  /** The data and compute service modules the endpoint serves. */
  modules: readonly ServiceModule[];
  /** Resolves a Secrets Manager `valueFrom` (ARN or name) to its current value. */
  resolveSecret(ref: string): string | undefined;
  /** The full JSON world: every service module's snapshot, by service name. */
  snapshot(): TwinSnapshot;
  /** Runs a control operation: a compute world operation (failAz, killTask, …) or a built-in (see docs/twin.md). */
  control(op: string, input?: Record<string, unknown>): Promise<unknown>;
  stop(): Promise<void>;
}

/** Makes the seeded Rng for one concern, so adding calls in one concern does not shift another's draws. */
function derivedRng(seed: number, salt: number): Rng {
  return new Rng((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + salt * 0x27d4eb2d) >>> 0);
}

export async function startAwsTwin(opts: AwsTwinOptions = {}): Promise<AwsTwin> {
  const seed = opts.seed ?? 1;
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '000000000000';
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host))
    throw new Error(`the AWS twin only listens on loopback; ${host} is not a loopback address`);
  const saved = opts.stateDir !== undefined ? loadState(opts.stateDir) : undefined;
  const clock =
    opts.clock ??
    new VirtualClock({ timeScale: opts.timeScale ?? 1, ...(saved ? { start: saved.savedAt } : {}) });
  const rng = new Rng(seed);
  const world = new WorldLog(() => clock.now());
  // A base per process, so twins in concurrent test processes do not collide on 127.x.y.z:7687;
  // within a run the addresses still follow from the seed and the order of tasks.
  const loopback = new LoopbackAllocator(((process.pid % 230) + 16) * 65536 + 256 + 1);

  const dataRng = derivedRng(seed, 1);
  const secrets = createSecretsManager({ rng: dataRng, clock, region, accountId });
  const s3 = createS3({ rng: dataRng, clock, region });
  const cloudwatch = createCloudWatch({ clock, world });
  const logs = createLogs();
  // Cloud Map checks VPCs in EC2, which is created after it (ECS needs Cloud Map's registry port).
  const late: { compute?: ComputeSimulation } = {};
  const cloudMap = createCloudMap({
    clock,
    rng: derivedRng(seed, 4),
    world,
    region,
    accountId,
    vpcExists: (vpcId) => late.compute?.vpcExists(vpcId) ?? false,
    ...(opts.cloudMap ? { params: opts.cloudMap } : {}),
  });
  const dataModules: ServiceModule[] = [s3, cloudwatch, logs, secrets, cloudMap];
  const compute = createComputeSimulation({
    clock,
    rng,
    world,
    loopback,
    region,
    accountId,
    resolveSecret: (arn) => secrets.resolveSecret(arn),
    serviceDiscovery: cloudMap.registry,
    ...(opts.params ? { params: opts.params } : {}),
  });
  late.compute = compute;
  const dns: TwinDns = {
    resolve: (name) => cloudMap.resolve(name),
    resolveSrv: (name) => cloudMap.resolveSrv(name),
  };
  const modules: ServiceModule[] = [...compute.modules, ...dataModules];

  /** Stops the simulations' timers (also when start-up fails half-way). */
  const halt = () => {
    cloudwatch.stop();
    cloudMap.stop();
    compute.stop();
    if (!opts.clock) clock.stop();
  };

  if (saved) {
    try {
      restoreState(saved, dataModules, compute);
    } catch (e) {
      halt();
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(`cannot restore the twin state from ${opts.stateDir ?? ''}: ${why}`, { cause: e });
    }
  }

  const calls = new CallLog();
  const faults = new FaultControl(derivedRng(seed, 2));
  const requestRng = derivedRng(seed, 3);

  /** The world as JSON: every served module's snapshot, by service. */
  const snapshot = () => {
    const services: Record<string, unknown> = {};
    for (const m of modules) services[m.service] = m.snapshot();
    return { now: clock.now(), region, accountId, services };
  };
  const collect = (): PersistedState => {
    const services: Record<string, unknown> = {};
    for (const m of dataModules) services[m.service] = m.snapshot();
    return {
      format: STATE_FORMAT,
      version: 1,
      savedAt: clock.now(),
      region,
      accountId,
      services,
      compute: compute.snapshot(),
    };
  };

  let endpoint = '';
  let port = 0;
  const control: Control = createControl({
    clock,
    world,
    calls,
    faults,
    info: () => ({
      status: 'ok',
      endpoint,
      region,
      accountId,
      seed,
      now: clock.now(),
      clockMode: clock.mode,
      timeScale: clock.timeScale,
    }),
    snapshot,
    worldOps: {
      ...compute.control,
      resolveDns: (input) => {
        const name = typeof input['name'] === 'string' ? input['name'] : '';
        if (name === '') throw new AwsError('InvalidParameter', 'resolveDns needs {name}');
        return { name, addresses: dns.resolve(name), srv: dns.resolveSrv(name) };
      },
    },
    context: () => ({ requestId: uuid(requestRng), region, accountId, now: clock.now() }),
  });

  let server: Awaited<ReturnType<typeof startTwinServer>>;
  try {
    server = await startTwinServer({
      host,
      port: opts.port ?? 4566,
      clock,
      region,
      accountId,
      modules,
      calls,
      faults,
      requestId: () => uuid(requestRng),
      control: (req, url, body, res) => control.handleHttp(req, url, body, res),
      ...(opts.maxBodyBytes !== undefined ? { maxBodyBytes: opts.maxBodyBytes } : {}),
      ...(opts.onInternalError ? { onInternalError: opts.onInternalError } : {}),
    });
  } catch (e) {
    halt();
    throw e;
  }
  endpoint = server.endpoint;
  port = server.port;

  const persister = opts.stateDir !== undefined ? new Persister(opts.stateDir, collect) : undefined;
  persister?.start(opts.saveIntervalMs ?? 10_000);

  let stopped = false;
  return {
    endpoint,
    port,
    region,
    accountId,
    clock,
    rng,
    world,
    calls,
    faults,
    compute,
    dns,
    modules,
    resolveSecret: (ref) => secrets.resolveSecret(ref),
    snapshot,
    control: (op, input) => control.run(op, input),
    async stop() {
      if (stopped) return;
      stopped = true;
      persister?.stop();
      try {
        await server.close();
        persister?.saveNow();
      } finally {
        halt();
      }
    },
  };
}

function restoreState(
  saved: PersistedState,
  dataModules: readonly ServiceModule[],
  compute: ComputeSimulation,
): void {
  for (const m of dataModules) {
    const state = saved.services[m.service];
    if (state !== undefined) m.restore?.(state);
  }
  if (saved.compute !== undefined) compute.restore(saved.compute);
}

function isLoopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host === 'localhost';
}

/** What an AWS SDK v3 client needs to reach the twin (path-style S3 included). */
export interface TwinClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: true;
}

export function twinClientConfig(twin: Pick<AwsTwin, 'endpoint' | 'region'>): TwinClientConfig {
  return {
    endpoint: twin.endpoint,
    region: twin.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
  };
}

/** The environment that points unmodified SDK clients and the AWS CLI at the twin. */
export function twinEnv(twin: Pick<AwsTwin, 'endpoint' | 'region'>): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: twin.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: twin.region,
    AWS_DEFAULT_REGION: twin.region,
  };
}
