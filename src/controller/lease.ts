/**
 * One lease per cluster in S3, so that only one controller acts on a cluster and several controller
 * tasks split the clusters between them.
 *
 * The lease is a JSON object (`<folder>leases/<cluster>.json`) holding the holder id, the TTL, a
 * generation and acquiredAt/renewedAt. Writes are conditional: `If-None-Match: *` creates it,
 * `If-Match: <etag>` renews, takes over or releases it, so two controllers can never both win (S3
 * answers the loser 412). The generation grows by one whenever the holder changes; every mutating
 * action's event carries it.
 *
 * Expiry is judged on the observer's own clock, as Kubernetes leader election does: a controller that
 * does not hold a lease takes it over only after the lease's ETag has stayed the same for a whole TTL
 * since it first saw that ETag, so clock skew between controllers does not matter. The holder counts
 * its lease valid until (start of its last successful write) + TTL − margin, which ends before any
 * observer may take over. A released lease (holder null) may be taken at once.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import type { ObjectStore } from '../aws/object-store.js';
import type { Clock } from './clock.js';

export const LeaseRecordSchema = z.object({
  cluster: z.string(),
  /** null once released. */
  holder: z.string().nullable(),
  ttlMs: z.number().int().positive(),
  generation: z.number().int().nonnegative(),
  acquiredAt: z.string(),
  renewedAt: z.string(),
  releasedAt: z.string().optional(),
});
export type LeaseRecord = z.infer<typeof LeaseRecordSchema>;

export type LeaseState =
  | { held: true; generation: number; validUntil: number }
  | { held: false; holder: string | null; generation: number; retryAfterMs: number };

/** What the loop needs from leases; `S3Leases` in production, `LocalLeases` when there is no bucket. */
export interface Leases {
  readonly holderId: string;
  /** Acquires or renews the lease of `cluster` when due; says whether this controller holds it. */
  ensure(cluster: string, signal?: AbortSignal): Promise<LeaseState>;
  /** The generation of a lease this controller holds and may act under right now (no I/O), or undefined. */
  current(cluster: string): number | undefined;
  /** Renews every held lease that is due (the background ticker calls this). */
  renewDue(signal?: AbortSignal): Promise<void>;
  /** Releases every held lease (SIGTERM). */
  releaseAll(signal?: AbortSignal): Promise<string[]>;
  /** Clusters whose lease this controller holds. */
  heldClusters(): string[];
}

export function defaultHolderId(): string {
  return `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface S3LeasesOptions {
  store: ObjectStore;
  bucket: string;
  /** Folder the lease objects go under (`leases/` is appended), e.g. `envs/prod/`. */
  folder: string;
  holderId: string;
  ttlMs: number;
  clock: Clock;
}

interface Local {
  etag?: string;
  record?: LeaseRecord;
  /** Local time this ETag was first seen (for others' leases). */
  observedAt: number;
  mine: boolean;
  validUntil: number;
  lastWrite: number;
}

export class S3Leases implements Leases {
  readonly holderId: string;
  private readonly local = new Map<string, Local>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly margin: number;

  constructor(private readonly opts: S3LeasesOptions) {
    if (!(opts.ttlMs >= 1000))
      throw new RangeError(`the lease TTL must be at least 1000 ms, got ${opts.ttlMs}`);
    if (!/^[\w.:@/-]{1,200}$/.test(opts.holderId))
      throw new RangeError(
        `a holder id is 1-200 letters, digits or "_.:@/-", got ${JSON.stringify(opts.holderId)}`,
      );
    this.holderId = opts.holderId;
    this.margin = Math.min(opts.ttlMs * 0.1, 5000);
  }

  key(cluster: string): string {
    return `${this.opts.folder}leases/${cluster}.json`;
  }

  ensure(cluster: string, signal?: AbortSignal): Promise<LeaseState> {
    return this.serial(cluster, () => this.ensureNow(cluster, signal));
  }

  current(cluster: string): number | undefined {
    const l = this.local.get(cluster);
    if (!l?.mine || !l.record || this.opts.clock.now() >= l.validUntil) return undefined;
    return l.record.generation;
  }

  heldClusters(): string[] {
    return [...this.local.entries()].filter(([c]) => this.current(c) !== undefined).map(([c]) => c);
  }

  async renewDue(signal?: AbortSignal): Promise<void> {
    const due = [...this.local.entries()]
      .filter(([, l]) => l.mine && this.opts.clock.now() - l.lastWrite >= this.opts.ttlMs / 3)
      .map(([c]) => c);
    await Promise.all(due.map((c) => this.ensure(c, signal).catch(() => undefined)));
  }

  async releaseAll(signal?: AbortSignal): Promise<string[]> {
    const mine = [...this.local.entries()].filter(([, l]) => l.mine).map(([c]) => c);
    const released: string[] = [];
    await Promise.all(
      mine.map((c) =>
        this.serial(c, async () => {
          if (await this.release(c, signal)) released.push(c);
        }).catch(() => undefined),
      ),
    );
    return released.sort();
  }

  /** One lease operation per cluster at a time, so a renewal never races a pass's ensure. */
  private serial<T>(cluster: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(cluster) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(cluster, tail);
    void tail.then(() => {
      if (this.locks.get(cluster) === tail) this.locks.delete(cluster);
    });
    return next;
  }

  private async ensureNow(cluster: string, signal?: AbortSignal): Promise<LeaseState> {
    const now = this.opts.clock.now();
    const l = this.local.get(cluster);
    if (l?.mine && l.record && now < l.validUntil && now - l.lastWrite < this.opts.ttlMs / 3)
      return { held: true, generation: l.record.generation, validUntil: l.validUntil };
    if (l?.mine && l.etag !== undefined && l.record) {
      const renewed = await this.write(
        cluster,
        { ...l.record, renewedAt: iso(now) },
        { ifMatch: l.etag },
        signal,
      );
      if (renewed) return renewed;
      l.mine = false; // someone else wrote it: read below
    }
    return this.observe(cluster, signal);
  }

  /** Reads the lease and takes it when it is free, released or expired. */
  private async observe(cluster: string, signal?: AbortSignal): Promise<LeaseState> {
    const l = this.local.get(cluster);
    const res = await this.opts.store.get(this.opts.bucket, this.key(cluster), {
      ...(l?.etag !== undefined && !l.mine ? { ifNoneMatch: l.etag } : {}),
      ...(signal ? { signal } : {}),
    });
    const now = this.opts.clock.now();
    if (res.status === 'missing') {
      const generation = (l?.record?.generation ?? 0) + 1;
      const created = await this.write(
        cluster,
        this.fresh(cluster, generation, now),
        { ifNoneMatch: '*' },
        signal,
      );
      return created ?? this.notHeld(cluster, 0);
    }
    let record: LeaseRecord;
    let etag: string;
    if (res.status === 'not-modified' && l?.record && l.etag !== undefined) {
      record = l.record;
      etag = l.etag;
    } else if (res.status === 'ok') {
      etag = res.etag;
      record = parseRecord(res.body, cluster, this.opts.ttlMs);
      if (l?.etag !== etag)
        this.local.set(cluster, { etag, record, observedAt: now, mine: false, validUntil: 0, lastWrite: 0 });
    } else {
      return this.notHeld(cluster, 1000);
    }
    const cur = this.local.get(cluster) as Local;
    const ownedByMe = record.holder === this.holderId;
    const expired = now - cur.observedAt >= record.ttlMs;
    if (ownedByMe || record.holder === null || expired) {
      const next: LeaseRecord = ownedByMe
        ? { ...record, renewedAt: iso(now) }
        : this.fresh(cluster, record.generation + 1, now);
      const taken = await this.write(cluster, next, { ifMatch: etag }, signal);
      if (taken) return taken;
      return this.notHeld(cluster, 1000);
    }
    return this.notHeld(cluster, Math.max(1, cur.observedAt + record.ttlMs - now));
  }

  private fresh(cluster: string, generation: number, now: number): LeaseRecord {
    return {
      cluster,
      holder: this.holderId,
      ttlMs: this.opts.ttlMs,
      generation,
      acquiredAt: iso(now),
      renewedAt: iso(now),
    };
  }

  /** A conditional write of our record; the held state on success, undefined when we lost the race. */
  private async write(
    cluster: string,
    record: LeaseRecord,
    cond: { ifMatch: string } | { ifNoneMatch: '*' },
    signal?: AbortSignal,
  ): Promise<LeaseState | undefined> {
    const started = this.opts.clock.now();
    const res = await this.opts.store.put(
      this.opts.bucket,
      this.key(cluster),
      JSON.stringify(record, null, 2),
      {
        ...cond,
        metadata: { holder: this.holderId, generation: String(record.generation) },
        ...(signal ? { signal } : {}),
      },
    );
    if (res.status !== 'ok') {
      const l = this.local.get(cluster);
      if (l) l.mine = false;
      return undefined;
    }
    const validUntil = started + record.ttlMs - this.margin;
    this.local.set(cluster, {
      etag: res.etag,
      record,
      observedAt: started,
      mine: true,
      validUntil,
      lastWrite: started,
    });
    return { held: true, generation: record.generation, validUntil };
  }

  private async release(cluster: string, signal?: AbortSignal): Promise<boolean> {
    const l = this.local.get(cluster);
    if (!l?.mine || l.etag === undefined || !l.record) return false;
    const now = this.opts.clock.now();
    const record: LeaseRecord = { ...l.record, holder: null, renewedAt: iso(now), releasedAt: iso(now) };
    const res = await this.opts.store.put(
      this.opts.bucket,
      this.key(cluster),
      JSON.stringify(record, null, 2),
      {
        ifMatch: l.etag,
        metadata: { holder: this.holderId, generation: String(record.generation), released: 'true' },
        ...(signal ? { signal } : {}),
      },
    );
    l.mine = false;
    l.validUntil = 0;
    if (res.status === 'ok') {
      l.etag = res.etag;
      l.record = record;
      return true;
    }
    return false;
  }

  private notHeld(cluster: string, retryAfterMs: number): LeaseState {
    const r = this.local.get(cluster)?.record;
    return { held: false, holder: r?.holder ?? null, generation: r?.generation ?? 0, retryAfterMs };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A lease object that does not parse is treated as held by an unknown holder for one TTL. */
function parseRecord(body: string, cluster: string, ttlMs: number): LeaseRecord {
  try {
    const parsed = LeaseRecordSchema.safeParse(JSON.parse(body));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through
  }
  return {
    cluster,
    holder: '(unreadable lease object)',
    ttlMs,
    generation: 0,
    acquiredAt: '',
    renewedAt: '',
  };
}

/**
 * Leases for a controller without a status bucket: it always holds every lease (generation 1). Run
 * exactly one such controller.
 */
export class LocalLeases implements Leases {
  private readonly held = new Set<string>();
  constructor(readonly holderId: string) {}

  ensure(cluster: string): Promise<LeaseState> {
    this.held.add(cluster);
    return Promise.resolve({ held: true, generation: 1, validUntil: Number.POSITIVE_INFINITY });
  }

  current(cluster: string): number | undefined {
    return this.held.has(cluster) ? 1 : undefined;
  }

  renewDue(): Promise<void> {
    return Promise.resolve();
  }

  releaseAll(): Promise<string[]> {
    const all = [...this.held].sort();
    this.held.clear();
    return Promise.resolve(all);
  }

  heldClusters(): string[] {
    return [...this.held].sort();
  }
}
