/**
 * End to end on the twin (issue 6): a lost AZ is reported as Degraded naming the members pinned there,
 * and the operator does not move their volumes out of it. examples/minimal.yaml comes up Ready; the
 * twin fails us-east-1b (its instances are impaired, their agents disconnect, no launches there); the
 * status turns Degraded naming graph-minimal-primary-2 (and only it), and stays so after the ASG has
 * terminated the impaired instance (EC2's AZ state tells), while the two other primaries keep a leader
 * for every database; then the AZ is restored and the cluster returns to Ready with
 * primary 2 on its own volume again. Over the whole run (world log and call log): no volume was ever
 * attached outside its AZ, the operator never detached the lost AZ's volume, and the other topology
 * invariants held.
 */
import { DescribeInstancesCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import type { Task } from '@aws-sdk/client-ecs';
import type { ClusterStatus } from '../../src/model/status.js';
import { probeCluster } from '../../src/neo4j/probe.js';
import { OPERATOR_USER_AGENT } from '../helpers/iam.js';
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
const LOST = 'us-east-1b';
const members = [1, 2, 3].map((n) => `${NAME}-primary-${n}`);
const lostMember = members[1]!;
const others = [members[0]!, members[2]!];
let e: E2e;

const status = (): Promise<ClusterStatus | undefined> => clusterStatus(e, NAME);

const runningTasks = (): Promise<Task[]> => ecsRunningTasks(e, ECS);

const address = (t: Task): string => `bolt://${taskBoltAddress(t)}`;

/** The given members each run one task, and between them Neo4j has a leader for every database. */
async function upWithLeaders(names: readonly string[]): Promise<Task[] | undefined> {
  const tasks = await runningTasks();
  const mine = names.map((m) => tasks.filter((t) => t.group === `service:${m}`));
  if (mine.some((ts) => ts.length !== 1)) return undefined;
  const view = await probeCluster(
    mine.map((ts) => address(ts[0]!)),
    { user: 'neo4j', password: PASSWORD },
    { timeoutMs: 2000 },
  );
  const leaders = Object.values(view.leaders);
  return leaders.length >= 2 && leaders.every((l) => l !== null) ? mine.map((ts) => ts[0]!) : undefined;
}

async function lostVolumeId(): Promise<string> {
  const vols =
    (
      await e.clients.ec2.send(
        new DescribeVolumesCommand({ Filters: [{ Name: 'tag:neo4j-ecs:member', Values: [lostMember] }] }),
      )
    ).Volumes ?? [];
  expect(vols).toHaveLength(1);
  expect(vols[0]?.AvailabilityZone).toBe(LOST);
  return vols[0]!.VolumeId!;
}

beforeAll(async () => {
  e = await startE2e(exampleText('minimal.yaml'), { seed: 23 });
}, 60_000);

afterAll(async () => {
  await e?.stop();
}, 30_000);

it('reports a lost AZ as Degraded naming its members, keeps the others up, never moves its volume, and recovers when the AZ returns', async () => {
  await eventually(() => upWithLeaders(members), 'three primaries with leaders', 90_000);
  await eventually(async () => (await status())?.phase === 'Ready', 'phase Ready', 60_000);
  const volumeId = await lostVolumeId();
  const failedAt = e.twin.calls.lastSeq();

  await e.twin.control('failAz', { az: LOST });
  const degraded = await eventually(
    async () => {
      const st = await status();
      return st?.phase === 'Degraded' ? st : undefined;
    },
    'phase Degraded',
    90_000,
  );
  const cond = degraded.conditions.find((c) => c.type === 'Degraded');
  expect(cond).toMatchObject({ status: 'True', reason: 'ZoneUnavailable' });
  expect(cond?.message).toContain(LOST);
  expect(cond?.message).toContain(lostMember);
  for (const m of others) expect(cond?.message).not.toContain(m);
  // The members of the other AZs stay up, with a leader for every database between them.
  await eventually(() => upWithLeaders(others), 'the two other primaries up with leaders', 60_000);
  // It stays Degraded (not Progressing towards a move) while the AZ is down, also once the ASG has
  // terminated the impaired instance and no container instance is left there: then EC2's own state
  // of the AZ says it is lost.
  const phases = new Set<string>();
  const later = await eventually(
    async () => {
      const st = await status();
      if (st) phases.add(st.phase);
      const c = st?.conditions.find((x) => x.type === 'Degraded');
      return c?.reason === 'ZoneUnavailable' && c.message.includes(`${LOST} is impaired (EC2)`)
        ? c
        : undefined;
    },
    'Degraded by the AZ state once its instance is gone',
    90_000,
  );
  expect(later.message).toContain(lostMember);
  expect(
    await e.clients.ec2
      .send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'availability-zone', Values: [LOST] },
            { Name: 'instance-state-name', Values: ['pending', 'running'] },
          ],
        }),
      )
      .then((r) => r.Reservations?.flatMap((x) => x.Instances ?? []) ?? []),
  ).toEqual([]);
  expect([...phases]).toEqual(['Degraded']);
  expect(await lostVolumeId()).toBe(volumeId);

  await e.twin.control('restoreAz', { az: LOST });
  await eventually(() => upWithLeaders(members), 'three primaries with leaders again', 120_000);
  const ready = await eventually(
    async () => {
      const st = await status();
      return st?.phase === 'Ready' ? st : undefined;
    },
    'phase Ready again',
    90_000,
  );
  expect(ready.members.find((m) => m.name === lostMember)).toMatchObject({ zone: LOST, volumeId });
  expect(await lostVolumeId()).toBe(volumeId);

  // Over the whole run: the operator never detached the lost AZ's volume while the AZ was down or
  // after, nor created another volume for its member; no volume was attached outside its AZ.
  const operatorCalls = e.twin.calls
    .list({ sinceSeq: failedAt })
    .filter((r) => (r.userAgent ?? '').includes(OPERATOR_USER_AGENT));
  const detaches = operatorCalls.filter((r) => r.operation === 'DetachVolume');
  expect(detaches.filter((r) => JSON.stringify(r.params).includes(volumeId))).toEqual([]);
  expect(operatorCalls.filter((r) => r.operation === 'CreateVolume')).toEqual([]);
  const attachedElsewhere = (e.twin.world.list() as Record<string, unknown>[]).filter(
    (ev) =>
      ev['kind'] === 'ebs.attachment.state' &&
      ev['volumeId'] === volumeId &&
      ev['to'] === 'attached' &&
      ev['instanceAz'] !== LOST,
  );
  expect(attachedElsewhere).toEqual([]);
  expect(topologyViolations(e.twin, NAME)).toEqual([]);
}, 420_000);
