import type { TaskControl, TaskRuntimeInfo, Wire } from '../../../../twin/aws/contract.js';
import {
  clusterWithAsg,
  describeService,
  harness,
  type Harness,
  serviceTasks,
  waitForInstances,
} from './harness.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:neo4j-auth-AbCdEf';

describe('the task seam (what runs inside a task)', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.stop());

  async function setup(): Promise<{ cluster: string; td: string; volumeId: string; instanceId: string }> {
    const { cluster } = await clusterWithAsg(h, { desired: 1 });
    const cis = await waitForInstances(h, cluster, 1);
    const instanceId = cis[0]?.['ec2InstanceId'] as string;
    const az =
      (cis[0]?.['attributes'] as { name: string; value?: string }[]).find(
        (a) => a.name === 'ecs.availability-zone',
      )?.value ?? '';
    const vol = await h.call('ec2', 'CreateVolume', {
      AvailabilityZone: az,
      Size: '50',
      VolumeType: 'gp3',
      TagSpecification: [{ ResourceType: 'volume', Tag: [{ Key: 'neo4j/member', Value: 'core-1' }] }],
    });
    await h.advance(1_000);
    await h.call('ec2', 'AttachVolume', {
      VolumeId: vol['volumeId'],
      InstanceId: instanceId,
      Device: '/dev/xvdf',
    });
    await h.advance(1_000);
    h.secrets.set(SECRET_ARN, JSON.stringify({ password: 's3cr3t', user: 'neo4j' }));
    const out = await h.call('ecs', 'RegisterTaskDefinition', {
      family: 'member',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      volumes: [{ name: 'data', host: { sourcePath: '/mnt/xvdf' } }],
      containerDefinitions: [
        {
          name: 'neo4j',
          image: 'neo4j:5.26-enterprise',
          memory: 2048,
          environment: [{ name: 'NEO4J_server_default__listen__address', value: '0.0.0.0' }],
          secrets: [
            { name: 'NEO4J_PASSWORD', valueFrom: `${SECRET_ARN}:password::` },
            { name: 'NEO4J_AUTH_JSON', valueFrom: SECRET_ARN },
          ],
          portMappings: [{ containerPort: 7687, hostPort: 7687 }],
          mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
          healthCheck: { command: ['CMD', 'true'], interval: 5, startPeriod: 10 },
        },
      ],
    });
    return {
      cluster,
      td: (out['taskDefinition'] as Wire)['taskDefinitionArn'] as string,
      volumeId: vol['volumeId'] as string,
      instanceId,
    };
  }

  it('hands listeners the task, its environment, resolved secrets, its own address and the attached volume data', async () => {
    const { cluster, td, volumeId, instanceId } = await setup();
    const started: TaskRuntimeInfo[] = [];
    const stopped: [TaskRuntimeInfo, string][] = [];
    const controls: TaskControl[] = [];
    h.sim.addTaskListener({
      onTaskStarted: (t, c) => {
        started.push(t);
        controls.push(c);
        c.setHealth('UNKNOWN');
        const data = t.attachedVolumes[0]?.data;
        data?.set('boots', String(Number(data.get('boots') ?? '0') + 1));
      },
      onTaskStopped: (t, reason) => {
        stopped.push([t, reason]);
      },
    });
    await h.call('ecs', 'CreateService', {
      cluster,
      serviceName: 'core-1',
      taskDefinition: td,
      desiredCount: 1,
      deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 },
    });
    await h.until(() => started.length === 1);
    const t = started[0] as TaskRuntimeInfo;
    expect(t).toMatchObject({
      family: 'member',
      revision: 1,
      group: 'service:core-1',
      ec2InstanceId: instanceId,
      taskDefinitionArn: td,
    });
    expect(t.address).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(t.address).not.toBe('127.0.0.1');
    expect(t.containers[0]).toMatchObject({
      name: 'neo4j',
      environment: { NEO4J_server_default__listen__address: '0.0.0.0' },
      secrets: {
        NEO4J_PASSWORD: 's3cr3t',
        NEO4J_AUTH_JSON: JSON.stringify({ password: 's3cr3t', user: 'neo4j' }),
      },
      portMappings: [{ containerPort: 7687, hostPort: 7687 }],
      mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
    });
    expect(t.volumes).toEqual({ data: { hostSourcePath: '/mnt/xvdf' } });
    expect(t.attachedVolumes.map((v) => [v.volumeId, v.device, v.tags])).toEqual([
      [volumeId, '/dev/xvdf', { 'neo4j/member': 'core-1' }],
    ]);
    const described = (await serviceTasks(h, cluster, 'core-1'))[0] as Wire & {
      containers: { networkInterfaces: { privateIpv4Address: string }[] }[];
    };
    expect(described.containers[0]?.networkInterfaces[0]?.privateIpv4Address).toBe(t.address);
    const startedLog = h.events('ecs.task.started')[0];
    expect(startedLog?.['volumes']).toEqual([
      { volumeId, device: '/dev/xvdf', az: t.availabilityZone, tags: { 'neo4j/member': 'core-1' } },
    ]);
    expect(JSON.stringify(h.world.list())).not.toContain('s3cr3t');
    // The listener reports health; without it the start period would have made the task HEALTHY.
    await h.advance(20_000);
    expect(described['healthStatus']).toBe('UNKNOWN');
    expect(((await serviceTasks(h, cluster, 'core-1'))[0] as Wire)['healthStatus']).toBe('UNKNOWN');
    controls[0]?.setHealth('HEALTHY');
    expect(((await serviceTasks(h, cluster, 'core-1'))[0] as Wire)['healthStatus']).toBe('HEALTHY');
    // The member process exits: the task stops with EssentialContainerExited and is replaced; the volume
    // (and what was written to it) is there for the replacement.
    controls[0]?.exit(1, 'neo4j refused to start');
    await h.until(() => started.length === 2);
    expect(stopped[0]?.[1]).toBe('Essential container in task exited');
    const first = (await h.call('ecs', 'DescribeTasks', { cluster, tasks: [t.taskArn] }))['tasks'] as Wire[];
    expect(first[0]).toMatchObject({ stopCode: 'EssentialContainerExited', lastStatus: 'STOPPED' });
    expect((first[0]?.['containers'] as Wire[])[0]).toMatchObject({
      exitCode: 1,
      reason: 'neo4j refused to start',
    });
    expect(started[1]?.attachedVolumes[0]?.data.get('boots')).toBe('2');
    expect(started[1]?.address).not.toBe(t.address);
  });

  it('replays running tasks to a listener added later; a throwing listener does not break the twin', async () => {
    const { cluster, td } = await setup();
    h.sim.addTaskListener({
      onTaskStarted: () => {
        throw new Error('boom');
      },
    });
    h.sim.addTaskListener({ onTaskStarted: () => Promise.reject(new Error('async boom')) });
    await h.call('ecs', 'CreateService', {
      cluster,
      serviceName: 'svc',
      taskDefinition: td,
      desiredCount: 1,
    });
    await h.until(async () => (await describeService(h, cluster, 'svc'))['runningCount'] === 1);
    await h.advance(1);
    expect(h.events('ecs.task.listener-error').map((e) => e['error'])).toEqual(['boom', 'async boom']);
    const late: string[] = [];
    const off = h.sim.addTaskListener({ onTaskStarted: (t) => void late.push(t.taskArn) });
    expect(late).toHaveLength(1);
    off();
    // No listener reports health now: the start period passes and the task is HEALTHY.
    await h.advance(10_000);
    expect(((await serviceTasks(h, cluster, 'svc'))[0] as Wire)['healthStatus']).toBe('HEALTHY');
  });

  it('killTask stops a task with its exit code; a missing secret fails the start (TaskFailedToStart)', async () => {
    const { cluster, td } = await setup();
    const run = await h.call('ecs', 'RunTask', { cluster, taskDefinition: td });
    const arn = ((run['tasks'] as Wire[])[0] as Wire)['taskArn'] as string;
    await h.until(
      async () =>
        (((await h.call('ecs', 'DescribeTasks', { cluster, tasks: [arn] }))['tasks'] as Wire[])[0] as Wire)[
          'lastStatus'
        ] === 'RUNNING',
    );
    await h.control('killTask', { taskArn: arn, exitCode: 137 });
    await h.advance(1_000);
    const d = (
      (await h.call('ecs', 'DescribeTasks', { cluster, tasks: [arn] }))['tasks'] as Wire[]
    )[0] as Wire;
    expect(d).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
    });
    expect((d['containers'] as Wire[])[0]?.['exitCode']).toBe(137);
    h.secrets.clear();
    const run2 = await h.call('ecs', 'RunTask', { cluster, taskDefinition: td });
    const arn2 = ((run2['tasks'] as Wire[])[0] as Wire)['taskArn'] as string;
    await h.advance(5_000);
    const d2 = (
      (await h.call('ecs', 'DescribeTasks', { cluster, tasks: [arn2] }))['tasks'] as Wire[]
    )[0] as Wire;
    expect(d2).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart' });
    expect(String(d2['stoppedReason'])).toContain('ResourceNotFoundException');
  });
});
