/**
 * The controller's metrics, in two places:
 *
 * - Prometheus text on `/metrics` (prom-client, its own registry), with controller-runtime's names
 *   where they fit (`controller_runtime_reconcile_total{controller,result}`,
 *   `controller_runtime_reconcile_time_seconds`, `workqueue_depth`, `workqueue_adds_total`,
 *   `workqueue_retries_total`, …; every result series created at 0) and `neo4j_ecs_*` for the rest;
 * - CloudWatch data points per pass (ReconcileDuration, ReconcileCount, ReconcileErrors, Actions,
 *   AwsCalls, Drift, MembersUp, DatabasesWithLeader, and LifecycleHookSecondsLeft per instance being
 *   drained), handed to a `PointSink` that batches PutMetricData, under the cluster's namespace
 *   (spec.observability.namespace) or the controller's.
 */
import type { StandardUnit } from '@aws-sdk/client-cloudwatch';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Point } from '../aws/metrics-sink.js';
import type { ErrorKind } from '../model/errors.js';
import type { Clock } from './clock.js';
import type { QueueObserver, WorkOutcome } from './queue.js';

export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

export interface PassMetrics {
  cluster: string;
  /** The cluster's CloudWatch namespace, when its spec is known. */
  namespace?: string;
  result: ReconcileResultLabel;
  errorKind?: ErrorKind;
  durationMs: number;
  actions: number;
  drift: number;
  awsCalls: number;
  membersUp?: number;
  databasesWithLeader?: number;
  timedOut?: boolean;
  /** Send CloudWatch points for this pass (false for passes that only found another controller's lease). */
  publish?: boolean;
  /**
   * Instances of the cluster waiting on the operator's lifecycle hook, with the seconds left before the
   * hook would time out into ABANDON; undefined leaves the last figures (a pass that did not hold the lease).
   */
  lifecycleHooks?: { instanceId: string; autoScalingGroupName: string; secondsLeft: number }[];
}

export interface PointSink {
  add(p: Point): void;
}

/** controller-runtime's reconcile-time buckets (5 ms … 60 s). */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
const QUEUE_BUCKETS = [0.001, 0.01, 0.1, 1, 10, 100, 1000];

export interface ControllerMetricsOptions {
  clock: Clock;
  /** The controller label. Default `neo4jcluster`. */
  controller?: string;
  /** The namespace for points of clusters whose spec is not known. */
  namespace: string;
  cloudwatch?: PointSink;
  maxConcurrentReconciles?: number;
  /** Also export Node process metrics. Default true. */
  processMetrics?: boolean;
}

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly labels: { controller: string };
  private readonly q: { name: string; controller: string };
  private readonly reconcileTotal: Counter<'controller' | 'result'>;
  private readonly reconcileErrors: Counter<'controller'>;
  private readonly terminalErrors: Counter<'controller'>;
  private readonly timeouts: Counter<'controller'>;
  private readonly reconcileTime: Histogram<'controller'>;
  private readonly activeWorkers: Gauge<'controller'>;
  private readonly depth: Gauge<'name' | 'controller'>;
  private readonly adds: Counter<'name' | 'controller'>;
  private readonly retries: Counter<'name' | 'controller'>;
  private readonly queueDuration: Histogram<'name' | 'controller'>;
  private readonly workDuration: Histogram<'name' | 'controller'>;
  private readonly actions: Counter<'cluster'>;
  private readonly passCalls: Gauge<'cluster'>;
  private readonly awsCalls: Counter<'service' | 'operation'>;
  private readonly membersUp: Gauge<'cluster'>;
  private readonly dbLeaders: Gauge<'cluster'>;
  private readonly drift: Gauge<'cluster'>;
  private readonly leaseHeld: Gauge<'cluster'>;
  private readonly leaseGeneration: Gauge<'cluster'>;
  private readonly events: Counter<'type' | 'reason'>;
  private readonly polls: Counter<'result'>;
  private readonly hookSecondsLeft: Gauge<'cluster' | 'instance' | 'asg'>;
  /** Label sets of hookSecondsLeft per cluster, so instances no longer waiting are removed. */
  private readonly hookLabels = new Map<string, { cluster: string; instance: string; asg: string }[]>();

  constructor(private readonly opts: ControllerMetricsOptions) {
    const controller = opts.controller ?? 'neo4jcluster';
    this.labels = { controller };
    this.q = { name: controller, controller };
    const registers = [this.registry];
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    for (const result of ['success', 'error', 'requeue', 'requeue_after'] as const)
      this.reconcileTotal.inc({ controller, result }, 0);
    const perController = (name: string, help: string): Counter<'controller'> => {
      const c = new Counter({ name, help, labelNames: ['controller'], registers });
      c.inc(this.labels, 0);
      return c;
    };
    this.reconcileErrors = perController(
      'controller_runtime_reconcile_errors_total',
      'Total number of reconciliation errors per controller',
    );
    this.terminalErrors = perController(
      'controller_runtime_terminal_reconcile_errors_total',
      'Total number of terminal reconciliation errors (invalid input or fatal) per controller',
    );
    this.timeouts = perController(
      'controller_runtime_reconcile_timeouts_total',
      'Total number of reconciliations that timed out',
    );
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    }).set(this.labels, opts.maxConcurrentReconciles ?? 1);
    this.activeWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    });
    this.activeWorkers.set(this.labels, 0);
    const queueLabels = ['name', 'controller'] as const;
    this.depth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: queueLabels,
      registers,
    });
    this.depth.set(this.q, 0);
    this.adds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: queueLabels,
      registers,
    });
    this.adds.inc(this.q, 0);
    this.retries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: queueLabels,
      registers,
    });
    this.retries.inc(this.q, 0);
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: queueLabels,
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: queueLabels,
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.actions = new Counter({
      name: 'neo4j_ecs_reconcile_actions_total',
      help: 'Actions executed, per cluster',
      labelNames: ['cluster'],
      registers,
    });
    this.passCalls = new Gauge({
      name: 'neo4j_ecs_pass_aws_calls',
      help: 'AWS calls made by the last pass of each cluster',
      labelNames: ['cluster'],
      registers,
    });
    this.awsCalls = new Counter({
      name: 'neo4j_ecs_aws_calls_total',
      help: 'AWS SDK calls, by service and operation',
      labelNames: ['service', 'operation'],
      registers,
    });
    this.membersUp = new Gauge({
      name: 'neo4j_ecs_members_up',
      help: 'Members running, per cluster',
      labelNames: ['cluster'],
      registers,
    });
    this.dbLeaders = new Gauge({
      name: 'neo4j_ecs_databases_with_leader',
      help: 'Databases that have a leader, per cluster',
      labelNames: ['cluster'],
      registers,
    });
    this.drift = new Gauge({
      name: 'neo4j_ecs_drift',
      help: 'Actions the last pass planned (0 = the world matches the spec)',
      labelNames: ['cluster'],
      registers,
    });
    this.leaseHeld = new Gauge({
      name: 'neo4j_ecs_lease_held',
      help: '1 when this controller holds the cluster lease',
      labelNames: ['cluster'],
      registers,
    });
    this.leaseGeneration = new Gauge({
      name: 'neo4j_ecs_lease_generation',
      help: 'Generation of the cluster lease this controller last saw',
      labelNames: ['cluster'],
      registers,
    });
    this.events = new Counter({
      name: 'neo4j_ecs_events_total',
      help: 'Events recorded, by type and reason',
      labelNames: ['type', 'reason'],
      registers,
    });
    this.polls = new Counter({
      name: 'neo4j_ecs_source_polls_total',
      help: 'Source polls, by result',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['changed', 'unchanged', 'error']) this.polls.inc({ result }, 0);
    this.hookSecondsLeft = new Gauge({
      name: 'neo4j_ecs_lifecycle_hook_seconds_left',
      help: 'Seconds before the lifecycle hook of an instance being drained times out into ABANDON, as the controller knows it',
      labelNames: ['cluster', 'instance', 'asg'],
      registers,
    });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Hooks for the work queue. */
  queueObserver(): QueueObserver {
    return {
      added: () => this.adds.inc(this.q),
      depth: (n) => this.depth.set(this.q, n),
      retried: () => this.retries.inc(this.q),
      started: (_k, waitedMs) => this.queueDuration.observe(this.q, waitedMs / 1000),
      finished: (_k, _o: WorkOutcome, ms) => this.workDuration.observe(this.q, ms / 1000),
      activeWorkers: (n) => this.activeWorkers.set(this.labels, n),
    };
  }

  awsCall(service: string, operation: string): void {
    this.awsCalls.inc({ service, operation });
  }

  event(type: string, reason: string): void {
    this.events.inc({ type, reason });
  }

  poll(result: 'changed' | 'unchanged' | 'error'): void {
    this.polls.inc({ result });
  }

  lease(cluster: string, held: boolean, generation: number): void {
    this.leaseHeld.set({ cluster }, held ? 1 : 0);
    this.leaseGeneration.set({ cluster }, generation);
  }

  pass(p: PassMetrics): void {
    this.reconcileTotal.inc({ ...this.labels, result: p.result });
    if (p.result === 'error') this.reconcileErrors.inc(this.labels);
    if (p.errorKind === 'invalid' || p.errorKind === 'fatal') this.terminalErrors.inc(this.labels);
    if (p.timedOut) this.timeouts.inc(this.labels);
    this.reconcileTime.observe(this.labels, p.durationMs / 1000);
    const cluster = { cluster: p.cluster };
    this.actions.inc(cluster, p.actions);
    this.passCalls.set(cluster, p.awsCalls);
    this.drift.set(cluster, p.drift);
    if (p.membersUp !== undefined) this.membersUp.set(cluster, p.membersUp);
    if (p.databasesWithLeader !== undefined) this.dbLeaders.set(cluster, p.databasesWithLeader);
    if (p.lifecycleHooks) this.hooks(p.cluster, p.lifecycleHooks);
    if (p.publish ?? true) this.points(p);
  }

  private hooks(cluster: string, hooks: NonNullable<PassMetrics['lifecycleHooks']>): void {
    for (const labels of this.hookLabels.get(cluster) ?? []) this.hookSecondsLeft.remove(labels);
    const now = hooks.map((h) => ({ cluster, instance: h.instanceId, asg: h.autoScalingGroupName }));
    hooks.forEach((h, i) => this.hookSecondsLeft.set(now[i] as (typeof now)[number], h.secondsLeft));
    if (now.length > 0) this.hookLabels.set(cluster, now);
    else this.hookLabels.delete(cluster);
  }

  private points(p: PassMetrics): void {
    const sink = this.opts.cloudwatch;
    if (!sink) return;
    const timestamp = this.opts.clock.now();
    const namespace = p.namespace ?? this.opts.namespace;
    const add = (name: string, value: number, unit: StandardUnit, extra: Record<string, string> = {}): void =>
      sink.add({ namespace, name, value, unit, dimensions: { Cluster: p.cluster, ...extra }, timestamp });
    add('ReconcileDuration', p.durationMs, 'Milliseconds');
    add('ReconcileCount', 1, 'Count', { Result: p.result });
    add('ReconcileErrors', p.result === 'error' ? 1 : 0, 'Count');
    add('Actions', p.actions, 'Count');
    add('AwsCalls', p.awsCalls, 'Count');
    add('Drift', p.drift, 'Count');
    if (p.membersUp !== undefined) add('MembersUp', p.membersUp, 'Count');
    if (p.databasesWithLeader !== undefined) add('DatabasesWithLeader', p.databasesWithLeader, 'Count');
    for (const h of p.lifecycleHooks ?? [])
      add('LifecycleHookSecondsLeft', h.secondsLeft, 'Seconds', { InstanceId: h.instanceId });
  }

  /** The Prometheus exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
