/**
 * Auto Scaling (awsQuery) through the real @aws-sdk/client-auto-scaling against the twin, on a manual clock.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import {
  CompleteLifecycleActionCommand,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DeleteAutoScalingGroupCommand,
  DeleteLaunchConfigurationCommand,
  DeleteLifecycleHookCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLaunchConfigurationsCommand,
  DescribeLifecycleHookTypesCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
  PutLifecycleHookCommand,
  RecordLifecycleActionHeartbeatCommand,
  ResumeProcessesCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
  SetInstanceProtectionCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  paginateDescribeAutoScalingGroups,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { VirtualClock } from '../../../../twin/core/clock.js';
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
let asg: AutoScalingClient;
const clock = new VirtualClock({ mode: 'manual' });

beforeAll(async () => {
  twin = await startTestTwin({ clock, params: FAST });
  clients = twinClients(twin, { maxAttempts: 1 });
  asg = clients.autoscaling;
  await clients.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'asg-lt',
      LaunchTemplateData: {
        ImageId: 'ami-ecs',
        InstanceType: 'r6i.large',
        UserData: Buffer.from('ECS_CLUSTER=sdk').toString('base64'),
      },
    }),
  );
});
afterAll(async () => {
  destroyClients(clients);
  await twin.stop();
  clock.stop();
});

async function instances(name: string) {
  const g = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return g.AutoScalingGroups?.[0]?.Instances ?? [];
}

async function until(pred: () => Promise<boolean>, maxMs = 120_000): Promise<void> {
  const end = clock.now() + maxMs;
  while (!(await pred())) {
    if (clock.now() > end) throw new Error('timed out (virtual)');
    await clock.advance(500);
  }
}

describe('Auto Scaling through the AWS SDK', () => {
  it('creates a group over subnets, scales, protects, reports instances and activities', async () => {
    const subnets = await clients.ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }),
    );
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'sdk-g',
        LaunchTemplate: { LaunchTemplateName: 'asg-lt', Version: '$Latest' },
        MinSize: 0,
        MaxSize: 4,
        DesiredCapacity: 3,
        VPCZoneIdentifier: subnets.Subnets?.map((s) => s.SubnetId).join(','),
        Tags: [{ Key: 'app', Value: 'neo4j', PropagateAtLaunch: true }],
        NewInstancesProtectedFromScaleIn: false,
      }),
    );
    await until(
      async () => (await instances('sdk-g')).filter((i) => i.LifecycleState === 'InService').length === 3,
    );
    const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['sdk-g'] })))
      .AutoScalingGroups?.[0];
    expect(g).toMatchObject({ MinSize: 0, MaxSize: 4, DesiredCapacity: 3, HealthCheckType: 'EC2' });
    expect(new Set(g?.Instances?.map((i) => i.AvailabilityZone)).size).toBe(3);
    expect(g?.Tags).toEqual([
      {
        ResourceId: 'sdk-g',
        ResourceType: 'auto-scaling-group',
        Key: 'app',
        Value: 'neo4j',
        PropagateAtLaunch: true,
      },
    ]);
    expect(g?.CreatedTime).toBeInstanceOf(Date);
    const ids = g?.Instances?.map((i) => i.InstanceId ?? '') ?? [];
    await asg.send(
      new SetInstanceProtectionCommand({
        AutoScalingGroupName: 'sdk-g',
        InstanceIds: [ids[0] ?? ''],
        ProtectedFromScaleIn: true,
      }),
    );
    const ai = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [ids[0] ?? ''] }));
    expect(ai.AutoScalingInstances?.[0]).toMatchObject({
      AutoScalingGroupName: 'sdk-g',
      ProtectedFromScaleIn: true,
      LifecycleState: 'InService',
      HealthStatus: 'HEALTHY',
    });
    await expect(
      asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'sdk-g', DesiredCapacity: 9 })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'sdk-g', DesiredCapacity: 1 }));
    await until(async () => (await instances('sdk-g')).length === 1);
    expect((await instances('sdk-g'))[0]?.InstanceId).toBe(ids[0]);
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'sdk-g', MinSize: 2 }));
    await until(
      async () => (await instances('sdk-g')).filter((i) => i.LifecycleState === 'InService').length === 2,
    );
    await asg.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: 'sdk-g', ScalingProcesses: ['ReplaceUnhealthy'] }),
    );
    await asg.send(new SetInstanceHealthCommand({ InstanceId: ids[0], HealthStatus: 'Unhealthy' }));
    await clock.advance(5_000);
    expect((await instances('sdk-g')).find((i) => i.InstanceId === ids[0])?.HealthStatus).toBe('Unhealthy');
    await asg.send(
      new ResumeProcessesCommand({ AutoScalingGroupName: 'sdk-g', ScalingProcesses: ['ReplaceUnhealthy'] }),
    );
    await until(async () => !(await instances('sdk-g')).some((i) => i.InstanceId === ids[0]));
    const acts = await asg.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'sdk-g', MaxRecords: 100 }),
    );
    expect(
      acts.Activities?.some(
        (a) => a.Description === `Terminating EC2 instance: ${ids[0]}` && a.StatusCode === 'Successful',
      ),
    ).toBe(true);
    expect(acts.Activities?.[0]?.StartTime).toBeInstanceOf(Date);
  });

  it('holds terminating instances on a lifecycle hook until completed; heartbeats; by token and by id', async () => {
    await asg.send(
      new PutLifecycleHookCommand({
        AutoScalingGroupName: 'sdk-g',
        LifecycleHookName: 'drain',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        HeartbeatTimeout: 120,
        NotificationMetadata: 'm',
      }),
    );
    const hooks = await asg.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'sdk-g' }));
    expect(hooks.LifecycleHooks?.[0]).toMatchObject({
      LifecycleHookName: 'drain',
      HeartbeatTimeout: 120,
      GlobalTimeout: 12000,
      DefaultResult: 'ABANDON',
    });
    expect((await asg.send(new DescribeLifecycleHookTypesCommand({}))).LifecycleHookTypes).toEqual([
      'autoscaling:EC2_INSTANCE_LAUNCHING',
      'autoscaling:EC2_INSTANCE_TERMINATING',
    ]);
    await until(
      async () => (await instances('sdk-g')).filter((i) => i.LifecycleState === 'InService').length === 2,
    );
    const [a, b] = (await instances('sdk-g')).map((i) => i.InstanceId ?? '');
    const act = await asg.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: a,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    expect(act.Activity?.Description).toBe(`Terminating EC2 instance: ${a}`);
    await clock.advance(100_000);
    await asg.send(
      new RecordLifecycleActionHeartbeatCommand({
        AutoScalingGroupName: 'sdk-g',
        LifecycleHookName: 'drain',
        InstanceId: a,
      }),
    );
    await clock.advance(100_000);
    expect((await instances('sdk-g')).find((i) => i.InstanceId === a)?.LifecycleState).toBe(
      'Terminating:Wait',
    );
    await expect(
      asg.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: 'sdk-g',
          LifecycleHookName: 'drain',
          LifecycleActionResult: 'CONTINUE',
          LifecycleActionToken: '00000000-0000-4000-8000-000000000000',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await asg.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: 'sdk-g',
        LifecycleHookName: 'drain',
        LifecycleActionResult: 'CONTINUE',
        InstanceId: a,
      }),
    );
    await until(async () => !(await instances('sdk-g')).some((i) => i.InstanceId === a));
    const pending = (await twin.control('listLifecycleActions')) as {
      actions: { LifecycleActionToken: string }[];
    };
    expect(pending.actions).toEqual([]);
    await asg.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: b,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    await clock.advance(1);
    const token = (
      (await twin.control('listLifecycleActions')) as { actions: { LifecycleActionToken: string }[] }
    ).actions[0]?.LifecycleActionToken;
    await asg.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: 'sdk-g',
        LifecycleHookName: 'drain',
        LifecycleActionResult: 'ABANDON',
        LifecycleActionToken: token,
      }),
    );
    await until(async () => !(await instances('sdk-g')).some((i) => i.InstanceId === b));
    await asg.send(
      new DeleteLifecycleHookCommand({ AutoScalingGroupName: 'sdk-g', LifecycleHookName: 'drain' }),
    );
  });

  it('launch configurations, pagination, and deleting groups', async () => {
    await asg.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'sdk-lc',
        ImageId: 'ami',
        InstanceType: 't3.medium',
      }),
    );
    expect(
      (await asg.send(new DescribeLaunchConfigurationsCommand({}))).LaunchConfigurations?.map(
        (l) => l.LaunchConfigurationName,
      ),
    ).toEqual(['sdk-lc']);
    for (const n of ['p1', 'p2', 'p3'])
      await asg.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: n,
          LaunchConfigurationName: 'sdk-lc',
          MinSize: 0,
          MaxSize: 1,
          AvailabilityZones: ['us-east-1a'],
        }),
      );
    const names: string[] = [];
    for await (const page of paginateDescribeAutoScalingGroups({ client: asg, pageSize: 2 }, {}))
      names.push(...(page.AutoScalingGroups?.map((g) => g.AutoScalingGroupName ?? '') ?? []));
    expect(names.sort()).toEqual(['p1', 'p2', 'p3', 'sdk-g']);
    await expect(
      asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'sdk-g' })),
    ).rejects.toMatchObject({ name: 'ResourceInUseFault' });
    await asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'sdk-g', ForceDelete: true }));
    for (const n of ['p1', 'p2', 'p3'])
      await asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: n }));
    await asg.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: 'sdk-lc' }));
    await until(
      async () =>
        ((await asg.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? []).length === 0,
    );
    await expect(
      asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'x', MinSize: 0, MaxSize: 1 })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
