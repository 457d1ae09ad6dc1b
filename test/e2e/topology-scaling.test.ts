/**
 * End to end on the twin: growing examples/minimal.yaml from 3 to 4 primaries adds a volume in the new
 * member's AZ, capacity there, its service and task, and the operator enables the new server (Free →
 * Enabled) without restarting the running primaries; shrinking back to 3 is refused with a Warning
 * (`PrimaryScaleDownRefused`) and nothing changes.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import type { Task } from '@aws-sdk/client-ecs';
import { withSecretArn } from '../../src/demo/spec.js';
import { probeCluster } from '../../src/neo4j/probe.js';
import type { E2e } from './helpers.js';
import {
  BUCKET,
  PASSWORD,
  eventually,
  exampleText,
  startE2e,
  taskBoltAddress,
  topologyViolations,
} from './helpers.js';

const NAME = 'graph-minimal';
const ECS = 'neo4j-minimal';
const member = (n: number): string => `${NAME}-primary-${n}`;
let e: E2e;

interface Line {
  time: string;
  type: string;
  reason: string;
  revision?: string;
  action?: string;
}
const lines = (): Line[] => e.lines.map((l) => JSON.parse(l) as Line);

async function primaryTasks(): Promise<Map<string, Task>> {
  const arns =
    (await e.clients.ecs.send(new ListTasksCommand({ cluster: ECS, desiredStatus: 'RUNNING' }))).taskArns ??
    [];
  const out = new Map<string, Task>();
  if (arns.length === 0) return out;
  for (const t of (await e.clients.ecs.send(new DescribeTasksCommand({ cluster: ECS, tasks: arns }))).tasks ??
    [])
    if (t.lastStatus === 'RUNNING' && t.group?.startsWith(`service:${NAME}-primary-`))
      out.set(t.group.slice(8), t);
  return out;
}

/** `n` primaries run, every server is Enabled and Available, every database has a leader. */
async function settled(n: number): Promise<Map<string, Task> | undefined> {
  const tasks = await primaryTasks();
  if (tasks.size !== n) return undefined;
  const seeds = [...tasks.values()].map((t) => `bolt://${taskBoltAddress(t)}`);
  const view = await probeCluster(seeds, { user: 'neo4j', password: PASSWORD }, { timeoutMs: 2000 });
  const live = view.servers.filter((s) => s.health === 'Available');
  if (live.length !== n || live.some((s) => s.state !== 'Enabled')) return undefined;
  return Object.values(view.leaders).every((l) => l !== null) ? tasks : undefined;
}

async function putPrimaries(count: number, inA: number): Promise<void> {
  const text = withSecretArn(exampleText('minimal.yaml'), e.secretArn)
    .replace('count: 3', `count: ${count}`)
    .replace(/zone: us-east-1a\n(\s+)count: 1/, `zone: us-east-1a\n$1count: ${inA}`);
  await e.store.put(BUCKET, e.specKey, text);
}

async function desiredInA(): Promise<number | undefined> {
  const g = await e.clients.autoscaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['neo4j-minimal-primary-a'] }),
  );
  return g.AutoScalingGroups?.[0]?.DesiredCapacity;
}

beforeAll(async () => {
  e = await startE2e(exampleText('minimal.yaml'), { seed: 31, timeScale: 50 });
}, 60_000);

afterAll(async () => {
  await e?.stop();
}, 30_000);

it('grows to 4 primaries: a volume and an instance in the new AZ slot, the server enabled, no running primary restarted', async () => {
  const before = await eventually(() => settled(3), 'three primaries', 90_000);
  await putPrimaries(4, 2);
  const after = await eventually(() => settled(4), 'four primaries, all Enabled', 120_000);
  for (const n of [1, 2, 3]) expect(after.get(member(n))?.taskArn).toBe(before.get(member(n))?.taskArn);
  expect(after.get(member(4))?.availabilityZone).toBe('us-east-1a');
  const v =
    (
      await e.clients.ec2.send(
        new DescribeVolumesCommand({ Filters: [{ Name: 'tag:neo4j-ecs:member', Values: [member(4)] }] }),
      )
    ).Volumes ?? [];
  expect(v.map((x) => x.AvailabilityZone)).toEqual(['us-east-1a']);
  expect(await desiredInA()).toBe(2);
  expect(lines().some((l) => l.action === 'EnableServer' && l.reason === 'ServerFree')).toBe(true);
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
}, 240_000);

it('refuses to shrink back to 3 primaries and changes nothing', async () => {
  const before = await eventually(() => settled(4), 'four primaries', 60_000);
  const mark = e.lines.length;
  await putPrimaries(3, 1);
  const refused = await eventually(
    () =>
      lines()
        .slice(mark)
        .find((l) => l.reason === 'PrimaryScaleDownRefused'),
    'PrimaryScaleDownRefused',
    60_000,
  );
  expect(refused.type).toBe('Warning');
  // Two more passes of the refused revision, then nothing has moved.
  await eventually(
    () =>
      lines()
        .slice(mark)
        .filter((l) => l.reason === 'PrimaryScaleDownRefused').length >= 2 || undefined,
    'a second refused pass',
    60_000,
  );
  expect(
    lines()
      .slice(mark)
      .filter((l) => l.action !== undefined),
  ).toEqual([]);
  expect(await desiredInA()).toBe(2);
  const now = await primaryTasks();
  expect([...now.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [m, t] of now) expect(t.taskArn).toBe(before.get(m)?.taskArn);
}, 180_000);
