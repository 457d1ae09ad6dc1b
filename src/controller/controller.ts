/**
 * The controller: polls the source, keeps the desired state, and runs one level-based pass per cluster
 * through the work queue. A pass:
 *
 *   lease held? ──no──► wait (another controller acts) and look again when it may expire
 *        │ yes
 *   observe (batched across the clusters of the pass group) ──► each concern plans and acts
 *        ──► member rows ──► status (written only when it changed) ──► events and metrics
 *
 * and its outcome drives the queue: success requeues after the resync interval (with jitter), a wait
 * after its delay, a retryable error after the key's backoff; invalid input and fatal errors stop the
 * cluster until its document changes. Every pass counts its AWS calls. `stop()` is the SIGTERM path:
 * no new passes, the pass in flight finishes or is abandoned, leases are released, events and metrics
 * are flushed, all within the stop timeout.
 */
import type { CallCounter, CallCounts } from '../aws/call-counter.js';
import { addCounts, emptyCounts } from '../aws/call-counter.js';
import type { ObserveTarget } from '../aws/observe.js';
import type { ReconcileError } from '../model/errors.js';
import { RetryableError, WaitError, classifyError } from '../model/errors.js';
import type { ObservedCluster } from '../model/observed.js';
import { emptyObservedCluster } from '../model/observed.js';
import type { MemberStatus } from '../model/status.js';
import { memberServices, memberStatuses, membersUp } from '../reconcilers/members.js';
import { logGroupName } from '../reconcilers/log-group/plan.js';
import { mergeResults } from '../reconcilers/run.js';
import type {
  ClusterEvents,
  EventExtra,
  ExecutedAction,
  Hold,
  ReconcileContext,
  ReconcileResult,
  LifecycleHookDeadline,
  Reconciler,
} from '../reconcilers/types.js';
import type { BackoffOptions } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import { timeoutSignal } from './clock.js';
import type { DesiredCluster } from './desired.js';
import { DesiredState } from './desired.js';
import type { EventRecorder } from './events.js';
import type { Leases } from './lease.js';
import type { ControllerMetrics, ReconcileResultLabel } from './metrics.js';
import type { ObserveFn } from './observation.js';
import { ObservationBatcher } from './observation.js';
import type { WorkOutcome } from './queue.js';
import { WorkQueue } from './queue.js';
import type { Source } from './sources/types.js';
import type { StatusBoard, PassSummary } from './status.js';
import { computeStatus } from './status.js';

export interface ControllerOptions {
  clock: Clock;
  source: Source;
  pollIntervalMs: number;
  /** Requeue after a successful pass (drift detection), jittered down by up to 10 %. */
  resyncIntervalMs: number;
  leases: Leases;
  /** How often held leases are checked for renewal (they renew after a third of their TTL). */
  leaseCheckIntervalMs: number;
  status: StatusBoard;
  /** The batched observer; without one, passes see an empty world (file sources in development). */
  observe?: ObserveFn;
  reconcilers: Reconciler[];
  events: EventRecorder;
  metrics: ControllerMetrics;
  counter: CallCounter;
  concurrency?: number;
  passTimeoutMs?: number;
  pollTimeoutMs?: number;
  backoff?: BackoffOptions;
  random?: () => number;
  /** How often events and metrics are flushed to CloudWatch. */
  flushIntervalMs?: number;
  /** Extra flushes (the CloudWatch metrics writer). */
  flushers?: ((signal?: AbortSignal) => Promise<void>)[];
  /** Emit a PassSummary event after every pass (AWS calls by operation, duration). */
  debugEvents?: boolean;
  /** Diagnostic log lines (stderr), never events. */
  log?: (line: string) => void;
}

export interface PassResult {
  cluster: string;
  revision?: string;
  startedAt: number;
  durationMs: number;
  outcome: WorkOutcome;
  result: ReconcileResultLabel;
  lease: { held: boolean; generation: number; holder?: string | null };
  actions: ExecutedAction[];
  drift: number;
  holds: Hold[];
  /** Every AWS call of the pass: its own, plus the whole shared observation of its group. */
  awsCalls: CallCounts;
  /** The shared observation, and how many clusters shared it. */
  observation?: { groupSize: number; calls: CallCounts };
  error?: { kind: string; reason: string; message: string };
  statusWritten: boolean;
  /** Health figures of the observed cluster: members running (ECS, or Neo4j once observed over Bolt), databases with a leader. */
  health?: { membersUp: number; databasesWithLeader?: number };
  /** Instances waiting on the operator's lifecycle hook, with the seconds left before it would ABANDON. */
  lifecycleHooks?: LifecycleHookDeadline[];
}

export interface StopReport {
  abandoned: string[];
  released: string[];
  timedOut: boolean;
}

type PartialPass = Omit<PassResult, 'startedAt' | 'durationMs' | 'awsCalls'>;

const NOTHING_DONE = { actions: [], drift: 0, holds: [], statusWritten: false };

export class Controller {
  readonly desired = new DesiredState();
  readonly queue: WorkQueue;
  private readonly batcher: ObservationBatcher | undefined;
  private readonly passes = new Map<string, PassResult>();
  private readonly generations = new Map<string, number>();
  private readonly timers: TimerHandle[] = [];
  private readonly random: () => number;
  private stopping = false;
  private firstPollDone = false;
  private lastPollError: string | undefined;
  private sourceRevision: string | undefined;
  private passWaiters: { key: string; resolve(r: PassResult): void }[] = [];

  constructor(private readonly o: ControllerOptions) {
    this.random = o.random ?? Math.random;
    this.queue = new WorkQueue({
      clock: o.clock,
      worker: (key, signal) => this.pass(key, signal),
      concurrency: o.concurrency ?? 4,
      passTimeoutMs: o.passTimeoutMs ?? 300_000,
      ...(o.backoff ? { backoff: o.backoff } : {}),
      random: this.random,
      observer: o.metrics.queueObserver(),
    });
    this.batcher = o.observe ? new ObservationBatcher(o.observe, o.counter) : undefined;
    o.events.onEvent((e) => o.metrics.event(e.type, e.reason));
    o.counter.onCall((service, operation) => o.metrics.awsCall(service, operation));
  }

  /** Polls the source once, then keeps polling, renewing leases and flushing on their intervals. */
  async start(): Promise<void> {
    await this.pollOnce();
    this.every(this.o.pollIntervalMs, () => this.pollOnce());
    this.every(this.o.leaseCheckIntervalMs, () => this.o.leases.renewDue());
    this.every(this.o.flushIntervalMs ?? 5000, () => this.flush());
  }

  /** Ready once the source has been read and until stop() starts. */
  ready(): boolean {
    return this.firstPollDone && !this.stopping;
  }

  health(): { ready: boolean; stopping: boolean; sourceRevision?: string; lastPollError?: string } {
    return {
      ready: this.ready(),
      stopping: this.stopping,
      ...(this.sourceRevision !== undefined ? { sourceRevision: this.sourceRevision } : {}),
      ...(this.lastPollError !== undefined ? { lastPollError: this.lastPollError } : {}),
    };
  }

  lastPass(cluster: string): PassResult | undefined {
    return this.passes.get(cluster);
  }

  /** Resolves with the next pass of `cluster` that finishes (tests and tools). */
  nextPass(cluster: string): Promise<PassResult> {
    return new Promise((resolve) => this.passWaiters.push({ key: cluster, resolve }));
  }

  clusters(): string[] {
    return this.desired.names();
  }

  /** Reads the source; queues every cluster whose desired state or attempted revision changed. */
  async pollOnce(): Promise<void> {
    if (this.stopping) return;
    const { signal, dispose } = timeoutSignal(this.o.clock, this.o.pollTimeoutMs ?? 120_000);
    try {
      const res = await this.o.source.poll(signal);
      this.firstPollDone = true;
      this.lastPollError = undefined;
      this.o.metrics.poll(res.changed ? 'changed' : 'unchanged');
      if (!res.changed) {
        this.sourceRevision = res.revision;
        return;
      }
      this.sourceRevision = res.snapshot.revision;
      const { changed, findings } = this.desired.apply(res.snapshot);
      for (const f of findings)
        this.o.events.emit({
          cluster: f.cluster,
          revision: f.revision,
          type: f.type,
          reason: f.reason,
          message: f.message,
        });
      for (const name of changed) {
        this.queue.forget(name);
        this.queue.add(name);
      }
    } catch (e) {
      this.o.metrics.poll('error');
      const message = e instanceof Error ? e.message : String(e);
      this.lastPollError = message;
      this.o.events.emit({
        cluster: '',
        type: 'Warning',
        reason: 'SourceUnavailable',
        message: `reading ${this.o.source.display} failed: ${message}; the last valid revisions stay in force`,
      });
    } finally {
      dispose();
    }
  }

  /** Sends buffered events and metrics. */
  async flush(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.o.events.flush(), ...(this.o.flushers ?? []).map((f) => f(signal))]);
  }

  /**
   * The SIGTERM path: stop polling and starting passes, give the pass in flight until 60 % of the
   * timeout to finish (then abandon it), release the leases, flush events and metrics. Resolves within
   * about `timeoutMs`.
   */
  async stop(timeoutMs: number): Promise<StopReport> {
    const started = this.o.clock.now();
    this.stopping = true;
    for (const t of this.timers) t.cancel();
    this.timers.length = 0;
    const { abandoned } = await this.queue.shutDown(Math.floor(timeoutMs * 0.6), Math.floor(timeoutMs * 0.1));
    const left = (): number => Math.max(100, timeoutMs - (this.o.clock.now() - started));
    const { signal, dispose } = timeoutSignal(this.o.clock, Math.floor(left() * 0.6));
    let released: string[] = [];
    try {
      released = await this.o.leases.releaseAll(signal);
    } catch (e) {
      this.o.log?.(`releasing leases failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      dispose();
    }
    for (const cluster of released)
      this.o.events.emit({
        cluster,
        type: 'Normal',
        reason: 'LeaseReleased',
        message: `controller ${this.o.leases.holderId} is stopping and released the lease`,
        ...(this.generations.get(cluster) !== undefined
          ? { generation: this.generations.get(cluster) as number }
          : {}),
      });
    const flushing = timeoutSignal(this.o.clock, left());
    let timedOut = false;
    try {
      await Promise.race([
        this.flush(flushing.signal),
        new Promise<void>((_, reject) =>
          flushing.signal.addEventListener('abort', () => reject(new Error('flush timed out'))),
        ),
      ]);
    } catch {
      timedOut = true;
    } finally {
      flushing.dispose();
    }
    return { abandoned, released, timedOut };
  }

  private every(ms: number, fn: () => Promise<unknown>): void {
    const slot = this.timers.length;
    const schedule = (): void => {
      if (this.stopping) return;
      this.timers[slot] = this.o.clock.setTimer(() => {
        void fn()
          .catch((e: unknown) =>
            this.o.log?.(`background task failed: ${e instanceof Error ? e.message : String(e)}`),
          )
          .finally(schedule);
      }, ms);
    };
    schedule();
  }

  /** One pass for one cluster: the queue's worker. */
  private async pass(key: string, signal: AbortSignal): Promise<WorkOutcome> {
    const startedAt = this.o.clock.now();
    let observation: PassResult['observation'];
    const setObservation = (o: NonNullable<PassResult['observation']>): void => {
      observation = o;
    };
    const scoped = await this.o.counter.scopeSettled(() =>
      this.reconcileCluster(key, signal, setObservation),
    );
    const partial: PartialPass = scoped.ok ? scoped.value : this.crashed(key, classifyError(scoped.error));
    const awsCalls = addCounts(addCounts(emptyCounts(), scoped.calls), observation?.calls ?? emptyCounts());
    const result: PassResult = {
      ...partial,
      startedAt,
      durationMs: this.o.clock.now() - startedAt,
      awsCalls,
      ...(observation ? { observation } : {}),
    };
    this.passes.set(key, result);
    const desired = this.desired.get(key);
    this.o.metrics.pass({
      cluster: key,
      ...(desired ? { namespace: desired.cluster.spec.observability.namespace } : {}),
      result: result.result,
      ...(result.error ? { errorKind: result.error.kind as ReconcileError['kind'] } : {}),
      durationMs: result.durationMs,
      actions: result.actions.length,
      drift: result.drift,
      awsCalls: awsCalls.total,
      ...(result.health ? { membersUp: result.health.membersUp } : {}),
      ...(result.health?.databasesWithLeader !== undefined
        ? { databasesWithLeader: result.health.databasesWithLeader }
        : {}),
      timedOut: signal.aborted,
      ...(result.lease.held ? { lifecycleHooks: result.lifecycleHooks ?? [] } : {}),
      // CloudWatch gets a cluster's points from its lease holder only, so controllers do not double count.
      publish: result.lease.held,
    });
    if (this.o.debugEvents)
      this.o.events.emit({
        cluster: key,
        ...(result.revision !== undefined ? { revision: result.revision } : {}),
        type: 'Normal',
        reason: 'PassSummary',
        message: `pass ${result.result} in ${result.durationMs} ms: ${awsCalls.total} AWS calls (${Object.entries(
          awsCalls.byOperation,
        )
          .map(([op, n]) => `${op} ${n}`)
          .join(
            ', ',
          )})${observation && observation.groupSize > 1 ? `, observation shared by ${observation.groupSize} clusters` : ''}`,
      });
    const waiters = this.passWaiters.filter((w) => w.key === key);
    this.passWaiters = this.passWaiters.filter((w) => w.key !== key);
    for (const w of waiters) w.resolve(result);
    return result.outcome;
  }

  private crashed(key: string, err: ReconcileError): PartialPass {
    this.o.events.emit({ cluster: key, type: 'Warning', reason: err.reason, message: err.message });
    return {
      cluster: key,
      outcome: { kind: 'retry' },
      result: 'error',
      lease: { held: this.o.leases.current(key) !== undefined, generation: this.o.leases.current(key) ?? 0 },
      actions: [],
      drift: 0,
      holds: [],
      error: { kind: err.kind, reason: err.reason, message: err.message },
      statusWritten: false,
    };
  }

  private jittered(ms: number): number {
    return Math.max(1, Math.round(ms * (1 - 0.1 * this.random())));
  }

  private clusterEvents(key: string, revision: string | undefined): ClusterEvents {
    const emit = (
      type: 'Normal' | 'Warning',
      reason: string,
      message: string,
      extra: EventExtra = {},
    ): void => {
      this.o.events.emit({
        cluster: key,
        ...(revision !== undefined ? { revision } : {}),
        type,
        reason,
        message,
        ...extra,
      });
    };
    return {
      normal: (reason, message, extra) => emit('Normal', reason, message, extra),
      warning: (reason, message, extra) => emit('Warning', reason, message, extra),
    };
  }

  private async reconcileCluster(
    key: string,
    signal: AbortSignal,
    setObservation: (o: NonNullable<PassResult['observation']>) => void,
  ): Promise<PartialPass> {
    const desired = this.desired.get(key);
    const attempt = this.desired.attempted(key);
    const revision = desired?.revision ?? attempt?.revision;
    const base = { cluster: key, ...(revision !== undefined ? { revision } : {}), ...NOTHING_DONE };
    if (!desired && !attempt)
      return { ...base, outcome: { kind: 'stop' }, result: 'success', lease: { held: false, generation: 0 } };
    const events = this.clusterEvents(key, revision);
    const gate = await this.leaseGate(key, events, signal);
    if ('notHeld' in gate) return { ...base, ...gate.notHeld };
    const { generation } = gate;
    const prev = await this.o.status.previous(key, signal);
    const lease = { held: true, generation };
    const writeStatus = (pass: PassSummary, d: DesiredCluster | undefined): Promise<boolean> =>
      this.o.status.put(
        computeStatus({
          name: key,
          prev,
          desired: d,
          attempt,
          pass,
          holder: this.o.leases.holderId,
          generation,
          now: this.o.clock.now(),
        }),
        this.statusMeta(generation),
        signal,
      );
    if (!desired) {
      // Only invalid revisions seen: nothing to apply; say so in status.
      const statusWritten = await writeStatus({ actions: [], holds: [] }, undefined);
      return { ...base, statusWritten, outcome: { kind: 'stop' }, result: 'success', lease };
    }
    const { result, members, health, err } = await this.runConcerns(
      key,
      desired,
      generation,
      events,
      signal,
      setObservation,
    );
    const statusWritten = signal.aborted
      ? false
      : await writeStatus(
          {
            actions: result.actions,
            holds: result.holds,
            ...(members ? { members } : {}),
            ...(result.roll ? { roll: result.roll } : {}),
            ...(err ? { error: err } : {}),
          },
          desired,
        );
    this.reportPass(events, desired, prev?.lastAppliedRevision, result, err, generation);
    return {
      ...base,
      revision: desired.revision,
      ...this.outcomeOf(result, err),
      lease,
      actions: result.actions,
      drift: result.drift,
      holds: result.holds,
      ...(err ? { error: { kind: err.kind, reason: err.reason, message: err.message } } : {}),
      statusWritten,
      ...(health ? { health } : {}),
      ...(result.lifecycleHooks ? { lifecycleHooks: result.lifecycleHooks } : {}),
    };
  }

  /** Acquires or renews the lease; says whether this controller may act, with events on changes of hands. */
  private async leaseGate(
    key: string,
    events: ClusterEvents,
    signal: AbortSignal,
  ): Promise<{ generation: number } | { notHeld: Pick<PartialPass, 'outcome' | 'result' | 'lease'> }> {
    const lease = await this.o.leases.ensure(key, signal);
    this.o.metrics.lease(key, lease.held, lease.generation);
    const known = this.generations.get(key);
    if (!lease.held) {
      const by = `${lease.holder ?? 'nobody'} (generation ${lease.generation})`;
      if (known !== undefined) {
        events.warning('LeaseLost', `lease now held by ${by}; not acting`);
        this.generations.delete(key);
        this.o.status.invalidate(key);
      } else
        events.normal('LeaseHeldElsewhere', `lease held by ${by}; another controller acts on this cluster`);
      const after = Math.min(lease.retryAfterMs + Math.round(250 * this.random()), this.o.resyncIntervalMs);
      return {
        notHeld: {
          outcome: { kind: 'wait', requeueAfterMs: after },
          result: 'requeue_after',
          lease: { held: false, generation: lease.generation, holder: lease.holder },
        },
      };
    }
    if (known !== lease.generation) {
      this.generations.set(key, lease.generation);
      this.o.status.invalidate(key);
      events.normal(
        'LeaseAcquired',
        `controller ${this.o.leases.holderId} holds the lease (generation ${lease.generation})`,
        {
          generation: lease.generation,
        },
      );
    }
    return { generation: lease.generation };
  }

  /** Observe, then every concern in order (stopping at a wait or a block); errors come back typed. */
  private async runConcerns(
    key: string,
    desired: DesiredCluster,
    generation: number,
    events: ClusterEvents,
    signal: AbortSignal,
    setObservation: (o: NonNullable<PassResult['observation']>) => void,
  ): Promise<{
    result: ReconcileResult;
    members?: MemberStatus[];
    health?: PassResult['health'];
    err?: ReconcileError;
  }> {
    let result: ReconcileResult = { actions: [], drift: 0, holds: [] };
    let members: MemberStatus[] | undefined;
    let health: PassResult['health'];
    try {
      const observed = await this.observe(desired, signal, setObservation);
      members = memberStatuses(desired.cluster, observed);
      health = observed.neo4j
        ? { membersUp: observed.neo4j.membersUp, databasesWithLeader: observed.neo4j.databasesWithLeader }
        : { membersUp: membersUp(members) };
      const ctx: ReconcileContext = {
        name: key,
        cluster: desired.cluster,
        revision: desired.revision,
        observed,
        clock: this.o.clock,
        events,
        signal,
        generation,
        assertLease: () => {
          if (this.o.leases.current(key) !== generation)
            throw new RetryableError(
              'LeaseLost',
              `the lease of ${key} (generation ${generation}) is no longer held; stopping before the next action`,
            );
        },
      };
      for (const r of this.o.reconcilers) {
        const part = await r.reconcile(ctx);
        result = mergeResults(result, part);
        if (part.holds.some((h) => h.kind === 'wait' || h.kind === 'blocked')) break;
      }
      if (result.neo4j) {
        // The concerns observed the members over Bolt: the rows gain versions and leaderships.
        const withNeo4j: ObservedCluster = { ...observed, neo4j: result.neo4j };
        members = memberStatuses(desired.cluster, withNeo4j);
        health = { membersUp: result.neo4j.membersUp, databasesWithLeader: result.neo4j.databasesWithLeader };
      }
      if (signal.aborted) return { result, members, health, err: classifyError(signal.reason) };
      return { result, members, health };
    } catch (e) {
      return {
        result,
        ...(members ? { members } : {}),
        ...(health ? { health } : {}),
        err: classifyError(e),
      };
    }
  }

  /** The pass's closing event: the error, or what was applied. Quiet when nothing changed. */
  private reportPass(
    events: ClusterEvents,
    desired: DesiredCluster,
    prevApplied: string | undefined,
    result: ReconcileResult,
    err: ReconcileError | undefined,
    generation: number,
  ): void {
    if (err instanceof WaitError)
      events.normal(err.reason, err.message, err.member !== undefined ? { member: err.member } : {});
    else if (err) events.warning(err.reason, `revision ${desired.revision}: ${err.message}`);
    else if (result.actions.length > 0 || prevApplied !== desired.revision) {
      const next = result.requeueAfterMs ?? this.o.resyncIntervalMs;
      const holds = result.holds.length ? `, ${result.holds.length} hold(s)` : '';
      events.normal(
        'ReconciliationSucceeded',
        `revision ${desired.revision} applied: ${result.actions.length} action(s)${holds}; next run in ${Math.round(next / 1000)}s`,
        { generation },
      );
    }
  }

  /** What the queue does next, and the controller-runtime result label. */
  private outcomeOf(
    result: ReconcileResult,
    err: ReconcileError | undefined,
  ): Pick<PartialPass, 'outcome' | 'result'> {
    if (!err) {
      const requeueAfterMs = Math.min(
        result.requeueAfterMs ?? Infinity,
        this.jittered(this.o.resyncIntervalMs),
      );
      return {
        outcome: { kind: 'done', requeueAfterMs },
        result: result.requeueAfterMs !== undefined ? 'requeue_after' : 'success',
      };
    }
    if (err instanceof WaitError)
      return { outcome: { kind: 'wait', requeueAfterMs: err.requeueAfterMs }, result: 'requeue_after' };
    return { outcome: err.kind === 'retry' ? { kind: 'retry' } : { kind: 'stop' }, result: 'error' };
  }

  private statusMeta(generation: number): Record<string, string> {
    return { holder: this.o.leases.holderId, generation: String(generation) };
  }

  private async observe(
    desired: DesiredCluster,
    signal: AbortSignal,
    setObservation: (o: NonNullable<PassResult['observation']>) => void,
  ): Promise<ObservedCluster> {
    if (!this.batcher) return emptyObservedCluster(desired.name, this.o.clock.now());
    const target: ObserveTarget = {
      name: desired.name,
      ecsCluster: desired.cluster.spec.ecs.cluster,
      services: memberServices(desired.cluster),
      logGroup: logGroupName(desired.cluster),
    };
    const o = await this.batcher.request(target, signal);
    setObservation({ groupSize: o.groupSize, calls: o.calls });
    return o.observed;
  }
}
