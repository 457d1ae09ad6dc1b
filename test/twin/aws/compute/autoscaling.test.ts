import type { Wire } from '../../../../twin/aws/contract.js';
import {
  attr,
  clusterWithAsg,
  containerInstances,
  defaultSubnets,
  harness,
  type Harness,
  userData,
  waitForInstances,
} from './harness.js';

type AsgI = {
  InstanceId: string;
  AvailabilityZone: string;
  LifecycleState: string;
  HealthStatus: string;
  ProtectedFromScaleIn: boolean;
};

describe('Auto Scaling in the twin', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.stop());

  async function group(name: string): Promise<Wire & { Instances: AsgI[]; DesiredCapacity: number }> {
    const out = await h.call('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [name] });
    return (
      out['AutoScalingGroups'] as (Wire & { Instances: AsgI[]; DesiredCapacity: number })[]
    )[0] as Wire & { Instances: AsgI[]; DesiredCapacity: number };
  }

  async function inService(name: string, n: number): Promise<AsgI[]> {
    let list: AsgI[] = [];
    await h.until(async () => {
      list = (await group(name)).Instances.filter((i) => i.LifecycleState === 'InService');
      return list.length === n && (await group(name)).Instances.length === n;
    });
    return list;
  }

  it('launches balanced across the subnets AZs and registers instances with the ECS cluster from user data', async () => {
    const { cluster, group: g } = await clusterWithAsg(h, { desired: 6 });
    const insts = await inService(g, 6);
    const perAz = new Map<string, number>();
    for (const i of insts) perAz.set(i.AvailabilityZone, (perAz.get(i.AvailabilityZone) ?? 0) + 1);
    expect([...perAz.values()]).toEqual([2, 2, 2]);
    const cis = await waitForInstances(h, cluster, 6);
    expect(cis.map((c) => c['ec2InstanceId']).sort()).toEqual(insts.map((i) => i.InstanceId).sort());
    const ci = cis[0] as Wire;
    expect(attr(ci, 'ecs.instance-type')).toBe('r6i.large');
    expect(attr(ci, 'ecs.os-type')).toBe('linux');
    expect(['us-east-1a', 'us-east-1b', 'us-east-1c']).toContain(attr(ci, 'ecs.availability-zone'));
    const reg = (ci['registeredResources'] as { name: string; integerValue: number }[]).find(
      (r) => r.name === 'CPU',
    );
    expect(reg?.integerValue).toBe(2048);
    const tags = await h.call('ec2', 'DescribeTags', {
      Filter: [{ Name: 'key', Value: ['aws:autoscaling:groupName'] }],
    });
    expect((tags['tagSet'] as unknown[]).length).toBe(6);
    const acts = await h.call('autoscaling', 'DescribeScalingActivities', { AutoScalingGroupName: g });
    const launches = (acts['Activities'] as { Description: string; StatusCode: string }[]).filter((a) =>
      a.Description.startsWith('Launching'),
    );
    expect(launches).toHaveLength(6);
    expect(launches.every((a) => a.StatusCode === 'Successful')).toBe(true);
  });

  it('instances never register while their cluster does not exist, and do once it is created', async () => {
    await h.call('ec2', 'CreateLaunchTemplate', {
      LaunchTemplateName: 'lt-1',
      LaunchTemplateData: { ImageId: 'ami', InstanceType: 't3.large', UserData: userData('later') },
    });
    const subnets = await defaultSubnets(h);
    await h.call('autoscaling', 'CreateAutoScalingGroup', {
      AutoScalingGroupName: 'g',
      LaunchTemplate: { LaunchTemplateName: 'lt-1' },
      MinSize: '1',
      MaxSize: '2',
      VPCZoneIdentifier: subnets[0]?.id,
    });
    await inService('g', 1);
    await h.advance(30_000);
    expect(h.events('ecs.agent.registration-failed').length).toBeGreaterThan(3);
    await h.call('ecs', 'CreateCluster', { clusterName: 'later' });
    await waitForInstances(h, 'later', 1);
  });

  it('validates capacity changes and scales in with AZ balance, never protected instances', async () => {
    const { group: g } = await clusterWithAsg(h, { desired: 4 });
    const insts = await inService(g, 4);
    await h.fails(
      'autoscaling',
      'SetDesiredCapacity',
      { AutoScalingGroupName: g, DesiredCapacity: '7' },
      'ValidationError',
    );
    await h.fails(
      'autoscaling',
      'UpdateAutoScalingGroup',
      { AutoScalingGroupName: g, MinSize: '5', MaxSize: '4' },
      'ValidationError',
    );
    await h.fails(
      'autoscaling',
      'SetDesiredCapacity',
      { AutoScalingGroupName: 'nope', DesiredCapacity: '1' },
      'ValidationError',
    );
    // Protect the instances in the AZ that has two.
    const perAz = new Map<string, AsgI[]>();
    for (const i of insts) perAz.set(i.AvailabilityZone, [...(perAz.get(i.AvailabilityZone) ?? []), i]);
    const crowded = [...perAz.values()].find((l) => l.length === 2) ?? [];
    await h.call('autoscaling', 'SetInstanceProtection', {
      AutoScalingGroupName: g,
      InstanceIds: crowded.map((i) => i.InstanceId),
      ProtectedFromScaleIn: 'true',
    });
    await h.call('autoscaling', 'SetDesiredCapacity', { AutoScalingGroupName: g, DesiredCapacity: '2' });
    const left = await inService(g, 2);
    expect(left.map((i) => i.InstanceId).sort()).toEqual(crowded.map((i) => i.InstanceId).sort());
    await h.call('autoscaling', 'SetDesiredCapacity', { AutoScalingGroupName: g, DesiredCapacity: '0' });
    await h.advance(20_000);
    expect((await group(g)).Instances).toHaveLength(2);
    await h.call('autoscaling', 'SetInstanceProtection', {
      AutoScalingGroupName: g,
      InstanceIds: [crowded[0]?.InstanceId],
      ProtectedFromScaleIn: 'false',
    });
    await inService(g, 1);
  });

  it('TerminateInstanceInAutoScalingGroup replaces the instance unless told to decrement', async () => {
    const { group: g } = await clusterWithAsg(h, { desired: 2 });
    await h.call('autoscaling', 'UpdateAutoScalingGroup', { AutoScalingGroupName: g, MinSize: '1' });
    const [a, b] = await inService(g, 2);
    const out = await h.call('autoscaling', 'TerminateInstanceInAutoScalingGroup', {
      InstanceId: a?.InstanceId,
      ShouldDecrementDesiredCapacity: 'false',
    });
    expect((out['Activity'] as { Description: string }).Description).toContain(a?.InstanceId);
    await h.until(async () => {
      const ids = (await group(g)).Instances.filter((i) => i.LifecycleState === 'InService').map(
        (i) => i.InstanceId,
      );
      return ids.length === 2 && !ids.includes(a?.InstanceId ?? '');
    });
    expect((await group(g)).DesiredCapacity).toBe(2);
    await h.call('autoscaling', 'TerminateInstanceInAutoScalingGroup', {
      InstanceId: b?.InstanceId,
      ShouldDecrementDesiredCapacity: 'true',
    });
    await inService(g, 1);
    expect((await group(g)).DesiredCapacity).toBe(1);
    const last = (await group(g)).Instances[0]?.InstanceId;
    await h.fails(
      'autoscaling',
      'TerminateInstanceInAutoScalingGroup',
      { InstanceId: last, ShouldDecrementDesiredCapacity: 'true' },
      'ValidationError',
    );
    await h.fails(
      'autoscaling',
      'TerminateInstanceInAutoScalingGroup',
      { InstanceId: 'i-00000000000000000', ShouldDecrementDesiredCapacity: 'true' },
      'ValidationError',
    );
    await h.fails(
      'autoscaling',
      'TerminateInstanceInAutoScalingGroup',
      { InstanceId: last },
      'ValidationError',
    );
  });

  it('replaces instances terminated or stopped outside the group, and avoids a failed AZ', async () => {
    const { cluster, group: g } = await clusterWithAsg(h, { desired: 3 });
    const insts = await inService(g, 3);
    const victim = insts[0] as AsgI;
    await h.control('terminateInstance', { instanceId: victim.InstanceId });
    await h.until(async () => {
      const now = (await group(g)).Instances;
      return (
        now.length === 3 &&
        now.every((i) => i.LifecycleState === 'InService') &&
        !now.some((i) => i.InstanceId === victim.InstanceId)
      );
    });
    const failedAz = 'us-east-1b';
    await h.control('failAz', { az: failedAz });
    await h.until(async () => {
      const now = (await group(g)).Instances;
      return (
        now.length === 3 &&
        now.every((i) => i.LifecycleState === 'InService' && i.AvailabilityZone !== failedAz)
      );
    });
    const acts = await h.call('autoscaling', 'DescribeScalingActivities', { AutoScalingGroupName: g });
    expect((acts['Activities'] as { Cause: string }[]).some((a) => a.Cause.includes('health check'))).toBe(
      true,
    );
    const cis = await containerInstances(h, cluster);
    const byInstance = await h.call('autoscaling', 'DescribeAutoScalingInstances', {
      InstanceIds: cis.map((c) => c['ec2InstanceId']),
    });
    expect(
      (byInstance['AutoScalingInstances'] as { AutoScalingGroupName: string }[]).every(
        (x) => x.AutoScalingGroupName === g,
      ),
    ).toBe(true);
    // The replacements register; the instances of the failed AZ are gone from the cluster.
    const live = await waitForInstances(h, cluster, 3);
    expect(live.every((c) => attr(c, 'ecs.availability-zone') !== failedAz)).toBe(true);
    const world = (await h.control('describeWorld'))['containerInstances'] as {
      agentConnected: boolean;
      status: string;
    }[];
    expect(world.filter((c) => c.status === 'ACTIVE' && c.agentConnected)).toHaveLength(3);
  });

  it('supports launch configurations, suspended processes and refuses deleting a group with instances', async () => {
    await h.call('ecs', 'CreateCluster', { clusterName: 'lc' });
    await h.call('autoscaling', 'CreateLaunchConfiguration', {
      LaunchConfigurationName: 'lc1',
      ImageId: 'ami',
      InstanceType: 'm5.large',
      UserData: userData('lc'),
    });
    await h.fails(
      'autoscaling',
      'CreateLaunchConfiguration',
      { LaunchConfigurationName: 'lc1', ImageId: 'ami', InstanceType: 'm5.large' },
      'AlreadyExists',
    );
    await h.call('autoscaling', 'CreateAutoScalingGroup', {
      AutoScalingGroupName: 'g',
      LaunchConfigurationName: 'lc1',
      MinSize: '0',
      MaxSize: '3',
      DesiredCapacity: '1',
      AvailabilityZones: ['us-east-1a', 'us-east-1c'],
    });
    await h.fails(
      'autoscaling',
      'CreateAutoScalingGroup',
      {
        AutoScalingGroupName: 'g',
        LaunchConfigurationName: 'lc1',
        MinSize: '0',
        MaxSize: '3',
        AvailabilityZones: ['us-east-1a'],
      },
      'AlreadyExists',
    );
    await h.fails(
      'autoscaling',
      'CreateAutoScalingGroup',
      { AutoScalingGroupName: 'x', MinSize: '0', MaxSize: '3', AvailabilityZones: ['us-east-1a'] },
      'ValidationError',
    );
    await h.fails(
      'autoscaling',
      'CreateAutoScalingGroup',
      { AutoScalingGroupName: 'x', LaunchConfigurationName: 'lc1', MinSize: '0', MaxSize: '3' },
      'ValidationError',
    );
    await h.fails(
      'autoscaling',
      'CreateAutoScalingGroup',
      {
        AutoScalingGroupName: 'x',
        LaunchConfigurationName: 'lc1',
        MaxSize: '3',
        AvailabilityZones: ['us-east-1a'],
      },
      'ValidationError',
    );
    await inService('g', 1);
    await waitForInstances(h, 'lc', 1);
    await h.fails('autoscaling', 'DeleteAutoScalingGroup', { AutoScalingGroupName: 'g' }, 'ResourceInUse');
    await h.fails(
      'autoscaling',
      'DeleteLaunchConfiguration',
      { LaunchConfigurationName: 'lc1' },
      'ResourceInUse',
    );
    await h.call('autoscaling', 'SuspendProcesses', {
      AutoScalingGroupName: 'g',
      ScalingProcesses: ['Launch'],
    });
    await h.call('autoscaling', 'SetDesiredCapacity', { AutoScalingGroupName: 'g', DesiredCapacity: '3' });
    await h.advance(20_000);
    expect((await group('g')).Instances).toHaveLength(1);
    await h.call('autoscaling', 'ResumeProcesses', { AutoScalingGroupName: 'g' });
    await inService('g', 3);
    await h.call('autoscaling', 'DeleteAutoScalingGroup', { AutoScalingGroupName: 'g', ForceDelete: 'true' });
    await h.until(
      async () =>
        ((await h.call('autoscaling', 'DescribeAutoScalingGroups', {}))['AutoScalingGroups'] as unknown[])
          .length === 0,
    );
    const lcs = await h.call('autoscaling', 'DescribeLaunchConfigurations', {});
    expect(
      (lcs['LaunchConfigurations'] as { LaunchConfigurationName: string }[]).map(
        (x) => x.LaunchConfigurationName,
      ),
    ).toEqual(['lc1']);
    await h.call('autoscaling', 'DeleteLaunchConfiguration', { LaunchConfigurationName: 'lc1' });
  });

  it('paginates DescribeAutoScalingGroups and filters by tag', async () => {
    await h.call('ec2', 'CreateLaunchTemplate', {
      LaunchTemplateName: 'lt-1',
      LaunchTemplateData: { ImageId: 'ami' },
    });
    for (let n = 0; n < 5; n++)
      await h.call('autoscaling', 'CreateAutoScalingGroup', {
        AutoScalingGroupName: `g${n}`,
        LaunchTemplate: { LaunchTemplateName: 'lt-1' },
        MinSize: '0',
        MaxSize: '1',
        AvailabilityZones: ['us-east-1a'],
        Tags: [{ Key: 'parity', Value: n % 2 ? 'odd' : 'even', PropagateAtLaunch: 'true' }],
      });
    const p1 = await h.call('autoscaling', 'DescribeAutoScalingGroups', { MaxRecords: '3' });
    expect((p1['AutoScalingGroups'] as unknown[]).length).toBe(3);
    const p2 = await h.call('autoscaling', 'DescribeAutoScalingGroups', {
      MaxRecords: '3',
      NextToken: p1['NextToken'],
    });
    expect((p2['AutoScalingGroups'] as unknown[]).length).toBe(2);
    expect(p2['NextToken']).toBeUndefined();
    const odd = await h.call('autoscaling', 'DescribeAutoScalingGroups', {
      Filters: [{ Name: 'tag:parity', Values: ['odd'] }],
    });
    expect(
      (odd['AutoScalingGroups'] as { AutoScalingGroupName: string }[]).map((g) => g.AutoScalingGroupName),
    ).toEqual(['g1', 'g3']);
    await h.fails('autoscaling', 'DescribeAutoScalingGroups', { NextToken: 'bad' }, 'InvalidNextToken');
  });
});
