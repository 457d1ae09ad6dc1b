/**
 * Batches observation across clusters: passes that ask to be observed in the same turn of the event
 * loop (a pass group, e.g. every cluster at a resync) share one batched observation, so DescribeServices,
 * DescribeTasks, DescribeContainerInstances and DescribeVolumes calls are shared between them. The
 * calls of a shared observation are counted once, in their own scope, and reported to every pass of
 * the group with the group size.
 */
import type { CallCounter, CallCounts } from '../aws/call-counter.js';
import { emptyCounts } from '../aws/call-counter.js';
import type { ObserveTarget } from '../aws/observe.js';
import type { ObservedCluster } from '../model/observed.js';

export type ObserveFn = (
  targets: ObserveTarget[],
  signal: AbortSignal,
) => Promise<Map<string, ObservedCluster>>;

export interface Observation {
  observed: ObservedCluster;
  /** AWS calls of the (possibly shared) observation. */
  calls: CallCounts;
  /** Clusters observed together. */
  groupSize: number;
}

interface Waiter {
  target: ObserveTarget;
  signal: AbortSignal;
  resolve(o: Observation): void;
  reject(e: unknown): void;
}

export class ObservationBatcher {
  private waiting: Waiter[] = [];
  private scheduled = false;

  constructor(
    private readonly observe: ObserveFn,
    private readonly counter?: CallCounter,
  ) {}

  request(target: ObserveTarget, signal: AbortSignal): Promise<Observation> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ target, signal, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.run());
    });
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    const group = this.waiting.filter((w) => !w.signal.aborted);
    for (const w of this.waiting) if (w.signal.aborted) w.reject(w.signal.reason);
    this.waiting = [];
    if (group.length === 0) return;
    // The group's signal aborts only when every member's pass has aborted.
    const ctl = new AbortController();
    let live = group.length;
    for (const w of group)
      w.signal.addEventListener(
        'abort',
        () => {
          if (--live === 0) ctl.abort(w.signal.reason);
        },
        { once: true },
      );
    const targets = group.map((w) => w.target);
    const run = (): Promise<Map<string, ObservedCluster>> => this.observe(targets, ctl.signal);
    let result: Map<string, ObservedCluster>;
    let calls = emptyCounts();
    try {
      if (this.counter) {
        const settled = await this.counter.scopeSettled(run, { isolated: true });
        calls = settled.calls;
        if (!settled.ok) throw settled.error;
        result = settled.value;
      } else result = await run();
    } catch (e) {
      for (const w of group) w.reject(e);
      return;
    }
    for (const w of group) {
      const observed = result.get(w.target.name);
      if (observed) w.resolve({ observed, calls, groupSize: group.length });
      else w.reject(new Error(`observation returned nothing for ${w.target.name}`));
    }
  }
}
