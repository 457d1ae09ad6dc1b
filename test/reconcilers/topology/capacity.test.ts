/** Table tests of the capacity planner: per-AZ sizes, transient replacements, protection, hooks, missing groups. */
import type {
  SetInstanceProtection,
  UpdateAutoScalingGroup,
} from '../../../src/reconcilers/topology/capacity.js';
import { desiredCapacities, planCapacity } from '../../../src/reconcilers/topology/capacity.js';
import { asg, ASGS, brief, cluster, instance, member, volume, world } from './fixtures.js';

describe('planCapacity', () => {
  it('sizes each AZ group to its primaries (divided by maxPerInstance) and the secondaries group to the count', () => {
    const c = cluster((s) => {
      s['primaries'] = { count: 5, maxPerInstance: 2 };
      s['secondaries'] = { count: 2 };
      (s['capacity'] as Record<string, unknown>)['secondaryAutoScalingGroup'] = 'sec';
    });
    expect(Object.fromEntries(desiredCapacities(c))).toEqual({
      [ASGS[0]]: [1, 2, 1],
      [ASGS[1]]: [1, 2, 1],
      [ASGS[2]]: [1, 2, 1],
      sec: [2, 3, 2],
    });
    const five = cluster((s) => (s['primaries'] = { count: 5 }));
    expect(desiredCapacities(five).get(ASGS[0])).toEqual([2, 3, 2]);
  });

  it('is quiet when sizes and hooks match and no primary host lacks protection', () => {
    expect(planCapacity(cluster(), world())).toEqual([]);
  });

  it("fixes sizes, puts missing hooks, protects primary hosts, reports missing groups; Terminating:Wait is the drain's", () => {
    const w = world({ volumes: [volume(1, { attachedTo: 'i-a' }), volume(2, { attachedTo: 'i-b' })] });
    const topo = w.topology!;
    topo.asgs[ASGS[0]] = { ...asg(ASGS[0], 'us-east-1a', [{ id: 'i-a' }], [0, 0, 0]), hooks: [] };
    topo.asgs[ASGS[1]] = asg(ASGS[1], 'us-east-1b', [
      { id: 'i-b', state: 'Terminating:Wait' },
      { id: 'i-b2' },
    ]);
    delete topo.asgs[ASGS[2]];
    const steps = planCapacity(cluster(), w);
    expect(brief(steps)).toEqual([
      'act:UpdateAutoScalingGroup',
      'act:PutLifecycleHook',
      'act:SetInstanceProtection',
      'refused:AutoScalingGroupNotFound',
    ]);
    expect(steps[0] as UpdateAutoScalingGroup).toMatchObject({
      autoScalingGroupName: ASGS[0],
      minSize: 1,
      maxSize: 2,
      desiredCapacity: 1,
    });
    expect(steps[1]).toMatchObject({
      lifecycleHookName: 'neo4j-ecs-drain',
      heartbeatTimeout: 300,
      defaultResult: 'ABANDON',
    });
    expect((steps[2] as SetInstanceProtection).instanceIds).toEqual(['i-a']);
  });

  it('needs no transient replacement while the group replaces a terminating primary host itself', () => {
    // i-a terminates (no decrement): Auto Scaling already launched i-a2, which hosts nothing yet.
    const w = world({ volumes: [volume(1, { attachedTo: 'i-a' })] });
    w.topology!.asgs[ASGS[0]] = asg(ASGS[0], 'us-east-1a', [
      { id: 'i-a', state: 'Terminating:Wait', protected: true },
      { id: 'i-a2', state: 'Pending' },
    ]);
    expect(desiredCapacities(cluster(), w).get(ASGS[0])).toEqual([1, 2, 1]);
    // Not launched yet: the base size (1) already asks for it.
    w.topology!.asgs[ASGS[0]] = asg(ASGS[0], 'us-east-1a', [{ id: 'i-a', state: 'Terminating:Wait' }]);
    expect(desiredCapacities(cluster(), w).get(ASGS[0])).toEqual([1, 2, 1]);
    expect(brief(planCapacity(cluster(), w))).toEqual([]);
  });

  it('raises a group by one when its base size gives the leaving primaries no home', () => {
    // maxPerInstance 2: 2 primaries in us-east-1a fit on one instance (base 1) but run on two; one leaves.
    const c = cluster((s) => {
      s['primaries'] = { count: 2, zones: [{ zone: 'us-east-1a' }], maxPerInstance: 2 };
    });
    const w = world({
      volumes: [
        volume(1, { attachedTo: 'i-a', availabilityZone: 'us-east-1a' }),
        volume(2, { attachedTo: 'i-a2', availabilityZone: 'us-east-1a' }),
      ],
    });
    w.topology!.asgs[ASGS[0]] = asg(
      ASGS[0],
      'us-east-1a',
      [
        { id: 'i-a', state: 'Terminating:Wait', protected: true },
        { id: 'i-a2', protected: true },
      ],
      [1, 2, 1],
    );
    w.topology!.instances.push(instance('i-a2', 'us-east-1a'));
    expect(desiredCapacities(c, w).get(ASGS[0])).toEqual([2, 3, 2]);
    const steps = planCapacity(c, w);
    expect(steps[0]).toMatchObject({
      type: 'UpdateAutoScalingGroup',
      desiredCapacity: 2,
      minSize: 2,
      maxSize: 3,
    });
    // Once the member has moved off the leaving instance, the base size is enough again.
    w.volumes[0] = volume(1, { availabilityZone: 'us-east-1a' });
    expect(desiredCapacities(c, w).get(ASGS[0])).toEqual([1, 2, 1]);
  });

  it('clears scale-in protection of an instance in service once no primary is on it', () => {
    const w = world({ volumes: [volume(1, { attachedTo: 'i-a2' })] });
    w.topology!.asgs[ASGS[0]] = asg(ASGS[0], 'us-east-1a', [
      { id: 'i-a', protected: true },
      { id: 'i-a2', protected: true },
    ]);
    const steps = planCapacity(cluster(), w);
    expect(brief(steps)).toEqual(['act:SetInstanceProtection']);
    expect(steps[0]).toMatchObject({
      reason: 'PrimaryMovedAway',
      instanceIds: ['i-a'],
      protectedFromScaleIn: false,
    });
    // A task of the member still there keeps it protected (the volume is on its way).
    w.tasks = [
      {
        taskArn: 't1',
        group: `service:${member(1)}`,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        taskDefinitionArn: 'td',
        containerInstanceArn: 'arn:ci/i-a',
      },
    ];
    w.topology!.instances.push(instance('i-a2', 'us-east-1a'));
    expect(brief(planCapacity(cluster(), w))).toEqual([]);
  });
});
