/**
 * ECS services (docs/topology.md). One per primary: desiredCount 1 only once its volume is attached to
 * a qualifying instance carrying its attribute (else 0), minimumHealthyPercent 0, maximumPercent 100,
 * AZ rebalancing off, the memberOf constraint on `neo4j-ecs.member.<member> == <volume-id>`. One for the
 * secondaries: desiredCount = spec.secondaries.count, spread over AZs, on the pool attribute, min/max
 * from maxUnavailableSecondaries.
 *
 * A primary's task definition is changed here only while it has no task (bring-up, heal); otherwise
 * the ordered roll (src/reconcilers/roll) changes it. The secondaries roll through ECS within their
 * min/max.
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

function diff(current: ObservedService, want: ServiceSettings): Partial<ServiceSettings> {
  const changes: Partial<ServiceSettings> = {};
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
  acts: ServiceAction[];
  holds: Hold[];
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
  const want: ServiceSettings = {
    taskDefinition: arn,
    desiredCount: placed ? 1 : running ? (service?.desiredCount ?? 0) : 0,
    placementConstraints: [
      { type: 'memberOf', expression: `attribute:${memberAttribute(m)} == ${v.volumeId}` },
    ],
    placementStrategy: [],
    deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 },
    subnets: subnetsOf(p, p.desired.spec.capacity.primaryAutoScalingGroups[zone]),
  };
  if (!service) {
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
  const changes = diff(service, want);
  // A running primary changes its task definition only through the ordered roll (src/reconcilers/roll),
  // one member at a time, away from the leaders; it reports its own progress and holds.
  if (changes.taskDefinition !== undefined && running) delete changes.taskDefinition;
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
  const want: ServiceSettings = {
    taskDefinition: arn,
    desiredCount: count,
    placementConstraints: [
      { type: 'memberOf', expression: `attribute:${POOL_ATTRIBUTE} == ${POOL_SECONDARIES}` },
    ],
    placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
    deploymentConfiguration: secondaryDeployment(p.desired),
    subnets: subnetsOf(p, p.desired.spec.capacity.secondaryAutoScalingGroup),
  };
  if (!current) {
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
  const changes = diff(current, want);
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
    acts: [],
    holds: [],
  };
  for (const slot of primaryPlacement(desired)) primaryService(p, slot.member, slot.zone);
  secondariesService(p);
  return [...p.acts, ...p.holds];
}
