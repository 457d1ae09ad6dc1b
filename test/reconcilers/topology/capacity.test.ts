/** Table tests of the capacity planner: per-AZ sizes, protection, hooks, Terminating:Wait, missing groups. */
import type {
  SetInstanceProtection,
  UpdateAutoScalingGroup,
} from '../../../src/reconcilers/topology/capacity.js';
import {
  desiredCapacities,
  planCapacity,
  terminatingWaitNotices,
} from '../../../src/reconcilers/topology/capacity.js';
import { asg, ASGS, brief, cluster, volume, world } from './fixtures.js';

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

  it('fixes sizes, puts missing hooks, protects primary hosts, reports Terminating:Wait and missing groups', () => {
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
      'refused:InstanceTerminatingWait',
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
    expect(terminatingWaitNotices(cluster(), w)).toEqual([]);
  });

  it('reports an instance in Terminating:Wait hosting no primary as a notice, not a hold', () => {
    const w = world();
    w.topology!.asgs[ASGS[1]] = asg(ASGS[1], 'us-east-1b', [{ id: 'i-b', state: 'Terminating:Wait' }]);
    expect(brief(planCapacity(cluster(), w))).toEqual([]);
    const notices = terminatingWaitNotices(cluster(), w);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('i-b');
  });
});
