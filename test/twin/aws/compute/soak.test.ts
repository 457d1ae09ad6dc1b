/**
 * A seeded soak run of the compute world under faults (AZ failure, spot interruption, killed tasks,
 * instance termination, deployments, draining), checking invariants over the whole world log.
 */
import type { Wire } from '../../../../twin/aws/contract.js';
import {
  clusterWithAsg,
  describeService,
  harness,
  type Harness,
  registerTd,
  waitForInstances,
} from './harness.js';

describe('compute soak run', () => {
  let h: Harness;
  beforeAll(() => {
    h = harness(undefined, 2024);
  });
  afterAll(() => h.stop());

  it('keeps its invariants through faults and deployments', async () => {
    const { cluster, group } = await clusterWithAsg(h, {
      desired: 6,
      max: 9,
      hooks: [
        {
          LifecycleHookName: 'drain',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          HeartbeatTimeout: '60',
          DefaultResult: 'CONTINUE',
        },
      ],
    });
    await waitForInstances(h, cluster, 6);
    const td1 = await registerTd(h, 'app');
    const td2 = await registerTd(h, 'app', {}, { environment: [{ name: 'V', value: '2' }] });
    const configs: [string, number, number, number][] = [
      ['a', 3, 100, 200],
      ['b', 2, 0, 100],
      ['c', 4, 50, 150],
    ];
    for (const [name, d, min, max] of configs)
      await h.call('ecs', 'CreateService', {
        cluster,
        serviceName: name,
        taskDefinition: td1,
        desiredCount: d,
        deploymentConfiguration: { minimumHealthyPercent: min, maximumPercent: max },
      });
    await h.advance(60_000);
    const volume = await h.call('ec2', 'CreateVolume', { AvailabilityZone: 'us-east-1a', Size: '10' });
    await h.advance(1_000);
    const rnd = (n: number): number => Math.floor(((h.clock.now() / 1000) * 7919) % n);
    for (let step = 0; step < 24; step++) {
      const world = await h.control('describeWorld');
      const running = (world['instances'] as { instanceId: string; state: string; az: string }[]).filter(
        (i) => i.state === 'running',
      );
      const tasks = (world['tasks'] as { arn: string; lastStatus: string; desiredStatus: string }[]).filter(
        (t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING',
      );
      const pick = <T>(l: T[]): T | undefined => l[rnd(Math.max(1, l.length))];
      switch (step % 8) {
        case 0:
          if (pick(tasks)) await h.control('killTask', { taskArn: pick(tasks)?.arn });
          break;
        case 1:
          await h.call('ecs', 'UpdateService', {
            cluster,
            service: pick(configs)?.[0],
            taskDefinition: step % 16 === 1 ? td2 : td1,
          });
          break;
        case 2:
          if (pick(running)) await h.control('spotInterrupt', { instanceId: pick(running)?.instanceId });
          break;
        case 3:
          await h.control(step % 16 === 3 ? 'failAz' : 'restoreAz', { az: 'us-east-1b' });
          break;
        case 4: {
          const inA = running.find((i) => i.az === 'us-east-1a');
          const v = (
            (await h.call('ec2', 'DescribeVolumes', { VolumeId: [volume['volumeId']] }))['volumeSet'] as {
              status: string;
            }[]
          )[0];
          if (inA && v?.status === 'available')
            await h.call('ec2', 'AttachVolume', {
              VolumeId: volume['volumeId'],
              InstanceId: inA.instanceId,
              Device: '/dev/sdf',
            });
          else if (v?.status === 'in-use')
            await h.call('ec2', 'DetachVolume', { VolumeId: volume['volumeId'], Force: 'true' });
          break;
        }
        case 5: {
          const cis = (
            world['containerInstances'] as { arn: string; status: string; cluster: string }[]
          ).filter((c) => c.status === 'ACTIVE');
          const ci = pick(cis);
          if (ci)
            await h.call('ecs', 'UpdateContainerInstancesState', {
              cluster,
              containerInstances: [ci.arn],
              status: 'DRAINING',
            });
          break;
        }
        case 6:
          if (pick(running)) await h.control('terminateInstance', { instanceId: pick(running)?.instanceId });
          break;
        default:
          await h.call('autoscaling', 'SetDesiredCapacity', {
            AutoScalingGroupName: group,
            DesiredCapacity: String(5 + rnd(4)),
          });
      }
      await h.advance(45_000);
    }
    await h.control('restoreAz', { az: 'us-east-1b' });
    await h.call('autoscaling', 'SetDesiredCapacity', { AutoScalingGroupName: group, DesiredCapacity: '6' });
    // Reactivate drained instances so every service can settle.
    await h.advance(120_000);
    const cis = (
      (await h.control('describeWorld'))['containerInstances'] as { arn: string; status: string }[]
    ).filter((c) => c.status === 'DRAINING');
    for (const c of cis)
      await h.call('ecs', 'UpdateContainerInstancesState', {
        cluster,
        containerInstances: [c.arn],
        status: 'ACTIVE',
      });
    await h.until(
      async () => {
        for (const [name, d] of configs) {
          const s = await describeService(h, cluster, name);
          if (s['runningCount'] !== d || (s['deployments'] as Wire[]).length !== 1) return false;
        }
        return true;
      },
      900_000,
      1_000,
    );

    // Invariants over the whole run.
    expect(h.world.list('twin.error')).toEqual([]);
    for (const e of h.events('ebs.attachment.state'))
      if (e['instanceAz'] !== null) expect(e['instanceAz']).toBe(e['az']);
    // A volume is never attached to two instances at once.
    const attachedTo = new Map<string, string>();
    for (const e of h.events('ebs.attachment.state')) {
      const v = String(e['volumeId']);
      if (e['to'] === 'attaching' || e['to'] === 'attached') {
        const cur = attachedTo.get(v);
        if (cur !== undefined) expect(cur).toBe(e['instanceId']);
        attachedTo.set(v, String(e['instanceId']));
      }
      if (e['to'] === 'detached') attachedTo.delete(v);
    }
    // No task ever ran on an instance that was not running.
    const instState = new Map<string, string>();
    for (const e of h.world.list()) {
      if (e.kind === 'ec2.instance.state') instState.set(String(e['instanceId']), String(e['to']));
      if (e.kind === 'ecs.task.started') expect(instState.get(String(e['instanceId']))).toBe('running');
    }
    // No lifecycle transition skipped a step: Terminating:Wait is always followed by Proceed or removal.
    const last = new Map<string, string>();
    for (const e of h.events('asg.lifecycle')) {
      const prev = last.get(String(e['instanceId']));
      if (prev === 'Terminating:Wait') expect(['Terminating:Proceed', 'Terminated']).toContain(e['to']);
      last.set(String(e['instanceId']), String(e['to']));
    }
    // Something actually happened.
    expect(h.events('ec2.spot.interruption').length).toBeGreaterThan(0);
    expect(h.events('ecs.deployment').filter((e) => e['event'] === 'completed').length).toBeGreaterThan(3);
    expect(h.events('ecs.task.stopping').some((e) => e['stopCode'] === 'EssentialContainerExited')).toBe(
      true,
    );
  });
});
