/**
 * The roll benchmark's figures (bench/roll-figures.ts) from a small synthetic world log, workload and
 * call log: a three-member cluster where two members are rolled (one of them while leading) and the
 * third is not (so the roll is incomplete), then the third too (complete).
 */
import type { CallLike, WorldEventLike } from '../../bench/roll-figures.js';
import {
  callsByOperation,
  leaderlessIntervals,
  leadersAt,
  leadershipChanges,
  memberRestarts,
  rollFigures,
} from '../../bench/roll-figures.js';
import type { WorkloadSample } from '../../twin/neo4j/workload.js';

const OLD = '5.26.12';
const NEW = '5.26.13';
const DBS = ['system', 'neo4j', 'movies'];

/** A world log under construction: events are added in any order and put in time order (stably) by `done`. */
function log(): {
  at: (t: number, kind: string, f?: Record<string, unknown>) => void;
  done: () => WorldEventLike[];
} {
  const events: WorldEventLike[] = [];
  return {
    at(t, kind, f = {}) {
      events.push({ ...f, t, seq: 0, kind });
    },
    done: () => events.sort((a, b) => a.t - b.t).map((e, i) => ({ ...e, seq: i + 1 })),
  };
}

/** A task on `address` that runs member `serverId` on `version`, all its databases online at `t + 2000`. */
function start(
  at: ReturnType<typeof log>['at'],
  t: number,
  task: string,
  address: string,
  serverId: string,
  version: string,
  onlineAt: Partial<Record<string, number>> = {},
): void {
  at(t - 1000, 'ecs.task.state', { taskArn: task, address, from: 'PENDING', to: 'RUNNING' });
  at(t, 'neo4j.member.started', { member: `m-${serverId}`, serverId, address: `${address}:7687`, version });
  for (const db of DBS)
    if (onlineAt[db] !== -1) at(onlineAt[db] ?? t + 2000, 'neo4j.database.online', { db, serverId });
}

/**
 * Formation at t 0–3000 (leaders: system s1, neo4j s2, movies s1); the change at 10 000; s1 (leading
 * system and movies) is stopped at 12 000 and back caught up at 40 000; s2 (leading neo4j) stopped at
 * 50 000, caught up at 75 000; s3 untouched.
 */
function world(): WorldEventLike[] {
  const { at, done } = log();
  start(at, 1000, 't1', '10.0.0.1', 's1', OLD);
  at(1100, 'ecs.task.state', { taskArn: 't2', address: '10.0.0.2', to: 'RUNNING' });
  at(1100, 'neo4j.member.started', {
    member: 'm-s2',
    serverId: 's2',
    address: '10.0.0.2:7687',
    version: OLD,
  });
  at(1200, 'ecs.task.state', { taskArn: 't3', address: '10.0.0.3', to: 'RUNNING' });
  at(1200, 'neo4j.member.started', {
    member: 'm-s3',
    serverId: 's3',
    address: '10.0.0.3:7687',
    version: OLD,
  });
  for (const s of ['s2', 's3']) for (const db of DBS) at(3000, 'neo4j.database.online', { db, serverId: s });
  at(3000, 'neo4j.leader.elected', { db: 'system', serverId: 's1' });
  at(3000, 'neo4j.leader.elected', { db: 'neo4j', serverId: 's2' });
  at(3000, 'neo4j.leader.elected', { db: 'movies', serverId: 's1' });
  // The roll. s1: asked to stop at 12 000, leaves at 17 000; elections 20 s later.
  at(12_000, 'ecs.task.stopping', { taskArn: 't1' });
  at(17_000, 'neo4j.leader.lost', { db: 'system', serverId: 's1' });
  at(17_000, 'neo4j.leader.lost', { db: 'movies', serverId: 's1' });
  at(17_000, 'neo4j.member.left', { serverId: 's1' });
  start(at, 30_000, 't4', '10.0.0.4', 's1', NEW, { system: 36_000, neo4j: 38_000, movies: 40_000 });
  at(37_000, 'neo4j.leader.elected', { db: 'system', serverId: 's2' });
  at(37_000, 'neo4j.leader.elected', { db: 'movies', serverId: 's3' });
  // s2 (now leading system and neo4j): stopped at 50 000, leaves at 55 000.
  at(50_000, 'ecs.task.stopping', { taskArn: 't2' });
  at(55_000, 'neo4j.leader.lost', { db: 'system', serverId: 's2' });
  at(55_000, 'neo4j.leader.lost', { db: 'neo4j', serverId: 's2' });
  at(55_000, 'neo4j.member.left', { serverId: 's2' });
  start(at, 70_000, 't5', '10.0.0.5', 's2', NEW, { system: 72_000, neo4j: 74_000, movies: 75_000 });
  at(75_000, 'neo4j.leader.elected', { db: 'system', serverId: 's3' });
  at(75_000, 'neo4j.leader.elected', { db: 'neo4j', serverId: 's1' });
  return done();
}

/** s3 rolled too: stopped at 90 000 (it leads system and movies), caught up at 110 000. */
function completeWorld(): WorldEventLike[] {
  const events = world();
  const { at } = {
    at: (t: number, kind: string, f: Record<string, unknown> = {}) =>
      events.push({ ...f, t, seq: events.length + 1, kind }),
  };
  at(90_000, 'ecs.task.stopping', { taskArn: 't3' });
  at(95_000, 'neo4j.leader.lost', { db: 'system', serverId: 's3' });
  at(95_000, 'neo4j.leader.lost', { db: 'movies', serverId: 's3' });
  at(95_000, 'neo4j.member.left', { serverId: 's3' });
  at(99_000, 'ecs.task.state', { taskArn: 't6', address: '10.0.0.6', to: 'RUNNING' });
  at(100_000, 'neo4j.member.started', {
    member: 'm-s3',
    serverId: 's3',
    address: '10.0.0.6:7687',
    version: NEW,
  });
  at(105_000, 'neo4j.database.online', { db: 'system', serverId: 's3' });
  at(106_000, 'neo4j.database.online', { db: 'neo4j', serverId: 's3' });
  at(110_000, 'neo4j.database.online', { db: 'movies', serverId: 's3' });
  at(115_000, 'neo4j.leader.elected', { db: 'system', serverId: 's1' });
  at(115_000, 'neo4j.leader.elected', { db: 'movies', serverId: 's2' });
  return events;
}

/** Writes every 1000 ms from 10 000 to 120 000: neo4j fails from 55 000 to 74 000, movies 17 000–36 000 and 95 000–114 000. */
function samples(): WorkloadSample[] {
  const out: WorkloadSample[] = [];
  const down = {
    neo4j: [[55_000, 75_000]],
    movies: [
      [17_000, 37_000],
      [95_000, 115_000],
    ],
  };
  for (let t = 10_000; t <= 120_000; t += 1000)
    for (const db of ['neo4j', 'movies'] as const) {
      const failing = down[db].some(([a, b]) => t >= (a as number) && t < (b as number));
      out.push(
        failing ? { t, db, ok: false, error: 'Neo.ClientError.Cluster.NotALeader' } : { t, db, ok: true },
      );
    }
  return out;
}

it('replays leaderships to any moment', () => {
  const events = world();
  expect(Object.fromEntries(leadersAt(events, 12_000))).toEqual({ system: 's1', neo4j: 's2', movies: 's1' });
  expect(Object.fromEntries(leadersAt(events, 20_000))).toEqual({ neo4j: 's2' });
  expect(Object.fromEntries(leadersAt(events, 50_000))).toEqual({ system: 's2', neo4j: 's2', movies: 's3' });
});

it('counts leader elections per database inside the window only', () => {
  expect(leadershipChanges(world(), DBS, 10_000, 80_000)).toEqual({ system: 2, neo4j: 1, movies: 1 });
  expect(leadershipChanges(world(), DBS, 0, 80_000)).toEqual({ system: 3, neo4j: 2, movies: 2 });
  // A database with no election is still listed.
  expect(leadershipChanges(world(), [...DBS, 'social'], 10_000, 20_000)).toEqual({
    system: 0,
    neo4j: 0,
    movies: 0,
    social: 0,
  });
});

it('finds the intervals without a leader, clipped to the window, and one still open at its end', () => {
  expect(leaderlessIntervals(world(), DBS, 10_000, 80_000)).toEqual({
    system: [
      { from: 17_000, to: 37_000 },
      { from: 55_000, to: 75_000 },
    ],
    neo4j: [{ from: 55_000, to: 75_000 }],
    movies: [{ from: 17_000, to: 37_000 }],
  });
  // The window opens while system has no leader and closes before neo4j has one again.
  expect(leaderlessIntervals(world(), ['system', 'neo4j'], 20_000, 60_000)).toEqual({
    system: [
      { from: 20_000, to: 37_000 },
      { from: 55_000, to: 60_000 },
    ],
    neo4j: [{ from: 55_000, to: 60_000 }],
  });
});

it('follows each member from its old task stop (matched by address) to its copies online on the new version', () => {
  expect(memberRestarts(world(), 10_000, NEW)).toEqual([
    {
      serverId: 's1',
      member: 'm-s1',
      stopAt: 12_000,
      ledAtStop: ['movies', 'system'],
      startedAt: 30_000,
      caughtUpAt: 40_000,
    },
    {
      serverId: 's2',
      member: 'm-s2',
      stopAt: 50_000,
      ledAtStop: ['neo4j', 'system'],
      startedAt: 70_000,
      caughtUpAt: 75_000,
    },
    { serverId: 's3', member: 'm-s3', stopAt: null, ledAtStop: [], startedAt: null, caughtUpAt: null },
  ]);
  // Asked about another version, nobody is on it.
  expect(memberRestarts(world(), 10_000, '2025.01.0').every((r) => r.caughtUpAt === null)).toBe(true);
});

it('an incomplete roll has no duration or lower bound, but its outages and elections count', () => {
  const f = rollFigures({
    events: world(),
    samples: samples(),
    databases: DBS,
    workloadDatabases: ['neo4j', 'movies'],
    from: 10_000,
    to: 80_000,
    newVersion: NEW,
  });
  expect(f.complete).toBe(false);
  expect(f.totalSeconds).toBeNull();
  expect(f.lowerBoundSeconds).toBeNull();
  expect(f.leaderlessSeconds).toEqual({ system: 40, neo4j: 20, movies: 20 });
  expect(f.unwritableSeconds).toEqual({ neo4j: 20, movies: 20 });
  expect(f.writes).toEqual({ neo4j: { attempts: 71, failed: 20 }, movies: { attempts: 71, failed: 20 } });
});

it('a complete roll: total duration to the last catch-up, lower bound = sum of stop → caught up', () => {
  const f = rollFigures({
    events: completeWorld(),
    samples: samples(),
    databases: DBS,
    workloadDatabases: ['neo4j', 'movies'],
    from: 10_000,
    to: 120_000,
    newVersion: NEW,
  });
  expect(f.complete).toBe(true);
  expect(f.restarts.map((r) => r.serverId)).toEqual(['s1', 's2', 's3']);
  expect(f.restarts[2]).toMatchObject({
    stopAt: 90_000,
    ledAtStop: ['movies', 'system'],
    caughtUpAt: 110_000,
  });
  expect(f.totalSeconds).toBe(100); // 110 000 − 10 000
  expect(f.lowerBoundSeconds).toBe(28 + 25 + 20);
  expect(f.leadershipChanges).toEqual({ system: 3, neo4j: 1, movies: 2 });
  expect(f.leaderlessSeconds).toEqual({ system: 60, neo4j: 20, movies: 40 });
  expect(f.unwritableSeconds).toEqual({ neo4j: 20, movies: 40 });
});

it('counts the actor’s calls in the window by service:operation, CloudWatch under its client name', () => {
  const calls: CallLike[] = [
    { t: 5_000, service: 'ecs', operation: 'UpdateService', userAgent: 'aws-sdk-js baseline/1' },
    { t: 10_000, service: 'ecs', operation: 'UpdateService', userAgent: 'aws-sdk-js baseline/1' },
    { t: 11_000, service: 'ecs', operation: 'DescribeServices', userAgent: 'aws-sdk-js baseline/1' },
    { t: 12_000, service: 'ecs', operation: 'DescribeServices', userAgent: 'aws-sdk-js baseline/1' },
    { t: 12_000, service: 'monitoring', operation: 'PutMetricData', userAgent: 'aws-sdk-js baseline/1' },
    { t: 13_000, service: 'ecs', operation: 'DescribeServices', userAgent: 'aws-sdk-js other/1' },
    { t: 13_000, service: 'ecs', operation: 'DescribeServices' },
    { t: 99_000, service: 'ecs', operation: 'DescribeServices', userAgent: 'aws-sdk-js baseline/1' },
  ];
  expect(callsByOperation(calls, 10_000, 20_000, (c) => c.userAgent?.includes('baseline/') ?? false)).toEqual(
    {
      total: 4,
      byOperation: { 'ecs:UpdateService': 1, 'ecs:DescribeServices': 2, 'cloudwatch:PutMetricData': 1 },
    },
  );
});
