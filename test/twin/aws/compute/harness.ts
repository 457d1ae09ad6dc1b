/**
 * Test harness for the compute simulation: a manual clock, a seeded world, and direct calls to the
 * service modules' handlers (the same decoded wire objects the protocol layer would pass). Cloud Map
 * (`servicediscovery`) is wired in as in the twin, so ECS services can have registries.
 */
import { VirtualClock } from '../../../../twin/core/clock.js';
import { LoopbackAllocator } from '../../../../twin/core/loopback.js';
import { Rng } from '../../../../twin/core/rng.js';
import { WorldLog, type WorldEvent } from '../../../../twin/core/world-log.js';
import { AwsError, type ServiceName, type Wire } from '../../../../twin/aws/contract.js';
import {
  type ComputeParams,
  type ComputeSimulation,
  createComputeSimulation,
} from '../../../../twin/aws/services/compute/index.js';
import { type CloudMapModule, createCloudMap } from '../../../../twin/aws/services/servicediscovery.js';

export interface Harness {
  clock: VirtualClock;
  world: WorldLog;
  sim: ComputeSimulation;
  /** Cloud Map; its `resolve` is the twin's DNS. */
  cloudMap: CloudMapModule;
  secrets: Map<string, string>;
  call(service: ServiceName, op: string, input?: Wire): Promise<Wire>;
  /** Expects the call to fail with this AWS error code; returns the error. */
  fails(service: ServiceName, op: string, input: Wire, code: string): Promise<AwsError>;
  control(op: string, input?: Wire): Promise<Wire>;
  advance(ms: number): Promise<void>;
  /** Advances in steps until `pred` holds; throws after `maxMs` of virtual time. */
  until(pred: () => boolean | Promise<boolean>, maxMs?: number, stepMs?: number): Promise<void>;
  events(kind: string): WorldEvent[];
  stop(): void;
}

/** Fast but realistic-order delays for tests. */
export const FAST: Partial<ComputeParams> = {
  instanceBootMs: 2_000,
  agentRegistrationMs: 1_000,
  instanceTerminateMs: 2_000,
  instanceStopMs: 2_000,
  volumeCreateMs: 1_000,
  volumeAttachMs: 1_000,
  volumeDetachMs: 1_000,
  volumeDeleteMs: 500,
  snapshotMs: 2_000,
  volumeModifyMs: 2_000,
  volumeModificationCooldownMs: 60_000,
  asgReconcileIntervalMs: 2_000,
  spotNoticeMs: 120_000,
  taskProvisionMs: 500,
  taskStartMs: 1_000,
  taskStopMs: 1_000,
  taskDeprovisionMs: 500,
  stoppedTaskRetentionMs: 600_000,
  schedulerIntervalMs: 1_000,
  taskHealthyWithoutCheckMs: 2_000,
  serviceEventRepeatMs: 30_000,
};

export function harness(params: Partial<ComputeParams> = FAST, seed = 7): Harness {
  const clock = new VirtualClock({ mode: 'manual' });
  const world = new WorldLog(() => clock.now());
  const secrets = new Map<string, string>();
  let vpcExists: (id: string) => boolean = () => false;
  const cloudMap = createCloudMap({
    clock,
    rng: new Rng(seed + 1),
    world,
    region: 'us-east-1',
    accountId: '123456789012',
    vpcExists: (id) => vpcExists(id),
    params: { namespaceOperationMs: 1_000, instanceOperationMs: 500 },
  });
  const sim = createComputeSimulation({
    clock,
    rng: new Rng(seed),
    world,
    loopback: new LoopbackAllocator(),
    region: 'us-east-1',
    accountId: '123456789012',
    params,
    resolveSecret: (arn) => secrets.get(arn),
    serviceDiscovery: cloudMap.registry,
  });
  vpcExists = (id) => sim.vpcExists(id);
  const modules = [...sim.modules, cloudMap];
  const ctx = () => ({ requestId: 'req', region: 'us-east-1', accountId: '123456789012', now: clock.now() });
  const call = async (service: ServiceName, op: string, input: Wire = {}): Promise<Wire> => {
    const mod = modules.find((m) => m.service === service);
    const h = mod?.operations[op];
    if (!h) throw new Error(`no operation ${service}.${op}`);
    return await h(input, ctx());
  };
  const h: Harness = {
    clock,
    world,
    sim,
    cloudMap,
    secrets,
    call,
    async fails(service, op, input, code) {
      try {
        await call(service, op, input);
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
        return err;
      }
      throw new Error(`expected ${service}.${op} to fail with ${code}`);
    },
    async control(op, input = {}) {
      const c = sim.control[op];
      if (!c) throw new Error(`no control op ${op}`);
      return await c(input, ctx());
    },
    advance: (ms) => clock.advance(ms),
    async until(pred, maxMs = 600_000, stepMs = 500) {
      const end = clock.now() + maxMs;
      while (!(await pred())) {
        if (clock.now() >= end) throw new Error(`condition not met within ${maxMs} virtual ms`);
        await clock.advance(stepMs);
      }
    },
    events: (kind) => world.list(kind).filter((e) => e.kind === kind),
    stop: () => {
      sim.stop();
      cloudMap.stop();
      clock.stop();
    },
  };
  return h;
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function userData(cluster: string, extra = ''): string {
  return b64(`#!/bin/bash\necho ECS_CLUSTER=${cluster} >> /etc/ecs/ecs.config\n${extra}`);
}

/** The three default subnets, in AZ order a, b, c. */
export async function defaultSubnets(h: Harness): Promise<{ id: string; az: string }[]> {
  const out = await h.call('ec2', 'DescribeSubnets', {
    Filter: [{ Name: 'default-for-az', Value: ['true'] }],
  });
  return (out['subnetSet'] as { subnetId: string; availabilityZone: string }[])
    .map((s) => ({ id: s.subnetId, az: s.availabilityZone }))
    .sort((a, b) => a.az.localeCompare(b.az));
}

/** A launch template whose user data joins `cluster`, and an ASG over the default subnets. */
export async function clusterWithAsg(
  h: Harness,
  o: {
    cluster?: string;
    group?: string;
    desired?: number;
    max?: number;
    instanceType?: string;
    extraUserData?: string;
    hooks?: Wire[];
  } = {},
): Promise<{ cluster: string; group: string; subnets: { id: string; az: string }[] }> {
  const cluster = o.cluster ?? 'neo4j';
  const group = o.group ?? 'neo4j-asg';
  await h.call('ecs', 'CreateCluster', { clusterName: cluster });
  await h.call('ec2', 'CreateLaunchTemplate', {
    LaunchTemplateName: `${group}-lt`,
    LaunchTemplateData: {
      ImageId: 'ami-ecs',
      InstanceType: o.instanceType ?? 'r6i.large',
      UserData: userData(cluster, o.extraUserData),
    },
  });
  const subnets = await defaultSubnets(h);
  await h.call('autoscaling', 'CreateAutoScalingGroup', {
    AutoScalingGroupName: group,
    LaunchTemplate: { LaunchTemplateName: `${group}-lt`, Version: '$Latest' },
    MinSize: '0',
    MaxSize: String(o.max ?? 6),
    DesiredCapacity: String(o.desired ?? 3),
    VPCZoneIdentifier: subnets.map((s) => s.id).join(','),
    ...(o.hooks ? { LifecycleHookSpecificationList: o.hooks } : {}),
  });
  return { cluster, group, subnets };
}

export async function containerInstances(h: Harness, cluster: string): Promise<Wire[]> {
  const list = await h.call('ecs', 'ListContainerInstances', { cluster });
  const arns = list['containerInstanceArns'] as string[];
  if (!arns.length) return [];
  const d = await h.call('ecs', 'DescribeContainerInstances', { cluster, containerInstances: arns });
  return d['containerInstances'] as Wire[];
}

export async function waitForInstances(h: Harness, cluster: string, n: number): Promise<Wire[]> {
  let cis: Wire[] = [];
  await h.until(async () => {
    cis = (await containerInstances(h, cluster)).filter(
      (c) => c['status'] === 'ACTIVE' && c['agentConnected'] === true,
    );
    return cis.length >= n;
  });
  return cis;
}

export function attr(ci: Wire, name: string): string | undefined {
  return (ci['attributes'] as { name: string; value?: string }[]).find((a) => a.name === name)?.value;
}

export async function registerTd(
  h: Harness,
  family: string,
  extra: Wire = {},
  container: Wire = {},
): Promise<string> {
  const out = await h.call('ecs', 'RegisterTaskDefinition', {
    family,
    containerDefinitions: [
      { name: 'neo4j', image: 'neo4j:5-enterprise', cpu: 512, memory: 1024, essential: true, ...container },
    ],
    ...extra,
  });
  return (out['taskDefinition'] as { taskDefinitionArn: string }).taskDefinitionArn;
}

export async function describeService(h: Harness, cluster: string, service: string): Promise<Wire> {
  const out = await h.call('ecs', 'DescribeServices', { cluster, services: [service] });
  const s = (out['services'] as Wire[])[0];
  if (!s) throw new Error(`service ${service} missing`);
  return s;
}

export async function serviceTasks(
  h: Harness,
  cluster: string,
  service: string,
  desiredStatus = 'RUNNING',
): Promise<Wire[]> {
  const l = await h.call('ecs', 'ListTasks', { cluster, serviceName: service, desiredStatus });
  const arns = l['taskArns'] as string[];
  if (!arns.length) return [];
  const d = await h.call('ecs', 'DescribeTasks', { cluster, tasks: arns });
  return d['tasks'] as Wire[];
}

/**
 * A Cloud Map private DNS namespace in the default VPC and an A-record service in it with custom
 * health (what an ECS service registry points at), ready once the namespace operation succeeded.
 */
export async function cloudMapService(
  h: Harness,
  o: { namespace: string; service: string },
): Promise<{ namespaceId: string; serviceId: string; registryArn: string }> {
  const vpcs = await h.call('ec2', 'DescribeVpcs', {});
  const vpc = (vpcs['vpcSet'] as { vpcId: string }[])[0]?.vpcId ?? '';
  const existing = await h.call('servicediscovery', 'ListNamespaces', {
    Filters: [{ Name: 'NAME', Values: [o.namespace] }],
  });
  let namespaceId = (existing['Namespaces'] as { Id: string }[])[0]?.Id;
  if (namespaceId === undefined) {
    const op = await h.call('servicediscovery', 'CreatePrivateDnsNamespace', { Name: o.namespace, Vpc: vpc });
    await h.advance(2_000);
    const got = await h.call('servicediscovery', 'GetOperation', { OperationId: op['OperationId'] });
    namespaceId = ((got['Operation'] as Wire)['Targets'] as Record<string, string>)['NAMESPACE'] ?? '';
  }
  const svc = await h.call('servicediscovery', 'CreateService', {
    Name: o.service,
    NamespaceId: namespaceId,
    DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }] },
    HealthCheckCustomConfig: { FailureThreshold: 1 },
  });
  const service = svc['Service'] as { Id: string; Arn: string };
  return { namespaceId, serviceId: service.Id, registryArn: service.Arn };
}
