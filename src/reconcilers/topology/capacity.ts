/**
 * Capacity (docs/topology.md): each AZ's primaries ASG desired = ceil(primaries placed in that AZ /
 * maxPerInstance), min = desired, max = desired + 1 (room for a replacement before a drained instance
 * goes); the secondaries' ASG desired = min = spec.secondaries.count, max = count + 1. Instances that
 * host a primary's volume get scale-in protection. Every managed ASG carries the operator's lifecycle
 * hook (EC2_INSTANCE_TERMINATING, spec.drain, default ABANDON). Missing ASGs and instances in
 * Terminating:Wait that host a primary are reported with refused holds (Degraded); other instances in
 * Terminating:Wait with a Warning event only (`terminatingWaitNotices`).
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import { primariesPerZone } from '../../model/placement.js';
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

/** Desired sizes of every managed ASG: name → [min, max, desired]. */
export function desiredCapacities(cluster: Neo4jCluster): Map<string, [number, number, number]> {
  const out = new Map<string, [number, number, number]>();
  const per = primariesPerZone(cluster);
  for (const [zone, asg] of Object.entries(cluster.spec.capacity.primaryAutoScalingGroups)) {
    const d = Math.ceil((per.get(zone) ?? 0) / cluster.spec.primaries.maxPerInstance);
    out.set(asg, [d, d + 1, d]);
  }
  const sec = cluster.spec.capacity.secondaryAutoScalingGroup;
  if (sec !== undefined) {
    const n = cluster.spec.secondaries.count;
    out.set(sec, [n, n + 1, n]);
  }
  return out;
}

export function planCapacity(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'volumes' | 'topology'>,
): Step<CapacityAction>[] {
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
  for (const [name, [min, max, want]] of desiredCapacities(desired)) {
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
    for (const i of g.instances.filter((x) => x.lifecycleState === 'Terminating:Wait'))
      if (hosting.has(i.instanceId))
        holds.push({
          kind: 'refused',
          reason: 'InstanceTerminatingWait',
          message: `${i.instanceId} of ${name} is in Terminating:Wait on the ${hook.lifecycleHookName} hook and hosts a primary; draining is not implemented yet, the hook times out after ${hook.heartbeatTimeoutSeconds}s`,
        });
  }
  return [...acts, ...holds];
}

/**
 * Instances in Terminating:Wait that host no primary: worth a Warning event, not a degraded cluster
 * (nothing of the cluster is at risk; the hook times out on its own until draining exists).
 */
export function terminatingWaitNotices(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'volumes' | 'topology'>,
): string[] {
  const hook = desired.spec.drain;
  const hosting = new Set(observed.volumes.flatMap((v) => v.attachments.map((a) => a.instanceId)));
  const out: string[] = [];
  for (const name of desiredCapacities(desired).keys())
    for (const i of observed.topology?.asgs[name]?.instances ?? [])
      if (i.lifecycleState === 'Terminating:Wait' && !hosting.has(i.instanceId))
        out.push(
          `${i.instanceId} of ${name} is in Terminating:Wait on the ${hook.lifecycleHookName} hook (it hosts no primary); draining is not implemented yet, the hook times out after ${hook.heartbeatTimeoutSeconds}s`,
        );
  return out;
}
