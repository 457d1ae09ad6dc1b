/** Shared helpers for the controller tests: a manual clock in the controller's Clock shape. */
import { VirtualClock } from '../../twin/core/clock.js';
import type { Clock } from '../../src/controller/clock.js';

/** A controller Clock over a VirtualClock (manual or scaled). */
export function controllerClock(vc: VirtualClock): Clock {
  return {
    now: () => vc.now(),
    setTimer(fn, ms) {
      const h = vc.setTimeout(fn, ms);
      return { cancel: () => vc.clearTimeout(h) };
    },
  };
}

export function manualClock(): { vc: VirtualClock; clock: Clock } {
  const vc = new VirtualClock({ mode: 'manual' });
  return { vc, clock: controllerClock(vc) };
}

/** Lets pending promise callbacks run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
