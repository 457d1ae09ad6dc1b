/**
 * Capacity (docs/topology.md, docs/drain.md): each AZ's primaries ASG desired = ceil(primaries in that
 * AZ / maxPerInstance) + transient replacements, min = desired, max = desired + 1 (room for a
 * replacement before a drained instance goes); the secondaries' ASG desired = min =
 * spec.secondaries.count, max = count + 1. Instances that host a primary's volume get scale-in
 * protection, cleared once no primary is on them any more. Every managed ASG carries the operator's
 * lifecycle hook (EC2_INSTANCE_TERMINATING, spec.drain, default ABANDON). Missing ASGs are reported
 * with refused holds; instances in Terminating:Wait are the drain's (src/reconcilers/drain).
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import { primariesPerZone } from '../../model/placement.js';
import { holdingsOf, isActive, isTerminating } from '../drain/holdings.js';
import type { Action, Hold, Step } from '../types.js';
import { liveAttachment } from './names.js';

export const TERMINATING_TRANSITION = 'autoscaling:EC2_INSTANCE_TERMINATING';

export interface UpdateAutoScalingGroup extends Action {
  type: 'UpdateAutoScalingGroup';
  autoScalingGroupName: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
}
export interface SetInstanceProtection extends Action {
  type: 'SetInstanceProtection';
  autoScalingGroupName: string;
  instanceIds: string[];
  protectedFromScaleIn: boolean;
}
export interface PutLifecycleHook extends Action {
  type: 'PutLifecycleHook';
  autoScalingGroupName: string;
  lifecycleHookName: string;
  heartbeatTimeout: number;
  defaultResult: 'ABANDON';
}
export type CapacityAction = UpdateAutoScalingGroup | SetInstanceProtection | PutLifecycleHook;

type CapacityObs = Pick<ObservedCluster, 'volumes' | 'tasks' | 'topology'>;

/**
 * Transient replacements of one primaries ASG: the instances the group must launch, beyond its base
 * size, to rehome the primaries of its terminating instances. Auto Scaling already launches a
 * replacement for an instance terminating without a decrement (an instance in Terminating* does not
 * count towards the desired capacity), so this is 0 whenever the group's base size, or an instance
 * it already runs with no primary on it, gives those primaries a home; it raises the group by one per
 * instance's worth of primaries that would otherwise have none (e.g. several instances hosting
 * primaries that fit on fewer, one of them leaving).
 */
export function transientReplacements(
  base: number,
  maxPerInstance: number,
  asg: string,
  desired: Neo4jCluster,
  observed: CapacityObs,
): number {
  const g = observed.topology?.asgs[asg];
  if (!g) return 0;
  let homeless = 0;
  let active = 0;
  let spare = 0;
  for (const i of g.instances) {
    const held = holdingsOf(desired, observed, i.instanceId).primaries.length;
    if (isTerminating(i.lifecycleState)) homeless += held;
    else if (isActive(i.lifecycleState)) {
      active += 1;
      if (held === 0) spare += 1;
    }
  }
  const needed = Math.ceil(homeless / maxPerInstance);
  const launching = Math.max(0, base - active);
  return Math.max(0, needed - spare - launching);
}

/**
 * Desired sizes of every managed ASG: name → [min, max, desired]. Without an observation, the base
 * sizes from the spec; with one, plus the transient replacements of terminating primary hosts.
 */
export function desiredCapacities(
  cluster: Neo4jCluster,
  observed?: CapacityObs,
): Map<string, [number, number, number]> {
  const out = new Map<string, [number, number, number]>();
  const per = primariesPerZone(cluster);
  const maxPer = cluster.spec.primaries.maxPerInstance;
  for (const [zone, asg] of Object.entries(cluster.spec.capacity.primaryAutoScalingGroups)) {
    const base = Math.ceil((per.get(zone) ?? 0) / maxPer);
    const d = base + (observed ? transientReplacements(base, maxPer, asg, cluster, observed) : 0);
    out.set(asg, [d, d + 1, d]);
  }
  const sec = cluster.spec.capacity.secondaryAutoScalingGroup;
  if (sec !== undefined) {
    const n = cluster.spec.secondaries.count;
    out.set(sec, [n, n + 1, n]);
  }
  return out;
}

export function planCapacity(desired: Neo4jCluster, observed: CapacityObs): Step<CapacityAction>[] {
  const topo = observed.topology;
  if (!topo) return [];
  const acts: CapacityAction[] = [];
  const holds: Hold[] = [];
  const hook = desired.spec.drain;
  const hosting = new Set(
    observed.volumes
      .map((v) => liveAttachment(v))
      .filter((a) => a?.state === 'attached')
      .map((a) => a?.instanceId),
  );
  const primaryGroups = new Set(Object.values(desired.spec.capacity.primaryAutoScalingGroups));
  for (const [name, [min, max, want]] of desiredCapacities(desired, observed)) {
    const g = topo.asgs[name];
    if (!g) {
      holds.push({
        kind: 'refused',
        reason: 'AutoScalingGroupNotFound',
        message: `Auto Scaling group ${name} named in spec.capacity does not exist; the infrastructure template creates it`,
      });
      continue;
    }
    if (g.minSize !== min || g.maxSize !== max || g.desiredCapacity !== want)
      acts.push({
        kind: 'act',
        type: 'UpdateAutoScalingGroup',
        reason: 'CapacityDrift',
        message: `${name}: min/max/desired ${g.minSize}/${g.maxSize}/${g.desiredCapacity} → ${min}/${max}/${want}`,
        autoScalingGroupName: name,
        minSize: min,
        maxSize: max,
        desiredCapacity: want,
      });
    const h = g.hooks.find((x) => x.name === hook.lifecycleHookName);
    if (
      !h ||
      h.transition !== TERMINATING_TRANSITION ||
      h.heartbeatTimeout !== hook.heartbeatTimeoutSeconds ||
      h.defaultResult !== 'ABANDON'
    )
      acts.push({
        kind: 'act',
        type: 'PutLifecycleHook',
        reason: h ? 'LifecycleHookDrift' : 'LifecycleHookMissing',
        message: `${name}: lifecycle hook ${hook.lifecycleHookName} (EC2_INSTANCE_TERMINATING, heartbeat ${hook.heartbeatTimeoutSeconds}s)`,
        autoScalingGroupName: name,
        lifecycleHookName: hook.lifecycleHookName,
        heartbeatTimeout: hook.heartbeatTimeoutSeconds,
        defaultResult: 'ABANDON',
      });
    const unprotected = g.instances
      .filter((i) => hosting.has(i.instanceId) && !i.protectedFromScaleIn && i.lifecycleState === 'InService')
      .map((i) => i.instanceId)
      .sort();
    if (unprotected.length > 0)
      acts.push({
        kind: 'act',
        type: 'SetInstanceProtection',
        reason: 'HostsPrimary',
        message: `${name}: protecting ${unprotected.join(', ')} from scale-in (they host primaries)`,
        autoScalingGroupName: name,
        instanceIds: unprotected,
        protectedFromScaleIn: true,
      });
    // A primaries' instance in service that no primary is pinned to any more may be scaled in again.
    const moved = primaryGroups.has(name)
      ? g.instances
          .filter((i) => i.protectedFromScaleIn && i.lifecycleState === 'InService')
          .filter((i) => holdingsOf(desired, observed, i.instanceId).primaries.length === 0)
          .map((i) => i.instanceId)
          .sort()
      : [];
    if (moved.length > 0)
      acts.push({
        kind: 'act',
        type: 'SetInstanceProtection',
        reason: 'PrimaryMovedAway',
        message: `${name}: clearing scale-in protection of ${moved.join(', ')} (no primary is on them any more)`,
        autoScalingGroupName: name,
        instanceIds: moved,
        protectedFromScaleIn: false,
      });
  }
  return [...acts, ...holds];
}
