import type { Wire } from '../../../../twin/aws/contract.js';
import { clusterWithAsg, harness, type Harness } from './harness.js';

type AsgI = { InstanceId: string; LifecycleState: string };
const TERM = 'autoscaling:EC2_INSTANCE_TERMINATING';
const LAUNCH = 'autoscaling:EC2_INSTANCE_LAUNCHING';

describe('Auto Scaling lifecycle hooks in the twin', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.stop());

  async function instances(g: string): Promise<AsgI[]> {
    const out = await h.call('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [g] });
    return (out['AutoScalingGroups'] as { Instances: AsgI[] }[])[0]?.Instances ?? [];
  }

  async function state(g: string, id: string): Promise<string | undefined> {
    return (await instances(g)).find((i) => i.InstanceId === id)?.LifecycleState;
  }

  async function ec2State(id: string): Promise<string> {
    const out = await h.call('ec2', 'DescribeInstances', { InstanceId: [id] });
    return (
      (out['reservationSet'] as { instancesSet: { instanceState: { name: string } }[] }[])[0]?.instancesSet[0]
        ?.instanceState.name ?? ''
    );
  }

  async function groupWithTerminateHook(extra: Wire = {}): Promise<{ g: string; ids: string[] }> {
    const { group: g } = await clusterWithAsg(h, {
      desired: 2,
      hooks: [{ LifecycleHookName: 'drain', LifecycleTransition: TERM, HeartbeatTimeout: '300', ...extra }],
    });
    let ids: string[] = [];
    await h.until(async () => {
      ids = (await instances(g)).filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId);
      return ids.length === 2;
    });
    return { g, ids };
  }

  it('holds a terminating instance in Terminating:Wait until CompleteLifecycleAction by instance id', async () => {
    const { g, ids } = await groupWithTerminateHook();
    const id = ids[0] ?? '';
    await h.call('autoscaling', 'TerminateInstanceInAutoScalingGroup', {
      InstanceId: id,
      ShouldDecrementDesiredCapacity: 'true',
    });
    await h.advance(1_000);
    expect(await state(g, id)).toBe('Terminating:Wait');
    await h.advance(250_000);
    expect(await state(g, id)).toBe('Terminating:Wait');
    expect(await ec2State(id)).toBe('running');
    const ai = await h.call('autoscaling', 'DescribeAutoScalingInstances', { InstanceIds: [id] });
    expect((ai['AutoScalingInstances'] as { LifecycleState: string }[])[0]?.LifecycleState).toBe(
      'Terminating:Wait',
    );
    await h.fails(
      'autoscaling',
      'CompleteLifecycleAction',
      {
        AutoScalingGroupName: g,
        LifecycleHookName: 'drain',
        LifecycleActionResult: 'CONTINUE',
        InstanceId: ids[1] ?? '',
      },
      'ValidationError',
    );
    await h.fails(
      'autoscaling',
      'CompleteLifecycleAction',
      { AutoScalingGroupName: g, LifecycleHookName: 'drain', LifecycleActionResult: 'MAYBE', InstanceId: id },
      'ValidationError',
    );
    await h.call('autoscaling', 'CompleteLifecycleAction', {
      AutoScalingGroupName: g,
      LifecycleHookName: 'drain',
      LifecycleActionResult: 'CONTINUE',
      InstanceId: id,
    });
    await h.advance(1);
    expect(await state(g, id)).toBe('Terminating:Proceed');
    await h.advance(2_000);
    expect(await state(g, id)).toBeUndefined();
    expect(await ec2State(id)).toBe('terminated');
    const transitions = h
      .events('asg.lifecycle')
      .filter((e) => e['instanceId'] === id)
      .map((e) => e['to']);
    expect(transitions).toEqual([
      'Pending',
      'Pending:Proceed',
      'InService',
      'Terminating',
      'Terminating:Wait',
      'Terminating:Proceed',
      'Terminated',
    ]);
    const actions = h.events('asg.lifecycle.action').filter((e) => e['instanceId'] === id);
    expect(actions.map((e) => [e['event'], e['result'] ?? null])).toEqual([
      ['started', null],
      ['completed', 'CONTINUE'],
    ]);
  });

  it('completes by token; a wrong token is a ValidationError', async () => {
    const { g, ids } = await groupWithTerminateHook();
    const id = ids[1] ?? '';
    await h.call('autoscaling', 'TerminateInstanceInAutoScalingGroup', {
      InstanceId: id,
      ShouldDecrementDesiredCapacity: 'false',
    });
    await h.advance(1);
    const pending = (await h.control('listLifecycleActions', { autoScalingGroupName: g }))['actions'] as {
      LifecycleActionToken: string;
      EC2InstanceId: string;
    }[];
    expect(pending.map((p) => p.EC2InstanceId)).toEqual([id]);
    const token = pending[0]?.LifecycleActionToken ?? '';
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    await h.fails(
      'autoscaling',
      'CompleteLifecycleAction',
      {
        AutoScalingGroupName: g,
        LifecycleHookName: 'drain',
        LifecycleActionResult: 'CONTINUE',
        LifecycleActionToken: '00000000-0000-4000-8000-000000000000',
      },
      'ValidationError',
    );
    await h.fails(
      'autoscaling',
      'CompleteLifecycleAction',
      {
        AutoScalingGroupName: g,
        LifecycleHookName: 'nope',
        LifecycleActionResult: 'CONTINUE',
        LifecycleActionToken: token,
      },
      'ValidationError',
    );
    await h.call('autoscaling', 'CompleteLifecycleAction', {
      AutoScalingGroupName: g,
      LifecycleHookName: 'drain',
      LifecycleActionResult: 'ABANDON',
      LifecycleActionToken: token,
    });
    await h.advance(2_000);
    expect(await ec2State(id)).toBe('terminated');
    const done = h
      .events('asg.lifecycle')
      .find((e) => e['instanceId'] === id && e['to'] === 'Terminating:Proceed');
    expect(done?.['result']).toBe('ABANDON');
    // Not decremented: a replacement comes up.
    await h.until(
      async () => (await instances(g)).filter((i) => i.LifecycleState === 'InService').length === 2,
    );
  });

  it('applies the DefaultResult (ABANDON) after the heartbeat timeout; heartbeats extend the wait up to the global timeout', async () => {
    const { g, ids } = await groupWithTerminateHook({ HeartbeatTimeout: '60' });
    const hooks = await h.call('autoscaling', 'DescribeLifecycleHooks', { AutoScalingGroupName: g });
    expect(hooks['LifecycleHooks']).toEqual([
      expect.objectContaining({
        LifecycleHookName: 'drain',
        HeartbeatTimeout: 60,
        GlobalTimeout: 6000,
        DefaultResult: 'ABANDON',
        LifecycleTransition: TERM,
      }),
    ]);
    const [a, b] = ids as [string, string];
    await h.call('autoscaling', 'TerminateInstanceInAutoScalingGroup', {
      InstanceId: a,
      ShouldDecrementDesiredCapacity: 'true',
    });
    await h.advance(59_000);
    expect(await state(g, a)).toBe('Terminating:Wait');
    await h.advance(1_000);
    expect(await state(g, a)).toBe('Terminating:Proceed');
    const timedOut = h
      .events('asg.lifecycle.action')
      .find((e) => e['instanceId'] === a && e['event'] === 'heartbeat-timeout');
    expect(timedOut?.['result']).toBe('ABANDON');
    // Heartbeats keep the second one waiting past its heartbeat timeout, but not past the global timeout.
    await h.call('autoscaling', 'UpdateAutoScalingGroup', { AutoScalingGroupName: g, MinSize: '0' });
    await h.call('autoscaling', 'TerminateInstanceInAutoScalingGroup', {
      InstanceId: b,
      ShouldDecrementDesiredCapacity: 'true',
    });
    const started = h.clock.now();
    for (let n = 0; n < 5; n++) {
      await h.advance(50_000);
      await h.call('autoscaling', 'RecordLifecycleActionHeartbeat', {
        AutoScalingGroupName: g,
        LifecycleHookName: 'drain',
        InstanceId: b,
      });
    }
    expect(await state(g, b)).toBe('Terminating:Wait');
    await h.until(async () => (await state(g, b)) !== 'Terminating:Wait', 7_000_000, 5_000);
    // Keep heartbeating (the loop above stopped): the global timeout is 100 × 60 s.
    const ended = h
      .events('asg.lifecycle.action')
      .find(
        (e) =>
          e['instanceId'] === b && (e['event'] === 'heartbeat-timeout' || e['event'] === 'global-timeout'),
      );
    expect(ended).toBeDefined();
    expect(h.clock.now() - started).toBeGreaterThanOrEqual(250_000 + 60_000);
  });

  it('caps heartbeats at the global timeout', async () => {
    const { g, ids } = await groupWithTerminateHook({ HeartbeatTimeout: '30', DefaultResult: 'CONTINUE' });
    const id = ids[0] ?? '';
    await h.call('autoscaling', 'TerminateInstanceInAutoScalingGroup', {
      InstanceId: id,
      ShouldDecrementDesiredCapacity: 'true',
    });
    const t0 = h.clock.now();
    while ((await state(g, id)) === 'Terminating:Wait' || (await state(g, id)) === 'Terminating') {
      await h.advance(20_000);
      try {
        await h.call('autoscaling', 'RecordLifecycleActionHeartbeat', {
          AutoScalingGroupName: g,
          LifecycleHookName: 'drain',
          InstanceId: id,
        });
      } catch {
        break;
      }
      if (h.clock.now() - t0 > 4_000_000) throw new Error('global timeout never applied');
    }
    const ended = h
      .events('asg.lifecycle.action')
      .find((e) => e['instanceId'] === id && e['event'] === 'global-timeout');
    expect(ended?.['result']).toBe('CONTINUE');
    expect((ended?.t ?? 0) - t0).toBe(3_000_000);
  });

  it('runs launch hooks: Pending:Wait → CONTINUE → InService; ABANDON terminates the new instance', async () => {
    const { group: g } = await clusterWithAsg(h, { desired: 0 });
    await h.call('autoscaling', 'PutLifecycleHook', {
      AutoScalingGroupName: g,
      LifecycleHookName: 'warm',
      LifecycleTransition: LAUNCH,
      HeartbeatTimeout: '120',
      NotificationMetadata: 'member=core',
    });
    await h.fails(
      'autoscaling',
      'PutLifecycleHook',
      {
        AutoScalingGroupName: g,
        LifecycleHookName: 'x',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_REBOOTING',
      },
      'ValidationError',
    );
    await h.fails(
      'autoscaling',
      'PutLifecycleHook',
      {
        AutoScalingGroupName: g,
        LifecycleHookName: 'y',
        LifecycleTransition: LAUNCH,
        HeartbeatTimeout: '10',
      },
      'ValidationError',
    );
    await h.call('autoscaling', 'SetDesiredCapacity', { AutoScalingGroupName: g, DesiredCapacity: '2' });
    let waiting: AsgI[] = [];
    await h.until(async () => {
      waiting = (await instances(g)).filter((i) => i.LifecycleState === 'Pending:Wait');
      return waiting.length === 2;
    });
    const actions = (await h.control('listLifecycleActions'))['actions'] as {
      NotificationMetadata: string;
      LifecycleTransition: string;
    }[];
    expect(
      actions.every((a) => a.NotificationMetadata === 'member=core' && a.LifecycleTransition === LAUNCH),
    ).toBe(true);
    const [ok, bad] = waiting as [AsgI, AsgI];
    await h.call('autoscaling', 'CompleteLifecycleAction', {
      AutoScalingGroupName: g,
      LifecycleHookName: 'warm',
      LifecycleActionResult: 'CONTINUE',
      InstanceId: ok.InstanceId,
    });
    await h.call('autoscaling', 'CompleteLifecycleAction', {
      AutoScalingGroupName: g,
      LifecycleHookName: 'warm',
      LifecycleActionResult: 'ABANDON',
      InstanceId: bad.InstanceId,
    });
    await h.advance(1);
    expect(await state(g, ok.InstanceId)).toBe('InService');
    await h.advance(2_000);
    expect(await ec2State(bad.InstanceId)).toBe('terminated');
    // The group launches a replacement for the abandoned one, which waits on the hook again.
    await h.until(async () =>
      (await instances(g)).some(
        (i) => i.LifecycleState === 'Pending:Wait' && i.InstanceId !== bad.InstanceId,
      ),
    );
    await h.call('autoscaling', 'DeleteLifecycleHook', {
      AutoScalingGroupName: g,
      LifecycleHookName: 'warm',
    });
    await h.until(
      async () => (await instances(g)).filter((i) => i.LifecycleState === 'InService').length === 2,
    );
    expect(
      (await h.call('autoscaling', 'DescribeLifecycleHooks', { AutoScalingGroupName: g }))[
        'LifecycleHooks'
      ] as unknown[],
    ).toEqual([]);
    await h.fails(
      'autoscaling',
      'DeleteLifecycleHook',
      { AutoScalingGroupName: g, LifecycleHookName: 'warm' },
      'ValidationError',
    );
  });

  it('ForceDelete skips the hooks; a spot interruption runs them but the instance dies at the notice deadline', async () => {
    const { g, ids } = await groupWithTerminateHook({ HeartbeatTimeout: '3600' });
    const [spot] = ids as [string];
    const notice = await h.control('spotInterrupt', { instanceId: spot });
    expect(notice['actionAt']).toBe(h.clock.now() + 120_000);
    expect(
      ((await h.control('listInterruptionNotices'))['notices'] as { instanceId: string }[]).map(
        (n) => n.instanceId,
      ),
    ).toEqual([spot]);
    await h.advance(1);
    expect(await state(g, spot)).toBe('Terminating:Wait');
    await h.advance(120_000);
    expect(await ec2State(spot)).toBe('shutting-down');
    await h.advance(2_000);
    expect(await state(g, spot)).toBeUndefined();
    await h.call('autoscaling', 'DeleteAutoScalingGroup', { AutoScalingGroupName: g, ForceDelete: 'true' });
    await h.advance(1);
    const waits = h
      .events('asg.lifecycle')
      .filter((e) => e['to'] === 'Terminating:Wait' && e['instanceId'] !== spot);
    expect(waits).toEqual([]);
    await h.until(
      async () =>
        (
          (await h.call('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [g] }))[
            'AutoScalingGroups'
          ] as unknown[]
        ).length === 0,
    );
  });
});
