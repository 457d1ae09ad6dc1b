/**
 * What of a cluster an EC2 instance holds (docs/drain.md): the primaries pinned to it (their volume
 * attached, attaching or detaching there, or their task not yet stopped there) and the secondaries'
 * tasks on it. The drain completes a lifecycle hook only when an instance holds nothing; the capacity
 * planner counts the terminating instances whose primaries have not moved yet.
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster, ObservedEcsInstance, ObservedTask } from '../../model/observed.js';
import { primaryPlacement, secondaryServiceName } from '../../model/placement.js';
import { liveAttachment, memberVolume } from '../topology/names.js';

export type HoldingsObs = Pick<ObservedCluster, 'volumes' | 'tasks' | 'topology'>;

export interface Holdings {
  /** Members whose volume or task is on the instance, ordinal order. */
  primaries: string[];
  /** Per member: its volume's attachment state there (attached, attaching, detaching), if any. */
  volumes: Map<string, { volumeId: string; state: string }>;
  /** Per member: its task there, not yet stopped (desiredStatus RUNNING, or stopping). */
  primaryTasks: Map<string, ObservedTask>;
  /** Tasks of the secondaries' service there, not yet stopped. */
  secondaryTasks: ObservedTask[];
}

/** Tasks of the cluster's services on the container instance that are not STOPPED yet. */
function tasksOn(observed: HoldingsObs, ci: ObservedEcsInstance | undefined): ObservedTask[] {
  if (!ci) return [];
  const live = observed.tasks.filter((t) => t.desiredStatus !== 'STOPPED');
  const stopping = observed.topology?.stoppingTasks ?? [];
  const seen = new Set<string>();
  return [...live, ...stopping].filter((t) => {
    if (t.containerInstanceArn !== ci.arn || t.lastStatus === 'STOPPED' || seen.has(t.taskArn)) return false;
    seen.add(t.taskArn);
    return true;
  });
}

export function holdingsOf(desired: Neo4jCluster, observed: HoldingsObs, instanceId: string): Holdings {
  const ci = observed.topology?.instances.find((i) => i.ec2InstanceId === instanceId);
  const tasks = tasksOn(observed, ci);
  const out: Holdings = { primaries: [], volumes: new Map(), primaryTasks: new Map(), secondaryTasks: [] };
  for (const slot of primaryPlacement(desired)) {
    const v = memberVolume(observed, slot.member, slot.zone);
    const a = v ? liveAttachment(v) : undefined;
    if (v && a?.instanceId === instanceId)
      out.volumes.set(slot.member, { volumeId: v.volumeId, state: a.state });
    const t = tasks.find((x) => x.group === `service:${slot.member}`);
    if (t) out.primaryTasks.set(slot.member, t);
    if (out.volumes.has(slot.member) || t) out.primaries.push(slot.member);
  }
  const sec = `service:${secondaryServiceName(desired.metadata.name)}`;
  out.secondaryTasks = tasks.filter((t) => t.group === sec);
  return out;
}

/** True when the instance holds nothing of the cluster: no volume on it, no task not yet stopped. */
export function holdsNothing(h: Holdings): boolean {
  return h.primaries.length === 0 && h.secondaryTasks.length === 0;
}

/** ASG lifecycle states of an instance on its way out. */
export function isTerminating(lifecycleState: string): boolean {
  return lifecycleState.startsWith('Terminating');
}

/** ASG lifecycle states that count towards the desired capacity (launching or in service). */
export function isActive(lifecycleState: string): boolean {
  return lifecycleState === 'InService' || lifecycleState.startsWith('Pending');
}
