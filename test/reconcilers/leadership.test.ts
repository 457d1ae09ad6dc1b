/** The shared leadership helpers (src/reconcilers/leadership.ts), table-tested without I/O. */
import {
  clusterGate,
  isLocated,
  leadershipsOf,
  memberServer,
  planClearReadOnly,
  planLeadershipMove,
  quorumWithout,
} from '../../src/reconcilers/leadership.js';
import type { FakeMember } from './neo4j-fixtures.js';
import { neo4jWorld } from './neo4j-fixtures.js';

const P = (n: number, over: Partial<FakeMember> = {}): FakeMember => ({
  service: `graph-minimal-primary-${n}`,
  serverId: `s${n}`,
  ...over,
});
const DB = ['movies', 'neo4j', 'system'];
const healthy = (): FakeMember[] => [
  P(1, { leads: ['movies'] }),
  P(2, { leads: ['system'] }),
  P(3, { leads: ['neo4j'] }),
];
const brief = (steps: readonly { kind: string; type?: string; reason: string }[]): string[] =>
  steps.map((s) => `${s.kind}:${s.kind === 'act' ? s.type : s.reason}`);

describe('memberServer', () => {
  it('goes from the member to its running task, address, member view and server row', () => {
    const at = memberServer(neo4jWorld(healthy()), 'graph-minimal-primary-2');
    expect(isLocated(at)).toBe(true);
    if (!isLocated(at)) return;
    expect(at.address).toBe('10.0.0.2:7687');
    expect(at.serverId).toBe('s2');
    expect(at.server?.state).toBe('Enabled');
    expect(at.view.version).toBe('5.26.12');
  });

  it.each([
    ['no running task', [P(1, { up: false })], 'has no running task'],
    ['not answering', [P(1, { unreachable: true })], 'does not answer over Bolt'],
  ])('says why when there is none: %s', (_name, members, why) => {
    const at = memberServer(neo4jWorld(members), 'graph-minimal-primary-1');
    expect(isLocated(at)).toBe(false);
    expect((at as { why: string }).why).toContain(why);
  });

  it('says why when Neo4j was not observed', () => {
    const w = neo4jWorld(healthy());
    delete w.neo4j;
    expect((memberServer(w, 'graph-minimal-primary-1') as { why: string }).why).toContain('not observed');
  });
});

describe('leadershipsOf', () => {
  it('lists user databases and system, sorted', () => {
    const w = neo4jWorld([P(1, { leads: ['system', 'movies'] }), P(2, { leads: ['neo4j'] }), P(3)]);
    expect(leadershipsOf(w, 's1')).toEqual(['movies', 'system']);
    expect(leadershipsOf(w, 's3')).toEqual([]);
  });
});

describe('quorumWithout', () => {
  it.each([
    ['3 up: stopping one keeps 2 of 3', healthy(), 's1', true, []],
    [
      'one down: stopping another loses every database',
      [P(1, { up: false }), P(2, { leads: DB }), P(3)],
      's2',
      false,
      ['movies', 'neo4j', 'system'],
    ],
    [
      'one down: stopping the down one itself is fine',
      [P(1, { up: false }), P(2, { leads: DB }), P(3)],
      's1',
      true,
      [],
    ],
    [
      'one starting (not online) counts as not up',
      [P(1, { copyStatus: 'starting' }), P(2, { leads: DB }), P(3)],
      's3',
      false,
      ['movies', 'neo4j', 'system'],
    ],
    [
      '5 primaries, one down: stopping one keeps 3 of 5',
      [P(1, { up: false }), P(2, { leads: DB }), P(3), P(4), P(5)],
      's3',
      true,
      [],
    ],
    [
      'unavailable server (health) does not count',
      [P(1, { health: 'Unavailable' }), P(2, { leads: DB }), P(3)],
      's2',
      false,
      ['movies', 'neo4j', 'system'],
    ],
  ] as [string, FakeMember[], string, boolean, string[]][])('%s', (_n, members, candidate, ok, atRisk) => {
    expect(quorumWithout(neo4jWorld(members), candidate)).toEqual({ ok, atRisk });
  });

  it('secondaries are not voters', () => {
    const w = neo4jWorld([
      P(1, { leads: DB }),
      P(2),
      P(3, { up: false }),
      { service: 'graph-minimal-secondaries', serverId: 's9', mode: 'secondary' },
    ]);
    expect(quorumWithout(w, 's9').ok).toBe(true);
    expect(quorumWithout(w, 's2').ok).toBe(false);
  });

  it('is not ok when Neo4j was not observed', () => {
    expect(quorumWithout({ neo4j: undefined } as never, 's1').ok).toBe(false);
  });
});

describe('clusterGate', () => {
  it('passes a healthy cluster', () => {
    expect(clusterGate(neo4jWorld(healthy()))).toEqual([]);
  });

  it.each([
    [
      'a primary down',
      [P(1, { up: false }), P(2, { leads: DB }), P(3)],
      ['ServerNotAvailable', 'DatabaseNotSettled'],
    ],
    [
      'a member not answering',
      [P(1, { unreachable: true }), P(2, { leads: DB }), P(3)],
      ['MembersUnreachable', 'ServerNotAvailable', 'DatabaseNotSettled'],
    ],
    ['a server cordoned', [P(1, { state: 'Cordoned' }), P(2, { leads: DB }), P(3)], ['ServerNotAvailable']],
    [
      'hosting not settled',
      [P(1, { hostingUnsettled: true }), P(2, { leads: DB }), P(3)],
      ['HostingNotSettled'],
    ],
    [
      'a copy still starting',
      [P(1, { copyStatus: 'starting' }), P(2, { leads: DB }), P(3)],
      ['DatabaseNotSettled'],
    ],
  ] as [string, FakeMember[], string[]][])('blocks with a reason per problem: %s', (_n, members, reasons) => {
    const holds = clusterGate(neo4jWorld(members));
    expect(holds.map((h) => h.reason)).toEqual(reasons);
    expect(holds.every((h) => h.kind === 'blocked' && h.message.length > 0)).toBe(true);
  });

  it('blocks when Neo4j was not observed', () => {
    expect(clusterGate({}).map((h) => h.reason)).toEqual(['Neo4jNotObserved']);
  });

  it('a secondary down does not block (only primaries must be Available) but its copies do', () => {
    const holds = clusterGate(
      neo4jWorld([...healthy(), { service: 'sec', serverId: 's9', mode: 'secondary', up: false }]),
    );
    expect(holds.map((h) => h.reason)).toEqual(['DatabaseNotSettled']);
  });
});

describe('planLeadershipMove', () => {
  const opts = { allowed: true, transferTimeoutMs: 120_000, elapsedMs: 0 };
  const m1 = 'graph-minimal-primary-1';

  it('a member that leads nothing stops at once', () => {
    const p = planLeadershipMove(neo4jWorld([P(1), P(2, { leads: DB }), P(3)]), m1, opts);
    expect(p).toMatchObject({ steps: [], ready: true, elections: [], note: 'hosts leaderships: none' });
  });

  it('a member that leads user databases: MoveLeaderships on its own address, then a wait', () => {
    const p = planLeadershipMove(
      neo4jWorld([P(1, { leads: ['movies', 'system'] }), P(2, { leads: ['neo4j'] }), P(3)]),
      m1,
      opts,
    );
    expect(brief(p.steps)).toEqual(['act:MoveLeaderships', 'wait:LeadershipTransferInProgress']);
    expect(p.steps[0]).toMatchObject({
      member: m1,
      address: '10.0.0.1:7687',
      reason: 'MemberHostsLeaderships',
    });
    expect(p.ready).toBe(false);
  });

  it('read-only set and still leading: waits within the bound', () => {
    const w = neo4jWorld([
      P(1, { leads: ['movies'], readOnly: true }),
      P(2, { leads: ['neo4j', 'system'] }),
      P(3),
    ]);
    const p = planLeadershipMove(w, m1, { ...opts, elapsedMs: 30_000 });
    expect(brief(p.steps)).toEqual(['wait:LeadershipTransferInProgress']);
    expect(p.steps[0]?.message).toContain('30s of 120s');
    expect(p.ready).toBe(false);
  });

  it('read-only set, past the bound: a warning that accepts one election, and ready', () => {
    const w = neo4jWorld([
      P(1, { leads: ['movies', 'system'], readOnly: true }),
      P(2, { leads: ['neo4j'] }),
      P(3),
    ]);
    const p = planLeadershipMove(w, m1, { ...opts, elapsedMs: 120_000 });
    expect(brief(p.steps)).toEqual(['refused:LeadershipTransferTimedOut']);
    expect(p.ready).toBe(true);
    expect(p.elections).toEqual(['movies', 'system']);
    expect(p.note).toContain('accepting one election for movies, system');
  });

  it('read-only set and the user leaderships moved: ready, system is one election, said so', () => {
    const w = neo4jWorld([
      P(1, { leads: ['system'], readOnly: true }),
      P(2, { leads: ['movies', 'neo4j'] }),
      P(3),
    ]);
    const p = planLeadershipMove(w, m1, { ...opts, elapsedMs: 5_000 });
    expect(p.steps).toEqual([]);
    expect(p.ready).toBe(true);
    expect(p.elections).toEqual(['system']);
    expect(p.note).toBe(
      'hosts leaderships: system; accepting one election for system (the system database cannot be made read-only)',
    );
  });

  it('transfer not allowed: no action, one election per database, said so', () => {
    const w = neo4jWorld([P(1, { leads: ['movies', 'system'] }), P(2, { leads: ['neo4j'] }), P(3)]);
    const p = planLeadershipMove(w, m1, { ...opts, allowed: false });
    expect(p.steps).toEqual([]);
    expect(p.ready).toBe(true);
    expect(p.elections).toEqual(['movies', 'system']);
    expect(p.note).toContain('leadership transfer is off');
  });

  it('a member that does not run holds no leadership', () => {
    const p = planLeadershipMove(neo4jWorld([P(1, { up: false }), P(2, { leads: DB }), P(3)]), m1, opts);
    expect(p.ready).toBe(true);
    expect(p.steps).toEqual([]);
  });
});

describe('planClearReadOnly', () => {
  it('clears read-only left on members not being stopped, keeps the ones in `keep`', () => {
    const w = neo4jWorld([P(1, { readOnly: true }), P(2, { readOnly: true, leads: DB }), P(3)]);
    const members = [1, 2, 3].map((n) => `graph-minimal-primary-${n}`);
    const acts = planClearReadOnly(w, members, new Set(['graph-minimal-primary-2']));
    expect(acts.map((a) => `${a.type}:${a.member}:${a.address}`)).toEqual([
      'ClearReadOnly:graph-minimal-primary-1:10.0.0.1:7687',
    ]);
    expect(planClearReadOnly(w, members, new Set(members))).toEqual([]);
  });
});
