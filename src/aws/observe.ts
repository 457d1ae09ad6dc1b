/**
 * Batched observation of several clusters at once, so a pass group costs a handful of calls whatever
 * the number of clusters:
 *
 * - per ECS cluster: DescribeServices for every member service of every cluster on it, ≤ 10 per call;
 *   ListTasks (100 per page), then DescribeTasks ≤ 100 per call, keeping the tasks of those services;
 *   DescribeContainerInstances ≤ 100 per call for the instances hosting them;
 * - once for all clusters: DescribeVolumes filtered by tag `neo4j-ecs:cluster` (paginated);
 * - per cluster: DescribeLogGroups with the log group name as prefix.
 *
 * A missing ECS cluster is an observation (`ecsClusterFound: false`), not an error.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ContainerInstance, Service, Task } from '@aws-sdk/client-ecs';
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import type {
  ObservedCluster,
  ObservedContainerInstance,
  ObservedService,
  ObservedTask,
  ObservedVolume,
} from '../model/observed.js';
import { emptyObservedCluster, TAGS } from '../model/observed.js';

export const BATCH = { describeServices: 10, describeTasks: 100, describeContainerInstances: 100 } as const;

/** What to observe for one cluster. */
export interface ObserveTarget {
  name: string;
  ecsCluster: string;
  /** ECS service names of its members. */
  services: string[];
  logGroup: string;
}

export interface ObserverClients {
  ecs: ECSClient;
  ec2: EC2Client;
  logs: CloudWatchLogsClient;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface SdkError {
  name?: string;
}

const isClusterNotFound = (e: unknown): boolean => (e as SdkError).name === 'ClusterNotFoundException';

export async function observeClusters(
  clients: ObserverClients,
  targets: readonly ObserveTarget[],
  now: number,
  signal?: AbortSignal,
): Promise<Map<string, ObservedCluster>> {
  const opt = signal ? { abortSignal: signal } : {};
  const out = new Map<string, ObservedCluster>();
  for (const t of targets) out.set(t.name, emptyObservedCluster(t.name, now));

  const byEcs = new Map<string, ObserveTarget[]>();
  for (const t of targets) byEcs.set(t.ecsCluster, [...(byEcs.get(t.ecsCluster) ?? []), t]);
  for (const [ecsCluster, group] of byEcs) {
    const found = await observeEcs(clients.ecs, ecsCluster, group, out, opt);
    if (!found) for (const t of group) (out.get(t.name) as ObservedCluster).ecsClusterFound = false;
  }

  if (targets.length > 0) {
    for (const v of await describeVolumes(
      clients.ec2,
      targets.map((t) => t.name),
      opt,
    )) {
      const owner = out.get(v.tags[TAGS.cluster] ?? '');
      owner?.volumes.push(v);
    }
  }

  for (const t of targets) {
    const res = await clients.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: t.logGroup, limit: 50 }),
      opt,
    );
    const g = (res.logGroups ?? []).find((x) => x.logGroupName === t.logGroup);
    (out.get(t.name) as ObservedCluster).logGroup = g ? { name: t.logGroup } : null;
  }
  return out;
}

type Opt = { abortSignal?: AbortSignal };
const ownerOf = (out: Map<string, ObservedCluster>, name: string): ObservedCluster =>
  out.get(name) as ObservedCluster;

/** Services, tasks and container instances of every target on one ECS cluster; false if it does not exist. */
async function observeEcs(
  ecs: ECSClient,
  ecsCluster: string,
  group: readonly ObserveTarget[],
  out: Map<string, ObservedCluster>,
  opt: Opt,
): Promise<boolean> {
  const serviceOwner = new Map<string, string>();
  for (const t of group) for (const s of t.services) serviceOwner.set(s, t.name);
  try {
    await describeServices(ecs, ecsCluster, serviceOwner, out, opt);
    const instanceOwners = await describeTasks(
      ecs,
      ecsCluster,
      await listTasks(ecs, ecsCluster, opt),
      serviceOwner,
      out,
      opt,
    );
    await describeInstances(ecs, ecsCluster, instanceOwners, out, opt);
    return true;
  } catch (e) {
    if (isClusterNotFound(e)) return false;
    throw e;
  }
}

async function describeServices(
  ecs: ECSClient,
  ecsCluster: string,
  serviceOwner: ReadonlyMap<string, string>,
  out: Map<string, ObservedCluster>,
  opt: Opt,
): Promise<void> {
  for (const names of chunk([...serviceOwner.keys()], BATCH.describeServices)) {
    const res = await ecs.send(
      new DescribeServicesCommand({ cluster: ecsCluster, services: names, include: ['TAGS'] }),
      opt,
    );
    for (const s of res.services ?? []) {
      const owner = serviceOwner.get(s.serviceName ?? '');
      if (owner === undefined || !s.serviceName || s.status === 'INACTIVE') continue;
      ownerOf(out, owner).services[s.serviceName] = toService(s);
    }
  }
}

async function listTasks(ecs: ECSClient, ecsCluster: string, opt: Opt): Promise<string[]> {
  const taskArns: string[] = [];
  let nextToken: string | undefined;
  do {
    const res = await ecs.send(
      new ListTasksCommand({ cluster: ecsCluster, maxResults: 100, ...(nextToken ? { nextToken } : {}) }),
      opt,
    );
    taskArns.push(...(res.taskArns ?? []));
    nextToken = res.nextToken;
  } while (nextToken);
  return taskArns;
}

/** Keeps the tasks of the targets' services; returns container instance ARN → owning clusters. */
async function describeTasks(
  ecs: ECSClient,
  ecsCluster: string,
  taskArns: readonly string[],
  serviceOwner: ReadonlyMap<string, string>,
  out: Map<string, ObservedCluster>,
  opt: Opt,
): Promise<Map<string, Set<string>>> {
  const instanceOwners = new Map<string, Set<string>>();
  for (const arns of chunk(taskArns, BATCH.describeTasks)) {
    const res = await ecs.send(new DescribeTasksCommand({ cluster: ecsCluster, tasks: arns }), opt);
    for (const task of res.tasks ?? []) {
      const service = task.group?.startsWith('service:') ? task.group.slice('service:'.length) : undefined;
      const owner = service !== undefined ? serviceOwner.get(service) : undefined;
      if (owner === undefined) continue;
      const t = toTask(task);
      ownerOf(out, owner).tasks.push(t);
      if (t.containerInstanceArn)
        instanceOwners.set(
          t.containerInstanceArn,
          (instanceOwners.get(t.containerInstanceArn) ?? new Set()).add(owner),
        );
    }
  }
  return instanceOwners;
}

async function describeInstances(
  ecs: ECSClient,
  ecsCluster: string,
  instanceOwners: ReadonlyMap<string, Set<string>>,
  out: Map<string, ObservedCluster>,
  opt: Opt,
): Promise<void> {
  for (const arns of chunk([...instanceOwners.keys()], BATCH.describeContainerInstances)) {
    const res = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster: ecsCluster, containerInstances: arns }),
      opt,
    );
    for (const ci of res.containerInstances ?? []) {
      if (!ci.containerInstanceArn) continue;
      const obs = toInstance(ci);
      for (const owner of instanceOwners.get(ci.containerInstanceArn) ?? [])
        ownerOf(out, owner).containerInstances[obs.arn] = obs;
    }
  }
}

async function describeVolumes(
  ec2: EC2Client,
  clusters: readonly string[],
  opt: { abortSignal?: AbortSignal },
): Promise<ObservedVolume[]> {
  const out: ObservedVolume[] = [];
  // A filter takes up to 200 values; clusters per pass group stay far below that, but chunk anyway.
  for (const names of chunk([...new Set(clusters)].sort(), 200)) {
    let NextToken: string | undefined;
    do {
      const res = await ec2.send(
        new DescribeVolumesCommand({
          Filters: [{ Name: `tag:${TAGS.cluster}`, Values: names }],
          MaxResults: 500,
          ...(NextToken ? { NextToken } : {}),
        }),
        opt,
      );
      for (const v of res.Volumes ?? []) {
        const tags: Record<string, string> = {};
        for (const t of v.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
        out.push({
          volumeId: v.VolumeId ?? '',
          availabilityZone: v.AvailabilityZone ?? '',
          state: v.State ?? 'unknown',
          sizeGiB: v.Size ?? 0,
          type: v.VolumeType ?? 'unknown',
          ...(v.Iops !== undefined ? { iops: v.Iops } : {}),
          ...(v.Throughput !== undefined ? { throughput: v.Throughput } : {}),
          tags,
          attachments: (v.Attachments ?? []).map((a) => ({
            instanceId: a.InstanceId ?? '',
            state: a.State ?? 'unknown',
            device: a.Device ?? '',
          })),
        });
      }
      NextToken = res.NextToken;
    } while (NextToken);
  }
  return out;
}

/** Only the keys whose value is defined (exactOptionalPropertyTypes). */
function defined<T extends object>(o: { [K in keyof T]: T[K] | undefined }): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function toService(s: Service): ObservedService {
  const dc = s.deploymentConfiguration;
  const net = s.networkConfiguration?.awsvpcConfiguration;
  const tags: Record<string, string> | undefined = s.tags
    ? Object.fromEntries(
        s.tags.filter((t) => t.key !== undefined).map((t) => [t.key as string, t.value ?? '']),
      )
    : undefined;
  return {
    name: s.serviceName ?? '',
    status: s.status ?? 'UNKNOWN',
    desiredCount: s.desiredCount ?? 0,
    runningCount: s.runningCount ?? 0,
    pendingCount: s.pendingCount ?? 0,
    taskDefinition: s.taskDefinition ?? '',
    deployments: s.deployments?.length ?? 0,
    placementConstraints: (s.placementConstraints ?? []).map((c) => ({
      type: c.type ?? '',
      ...defined({ expression: c.expression }),
    })),
    deploymentConfiguration: defined({
      minimumHealthyPercent: dc?.minimumHealthyPercent,
      maximumPercent: dc?.maximumPercent,
    }),
    serviceRegistries: (s.serviceRegistries ?? []).flatMap((r) => (r.registryArn ? [r.registryArn] : [])),
    securityGroups: [...(net?.securityGroups ?? [])].sort(),
    subnets: [...(net?.subnets ?? [])].sort(),
    ...defined({
      tags,
      rolloutState: s.deployments?.find((d) => d.status === 'PRIMARY')?.rolloutState,
    }),
  };
}

export function toTask(t: Task): ObservedTask {
  return {
    taskArn: t.taskArn ?? '',
    ...(t.group !== undefined ? { group: t.group } : {}),
    lastStatus: t.lastStatus ?? 'UNKNOWN',
    desiredStatus: t.desiredStatus ?? 'UNKNOWN',
    taskDefinitionArn: t.taskDefinitionArn ?? '',
    ...(t.containerInstanceArn !== undefined ? { containerInstanceArn: t.containerInstanceArn } : {}),
    ...(t.availabilityZone !== undefined ? { availabilityZone: t.availabilityZone } : {}),
    ...(t.healthStatus !== undefined ? { healthStatus: t.healthStatus } : {}),
    ...(taskAddress(t) !== undefined ? { address: taskAddress(t) as string } : {}),
  };
}

/** The private IPv4 address of an awsvpc task (its container's network interface). */
function taskAddress(t: Task): string | undefined {
  for (const c of t.containers ?? [])
    for (const n of c.networkInterfaces ?? []) if (n.privateIpv4Address) return n.privateIpv4Address;
  return undefined;
}

function toInstance(ci: ContainerInstance): ObservedContainerInstance {
  const az = ci.attributes?.find((a) => a.name === 'ecs.availability-zone')?.value;
  return {
    arn: ci.containerInstanceArn ?? '',
    ec2InstanceId: ci.ec2InstanceId ?? '',
    status: ci.status ?? 'UNKNOWN',
    ...(az !== undefined ? { availabilityZone: az } : {}),
  };
}
