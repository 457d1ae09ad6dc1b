/**
 * The Neo4j observation the roll and the drain read (toObservedNeo4j), and the leadership helpers on
 * it, against a simulated 3P+2S cluster over real Bolt (manual virtual clock): members, copies,
 * leaders, the gate; MoveLeaderships through the executor moves the user-database leaderships away,
 * system stays; ClearReadOnly undoes it; a stopped primary shows in the gate and the quorum.
 */
import { VirtualClock } from '../../twin/core/clock.js';
import { startCluster } from '../../twin/neo4j/index.js';
import type { SimCluster } from '../../twin/neo4j/index.js';
import { observeNeo4j } from '../../src/neo4j/observe.js';
import type { ObservedCluster, ObservedTask } from '../../src/model/observed.js';
import { executeLeadershipAction, withMemberAs } from '../../src/reconcilers/leadership-executor.js';
import {
  clusterGate,
  leadershipsOf,
  memberServer,
  isLocated,
  planLeadershipMove,
  quorumWithout,
} from '../../src/reconcilers/leadership.js';

const PASSWORD = 'leadership-secret';
let clock: VirtualClock;
let cluster: SimCluster;

beforeEach(async () => {
  clock = new VirtualClock({ mode: 'manual' });
  cluster = await startCluster({
    primaries: 3,
    secondaries: 2,
    databases: ['movies', 'social'],
    password: PASSWORD,
    port: 0,
    clock,
    electionTimeoutMs: 4000,
    leaderTransferMs: 300,
    startDelayMs: 1000,
    seed: 7,
  });
});
afterEach(async () => {
  await cluster.stop();
});

/** The world as a pass sees it: one task per running member (service = the member's name). */
async function observe(): Promise<Pick<ObservedCluster, 'tasks' | 'neo4j'>> {
  const tasks: ObservedTask[] = cluster.members.map((m) => ({
    taskArn: `arn:task/${m.name}`,
    group: `service:${m.name}`,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    taskDefinitionArn: `arn:td/${m.name}:1`,
    address: `${m.host}:${m.port}`,
  }));
  const neo4j = await observeNeo4j(
    cluster.members.map((m) => `${m.host}:${m.port}`),
    { user: 'neo4j', password: PASSWORD },
    3000,
  );
  return { tasks, neo4j };
}

const secrets = { getSecretString: () => Promise.resolve(`neo4j/${PASSWORD}`) };

it('observes members, copies and leaders; the gate passes; quorum holds without any one primary', async () => {
  const w = await observe();
  const n = w.neo4j;
  expect(n?.members).toHaveLength(5);
  expect(n?.members?.every((m) => m.reachable && m.version === '5.26.0' && m.readOnly === false)).toBe(true);
  expect(n?.databaseViews?.map((d) => d.name)).toEqual(['movies', 'neo4j', 'social', 'system']);
  for (const d of n?.databaseViews ?? []) {
    expect(d.primaries).toHaveLength(3);
    expect(d.secondaries).toHaveLength(2);
    expect(d.leaderServerId).not.toBeNull();
  }
  expect(n?.servers?.every((s) => s.hosting !== undefined && s.modeConstraint !== undefined)).toBe(true);
  expect(clusterGate(w)).toEqual([]);
  for (const p of ['primary-1', 'primary-2', 'primary-3']) {
    const at = memberServer(w, p);
    expect(isLocated(at)).toBe(true);
    if (isLocated(at)) expect(quorumWithout(w, at.serverId).ok).toBe(true);
  }
});

it('MoveLeaderships moves the user-database leaderships off a member; system stays; ClearReadOnly undoes it', async () => {
  const w = await observe();
  const leaders = cluster.leaders();
  const member = leaders['movies'] as string;
  const at = memberServer(w, member);
  if (!isLocated(at)) throw new Error(at.why);
  const plan = planLeadershipMove(w, member, { allowed: true, transferTimeoutMs: 60_000, elapsedMs: 0 });
  const move = plan.steps[0];
  expect(move?.kind === 'act' && move.type).toBe('MoveLeaderships');
  if (move?.kind !== 'act') return;
  await executeLeadershipAction({ secrets }, 'arn', move);
  await clock.advance(1000);
  const after = await observe();
  const still = leadershipsOf(after, at.serverId);
  expect(still.filter((d) => d !== 'system')).toEqual([]);
  expect(still).toEqual(leaders['system'] === member ? ['system'] : []);
  const again = planLeadershipMove(after, member, {
    allowed: true,
    transferTimeoutMs: 60_000,
    elapsedMs: 1000,
  });
  expect(again.ready).toBe(true);
  expect(again.steps).toEqual([]);

  await executeLeadershipAction({ secrets }, 'arn', { ...move, type: 'ClearReadOnly' });
  const cleared = await observe();
  expect(cleared.neo4j?.members?.find((m) => m.address === at.address)?.readOnly).toBe(false);
});

it('a stopped primary shows in the gate, and stopping a second one would lose the majority', async () => {
  await cluster.stopMember('primary-1');
  const w = await observe();
  expect(clusterGate(w).map((h) => h.reason)).toEqual(
    expect.arrayContaining(['MembersUnreachable', 'ServerNotAvailable', 'DatabaseNotSettled']),
  );
  const at = memberServer(w, 'primary-2');
  if (!isLocated(at)) throw new Error(at.why);
  expect(quorumWithout(w, at.serverId)).toEqual({
    ok: false,
    atRisk: ['movies', 'neo4j', 'social', 'system'],
  });
});

it('a Bolt action without a secret reader fails with a FatalError that says so, and never reaches the member', async () => {
  const seen: string[] = [];
  const done = withMemberAs({ onSecret: (v) => seen.push(v) }, 'arn', '127.0.0.1:1', () =>
    Promise.resolve('reached'),
  );
  await expect(done).rejects.toMatchObject({ name: 'FatalError', kind: 'fatal', reason: 'NoSecretReader' });
  expect(seen).toEqual([]);
});
