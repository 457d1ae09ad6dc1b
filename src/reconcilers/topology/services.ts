/**
 * ECS services (docs/topology.md). One per primary: desiredCount 1 only once its volume is attached to
 * a qualifying instance carrying its attribute (else 0), minimumHealthyPercent 0, maximumPercent 100,
 * AZ rebalancing off, the memberOf constraint on `neo4j-ecs.member.<member> == <volume-id>`. One for the
 * secondaries: desiredCount = spec.secondaries.count, spread over AZs, on the pool attribute, min/max
 * from maxUnavailableSecondaries.
 *
 * Every member service registers its tasks in the cluster's Cloud Map service and runs them in the
 * members' security groups (`observed.topology.network`, looked up by src/aws/network.ts). Without
 * either, no service is created (`DiscoveryServiceMissing`, `SecurityGroupMissing`). An existing
 * service without them (made by an older operator) gets them with UpdateService.
 *
 * A primary's task definition, registry and security groups are changed here only while it has no
 * task (bring-up, heal), because ECS starts a new deployment for each, which restarts the member.
 * Otherwise the ordered roll (src/reconcilers/roll) changes the task definition, and carries a
 * pending registry or security-group change with it (`restartNetworkChanges`); a network change alone
 * waits for the member's next restart with a `NetworkChangePending` hold. The secondaries roll
 * through ECS within their min/max.
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster, ObservedService } from '../../model/observed.js';
import { MANAGED_BY, TAGS } from '../../model/observed.js';
import { primaryPlacement, secondaryServiceName } from '../../model/placement.js';
import type { Action, Hold, Step } from '../types.js';
import { POOL_ATTRIBUTE, POOL_SECONDARIES, recheck, memberAttribute, memberVolume } from './names.js';
import { placedMembers } from './placement.js';
import { desiredTaskDefinitions, sameContent } from './task-definitions.js';

export interface ServiceSettings {
  taskDefinition: string;
  desiredCount: number;
  placementConstraints: { type: 'memberOf'; expression: string }[];
  placementStrategy: { type: 'spread'; field: string }[];
  deploymentConfiguration: { minimumHealthyPercent: number; maximumPercent: number };
  /** awsvpc subnets: those of the ASG the tasks run on (set at creation; ECS needs them for awsvpc). */
  subnets: string[];
  /** The Cloud Map service the tasks register in (`serviceRegistries: [{ registryArn }]`). */
  registryArn: string;
  /** awsvpc security groups: the members' groups, sorted. */
  securityGroups: string[];
}

export interface CreateService extends Action {
  type: 'CreateService';
  service: string;
  settings: ServiceSettings;
  tags: Record<string, string>;
}

export interface UpdateService extends Action {
  type: 'UpdateService';
  service: string;
  changes: Partial<ServiceSettings>;
}

export type ServiceAction = CreateService | UpdateService;

type Obs = Pick<ObservedCluster, 'volumes' | 'tasks' | 'services' | 'topology'>;

export function secondaryDeployment(cluster: Neo4jCluster): ServiceSettings['deploymentConfiguration'] {
  const n = cluster.spec.secondaries.count;
  const u = cluster.spec.upgrade.maxUnavailableSecondaries;
  return {
    minimumHealthyPercent: n === 0 ? 0 : Math.max(0, Math.floor((100 * (n - u)) / n)),
    maximumPercent: 100,
  };
}

function liveTasks(observed: Obs, service: string): number {
  return observed.tasks.filter((t) => t.group === `service:${service}` && t.desiredStatus !== 'STOPPED')
    .length;
}

/** What a change of these fields does to a running primary: a new deployment, so a restart. */
const RESTARTING = ['taskDefinition', 'registryArn', 'securityGroups', 'subnets'] as const;

const sameSet = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
  [...(a ?? [])].sort().join(',') === [...b].sort().join(',');

function diff(current: ObservedService, want: ServiceSettings): Partial<ServiceSettings> {
  const changes: Partial<ServiceSettings> = {};
  if (!sameSet(current.serviceRegistries, [want.registryArn])) changes.registryArn = want.registryArn;
  if (!sameSet(current.securityGroups, want.securityGroups)) {
    changes.securityGroups = want.securityGroups;
    // UpdateService replaces the whole awsvpc configuration: keep the subnets the service has.
    changes.subnets = current.subnets?.length ? [...current.subnets].sort() : want.subnets;
  }
  if (current.taskDefinition !== want.taskDefinition) changes.taskDefinition = want.taskDefinition;
  if (current.desiredCount !== want.desiredCount) changes.desiredCount = want.desiredCount;
  const cons = (current.placementConstraints ?? []).map((c) => `${c.type}:${c.expression ?? ''}`).join('|');
  if (cons !== want.placementConstraints.map((c) => `${c.type}:${c.expression}`).join('|'))
    changes.placementConstraints = want.placementConstraints;
  const dc = current.deploymentConfiguration;
  if (
    dc?.minimumHealthyPercent !== want.deploymentConfiguration.minimumHealthyPercent ||
    dc.maximumPercent !== want.deploymentConfiguration.maximumPercent
  )
    changes.deploymentConfiguration = want.deploymentConfiguration;
  return changes;
}

interface Plan {
  desired: Neo4jCluster;
  observed: Obs;
  topo: NonNullable<Obs['topology']>;
  tags: Record<string, string>;
  /** The ARN of the newest ACTIVE revision when it matches the spec, else undefined (register first). */
  currentArn(family: string): string | undefined;
  placed: ReturnType<typeof placedMembers>;
  /** The registry and security groups, when both were found. */
  network: { registryArn: string; securityGroups: string[] } | undefined;
  acts: ServiceAction[];
  holds: Hold[];
}

/** A hold for each missing network reference; empty when both were found. */
function networkHolds(desired: Neo4jCluster, topo: NonNullable<Obs['topology']>): Hold[] {
  const name = desired.metadata.name;
  const ns = desired.spec.discovery.namespace;
  const out: Hold[] = [];
  if (topo.network?.registryArn === undefined)
    out.push({
      kind: 'blocked',
      reason: 'DiscoveryServiceMissing',
      message: `no Cloud Map service ${name} in the private DNS namespace ${ns}: the member services need it to register their tasks (the infrastructure creates both; docs/operations.md)`,
      requeueAfterMs: NETWORK_RECHECK_MS,
    });
  if ((topo.network?.securityGroupIds.length ?? 0) === 0)
    out.push({
      kind: 'blocked',
      reason: 'SecurityGroupMissing',
      message: `no security group tagged ${TAGS.cluster}=${name}: the member services need the members' group (the infrastructure creates it; docs/operations.md)`,
      requeueAfterMs: NETWORK_RECHECK_MS,
    });
  return out;
}

/** How soon to look again for missing infrastructure. */
const NETWORK_RECHECK_MS = 30_000;

/**
 * The settings the service wants. While a network reference is missing its fields are empty and
 * `withoutMissingNetwork` keeps them out of the changes: an existing service still gets its other
 * changes, but no service is created.
 */
function withNetwork(
  p: Plan,
  base: Omit<ServiceSettings, 'registryArn' | 'securityGroups'>,
): ServiceSettings {
  return {
    ...base,
    registryArn: p.network?.registryArn ?? '',
    securityGroups: p.network?.securityGroups ?? [],
  };
}

/** Drops the network fields from `changes` while the references are missing (nothing to set them to). */
function withoutMissingNetwork(p: Plan, changes: Partial<ServiceSettings>): Partial<ServiceSettings> {
  if (p.network) return changes;
  const { registryArn: _r, securityGroups: _g, subnets: _s, ...rest } = changes;
  return rest;
}

/**
 * The registry and security-group changes a primary's service still needs (empty when none, or while
 * a reference is missing): the roll applies them with the member's restart (`RestartMember`).
 */
export function restartNetworkChanges(
  observed: Obs,
  member: string,
): Pick<Partial<ServiceSettings>, 'registryArn' | 'securityGroups' | 'subnets'> {
  const net = observed.topology?.network;
  const service = observed.services[member] ?? observed.topology?.services?.[member];
  if (!service || net?.registryArn === undefined || net.securityGroupIds.length === 0) return {};
  const want = [...net.securityGroupIds].sort();
  return {
    ...(sameSet(service.serviceRegistries, [net.registryArn]) ? {} : { registryArn: net.registryArn }),
    ...(sameSet(service.securityGroups, want)
      ? {}
      : { securityGroups: want, subnets: [...(service.subnets ?? [])].sort() }),
  };
}

function subnetsOf(p: Plan, asg: string | undefined): string[] {
  return [...((asg !== undefined ? p.topo.asgs[asg]?.subnetIds : undefined) ?? [])].sort();
}

function primaryService(p: Plan, m: string, zone: string): void {
  const v = memberVolume(p.observed, m, zone);
  const arn = p.currentArn(m);
  if (!v || !arn) {
    p.holds.push(
      recheck('TaskDefinitionPending', `${m}'s service waits for its volume and task definition`, m),
    );
    return;
  }
  const service = p.observed.services[m] ?? p.topo.services?.[m];
  const running = liveTasks(p.observed, m) > 0;
  const placed = p.placed.has(m);
  const want = withNetwork(p, {
    taskDefinition: arn,
    desiredCount: placed ? 1 : running ? (service?.desiredCount ?? 0) : 0,
    placementConstraints: [
      { type: 'memberOf', expression: `attribute:${memberAttribute(m)} == ${v.volumeId}` },
    ],
    placementStrategy: [],
    deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 },
    subnets: subnetsOf(p, p.desired.spec.capacity.primaryAutoScalingGroups[zone]),
  });
  if (!service) {
    if (!p.network) return; // networkHolds says why
    p.acts.push({
      kind: 'act',
      type: 'CreateService',
      reason: 'ServiceMissing',
      message: `creating ${m}'s service (desiredCount ${want.desiredCount}${placed ? '' : ': its volume is not placed yet'})`,
      member: m,
      service: m,
      settings: want,
      tags: { ...p.tags, [TAGS.member]: m, [TAGS.role]: 'primary' },
    });
    return;
  }
  if (service.status === 'DRAINING') {
    p.holds.push(recheck('ServiceDraining', `${m}'s service is DRAINING`, m));
    return;
  }
  const changes = withoutMissingNetwork(p, diff(service, want));
  if (running) {
    // The task definition: the ordered roll's, one member at a time, away from the leaders.
    delete changes.taskDefinition;
    const network = RESTARTING.some((k) => k !== 'taskDefinition' && changes[k] !== undefined);
    for (const k of RESTARTING) delete changes[k];
    if (network && service.taskDefinition === arn)
      p.holds.push({
        kind: 'refused',
        reason: 'NetworkChangePending',
        message: `${m}'s service lacks the Cloud Map registry or the members' security groups; changing them restarts the member, so it is done with its next restart by the roll (change spec.upgrade.restartToken to roll now)`,
        member: m,
      });
  }
  if (Object.keys(changes).length > 0)
    p.acts.push({
      kind: 'act',
      type: 'UpdateService',
      reason: 'ServiceDrift',
      message: `updating ${m}'s service: ${Object.keys(changes).join(', ')}`,
      member: m,
      service: m,
      changes,
    });
}

function secondariesService(p: Plan): void {
  const sec = secondaryServiceName(p.desired.metadata.name);
  const count = p.desired.spec.secondaries.count;
  const current = p.observed.services[sec] ?? p.topo.services?.[sec];
  if (count === 0 && current?.status !== 'ACTIVE') return;
  const arn = p.currentArn(sec) ?? (count === 0 ? current?.taskDefinition : undefined);
  if (!arn) {
    p.holds.push(recheck('TaskDefinitionPending', `${sec} waits for its task definition`));
    return;
  }
  const want = withNetwork(p, {
    taskDefinition: arn,
    desiredCount: count,
    placementConstraints: [
      { type: 'memberOf', expression: `attribute:${POOL_ATTRIBUTE} == ${POOL_SECONDARIES}` },
    ],
    placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
    deploymentConfiguration: secondaryDeployment(p.desired),
    subnets: subnetsOf(p, p.desired.spec.capacity.secondaryAutoScalingGroup),
  });
  if (!current) {
    if (!p.network) return; // networkHolds says why
    p.acts.push({
      kind: 'act',
      type: 'CreateService',
      reason: 'ServiceMissing',
      message: `creating ${sec} with ${count} secondaries`,
      service: sec,
      settings: want,
      tags: { ...p.tags, [TAGS.role]: 'secondary' },
    });
    return;
  }
  const changes = withoutMissingNetwork(p, diff(current, want));
  if (Object.keys(changes).length === 0) return;
  const scaled = changes.desiredCount !== undefined;
  p.acts.push({
    kind: 'act',
    type: 'UpdateService',
    reason: scaled ? 'SecondariesScaled' : 'ServiceDrift',
    message: `updating ${sec}: ${Object.keys(changes).join(', ')}${scaled ? ` (desiredCount ${current.desiredCount} → ${count})` : ''}`,
    service: sec,
    changes,
  });
}

export function planServices(desired: Neo4jCluster, observed: Obs): Step<ServiceAction>[] {
  const topo = observed.topology;
  if (!topo) return [];
  const defs = desiredTaskDefinitions(desired, observed);
  const p: Plan = {
    desired,
    observed,
    topo,
    tags: { [TAGS.cluster]: desired.metadata.name, [TAGS.managedBy]: MANAGED_BY },
    currentArn: (family) => {
      const td = topo.taskDefinitions[family];
      const want = defs.get(family);
      return td && want && sameContent(td.content, want) ? td.arn : undefined;
    },
    placed: placedMembers(desired, observed),
    network:
      topo.network?.registryArn !== undefined && topo.network.securityGroupIds.length > 0
        ? { registryArn: topo.network.registryArn, securityGroups: [...topo.network.securityGroupIds].sort() }
        : undefined,
    acts: [],
    holds: [],
  };
  for (const slot of primaryPlacement(desired)) primaryService(p, slot.member, slot.zone);
  secondariesService(p);
  // Missing references first among the holds: a wait after them would hide them.
  return [...p.acts, ...networkHolds(desired, topo), ...p.holds];
}
