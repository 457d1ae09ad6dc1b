/**
 * Simulated Neo4j clusters: the public entry points.
 *
 * - {@link startCluster} runs a standalone cluster for tests and the CLI (`neo4j-ecs twin neo4j`):
 *   every member listens for Bolt on its own loopback address (or a given host) and shares one
 *   cluster model; stop/start members, swap in empty volumes or other versions, and watch leaders.
 * - {@link createEcsNeo4jRuntime} (ecs-runtime.ts) runs members inside the AWS twin's ECS tasks.
 * - {@link startWorkload} (workload.ts) writes through a `neo4j://` routing driver and records
 *   write availability.
 *
 * See docs/twin/neo4j.md for what is modelled and what is not.
 */
import { randomInt } from 'node:crypto';
import { VirtualClock } from '../core/clock.js';
import { LoopbackAllocator } from '../core/loopback.js';
import { Rng } from '../core/rng.js';
import { WorldLog } from '../core/world-log.js';
import { ClusterModel } from './cluster.js';
import type { ClusterParams, Mode } from './cluster.js';
import { SimMember } from './member.js';

export { MemberRefusedError, SimMember } from './member.js';
export { ClusterModel } from './cluster.js';
export type { ClusterParams } from './cluster.js';
export { createEcsNeo4jRuntime } from './ecs-runtime.js';
export type { EcsNeo4jRuntime, EcsNeo4jRuntimeOptions } from './ecs-runtime.js';
export { startWorkload } from './workload.js';
export type { Workload, WorkloadOptions, WorkloadReport } from './workload.js';

export interface StartClusterOptions {
  primaries: number;
  secondaries?: number;
  /** User databases besides `system` and `neo4j`; hosted on every member (primaries as primaries). */
  databases?: string[];
  /** Default `neo4j`. */
  user?: string;
  /** Default `password`. */
  password?: string;
  /** Default `5.26.0`. */
  version?: string;
  /** Default `enterprise`. Community runs one member only, as Community cannot cluster. */
  edition?: 'enterprise' | 'community';
  /** Default: a scaled clock at time scale 1. The caller owns a clock it passes in. */
  clock?: VirtualClock;
  seed?: number;
  /** Virtual ms from losing a leader to the next election (the failure-detection delay). Default 20000. */
  electionTimeoutMs?: number;
  /** Virtual ms to move a leadership away from a read-only copy. Default 1000. */
  leaderTransferMs?: number;
  /** Virtual ms a copy takes to start on a restarted member. Default 1000. */
  startDelayMs?: number;
  /** Extra virtual ms per missed transaction while a restarted copy catches up. Default 5. */
  catchUpPerTxMs?: number;
  /** Virtual ms of a store copy. Default 3000. */
  storeCopyMs?: number;
  /** Default: a LoopbackAllocator address per member. */
  host?: string;
  /** Default 7687 on each member's own address; 0 = a random free port. */
  port?: number;
}

export interface SimMemberInfo {
  name: string;
  mode: 'primary' | 'secondary';
  boltUrl: string;
  host: string;
  port: number;
  serverId: string;
}

export interface StartMemberOptions {
  /** Start on a new, empty volume (the old one is detached): the member comes up with no store. */
  emptyVolume?: boolean;
  /** Start with another Neo4j version (a rolling upgrade step). */
  version?: string;
}

export interface SimCluster {
  readonly members: SimMemberInfo[];
  member(name: string): SimMember;
  stopMember(name: string): Promise<void>;
  startMember(name: string, opts?: StartMemberOptions): Promise<void>;
  stop(): Promise<void>;
  /** Current leader (member name) of each database, null while it has none. */
  leaders(): Record<string, string | null>;
  /** Polls `predicate` every 10 real ms until it holds; rejects after `timeoutMs` real ms. */
  waitUntil(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  readonly log: WorldLog;
  readonly model: ClusterModel;
  readonly clock: VirtualClock;
  readonly user: string;
  readonly password: string;
}

const DB_NAME = /^[A-Za-z][A-Za-z0-9.-]{2,62}$/;

function validate(opts: StartClusterOptions): void {
  const count = (v: unknown, what: string, min: number): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 64) {
      throw new RangeError(`${what} must be an integer from ${min} to 64, got ${String(v)}`);
    }
  };
  count(opts.primaries, 'primaries', 1);
  if (opts.secondaries !== undefined) count(opts.secondaries, 'secondaries', 0);
  for (const d of opts.databases ?? []) {
    if (!DB_NAME.test(d) || d.toLowerCase() === 'system') {
      throw new RangeError(
        `invalid database name '${d}': use 3 to 63 letters, digits, dots and dashes, starting with a letter`,
      );
    }
  }
  if (opts.edition === 'community' && (opts.primaries !== 1 || (opts.secondaries ?? 0) > 0)) {
    throw new RangeError('Community edition cannot form a cluster: use 1 primary and no secondaries');
  }
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) {
    throw new RangeError(`port must be 0..65535, got ${String(opts.port)}`);
  }
  for (const k of [
    'electionTimeoutMs',
    'leaderTransferMs',
    'startDelayMs',
    'catchUpPerTxMs',
    'storeCopyMs',
  ] as const) {
    const v = opts[k];
    if (v !== undefined && (!Number.isFinite(v) || v < 0))
      throw new RangeError(`${k} must be a non-negative number, got ${String(v)}`);
  }
  if (opts.password !== undefined && opts.password.length === 0)
    throw new RangeError('password must not be empty');
}

/** A random loopback base so concurrent test processes do not collide on 127.x.y.z:7687. */
function randomAllocator(): LoopbackAllocator {
  return new LoopbackAllocator(randomInt(16, 250) * 65536 + randomInt(0, 256) * 256 + 1);
}

export async function startCluster(opts: StartClusterOptions): Promise<SimCluster> {
  validate(opts);
  const ownClock = !opts.clock;
  const clock = opts.clock ?? new VirtualClock({ timeScale: 1 });
  const rng = new Rng(opts.seed ?? 1);
  const log = new WorldLog(() => clock.now());
  const edition = opts.edition ?? 'enterprise';
  const electionTimeoutMs = opts.electionTimeoutMs ?? 20_000;
  const params: ClusterParams = {
    clock,
    rng,
    log,
    edition,
    electionTimeoutMs,
    leaderTransferMs: opts.leaderTransferMs ?? Math.min(1000, electionTimeoutMs),
    startDelayMs: opts.startDelayMs ?? 1000,
    catchUpPerTxMs: opts.catchUpPerTxMs ?? 5,
    storeCopyMs: opts.storeCopyMs ?? 3000,
    minimumInitialPrimaries: opts.primaries,
    initialDatabases: (opts.databases ?? []).map((d) => d.toLowerCase()),
    initialTopology: 'all',
    defaultTopology: { primaries: 1, secondaries: 0 },
    autoEnableFreeServers: false,
  };
  const model = new ClusterModel(params);
  const user = opts.user ?? 'neo4j';
  const password = opts.password ?? 'password';
  const version = opts.version ?? '5.26.0';
  const members = new Map<string, SimMember>();
  const allocator = opts.host ? null : randomAllocator();
  const port = opts.port ?? 7687;
  const make = (name: string, mode: Mode): SimMember =>
    new SimMember({
      name,
      mode,
      host: opts.host ?? (allocator as LoopbackAllocator).allocate(),
      port,
      version,
      edition,
      user,
      password,
      volume: new Map(),
      cluster: model,
      log,
    });
  const order: SimMember[] = [];
  for (let i = 1; i <= (opts.secondaries ?? 0); i++) order.push(make(`secondary-${i}`, 'secondary'));
  for (let i = 1; i <= opts.primaries; i++) order.push(make(`primary-${i}`, 'primary'));
  for (const m of order) members.set(m.name, m);

  const stopAll = async (): Promise<void> => {
    for (const m of members.values()) await m.stop('cluster stopped');
    model.shutdown();
    if (ownClock) clock.stop();
  };
  try {
    for (let i = 0; i < order.length; i++) {
      let m = order[i] as SimMember;
      for (let attempt = 0; ; attempt++) {
        try {
          await m.start();
          break;
        } catch (e) {
          const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
          if (!inUse || allocator === null || attempt >= 5) throw e;
          m = make(m.name, m.mode);
          members.set(m.name, m);
          order[i] = m;
        }
      }
    }
  } catch (e) {
    await stopAll();
    throw e;
  }

  const get = (name: string): SimMember => {
    const m = members.get(name);
    if (!m) throw new RangeError(`no member named '${name}' (members: ${[...members.keys()].join(', ')})`);
    return m;
  };

  return {
    get members(): SimMemberInfo[] {
      return [...members.values()].map((m) => ({
        name: m.name,
        mode: m.mode,
        boltUrl: m.boltUrl,
        host: m.host,
        port: m.port,
        serverId: m.serverId,
      }));
    },
    member: get,
    stopMember: (name) => get(name).stop('stopped'),
    async startMember(name, o = {}) {
      const m = get(name);
      if (m.state === 'running') throw new Error(`member ${name} is already running`);
      if (o.emptyVolume) m.attachVolume(new Map());
      if (o.version) m.setVersion(o.version);
      await m.start();
    },
    stop: stopAll,
    leaders() {
      const out: Record<string, string | null> = {};
      for (const db of model.dbs.values()) {
        const s = db.leader ? model.servers.get(db.leader) : undefined;
        const r = db.leader ? db.replicas.get(db.leader) : undefined;
        out[db.name] = s?.running && r?.status === 'online' ? s.memberName : null;
      }
      return out;
    },
    async waitUntil(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    log,
    model,
    clock,
    user,
    password,
  };
}
