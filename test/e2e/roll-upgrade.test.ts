/**
 * The acceptance "Image upgrade", end to end on the twin: 3 primaries + 2 secondaries with two user
 * databases, one primary leading nothing (with 4 databases over 3 primaries every primary would lead
 * one, and the databases of the first primary restarted would then move twice: docs/roll.md); the
 * spec's version changes in S3; the roll completes through the controller. Over the
 * whole run, from the world log: the server hosting the most leaderships is restarted last, each
 * primary exactly once; at most one leadership change per database; a majority of every database's
 * primaries online at every moment; no member started without its volume. The events and the status
 * show the progress.
 */
import type { RollStatus } from '../../src/model/status.js';
import type { E2e } from './helpers.js';
import { eventually, startE2e, topologyViolations } from './helpers.js';
import {
  NAME,
  PRIMARIES,
  USER_DATABASES,
  bringUp,
  eventLines,
  leadershipsByMember,
  putSpec,
  rollRecord,
  rollSpec,
  runningTasks,
  settledView,
  status,
} from './roll-helpers.js';

let e: E2e;

beforeAll(async () => {
  e = await startE2e(rollSpec('5.26.12'), { seed: 31, timeScale: 100 });
}, 60_000);

afterAll(async () => {
  await e?.stop();
}, 30_000);

it('rolls an upgrade away from the leaders: the busiest server last, one leadership change per database, a majority always up', async () => {
  const before = await bringUp(e, { oneLeaderless: true });
  const leads = leadershipsByMember(before, await runningTasks(e));
  // The busiest: the most leaderships, the system leader breaking a tie.
  const weight = (l: readonly string[]): number => l.length * 2 + (l.includes('system') ? 1 : 0);
  const primaryLeads = PRIMARIES.map((m) => [m, leads[m] ?? []] as const);
  const busiest = [...primaryLeads].sort((a, b) => weight(b[1]) - weight(a[1]))[0]![0];
  expect(primaryLeads.filter(([, l]) => l.length === 0)).toHaveLength(1);
  const databases = ['system', 'neo4j', ...USER_DATABASES];

  const since = await putSpec(e, rollSpec('5.26.13'));
  const rolls: RollStatus[] = [];
  const after = await eventually(
    async () => {
      const st = await status(e);
      if (st?.roll) rolls.push(st.roll);
      const view = await settledView(e);
      if (!view || view.members.some((m) => m.version !== '5.26.13')) return undefined;
      return st?.phase === 'Ready' && st.roll === undefined ? view : undefined;
    },
    'every member on 5.26.13 and the roll over',
    240_000,
  ).catch(async (err: unknown) => {
    console.log(JSON.stringify(await status(e), null, 1));
    console.log(e.lines.slice(-60).join('\n'));
    console.log(
      (e.twin.world.list() as { t: number }[])
        .filter((x) => x.t >= since)
        .map((x) => JSON.stringify(x))
        .filter((x) => !x.includes('"kind":"ecs.service.steady') && !x.includes('neo4j.leader'))
        .slice(0, 150)
        .join('\n'),
    );
    throw err;
  });
  expect(after.members).toHaveLength(5);

  const record = rollRecord(e, since, databases);
  expect(record.primaryStops.slice().sort()).toEqual([...PRIMARIES].sort());
  expect(record.primaryStops.at(-1)).toBe(busiest);
  for (const db of databases) expect(record.elections[db] ?? 0).toBeLessThanOrEqual(1);
  expect(record.majorityLost).toEqual([]);
  expect(record.noVolume).toEqual([]);
  expect(topologyViolations(e.twin, NAME)).toEqual([]);

  // Progress you can see: one RestartMember event per primary, numbered after the 2 secondaries.
  const restarts = eventLines(e).filter((l) => l.action === 'RestartMember');
  expect(restarts.map((l) => l.member)).toEqual(record.primaryStops);
  expect(restarts.map((l) => l.message.slice(0, 'Rolling 3/5'.length))).toEqual([
    'Rolling 3/5',
    'Rolling 4/5',
    'Rolling 5/5',
  ]);
  expect(restarts[0]!.message).toMatch(
    /^Rolling 3\/5: restarting graph-minimal-primary-\d \(hosts leaderships: /,
  );
  expect(restarts.at(-1)!.message).toContain('accepting one election for system');
  // Leaderships were moved off the user-database leaders before their stop.
  expect(eventLines(e).some((l) => l.action === 'MoveLeaderships')).toBe(true);
  // The status showed the plan while it ran.
  expect(rolls.length).toBeGreaterThan(0);
  expect(rolls.some((r) => r.steps.some((s) => s.role === 'primary' && s.changes.includes('image')))).toBe(
    true,
  );
  expect(rolls.some((r) => r.expectedLeadershipChanges.length > 0)).toBe(true);
}, 420_000);
