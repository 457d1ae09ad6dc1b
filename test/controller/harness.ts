/** Builds a Controller over in-memory parts (memory S3, manual clock, fake observer) for unit tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallCounter } from '../../src/aws/call-counter.js';
import type { ObserveTarget } from '../../src/aws/observe.js';
import { Controller } from '../../src/controller/controller.js';
import { EventRecorder, MemorySink } from '../../src/controller/events.js';
import { S3Leases } from '../../src/controller/lease.js';
import { ControllerMetrics } from '../../src/controller/metrics.js';
import { FileSource } from '../../src/controller/sources/file.js';
import { StatusBoard } from '../../src/controller/status.js';
import type { ObservedCluster } from '../../src/model/observed.js';
import type { Reconciler } from '../../src/reconcilers/types.js';
import { manualClock } from './helpers.js';
import { MemoryStore } from './memory-store.js';

export function world(name: string, over: Partial<ObservedCluster> = {}): ObservedCluster {
  return {
    name,
    observedAt: 0,
    ecsClusterFound: true,
    services: {},
    tasks: [],
    containerInstances: {},
    volumes: [],
    logGroup: { name: `/neo4j-ecs/${name}` },
    ...over,
  };
}

export interface Harness {
  controller: Controller;
  metrics: ControllerMetrics;
  store: MemoryStore;
  sink: MemorySink;
  dir: string;
  file: string;
  observed: ObserveTarget[][];
  write(text: string): void;
  cleanup(): void;
}

export function harness(
  opts: {
    reconcilers?: Reconciler[];
    store?: MemoryStore;
    holderId?: string;
    clock?: ReturnType<typeof manualClock>;
    observe?: (t: ObserveTarget) => ObservedCluster;
    dir?: string;
  } = {},
): Harness & { vc: ReturnType<typeof manualClock>['vc'] } {
  const { vc, clock } = opts.clock ?? manualClock();
  const store = opts.store ?? new MemoryStore();
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'neo4j-ecs-ctl-'));
  const file = join(dir, 'clusters.yaml');
  const sink = new MemorySink();
  const holderId = opts.holderId ?? 'ctl-a';
  const events = new EventRecorder({ clock, controller: holderId, sinks: [sink] });
  const metrics = new ControllerMetrics({ clock, namespace: 'Test', processMetrics: false });
  const observed: ObserveTarget[][] = [];
  const controller = new Controller({
    clock,
    source: new FileSource(file),
    pollIntervalMs: 5000,
    resyncIntervalMs: 60_000,
    leases: new S3Leases({ store, bucket: 'bkt', folder: 'p/', holderId, ttlMs: 15_000, clock }),
    leaseCheckIntervalMs: 2500,
    status: new StatusBoard({ store, bucket: 'bkt', folder: 'p/' }),
    observe: (targets) => {
      observed.push(targets);
      return Promise.resolve(
        new Map(targets.map((t) => [t.name, opts.observe ? opts.observe(t) : world(t.name)])),
      );
    },
    reconcilers: opts.reconcilers ?? [],
    events,
    metrics,
    counter: new CallCounter(),
    random: () => 0,
    backoff: { baseMs: 1000, maxMs: 60_000, jitter: 0 },
  });
  return {
    vc,
    controller,
    metrics,
    store,
    sink,
    dir,
    file,
    observed,
    write: (text) => writeFileSync(file, text),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
