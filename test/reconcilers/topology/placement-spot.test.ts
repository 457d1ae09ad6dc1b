/** Table tests of spec.primaries.allowSpot in the placement planner: spot capacity for a minority of the primaries at most. */
import type { ObservedCluster } from '../../../src/model/observed.js';
import { maxPrimariesOnSpot, planPlacement } from '../../../src/reconcilers/topology/placement.js';
import { asg, ASGS, brief, cluster, instance, volume, world } from './fixtures.js';

/** Every AZ has a spot instance (i-x1) and, when `onDemand`, an on-demand one (i-x2). */
function spotWorld(onDemand: boolean, over: Partial<ObservedCluster> = {}): ObservedCluster {
  const w = world(over);
  const topo = w.topology!;
  topo.instances = [];
  topo.spot = {};
  ['a', 'b', 'c'].forEach((x, i) => {
    const zone = `us-east-1${x}`;
    const ids = onDemand ? [`i-${x}1`, `i-${x}2`] : [`i-${x}1`];
    topo.asgs[ASGS[i]!] = asg(
      ASGS[i]!,
      zone,
      ids.map((id) => ({ id })),
    );
    for (const id of ids) {
      topo.instances.push(instance(id, zone));
      topo.spot![id] = id.endsWith('1');
    }
  });
  return w;
}

describe('spec.primaries.allowSpot', () => {
  it('allows a minority of the primaries on spot: floor((n - 1) / 2)', () => {
    expect(maxPrimariesOnSpot(cluster())).toBe(0);
    expect(
      maxPrimariesOnSpot(cluster((s) => ((s['primaries'] as Record<string, unknown>)['allowSpot'] = true))),
    ).toBe(1);
    expect(maxPrimariesOnSpot(cluster((s) => (s['primaries'] = { count: 5, allowSpot: true })))).toBe(2);
  });

  it('false: never attaches a primary to a spot instance, and says why', () => {
    const w = spotWorld(false, { volumes: [volume(1), volume(2), volume(3)] });
    const steps = planPlacement(cluster(), w);
    expect(brief(steps)).toEqual([
      'refused:SpotInstanceRefused:graph-minimal-primary-1',
      'refused:SpotInstanceRefused:graph-minimal-primary-2',
      'refused:SpotInstanceRefused:graph-minimal-primary-3',
    ]);
    expect(steps[0]!.kind === 'refused' && steps[0]!.message).toContain('i-a1');
    expect(steps[0]!.kind === 'refused' && steps[0]!.message).toContain('allowSpot is false');
  });

  it('false: prefers the on-demand instance when both are there', () => {
    const w = spotWorld(true, { volumes: [volume(1), volume(2), volume(3)] });
    const steps = planPlacement(cluster(), w);
    expect(steps.map((s) => (s.kind === 'act' && s.type === 'AttachVolume' ? s.instanceId : s.kind))).toEqual(
      ['i-a2', 'i-b2', 'i-c2'],
    );
  });

  it('true: one of three primaries may go on spot, the others wait for on-demand capacity', () => {
    const c = cluster((s) => ((s['primaries'] as Record<string, unknown>)['allowSpot'] = true));
    const w = spotWorld(false, { volumes: [volume(1), volume(2), volume(3)] });
    expect(brief(planPlacement(c, w))).toEqual([
      'act:AttachVolume:graph-minimal-primary-1',
      'refused:SpotInstanceRefused:graph-minimal-primary-2',
      'refused:SpotInstanceRefused:graph-minimal-primary-3',
    ]);
    // A member already on spot counts: no second one.
    const w2 = spotWorld(false, {
      volumes: [volume(1, { attachedTo: 'i-a1' }), volume(2), volume(3)],
    });
    const steps = planPlacement(c, w2);
    expect(brief(steps).filter((x) => x.startsWith('refused'))).toEqual([
      'refused:SpotInstanceRefused:graph-minimal-primary-2',
      'refused:SpotInstanceRefused:graph-minimal-primary-3',
    ]);
    expect(steps.find((s) => s.kind === 'refused')?.message).toContain('already 1 of the 1');
  });
});
