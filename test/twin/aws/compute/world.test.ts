import type { Wire } from '../../../../twin/aws/contract.js';
import { VirtualClock } from '../../../../twin/core/clock.js';
import { LoopbackAllocator } from '../../../../twin/core/loopback.js';
import { Rng } from '../../../../twin/core/rng.js';
import { WorldLog } from '../../../../twin/core/world-log.js';
import {
  createComputeSimulation,
  DEFAULT_COMPUTE_PARAMS,
} from '../../../../twin/aws/services/compute/index.js';
import {
  attr,
  clusterWithAsg,
  describeService,
  FAST,
  harness,
  type Harness,
  registerTd,
  serviceTasks,
  waitForInstances,
} from './harness.js';

describe('compute world faults, inspection and persistence', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.stop());

  it('a spot interruption drains the container instance (when the agent is told to), then reclaims the host', async () => {
    const { cluster } = await clusterWithAsg(h, {
      desired: 2,
      extraUserData: 'echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config',
    });
    const cis = await waitForInstances(h, cluster, 2);
    const td = await registerTd(h, 'w');
    await h.call('ecs', 'CreateService', {
      cluster,
      serviceName: 'w',
      taskDefinition: td,
      desiredCount: 2,
      placementConstraints: [{ type: 'distinctInstance' }],
    });
    await h.until(async () => (await describeService(h, cluster, 'w'))['runningCount'] === 2);
    const victim = cis[0]?.['ec2InstanceId'] as string;
    await h.control('spotInterrupt', { instanceId: victim });
    await h.advance(1);
    const ci = (
      (
        await h.call('ecs', 'DescribeContainerInstances', {
          cluster,
          containerInstances: [cis[0]?.['containerInstanceArn']],
        })
      )['containerInstances'] as Wire[]
    )[0];
    expect(ci?.['status']).toBe('DRAINING');
    expect(h.events('ec2.spot.interruption').map((e) => e['instanceId'])).toEqual([victim]);
    await h.advance(120_000);
    const insts = (await h.call('ec2', 'DescribeInstances', { InstanceId: [victim] }))['reservationSet'] as {
      instancesSet: { instanceState: { name: string }; stateReason?: { code: string } }[];
    }[];
    expect(insts[0]?.instancesSet[0]?.stateReason?.code).toBe('Server.SpotInstanceTermination');
    await h.until(
      async () =>
        (await describeService(h, cluster, 'w'))['runningCount'] === 2 &&
        (await serviceTasks(h, cluster, 'w')).every((t) => t['lastStatus'] === 'RUNNING'),
    );
    await h.advance(2_000);
    expect((await h.control('listInterruptionNotices'))['notices']).toEqual([]);
    const reasons = h
      .events('ecs.task.stopping')
      .filter((e) => e['instanceId'] === victim)
      .map((e) => e['stopCode']);
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.every((r) => r === 'SpotInterruption' || r === 'ServiceSchedulerInitiated')).toBe(true);
  });

  it('stopInstance stops its tasks and disconnects the agent; the group replaces the stopped instance', async () => {
    const { cluster, group } = await clusterWithAsg(h, { desired: 1 });
    const cis = await waitForInstances(h, cluster, 1);
    const id = cis[0]?.['ec2InstanceId'] as string;
    const td = await registerTd(h, 'w');
    const run = await h.call('ecs', 'RunTask', { cluster, taskDefinition: td });
    const arn = ((run['tasks'] as Wire[])[0] as Wire)['taskArn'] as string;
    await h.advance(2_000);
    await h.control('stopInstance', { instanceId: id });
    const t = ((await h.call('ecs', 'DescribeTasks', { cluster, tasks: [arn] }))['tasks'] as Wire[])[0];
    expect(t).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'TerminationNotice',
      stoppedReason: `Host EC2 (instance ${id}) stopped.`,
    });
    await h.until(async () => {
      const g = (
        (await h.call('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [group] }))[
          'AutoScalingGroups'
        ] as { Instances: { InstanceId: string; LifecycleState: string }[] }[]
      )[0];
      return (
        g?.Instances.length === 1 &&
        g.Instances[0]?.InstanceId !== id &&
        g.Instances[0]?.LifecycleState === 'InService'
      );
    });
    await h.fails(
      'ec2',
      'DescribeInstances',
      { InstanceId: ['i-ffffffffffffffff0'] },
      'InvalidInstanceID.NotFound',
    );
  });

  it('describeWorld summarises everything; control ops validate their input', async () => {
    const { cluster } = await clusterWithAsg(h, { desired: 1 });
    await waitForInstances(h, cluster, 1);
    const w = await h.control('describeWorld');
    expect((w['azs'] as unknown[]).length).toBe(3);
    expect((w['instances'] as { ecsCluster: string }[])[0]?.ecsCluster).toBe(cluster);
    expect((w['autoScalingGroups'] as { instances: unknown[] }[])[0]?.instances).toHaveLength(1);
    await expect(h.control('failAz', {})).rejects.toMatchObject({ code: 'MissingParameter' });
    await expect(h.control('failAz', { az: 'mars-1a' })).rejects.toMatchObject({
      code: 'InvalidParameterValue',
    });
    await expect(h.control('killTask', { taskArn: 'nope' })).rejects.toMatchObject({
      code: 'InvalidParameterException',
    });
    await expect(h.control('spotInterrupt', { instanceId: 'i-00000000000000000' })).rejects.toMatchObject({
      code: 'InvalidInstanceID.NotFound',
    });
    await expect(h.control('failVolumeAttach', { volumeId: 'vol-00000000000000000' })).rejects.toMatchObject({
      code: 'InvalidVolume.NotFound',
    });
    await expect(h.control('setTaskHealth', { taskArn: 'x', status: 'GREEN' })).rejects.toMatchObject({
      code: 'InvalidParameterValue',
    });
  });

  it('is deterministic for a seed', async () => {
    const run = async (seed: number): Promise<string> => {
      const x = harness(FAST, seed);
      try {
        const { cluster } = await clusterWithAsg(x, { desired: 3 });
        await waitForInstances(x, cluster, 3);
        const td = await registerTd(x, 'w');
        await x.call('ecs', 'CreateService', {
          cluster,
          serviceName: 'w',
          taskDefinition: td,
          desiredCount: 4,
        });
        await x.advance(30_000);
        return JSON.stringify(x.world.list());
      } finally {
        x.stop();
      }
    };
    const a = await run(11);
    expect(await run(11)).toBe(a);
    expect(await run(12)).not.toBe(a);
  });

  it('snapshot/restore keeps the world, volume data and pending transitions', async () => {
    const { cluster } = await clusterWithAsg(h, { desired: 2 });
    const cis = await waitForInstances(h, cluster, 2);
    // The volume and the task go to the AZ of the first instance (where the ASG put it depends on the seed).
    const az = attr(cis[0]!, 'ecs.availability-zone');
    const vol = await h.call('ec2', 'CreateVolume', { AvailabilityZone: az, Size: '10' });
    await h.advance(1_000);
    let seen: Map<string, string> | undefined;
    h.sim.addTaskListener({ onTaskStarted: (t) => void (seen = t.attachedVolumes[0]?.data) });
    const inA = cis[0];
    await h.call('ec2', 'AttachVolume', {
      VolumeId: vol['volumeId'],
      InstanceId: inA?.['ec2InstanceId'],
      Device: '/dev/sdf',
    });
    await h.advance(1_000);
    const td = await registerTd(h, 'w');
    await h.call('ecs', 'RunTask', {
      cluster,
      taskDefinition: td,
      placementConstraints: [{ type: 'memberOf', expression: `attribute:ecs.availability-zone == ${az}` }],
    });
    await h.until(() => seen !== undefined);
    seen?.set('k', 'v');
    // Begin a detach, then snapshot mid-flight.
    await h.call('ec2', 'DetachVolume', { VolumeId: vol['volumeId'] });
    const saved = JSON.parse(JSON.stringify(h.sim.snapshot())) as unknown;
    const clock = new VirtualClock({ mode: 'manual', start: h.clock.now() });
    const world = new WorldLog(() => clock.now());
    const loopback = new LoopbackAllocator();
    const other = createComputeSimulation({
      clock,
      rng: new Rng(99),
      world,
      loopback,
      region: 'us-east-1',
      accountId: '123456789012',
      params: FAST,
      resolveSecret: () => undefined,
    });
    try {
      other.restore(saved);
      const call = async (op: string, input: Wire): Promise<Wire> => {
        const fn = other.modules.find((m) => m.service === 'ec2')?.operations[op];
        if (!fn) throw new Error(op);
        return await fn(input, {
          requestId: 'r',
          region: 'us-east-1',
          accountId: '123456789012',
          now: clock.now(),
        });
      };
      const before = (
        (await call('DescribeVolumes', { VolumeId: [vol['volumeId']] }))['volumeSet'] as {
          status: string;
          attachmentSet: { status: string }[];
        }[]
      )[0];
      expect(before?.attachmentSet[0]?.status).toBe('detaching');
      await clock.advance(1_000);
      const after = (
        (await call('DescribeVolumes', { VolumeId: [vol['volumeId']] }))['volumeSet'] as { status: string }[]
      )[0];
      expect(after?.status).toBe('available');
      const snap = other.snapshot() as {
        state: { volumes: { $map: Record<string, { data: { $map: Record<string, string> } }> } };
      };
      expect(snap.state.volumes.$map[vol['volumeId'] as string]?.data.$map['k']).toBe('v');
      // Addresses of restored tasks are not handed out again.
      const describe = other.control['describeWorld'];
      if (!describe) throw new Error('describeWorld missing');
      const ctx = { requestId: 'r', region: 'us-east-1', accountId: '123456789012', now: clock.now() };
      const restoredAddrs = ((await describe({}, ctx))['tasks'] as { address: string }[]).map(
        (t) => t.address,
      );
      expect(restoredAddrs.length).toBeGreaterThan(0);
      expect(restoredAddrs).not.toContain(loopback.allocate());
      expect(() => other.restore({ version: 99 })).toThrow(/version/);
      expect(() => other.restore({ version: 1, state: {} })).toThrow(/missing/);
    } finally {
      other.stop();
      clock.stop();
    }
  });

  it('rejects bad parameters', () => {
    const clock = new VirtualClock({ mode: 'manual' });
    expect(() =>
      createComputeSimulation({
        clock,
        rng: new Rng(1),
        world: new WorldLog(() => 0),
        loopback: new LoopbackAllocator(),
        region: 'us-east-1',
        accountId: '1',
        params: { taskStartMs: -1 },
        resolveSecret: () => undefined,
      }),
    ).toThrow(/taskStartMs/);
    expect(DEFAULT_COMPUTE_PARAMS.spotNoticeMs).toBe(120_000);
  });
});
