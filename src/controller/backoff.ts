/**
 * Per-key exponential backoff with jitter, as controller-runtime's per-item rate limiter: the n-th
 * consecutive failure of a key waits `min(max, base * 2^(n-1))`, shortened by up to `jitter` of itself
 * so that keys failing together do not retry together. Success resets the count (`forget`).
 */

export interface BackoffOptions {
  /** Delay after the first failure, ms. Default 1000. */
  baseMs: number;
  /** Cap, ms. Default 300000 (5 min). */
  maxMs: number;
  /** Fraction in [0, 1): each delay is cut by a random part of up to this much of itself. Default 0.2. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 300_000, jitter: 0.2 };

/** The delay before retry number `failures` (1 = first failure). `random` returns [0, 1). */
export function backoffDelay(failures: number, opts: BackoffOptions, random: () => number): number {
  const n = Math.max(1, Math.floor(failures));
  // 2^(n-1) overflows to Infinity for large n; min() keeps the cap.
  const raw = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(n - 1, 1024));
  const cut = raw * opts.jitter * Math.min(Math.max(random(), 0), 1);
  return Math.max(0, Math.round(raw - cut));
}

/** Failure counts per key. */
export class KeyedBackoff<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {
    if (!(opts.baseMs > 0 && opts.maxMs >= opts.baseMs))
      throw new RangeError(`backoff needs 0 < baseMs <= maxMs, got ${opts.baseMs} and ${opts.maxMs}`);
    if (!(opts.jitter >= 0 && opts.jitter < 1))
      throw new RangeError(`jitter must be in [0, 1), got ${opts.jitter}`);
  }

  /** Records a failure of `key` and returns how long to wait before retrying it. */
  next(key: K): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return backoffDelay(n, this.opts, this.random);
  }

  /** Consecutive failures of `key` so far. */
  count(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resets `key` after a success (or when its input changes). */
  forget(key: K): void {
    this.failures.delete(key);
  }
}
