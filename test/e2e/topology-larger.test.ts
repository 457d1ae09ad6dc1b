/**
 * End to end on the twin: examples/larger.yaml (5 primaries over 3 AZs, 2 secondaries) becomes Ready
 * with every server Enabled; then editing the spec in S3 scales the secondaries 2 → 0 → 2, each change
 * accepted within one poll interval of virtual time and applied by the first pass of the new revision. World-log invariants hold over the whole run.
 */
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import type { Task } from '@aws-sdk/client-ecs';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import type { ClusterStatus } from '../../src/model/status.js';
import { probeCluster } from '../../src/neo4j/probe.js';
import { withSecretArn } from '../../src/demo/spec.js';
import type { E2e } from './helpers.js';
import {
  BUCKET,
  PASSWORD,
  clusterStatus,
  ecsRunningTasks,
  eventually,
  exampleText,
  startE2e,
  taskBoltAddress,
  topologyViolations,
} from './helpers.js';

const NAME = 'graph-larger';
const ECS = 'neo4j-larger';
const POLL_MS = 15_000;
const READ_SLACK_MS = 2_000;
const primaries = [1, 2, 3, 4, 5].map((n) => `${NAME}-primary-${n}`);
const SECONDARIES = `${NAME}-secondaries`;
let e: E2e;

const status = (): Promise<ClusterStatus | undefined> => clusterStatus(e, NAME);

const runningTasks = (): Promise<Task[]> => ecsRunningTasks(e, ECS);

const address = (t: Task): string => `bolt://${taskBoltAddress(t)}`;

/** Every primary runs once, `secondaries` secondaries run, every server is Enabled and every database led. */
async function settled(secondaries: number): Promise<true | undefined> {
  const tasks = await runningTasks();
  if (primaries.some((m) => tasks.filter((t) => t.group === `service:${m}`).length !== 1)) return undefined;
  const sec = tasks.filter((t) => t.group === `service:${SECONDARIES}`);
  if (sec.length !== secondaries) return undefined;
  const view = await probeCluster(
    tasks.filter((t) => primaries.some((m) => t.group === `service:${m}`)).map(address),
    { user: 'neo4j', password: PASSWORD },
    { timeoutMs: 2000 },
  );
  const live = view.servers.filter((s) => s.health === 'Available');
  if (live.length !== 5 + secondaries || live.some((s) => s.state !== 'Enabled')) return undefined;
  return Object.values(view.leaders).every((l) => l !== null) ? true : undefined;
}

async function putSpec(secondaries: number): Promise<number> {
  const text = withSecretArn(exampleText('larger.yaml'), e.secretArn).replace(
    /secondaries:\n(\s+)count: 2/,
    `secondaries:\n$1count: ${secondaries}`,
  );
  const at = e.twin.clock.now();
  await e.store.put(BUCKET, e.specKey, text);
  return at;
}

/** Virtual time at which the secondaries' service got `count` (from the world log), after `since`. */
function serviceSetAt(count: number, since: number): number | undefined {
  return (e.twin.world.list('ecs.service') as { t: number; [k: string]: unknown }[]).find(
    (x) => x.t >= since && JSON.stringify(x).includes(SECONDARIES) && x['desiredCount'] === count,
  )?.t;
}

interface Line {
  time: string;
  reason: string;
  revision?: string;
  action?: string;
}

/**
 * The edit put at virtual time `put` was accepted within one poll interval, and the first pass of that
 * revision scaled the secondaries (no pass of it finished before); `appliedAt` (from the world log)
 * follows once the pass in flight at acceptance (if any) and that pass have run.
 */
function expectAppliedByFirstPass(put: number, appliedAt: number): void {
  const lines = e.lines.map((l) => JSON.parse(l) as Line).filter((l) => Date.parse(l.time) >= put);
  const accepted = lines.find((l) => l.reason === 'NewRevision');
  expect(accepted).toBeDefined();
  // One interval, plus the virtual time the read itself takes at this time scale.
  expect(Date.parse(accepted!.time) - put).toBeLessThanOrEqual(POLL_MS + READ_SLACK_MS);
  const ofRevision = lines.filter((l) => l.revision === accepted!.revision && l.reason !== 'NewRevision');
  expect(ofRevision[0]).toMatchObject({ reason: 'SecondariesScaled', action: 'UpdateService' });
  expect(appliedAt).toBeGreaterThan(put);
}

beforeAll(async () => {
  e = await startE2e(exampleText('larger.yaml'), { seed: 23, timeScale: 20 });
}, 60_000);

afterAll(async () => {
  await e?.stop();
}, 30_000);

it('brings the 5-primaries-over-3-AZs example up with its 2 secondaries, every server Enabled, Ready', async () => {
  await eventually(() => settled(2), '5 primaries and 2 secondaries', 120_000);
  await eventually(async () => (await status())?.phase === 'Ready', 'phase Ready', 60_000);
  const zones = (await status())?.members.filter((m) => m.role === 'primary').map((m) => m.zone);
  expect(zones).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1a', 'us-east-1b']);
  const groups =
    (
      await e.clients.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({
          AutoScalingGroupNames: [
            'neo4j-larger-primary-a',
            'neo4j-larger-primary-c',
            'neo4j-larger-secondaries',
          ],
        }),
      )
    ).AutoScalingGroups ?? [];
  expect(Object.fromEntries(groups.map((g) => [g.AutoScalingGroupName, g.DesiredCapacity]))).toEqual({
    'neo4j-larger-primary-a': 2,
    'neo4j-larger-primary-c': 1,
    'neo4j-larger-secondaries': 2,
  });
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
}, 240_000);

it('scales the secondaries 2 → 0 → 2 from spec edits in S3, each within one poll interval', async () => {
  const down = await putSpec(0);
  const downAt = await eventually(() => serviceSetAt(0, down), 'secondaries service set to 0', 60_000);
  expectAppliedByFirstPass(down, downAt);
  await eventually(() => settled(0), 'no secondaries', 120_000);
  const svc = (
    await e.clients.ecs.send(new DescribeServicesCommand({ cluster: ECS, services: [SECONDARIES] }))
  ).services?.[0];
  expect(svc?.desiredCount).toBe(0);

  const up = await putSpec(2);
  const upAt = await eventually(() => serviceSetAt(2, up), 'secondaries service set to 2', 60_000);
  expectAppliedByFirstPass(up, upAt);
  await eventually(() => settled(2), '2 secondaries again', 120_000);
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
}, 300_000);
