/**
 * ECS (awsJson1_1) through the real @aws-sdk/client-ecs against the twin, with virtual time running
 * 1000× faster than wall time, including the SDK's own services-stable waiter.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteAttributesCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterContainerInstanceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListAttributesCommand,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  PutAttributesCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateContainerInstancesStateCommand,
  UpdateServiceCommand,
  paginateListTasks,
  waitUntilServicesStable,
} from '@aws-sdk/client-ecs';
import { CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  type AwsTwin,
  destroyClients,
  startTestTwin,
  twinClients,
  type TwinClients,
} from '../../../helpers/twin.js';
import { FAST } from './harness.js';

let twin: AwsTwin;
let clients: TwinClients;
let ecs: ECSClient;
const cluster = 'sdk-ecs';

async function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  twin = await startTestTwin({ timeScale: 1000, params: FAST });
  clients = twinClients(twin, { maxAttempts: 1 });
  ecs = clients.ecs;
  await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'team', value: 'db' }] }));
  await clients.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'ecs-lt',
      LaunchTemplateData: {
        ImageId: 'ami-ecs',
        InstanceType: 'r6i.large',
        UserData: Buffer.from(`ECS_CLUSTER=${cluster}`).toString('base64'),
      },
    }),
  );
  await clients.autoscaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'ecs-g',
      LaunchTemplate: { LaunchTemplateName: 'ecs-lt' },
      MinSize: 3,
      MaxSize: 3,
      AvailabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    }),
  );
  await eventually(
    async () =>
      ((await ecs.send(new ListContainerInstancesCommand({ cluster }))).containerInstanceArns?.length ??
        0) === 3,
  );
});
afterAll(async () => {
  destroyClients(clients);
  await twin.stop();
});

describe('ECS through the AWS SDK', () => {
  it('clusters and tags', async () => {
    const d = await ecs.send(
      new DescribeClustersCommand({ clusters: [cluster, 'missing'], include: ['TAGS'] }),
    );
    expect(d.clusters?.[0]).toMatchObject({
      clusterName: cluster,
      status: 'ACTIVE',
      registeredContainerInstancesCount: 3,
      tags: [{ key: 'team', value: 'db' }],
    });
    expect(d.failures?.[0]?.reason).toBe('MISSING');
    expect((await ecs.send(new ListClustersCommand({}))).clusterArns).toContain(d.clusters?.[0]?.clusterArn);
    const arn = d.clusters?.[0]?.clusterArn ?? '';
    await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'env', value: 'test' }] }));
    await ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team'] }));
    expect((await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual([
      { key: 'env', value: 'test' },
    ]);
    await ecs.send(new CreateClusterCommand({ clusterName: 'tmp' }));
    await ecs.send(new DeleteClusterCommand({ cluster: 'tmp' }));
    await expect(ecs.send(new ListServicesCommand({ cluster: 'tmp' }))).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
    });
  });

  it('task definitions', async () => {
    const reg = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'sdk-neo4j',
        containerDefinitions: [
          {
            name: 'neo4j',
            image: 'neo4j:5',
            memory: 512,
            portMappings: [{ containerPort: 7687 }],
            healthCheck: { command: ['CMD', 'true'], interval: 5, startPeriod: 5 },
          },
        ],
      }),
    );
    expect(reg.taskDefinition).toMatchObject({ family: 'sdk-neo4j', revision: 1, status: 'ACTIVE' });
    expect(reg.taskDefinition?.registeredAt).toBeInstanceOf(Date);
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'sdk-neo4j',
        containerDefinitions: [{ name: 'neo4j', image: 'neo4j:5.26', memory: 512 }],
      }),
    );
    expect(
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'sdk-neo4j' }))).taskDefinition
        ?.revision,
    ).toBe(2);
    expect(
      (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'sdk-neo4j', sort: 'DESC' })))
        .taskDefinitionArns?.[0],
    ).toMatch(/sdk-neo4j:2$/);
    expect((await ecs.send(new ListTaskDefinitionFamiliesCommand({}))).families).toContain('sdk-neo4j');
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'sdk-neo4j:2' }));
    const del = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['sdk-neo4j:2'] }));
    expect(del.taskDefinitions?.[0]?.status).toBe('DELETE_IN_PROGRESS');
    await expect(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'bad',
          containerDefinitions: [{ name: 'x', image: 'x' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ClientException' });
  });

  it('container instances and attributes', async () => {
    const arns = (await ecs.send(new ListContainerInstancesCommand({ cluster }))).containerInstanceArns ?? [];
    const d = await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }));
    expect(d.containerInstances?.every((c) => c.agentConnected && c.status === 'ACTIVE')).toBe(true);
    expect(d.containerInstances?.[0]?.registeredAt).toBeInstanceOf(Date);
    await ecs.send(
      new PutAttributesCommand({
        cluster,
        attributes: [
          { name: 'neo4j.slot', value: 's1', targetType: 'container-instance', targetId: arns[0] },
        ],
      }),
    );
    expect(
      (
        await ecs.send(
          new ListAttributesCommand({
            cluster,
            targetType: 'container-instance',
            attributeName: 'neo4j.slot',
          }),
        )
      ).attributes?.map((a) => a.targetId),
    ).toEqual([arns[0]]);
    expect(
      (await ecs.send(new ListContainerInstancesCommand({ cluster, filter: 'attribute:neo4j.slot == s1' })))
        .containerInstanceArns,
    ).toEqual([arns[0]]);
    await ecs.send(
      new DeleteAttributesCommand({ cluster, attributes: [{ name: 'neo4j.slot', targetId: arns[0] }] }),
    );
    await expect(
      ecs.send(
        new UpdateContainerInstancesStateCommand({
          cluster,
          containerInstances: [arns[0] ?? ''],
          status: 'REGISTERING',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    // A host outside the group registers through the agent API.
    const run = await clients.ec2.send(
      new RunInstancesCommand({ ImageId: 'ami', MinCount: 1, MaxCount: 1, InstanceType: 't3.large' }),
    );
    const instanceId = run.Instances?.[0]?.InstanceId ?? '';
    await eventually(
      async () =>
        (await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
          .Reservations?.[0]?.Instances?.[0]?.State?.Name === 'running',
    );
    const reg = await ecs.send(
      new RegisterContainerInstanceCommand({
        cluster,
        instanceIdentityDocument: JSON.stringify({ instanceId }),
        attributes: [{ name: 'manual', value: 'yes' }],
      }),
    );
    expect(reg.containerInstance?.ec2InstanceId).toBe(instanceId);
    await ecs.send(
      new DeregisterContainerInstanceCommand({
        cluster,
        containerInstance: reg.containerInstance?.containerInstanceArn,
      }),
    );
    await expect(
      ecs.send(
        new DescribeContainerInstancesCommand({
          cluster,
          containerInstances: Array.from({ length: 101 }, () => 'x'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('services roll out, and the SDK waiter sees them stable; tasks can be listed, described and stopped', async () => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'svc',
        containerDefinitions: [{ name: 'app', image: 'app:1', memory: 256 }],
      }),
    );
    const created = await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: 'svc',
        taskDefinition: 'svc',
        desiredCount: 3,
        deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 150 },
      }),
    );
    expect(created.service?.deployments?.[0]?.rolloutState).toBe('IN_PROGRESS');
    const stable = await waitUntilServicesStable(
      { client: ecs, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
      { cluster, services: ['svc'] },
    );
    expect(stable.state).toBe('SUCCESS');
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'svc',
        containerDefinitions: [{ name: 'app', image: 'app:2', memory: 256 }],
      }),
    );
    const upd = await ecs.send(new UpdateServiceCommand({ cluster, service: 'svc', taskDefinition: 'svc' }));
    expect(upd.service?.deployments?.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
    await waitUntilServicesStable(
      { client: ecs, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
      { cluster, services: ['svc'] },
    );
    const s = await ecs.send(new DescribeServicesCommand({ cluster, services: ['svc', 'nope'] }));
    expect(s.services?.[0]).toMatchObject({
      runningCount: 3,
      desiredCount: 3,
      taskDefinition: expect.stringMatching(/svc:2$/),
    });
    expect(s.services?.[0]?.deployments?.[0]?.rolloutState).toBe('COMPLETED');
    expect(s.failures).toEqual([
      { arn: expect.stringMatching(/service\/sdk-ecs\/nope$/), reason: 'MISSING' },
    ]);
    const arns: string[] = [];
    for await (const page of paginateListTasks({ client: ecs, pageSize: 2 }, { cluster, serviceName: 'svc' }))
      arns.push(...(page.taskArns ?? []));
    expect(arns).toHaveLength(3);
    const tasks = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }));
    expect(
      tasks.tasks?.every(
        (t) => t.lastStatus === 'RUNNING' && t.startedAt instanceof Date && t.group === 'service:svc',
      ),
    ).toBe(true);
    const stopped = await ecs.send(new StopTaskCommand({ cluster, task: arns[0], reason: 'sdk test' }));
    expect(stopped.task).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated' });
    expect((await ecs.send(new ListServicesCommand({ cluster }))).serviceArns).toHaveLength(1);
    await ecs.send(new UpdateServiceCommand({ cluster, service: 'svc', desiredCount: 0 }));
    const gone = await ecs.send(new DeleteServiceCommand({ cluster, service: 'svc' }));
    expect(gone.service?.status).toBe('DRAINING');
    await expect(
      ecs.send(new UpdateServiceCommand({ cluster, service: 'svc', desiredCount: 1 })),
    ).rejects.toMatchObject({ name: 'ServiceNotActiveException' });
    await expect(
      ecs.send(new UpdateServiceCommand({ cluster, service: 'never', desiredCount: 1 })),
    ).rejects.toMatchObject({ name: 'ServiceNotFoundException' });
  });

  it('runs standalone tasks with placement', async () => {
    const run = await ecs.send(
      new RunTaskCommand({
        cluster,
        taskDefinition: 'sdk-neo4j',
        count: 2,
        placementConstraints: [{ type: 'distinctInstance' }],
        placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
        startedBy: 'sdk',
      }),
    );
    expect(run.tasks?.length).toBe(2);
    expect(new Set(run.tasks?.map((t) => t.containerInstanceArn)).size).toBe(2);
    const healthy = await eventually(async () => {
      const d = await ecs.send(
        new DescribeTasksCommand({ cluster, tasks: run.tasks?.map((t) => t.taskArn ?? '') }),
      );
      return d.tasks?.every((t) => t.healthStatus === 'HEALTHY') ? d.tasks : undefined;
    });
    expect(healthy.map((t) => t.containers?.[0]?.healthStatus)).toEqual(['HEALTHY', 'HEALTHY']);
    expect((await ecs.send(new ListTasksCommand({ cluster, startedBy: 'sdk' }))).taskArns).toHaveLength(2);
    await expect(
      ecs.send(new DescribeTasksCommand({ cluster, tasks: Array.from({ length: 101 }, () => 'x') })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});
