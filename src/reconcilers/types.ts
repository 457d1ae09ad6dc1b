/**
 * The contract between the loop and the concerns that reconcile a cluster (controller-runtime's
 * Reconciler, with CNPG/Cluster API's planner–executor split):
 *
 * - a concern's `plan(desired, observed)` is pure: it returns ordered steps, each an `Action` to take
 *   (with the reason it is needed) or a `Hold` (a decision not to act: wait, blocked, refused);
 * - its `Reconciler.reconcile(ctx)` runs the plan through `runPlan`, which emits an event for every
 *   step, checks the lease before every action, and calls a thin executor (src/aws, src/neo4j) per
 *   action;
 * - it returns what it did, or throws a typed error (src/model/errors.ts) to say what the loop does next.
 */
import type { Clock } from '../controller/clock.js';
import type { Neo4jCluster } from '../model/cluster.js';
import type { ObservedCluster, ObservedNeo4j } from '../model/observed.js';
import type { RollStatus } from '../model/status.js';

/** Something to do. `type` names the action (CreateLogGroup); `reason` says why (LogGroupMissing). */
export interface Action {
  kind: 'act';
  /** UpperCamelCase action name, e.g. CreateLogGroup. */
  type: string;
  /** UpperCamelCase reason it is needed, e.g. LogGroupMissing. */
  reason: string;
  message: string;
  member?: string;
}

/** A decision not to act, with its reason. `wait` and `blocked` stop the rest of the plan. */
export interface Hold {
  kind: 'wait' | 'blocked' | 'refused';
  reason: string;
  message: string;
  member?: string;
  /** When to look again (wait and blocked). */
  requeueAfterMs?: number;
}

export type Step<A extends Action = Action> = A | Hold;

/** A pure planner: no I/O, no clock; the same inputs give the same steps. */
export type Planner<D, O, A extends Action = Action> = (desired: D, observed: O) => Step<A>[];

export interface EventExtra {
  member?: string;
  action?: string;
  generation?: number;
}

/** Events bound to the cluster and revision of the pass. */
export interface ClusterEvents {
  normal(reason: string, message: string, extra?: EventExtra): void;
  warning(reason: string, message: string, extra?: EventExtra): void;
}

export interface ReconcileContext {
  name: string;
  cluster: Neo4jCluster;
  revision: string;
  observed: ObservedCluster;
  clock: Clock;
  events: ClusterEvents;
  signal: AbortSignal;
  /** The lease generation this pass acts under; every mutating action's event carries it. */
  generation: number;
  /** Throws unless this controller still holds the lease; `runPlan` calls it before every action. */
  assertLease(): void;
}

export interface ExecutedAction {
  type: string;
  reason: string;
  member?: string;
}

export interface ReconcileResult {
  actions: ExecutedAction[];
  /** Steps planned that were actions: 0 means this concern matches the spec. */
  drift: number;
  holds: Hold[];
  requeueAfterMs?: number;
  /** What the concern saw over Bolt in this pass; the loop puts it in the status rows and health. */
  neo4j?: ObservedNeo4j;
  /** The roll in progress, for the status (src/reconcilers/roll). */
  roll?: RollStatus;
  /** Instances waiting on the operator's lifecycle hook, and time left before it would ABANDON (metrics). */
  lifecycleHooks?: LifecycleHookDeadline[];
}

export interface LifecycleHookDeadline {
  instanceId: string;
  autoScalingGroupName: string;
  /** Seconds before the hook times out into its default result, as far as the controller knows. */
  secondsLeft: number;
}

export interface Reconciler {
  /** The concern, e.g. `log-group`. */
  readonly name: string;
  reconcile(ctx: ReconcileContext): Promise<ReconcileResult>;
}
