/**
 * The figures of the roll benchmark (bench/roll.ts), computed from what the twin recorded: its world
 * log (leader elections, member starts and stops, databases coming online, ECS task events), the
 * workload's write samples (twin/neo4j/workload.ts) and its call log. Pure: no I/O and no clock, so
 * test/bench/roll-figures.test.ts checks them on a small synthetic log.
 *
 * A member is a Neo4j server identity (its server id, kept on its volume), so a member replaced by a
 * new task on its own volume is the same member. Its tasks are linked to it by address: the ECS task
 * events carry the task's address and `neo4j.member.started` the member's `host:port`.
 */
import type { WorkloadSample } from '../twin/neo4j/workload.js';
import { summarise } from '../twin/neo4j/workload.js';

/** A world-log event (twin/core/world-log.ts `WorldEvent`). */
export interface WorldEventLike {
  t: number;
  seq: number;
  kind: string;
  [field: string]: unknown;
}

/** A call-log record (twin/aws/call-log.ts `CallRecord`): the fields the figures read. */
export interface CallLike {
  t: number;
  service: string;
  operation: string;
  userAgent?: string;
}

export interface Interval {
  from: number;
  to: number;
}

/** One member's restart in the roll: from its old task's stop to its copies online on the new version. */
export interface MemberRestart {
  serverId: string;
  /** The member's name in the world log at its new start (the task's name when it has none of its own). */
  member: string;
  /** When its old task was asked to stop (`ecs.task.stopping`), else when its process left. */
  stopAt: number | null;
  /** User and system databases it led when its task was asked to stop. */
  ledAtStop: string[];
  /** Its last start, if it is on the new version. */
  startedAt: number | null;
  /** When every database it hosted before the roll was online again after that start. */
  caughtUpAt: number | null;
}

export interface RollFigures {
  from: number;
  to: number;
  /** Leader elections per database in the window. */
  leadershipChanges: Record<string, number>;
  /** Virtual seconds per database with no leader, from the world log (lost → next elected). */
  leaderlessSeconds: Record<string, number>;
  /** Virtual seconds per workload database from a failed write to the next successful one. */
  unwritableSeconds: Record<string, number>;
  /** Write attempts and failed writes per workload database in the window. */
  writes: Record<string, { attempts: number; failed: number }>;
  /** The members running when the window opened, in the order their old tasks were stopped. */
  restarts: MemberRestart[];
  /** Every member running at the start is on the new version and caught up. */
  complete: boolean;
  /** Virtual seconds from the change until the last member caught up (null when not complete). */
  totalSeconds: number | null;
  /** Sum over members of restart + catch-up (stop → caught up): the lower bound of a one-at-a-time roll. */
  lowerBoundSeconds: number | null;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const hostOf = (address: string): string => address.replace(/:\d+$/, '');

/** Leader per database after replaying `neo4j.leader.elected/lost` events up to and including time `at`. */
export function leadersAt(events: readonly WorldEventLike[], at: number): Map<string, string> {
  const leaders = new Map<string, string>();
  for (const e of events) {
    if (e.t > at) break;
    const db = str(e['db']);
    if (db === undefined) continue;
    if (e.kind === 'neo4j.leader.elected') {
      const id = str(e['serverId']);
      if (id !== undefined) leaders.set(db, id);
    } else if (e.kind === 'neo4j.leader.lost') leaders.delete(db);
  }
  return leaders;
}

/** Leader elections per database in [from, to]; every database in `databases` is listed. */
export function leadershipChanges(
  events: readonly WorldEventLike[],
  databases: readonly string[],
  from: number,
  to: number,
): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(databases.map((d) => [d, 0]));
  for (const e of events) {
    if (e.kind !== 'neo4j.leader.elected' || e.t < from || e.t > to) continue;
    const db = str(e['db']);
    if (db !== undefined) out[db] = (out[db] ?? 0) + 1;
  }
  return out;
}

/** Per database, the intervals within [from, to] during which it had no leader (world log). */
export function leaderlessIntervals(
  events: readonly WorldEventLike[],
  databases: readonly string[],
  from: number,
  to: number,
): Record<string, Interval[]> {
  const atStart = leadersAt(
    events.filter((e) => e.t < from),
    from,
  );
  const out: Record<string, Interval[]> = {};
  for (const db of databases) {
    const list: Interval[] = [];
    let openSince: number | null = atStart.has(db) ? null : from;
    for (const e of events) {
      if (e.t < from || e.t > to || e['db'] !== db) continue;
      if (e.kind === 'neo4j.leader.lost' && openSince === null) openSince = e.t;
      else if (e.kind === 'neo4j.leader.elected' && openSince !== null) {
        list.push({ from: openSince, to: e.t });
        openSince = null;
      }
    }
    if (openSince !== null) list.push({ from: openSince, to });
    out[db] = list;
  }
  return out;
}

const seconds = (intervals: readonly Interval[]): number =>
  intervals.reduce((a, i) => a + (i.to - i.from), 0) / 1000;

/** The members (server ids) whose process was running at time `at`, with their last start before it. */
function runningAt(events: readonly WorldEventLike[], at: number): Map<string, WorldEventLike> {
  const running = new Map<string, WorldEventLike>();
  for (const e of events) {
    if (e.t > at) break;
    const id = str(e['serverId']);
    if (id === undefined) continue;
    if (e.kind === 'neo4j.member.started') running.set(id, e);
    else if (e.kind === 'neo4j.member.left' || e.kind === 'neo4j.member.stopped') running.delete(id);
  }
  return running;
}

/** The databases `serverId` had online at `at` (online and not deallocated since). */
function hostedAt(events: readonly WorldEventLike[], serverId: string, at: number): Set<string> {
  const hosted = new Set<string>();
  for (const e of events) {
    if (e.t > at) break;
    const db = str(e['db']);
    if (db === undefined || e['serverId'] !== serverId) continue;
    if (e.kind === 'neo4j.database.online') hosted.add(db);
    else if (e.kind === 'neo4j.database.deallocated') hosted.delete(db);
  }
  return hosted;
}

/** When every database of `hosted` was online on `serverId` after `start`, or null if one never was. */
function caughtUp(
  events: readonly WorldEventLike[],
  serverId: string,
  hosted: ReadonlySet<string>,
  start: WorldEventLike,
): number | null {
  let last = start.t;
  for (const db of hosted) {
    const online = events.find(
      (e) =>
        e.kind === 'neo4j.database.online' &&
        e['serverId'] === serverId &&
        e['db'] === db &&
        e.seq > start.seq,
    );
    if (online === undefined) return null;
    last = Math.max(last, online.t);
  }
  return last;
}

/** Task ARN → address, from the ECS task events (every one carries both). */
function taskAddresses(events: readonly WorldEventLike[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of events) {
    const arn = str(e['taskArn']);
    const address = str(e['address']);
    if (arn !== undefined && address !== undefined && e.kind.startsWith('ecs.task.')) out.set(arn, address);
  }
  return out;
}

/**
 * When, in [from, until], the task on `host` was last asked to stop; without a task on that address
 * (a member outside ECS), when the member's process last left.
 */
function stopTime(
  events: readonly WorldEventLike[],
  o: { taskAddress: Map<string, string>; serverId: string; host: string; from: number; until: number },
): number | null {
  let stop: number | null = null;
  let left: number | null = null;
  for (const e of events) {
    if (e.t < o.from || e.t > o.until) continue;
    if (e.kind === 'ecs.task.stopping') {
      const address = o.taskAddress.get(str(e['taskArn']) ?? '');
      if (address !== undefined && hostOf(address) === o.host) stop = e.t;
    } else if (e.kind === 'neo4j.member.left' && e['serverId'] === o.serverId) left = e.t;
  }
  return stop ?? left;
}

/**
 * Each member running at `from`: when its old task was asked to stop, which leaderships it held then,
 * when it started on `newVersion` and when its databases were all online again. Ordered by stop time
 * (members never stopped last).
 */
export function memberRestarts(
  events: readonly WorldEventLike[],
  from: number,
  newVersion: string,
): MemberRestart[] {
  const members = runningAt(events, from);
  const taskAddress = taskAddresses(events);
  const out: MemberRestart[] = [];
  for (const [serverId, before] of members) {
    const hosted = hostedAt(events, serverId, from);
    const starts = events.filter(
      (e) => e.kind === 'neo4j.member.started' && e['serverId'] === serverId && e.t >= from,
    );
    const last = starts.at(-1);
    const onNew = last !== undefined && last['version'] === newVersion ? last : undefined;
    // The start before the new one: the process that was stopped for it.
    const previous =
      onNew === undefined
        ? undefined
        : ([before, ...starts].filter((e) => e.seq < onNew.seq).at(-1) ?? before);
    const until = onNew?.t ?? Number.POSITIVE_INFINITY;
    const prevHost = hostOf(str(previous?.['address'] ?? before['address']) ?? '');
    const stopAt = stopTime(events, { taskAddress, serverId, host: prevHost, from, until });
    const caughtUpAt = onNew === undefined ? null : caughtUp(events, serverId, hosted, onNew);
    const led = stopAt === null ? [] : [...leadersAt(events, stopAt)].filter(([, id]) => id === serverId);
    out.push({
      serverId,
      member: str(onNew?.['member'] ?? before['member']) ?? serverId,
      stopAt,
      ledAtStop: led.map(([db]) => db).sort(),
      startedAt: onNew?.t ?? null,
      caughtUpAt,
    });
  }
  return out.sort((a, b) => (a.stopAt ?? Infinity) - (b.stopAt ?? Infinity));
}

/** Calls in [from, to] that `mine` accepts, by `service:operation` (CloudWatch under its client name). */
export function callsByOperation(
  calls: readonly CallLike[],
  from: number,
  to: number,
  mine: (c: CallLike) => boolean,
): { total: number; byOperation: Record<string, number> } {
  const byOperation: Record<string, number> = {};
  let total = 0;
  for (const c of calls) {
    if (c.t < from || c.t > to || !mine(c)) continue;
    const k = `${c.service === 'monitoring' ? 'cloudwatch' : c.service}:${c.operation}`;
    byOperation[k] = (byOperation[k] ?? 0) + 1;
    total++;
  }
  return { total, byOperation };
}

export interface RollFigureInput {
  events: readonly WorldEventLike[];
  samples: readonly WorkloadSample[];
  /** Every database (system included) for the leader figures. */
  databases: readonly string[];
  /** The databases the workload writes to. */
  workloadDatabases: readonly string[];
  /** The change (virtual ms) and the end of the window. */
  from: number;
  to: number;
  newVersion: string;
}

export function rollFigures(i: RollFigureInput): RollFigures {
  const restarts = memberRestarts(i.events, i.from, i.newVersion);
  const complete =
    restarts.length > 0 && restarts.every((r) => r.caughtUpAt !== null && r.caughtUpAt <= i.to);
  const leaderless = leaderlessIntervals(i.events, i.databases, i.from, i.to);
  const workload = summarise(
    i.samples.filter((s) => s.t >= i.from && s.t <= i.to),
    [...i.workloadDatabases],
    i.from,
    i.to,
  );
  const unwritableSeconds: Record<string, number> = {};
  const writes: Record<string, { attempts: number; failed: number }> = {};
  for (const db of i.workloadDatabases) {
    const a = workload.databases[db];
    unwritableSeconds[db] = seconds((a?.outages ?? []).map((o) => ({ from: o.from, to: o.to ?? i.to })));
    writes[db] = { attempts: a?.attempts ?? 0, failed: (a?.attempts ?? 0) - (a?.successes ?? 0) };
  }
  return {
    from: i.from,
    to: i.to,
    leadershipChanges: leadershipChanges(i.events, i.databases, i.from, i.to),
    leaderlessSeconds: Object.fromEntries(Object.entries(leaderless).map(([db, l]) => [db, seconds(l)])),
    unwritableSeconds,
    writes,
    restarts,
    complete,
    totalSeconds: complete ? (Math.max(...restarts.map((r) => r.caughtUpAt ?? 0)) - i.from) / 1000 : null,
    lowerBoundSeconds: complete
      ? restarts.reduce((a, r) => a + ((r.caughtUpAt ?? 0) - (r.stopAt ?? r.startedAt ?? 0)), 0) / 1000
      : null,
  };
}
