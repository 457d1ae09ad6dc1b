/**
 * The work queue, with controller-runtime's rules:
 *
 * - keyed (here: by cluster name); adding a key that is already waiting does nothing (duplicates merge);
 * - a key is never processed by two workers at once: adding a key that is being processed marks it
 *   dirty, and it runs once more after the current pass;
 * - up to `concurrency` different keys are processed at a time;
 * - the worker's outcome decides what happens next: `done` forgets the key's failures (and may ask to
 *   run again after a delay), `wait` requeues after the given delay without backoff, `retry` requeues
 *   after the key's exponential backoff with jitter, `stop` forgets the key until something adds it;
 * - delayed adds keep the earliest due time; an immediate add supersedes a pending delayed one;
 * - each pass gets an AbortSignal that aborts when the pass timeout elapses or on shutdown.
 */
import type { BackoffOptions } from './backoff.js';
import { DEFAULT_BACKOFF, KeyedBackoff } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import { PassTimeoutError, timeoutSignal } from './clock.js';

export type WorkOutcome =
  | { kind: 'done'; requeueAfterMs?: number }
  | { kind: 'wait'; requeueAfterMs: number }
  | { kind: 'retry' }
  | { kind: 'stop' };

export type Worker = (key: string, signal: AbortSignal) => Promise<WorkOutcome>;

/** Hooks for metrics; every one optional. */
export interface QueueObserver {
  added?(key: string): void;
  depth?(depth: number): void;
  retried?(key: string, delayMs: number): void;
  /** A pass starts after `waitedMs` in the queue. */
  started?(key: string, waitedMs: number): void;
  finished?(key: string, outcome: WorkOutcome, durationMs: number, timedOut: boolean): void;
  activeWorkers?(n: number): void;
}

export interface QueueOptions {
  clock: Clock;
  worker: Worker;
  /** Keys processed at the same time. Default 4. */
  concurrency?: number;
  /** Default 5 min. */
  passTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** [0, 1) source for jitter; default Math.random. */
  random?: () => number;
  observer?: QueueObserver;
}

export class ShutdownError extends Error {
  override readonly name = 'ShutdownError';
}

interface Delayed {
  dueAt: number;
  timer: TimerHandle;
}

export class WorkQueue {
  private readonly clock: Clock;
  private readonly worker: Worker;
  private readonly concurrency: number;
  private readonly passTimeoutMs: number;
  private readonly backoff: KeyedBackoff<string>;
  private readonly observer: QueueObserver;
  /** Ready keys in FIFO order, with the time each was added. */
  private readonly ready = new Map<string, number>();
  private readonly processing = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, Delayed>();
  private readonly shutdownCtl = new AbortController();
  private shuttingDown = false;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: QueueOptions) {
    this.clock = opts.clock;
    this.worker = opts.worker;
    this.concurrency = opts.concurrency ?? 4;
    this.passTimeoutMs = opts.passTimeoutMs ?? 300_000;
    if (!(Number.isInteger(this.concurrency) && this.concurrency >= 1))
      throw new RangeError(`concurrency must be an integer >= 1, got ${String(opts.concurrency)}`);
    if (!(this.passTimeoutMs > 0))
      throw new RangeError(`passTimeoutMs must be > 0, got ${this.passTimeoutMs}`);
    this.backoff = new KeyedBackoff(opts.backoff ?? DEFAULT_BACKOFF, opts.random ?? Math.random);
    this.observer = opts.observer ?? {};
  }

  /** Queues `key` now. */
  add(key: string): void {
    if (this.shuttingDown) return;
    this.observer.added?.(key);
    const d = this.delayed.get(key);
    if (d) {
      d.timer.cancel();
      this.delayed.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.ready.has(key)) return;
    this.ready.set(key, this.clock.now());
    this.observer.depth?.(this.ready.size);
    this.pump();
  }

  /** Queues `key` after `ms`, unless it is already due sooner. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const dueAt = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.dueAt <= dueAt) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimer(() => {
      if (this.delayed.get(key)?.timer !== timer) return;
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { dueAt, timer });
  }

  /** Resets the backoff of `key` (e.g. because its input changed). */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  /** Consecutive failures of `key`. */
  failures(key: string): number {
    return this.backoff.count(key);
  }

  /** Keys waiting to run now. */
  depth(): number {
    return this.ready.size;
  }

  /** Keys being processed now. */
  active(): string[] {
    return [...this.processing.keys()];
  }

  /** When the key is next due by a delayed add, or undefined. */
  dueAt(key: string): number | undefined {
    return this.delayed.get(key)?.dueAt;
  }

  /** Resolves when no key is ready or being processed (delayed adds may still be pending). */
  idle(): Promise<void> {
    if (this.ready.size === 0 && this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops the queue: no new passes start, delayed adds are cancelled, and passes in flight get
   * `graceMs` to finish before their signals abort (safely abandoning them). Resolves once every pass
   * has settled, or after `graceMs + abandonMs` at the latest.
   */
  async shutDown(graceMs: number, abandonMs = 1000): Promise<{ abandoned: string[] }> {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) d.timer.cancel();
    this.delayed.clear();
    this.ready.clear();
    this.dirty.clear();
    this.observer.depth?.(0);
    const inFlight = (): Promise<unknown> => Promise.all([...this.processing.values()]);
    if (this.processing.size === 0) return { abandoned: [] };
    const settled = await this.within(inFlight(), graceMs);
    if (settled) return { abandoned: [] };
    const abandoned = [...this.processing.keys()];
    this.shutdownCtl.abort(new ShutdownError('the controller is stopping'));
    await this.within(inFlight(), abandonMs);
    return { abandoned };
  }

  private within(p: Promise<unknown>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = this.clock.setTimer(() => resolve(false), ms);
      void p.then(() => {
        t.cancel();
        resolve(true);
      });
    });
  }

  private pump(): void {
    while (!this.shuttingDown && this.processing.size < this.concurrency && this.ready.size > 0) {
      const [key, addedAt] = this.ready.entries().next().value as [string, number];
      this.ready.delete(key);
      this.observer.depth?.(this.ready.size);
      this.observer.started?.(key, this.clock.now() - addedAt);
      const run = this.run(key);
      this.processing.set(key, run);
      this.observer.activeWorkers?.(this.processing.size);
    }
  }

  private async run(key: string): Promise<void> {
    const started = this.clock.now();
    const { signal, dispose } = timeoutSignal(this.clock, this.passTimeoutMs, this.shutdownCtl.signal);
    let outcome: WorkOutcome;
    try {
      outcome = await this.worker(key, signal);
    } catch {
      outcome = { kind: 'retry' };
    } finally {
      dispose();
    }
    const timedOut = signal.aborted && signal.reason instanceof PassTimeoutError;
    if (timedOut && outcome.kind === 'done') outcome = { kind: 'retry' };
    this.processing.delete(key);
    this.observer.activeWorkers?.(this.processing.size);
    this.observer.finished?.(key, outcome, this.clock.now() - started, timedOut);
    this.settle(key, outcome);
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
    if (this.ready.size === 0 && this.processing.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private settle(key: string, outcome: WorkOutcome): void {
    switch (outcome.kind) {
      case 'done':
        this.backoff.forget(key);
        if (outcome.requeueAfterMs !== undefined) this.addAfter(key, outcome.requeueAfterMs);
        return;
      case 'wait':
        this.backoff.forget(key);
        this.addAfter(key, outcome.requeueAfterMs);
        return;
      case 'retry': {
        if (this.shuttingDown) return;
        const delay = this.backoff.next(key);
        this.observer.retried?.(key, delay);
        this.addAfter(key, delay);
        return;
      }
      case 'stop':
        this.backoff.forget(key);
        return;
    }
  }
}
