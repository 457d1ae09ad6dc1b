/**
 * Members inside the AWS twin's ECS simulation: three primary services placed on the instances where
 * their EBS volumes are attached (memberOf a custom attribute, as docs/topology.md designs it), each
 * with a Cloud Map registry (A records, awsvpc), the runtime as the task listener resolving
 * `graph.graph.internal` through the twin's DNS, and the operator's probe over Bolt. A replaced task
 * is deregistered as it starts stopping, its replacement registered with its new address and found
 * again through DNS, on its volume with its identity, without restarting the others. A member whose
 * service has no registry resolves nobody and waits.
 */
import { createEcsNeo4jRuntime } from '../../../twin/neo4j/index.js';
import type { EcsNeo4jRuntime } from '../../../twin/neo4j/index.js';
import type { Wire } from '../../../twin/aws/contract.js';
import { probeCluster } from '../../../src/neo4j/index.js';
import {
  attr,
  cloudMapService,
  clusterWithAsg,
  harness,
  serviceTasks,
  waitForInstances,
} from '../aws/compute/harness.js';
import type { Harness } from '../aws/compute/harness.js';

/** The task's private address (its ENI, awsvpc). */
function taskAddress(t: Wire): string {
  const att = (t['attachments'] as { details: { name: string; value: string }[] }[])[0];
  return att?.details.find((d) => d.name === 'privateIPv4Address')?.value ?? '';
}

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:graph-auth-AbCdEf';
const AUTH = { user: 'neo4j', password: 'ecs-graph-pw' };

describe('simulated Neo4j members inside ECS tasks', () => {
  let h: Harness;
  let runtime: EcsNeo4jRuntime;

  beforeEach(() => {
    h = harness();
    runtime = createEcsNeo4jRuntime({
      clock: h.clock,
      log: h.world,
      electionTimeoutMs: 5000,
      startDelayMs: 1000,
      databases: ['movies'],
      discoveryRetryMs: 2000,
      resolve: (name) => h.cloudMap.resolve(name),
    });
    h.sim.addTaskListener(runtime);
  });
  afterEach(async () => {
    await runtime.stop();
    h.stop();
  });

  async function deploy(
    o: { count?: number; registry?: boolean; dnsName?: string } = {},
  ): Promise<{ cluster: string; members: string[]; registryArn: string }> {
    const count = o.count ?? 3;
    const { cluster, subnets } = await clusterWithAsg(h, { cluster: 'graph', desired: count });
    const cis = await waitForInstances(h, cluster, count);
    h.secrets.set(SECRET, `neo4j/${AUTH.password}`);
    const dnsName = o.dnsName ?? 'graph';
    const { registryArn } = await cloudMapService(h, { namespace: 'graph.internal', service: dnsName });
    const members: string[] = [];
    for (let i = 0; i < count; i++) {
      const ci = cis[i] as Wire;
      const member = `${dnsName}-primary-${i + 1}`;
      members.push(member);
      const vol = await h.call('ec2', 'CreateVolume', {
        AvailabilityZone: attr(ci, 'ecs.availability-zone'),
        Size: '20',
        VolumeType: 'gp3',
        TagSpecification: [{ ResourceType: 'volume', Tag: [{ Key: 'neo4j-ecs:member', Value: member }] }],
      });
      await h.advance(1000);
      await h.call('ec2', 'AttachVolume', {
        VolumeId: vol['volumeId'],
        InstanceId: ci['ec2InstanceId'],
        Device: '/dev/xvdf',
      });
      await h.advance(1000);
      await h.call('ecs', 'PutAttributes', {
        cluster,
        attributes: [
          {
            name: `neo4j-ecs.member.${member}`,
            value: vol['volumeId'],
            targetId: ci['containerInstanceArn'],
          },
        ],
      });
      const td = await h.call('ecs', 'RegisterTaskDefinition', {
        family: member,
        networkMode: 'awsvpc',
        executionRoleArn: 'arn:aws:iam::123456789012:role/graph-exec',
        volumes: [{ name: 'data', host: { sourcePath: `/var/lib/neo4j-ecs/${member}` } }],
        containerDefinitions: [
          {
            name: 'neo4j',
            image: 'neo4j:5.26.0-enterprise',
            memory: 2048,
            essential: true,
            environment: [
              { name: 'NEO4J_ACCEPT_LICENSE_AGREEMENT', value: 'yes' },
              { name: 'NEO4J_ECS_VOLUME_ID', value: vol['volumeId'] },
              { name: 'NEO4J_server_bolt_listen__address', value: ':0' },
              { name: 'NEO4J_initial_server_mode__constraint', value: 'PRIMARY' },
              { name: 'NEO4J_dbms_cluster_discovery_resolver__type', value: 'DNS' },
              { name: 'NEO4J_dbms_cluster_discovery_version', value: 'V2_ONLY' },
              { name: 'NEO4J_dbms_cluster_discovery_v2_endpoints', value: `${dnsName}.graph.internal:6000` },
            ],
            secrets: [{ name: 'NEO4J_AUTH', valueFrom: SECRET }],
            portMappings: [{ containerPort: 7687 }],
            mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
            healthCheck: { command: ['CMD', 'true'], interval: 5, startPeriod: 10 },
          },
        ],
      });
      await h.call('ecs', 'CreateService', {
        cluster,
        serviceName: member,
        taskDefinition: (td['taskDefinition'] as Wire)['taskDefinitionArn'],
        desiredCount: 1,
        deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 },
        networkConfiguration: { awsvpcConfiguration: { subnets: subnets.map((sn) => sn.id) } },
        ...(o.registry === false ? {} : { serviceRegistries: [{ registryArn }] }),
        placementConstraints: [
          {
            type: 'memberOf',
            expression: `attribute:neo4j-ecs.member.${member} == ${vol['volumeId'] as string}`,
          },
        ],
      });
    }
    return { cluster, members, registryArn };
  }

  const healthy = async (cluster: string, members: string[]): Promise<boolean> => {
    for (const m of members) {
      const tasks = await serviceTasks(h, cluster, m);
      if (tasks.length !== 1 || tasks[0]?.['healthStatus'] !== 'HEALTHY') return false;
    }
    return true;
  };

  it('forms a cluster through DNS that the probe reads, and survives killing a leader’s task', async () => {
    const { cluster, members } = await deploy();
    await h.until(() => healthy(cluster, members), 120_000);
    const urls = (): string[] => runtime.members().map((m) => m.boltUrl);
    const view = await probeCluster(urls(), AUTH, { timeoutMs: 3000 });
    expect(view.healthy).toBe(true);
    expect(Object.keys(view.leaders).sort()).toEqual(['movies', 'neo4j', 'system']);
    expect(view.members.every((m) => m.serverState === 'Enabled')).toBe(true);

    // Every member found the others through DNS; the DNS name lists the three tasks' addresses.
    const addresses = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const m of members) for (const t of await serviceTasks(h, cluster, m)) out.push(taskAddress(t));
      return out.sort();
    };
    expect(h.cloudMap.resolve('graph.graph.internal').sort()).toEqual(await addresses());
    expect(h.events('neo4j.member.discovered')).toHaveLength(3);
    const mark = h.world.list().at(-1)?.seq ?? 0;

    const leaderUrl = view.databases.find((d) => d.name === 'movies')!.leaderMember!;
    const victim = runtime.members().find((m) => m.boltUrl === leaderUrl)!;
    const victimId = victim.taskArn.split('/').pop()!;
    await h.control('killTask', { taskArn: victim.taskArn });
    // ECS deregisters the task as soon as it starts stopping, before its container exits.
    expect(h.cloudMap.resolve('graph.graph.internal')).not.toContain(
      victim.boltUrl.replace(/^bolt:\/\/|:\d+$/g, ''),
    );
    await h.until(() => !runtime.members().some((m) => m.taskArn === victim.taskArn), 60_000);
    await h.until(async () => (await healthy(cluster, members)) && runtime.members().length === 3, 120_000);
    const replacement = runtime.members().find((m) => m.name === victim.name)!;
    expect(replacement.taskArn).not.toBe(victim.taskArn);
    expect(replacement.serverId).toBe(victim.serverId);
    expect(replacement.volumeId).toBe(victim.volumeId);

    // The others elect a new leader for what it led once the failure-detection delay has passed.
    const model = runtime.cluster(replacement.cluster)!;
    await h.until(() => [...model.dbs.values()].every((d) => d.leader !== null), 10_000);
    const after = await probeCluster(urls(), AUTH, { timeoutMs: 3000 });
    expect(after.leaders.movies).not.toBeNull();
    expect(after.members.every((m) => !m.store.lost)).toBe(true);
    expect(after.healthy).toBe(true);
    expect(
      h.events('neo4j.leader.elected').filter((e) => e['db'] === 'movies').length,
    ).toBeGreaterThanOrEqual(2);

    // Over the whole run: the replacement was registered with its new address and found through DNS;
    // the victim was deregistered before its containers exited; nobody else was restarted.
    const since = h.world.list().filter((e) => e.seq > mark);
    const dereg = since.find(
      (e) => e.kind === 'servicediscovery.instance.deregistered' && e['instanceId'] === victimId,
    );
    const exited = since.find(
      (e) => e.kind === 'ecs.task.state' && e['taskArn'] === victim.taskArn && e['to'] === 'DEPROVISIONING',
    );
    expect(dereg).toBeDefined();
    expect(exited).toBeDefined();
    expect(dereg!.seq).toBeLessThan(exited!.seq);
    const replacementId = replacement.taskArn.split('/').pop()!;
    const reg = since.find(
      (e) => e.kind === 'servicediscovery.instance.registered' && e['instanceId'] === replacementId,
    );
    expect(reg?.['address']).toBe(replacement.boltUrl.replace(/^bolt:\/\/|:\d+$/g, ''));
    expect(reg?.['address']).not.toBe(dereg?.['address']);
    expect(h.cloudMap.resolve('graph.graph.internal').sort()).toEqual(await addresses());
    expect(since.filter((e) => e.kind === 'ecs.task.stopping').map((e) => e['taskArn'])).toEqual([
      victim.taskArn,
    ]);
    expect(since.filter((e) => e.kind === 'neo4j.member.stopped').map((e) => e['member'])).toEqual([
      victim.name,
    ]);
    expect(since.filter((e) => e.kind === 'neo4j.member.discovered').map((e) => e['member'])).toEqual([
      victim.name,
    ]);
    // Every task that ran was registered while RUNNING and deregistered once it stopped.
    const registeredIds = h.events('servicediscovery.instance.registered').map((e) => e['instanceId']);
    for (const e of h.events('ecs.task.started'))
      expect(registeredIds).toContain(String(e['taskArn']).split('/').pop());
  });

  it('keeps a member whose service has no Cloud Map registry waiting for discovery', async () => {
    const { cluster, members } = await deploy({ count: 1, registry: false, dnsName: 'lonely' });
    await h.until(async () => (await serviceTasks(h, cluster, members[0]!)).length === 1, 60_000);
    await h.until(() => runtime.members().length === 1, 60_000);
    await h.advance(20_000);
    const [m] = runtime.members();
    expect(m?.state).toBe('discovering');
    expect(h.cloudMap.resolve('lonely.graph.internal')).toEqual([]);
    expect(h.events('servicediscovery.instance.registered')).toEqual([]);
    expect(h.events('neo4j.member.joined')).toEqual([]);
    expect(h.events('neo4j.member.discovering').map((e) => e['member'])).toEqual([m?.name]);
    expect(runtime.memberLog(m!.taskArn).some((l) => l.includes('Waiting for server discovery'))).toBe(true);
    // Its ECS task runs but never becomes healthy.
    const [task] = await serviceTasks(h, cluster, members[0]!);
    expect(task?.['lastStatus']).toBe('RUNNING');
    expect(task?.['healthStatus']).toBe('UNKNOWN');
  });
});
