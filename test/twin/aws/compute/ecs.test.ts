import type { Wire } from '../../../../twin/aws/contract.js';
import {
  attr,
  clusterWithAsg,
  containerInstances,
  harness,
  type Harness,
  registerTd,
  waitForInstances,
} from './harness.js';

describe('ECS in the twin: clusters, task definitions, container instances, tasks', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.stop());

  it('creates, lists, describes and deletes clusters', async () => {
    const c = await h.call('ecs', 'CreateCluster', {
      clusterName: 'prod',
      tags: [{ key: 'team', value: 'db' }],
    });
    expect(c['cluster']).toMatchObject({
      clusterName: 'prod',
      status: 'ACTIVE',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    });
    await h.call('ecs', 'CreateCluster', { clusterName: 'prod' });
    await h.call('ecs', 'CreateCluster', {});
    const list = await h.call('ecs', 'ListClusters', {});
    expect((list['clusterArns'] as string[]).map((a) => a.split('/')[1])).toEqual(['prod', 'default']);
    const d = await h.call('ecs', 'DescribeClusters', { clusters: ['prod', 'ghost'], include: ['TAGS'] });
    expect((d['clusters'] as Wire[])[0]).toMatchObject({
      clusterName: 'prod',
      tags: [{ key: 'team', value: 'db' }],
      registeredContainerInstancesCount: 0,
    });
    expect(d['failures']).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/ghost', reason: 'MISSING' },
    ]);
    await h.call('ecs', 'DeleteCluster', { cluster: 'prod' });
    await h.fails('ecs', 'DeleteCluster', { cluster: 'prod' }, 'ClusterNotFoundException');
    await h.fails('ecs', 'ListServices', { cluster: 'prod' }, 'ClusterNotFoundException');
    await h.fails('ecs', 'CreateCluster', { clusterName: 'bad name!' }, 'InvalidParameterException');
    const tags = await h.call('ecs', 'ListTagsForResource', {
      resourceArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
    });
    expect(tags['tags']).toEqual([]);
    await h.call('ecs', 'TagResource', {
      resourceArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
      tags: [{ key: 'a', value: 'b' }],
    });
    await h.call('ecs', 'UntagResource', {
      resourceArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
      tagKeys: ['zzz'],
    });
    expect(
      (
        await h.call('ecs', 'ListTagsForResource', {
          resourceArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
        })
      )['tags'],
    ).toEqual([{ key: 'a', value: 'b' }]);
  });

  it('refuses deleting a cluster that still has container instances', async () => {
    const { cluster } = await clusterWithAsg(h, { desired: 1 });
    await waitForInstances(h, cluster, 1);
    await h.fails('ecs', 'DeleteCluster', { cluster }, 'ClusterContainsContainerInstancesException');
  });

  it('registers task definitions with revisions and validates their content', async () => {
    const td = {
      family: 'neo4j-core',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      networkMode: 'bridge',
      volumes: [{ name: 'data', host: { sourcePath: '/mnt/neo4j' } }],
      containerDefinitions: [
        {
          name: 'neo4j',
          image: 'neo4j:5.26-enterprise',
          cpu: 1024,
          memory: 4096,
          portMappings: [{ containerPort: 7687, hostPort: 7687 }, { containerPort: 7474 }],
          mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
          environment: [{ name: 'NEO4J_server_cluster_system__database__mode', value: 'PRIMARY' }],
          secrets: [
            {
              name: 'NEO4J_AUTH',
              valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:neo4j-auth',
            },
          ],
          healthCheck: { command: ['CMD-SHELL', 'cypher-shell "RETURN 1"'], interval: 10, startPeriod: 60 },
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/neo4j', 'awslogs-region': 'us-east-1' },
          },
        },
      ],
      tags: [{ key: 'app', value: 'neo4j' }],
    };
    const r1 = await h.call('ecs', 'RegisterTaskDefinition', td);
    const r2 = await h.call('ecs', 'RegisterTaskDefinition', td);
    expect((r1['taskDefinition'] as Wire)['revision']).toBe(1);
    expect((r2['taskDefinition'] as Wire)['taskDefinitionArn']).toBe(
      'arn:aws:ecs:us-east-1:123456789012:task-definition/neo4j-core:2',
    );
    expect(r2['tags']).toEqual([{ key: 'app', value: 'neo4j' }]);
    const d = await h.call('ecs', 'DescribeTaskDefinition', {
      taskDefinition: 'neo4j-core',
      include: ['TAGS'],
    });
    const desc = d['taskDefinition'] as Wire & { containerDefinitions: Wire[] };
    expect(desc['revision']).toBe(2);
    expect(desc.containerDefinitions[0]).toMatchObject({
      name: 'neo4j',
      essential: true,
      healthCheck: { interval: 10, timeout: 5, retries: 3, startPeriod: 60 },
    });
    await h.call('ecs', 'DeregisterTaskDefinition', { taskDefinition: 'neo4j-core:2' });
    expect(
      (
        (await h.call('ecs', 'DescribeTaskDefinition', { taskDefinition: 'neo4j-core' }))[
          'taskDefinition'
        ] as Wire
      )['revision'],
    ).toBe(1);
    expect(
      (
        (await h.call('ecs', 'DescribeTaskDefinition', { taskDefinition: 'neo4j-core:2' }))[
          'taskDefinition'
        ] as Wire
      )['status'],
    ).toBe('INACTIVE');
    expect(
      (await h.call('ecs', 'ListTaskDefinitions', { familyPrefix: 'neo4j' }))['taskDefinitionArns'],
    ).toEqual(['arn:aws:ecs:us-east-1:123456789012:task-definition/neo4j-core:1']);
    expect(
      (await h.call('ecs', 'ListTaskDefinitions', { status: 'INACTIVE' }))['taskDefinitionArns'],
    ).toHaveLength(1);
    expect((await h.call('ecs', 'ListTaskDefinitionFamilies', {}))['families']).toEqual(['neo4j-core']);
    await h.fails(
      'ecs',
      'DeregisterTaskDefinition',
      { taskDefinition: 'neo4j-core' },
      'InvalidParameterException',
    );
    await h.fails('ecs', 'DescribeTaskDefinition', { taskDefinition: 'ghost' }, 'ClientException');
    const c0 = td.containerDefinitions[0] as Wire;
    const bad = async (patch: Wire, container: Wire = {}): Promise<void> => {
      await h.fails(
        'ecs',
        'RegisterTaskDefinition',
        { ...td, ...patch, containerDefinitions: [{ ...c0, ...container }] },
        'ClientException',
      );
    };
    await bad({}, { memory: undefined });
    await bad({}, { image: '' });
    await bad({}, { mountPoints: [{ sourceVolume: 'nope', containerPath: '/x' }] });
    await bad({}, { healthCheck: { command: ['CMD', 'true'], interval: 1 } });
    await bad({}, { healthCheck: { interval: 10 } });
    await bad({}, { secrets: [{ name: 'X' }] });
    await bad({}, { logConfiguration: { logDriver: 'carrier-pigeon' } });
    await bad({}, { logConfiguration: { logDriver: 'awslogs', options: {} } });
    await bad({ executionRoleArn: undefined });
    await bad({}, { essential: false });
    await bad({}, { memoryReservation: 8192 });
    await bad({ networkMode: 'host' }, { portMappings: [{ containerPort: 7687, hostPort: 17687 }] });
    await bad(
      {},
      {
        portMappings: [
          { containerPort: 7687, hostPort: 7687 },
          { containerPort: 7688, hostPort: 7687 },
        ],
      },
    );
    await h.fails('ecs', 'RegisterTaskDefinition', { ...td, containerDefinitions: [] }, 'ClientException');
    await bad({ cpu: 'lots' });
    await h.fails('ecs', 'RegisterTaskDefinition', { containerDefinitions: [c0] }, 'ClientException');
  });

  it('container instances: built-in and custom attributes, query filters, DRAINING, batch limits', async () => {
    const { cluster } = await clusterWithAsg(h, { desired: 3 });
    const cis = await waitForInstances(h, cluster, 3);
    const arns = cis.map((c) => c['containerInstanceArn'] as string);
    const a = cis.find((c) => attr(c, 'ecs.availability-zone') === 'us-east-1a') as Wire;
    const put = await h.call('ecs', 'PutAttributes', {
      cluster,
      attributes: [
        {
          name: 'neo4j.member',
          value: 'core-1',
          targetType: 'container-instance',
          targetId: a['containerInstanceArn'],
        },
      ],
    });
    expect(put['attributes']).toEqual([
      {
        name: 'neo4j.member',
        value: 'core-1',
        targetType: 'container-instance',
        targetId: a['containerInstanceArn'],
      },
    ]);
    const byAttr = await h.call('ecs', 'ListAttributes', {
      cluster,
      targetType: 'container-instance',
      attributeName: 'neo4j.member',
    });
    expect((byAttr['attributes'] as Wire[]).map((x) => x['targetId'])).toEqual([a['containerInstanceArn']]);
    const filtered = await h.call('ecs', 'ListContainerInstances', {
      cluster,
      filter: 'attribute:ecs.availability-zone == us-east-1a',
    });
    expect(filtered['containerInstanceArns']).toEqual([a['containerInstanceArn']]);
    const filtered2 = await h.call('ecs', 'ListContainerInstances', {
      cluster,
      filter: 'attribute:neo4j.member exists',
    });
    expect(filtered2['containerInstanceArns']).toEqual([a['containerInstanceArn']]);
    await h.fails(
      'ecs',
      'ListContainerInstances',
      { cluster, filter: 'attribute:x ==' },
      'InvalidParameterException',
    );
    await h.fails(
      'ecs',
      'PutAttributes',
      {
        cluster,
        attributes: [{ name: 'ecs.availability-zone', value: 'x', targetId: a['containerInstanceArn'] }],
      },
      'InvalidParameterException',
    );
    await h.fails(
      'ecs',
      'PutAttributes',
      { cluster, attributes: [{ name: 'k', value: 'v', targetId: 'nope' }] },
      'TargetNotFoundException',
    );
    await h.fails(
      'ecs',
      'PutAttributes',
      { cluster, attributes: [{ name: 'bad name', value: 'v', targetId: a['containerInstanceArn'] }] },
      'InvalidParameterException',
    );
    const many = Array.from({ length: 10 }, (_, n) => ({
      name: `custom${n}`,
      value: 'x',
      targetId: a['containerInstanceArn'],
    }));
    await h.fails('ecs', 'PutAttributes', { cluster, attributes: many }, 'AttributeLimitExceededException');
    await h.call('ecs', 'DeleteAttributes', {
      cluster,
      attributes: [{ name: 'neo4j.member', targetId: a['containerInstanceArn'] }],
    });
    expect(
      (await h.call('ecs', 'ListContainerInstances', { cluster, filter: 'attribute:neo4j.member exists' }))[
        'containerInstanceArns'
      ],
    ).toEqual([]);
    const upd = await h.call('ecs', 'UpdateContainerInstancesState', {
      cluster,
      containerInstances: [arns[0]],
      status: 'DRAINING',
    });
    expect((upd['containerInstances'] as Wire[])[0]?.['status']).toBe('DRAINING');
    expect(
      (await h.call('ecs', 'ListContainerInstances', { cluster, status: 'DRAINING' }))[
        'containerInstanceArns'
      ],
    ).toEqual([arns[0]]);
    await h.fails(
      'ecs',
      'UpdateContainerInstancesState',
      { cluster, containerInstances: [arns[0]], status: 'INACTIVE' },
      'InvalidParameterException',
    );
    const missing = await h.call('ecs', 'DescribeContainerInstances', {
      cluster,
      containerInstances: [arns[1], 'arn:aws:ecs:us-east-1:123456789012:container-instance/neo4j/0000'],
    });
    expect(missing['failures']).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/neo4j/0000', reason: 'MISSING' },
    ]);
    await h.fails(
      'ecs',
      'DescribeContainerInstances',
      { cluster, containerInstances: Array.from({ length: 101 }, (_, n) => `x${n}`) },
      'InvalidParameterException',
    );
    const page = await h.call('ecs', 'ListContainerInstances', { cluster, maxResults: 2 });
    expect((page['containerInstanceArns'] as string[]).length).toBe(2);
    const rest = await h.call('ecs', 'ListContainerInstances', {
      cluster,
      maxResults: 2,
      nextToken: page['nextToken'],
    });
    expect((rest['containerInstanceArns'] as string[]).length).toBe(1);
    await h.call('ecs', 'DeregisterContainerInstance', { cluster, containerInstance: arns[2] });
    expect((await containerInstances(h, cluster)).map((c) => c['containerInstanceArn'])).not.toContain(
      arns[2],
    );
  });

  it('runs, lists, describes and stops standalone tasks with the real states, stop codes and retention', async () => {
    const { cluster } = await clusterWithAsg(h, { desired: 2 });
    await waitForInstances(h, cluster, 2);
    await registerTd(h, 'job');
    const run = await h.call('ecs', 'RunTask', {
      cluster,
      taskDefinition: 'job',
      count: 2,
      startedBy: 'test',
      overrides: { containerOverrides: [{ name: 'neo4j', environment: [{ name: 'X', value: '1' }] }] },
    });
    const tasks = run['tasks'] as (Wire & { taskArn: string })[];
    expect(tasks).toHaveLength(2);
    expect(run['failures']).toEqual([]);
    expect(tasks[0]).toMatchObject({
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      launchType: 'EC2',
      group: 'family:job',
      startedBy: 'test',
    });
    const seen = new Set<string>();
    await h.until(
      async () => {
        const d = await h.call('ecs', 'DescribeTasks', { cluster, tasks: [tasks[0]?.taskArn] });
        const s = (d['tasks'] as Wire[])[0]?.['lastStatus'] as string;
        seen.add(s);
        return s === 'RUNNING';
      },
      60_000,
      100,
    );
    expect([...seen]).toEqual(['PROVISIONING', 'PENDING', 'RUNNING']);
    const listed = await h.call('ecs', 'ListTasks', { cluster, startedBy: 'test' });
    expect((listed['taskArns'] as string[]).sort()).toEqual(tasks.map((t) => t.taskArn).sort());
    const stop = await h.call('ecs', 'StopTask', { cluster, task: tasks[0]?.taskArn, reason: 'maintenance' });
    expect(stop['task']).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'maintenance',
    });
    await h.advance(1_500);
    const stopped = (await h.call('ecs', 'DescribeTasks', { cluster, tasks: [tasks[0]?.taskArn] }))[
      'tasks'
    ] as Wire[];
    expect(stopped[0]).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'UserInitiated' });
    expect((stopped[0]?.['containers'] as Wire[])[0]).toMatchObject({ lastStatus: 'STOPPED', exitCode: 0 });
    expect((await h.call('ecs', 'ListTasks', { cluster, desiredStatus: 'STOPPED' }))['taskArns']).toEqual([
      tasks[0]?.taskArn,
    ]);
    expect((await h.call('ecs', 'ListTasks', { cluster, desiredStatus: 'PENDING' }))['taskArns']).toEqual([]);
    const states = h
      .events('ecs.task.state')
      .filter((e) => e['taskArn'] === tasks[0]?.taskArn)
      .map((e) => e['to']);
    expect(states).toEqual(['PROVISIONING', 'PENDING', 'RUNNING', 'DEPROVISIONING', 'STOPPED']);
    await h.advance(600_000);
    const gone = await h.call('ecs', 'DescribeTasks', { cluster, tasks: [tasks[0]?.taskArn] });
    expect(gone['failures']).toEqual([{ arn: tasks[0]?.taskArn, reason: 'MISSING' }]);
    await h.fails('ecs', 'StopTask', { cluster, task: 'nope' }, 'InvalidParameterException');
    await h.fails(
      'ecs',
      'DescribeTasks',
      { cluster, tasks: Array.from({ length: 101 }, (_, n) => `t${n}`) },
      'InvalidParameterException',
    );
    await h.fails(
      'ecs',
      'RunTask',
      { cluster, taskDefinition: 'job', count: 11 },
      'InvalidParameterException',
    );
    await h.fails(
      'ecs',
      'RunTask',
      { cluster, taskDefinition: 'job', launchType: 'FARGATE' },
      'InvalidParameterException',
    );
    await h.fails(
      'ecs',
      'RunTask',
      {
        cluster,
        taskDefinition: 'job',
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:x ===' }],
      },
      'InvalidParameterException',
    );
    await h.fails('ecs', 'ListTasks', { cluster, serviceName: 'ghost' }, 'ServiceNotFoundException');
  });

  it('RunTask reports placement failures per instance (resources, ports, constraints)', async () => {
    const { cluster } = await clusterWithAsg(h, { desired: 1, instanceType: 't3.medium' });
    await waitForInstances(h, cluster, 1);
    await registerTd(h, 'big', {}, { memory: 8000 });
    const big = await h.call('ecs', 'RunTask', { cluster, taskDefinition: 'big' });
    expect(big['tasks']).toEqual([]);
    expect((big['failures'] as Wire[]).map((f) => f['reason'])).toEqual(['RESOURCE:MEMORY']);
    await registerTd(h, 'port', {}, { memory: 256, portMappings: [{ containerPort: 7687, hostPort: 7687 }] });
    const two = await h.call('ecs', 'RunTask', { cluster, taskDefinition: 'port', count: 2 });
    expect((two['tasks'] as Wire[]).length).toBe(1);
    expect((two['failures'] as Wire[]).map((f) => f['reason'])).toEqual(['RESOURCE:PORTS']);
    const mem = await h.call('ecs', 'RunTask', {
      cluster,
      taskDefinition: 'port',
      placementConstraints: [
        { type: 'memberOf', expression: 'attribute:ecs.availability-zone == eu-west-1a' },
      ],
    });
    expect((mem['failures'] as Wire[]).map((f) => f['reason'])).toContain('ATTRIBUTE');
    await h.call('ecs', 'CreateCluster', { clusterName: 'empty' });
    await h.fails(
      'ecs',
      'RunTask',
      { cluster: 'empty', taskDefinition: 'port' },
      'InvalidParameterException',
    );
  });
});
