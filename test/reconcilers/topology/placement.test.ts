/** Table tests of the placement planner: attach in the member's AZ, mark, wait, detach only when the task is gone. */
import type {
  AttachVolume,
  DetachVolume,
  PutAttributes,
} from '../../../src/reconcilers/topology/placement.js';
import { placedMembers, planPlacement } from '../../../src/reconcilers/topology/placement.js';
import { asg, ASGS, brief, cluster, instance, member, volume, world } from './fixtures.js';

const attr = (n: number): string => `neo4j-ecs.member.${member(n)}`;

describe('planPlacement', () => {
  it('attaches each available volume to an InService ACTIVE instance of its own AZ', () => {
    const steps = planPlacement(cluster(), world({ volumes: [volume(1), volume(2), volume(3)] }));
    expect(brief(steps)).toEqual([
      `act:AttachVolume:${member(1)}`,
      `act:AttachVolume:${member(2)}`,
      `act:AttachVolume:${member(3)}`,
    ]);
    expect(steps.map((s) => (s as AttachVolume).instanceId)).toEqual(['i-a', 'i-b', 'i-c']);
    expect((steps[0] as AttachVolume).device).toBe('/dev/xvdf');
  });

  it('waits for capacity rather than use an instance of another AZ, a non-InService one, or a full one', () => {
    const w = world({ volumes: [volume(1), volume(2, { attachedTo: 'i-b' }), volume(3)] });
    const topo = w.topology!;
    topo.instances = [
      instance('i-a', 'us-east-1a', {}, 'DRAINING'),
      instance('i-x', 'us-east-1b'),
      instance('i-b', 'us-east-1b', { [attr(2)]: 'vol-2' }),
      instance('i-c', 'us-east-1c'),
    ];
    topo.asgs[ASGS[2]] = asg(ASGS[2], 'us-east-1c', [{ id: 'i-c', state: 'Pending' }]);
    const steps = planPlacement(cluster(), w);
    expect(brief(steps)).toEqual([
      `wait:NoQualifyingInstance:${member(1)}`,
      `wait:NoQualifyingInstance:${member(3)}`,
    ]);
  });

  it('never puts two primaries on one instance unless maxPerInstance allows it', () => {
    const five = (max: number) =>
      cluster((s) => {
        s['primaries'] = {
          count: 4,
          maxPerInstance: max,
          zones: [
            { zone: 'us-east-1a', count: 2 },
            { zone: 'us-east-1b', count: 1 },
            { zone: 'us-east-1c', count: 1 },
          ],
        };
      });
    const vols = [volume(1), volume(2), volume(3), volume(4, { availabilityZone: 'us-east-1a' })];
    expect(brief(planPlacement(five(1), world({ volumes: vols })))).toContain(
      `wait:NoQualifyingInstance:${member(4)}`,
    );
    const two = planPlacement(five(2), world({ volumes: vols }));
    const a4 = two.find((s) => s.member === member(4)) as AttachVolume;
    expect(a4).toMatchObject({ type: 'AttachVolume', instanceId: 'i-a', device: '/dev/xvdg' });
  });

  it('marks the instance once attached, waits while attaching, and reports placed members', () => {
    const w = world({
      volumes: [
        volume(1, { attachedTo: 'i-a' }),
        volume(2, { attachedTo: 'i-b', attachState: 'attaching' }),
        volume(3, { attachedTo: 'i-c' }),
      ],
    });
    w.topology!.instances[2] = instance('i-c', 'us-east-1c', { [attr(3)]: 'vol-3' });
    const steps = planPlacement(cluster(), w);
    expect(brief(steps)).toEqual([`act:PutAttributes:${member(1)}`, `wait:VolumeAttaching:${member(2)}`]);
    expect(steps[0] as PutAttributes).toMatchObject({
      containerInstanceArn: 'arn:ci/i-a',
      attribute: attr(1),
      value: 'vol-1',
    });
    expect([...placedMembers(cluster(), w).keys()]).toEqual([member(3)]);
  });

  it('replaces an attribute naming an old volume and deletes stale ones', () => {
    const w = world({ volumes: [volume(1, { attachedTo: 'i-a' }), volume(2), volume(3)] });
    w.topology!.instances[0] = instance('i-a', 'us-east-1a', { [attr(1)]: 'vol-old' });
    w.topology!.instances[1] = instance('i-b', 'us-east-1b', { [attr(7)]: 'vol-7', 'other.attr': 'x' });
    const steps = planPlacement(cluster(), w);
    expect(brief(steps)).toEqual([
      `act:PutAttributes:${member(1)}`,
      `act:AttachVolume:${member(2)}`,
      `act:AttachVolume:${member(3)}`,
      `act:DeleteAttributes:${member(7)}`,
    ]);
  });

  it('when the instance under a volume leaves: waits while the task runs there, then detaches, forced only once it is gone', () => {
    const leaving = world({ volumes: [volume(1, { attachedTo: 'i-a' }), volume(2), volume(3)] });
    leaving.topology!.instances[0] = instance('i-a', 'us-east-1a', { [attr(1)]: 'vol-1' });
    leaving.topology!.asgs[ASGS[0]] = asg(ASGS[0], 'us-east-1a', [{ id: 'i-a', state: 'Terminating:Wait' }]);
    leaving.tasks = [
      {
        taskArn: 't1',
        group: `service:${member(1)}`,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        taskDefinitionArn: 'td',
        containerInstanceArn: 'arn:ci/i-a',
      },
    ];
    expect(brief(planPlacement(cluster(), leaving))).toContain(`wait:InstanceLeaving:${member(1)}`);

    leaving.tasks = [];
    const detach = planPlacement(cluster(), leaving);
    expect(brief(detach).slice(0, 2)).toEqual([
      `act:DeleteAttributes:${member(1)}`,
      `act:DetachVolume:${member(1)}`,
    ]);
    expect((detach[1] as DetachVolume).force).toBe(false);

    leaving.topology!.asgs[ASGS[0]] = asg(ASGS[0], 'us-east-1a', []);
    leaving.topology!.instances[0] = instance('i-a', 'us-east-1a', { [attr(1)]: 'vol-1' }, 'INACTIVE');
    const gone = planPlacement(cluster(), leaving);
    expect(gone[0]).toMatchObject({ type: 'DetachVolume', force: true, member: member(1) });
  });

  it('reports an AZ whose container instances all lost their agent, naming its members, and does not move them', () => {
    const w = world({ volumes: [volume(1, { attachedTo: 'i-a' }), volume(2), volume(3)] });
    w.topology!.instances[0] = {
      ...instance('i-a', 'us-east-1a', { [attr(1)]: 'vol-1' }),
      agentConnected: false,
    };
    const steps = planPlacement(cluster(), w);
    expect(brief(steps)).toEqual([
      `act:AttachVolume:${member(2)}`,
      `act:AttachVolume:${member(3)}`,
      'refused:ZoneUnavailable',
    ]);
    expect(steps[2]!.message).toContain(member(1));
    expect(steps.some((s) => s.kind === 'act' && s.member === member(1))).toBe(false);
  });

  it('marks the secondaries ASG instances with the pool attribute', () => {
    const c = cluster((s) => {
      s['secondaries'] = { count: 1 };
      (s['capacity'] as Record<string, unknown>)['secondaryAutoScalingGroup'] = 'sec';
    });
    const w = world({
      volumes: [
        volume(1, { attachedTo: 'i-a' }),
        volume(2, { attachedTo: 'i-b' }),
        volume(3, { attachedTo: 'i-c' }),
      ],
    });
    w.topology!.instances = w.topology!.instances.map((i, k) => ({
      ...i,
      attributes: { ...i.attributes, [attr(k + 1)]: `vol-${k + 1}` },
    }));
    w.topology!.instances.push(instance('i-s', 'us-east-1b'));
    w.topology!.asgs['sec'] = asg('sec', 'us-east-1b', [{ id: 'i-s' }]);
    expect(planPlacement(c, w)).toEqual([
      expect.objectContaining({
        type: 'PutAttributes',
        containerInstanceArn: 'arn:ci/i-s',
        attribute: 'neo4j-ecs.pool',
        value: 'secondaries',
      }),
    ]);
  });
});
