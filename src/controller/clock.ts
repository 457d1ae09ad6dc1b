/**
 * The controller's one notion of time. Logic never reads Date.now() or calls setTimeout directly: it
 * asks an injected `Clock`, so tests drive time with a manual clock (or the twin's VirtualClock) and
 * production uses `systemClock`.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; the handle cancels it. Timers never keep the process alive. */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Resolves after `ms` on `clock`; rejects with the signal's reason if `signal` aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(abortReason(signal as AbortSignal));
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** An AbortSignal that aborts after `ms` on `clock` (and when `parent` aborts), with a disposer. */
export function timeoutSignal(
  clock: Clock,
  ms: number,
  parent?: AbortSignal,
): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  const timer = clock.setTimer(
    () => ctl.abort(new PassTimeoutError(`the pass did not finish within ${ms} ms`)),
    ms,
  );
  const onParent = (): void => ctl.abort(parent?.reason);
  if (parent?.aborted) ctl.abort(parent.reason);
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: ctl.signal,
    dispose: () => {
      timer.cancel();
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/** The reason a pass's signal aborted because its time ran out (as opposed to shutdown). */
export class PassTimeoutError extends Error {
  override readonly name = 'PassTimeoutError';
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(typeof r === 'string' ? r : 'aborted');
}
