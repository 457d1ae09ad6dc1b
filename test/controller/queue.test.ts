import type { WorkOutcome } from '../../src/controller/queue.js';
import { ShutdownError, WorkQueue } from '../../src/controller/queue.js';
import { PassTimeoutError } from '../../src/controller/clock.js';
import { backoffDelay } from '../../src/controller/backoff.js';
import { deferred, flush, manualClock } from './helpers.js';

describe('WorkQueue', () => {
  it('merges duplicate adds of a key that is waiting, and reruns a key added while it is processed once', async () => {
    const { clock } = manualClock();
    const gate = deferred();
    const runs: string[] = [];
    const q = new WorkQueue({
      clock,
      concurrency: 1,
      worker: async (key) => {
        runs.push(key);
        if (runs.length === 1) await gate.promise;
        return { kind: 'done' };
      },
    });
    q.add('a'); // starts at once
    q.add('b');
    q.add('b'); // merged with the waiting b
    q.add('a'); // a is being processed: marked dirty
    q.add('a');
    expect(q.depth()).toBe(1);
    gate.resolve();
    await q.idle();
    expect(runs).toEqual(['a', 'b', 'a']);
  });

  it('never runs one key on two workers at once, and runs different keys in parallel up to the concurrency', async () => {
    const { clock } = manualClock();
    const gates = new Map<string, { resolve(): void }>();
    const running = new Map<string, number>();
    let maxPerKey = 0;
    let maxTotal = 0;
    const q = new WorkQueue({
      clock,
      concurrency: 2,
      worker: async (key) => {
        running.set(key, (running.get(key) ?? 0) + 1);
        maxPerKey = Math.max(maxPerKey, ...running.values());
        maxTotal = Math.max(
          maxTotal,
          [...running.values()].reduce((a, b) => a + b, 0),
        );
        const g = deferred();
        gates.set(key, g);
        await g.promise;
        running.set(key, (running.get(key) ?? 1) - 1);
        return { kind: 'done' };
      },
    });
    for (const k of ['a', 'b', 'c', 'a', 'b']) q.add(k);
    expect(q.active().sort()).toEqual(['a', 'b']);
    for (let i = 0; i < 6; i++) {
      for (const g of gates.values()) g.resolve();
      await flush();
    }
    await q.idle();
    expect(maxPerKey).toBe(1);
    expect(maxTotal).toBe(2);
  });

  it('backs off exponentially per key on retries and resets after a success', async () => {
    const { vc, clock } = manualClock();
    const outcomes: WorkOutcome[] = [
      { kind: 'retry' },
      { kind: 'retry' },
      { kind: 'retry' },
      { kind: 'done' },
      { kind: 'retry' },
    ];
    const times: number[] = [];
    const q = new WorkQueue({
      clock,
      backoff: { baseMs: 1000, maxMs: 60_000, jitter: 0 },
      worker: () => {
        times.push(vc.now());
        return Promise.resolve(outcomes.shift() ?? { kind: 'stop' });
      },
    });
    const t0 = vc.now();
    q.add('a');
    await flush();
    for (const step of [1000, 2000, 4000]) {
      expect(q.dueAt('a')).toBe(vc.now() + step);
      await vc.advance(step);
      await flush();
    }
    // the 4th run succeeded: failures forgotten, nothing due
    expect(q.failures('a')).toBe(0);
    expect(q.dueAt('a')).toBeUndefined();
    q.add('a'); // fails again: back to the base delay
    await flush();
    expect(q.dueAt('a')).toBe(vc.now() + 1000);
    expect(times.map((t) => t - t0)).toEqual([0, 1000, 3000, 7000, 7000]);
  });

  it('applies jitter within the configured fraction and caps the delay', () => {
    const opts = { baseMs: 1000, maxMs: 10_000, jitter: 0.2 };
    expect(backoffDelay(1, opts, () => 0)).toBe(1000);
    expect(backoffDelay(1, opts, () => 0.5)).toBe(900);
    expect(backoffDelay(2, opts, () => 0.999)).toBe(1600);
    expect(backoffDelay(50, opts, () => 0)).toBe(10_000);
    expect(backoffDelay(5000, opts, () => 0)).toBe(10_000);
  });

  it('requeues after the wait delay without growing the backoff, and does not requeue on stop', async () => {
    const { vc, clock } = manualClock();
    const outcomes: WorkOutcome[] = [
      { kind: 'wait', requeueAfterMs: 5000 },
      { kind: 'wait', requeueAfterMs: 5000 },
      { kind: 'stop' },
    ];
    let runs = 0;
    const q = new WorkQueue({
      clock,
      worker: () => {
        runs++;
        return Promise.resolve(outcomes.shift() ?? { kind: 'done' });
      },
    });
    q.add('a');
    await flush();
    expect(q.dueAt('a')).toBe(vc.now() + 5000);
    await vc.advance(5000);
    await flush();
    expect(q.dueAt('a')).toBe(vc.now() + 5000);
    expect(q.failures('a')).toBe(0);
    await vc.advance(5000);
    await flush();
    expect(runs).toBe(3);
    expect(q.dueAt('a')).toBeUndefined();
    await vc.advance(60_000);
    expect(runs).toBe(3);
  });

  it('keeps the earliest delayed add, and an immediate add supersedes a delayed one', async () => {
    const { vc, clock } = manualClock();
    let runs = 0;
    const q = new WorkQueue({ clock, worker: () => (runs++, Promise.resolve({ kind: 'stop' })) });
    q.addAfter('a', 10_000);
    q.addAfter('a', 3000);
    q.addAfter('a', 8000);
    expect(q.dueAt('a')).toBe(vc.now() + 3000);
    await vc.advance(3000);
    await flush();
    expect(runs).toBe(1);
    await vc.advance(10_000);
    expect(runs).toBe(1);
    q.addAfter('b', 5000);
    q.add('b');
    await flush();
    expect(runs).toBe(2);
    await vc.advance(5000);
    expect(runs).toBe(2);
  });

  it('treats a thrown error as a retry', async () => {
    const { vc, clock } = manualClock();
    const q = new WorkQueue({
      clock,
      backoff: { baseMs: 500, maxMs: 1000, jitter: 0 },
      worker: () => Promise.reject(new Error('boom')),
    });
    q.add('a');
    await flush();
    expect(q.failures('a')).toBe(1);
    expect(q.dueAt('a')).toBe(vc.now() + 500);
  });

  it('aborts a pass that runs past the pass timeout and retries it', async () => {
    const { vc, clock } = manualClock();
    const reasons: unknown[] = [];
    const finished: boolean[] = [];
    const q = new WorkQueue({
      clock,
      passTimeoutMs: 2000,
      backoff: { baseMs: 1000, maxMs: 1000, jitter: 0 },
      observer: { finished: (_k, _o, _d, timedOut) => finished.push(timedOut) },
      worker: (_key, signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            resolve({ kind: 'done' });
          });
        }),
    });
    q.add('a');
    await vc.advance(1999);
    expect(reasons).toHaveLength(0);
    await vc.advance(1);
    await flush();
    expect(reasons[0]).toBeInstanceOf(PassTimeoutError);
    expect(finished).toEqual([true]);
    expect(q.failures('a')).toBe(1);
    await q.shutDown(0);
  });

  it('on shutdown lets a pass finish within the grace time, abandons one that does not, and starts nothing new', async () => {
    const { vc, clock } = manualClock();
    const gate = deferred();
    const reasons: unknown[] = [];
    let runs = 0;
    const q = new WorkQueue({
      clock,
      worker: async (key, signal) => {
        runs++;
        if (key === 'quick') {
          await gate.promise;
          return { kind: 'done', requeueAfterMs: 1000 };
        }
        return new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            resolve({ kind: 'retry' });
          }),
        );
      },
    });
    q.add('quick');
    q.add('stuck');
    q.addAfter('later', 100);
    const stopping = q.shutDown(5000);
    gate.resolve();
    await flush();
    await vc.advance(5000);
    const { abandoned } = await stopping;
    expect(abandoned).toEqual(['stuck']);
    expect(reasons[0]).toBeInstanceOf(ShutdownError);
    q.add('new');
    await vc.advance(10_000);
    expect(runs).toBe(2);
  });

  it('rejects a bad configuration with a clear error', () => {
    const { clock } = manualClock();
    const worker = () => Promise.resolve({ kind: 'done' } as const);
    expect(() => new WorkQueue({ clock, worker, concurrency: 0 })).toThrow(/concurrency/);
    expect(() => new WorkQueue({ clock, worker, backoff: { baseMs: 0, maxMs: 1, jitter: 0 } })).toThrow(
      /baseMs/,
    );
    expect(() => new WorkQueue({ clock, worker, backoff: { baseMs: 1, maxMs: 1, jitter: 1 } })).toThrow(
      /jitter/,
    );
  });
});
