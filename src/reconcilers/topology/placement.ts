/**
 * Placement (docs/topology.md): a primary's volume decides where its task may run. For each primary
 * whose volume is not attached to a qualifying instance: AttachVolume to an ACTIVE container instance
 * in its AZ that is InService in that AZ's primaries ASG and hosts fewer than maxPerInstance primaries;
 * once attached, PutAttributes `neo4j-ecs.member.<member>=<volume-id>` on its container instance.
 * Stale member attributes are deleted. When the instance under a volume is leaving or gone: wait while
 * the member's task still runs there, then DeleteAttributes and DetachVolume (Force only once the
 * instance is gone). The secondaries' container instances get `neo4j-ecs.pool=secondaries`.
 * Actions come first, waits last (a wait stops the rest of a plan).
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster, ObservedEcsInstance } from '../../model/observed.js';
import { primaryPlacement } from '../../model/placement.js';
import type { Action, Hold, Step } from '../types.js';
import {
  DEVICES,
  POOL_ATTRIBUTE,
  POOL_SECONDARIES,
  recheck,
  liveAttachment,
  TOPOLOGY_RECHECK_MS,
  memberAttribute,
  memberVolume,
} from './names.js';

export interface AttachVolume extends Action {
  type: 'AttachVolume';
  volumeId: string;
  instanceId: string;
  device: string;
}
export interface DetachVolume extends Action {
  type: 'DetachVolume';
  volumeId: string;
  instanceId: string;
  force: boolean;
}
export interface PutAttributes extends Action {
  type: 'PutAttributes';
  containerInstanceArn: string;
  attribute: string;
  value: string;
}
export interface DeleteAttributes extends Action {
  type: 'DeleteAttributes';
  containerInstanceArn: string;
  attribute: string;
}
export type PlacementAction = AttachVolume | DetachVolume | PutAttributes | DeleteAttributes;

/** True when the member's volume is attached to a qualifying instance that carries its attribute. */
export interface PlacementState {
  placed: Map<string, { instanceId: string; containerInstanceArn: string; volumeId: string }>;
}

type Obs = Pick<ObservedCluster, 'volumes' | 'tasks' | 'topology'>;

function asgInstanceState(desired: Neo4jCluster, observed: Obs, zone: string, instanceId: string): string {
  const asgName = desired.spec.capacity.primaryAutoScalingGroups[zone];
  const asg = asgName !== undefined ? observed.topology?.asgs[asgName] : undefined;
  return asg?.instances.find((i) => i.instanceId === instanceId)?.lifecycleState ?? 'absent';
}

function usable(ci: ObservedEcsInstance | undefined, zone: string): ci is ObservedEcsInstance {
  return ci !== undefined && ci.status === 'ACTIVE' && ci.agentConnected && ci.availabilityZone === zone;
}

/**
 * Container instances a primary of `zone` may be attached to: ACTIVE with its agent connected, in the
 * zone, InService in the zone's primaries ASG, hosting fewer than maxPerInstance primaries (`count`
 * gives how many each hosts). Spot is not judged here (see `maxPrimariesOnSpot`).
 */
export function qualifyingInstances(
  desired: Neo4jCluster,
  observed: Obs,
  zone: string,
  count: (instanceId: string) => number,
): ObservedEcsInstance[] {
  return (observed.topology?.instances ?? [])
    .filter((ci) => usable(ci, zone))
    .filter((ci) => asgInstanceState(desired, observed, zone, ci.ec2InstanceId) === 'InService')
    .filter((ci) => count(ci.ec2InstanceId) < desired.spec.primaries.maxPerInstance);
}

/** Members placed: volume attached to a usable instance in its AZ, InService, attribute set to the volume id. */
export function placedMembers(desired: Neo4jCluster, observed: Obs): PlacementState['placed'] {
  const placed: PlacementState['placed'] = new Map();
  const instances = observed.topology?.instances ?? [];
  for (const slot of primaryPlacement(desired)) {
    const v = memberVolume(observed, slot.member, slot.zone);
    const a = v ? liveAttachment(v) : undefined;
    if (!v || a?.state !== 'attached') continue;
    const ci = instances.find((i) => i.ec2InstanceId === a.instanceId);
    if (!usable(ci, slot.zone)) continue;
    if (asgInstanceState(desired, observed, slot.zone, a.instanceId) !== 'InService') continue;
    if (ci.attributes[memberAttribute(slot.member)] !== v.volumeId) continue;
    placed.set(slot.member, { instanceId: a.instanceId, containerInstanceArn: ci.arn, volumeId: v.volumeId });
  }
  return placed;
}

/**
 * AZs that are lost: every container instance there lost its agent (an impaired AZ), or EC2 reports
 * the AZ itself as not `available` (`zoneStates`, read only while an AZ has no connected instance: once
 * the ASG has terminated the impaired instances, nothing else says the AZ is gone). Reported as a
 * refused hold naming the members pinned there. Their volumes stay (EBS cannot move them).
 */
export function zonesLost(
  desired: Neo4jCluster,
  instances: readonly ObservedEcsInstance[],
  zoneStates: Readonly<Record<string, string>> = {},
): { zones: Set<string>; holds: Hold[] } {
  const byZone = new Map<string, string[]>();
  for (const slot of primaryPlacement(desired))
    byZone.set(slot.zone, [...(byZone.get(slot.zone) ?? []), slot.member]);
  const out: Hold[] = [];
  const zones = new Set<string>();
  for (const [zone, members] of byZone) {
    const inZone = instances.filter((i) => i.availabilityZone === zone && i.status !== 'INACTIVE');
    const state = zoneStates[zone];
    const agentsLost = inZone.length > 0 && !inZone.some((i) => i.agentConnected);
    const zoneDown = state !== undefined && state !== 'available';
    if (!agentsLost && !zoneDown) continue;
    zones.add(zone);
    out.push({
      kind: 'refused',
      reason: 'ZoneUnavailable',
      message: `${agentsLost ? `every container instance in ${zone} has lost its ECS agent` : `${zone} is ${state} (EC2)`}: ${members.join(', ')} cannot run until the AZ recovers (their volumes cannot leave it)`,
    });
  }
  return { zones, holds: out };
}

interface Plan {
  desired: Neo4jCluster;
  observed: Obs;
  topo: NonNullable<Obs['topology']>;
  /** Primaries hosted (or being attached) per EC2 instance, and devices in use, across this cluster's volumes. */
  hosted: Map<string, number>;
  devices: Map<string, Set<string>>;
  /** Container instance ARN → member attributes that belong there. */
  wanted: Map<string, Set<string>>;
  acts: PlacementAction[];
  waits: Hold[];
  /** Primaries on spot instances (attached or being attached), and how many may be (spotPolicy). */
  onSpot: number;
  maxOnSpot: number;
}

/**
 * How many primaries may run on spot instances (spec.primaries.allowSpot): none when false; when
 * true, a minority, floor((n − 1) / 2), so a majority of the primaries stays on on-demand capacity and
 * spot interruptions cannot cost quorum.
 */
export function maxPrimariesOnSpot(desired: Neo4jCluster): number {
  return desired.spec.primaries.allowSpot ? Math.floor((desired.spec.primaries.count - 1) / 2) : 0;
}

type Slot = ReturnType<typeof primaryPlacement>[number];
type Volume = ObservedCluster['volumes'][number];

/** An unattached volume goes to the qualifying instance of its AZ hosting fewest primaries. */
function attach(p: Plan, slot: Slot, v: Volume): void {
  const m = slot.member;
  const maxPer = p.desired.spec.primaries.maxPerInstance;
  const count = (id: string): number => p.hosted.get(id) ?? 0;
  const candidates = qualifyingInstances(p.desired, p.observed, slot.zone, count);
  const spot = (ci: ObservedEcsInstance): boolean => p.topo.spot?.[ci.ec2InstanceId] === true;
  const spotFull = p.onSpot >= p.maxOnSpot;
  const target = candidates
    .filter((ci) => !(spotFull && spot(ci)))
    // On-demand first: spot capacity is for the minority the spec allows.
    .sort((x, y) => Number(spot(x)) - Number(spot(y)) || count(x.ec2InstanceId) - count(y.ec2InstanceId))[0];
  const free = target ? DEVICES.find((d) => !p.devices.get(target.ec2InstanceId)?.has(d)) : undefined;
  if (!target && candidates.length > 0) {
    p.waits.push({
      kind: 'refused',
      reason: 'SpotInstanceRefused',
      message: `${m} may not run on ${candidates.map((c) => c.ec2InstanceId).join(', ')} in ${slot.zone}: ${
        p.maxOnSpot === 0
          ? 'spot instances host no primary (spec.primaries.allowSpot is false)'
          : `already ${p.onSpot} of the ${p.maxOnSpot} primaries allowed on spot (a majority stays on on-demand capacity)`
      }; waiting for an on-demand instance`,
      member: m,
      requeueAfterMs: TOPOLOGY_RECHECK_MS,
    });
    return;
  }
  if (!target || !free) {
    p.waits.push(
      recheck(
        'NoQualifyingInstance',
        `no ACTIVE, InService container instance in ${slot.zone} with room for ${m} (at most ${maxPer} primaries each): waiting for capacity`,
        m,
      ),
    );
    return;
  }
  p.hosted.set(target.ec2InstanceId, count(target.ec2InstanceId) + 1);
  if (spot(target)) p.onSpot += 1;
  p.devices.set(target.ec2InstanceId, (p.devices.get(target.ec2InstanceId) ?? new Set()).add(free));
  p.acts.push({
    kind: 'act',
    type: 'AttachVolume',
    reason: 'VolumeNotAttached',
    message: `attaching ${m}'s volume ${v.volumeId} to ${target.ec2InstanceId} in ${slot.zone} at ${free}`,
    member: m,
    volumeId: v.volumeId,
    instanceId: target.ec2InstanceId,
    device: free,
  });
}

/** The instance under the volume is leaving or gone: wait for the task, unmark, then detach. */
function release(p: Plan, slot: Slot, v: Volume, instanceId: string, lifecycle: string): void {
  const m = slot.member;
  const ci = p.topo.instances.find((i) => i.ec2InstanceId === instanceId);
  // A task being stopped still holds the volume until its containers have exited.
  const running = [...p.observed.tasks, ...(p.topo.stoppingTasks ?? [])].some(
    (t) =>
      t.group === `service:${m}` &&
      (t.desiredStatus !== 'STOPPED' || t.lastStatus !== 'STOPPED') &&
      ci !== undefined &&
      t.containerInstanceArn === ci.arn,
  );
  if (running) {
    p.waits.push(
      recheck(
        'InstanceLeaving',
        `${m}'s instance ${instanceId} is ${lifecycle}${ci ? ` (container instance ${ci.status})` : ''}; its task still runs there, so the volume stays until it stops`,
        m,
      ),
    );
    return;
  }
  if (ci && ci.attributes[memberAttribute(m)] !== undefined && ci.status !== 'INACTIVE')
    p.acts.push({
      kind: 'act',
      type: 'DeleteAttributes',
      reason: 'InstanceLeaving',
      message: `removing ${memberAttribute(m)} from ${instanceId} before detaching`,
      member: m,
      containerInstanceArn: ci.arn,
      attribute: memberAttribute(m),
    });
  const gone = lifecycle === 'absent' && (ci === undefined || ci.status === 'INACTIVE');
  p.acts.push({
    kind: 'act',
    type: 'DetachVolume',
    reason: gone ? 'InstanceGone' : 'InstanceLeaving',
    message: `detaching ${m}'s volume ${v.volumeId} from ${instanceId} (${lifecycle}${gone ? ', forced: the instance is gone' : ''})`,
    member: m,
    volumeId: v.volumeId,
    instanceId,
    force: gone,
  });
}

/** One member: attach, wait, mark, or release. */
function placeMember(p: Plan, slot: Slot): void {
  const m = slot.member;
  const v = memberVolume(p.observed, m, slot.zone);
  if (!v) return; // volumes.ts creates it
  if (v.state === 'creating') {
    p.waits.push(recheck('VolumeCreating', `${m}'s volume ${v.volumeId} is being created`, m));
    return;
  }
  const a = liveAttachment(v);
  if (!a) return attach(p, slot, v);
  if (a.state === 'attaching' || a.state === 'detaching') {
    p.waits.push(
      recheck(
        a.state === 'attaching' ? 'VolumeAttaching' : 'VolumeDetaching',
        `${m}'s volume ${v.volumeId} is ${a.state} (${a.instanceId})`,
        m,
      ),
    );
    return;
  }
  const ci = p.topo.instances.find((i) => i.ec2InstanceId === a.instanceId);
  const lifecycle = asgInstanceState(p.desired, p.observed, slot.zone, a.instanceId);
  if (!usable(ci, slot.zone) || lifecycle !== 'InService')
    return release(p, slot, v, a.instanceId, lifecycle);
  p.wanted.set(ci.arn, (p.wanted.get(ci.arn) ?? new Set()).add(memberAttribute(m)));
  if (ci.attributes[memberAttribute(m)] !== v.volumeId)
    p.acts.push({
      kind: 'act',
      type: 'PutAttributes',
      reason: 'MemberAttributeMissing',
      message: `marking ${ci.ec2InstanceId} with ${memberAttribute(m)}=${v.volumeId}`,
      member: m,
      containerInstanceArn: ci.arn,
      attribute: memberAttribute(m),
      value: v.volumeId,
    });
}

/** Member attributes of this cluster that no longer belong where they are (removed members, moved or replaced volumes). */
function unmarkStale(p: Plan, lostZones: ReadonlySet<string>): void {
  const prefix = memberAttribute(`${p.desired.metadata.name}-primary-`);
  for (const ci of p.topo.instances) {
    if (ci.status === 'INACTIVE' || lostZones.has(ci.availabilityZone ?? '')) continue;
    for (const attr of Object.keys(ci.attributes).sort()) {
      if (!attr.startsWith(prefix) || p.wanted.get(ci.arn)?.has(attr)) continue;
      const planned = p.acts.some(
        (x) => x.type === 'DeleteAttributes' && x.containerInstanceArn === ci.arn && x.attribute === attr,
      );
      if (planned) continue;
      p.acts.push({
        kind: 'act',
        type: 'DeleteAttributes',
        reason: 'StaleMemberAttribute',
        message: `${ci.ec2InstanceId} carries ${attr} but that volume is not attached there: removing it`,
        member: attr.slice('neo4j-ecs.member.'.length),
        containerInstanceArn: ci.arn,
        attribute: attr,
      });
    }
  }
}

/** The secondaries' ASG instances carry the pool attribute. */
function markPool(p: Plan): void {
  const secAsg = p.desired.spec.capacity.secondaryAutoScalingGroup;
  const pool = secAsg !== undefined ? p.topo.asgs[secAsg] : undefined;
  for (const i of pool?.instances ?? []) {
    const ci = p.topo.instances.find((x) => x.ec2InstanceId === i.instanceId);
    if (i.lifecycleState !== 'InService' || ci?.status !== 'ACTIVE') continue;
    if (ci.attributes[POOL_ATTRIBUTE] !== POOL_SECONDARIES)
      p.acts.push({
        kind: 'act',
        type: 'PutAttributes',
        reason: 'PoolAttributeMissing',
        message: `marking ${ci.ec2InstanceId} of ${secAsg} with ${POOL_ATTRIBUTE}=${POOL_SECONDARIES}`,
        containerInstanceArn: ci.arn,
        attribute: POOL_ATTRIBUTE,
        value: POOL_SECONDARIES,
      });
  }
}

export function planPlacement(desired: Neo4jCluster, observed: Obs): Step<PlacementAction>[] {
  const topo = observed.topology;
  if (!topo) return [];
  const p: Plan = {
    desired,
    observed,
    topo,
    hosted: new Map(),
    devices: new Map(),
    wanted: new Map(),
    acts: [],
    waits: [],
    onSpot: 0,
    maxOnSpot: maxPrimariesOnSpot(desired),
  };
  for (const v of observed.volumes) {
    const a = liveAttachment(v);
    if (!a) continue;
    if (topo.spot?.[a.instanceId] === true) p.onSpot += 1;
    p.hosted.set(a.instanceId, (p.hosted.get(a.instanceId) ?? 0) + 1);
    p.devices.set(a.instanceId, (p.devices.get(a.instanceId) ?? new Set()).add(a.device));
  }
  const lost = zonesLost(desired, topo.instances, topo.zoneStates);
  p.waits.push(...lost.holds);
  // Nothing is done in a lost AZ until it recovers.
  for (const slot of primaryPlacement(desired)) if (!lost.zones.has(slot.zone)) placeMember(p, slot);
  unmarkStale(p, lost.zones);
  markPool(p);
  return [...p.acts, ...p.waits];
}
