/**
 * Helpers of the roll end-to-end suites: a 3 primaries + 2 secondaries spec (examples/minimal.yaml
 * with secondaries), the cluster brought up with two user databases, spec edits in S3, and the roll's
 * invariants read from the twin's world log over the whole run.
 */
import type { Task } from '@aws-sdk/client-ecs';
import { withSecretArn } from '../../src/demo/spec.js';
import type { ClusterStatus } from '../../src/model/status.js';
import { setDefaultToReadOnly } from '../../src/neo4j/admin.js';
import { MemberConnection } from '../../src/neo4j/connection.js';
import { probeCluster } from '../../src/neo4j/probe.js';
import type { ClusterView } from '../../src/neo4j/types.js';
import type { E2e } from './helpers.js';
import {
  BUCKET,
  PASSWORD,
  clusterStatus,
  ecsRunningTasks,
  eventually,
  exampleText,
  taskBoltAddress,
} from './helpers.js';

export const NAME = 'graph-minimal';
export const ECS = 'neo4j-minimal';
export const PRIMARIES = [1, 2, 3].map((n) => `${NAME}-primary-${n}`);
export const SECONDARIES = `${NAME}-secondaries`;
export const USER_DATABASES = ['movies', 'social'];
const AUTH = { user: 'neo4j', password: PASSWORD };

/** examples/minimal.yaml with 2 secondaries, two user databases, `version` and upgrade settings. */
export function rollSpec(version = '5.26.12', upgrade: Record<string, string | boolean> = {}): string {
  let text = exampleText('minimal.yaml')
    .replace("version: '5.26.12'", `version: '${version}'`)
    .replace('databases: [movies]', `databases: [${USER_DATABASES.join(', ')}]`)
    .replace('  ecs:\n', '  secondaries:\n    count: 2\n    zones: [us-east-1a, us-east-1b]\n  ecs:\n')
    .replace(
      '      us-east-1c: neo4j-minimal-primary-c\n',
      '      us-east-1c: neo4j-minimal-primary-c\n    secondaryAutoScalingGroup: neo4j-minimal-secondaries\n',
    );
  const u = { pauseBetweenSteps: '5s', leadershipTransferTimeout: '1m', ...upgrade };
  text += `  upgrade:\n${Object.entries(u)
    .map(([k, v]) => `    ${k}: ${typeof v === 'string' ? `'${v}'` : String(v)}`)
    .join('\n')}\n`;
  return text;
}

export async function putSpec(e: E2e, text: string): Promise<number> {
  const at = e.twin.clock.now();
  await e.store.put(BUCKET, e.specKey, withSecretArn(text, e.secretArn));
  return at;
}

export const status = (e: E2e): Promise<ClusterStatus | undefined> => clusterStatus(e, NAME);

export const runningTasks = (e: E2e): Promise<Task[]> => ecsRunningTasks(e, ECS);

const boltOf = (t: Task): string => `bolt://${taskBoltAddress(t)}`;

/** The cluster as Bolt sees it when 3 primaries and 2 secondaries run, every server Enabled, every database led; else undefined. */
export async function settledView(e: E2e, databases = 2): Promise<ClusterView | undefined> {
  const tasks = await runningTasks(e);
  if (PRIMARIES.some((m) => tasks.filter((t) => t.group === `service:${m}`).length !== 1)) return undefined;
  if (tasks.filter((t) => t.group === `service:${SECONDARIES}`).length !== 2) return undefined;
  const view = await probeCluster(tasks.map(boltOf), AUTH, { timeoutMs: 2000 });
  const live = view.servers.filter((s) => s.health === 'Available' && s.state === 'Enabled');
  if (live.length !== 5) return undefined;
  if (Object.keys(view.leaders).length !== 2 + databases) return undefined;
  if (!Object.values(view.leaders).every((l) => l !== null) || !view.healthGate.ok) return undefined;
  return view;
}

/** Brings the cluster up, creates the two user databases (3 primaries, 2 secondaries each) and waits for Ready. */
export async function bringUp(e: E2e, opts: { oneLeaderless?: boolean } = {}): Promise<ClusterView> {
  await eventually(() => settledView(e, 0), '3 primaries and 2 secondaries, every server Enabled', 150_000);
  const tasks = await runningTasks(e);
  const primary = tasks.find((t) => t.group === `service:${PRIMARIES[0]}`) as Task;
  const conn = new MemberConnection(boltOf(primary), AUTH, { timeoutMs: 5000 });
  try {
    for (const db of USER_DATABASES)
      await conn.rows(`CREATE DATABASE ${db} IF NOT EXISTS TOPOLOGY 3 PRIMARIES 2 SECONDARIES`);
  } finally {
    await conn.close();
  }
  let view = await eventually(() => settledView(e), 'the user databases online and led', 60_000);
  if (opts.oneLeaderless) view = await leaveOneLeaderless(e, view);
  await eventually(async () => (await status(e))?.phase === 'Ready', 'phase Ready', 90_000);
  return view;
}

/**
 * Makes one primary lead nothing (test setup, with Neo4j's own lever): the primary leading the fewest
 * user databases and not `system` is made read-only until its leaderships have moved, then writable
 * again. With 4 databases over 3 primaries every primary leads one otherwise, and then the databases
 * of the first primary restarted must move twice (docs/roll.md).
 */
async function leaveOneLeaderless(e: E2e, view: ClusterView): Promise<ClusterView> {
  const tasks = await runningTasks(e);
  const leads = leadershipsByMember(view, tasks);
  const candidates = PRIMARIES.filter((m) => !(leads[m] ?? []).includes('system')).sort(
    (a, b) => (leads[a] ?? []).length - (leads[b] ?? []).length,
  );
  const member = candidates[0] as string;
  if ((leads[member] ?? []).length === 0) return view;
  const task = tasks.find((t) => t.group === `service:${member}`) as Task;
  const conn = new MemberConnection(boltOf(task), AUTH, { timeoutMs: 5000 });
  try {
    await setDefaultToReadOnly(conn, true);
    const moved = await eventually(
      async () => {
        const v = await settledView(e);
        return v && (leadershipsByMember(v, await runningTasks(e))[member] ?? []).length === 0
          ? v
          : undefined;
      },
      `${member}'s leaderships moved away`,
      60_000,
    );
    await setDefaultToReadOnly(conn, false);
    return moved;
  } finally {
    await conn.close();
  }
}

/** Member (service) name → databases it leads, from a view. */
export function leadershipsByMember(view: ClusterView, tasks: Task[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [db, leader] of Object.entries(view.leaders)) {
    const task = tasks.find((t) => leader !== null && boltOf(t).endsWith(`//${leader}`));
    const member = task?.group?.slice('service:'.length) ?? '?';
    out[member] = [...(out[member] ?? []), db].sort();
  }
  return out;
}

type Ev = Record<string, unknown> & { kind: string; t: number; seq: number };

export interface RollRecord {
  /** Primaries in the order their Neo4j process stopped after `since`. */
  primaryStops: string[];
  /** Leader elections per database after `since`. */
  elections: Record<string, number>;
  /** Violations of "a majority of every database's primaries online" at any event after `since`. */
  majorityLost: string[];
  /** Primaries started without a volume after `since` (secondaries have none by design). */
  noVolume: string[];
}

/**
 * The roll read from the world log from virtual time `since` on. Online primary copies are tracked
 * from `neo4j.database.online` (mode primary) and `neo4j.member.stopped`; at `since` every primary copy
 * of `databases` must be online (the cluster settled).
 */
export function rollRecord(e: E2e, since: number, databases: string[]): RollRecord {
  const events = e.twin.world.list() as Ev[];
  const online = new Map<string, Set<string>>(databases.map((d) => [d, new Set(PRIMARIES)]));
  const out: RollRecord = { primaryStops: [], elections: {}, majorityLost: [], noVolume: [] };
  const majority = Math.floor(PRIMARIES.length / 2) + 1;
  for (const ev of events) {
    if (ev.t < since) continue;
    const member = typeof ev['member'] === 'string' ? ev['member'] : '';
    if (ev.kind === 'neo4j.member.stopped' && PRIMARIES.includes(member)) {
      out.primaryStops.push(member);
      for (const set of online.values()) set.delete(member);
    }
    if (ev.kind === 'neo4j.database.online' && ev['mode'] === 'primary' && PRIMARIES.includes(member))
      online.get(String(ev['db']))?.add(member);
    if (ev.kind === 'neo4j.leader.elected') {
      const db = String(ev['db']);
      out.elections[db] = (out.elections[db] ?? 0) + 1;
    }
    if (ev.kind === 'neo4j.member.no-volume' && PRIMARIES.includes(member)) out.noVolume.push(member);
    for (const [db, set] of online)
      if (set.size < majority)
        out.majorityLost.push(`${db} had ${set.size} primaries online at seq ${ev.seq} (${ev.kind})`);
  }
  return out;
}

export interface EventLine {
  time: string;
  type: string;
  reason: string;
  message: string;
  action?: string;
  member?: string;
}

export const eventLines = (e: E2e): EventLine[] => e.lines.map((l) => JSON.parse(l) as EventLine);
