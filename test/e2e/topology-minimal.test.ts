/**
 * End to end on the twin, through the real SDK and neo4j-driver: examples/minimal.yaml becomes Ready
 * (3 primaries, each on its own volume in its AZ, each service pinned, one leader per database); a
 * killed primary task heals on its own volume; a terminated instance heals (the ASG replaces it, the
 * volume is re-attached in the same AZ). Every member service registers in the cluster's Cloud Map
 * service and runs in the members' security group. The world-log invariants hold over the whole run.
 */
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import type { Task } from '@aws-sdk/client-ecs';
import { ListInstancesCommand } from '@aws-sdk/client-servicediscovery';
import type { ClusterStatus } from '../../src/model/status.js';
import { withSecretArn } from '../../src/demo/spec.js';
import { probeCluster } from '../../src/neo4j/probe.js';
import { NETWORK_TTL_MS } from '../../src/aws/network.js';
import { SECRET_TTL_MS } from '../../src/aws/secrets.js';
import type { E2e } from './helpers.js';
import {
  BUCKET,
  PASSWORD,
  clusterStatus,
  ecsRunningTasks,
  eventually,
  exampleText,
  startE2e,
  taskBoltAddress,
  topologyViolations,
} from './helpers.js';

const NAME = 'graph-minimal';
const ECS = 'neo4j-minimal';
const members = [1, 2, 3].map((n) => `${NAME}-primary-${n}`);
const zoneOf: Record<string, string> = {
  [members[0]!]: 'us-east-1a',
  [members[1]!]: 'us-east-1b',
  [members[2]!]: 'us-east-1c',
};
let e: E2e;

const status = (): Promise<ClusterStatus | undefined> => clusterStatus(e, NAME);

const runningTasks = (): Promise<Task[]> => ecsRunningTasks(e, ECS);

/** Every member has one RUNNING task and Neo4j has a leader for every database. */
async function healthy(): Promise<Task[] | undefined> {
  const tasks = await runningTasks();
  const mine = members.map((m) => tasks.filter((t) => t.group === `service:${m}`));
  if (mine.some((ts) => ts.length !== 1)) return undefined;
  const seeds = mine.map((ts) => `bolt://${taskBoltAddress(ts[0]!)}`);
  const view = await probeCluster(seeds, { user: 'neo4j', password: PASSWORD }, { timeoutMs: 2000 });
  const leaders = Object.values(view.leaders);
  return leaders.length >= 2 && leaders.every((l) => l !== null) ? mine.map((ts) => ts[0]!) : undefined;
}

beforeAll(async () => {
  e = await startE2e(exampleText('minimal.yaml'));
}, 60_000);

afterAll(async () => {
  await e?.stop();
}, 30_000);

it('brings the minimal example up: each primary on its own volume in its AZ, its service pinned, one leader per database, Ready', async () => {
  await eventually(healthy, 'three primaries with leaders', 90_000);
  const st = await eventually(
    async () => ((await status())?.phase === 'Ready' ? status() : undefined),
    'phase Ready',
    60_000,
  );
  expect(st?.members.filter((m) => m.role === 'primary').map((m) => m.zone)).toEqual([
    'us-east-1a',
    'us-east-1b',
    'us-east-1c',
  ]);
  // The status rows carry what the Bolt observation saw: every primary's version, and between them
  // they lead every database exactly once.
  const primaries = st?.members.filter((m) => m.role === 'primary') ?? [];
  expect(primaries.map((m) => m.version)).toEqual(['5.26.12', '5.26.12', '5.26.12']);
  expect(primaries.flatMap((m) => m.leads ?? []).sort()).toEqual(['neo4j', 'system']);

  const vols =
    (
      await e.clients.ec2.send(
        new DescribeVolumesCommand({ Filters: [{ Name: 'tag:neo4j-ecs:cluster', Values: [NAME] }] }),
      )
    ).Volumes ?? [];
  expect(vols).toHaveLength(3);
  for (const m of members) {
    const v = vols.find((x) => x.Tags?.some((t) => t.Key === 'neo4j-ecs:member' && t.Value === m));
    expect(v?.AvailabilityZone).toBe(zoneOf[m]);
    expect(v?.Attachments?.[0]?.State).toBe('attached');
  }
  const svcs =
    (await e.clients.ecs.send(new DescribeServicesCommand({ cluster: ECS, services: members }))).services ??
    [];
  for (const s of svcs) {
    const v = vols.find((x) =>
      x.Tags?.some((t) => t.Key === 'neo4j-ecs:member' && t.Value === s.serviceName),
    );
    expect(s.placementConstraints).toEqual([
      { type: 'memberOf', expression: `attribute:neo4j-ecs.member.${s.serviceName} == ${v?.VolumeId}` },
    ]);
    expect(s.deploymentConfiguration).toMatchObject({ minimumHealthyPercent: 0, maximumPercent: 100 });
    expect(s.desiredCount).toBe(1);
    // Discovery through the cluster's Cloud Map service, in the members' security group (found by
    // convention: the service named after the cluster in spec.discovery.namespace, the group by tag).
    expect(s.serviceRegistries).toEqual([{ registryArn: e.infra.discoveryServiceArn }]);
    expect(s.networkConfiguration?.awsvpcConfiguration?.securityGroups).toEqual([e.infra.securityGroupId]);
  }
  // ECS registered the three running tasks there: that is where the members found each other.
  const instances = await e.clients.servicediscovery.send(
    new ListInstancesCommand({ ServiceId: e.infra.discoveryServiceArn.split('/').pop() }),
  );
  const tasks = await runningTasks();
  expect((instances.Instances ?? []).map((i) => i.Attributes?.['AWS_INSTANCE_IPV4']).sort()).toEqual(
    tasks.map((t) => t.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address).sort(),
  );
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
}, 180_000);

it('costs a bounded number of AWS calls per steady-state pass (the log group is read once per pass), plus the cache refreshes', async () => {
  const calls: Record<string, number> = {};
  e.controller.counter.onCall((service, operation) => {
    if (service === 's3') return; // the source poll and status writes are per poll, not per pass
    const k = `${service}:${operation}`;
    calls[k] = (calls[k] ?? 0) + 1;
  });
  const start = Date.now();
  const virtualStart = e.twin.clock.now();
  await eventually(() => (calls['logs:DescribeLogGroups'] ?? 0) >= 4, 'four steady-state passes', 60_000);
  const virtualMs = e.twin.clock.now() - virtualStart;
  const passes = calls['logs:DescribeLogGroups'] as number;
  // Cached reads (src/aws/secrets.ts, src/aws/network.ts) happen once per TTL, not per pass.
  const refreshes: Record<string, number> = {
    'secretsmanager:GetSecretValue': SECRET_TTL_MS,
    'servicediscovery:ListNamespaces': NETWORK_TTL_MS,
    'servicediscovery:ListServices': NETWORK_TTL_MS,
    'ec2:DescribeSecurityGroups': NETWORK_TTL_MS,
  };
  for (const [k, ttl] of Object.entries(refreshes))
    expect(calls[k] ?? 0).toBeLessThanOrEqual(Math.ceil(virtualMs / ttl));
  const perPass =
    Object.entries(calls)
      .filter(([k]) => refreshes[k] === undefined)
      .reduce((a, [, n]) => a + n, 0) / passes;
  const mutating = Object.keys(calls).filter(
    (k) => !/:(Describe|List|Get)/.test(k) && k !== 'cloudwatch:PutMetricData',
  );
  console.log(
    `steady state: ${perPass.toFixed(1)} AWS calls per pass over ${passes} passes in ${Date.now() - start} ms (${Math.round(virtualMs / 1000)} s virtual)`,
    calls,
  );
  expect(mutating).toEqual([]);
  expect(perPass).toBeLessThanOrEqual(13);
}, 120_000);

it('heals a killed primary task on its own volume', async () => {
  const before = (await eventually(healthy, 'healthy before the kill', 60_000))[0]!;
  await e.twin.control('killTask', { taskArn: before.taskArn });
  const after = await eventually(
    async () => {
      const ts = await healthy();
      const t = ts?.[0];
      return t && t.taskArn !== before.taskArn ? t : undefined;
    },
    'a new task of primary 1',
    90_000,
  );
  expect(after.availabilityZone).toBe('us-east-1a');
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
}, 180_000);

it('heals a primary whose instance is terminated: a new instance in the same AZ, the same volume', async () => {
  const before = (await eventually(healthy, 'healthy before the termination', 60_000))[1]!;
  const volsBefore =
    (
      await e.clients.ec2.send(
        new DescribeVolumesCommand({ Filters: [{ Name: 'tag:neo4j-ecs:member', Values: [members[1]!] }] }),
      )
    ).Volumes ?? [];
  const instanceId = volsBefore[0]?.Attachments?.[0]?.InstanceId;
  expect(instanceId).toBeDefined();
  await e.twin.control('terminateInstance', { instanceId });
  await eventually(
    async () => {
      const ts = await healthy();
      return ts && ts[1]!.taskArn !== before.taskArn ? ts : undefined;
    },
    'primary 2 back on a new instance',
    120_000,
  );
  const volsAfter =
    (
      await e.clients.ec2.send(
        new DescribeVolumesCommand({ Filters: [{ Name: 'tag:neo4j-ecs:member', Values: [members[1]!] }] }),
      )
    ).Volumes ?? [];
  expect(volsAfter.map((v) => v.VolumeId)).toEqual(volsBefore.map((v) => v.VolumeId));
  expect(volsAfter[0]?.Attachments?.[0]?.InstanceId).not.toBe(instanceId);
  expect(volsAfter[0]?.AvailabilityZone).toBe('us-east-1b');
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
}, 180_000);

it('grows every volume when the spec grows sizeGiB, online: no primary restarts and no action fails', async () => {
  const before = await eventually(healthy, 'healthy before the grow', 60_000);
  const mark = e.lines.length;
  await e.store.put(
    BUCKET,
    e.specKey,
    withSecretArn(exampleText('minimal.yaml'), e.secretArn).replace('sizeGiB: 20', 'sizeGiB: 30'),
  );
  await eventually(
    async () => {
      const vols =
        (
          await e.clients.ec2.send(
            new DescribeVolumesCommand({ Filters: [{ Name: 'tag:neo4j-ecs:cluster', Values: [NAME] }] }),
          )
        ).Volumes ?? [];
      return vols.length === 3 && vols.every((v) => v.Size === 30);
    },
    'three 30 GiB volumes',
    90_000,
  ).catch((err: unknown) => {
    console.log(
      'DEBUG',
      e.lines
        .slice(mark)
        .map((l) => l.slice(0, 260))
        .join('\n'),
    );
    throw err;
  });
  const after = await eventually(healthy, 'healthy after the grow', 60_000);
  expect(after.map((t) => t.taskArn)).toEqual(before.map((t) => t.taskArn));
  const since = e.lines.slice(mark).map((l) => JSON.parse(l) as { reason: string; action?: string });
  expect(since.filter((l) => l.action === 'ModifyVolume')).toHaveLength(3);
  expect(since.filter((l) => l.reason === 'ActionFailed')).toEqual([]);
}, 180_000);
