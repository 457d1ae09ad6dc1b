/**
 * Members inside the AWS twin's ECS simulation: three primary services placed on the instances where
 * their EBS volumes are attached (memberOf a custom attribute, as docs/topology.md designs it), the
 * runtime as the task listener, and the operator's probe over Bolt. A replaced task comes back on
 * its volume with its identity, after the cluster elected new leaders for what it led.
 */
import { createEcsNeo4jRuntime } from '../../../twin/neo4j/index.js';
import type { EcsNeo4jRuntime } from '../../../twin/neo4j/index.js';
import type { Wire } from '../../../twin/aws/contract.js';
import { probeCluster } from '../../../src/neo4j/index.js';
import { attr, clusterWithAsg, harness, serviceTasks, waitForInstances } from '../aws/compute/harness.js';
import type { Harness } from '../aws/compute/harness.js';

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
    });
    h.sim.addTaskListener(runtime);
  });
  afterEach(async () => {
    await runtime.stop();
    h.stop();
  });

  async function deploy(): Promise<{ cluster: string; members: string[] }> {
    const { cluster } = await clusterWithAsg(h, { cluster: 'graph', desired: 3 });
    const cis = await waitForInstances(h, cluster, 3);
    h.secrets.set(SECRET, `neo4j/${AUTH.password}`);
    const members: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ci = cis[i] as Wire;
      const member = `graph-primary-${i + 1}`;
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
        placementConstraints: [
          {
            type: 'memberOf',
            expression: `attribute:neo4j-ecs.member.${member} == ${vol['volumeId'] as string}`,
          },
        ],
      });
    }
    return { cluster, members };
  }

  const healthy = async (cluster: string, members: string[]): Promise<boolean> => {
    for (const m of members) {
      const tasks = await serviceTasks(h, cluster, m);
      if (tasks.length !== 1 || tasks[0]?.['healthStatus'] !== 'HEALTHY') return false;
    }
    return true;
  };

  it('forms a cluster the probe reads, and survives the replacement of a leader’s task', async () => {
    const { cluster, members } = await deploy();
    await h.until(() => healthy(cluster, members), 120_000);
    const urls = (): string[] => runtime.members().map((m) => m.boltUrl);
    const view = await probeCluster(urls(), AUTH, { timeoutMs: 3000 });
    expect(view.healthy).toBe(true);
    expect(Object.keys(view.leaders).sort()).toEqual(['movies', 'neo4j', 'system']);
    expect(view.members.every((m) => m.serverState === 'Enabled')).toBe(true);

    const leaderUrl = view.databases.find((d) => d.name === 'movies')!.leaderMember!;
    const victim = runtime.members().find((m) => m.boltUrl === leaderUrl)!;
    await h.call('ecs', 'StopTask', { cluster, task: victim.taskArn, reason: 'test: replace the leader' });
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
  });
});
