/**
 * The drain planner (docs/drain.md): pure, over every instance of the managed ASGs in
 * `Terminating:Wait` on the operator's lifecycle hook.
 *
 * - It holds nothing of the cluster (holdings.ts): CompleteLifecycleAction CONTINUE.
 * - It hosts only secondaries' tasks: UpdateContainerInstancesState DRAINING; ECS reschedules them.
 * - It hosts primaries, for each:
 *   1. planned terminations wait (`ReplacementPending`) until an instance of the member's AZ qualifies
 *      for its volume (the capacity planner raises the group when the group does not replace it);
 *      urgent ones (a spot instance, or one ECS already drains without us) do not wait;
 *   2. the leaderships it hosts move away (`planLeadershipMove`; urgent: a bound that fits the spot
 *      notice);
 *   3. quorum (`quorumWithout`): planned → blocked `QuorumAtRisk` while stopping it would lose a
 *      majority; urgent → a Warning and on, the instance dies anyway;
 *   4. its service goes to desiredCount 0 (UpdateService); once the task has stopped, the placement
 *      planner detaches the volume and attaches it in the AZ, and the member restarts there.
 * - While work goes on, RecordLifecycleActionHeartbeat every heartbeatTimeout / 3; a
 *   `LifecycleHookNearTimeout` Warning once less than half a heartbeat timeout is left before the hook
 *   would ABANDON (heartbeat deadline or global timeout).
 *
 * Time is an input (`now`, and what the reconciler remembers of each wait: first seen, last
 * heartbeat, leadership move start), never read here. Actions first, then holds (a wait or blocked
 * hold ends the plan, not the other instances' actions).
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import { primaryPlacement } from '../../model/placement.js';
import { parseDuration } from '../../model/quantities.js';
import type { LeadershipAction } from '../leadership.js';
import { isLocated, memberServer, planLeadershipMove, quorumWithout } from '../leadership.js';
import type { UpdateService } from '../topology/services.js';
import { liveAttachment, TOPOLOGY_RECHECK_MS } from '../topology/names.js';
import { maxPrimariesOnSpot, qualifyingInstances, zonesLost } from '../topology/placement.js';
import type { Action, Hold, Step } from '../types.js';
import type { Holdings } from './holdings.js';
import { holdingsOf, holdsNothing } from './holdings.js';

/** The longest leadership move an urgent drain waits for: the spot notice is 2 minutes. */
export const URGENT_TRANSFER_MS = 30_000;
/** Auto Scaling's cap on a hook's global timeout (48 h). */
export const MAX_GLOBAL_TIMEOUT_MS = 172_800_000;

export interface LifecycleActionRef {
  autoScalingGroupName: string;
  lifecycleHookName: string;
  instanceId: string;
}
export interface CompleteLifecycleAction extends Action, LifecycleActionRef {
  type: 'CompleteLifecycleAction';
  result: 'CONTINUE';
}
export interface RecordLifecycleActionHeartbeat extends Action, LifecycleActionRef {
  type: 'RecordLifecycleActionHeartbeat';
}
export interface UpdateContainerInstancesState extends Action {
  type: 'UpdateContainerInstancesState';
  containerInstanceArns: string[];
  status: 'DRAINING';
}
export type DrainAction =
  | CompleteLifecycleAction
  | RecordLifecycleActionHeartbeat
  | UpdateContainerInstancesState
  | UpdateService
  | LeadershipAction;

/** What the reconciler remembers of one instance's wait, on the injected clock (lost on restart). */
export interface HookTrack {
  /** When this controller first saw the instance in Terminating:Wait. */
  firstSeenAt: number;
  /** When it last recorded a heartbeat successfully. */
  lastHeartbeatAt?: number;
  /** When it first found a member there whose leaderships had to move. */
  moveStartedAt?: number;
}

export interface DrainInput {
  now: number;
  /** By EC2 instance id. */
  hooks: ReadonlyMap<string, HookTrack>;
}

/** One instance being drained, for the reconciler (trackers, metric) and status. */
export interface DrainView {
  instanceId: string;
  autoScalingGroupName: string;
  urgent: boolean;
  /** Members pinned to it (volume or task). */
  primaries: string[];
  secondaries: number;
  /** A member's leaderships are being moved (the move's bound runs). */
  moving: boolean;
  /**
   * When the hook would ABANDON, as far as this controller knows (heartbeat deadline or global
   * timeout), once this plan's heartbeat, if any, is recorded.
   */
  deadlineAt: number;
  /** The same without this plan's heartbeat (it failed, or none is planned). */
  deadlineUnlessHeartbeatAt: number;
  /** A heartbeat is planned now. */
  heartbeat: boolean;
  /** Completed in this plan. */
  completing: boolean;
}

export interface DrainPlan {
  steps: Step<DrainAction>[];
  instances: DrainView[];
}

type Obs = Pick<ObservedCluster, 'volumes' | 'tasks' | 'services' | 'topology' | 'neo4j'>;

/** The managed ASGs: the primaries' per AZ, then the secondaries'. */
function managedGroups(desired: Neo4jCluster): string[] {
  const c = desired.spec.capacity;
  return [
    ...new Set([
      ...Object.values(c.primaryAutoScalingGroups),
      ...(c.secondaryAutoScalingGroup ? [c.secondaryAutoScalingGroup] : []),
    ]),
  ];
}

/** Members pinned to instances in Terminating:Wait: the roll leaves them to the drain. */
export function drainingMembers(desired: Neo4jCluster, observed: Obs): Set<string> {
  const out = new Set<string>();
  for (const name of managedGroups(desired))
    for (const i of observed.topology?.asgs[name]?.instances ?? [])
      if (i.lifecycleState === 'Terminating:Wait')
        for (const m of holdingsOf(desired, observed, i.instanceId).primaries) out.add(m);
  return out;
}

interface Ctx {
  desired: Neo4jCluster;
  observed: Obs;
  input: DrainInput;
  acts: DrainAction[];
  refused: Hold[];
  waits: Hold[];
  blocked: Hold[];
}

const hold = (kind: Hold['kind'], reason: string, message: string, member?: string): Hold => ({
  kind,
  reason,
  message,
  ...(member !== undefined ? { member } : {}),
  ...(kind === 'refused' ? {} : { requeueAfterMs: TOPOLOGY_RECHECK_MS }),
});

function push(c: Ctx, s: Step<DrainAction>): void {
  if (s.kind === 'act') c.acts.push(s);
  else if (s.kind === 'refused') c.refused.push(s);
  else if (s.kind === 'wait') c.waits.push(s);
  else c.blocked.push(s);
}

/** An instance of the member's AZ its volume could go to (planned drains wait for one). */
function replacementFor(c: Ctx, member: string, zone: string, leaving: string): string | undefined {
  const hosted = new Map<string, number>();
  for (const v of c.observed.volumes) {
    const a = liveAttachment(v);
    if (a) hosted.set(a.instanceId, (hosted.get(a.instanceId) ?? 0) + 1);
  }
  const spotOk = maxPrimariesOnSpot(c.desired) > 0;
  return qualifyingInstances(c.desired, c.observed, zone, (id) => hosted.get(id) ?? 0)
    .filter((ci) => ci.ec2InstanceId !== leaving)
    .find((ci) => spotOk || c.observed.topology?.spot?.[ci.ec2InstanceId] !== true)?.ec2InstanceId;
}

/** Before a member's stop: its task already gone or stopping, or (planned) no replacement yet. False: wait. */
function mayStop(
  c: Ctx,
  instanceId: string,
  h: Holdings,
  member: string,
  zone: string,
  urgent: boolean,
): boolean {
  const task = h.primaryTasks.get(member);
  const vol = h.volumes.get(member);
  if (!task) {
    push(
      c,
      hold(
        'wait',
        'VolumeReleasing',
        `draining ${instanceId}: ${member}'s task has stopped; its volume ${vol?.volumeId ?? '?'} is ${vol?.state ?? '?'} there and moves to an instance of ${zone}`,
        member,
      ),
    );
    return false;
  }
  if (task.desiredStatus === 'STOPPED') {
    push(c, hold('wait', 'MemberStopping', `draining ${instanceId}: ${member}'s task is stopping`, member));
    return false;
  }
  if (urgent || replacementFor(c, member, zone, instanceId) !== undefined) return true;
  push(
    c,
    hold(
      'wait',
      'ReplacementPending',
      `draining ${instanceId}: waiting for a replacement instance in ${zone} (InService, ACTIVE container instance, room for ${member}) before stopping ${member}`,
      member,
    ),
  );
  return false;
}

/** Whether stopping the member keeps every database's majority: planned → blocked if not; urgent → a Warning and on. */
function quorumAllows(c: Ctx, instanceId: string, member: string, urgent: boolean): boolean {
  const at = memberServer(c.observed, member);
  if (!isLocated(at)) {
    if (urgent || c.observed.neo4j !== undefined) return true;
    push(
      c,
      hold(
        'blocked',
        'Neo4jNotObserved',
        `draining ${instanceId}: the members were not observed over Bolt, so the quorum without ${member} cannot be checked`,
        member,
      ),
    );
    return false;
  }
  const q = quorumWithout(c.observed, at.serverId);
  if (q.ok) return true;
  const what =
    q.atRisk.length > 0
      ? `stopping ${member} would leave ${q.atRisk.join(', ')} without a majority of primaries`
      : `the quorum without ${member} cannot be judged (databases not observed)`;
  if (!urgent) {
    push(c, hold('blocked', 'QuorumAtRisk', `draining ${instanceId}: ${what}; waiting`, member));
    return false;
  }
  push(
    c,
    hold(
      'refused',
      'QuorumAtRisk',
      `urgent drain of ${instanceId}: ${what}, but the instance is reclaimed anyway: stopping it now`,
      member,
    ),
  );
  return true;
}

/** One primary on a leaving instance. Returns true when the member is moving leaderships. */
function drainPrimary(
  c: Ctx,
  instanceId: string,
  h: Holdings,
  member: string,
  urgent: boolean,
  track: HookTrack | undefined,
): boolean {
  const zone = primaryPlacement(c.desired).find((s) => s.member === member)?.zone ?? '';
  if (!mayStop(c, instanceId, h, member, zone, urgent)) return false;
  const spec = c.desired.spec.upgrade;
  const bound = parseDuration(spec.leadershipTransferTimeout) ?? 120_000;
  const move = planLeadershipMove(c.observed, member, {
    allowed: spec.leadershipTransfer,
    transferTimeoutMs: urgent ? Math.min(bound, URGENT_TRANSFER_MS) : bound,
    elapsedMs: track?.moveStartedAt !== undefined ? c.input.now - track.moveStartedAt : 0,
  });
  for (const s of move.steps) push(c, s);
  if (!move.ready) return true;
  if (!quorumAllows(c, instanceId, member, urgent)) return false;
  const service = c.observed.services[member] ?? c.observed.topology?.services?.[member];
  if (service && service.desiredCount !== 0)
    c.acts.push({
      kind: 'act',
      type: 'UpdateService',
      reason: urgent ? 'UrgentDrain' : 'InstanceTerminating',
      message: `draining ${instanceId}${urgent ? ' (urgent)' : ''}: stopping ${member} (${move.note}); its volume then moves to an instance of ${zone}`,
      member,
      service: member,
      changes: { desiredCount: 0 },
    });
  else
    push(c, hold('wait', 'MemberStopping', `draining ${instanceId}: ${member}'s task is stopping`, member));
  return false;
}

/**
 * The drain plan: steps (actions, then refused, wait and blocked holds) and a view of each instance
 * waiting on the hook.
 */
export function planDrain(desired: Neo4jCluster, observed: Obs, input: DrainInput): DrainPlan {
  const topo = observed.topology;
  if (!topo) return { steps: [], instances: [] };
  const c: Ctx = { desired, observed, input, acts: [], refused: [], waits: [], blocked: [] };
  const views: DrainView[] = [];
  const draining: string[] = [];
  const hookName = desired.spec.drain.lifecycleHookName;
  for (const name of managedGroups(desired)) {
    const g = topo.asgs[name];
    if (!g) continue;
    const hook = g.hooks.find((x) => x.name === hookName);
    const hbMs = (hook?.heartbeatTimeout ?? desired.spec.drain.heartbeatTimeoutSeconds) * 1000;
    const timing = { hbMs, globalMs: Math.min(100 * hbMs, MAX_GLOBAL_TIMEOUT_MS) };
    for (const i of g.instances)
      if (i.lifecycleState === 'Terminating:Wait') {
        const ref = { autoScalingGroupName: name, lifecycleHookName: hookName, instanceId: i.instanceId };
        views.push(drainInstance(c, ref, i.availabilityZone, timing, draining));
      }
  }
  for (let k = 0; k < draining.length; k += 10) {
    const arns = draining.slice(k, k + 10);
    c.acts.push({
      kind: 'act',
      type: 'UpdateContainerInstancesState',
      reason: 'InstanceTerminating',
      message: `draining ${arns.length} container instance(s) that host only secondaries: ECS moves their tasks`,
      containerInstanceArns: arns,
      status: 'DRAINING',
    });
  }
  return { steps: [...c.acts, ...c.refused, ...c.waits, ...c.blocked], instances: views };
}

/** One instance waiting on the hook: complete, or heartbeat and drain what it holds. */
function drainInstance(
  c: Ctx,
  ref: LifecycleActionRef,
  zone: string,
  { hbMs, globalMs }: { hbMs: number; globalMs: number },
  draining: string[],
): DrainView {
  const { instanceId: id, autoScalingGroupName: name, lifecycleHookName: hookName } = ref;
  const topo = c.observed.topology as NonNullable<Obs['topology']>;
  const now = c.input.now;
  const track = c.input.hooks.get(id);
  const h = holdingsOf(c.desired, c.observed, id);
  const ci = topo.instances.find((x) => x.ec2InstanceId === id);
  const spot = topo.spot?.[id] === true;
  const firstSeen = track?.firstSeenAt ?? now;
  const lastBeat = track?.lastHeartbeatAt;
  const deadline = Math.min((lastBeat ?? firstSeen) + hbMs, firstSeen + globalMs);
  const view: DrainView = {
    instanceId: id,
    autoScalingGroupName: name,
    urgent: spot || (h.primaries.length > 0 && ci?.status === 'DRAINING'),
    primaries: h.primaries,
    secondaries: h.secondaryTasks.length,
    moving: false,
    deadlineAt: deadline,
    deadlineUnlessHeartbeatAt: deadline,
    heartbeat: false,
    completing: holdsNothing(h),
  };
  if (view.completing) {
    c.acts.push({
      kind: 'act',
      type: 'CompleteLifecycleAction',
      reason: track ? 'InstanceDrained' : 'InstanceHoldsNothing',
      message: `${id} of ${name} holds nothing of the cluster${track ? ' any more' : ''}: completing the ${hookName} hook with CONTINUE`,
      ...ref,
      result: 'CONTINUE',
    });
    return view;
  }
  if (zonesLost(c.desired, topo.instances, topo.zoneStates).zones.has(zone)) {
    // Nothing can be drained from a lost AZ: its members cannot be reached and their volumes cannot
    // leave it. Holding the hook would only keep a dead instance until the hook's timeout.
    view.completing = true;
    c.acts.push({
      kind: 'act',
      type: 'CompleteLifecycleAction',
      reason: 'ZoneLost',
      message: `${id} of ${name} is in ${zone}, which is unavailable: nothing can be drained from it; completing the ${hookName} hook with CONTINUE so the instance goes (${describe(h)} come back on their volumes when the AZ does)`,
      ...ref,
      result: 'CONTINUE',
    });
    return view;
  }
  if (lastBeat === undefined || now - lastBeat >= hbMs / 3) {
    c.acts.push({
      kind: 'act',
      type: 'RecordLifecycleActionHeartbeat',
      reason: 'DrainInProgress',
      message: `${id} of ${name} is being drained (${describe(h)}): heartbeat on the ${hookName} hook`,
      ...ref,
    });
    view.deadlineAt = Math.min(now + hbMs, firstSeen + globalMs);
    view.heartbeat = true;
  }
  if (h.primaries.length === 0) {
    if (ci?.status === 'ACTIVE') draining.push(ci.arn);
    push(
      c,
      hold(
        'wait',
        'SecondariesDraining',
        `draining ${id}: ${h.secondaryTasks.length} secondaries' task(s) still there; ECS moves them${ci?.status === 'DRAINING' ? '' : ' once the container instance is DRAINING'}`,
      ),
    );
  } else for (const m of h.primaries) if (drainPrimary(c, id, h, m, view.urgent, track)) view.moving = true;
  // Judged without this pass's heartbeat: failing heartbeats bring the warning.
  const left = view.deadlineUnlessHeartbeatAt - now;
  if (left < hbMs / 2)
    c.refused.push({
      kind: 'refused',
      reason: 'LifecycleHookNearTimeout',
      message: `the ${hookName} hook of ${id} times out into ABANDON in ${Math.max(0, Math.round(left / 1000))}s (${lastBeat === undefined ? 'no heartbeat recorded yet' : `last heartbeat ${Math.round((now - lastBeat) / 1000)}s ago`}) while it still hosts ${describe(h)}`,
    });
  return view;
}

function describe(h: Holdings): string {
  const parts = [
    ...(h.primaries.length > 0 ? [h.primaries.join(', ')] : []),
    ...(h.secondaryTasks.length > 0 ? [`${h.secondaryTasks.length} secondaries' task(s)`] : []),
  ];
  return parts.join(' and ') || 'nothing';
}
