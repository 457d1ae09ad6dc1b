/**
 * Table tests of a lost AZ once its impaired instances are gone: EC2's AZ state (read only while an AZ
 * has no connected container instance) keeps it reported as ZoneUnavailable, naming its members, and
 * nothing is attached, detached or unmarked there.
 */
import { planPlacement, zonesLost } from '../../../src/reconcilers/topology/placement.js';
import { brief, cluster, instance, member, volume, world } from './fixtures.js';

describe('zonesLost', () => {
  it.each([
    ['impaired', true],
    ['unavailable', true],
    ['available', false],
  ])('an AZ without instances whose EC2 state is %s is lost: %s', (state, lost) => {
    const instances = [instance('i-a', 'us-east-1a'), instance('i-c', 'us-east-1c')];
    const r = zonesLost(cluster(), instances, { 'us-east-1b': state });
    expect([...r.zones]).toEqual(lost ? ['us-east-1b'] : []);
    expect(r.holds.map((h) => [h.kind, h.reason])).toEqual(lost ? [['refused', 'ZoneUnavailable']] : []);
    if (lost) {
      expect(r.holds[0]!.message).toContain(`us-east-1b is ${state}`);
      expect(r.holds[0]!.message).toContain(member(2));
      expect(r.holds[0]!.message).not.toContain(member(1));
    }
  });

  it('without zone states, an AZ with no instances is only waiting for capacity', () => {
    const w = world({
      volumes: [volume(1, { attachedTo: 'i-a' }), volume(2), volume(3, { attachedTo: 'i-c' })],
    });
    w.topology!.instances = [
      instance('i-a', 'us-east-1a', { [`neo4j-ecs.member.${member(1)}`]: 'vol-1' }),
      instance('i-c', 'us-east-1c', { [`neo4j-ecs.member.${member(3)}`]: 'vol-3' }),
    ];
    expect(brief(planPlacement(cluster(), w))).toEqual([`wait:NoQualifyingInstance:${member(2)}`]);
    w.topology!.zoneStates = { 'us-east-1b': 'impaired' };
    const steps = planPlacement(cluster(), w);
    expect(brief(steps)).toEqual(['refused:ZoneUnavailable']);
    expect(steps.some((s) => s.kind === 'act')).toBe(false);
  });
});
