/**
 * The roll planner, table-tested without I/O: the order (secondaries, then primaries by leaderships,
 * system leader and transactions behind), the gate, quorum, pause, supervised approval, the
 * leadership transfer and its timeout, read-only leftovers, the after-step wait, and, step by step
 * over a whole 3+2 roll, that the world after step k makes the planner pick step k+1 (the crash-safety
 * argument: nothing but the world is needed to go on).
 */
import type { ObservedCluster } from '../../../src/model/observed.js';
import type { RestartMember } from '../../../src/reconcilers/roll/plan.js';
import { planRoll } from '../../../src/reconcilers/roll/plan.js';
import type { Step } from '../../../src/reconcilers/types.js';
import { member } from '../topology/fixtures.js';
import { contentOf, NEW, OLD, P, rollWorld, SEC, spec } from './fixtures.js';

const desired = spec(NEW);
const old = spec(OLD);
const M = (n: number): string => member(n);
const settled = { settledForMs: 3_600_000, contentOf: contentOf(old) };
const brief = (steps: readonly Step[]): string[] =>
  steps.map((s) => `${s.kind}:${s.kind === 'act' ? s.type : s.reason}${s.member ? `:${s.member}` : ''}`);

/** P1 leads nothing, P2 leads movies, P3 leads neo4j and system: the order is 1, 2, 3. */
const leaders = { 1: [] as string[], 2: ['movies'], 3: ['neo4j', 'system'] };
const primaries = (over: Partial<Record<1 | 2 | 3, Parameters<typeof P>[1]>> = {}): ReturnType<typeof P>[] =>
  ([1, 2, 3] as const).map((n) => P(n, { leads: leaders[n], ...over[n] }));

describe('planRoll: when there is nothing to roll', () => {
  it('every member on the new revision: no step, the roll is not active', () => {
    const w = rollWorld(
      desired,
      primaries({ 1: { service: 'new' }, 2: { service: 'new' }, 3: { service: 'new' } }),
      { service: 'new' },
    );
    const plan = planRoll(desired, w, settled);
    expect(plan.steps).toEqual([]);
    expect(plan.view.active).toBe(false);
  });
});

describe('planRoll: secondaries first', () => {
  it.each([
    ['their service still on the old revision', { service: 'old' as const }],
    [
      'their deployment in progress',
      { service: 'new' as const, task: 'old' as const, rollout: 'IN_PROGRESS' },
    ],
  ])('the primaries wait while %s', (_n, sec) => {
    const plan = planRoll(desired, rollWorld(desired, primaries(), sec), settled);
    expect(brief(plan.steps)).toEqual(['wait:SecondariesRolling']);
    expect(plan.view.steps[0]).toMatchObject({ member: SEC, role: 'secondaries' });
  });
});

it('the primaries wait for the secondaries to be back and caught up (after the gate)', () => {
  const plan = planRoll(desired, rollWorld(desired, primaries(), { service: 'new', txBehind: 3 }), settled);
  expect(brief(plan.steps)).toEqual(['wait:SecondariesNotReady']);
  expect(plan.steps[0]?.message).toContain('not caught up');
});

describe('planRoll: the order of the primaries', () => {
  it('restarts the member hosting no leadership first, with the event text the issue asks for', () => {
    const plan = planRoll(desired, rollWorld(desired, primaries(), { service: 'new' }), settled);
    expect(brief(plan.steps)).toEqual([`act:RestartMember:${M(1)}`]);
    const a = plan.steps[0] as RestartMember;
    expect(a.message).toBe(`Rolling 3/5: restarting ${M(1)} (hosts leaderships: none) [image]`);
    expect(a.taskDefinition).toBe(`arn:td/${M(1)}:2`);
    expect(plan.view.steps.map((s) => `${s.position}:${s.member}:${s.state}`)).toEqual([
      `1:${SEC}:done`,
      `3:${M(1)}:next`,
      `4:${M(2)}:pending`,
      `5:${M(3)}:pending`,
    ]);
    expect(plan.view.expectedLeadershipChanges).toEqual([
      { database: 'movies', member: M(2), how: 'transfer' },
      { database: 'neo4j', member: M(3), how: 'transfer' },
      { database: 'system', member: M(3), how: 'election' },
    ]);
  });

  it.each([
    [
      'most leaderships last',
      { 1: { leads: ['movies', 'neo4j'] }, 2: { leads: ['system'] }, 3: { leads: [] } },
      [3, 2, 1],
    ],
    [
      'equal counts: the system leader last',
      { 1: { leads: ['system'] }, 2: { leads: ['movies'] }, 3: { leads: ['neo4j'] } },
      [2, 3, 1],
    ],
    [
      'then fewest transactions behind',
      { 1: { leads: [], txBehind: 5 }, 2: { leads: [] }, 3: { leads: ['movies', 'neo4j', 'system'] } },
      [2, 1, 3],
    ],
    [
      'then by name',
      { 1: { leads: [] }, 2: { leads: [] }, 3: { leads: ['movies', 'neo4j', 'system'] } },
      [1, 2, 3],
    ],
  ] as [string, Parameters<typeof primaries>[0], number[]][])('%s', (_n, over, order) => {
    const plan = planRoll(desired, rollWorld(desired, primaries(over), { service: 'new' }), settled);
    expect(plan.view.steps.filter((s) => s.role === 'primary').map((s) => s.member)).toEqual(order.map(M));
  });

  it('a member already read-only stays the candidate while its leaderships move', () => {
    const w = rollWorld(desired, primaries({ 3: { readOnly: true } }), { service: 'new' });
    const plan = planRoll(desired, w, { ...settled, transferElapsedMs: { [M(3)]: 1000 } });
    expect(brief(plan.steps)).toEqual([`wait:LeadershipTransferInProgress:${M(3)}`]);
  });
});

describe('planRoll: before each step', () => {
  const w = (): ObservedCluster => rollWorld(desired, primaries(), { service: 'new' });

  it('pauses between steps (spec.upgrade.pauseBetweenSteps), measured by the caller', () => {
    expect(brief(planRoll(desired, w(), { contentOf: contentOf(old) }).steps)).toEqual([
      `wait:PauseBetweenSteps:${M(1)}`,
    ]);
    expect(brief(planRoll(desired, w(), { settledForMs: 29_000 }).steps)).toEqual([
      `wait:PauseBetweenSteps:${M(1)}`,
    ]);
    expect(brief(planRoll(desired, w(), { settledForMs: 30_000 }).steps)).toEqual([
      `act:RestartMember:${M(1)}`,
    ]);
  });

  it('paused: blocked with RollPaused, nothing done', () => {
    const paused = spec(NEW, (s) => (s['upgrade'] = { paused: true }));
    const plan = planRoll(paused, rollWorld(paused, primaries(), { service: 'new' }), settled);
    expect(brief(plan.steps)).toEqual([`blocked:RollPaused:${M(1)}`]);
    expect(plan.view.waiting?.reason).toBe('RollPaused');
  });

  it.each([
    ['a primary not Available', { 2: { health: 'Unavailable' } }, 'ServerNotAvailable'],
    ['a copy not in its requested status', { 3: { copyStatus: 'starting' } }, 'DatabaseNotSettled'],
    ['hosting not settled', { 2: { hostingUnsettled: true } }, 'HostingNotSettled'],
    ['a member not answering', { 3: { unreachable: true } }, 'MembersUnreachable'],
  ] as [string, Parameters<typeof primaries>[0], string][])(
    'the gate blocks when %s, and says why',
    (_n, over, reason) => {
      const plan = planRoll(desired, rollWorld(desired, primaries(over), { service: 'new' }), settled);
      expect(brief(plan.steps)).toEqual([`blocked:${reason}:${M(1)}`]);
      expect(plan.steps[0]?.message).toContain(`the roll waits before ${M(1)} (step 3/5)`);
    },
  );

  it('blocks when stopping the candidate would cost a database its majority', () => {
    const world = w();
    // movies is allocated to two primaries only: stopping either leaves 1 of 2.
    const movies = world.neo4j!.databaseViews!.find((d) => d.name === 'movies')!;
    movies.primaries = movies.primaries.filter((c) => c.serverId !== 's3');
    const plan = planRoll(desired, world, settled);
    expect(brief(plan.steps)).toEqual([`blocked:QuorumAtRisk:${M(1)}`]);
    expect(plan.steps[0]?.message).toContain('movies');
  });

  it('blocks when Neo4j was not observed', () => {
    const world = w();
    delete world.neo4j;
    expect(brief(planRoll(desired, world, settled).steps)).toEqual([`blocked:Neo4jNotObserved:${M(1)}`]);
  });
});

describe('planRoll: supervised mode', () => {
  const supervised = spec(NEW, (s) => (s['upgrade'] = { supervised: true }));
  const done1 = { 1: { service: 'new' as const } };

  it('restarts a member hosting no leadership without approval', () => {
    const plan = planRoll(supervised, rollWorld(supervised, primaries(), { service: 'new' }), settled);
    expect(brief(plan.steps)).toEqual([`act:RestartMember:${M(1)}`]);
  });

  it('stops before a member hosting leaderships until its service carries the approval for the target', () => {
    const waiting = planRoll(
      supervised,
      rollWorld(supervised, primaries(done1), { service: 'new' }),
      settled,
    );
    expect(brief(waiting.steps)).toEqual([`blocked:AwaitingApproval:${M(2)}`]);
    expect(waiting.steps[0]?.message).toContain(
      'neo4j-ecs approve graph-minimal --ecs-cluster neo4j-minimal',
    );
    const approved = planRoll(
      supervised,
      rollWorld(supervised, primaries({ ...done1, 2: { approved: true } }), { service: 'new' }),
      settled,
    );
    expect(brief(approved.steps)).toEqual([
      `act:MoveLeaderships:${M(2)}`,
      `wait:LeadershipTransferInProgress:${M(2)}`,
    ]);
  });

  it('a member made read-only (leaderships already moved) still needs the approval', () => {
    const w = rollWorld(supervised, primaries({ ...done1, 2: { leads: [], readOnly: true } }), {
      service: 'new',
    });
    expect(brief(planRoll(supervised, w, settled).steps)).toEqual([`blocked:AwaitingApproval:${M(2)}`]);
  });
});

describe('planRoll: moving leaderships away', () => {
  const done1 = { 1: { service: 'new' as const } };

  it('within the bound it waits; past it, a warning that accepts one election, then the restart', () => {
    const w = rollWorld(desired, primaries({ ...done1, 2: { readOnly: true } }), { service: 'new' });
    expect(brief(planRoll(desired, w, { ...settled, transferElapsedMs: { [M(2)]: 60_000 } }).steps)).toEqual([
      `wait:LeadershipTransferInProgress:${M(2)}`,
    ]);
    const late = planRoll(desired, w, { ...settled, transferElapsedMs: { [M(2)]: 120_000 } });
    expect(brief(late.steps)).toEqual([
      `refused:LeadershipTransferTimedOut:${M(2)}`,
      `act:RestartMember:${M(2)}`,
    ]);
    expect(late.steps[1]?.message).toContain('accepting one election for movies');
  });

  it('leadershipTransfer off: restarts at once and says it accepts one election', () => {
    const off = spec(NEW, (s) => (s['upgrade'] = { leadershipTransfer: false }));
    const plan = planRoll(off, rollWorld(off, primaries(done1), { service: 'new' }), settled);
    expect(brief(plan.steps)).toEqual([`act:RestartMember:${M(2)}`]);
    expect(plan.steps[0]?.message).toContain(
      'accepting one election for movies (leadership transfer is off in spec.upgrade.leadershipTransfer)',
    );
    expect(plan.view.expectedLeadershipChanges.map((c) => c.how)).toEqual([
      'election',
      'election',
      'election',
    ]);
  });
});

describe('planRoll: read-only leftovers', () => {
  it('clears read-only on a member that is not being stopped (done, or the roll reverted)', () => {
    const w = rollWorld(desired, primaries({ 1: { service: 'new', readOnly: true } }), { service: 'new' });
    expect(brief(planRoll(desired, w, settled).steps)).toEqual([
      `act:ClearReadOnly:${M(1)}`,
      `act:MoveLeaderships:${M(2)}`,
      `wait:LeadershipTransferInProgress:${M(2)}`,
    ]);
    // The spec reverted to the old version while member 2 was read-only: the roll is over, 2 is cleared.
    const reverted = rollWorld(
      old,
      primaries({ 1: { service: 'new' }, 2: { service: 'new', readOnly: true }, 3: { service: 'new' } }),
      { service: 'new' },
    );
    expect(brief(planRoll(old, reverted, settled).steps)).toEqual([`act:ClearReadOnly:${M(2)}`]);
  });

  it('leaves the read-only flag of a member the drain works on', () => {
    const w = rollWorld(desired, primaries({ 1: { service: 'new', readOnly: true } }), { service: 'new' });
    const plan = planRoll(desired, w, { ...settled, leaving: new Set([M(1)]) });
    expect(brief(plan.steps)[0]).toBe(`act:MoveLeaderships:${M(2)}`);
  });
});

describe('planRoll: after each step', () => {
  it.each([
    ['the old task still runs', { service: 'new' as const, task: 'old' as const }, 'not back'],
    ['the new task has not started', { service: 'new' as const, up: false }, 'has not started'],
    ['the member is not caught up', { service: 'new' as const, txBehind: 4 }, 'not caught up'],
    [
      'the member reports the old version',
      { service: 'new' as const, version: OLD },
      `reports version ${OLD}`,
    ],
    ['the server is not Available yet', { service: 'new' as const, health: 'Unavailable' }, 'Unavailable'],
  ])('waits with MemberRestarting while %s', (_n, p1, why) => {
    const plan = planRoll(desired, rollWorld(desired, primaries({ 1: p1 }), { service: 'new' }), settled);
    expect(brief(plan.steps)).toEqual([`wait:MemberRestarting:${M(1)}`]);
    expect(plan.steps[0]?.message).toContain('Rolling 3/5');
    if (why !== 'not back') expect(plan.steps[0]?.message).toContain(why);
  });
});

describe('planRoll: given the world after step k, the planner picks step k+1', () => {
  type W = () => ObservedCluster;
  const sequence: [string, W, string[]][] = [
    ['0: nothing rolled yet', () => rollWorld(desired, primaries(), {}), ['wait:SecondariesRolling']],
    [
      '1: the secondaries deploying',
      () => rollWorld(desired, primaries(), { service: 'new', task: 'old', rollout: 'IN_PROGRESS' }),
      ['wait:SecondariesRolling'],
    ],
    [
      '2: the secondaries done',
      () => rollWorld(desired, primaries(), { service: 'new' }),
      [`act:RestartMember:${M(1)}`],
    ],
    [
      '3: member 1 updated, its old task still running',
      () => rollWorld(desired, primaries({ 1: { service: 'new', task: 'old' } }), { service: 'new' }),
      [`wait:MemberRestarting:${M(1)}`],
    ],
    [
      '4: member 1 back',
      () => rollWorld(desired, primaries({ 1: { service: 'new' } }), { service: 'new' }),
      [`act:MoveLeaderships:${M(2)}`, `wait:LeadershipTransferInProgress:${M(2)}`],
    ],
    [
      '5: member 2 read-only, movies moved to member 1',
      () =>
        rollWorld(
          desired,
          primaries({ 1: { service: 'new', leads: ['movies'] }, 2: { readOnly: true, leads: [] } }),
          { service: 'new' },
        ),
      [`act:RestartMember:${M(2)}`],
    ],
    [
      '6: member 2 updated, no task yet',
      () =>
        rollWorld(
          desired,
          primaries({
            1: { service: 'new', leads: ['movies'] },
            2: { service: 'new', up: false, leads: [] },
          }),
          { service: 'new' },
        ),
      [`wait:MemberRestarting:${M(2)}`],
    ],
    [
      '7: member 2 back',
      () =>
        rollWorld(
          desired,
          primaries({ 1: { service: 'new', leads: ['movies'] }, 2: { service: 'new', leads: [] } }),
          { service: 'new' },
        ),
      [`act:MoveLeaderships:${M(3)}`, `wait:LeadershipTransferInProgress:${M(3)}`],
    ],
    [
      '8: member 3 read-only, neo4j moved to member 2, system stays',
      () =>
        rollWorld(
          desired,
          primaries({
            1: { service: 'new', leads: ['movies'] },
            2: { service: 'new', leads: ['neo4j'] },
            3: { readOnly: true, leads: ['system'] },
          }),
          { service: 'new' },
        ),
      [`act:RestartMember:${M(3)}`],
    ],
    [
      '9: member 3 updated, its old task still running',
      () =>
        rollWorld(
          desired,
          primaries({
            1: { service: 'new', leads: ['movies'] },
            2: { service: 'new', leads: ['neo4j', 'system'] },
            3: { service: 'new', task: 'old', leads: [] },
          }),
          { service: 'new' },
        ),
      [`wait:MemberRestarting:${M(3)}`],
    ],
    [
      '10: every member back: done',
      () =>
        rollWorld(
          desired,
          primaries({
            1: { service: 'new', leads: ['movies'] },
            2: { service: 'new', leads: ['neo4j', 'system'] },
            3: { service: 'new', leads: [] },
          }),
          { service: 'new' },
        ),
      [],
    ],
  ];
  it.each(sequence)('%s', (_n, world, expected) => {
    expect(brief(planRoll(desired, world(), settled).steps)).toEqual(expected);
  });

  it('the restart of the system leader says it accepts one election for system', () => {
    const plan = planRoll(desired, (sequence[8] as [string, W, string[]])[1](), settled);
    expect(plan.steps[0]?.message).toBe(
      `Rolling 5/5: restarting ${M(3)} (hosts leaderships: system; accepting one election for system (the system database cannot be made read-only)) [image]`,
    );
  });

  it('each member is restarted exactly once over the sequence, in the planned order', () => {
    const restarts = sequence.flatMap(([, world]) =>
      planRoll(desired, world(), settled)
        .steps.filter((s) => s.kind === 'act' && s.type === 'RestartMember')
        .map((s) => s.member),
    );
    expect(restarts).toEqual([M(1), M(2), M(3)]);
  });
});
