/**
 * The twin's one clock. Every simulated delay is expressed in virtual milliseconds and scheduled here.
 *
 * Two modes:
 * - `scaled` (default): virtual time runs `timeScale` times faster than wall time. The demo runs at a
 *   human-watchable scale; tests run at a high one. Timers fire on real `setTimeout` after
 *   `virtualMs / timeScale` real milliseconds.
 * - `manual`: virtual time only moves when a test calls `advance()`. Due timers fire in virtual-time
 *   order (ties in scheduling order), so a run is deterministic given a seed.
 */
export interface Clock {
  /** Virtual epoch milliseconds. */
  now(): number;
}

export interface TimerHandle {
  readonly id: number;
  readonly dueAt: number;
}

interface Timer extends TimerHandle {
  fn: () => void;
  real?: NodeJS.Timeout;
}

export interface VirtualClockOptions {
  /** Virtual epoch ms at creation. Default: 2026-01-01T00:00:00Z, so runs do not depend on the wall clock. */
  start?: number;
  /** Virtual ms per real ms in scaled mode. Default 1. */
  timeScale?: number;
  mode?: 'scaled' | 'manual';
}

export const DEFAULT_EPOCH = Date.UTC(2026, 0, 1);

export class VirtualClock implements Clock {
  readonly mode: 'scaled' | 'manual';
  readonly timeScale: number;
  private readonly startVirtual: number;
  private readonly startReal: number;
  private manualNow: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  constructor(opts: VirtualClockOptions = {}) {
    this.mode = opts.mode ?? 'scaled';
    this.timeScale = opts.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${String(opts.timeScale)}`);
    this.startVirtual = opts.start ?? DEFAULT_EPOCH;
    this.startReal = performance.now();
    this.manualNow = this.startVirtual;
  }

  now(): number {
    if (this.mode === 'manual') return this.manualNow;
    return Math.floor(this.startVirtual + (performance.now() - this.startReal) * this.timeScale);
  }

  /** Runs `fn` after `virtualMs` of virtual time. */
  setTimeout(fn: () => void, virtualMs: number): TimerHandle {
    const delay = Math.max(0, virtualMs);
    const timer: Timer = { id: this.nextId++, dueAt: this.now() + delay, fn };
    this.timers.set(timer.id, timer);
    if (this.mode === 'scaled') {
      timer.real = setTimeout(() => this.fire(timer.id), delay / this.timeScale);
      timer.real.unref?.();
    }
    return { id: timer.id, dueAt: timer.dueAt };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t?.real) clearTimeout(t.real);
    this.timers.delete(handle.id);
  }

  /** Resolves after `virtualMs` of virtual time. */
  sleep(virtualMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.setTimeout(resolve, virtualMs);
    });
  }

  /** Manual mode: moves time forward by `virtualMs`, firing due timers in order. Awaits microtasks between timers. */
  async advance(virtualMs: number): Promise<void> {
    if (this.mode !== 'manual') throw new Error('advance() is only for a manual clock');
    const target = this.manualNow + Math.max(0, virtualMs);
    for (;;) {
      const next = [...this.timers.values()]
        .filter((t) => t.dueAt <= target)
        .sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)[0];
      if (!next) break;
      this.manualNow = Math.max(this.manualNow, next.dueAt);
      this.fire(next.id);
      await new Promise<void>((r) => setImmediate(r));
    }
    this.manualNow = target;
  }

  /** Number of pending timers (for tests and clean shutdown). */
  pending(): number {
    return this.timers.size;
  }

  /** Cancels every pending timer. */
  stop(): void {
    for (const t of this.timers.values()) if (t.real) clearTimeout(t.real);
    this.timers.clear();
  }

  private fire(id: number): void {
    const t = this.timers.get(id);
    if (!t) return;
    this.timers.delete(id);
    t.fn();
  }
}
