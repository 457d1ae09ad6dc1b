/**
 * Drain-before-terminate end to end on the twin (docs/drain.md): examples/minimal.yaml with spot
 * allowed for a minority of the primaries and 2 secondaries.
 *
 * (a) The instance of the server that leads every database is terminated the planned way
 *     (TerminateInstanceInAutoScalingGroup, no decrement): the hook completes with CONTINUE once the
 *     leaderships moved, the member stopped and its volume moved to the replacement in the same AZ; at
 *     most one leadership change per database; no ABANDON and no quorum loss at any moment.
 * (b) A spot interruption of that member's (now spot) instance is drained within the 2-minute notice:
 *     task stopped and volume detached before EC2 reclaims the instance; the member comes back in its AZ.
 * (c) An instance with a secondary: DRAINING, the task rescheduled, the hook completed.
 */
import { CreateLaunchTemplateVersionCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeContainerInstancesCommand } from '@aws-sdk/client-ecs';
import type { Task } from '@aws-sdk/client-ecs';
import { parse, stringify } from 'yaml';
import type { ClusterStatus } from '../../src/model/status.js';
import { setDefaultToReadOnly, withMember } from '../../src/neo4j/admin.js';
import { probeCluster } from '../../src/neo4j/probe.js';
import {
  abandonedHooks,
  electionsSince,
  hookOutcomes,
  lastSeq,
  quorumViolations,
} from './drain-invariants.js';
import type { E2e } from './helpers.js';
import {
  PASSWORD,
  clusterStatus,
  ecsRunningTasks,
  eventually,
  exampleText,
  startE2e,
  taskBoltAddress,
  topologyViolations,
} from './helpers.js';

const NAME = 'graph-minimal';
const ECS = 'neo4j-minimal';
const SEC_ASG = 'neo4j-minimal-secondaries';
const CREDS = { user: 'neo4j', password: PASSWORD };
const primaries = [1, 2, 3].map((n) => `${NAME}-primary-${n}`);
const zoneOf: Record<string, string> = {
  [primaries[0]!]: 'us-east-1a',
  [primaries[1]!]: 'us-east-1b',
  [primaries[2]!]: 'us-east-1c',
};
const asgOf: Record<string, string> = {
  [primaries[0]!]: 'neo4j-minimal-primary-a',
  [primaries[1]!]: 'neo4j-minimal-primary-b',
  [primaries[2]!]: 'neo4j-minimal-primary-c',
};
let e: E2e;

function specText(): string {
  const doc = parse(exampleText('minimal.yaml')) as { spec: Record<string, Record<string, unknown>> };
  doc.spec['primaries']!['allowSpot'] = true;
  doc.spec['secondaries'] = { count: 2 };
  doc.spec['capacity']!['secondaryAutoScalingGroup'] = SEC_ASG;
  // Both secondaries may be replaced at once (minimumHealthyPercent 0): a replacement secondary in the
  // twin does not report healthy here, so with 50 % ECS would keep the last one on the draining
  // instance (docs/drain.md, not done).
  doc.spec['upgrade'] = { maxUnavailableSecondaries: 2 };
  return stringify(doc);
}

const status = (): Promise<ClusterStatus | undefined> => clusterStatus(e, NAME);

const runningTasks = (): Promise<Task[]> => ecsRunningTasks(e, ECS);

const addressOf = taskBoltAddress;

/** Every primary and secondary runs once, every database has a leader: the member task by service. */
async function healthy(): Promise<Map<string, Task> | undefined> {
  const tasks = await runningTasks();
  const out = new Map<string, Task>();
  for (const m of primaries) {
    const mine = tasks.filter((t) => t.group === `service:${m}`);
    if (mine.length !== 1) return undefined;
    out.set(m, mine[0]!);
  }
  if (tasks.filter((t) => t.group === `service:${NAME}-secondaries`).length !== 2) return undefined;
  const view = await probeCluster(
    [...out.values()].map((t) => `bolt://${addressOf(t)}`),
    CREDS,
    { timeoutMs: 2000 },
  );
  const leaders = Object.values(view.leaders);
  if (leaders.length < 2 || leaders.some((l) => l === null)) return undefined;
  if (view.members.some((m) => !m.reachable)) return undefined;
  return out;
}

async function leaders(tasks: Map<string, Task>): Promise<Record<string, string | null>> {
  const view = await probeCluster(
    [...tasks.values()].map((t) => `bolt://${addressOf(t)}`),
    CREDS,
    { timeoutMs: 2000 },
  );
  return view.leaders;
}

async function instanceOf(t: Task): Promise<string> {
  const d = await e.clients.ecs.send(
    new DescribeContainerInstancesCommand({ cluster: ECS, containerInstances: [t.containerInstanceArn!] }),
  );
  return d.containerInstances?.[0]?.ec2InstanceId ?? '';
}

async function volumeOf(member: string): Promise<{ zone: string; instanceId?: string; state?: string }> {
  const vols =
    (
      await e.clients.ec2.send(
        new DescribeVolumesCommand({ Filters: [{ Name: 'tag:neo4j-ecs:member', Values: [member] }] }),
      )
    ).Volumes ?? [];
  const v = vols[0]!;
  const a = v.Attachments?.[0];
  return {
    zone: v.AvailabilityZone ?? '',
    ...(a?.InstanceId ? { instanceId: a.InstanceId } : {}),
    ...(a?.State ? { state: a.State } : {}),
  };
}

type Ev = Record<string, unknown> & { kind: string; t: number; seq: number };
const world = (): Ev[] => e.twin.world.list();

/** The member all databases are led by, after moving the user databases' leaderships onto it. */
let leaderMember = '';

beforeAll(async () => {
  e = await startE2e(specText(), { timeScale: 30 });
}, 60_000);

afterAll(async () => {
  await e?.stop();
}, 30_000);

it('comes up: 3 primaries, 2 secondaries, a leader for every database, Ready', async () => {
  await eventually(healthy, 'primaries and secondaries with leaders', 150_000, 200);
  await eventually(async () => (await status())?.phase === 'Ready', 'phase Ready', 90_000, 200);
}, 260_000);

it('(a) drains the instance of the server leading every database through the hook: CONTINUE, no ABANDON, quorum kept', async () => {
  let tasks = await eventually(healthy, 'healthy', 60_000, 200);
  // Make one server lead every database: the system leader (system leadership cannot move) gets the
  // user databases too, by making the others read-only for a while.
  const lead = await leaders(tasks);
  const systemLeader = lead['system']!;
  leaderMember = [...tasks].find(([, t]) => addressOf(t) === systemLeader)![0];
  const others = [...tasks].filter(([m]) => m !== leaderMember).map(([, t]) => addressOf(t));
  for (const a of others) await withMember(a, CREDS, 3000, (c) => setDefaultToReadOnly(c, true));
  await eventually(
    async () => Object.values(await leaders(tasks)).every((l) => l === systemLeader),
    'one server leading every database',
    60_000,
    200,
  );
  for (const a of others) await withMember(a, CREDS, 3000, (c) => setDefaultToReadOnly(c, false));

  // Its replacement will be a spot instance (spot allowed for 1 of 3 primaries): (b) interrupts it.
  await e.clients.ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateName: `${asgOf[leaderMember]}-lt`,
      SourceVersion: '1',
      LaunchTemplateData: { InstanceMarketOptions: { MarketType: 'spot' } },
    }),
  );
  const victim = await instanceOf(tasks.get(leaderMember)!);
  const from = lastSeq(e.twin);
  await e.clients.autoscaling.send(
    new TerminateInstanceInAutoScalingGroupCommand({
      InstanceId: victim,
      ShouldDecrementDesiredCapacity: false,
    }),
  );
  await eventually(
    () => hookOutcomes(e.twin, victim).length > 0,
    'the hook of the terminated instance ended',
    150_000,
    200,
  );
  expect(hookOutcomes(e.twin, victim)).toEqual(['completed:CONTINUE']);
  tasks = (await eventually(healthy, 'the member back and caught up', 150_000, 200))!;
  const now = await instanceOf(tasks.get(leaderMember)!);
  expect(now).not.toBe(victim);
  const v = await volumeOf(leaderMember);
  expect(v).toMatchObject({ zone: zoneOf[leaderMember], instanceId: now, state: 'attached' });

  // Over the whole run: no ABANDON, a majority up at every moment, the topology invariants; and
  // since the drain began at most one leadership change per database.
  expect(abandonedHooks(e.twin)).toEqual([]);
  expect(quorumViolations(e.twin, NAME, 3)).toEqual([]);
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
  const elections = electionsSince(e.twin, from);
  for (const [db, n] of Object.entries(elections)) expect([db, n]).toEqual([db, 1]);
  // The hook was completed only once the member's task had stopped and its volume had left.
  const evs = world().filter((x) => x.seq > from);
  const completed = evs.find(
    (x) => x.kind === 'asg.lifecycle.action' && x['instanceId'] === victim && x['result'] === 'CONTINUE',
  )!;
  const detached = evs.find(
    (x) => x.kind === 'ebs.attachment.state' && x['instanceId'] === victim && x['to'] === 'detached',
  );
  expect(detached).toBeDefined();
  expect(detached!.t).toBeLessThanOrEqual(completed.t);
  const reasons = e.lines.map((l) => (JSON.parse(l) as { reason?: string }).reason);
  expect(reasons).toEqual(
    expect.arrayContaining([
      'DrainStarted',
      'MemberHostsLeaderships',
      'InstanceTerminating',
      'InstanceDrained',
    ]),
  );
}, 400_000);

it('(b) drains a spot-interrupted primary within the notice and brings it back in its AZ', async () => {
  let tasks = await eventually(healthy, 'healthy', 60_000, 200);
  const victim = await instanceOf(tasks.get(leaderMember)!);
  const from = lastSeq(e.twin);
  const taskArn = tasks.get(leaderMember)!.taskArn;
  await e.twin.control('spotInterrupt', { instanceId: victim });
  await eventually(
    () => world().some((x) => x.kind === 'ec2.spot.reclaimed' && x['instanceId'] === victim),
    'the spot instance reclaimed',
    150_000,
    200,
  );
  const evs = world().filter((x) => x.seq > from);
  // The replacement of (a) came from the spot launch template version.
  expect(evs.find((x) => x.kind === 'ec2.spot.interruption')?.['spot']).toBe(true);
  const reclaimed = evs.find((x) => x.kind === 'ec2.spot.reclaimed' && x['instanceId'] === victim)!;
  const stopped = evs.find(
    (x) => x.kind === 'ecs.task.state' && x['taskArn'] === taskArn && x['to'] === 'STOPPED',
  );
  const detached = evs.find(
    (x) => x.kind === 'ebs.attachment.state' && x['instanceId'] === victim && x['to'] === 'detached',
  );
  expect(stopped).toBeDefined();
  expect(detached).toBeDefined();
  expect(stopped!.t).toBeLessThan(reclaimed.t);
  expect(detached!.t).toBeLessThan(reclaimed.t);
  // Not stopped by the reclaim: the drain stopped it (the operator's UpdateService).
  expect(stopped!['stopCode']).not.toBe('SpotInterruption');
  tasks = (await eventually(healthy, 'the member back on a replacement', 150_000, 200))!;
  expect(await volumeOf(leaderMember)).toMatchObject({ zone: zoneOf[leaderMember], state: 'attached' });
  expect(await instanceOf(tasks.get(leaderMember)!)).not.toBe(victim);
  expect(hookOutcomes(e.twin, victim)).not.toContain('heartbeat-timeout:ABANDON');
  expect(abandonedHooks(e.twin)).toEqual([]);
  expect(quorumViolations(e.twin, NAME, 3)).toEqual([]);
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
  const reasons = e.lines.map((l) => (JSON.parse(l) as { reason?: string }).reason);
  expect(reasons).toContain('UrgentDrain');
}, 400_000);

it('(c) drains an instance with a secondary: DRAINING, the task rescheduled, the hook completed', async () => {
  const tasks = await runningTasks();
  const sec = tasks.find((t) => t.group === `service:${NAME}-secondaries`)!;
  const victim = await instanceOf(sec);
  const from = lastSeq(e.twin);
  await e.clients.autoscaling.send(
    new TerminateInstanceInAutoScalingGroupCommand({
      InstanceId: victim,
      ShouldDecrementDesiredCapacity: false,
    }),
  );
  await eventually(() => hookOutcomes(e.twin, victim).length > 0, 'the hook ended', 150_000, 200);
  expect(hookOutcomes(e.twin, victim)).toEqual(['completed:CONTINUE']);
  const evs = world().filter((x) => x.seq > from);
  expect(evs.some((x) => x.kind === 'ecs.containerInstance.state' && x['to'] === 'DRAINING')).toBe(true);
  await eventually(healthy, 'two secondaries running again', 150_000, 200);
  const again = (await runningTasks()).filter((t) => t.group === `service:${NAME}-secondaries`);
  for (const t of again) expect(await instanceOf(t)).not.toBe(victim);
  expect(abandonedHooks(e.twin)).toEqual([]);
  expect(quorumViolations(e.twin, NAME, 3)).toEqual([]);
}, 300_000);
