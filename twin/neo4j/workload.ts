/**
 * A write workload: one loop per database writes a small node through a `neo4j://` routing driver
 * every `intervalMs` (virtual), with auto-commit and no driver retries, and records each attempt. The
 * report gives each database's write availability (share of successful writes) and its outages
 * (virtual time from the first failed write to the next successful one): the figure benchmarks of
 * rolling restarts use.
 */
import neo4j from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';
import type { VirtualClock } from '../core/clock.js';

export interface WorkloadOptions {
  /** A routing URL, e.g. `neo4j://127.0.1.1:7687`. */
  url: string;
  user: string;
  password: string;
  databases: string[];
  clock: VirtualClock;
  /** Virtual ms between two writes to one database. Default 200. */
  intervalMs?: number;
  /** Real ms after which one write counts as failed. Default 3000. */
  writeTimeoutMs?: number;
  /** Label of the written nodes. Default `WorkloadWrite`. */
  label?: string;
  /**
   * The addresses (`host:port`) the routing URL's address stands for, asked again whenever the driver
   * has no router left: what a DNS name over the members' current tasks (Cloud Map) gives. Members
   * that move to new addresses while the workload runs (tasks replaced in a roll) stay reachable.
   * Default: the URL's address only.
   */
  resolver?: (address: string) => string[] | Promise<string[]>;
}

export interface WorkloadSample {
  /** Virtual epoch ms when the write was attempted. */
  t: number;
  db: string;
  ok: boolean;
  /** Neo4j status code or error name of a failed write. */
  error?: string;
}

export interface DatabaseAvailability {
  attempts: number;
  successes: number;
  /** successes / attempts (1 when there were no attempts). */
  availability: number;
  /** Virtual [from, to) intervals without a successful write; `to` null while still failing. */
  outages: { from: number; to: number | null }[];
  longestOutageMs: number;
}

export interface WorkloadReport {
  from: number;
  to: number;
  databases: Record<string, DatabaseAvailability>;
}

export interface Workload {
  readonly samples: readonly WorkloadSample[];
  report(): WorkloadReport;
  /** Stops the loops, closes the driver, returns the final report. */
  stop(): Promise<WorkloadReport>;
}

function errorCode(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string') {
    return (e as { code: string }).code;
  }
  return e instanceof Error ? e.name : 'Error';
}

export function summarise(
  samples: readonly WorkloadSample[],
  databases: string[],
  from: number,
  to: number,
): WorkloadReport {
  const out: Record<string, DatabaseAvailability> = {};
  for (const db of databases) {
    const mine = samples.filter((s) => s.db === db);
    const outages: { from: number; to: number | null }[] = [];
    let open: { from: number; to: number | null } | null = null;
    for (const s of mine) {
      if (!s.ok && !open) {
        open = { from: s.t, to: null };
        outages.push(open);
      } else if (s.ok && open) {
        open.to = s.t;
        open = null;
      }
    }
    const successes = mine.filter((s) => s.ok).length;
    out[db] = {
      attempts: mine.length,
      successes,
      availability: mine.length ? successes / mine.length : 1,
      outages,
      longestOutageMs: Math.max(0, ...outages.map((o) => (o.to ?? to) - o.from)),
    };
  }
  return { from, to, databases: out };
}

export function startWorkload(opts: WorkloadOptions): Workload {
  if (!/^neo4j(\+s|\+ssc)?:\/\//.test(opts.url))
    throw new RangeError(`the workload needs a neo4j:// routing URL, got '${opts.url}'`);
  if (!opts.databases.length) throw new RangeError('the workload needs at least one database');
  const interval = opts.intervalMs ?? 200;
  if (!(interval > 0)) throw new RangeError(`intervalMs must be > 0, got ${String(opts.intervalMs)}`);
  const timeout = opts.writeTimeoutMs ?? 3000;
  const label = opts.label ?? 'WorkloadWrite';
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(label)) throw new RangeError(`invalid label '${label}'`);
  const driver: Driver = neo4j.driver(opts.url, neo4j.auth.basic(opts.user, opts.password), {
    connectionTimeout: timeout,
    connectionAcquisitionTimeout: timeout,
    maxTransactionRetryTime: 0,
    logging: { level: 'error', logger: () => undefined },
    ...(opts.resolver ? { resolver: opts.resolver } : {}),
  });
  const samples: WorkloadSample[] = [];
  const started = opts.clock.now();
  let running = true;
  let seq = 0;

  const once = async (db: string): Promise<void> => {
    const t = opts.clock.now();
    const session = driver.session({ database: db, defaultAccessMode: neo4j.session.WRITE });
    let timer: NodeJS.Timeout | undefined;
    try {
      const write = session.run(`CREATE (:${label} {seq: $seq, at: $at})`, {
        seq: neo4j.int(seq++),
        at: neo4j.int(t),
      });
      await Promise.race([
        write,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(Object.assign(new Error('write timed out'), { code: 'Timeout' })),
            timeout,
          );
        }),
      ]);
      samples.push({ t, db, ok: true });
    } catch (e) {
      samples.push({ t, db, ok: false, error: errorCode(e) });
    } finally {
      clearTimeout(timer);
      await session.close().catch(() => undefined);
    }
  };

  const stopWaiters: (() => void)[] = [];
  const loops = opts.databases.map(async (db) => {
    while (running) {
      await once(db);
      if (!running) break;
      await new Promise<void>((resolve) => {
        const h = opts.clock.setTimeout(resolve, interval);
        stopWaiters.push(() => {
          opts.clock.clearTimeout(h);
          resolve();
        });
      });
    }
  });

  return {
    samples,
    report: () => summarise(samples, opts.databases, started, opts.clock.now()),
    async stop() {
      running = false;
      for (const w of stopWaiters.splice(0)) w();
      await Promise.all(loops);
      await driver.close();
      return summarise(samples, opts.databases, started, opts.clock.now());
    },
  };
}
