/**
 * The topology observation of one cluster, beside the batched base observation (observe.ts): what the
 * volume, placement, service and capacity planners need and the base observation does not read.
 *
 * - DescribeAutoScalingGroups for the ASGs of spec.capacity (≤ 50 names per call), and
 *   DescribeLifecycleHooks per group;
 * - ListContainerInstances (100 per page) + DescribeContainerInstances (≤ 100 per call) of the ECS
 *   cluster, with their attributes;
 * - DescribeTaskDefinition per family the cluster owns (the newest ACTIVE revision).
 *
 * A family whose revision the caller already knows (task-definition revisions are immutable, so the
 * caller may cache them by ARN) is not described again, and the container instances may be shared by
 * the clusters observed at one instant. Steady state for a 3-primary cluster with 3 ASGs:
 * 1 + 3 + 2 = 6 calls, plus DescribeServices of the secondaries' service while its count is 0. A missing ASG or task-definition family is an observation (absent / null), not
 * an error.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import {
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
} from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  DescribeVolumesModificationsCommand,
} from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import type {
  ObservedAsg,
  ObservedEcsInstance,
  ObservedService,
  ObservedTask,
  ObservedTaskDefinition,
  ObservedTopology,
} from '../model/observed.js';
import { chunk, toService, toTask } from './observe.js';

export interface TopologyTarget {
  ecsCluster: string;
  asgNames: string[];
  families: string[];
  /** Services to describe besides the base observation's (e.g. the secondaries' once their count is 0). */
  extraServices?: string[];
  /** Task definitions already known (from a cache of immutable revisions): not described again. */
  knownTaskDefinitions?: Record<string, ObservedTaskDefinition>;
  /** The container instances, when already being read for this instant (shared by a pass group). */
  instances?: Promise<ObservedEcsInstance[]>;
  /**
   * Which instances are spot, as far as already known (an instance's market never changes): the
   * instances of the ASGs not in it are described (DescribeInstances), and it is filled in.
   */
  spotCache?: Map<string, boolean>;
  /** The ECS services of the cluster: their stopping tasks on instances in Terminating:Wait are read. */
  services?: readonly string[];
}

export interface TopologyClients {
  ecs: ECSClient;
  autoscaling: AutoScalingClient;
  /** For the instances' market (spot or on-demand); without it `spot` is not observed. */
  ec2?: EC2Client;
}

type Opt = { abortSignal?: AbortSignal };

export async function observeTopology(
  clients: TopologyClients,
  target: TopologyTarget,
  signal?: AbortSignal,
): Promise<ObservedTopology> {
  const opt: Opt = signal ? { abortSignal: signal } : {};
  const asgs = await describeAsgs(clients.autoscaling, [...new Set(target.asgNames)], opt);
  const instances = await (target.instances ?? describeEcsInstances(clients.ecs, target.ecsCluster, opt));
  const asgInstances = Object.values(asgs).flatMap((g) => g.instances);
  const waiting = new Set(
    asgInstances.filter((i) => i.lifecycleState === 'Terminating:Wait').map((i) => i.instanceId),
  );
  const spot = clients.ec2
    ? await describeSpot(
        clients.ec2,
        asgInstances.map((i) => i.instanceId),
        target.spotCache ?? new Map<string, boolean>(),
        opt,
      )
    : undefined;
  const stopping =
    waiting.size > 0 && target.services
      ? await describeStoppingTasks(
          clients.ecs,
          target.ecsCluster,
          instances
            .filter((ci) => waiting.has(ci.ec2InstanceId) && ci.status !== 'INACTIVE')
            .map((ci) => ci.arn),
          new Set(target.services),
          opt,
        )
      : undefined;
  return {
    asgs,
    instances,
    ...(spot ? { spot } : {}),
    ...(stopping ? { stoppingTasks: stopping } : {}),
    taskDefinitions: {
      ...(target.knownTaskDefinitions ?? {}),
      ...(await describeFamilies(
        clients.ecs,
        target.families.filter((f) => !target.knownTaskDefinitions?.[f]),
        opt,
      )),
    },
    services: await describeExtraServices(clients.ecs, target.ecsCluster, target.extraServices ?? [], opt),
  };
}

async function describeExtraServices(
  ecs: ECSClient,
  cluster: string,
  names: readonly string[],
  opt: Opt,
): Promise<Record<string, ObservedService>> {
  const out: Record<string, ObservedService> = {};
  for (const batch of chunk(names, 10)) {
    try {
      const res = await ecs.send(
        new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }),
        opt,
      );
      for (const s of res.services ?? [])
        if (s.serviceName && s.status !== 'INACTIVE') out[s.serviceName] = toService(s);
    } catch (e) {
      if ((e as { name?: string }).name !== 'ClusterNotFoundException') throw e;
    }
  }
  return out;
}

async function describeAsgs(
  autoscaling: AutoScalingClient,
  names: readonly string[],
  opt: Opt,
): Promise<Record<string, ObservedAsg>> {
  const out: Record<string, ObservedAsg> = {};
  for (const batch of chunk(names, 50)) {
    const res = await autoscaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: batch, MaxRecords: 100 }),
      opt,
    );
    for (const g of res.AutoScalingGroups ?? []) {
      if (!g.AutoScalingGroupName) continue;
      out[g.AutoScalingGroupName] = {
        name: g.AutoScalingGroupName,
        minSize: g.MinSize ?? 0,
        maxSize: g.MaxSize ?? 0,
        desiredCapacity: g.DesiredCapacity ?? 0,
        availabilityZones: g.AvailabilityZones ?? [],
        subnetIds: (g.VPCZoneIdentifier ?? '').split(',').filter((x) => x !== ''),
        instances: (g.Instances ?? []).map((i) => ({
          instanceId: i.InstanceId ?? '',
          availabilityZone: i.AvailabilityZone ?? '',
          lifecycleState: i.LifecycleState ?? 'Unknown',
          healthStatus: i.HealthStatus ?? 'Unknown',
          protectedFromScaleIn: i.ProtectedFromScaleIn ?? false,
        })),
        hooks: [],
      };
    }
  }
  for (const g of Object.values(out)) {
    const res = await autoscaling.send(
      new DescribeLifecycleHooksCommand({ AutoScalingGroupName: g.name }),
      opt,
    );
    g.hooks = (res.LifecycleHooks ?? []).map((h) => ({
      name: h.LifecycleHookName ?? '',
      transition: h.LifecycleTransition ?? '',
      heartbeatTimeout: h.HeartbeatTimeout ?? 0,
      defaultResult: h.DefaultResult ?? '',
    }));
  }
  return out;
}

/** ListContainerInstances + DescribeContainerInstances of an ECS cluster, by EC2 instance id. */
export async function describeEcsInstances(
  ecs: ECSClient,
  cluster: string,
  opt: Opt,
): Promise<ObservedEcsInstance[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const res = await ecs.send(
        new ListContainerInstancesCommand({ cluster, maxResults: 100, ...(nextToken ? { nextToken } : {}) }),
        opt,
      );
      arns.push(...(res.containerInstanceArns ?? []));
      nextToken = res.nextToken;
    } while (nextToken);
  } catch (e) {
    if ((e as { name?: string }).name === 'ClusterNotFoundException') return [];
    throw e;
  }
  const out: ObservedEcsInstance[] = [];
  for (const batch of chunk(arns, 100)) {
    const res = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster, containerInstances: batch }),
      opt,
    );
    for (const ci of res.containerInstances ?? []) {
      const attributes: Record<string, string> = {};
      for (const a of ci.attributes ?? []) if (a.name) attributes[a.name] = a.value ?? '';
      const az = attributes['ecs.availability-zone'];
      out.push({
        arn: ci.containerInstanceArn ?? '',
        ec2InstanceId: ci.ec2InstanceId ?? '',
        status: ci.status ?? 'UNKNOWN',
        agentConnected: ci.agentConnected ?? false,
        ...(az !== undefined ? { availabilityZone: az } : {}),
        attributes,
      });
    }
  }
  return out.sort((a, b) => (a.ec2InstanceId < b.ec2InstanceId ? -1 : 1));
}

/** DescribeTaskDefinition of each family (its newest ACTIVE revision) or ARN (that revision); null when none. */
export async function describeFamilies(
  ecs: ECSClient,
  families: readonly string[],
  opt: Opt,
): Promise<ObservedTopology['taskDefinitions']> {
  const out: ObservedTopology['taskDefinitions'] = {};
  for (const family of families) {
    try {
      const res = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }), opt);
      const td = res.taskDefinition;
      out[family] =
        td?.taskDefinitionArn && td.status === 'ACTIVE'
          ? { family, arn: td.taskDefinitionArn, revision: td.revision ?? 0, content: td }
          : null;
    } catch (e) {
      if ((e as { name?: string }).name === 'ClientException') out[family] = null;
      else throw e;
    }
  }
  return out;
}

/** The state of the latest modification of each volume (DescribeVolumesModifications), read only when a grow is planned. */
export async function describeModifications(
  ec2: EC2Client,
  volumeIds: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const batch of chunk(volumeIds, 200)) {
    const res = await ec2.send(
      // A filter, not VolumeIds: a volume never modified is then simply absent, not an error.
      new DescribeVolumesModificationsCommand({ Filters: [{ Name: 'volume-id', Values: batch }] }),
      signal ? { abortSignal: signal } : {},
    );
    const latest = new Map<string, number>();
    for (const m of res.VolumesModifications ?? []) {
      if (!m.VolumeId || !m.ModificationState) continue;
      const t = m.StartTime?.getTime() ?? 0;
      if ((latest.get(m.VolumeId) ?? -1) > t) continue;
      latest.set(m.VolumeId, t);
      out.set(m.VolumeId, m.ModificationState);
    }
  }
  return out;
}

/**
 * The EC2 state of each AZ (DescribeAvailabilityZones): `available`, `impaired`, `unavailable`, ...
 * Read only while a primaries' AZ has no connected container instance, to tell a lost AZ from one
 * whose capacity is still coming.
 */
export async function describeZoneStates(
  ec2: EC2Client,
  zones: readonly string[],
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  if (zones.length === 0) return {};
  const res = await ec2.send(
    // A filter, not ZoneNames: a zone this account does not see is simply absent, not an error.
    new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-name', Values: [...zones] }] }),
    signal ? { abortSignal: signal } : {},
  );
  const out: Record<string, string> = {};
  for (const z of res.AvailabilityZones ?? []) if (z.ZoneName && z.State) out[z.ZoneName] = z.State;
  return out;
}

/**
 * Which of `instanceIds` are spot: those in `cache` are known (an instance's market never changes);
 * the rest are read with one DescribeInstances (an `instance-id` filter, so ids already gone are
 * simply absent) and added to `cache`. Returns the answer for every id known after the read.
 */
export async function describeSpot(
  ec2: EC2Client,
  instanceIds: readonly string[],
  cache: Map<string, boolean>,
  opt: Opt,
): Promise<Record<string, boolean>> {
  const unknown = [...new Set(instanceIds)].filter((id) => id !== '' && !cache.has(id)).sort();
  for (const batch of chunk(unknown, 200)) {
    let nextToken: string | undefined;
    do {
      const res = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'instance-id', Values: batch }],
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
        opt,
      );
      for (const r of res.Reservations ?? [])
        for (const i of r.Instances ?? [])
          if (i.InstanceId) cache.set(i.InstanceId, i.InstanceLifecycle === 'spot');
      nextToken = res.NextToken;
    } while (nextToken);
  }
  if (cache.size > SPOT_CACHE_MAX)
    for (const id of [...cache.keys()].slice(0, cache.size - SPOT_CACHE_MAX)) cache.delete(id);
  const out: Record<string, boolean> = {};
  for (const id of instanceIds) {
    const known = cache.get(id);
    if (known !== undefined) out[id] = known;
  }
  return out;
}

/** Most instance markets remembered. */
const SPOT_CACHE_MAX = 5000;

/**
 * Tasks of `services` being stopped on the given container instances: ListTasks with desiredStatus
 * STOPPED per container instance, then DescribeTasks, keeping those whose lastStatus is not yet STOPPED
 * (the containers may still hold the member's volume).
 */
export async function describeStoppingTasks(
  ecs: ECSClient,
  cluster: string,
  containerInstanceArns: readonly string[],
  services: ReadonlySet<string>,
  opt: Opt,
): Promise<ObservedTask[]> {
  const arns: string[] = [];
  for (const containerInstance of containerInstanceArns) {
    let nextToken: string | undefined;
    do {
      const res = await ecs.send(
        new ListTasksCommand({
          cluster,
          containerInstance,
          desiredStatus: 'STOPPED',
          maxResults: 100,
          ...(nextToken ? { nextToken } : {}),
        }),
        opt,
      );
      arns.push(...(res.taskArns ?? []));
      nextToken = res.nextToken;
    } while (nextToken);
  }
  const out: ObservedTask[] = [];
  for (const batch of chunk(arns, 100)) {
    const res = await ecs.send(new DescribeTasksCommand({ cluster, tasks: batch }), opt);
    for (const t of res.tasks ?? []) {
      const service = t.group?.startsWith('service:') ? t.group.slice('service:'.length) : undefined;
      if (service === undefined || !services.has(service) || t.lastStatus === 'STOPPED') continue;
      out.push(toTask(t));
    }
  }
  return out;
}
