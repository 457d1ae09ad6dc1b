/**
 * The acceptance "Controller restarts", end to end on the twin: an explicit restart request
 * (spec.upgrade.restartToken) rolls every member; the controller is stopped and a fresh one started
 * (no state carried over) after every action the roll takes. The roll goes on from the world each
 * time: each primary restarted exactly once, in the order planned before the first step, each
 * secondary once, and the world-log invariants hold over the whole run.
 */
import type { E2e } from './helpers.js';
import { eventually, startE2e, topologyViolations } from './helpers.js';
import {
  NAME,
  PRIMARIES,
  USER_DATABASES,
  bringUp,
  eventLines,
  putSpec,
  rollRecord,
  rollSpec,
  runningTasks,
  settledView,
  status,
} from './roll-helpers.js';

let e: E2e;

beforeAll(async () => {
  e = await startE2e(rollSpec('5.26.12'), { seed: 41, timeScale: 100 });
}, 60_000);

afterAll(async () => {
  await e?.stop();
}, 30_000);

const ROLL_ACTIONS = new Set(['RegisterTaskDefinition', 'UpdateService', 'MoveLeaderships', 'RestartMember']);

it('resumes a roll correctly after the controller is restarted at every step', async () => {
  await bringUp(e, { oneLeaderless: true });
  const tasksBefore = new Set((await runningTasks(e)).map((t) => t.taskArn));
  const since = await putSpec(e, rollSpec('5.26.12', { restartToken: 'restart-1' }));

  let planned: string[] | undefined;
  let seen = eventLines(e).length;
  let restarts = 0;
  const actions: string[] = [];
  await eventually(
    async () => {
      const st = await status(e);
      if (!planned && st?.roll)
        planned = st.roll.steps.filter((s) => s.role === 'primary').map((s) => s.member);
      const fresh = eventLines(e).slice(seen);
      seen += fresh.length;
      const acted = fresh.filter((l) => l.action !== undefined && ROLL_ACTIONS.has(l.action));
      if (acted.length > 0) {
        actions.push(...acted.map((l) => `${l.action}:${l.member ?? ''}`));
        await e.restartController();
        restarts++;
        // Lines written while the controller stopped (its pass may have gone on to the next action)
        // are read on the next turn, not skipped.
        return undefined;
      }
      // Done: every task replaced (the restart token is in every task definition), Ready, no roll.
      const tasks = await runningTasks(e);
      if (tasks.length !== 5 || tasks.some((t) => tasksBefore.has(t.taskArn))) return undefined;
      const view = await settledView(e);
      return view && st?.phase === 'Ready' && !st.roll ? true : undefined;
    },
    'the roll to complete across controller restarts',
    300_000,
    50,
  );
  expect(restarts).toBeGreaterThanOrEqual(5);
  expect(actions.filter((a) => a.startsWith('RestartMember')).map((a) => a.split(':')[1])).toEqual(planned);

  const record = rollRecord(e, since, ['system', 'neo4j', ...USER_DATABASES]);
  expect(planned).toHaveLength(3);
  expect(record.primaryStops).toEqual(planned);
  expect(record.primaryStops.slice().sort()).toEqual([...PRIMARIES].sort());
  expect(record.majorityLost).toEqual([]);
  expect(record.noVolume).toEqual([]);
  for (const db of ['system', 'neo4j', ...USER_DATABASES])
    expect(record.elections[db] ?? 0).toBeLessThanOrEqual(1);
  const secondaryStops = (
    e.twin.world.list('neo4j.member.stopped') as unknown as { t: number; member: string }[]
  ).filter((x) => x.t >= since && x.member.startsWith(`${NAME}-secondaries/`));
  expect(secondaryStops).toHaveLength(2);
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
}, 480_000);
