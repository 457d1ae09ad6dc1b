/**
 * The controller's `Clock` over any timer source with `now`, `setTimeout` and `clearTimeout` (such as
 * the twin's scaled virtual clock), so the demo's controller lives on the same time as the world it
 * drives: a poll interval of 15 s takes 1 s of wall time at time scale 15, and the timestamps it
 * sends (events, metrics) agree with the endpoint's. Structural: src/ does not import the twin.
 */
import type { Clock } from '../controller/clock.js';

export interface TimerSource<H> {
  now(): number;
  setTimeout(fn: () => void, ms: number): H;
  clearTimeout(handle: H): void;
}

export function clockFrom<H>(source: TimerSource<H>): Clock {
  return {
    now: () => source.now(),
    setTimer(fn, ms) {
      const handle = source.setTimeout(fn, Math.max(0, ms));
      return { cancel: () => source.clearTimeout(handle) };
    },
  };
}
