/**
 * The acceptance "Refusals", end to end on the twin: a supervised roll stops before a primary hosting
 * leaderships (a Warning event and the status say AwaitingApproval) and `neo4j-ecs approve` (the built
 * CLI, through AWS_ENDPOINT_URL) resumes it to completion; then a version downgrade is refused
 * (DowngradeRefused) without any change: no RegisterTaskDefinition and no UpdateService after the edit.
 */
import type { E2e } from './helpers.js';
import { eventually, startE2e, topologyViolations } from './helpers.js';
import { runCli } from '../helpers/cli.js';
import {
  NAME,
  ECS,
  PRIMARIES,
  bringUp,
  eventLines,
  putSpec,
  rollRecord,
  rollSpec,
  settledView,
  status,
} from './roll-helpers.js';

let e: E2e;

beforeAll(async () => {
  e = await startE2e(rollSpec('5.26.12', { supervised: true }), { seed: 37, timeScale: 100 });
}, 60_000);

afterAll(async () => {
  await e?.stop();
}, 30_000);

const cliEnv = (): NodeJS.ProcessEnv => ({
  AWS_ENDPOINT_URL: e.twin.endpoint,
  AWS_REGION: e.twin.region,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
});

it('a supervised roll waits for approval before a primary hosting leaderships; neo4j-ecs approve resumes it', async () => {
  await bringUp(e);
  const nothing = await runCli(['approve', NAME, '--ecs-cluster', ECS], { env: cliEnv() });
  expect(nothing.code).toBe(1);
  expect(nothing.stdout).toContain('nothing of graph-minimal waits for approval');

  const since = await putSpec(e, rollSpec('5.26.13', { supervised: true }));
  const waiting = await eventually(
    async () => {
      const st = await status(e);
      return st?.roll?.waiting?.reason === 'AwaitingApproval' ? st : undefined;
    },
    'the roll awaiting approval',
    120_000,
  );
  expect(waiting.conditions.find((c) => c.type === 'Degraded')).toMatchObject({
    status: 'True',
    reason: 'AwaitingApproval',
  });
  const next = waiting.roll?.steps.find((s) => s.state === 'next');
  expect(next?.leads.length).toBeGreaterThan(0);
  expect(
    eventLines(e).some(
      (l) => l.type === 'Warning' && l.reason === 'AwaitingApproval' && l.member === next?.member,
    ),
  ).toBe(true);
  // Nothing hosting leaderships was stopped while it waited.
  const stoppedBefore = rollRecord(e, since, []).primaryStops;
  expect(stoppedBefore).not.toContain(next?.member);

  const approved = await runCli(['approve', NAME, '--ecs-cluster', ECS], { env: cliEnv() });
  expect(approved.code).toBe(0);
  expect(approved.stdout).toContain(`approved: ${next?.member} → `);

  await eventually(
    async () => {
      const view = await settledView(e);
      const st = await status(e);
      return view?.members.every((m) => m.version === '5.26.13') && st?.phase === 'Ready' && !st.roll
        ? true
        : undefined;
    },
    'the approved roll completes',
    240_000,
  );
  const record = rollRecord(e, since, []);
  expect(record.primaryStops.slice().sort()).toEqual([...PRIMARIES].sort());
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
}, 480_000);

it('refuses a version downgrade without any change', async () => {
  const since = await putSpec(e, rollSpec('5.26.12', { supervised: true }));
  const refused = await eventually(
    () =>
      eventLines(e).find(
        (l) => l.reason === 'DowngradeRefused' && Date.parse(l.time) >= since && l.type === 'Warning',
      ),
    'the downgrade refused',
    60_000,
  );
  expect(refused.message).toContain('downgrade from 5.26.13 to 5.26.12 is not supported');
  const st = await eventually(
    async () => {
      const s = await status(e);
      return s?.conditions.some((c) => c.type === 'Degraded' && c.reason === 'DowngradeRefused')
        ? s
        : undefined;
    },
    'the status says DowngradeRefused',
    60_000,
  );
  expect(st.phase).toBe('Degraded');
  // A few more passes (the resync and requeues), then: nothing registered, nothing updated.
  const after = e.twin.clock.now();
  await eventually(
    () =>
      (e.twin.calls.list() as { t: number; operation: string }[]).filter(
        (c) => c.t > after && c.operation === 'DescribeServices',
      ).length >= 3 || undefined,
    'three more passes',
    60_000,
  );
  const changes = (e.twin.calls.list() as { t: number; operation: string }[]).filter(
    (c) => c.t >= since && ['RegisterTaskDefinition', 'UpdateService', 'CreateService'].includes(c.operation),
  );
  expect(changes).toEqual([]);
  const view = await settledView(e);
  expect(view?.members.every((m) => m.version === '5.26.13')).toBe(true);
}, 240_000);
