/** Table tests of membership: Free servers enabled with their member's mode; the primaries scale-down guard. */
import type { ObservedNeo4j, ObservedTask } from '../../../src/model/observed.js';
import { planMembership, planScaleDownGuard } from '../../../src/reconcilers/topology/membership.js';
import { brief, cluster, member, volume, world } from './fixtures.js';

const task = (service: string, address: string): ObservedTask => ({
  taskArn: `t-${address}`,
  group: `service:${service}`,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  taskDefinitionArn: 'td',
  address,
});
const neo4j = (servers: NonNullable<ObservedNeo4j['servers']>): ObservedNeo4j => ({
  membersUp: 3,
  databasesWithLeader: 2,
  databases: 2,
  servers,
});

describe('planMembership', () => {
  it('enables Free servers with the mode of the member listening at their address', () => {
    const c = cluster((s) => {
      s['secondaries'] = { count: 1 };
      (s['capacity'] as Record<string, unknown>)['secondaryAutoScalingGroup'] = 'sec';
    });
    const w = world({
      tasks: [
        task(member(1), '127.0.1.1'),
        task(member(2), '127.0.1.2'),
        task('graph-minimal-secondaries', '127.0.1.9'),
      ],
      neo4j: neo4j([
        { id: 's1', address: '127.0.1.1:7687', state: 'Enabled', health: 'Available' },
        { id: 's2', address: '127.0.1.2:7687', state: 'Free', health: 'Available' },
        { id: 's9', address: '127.0.1.9:7687', state: 'Free', health: 'Available' },
        { id: 'sx', address: '127.0.7.7:7687', state: 'Free', health: 'Available' },
      ]),
    });
    const steps = planMembership(c, w);
    expect(brief(steps)).toEqual([
      `act:EnableServer:${member(2)}`,
      'act:EnableServer',
      'refused:FreeServerUnknown',
    ]);
    expect(steps[0]).toMatchObject({ serverId: 's2', modeConstraint: 'PRIMARY', via: '127.0.1.1:7687' });
    expect(steps[1]).toMatchObject({ serverId: 's9', modeConstraint: 'SECONDARY' });
  });

  it('retires replaced secondaries: deallocates an Unavailable SECONDARY identity no task runs, then drops it once Deallocated', () => {
    const c = cluster((s) => {
      s['secondaries'] = { count: 2 };
      (s['capacity'] as Record<string, unknown>)['secondaryAutoScalingGroup'] = 'sec';
    });
    const sec = (id: string, address: string, state: string, health: string) => ({
      id,
      address,
      state,
      health,
      modeConstraint: 'SECONDARY',
    });
    const w = world({
      tasks: [task(member(1), '127.0.1.1'), task('graph-minimal-secondaries', '127.0.1.9')],
      neo4j: neo4j([
        {
          id: 's1',
          address: '127.0.1.1:7687',
          state: 'Enabled',
          health: 'Available',
          modeConstraint: 'PRIMARY',
        },
        sec('s9', '127.0.1.9:7687', 'Enabled', 'Available'),
        sec('old1', '127.0.1.5:7687', 'Enabled', 'Unavailable'),
        sec('old2', '127.0.1.6:7687', 'Deallocated', 'Unavailable'),
        // A primary's identity is never retired here (its store is on its volume).
        {
          id: 'p-old',
          address: '127.0.1.7:7687',
          state: 'Enabled',
          health: 'Unavailable',
          modeConstraint: 'PRIMARY',
        },
      ]),
    });
    const steps = planMembership(c, w);
    expect(
      steps.map((x) => (x.kind === 'act' ? `${x.type}:${(x as { serverId: string }).serverId}` : x.reason)),
    ).toEqual(['DeallocateServer:old1', 'DropServer:old2']);
    // Not while a Free server waits to be enabled (it is where the copies go).
    w.neo4j!.servers!.push(sec('new', '127.0.1.8:7687', 'Free', 'Available'));
    expect(brief(planMembership(c, w))).toEqual(['refused:FreeServerUnknown']);
  });

  it('does nothing without a Neo4j observation', () => {
    expect(planMembership(cluster(), world())).toEqual([]);
  });
});

describe('planScaleDownGuard', () => {
  it('refuses while volumes of primaries beyond the count exist, and ignores other clusters', () => {
    const two = cluster((s) => {
      s['primaries'] = { count: 2, zones: [{ zone: 'us-east-1a' }, { zone: 'us-east-1b' }] };
    });
    expect(planScaleDownGuard(cluster(), world({ volumes: [volume(1), volume(2), volume(3)] }))).toEqual([]);
    const held = planScaleDownGuard(
      two,
      world({ volumes: [volume(1), volume(2), volume(3, { attachedTo: 'i-c' })] }),
    );
    expect(brief(held)).toEqual(['refused:PrimaryScaleDownRefused']);
    expect(held[0]!.message).toContain(member(3));
    const foreign = volume(3, {
      tags: { 'neo4j-ecs:member': 'other-primary-3', 'neo4j-ecs:role': 'primary' },
    });
    expect(planScaleDownGuard(two, world({ volumes: [volume(1), volume(2), foreign] }))).toEqual([]);
  });
});
