/**
 * Leadership and quorum, shared by the roll (src/reconcilers/roll) and the drain: pure helpers over
 * the Neo4j observation (src/neo4j/observe.ts). No I/O, no clock; elapsed time comes from the caller.
 *
 * - `memberServer`: a member's running task → its Bolt address → its probed member view and SHOW
 *   SERVERS row (or why not).
 * - `leadershipsOf`: the databases a server leads (user databases and `system`).
 * - `quorumWithout`: whether stopping a server keeps a majority of every database's primaries up.
 * - `clusterGate`: Neo4j's rolling gate (all primaries Enabled and Available, hosting settled, every
 *   database copy in its requested status, every member answering), one blocked hold per problem.
 * - `planLeadershipMove`: before stopping a server that leads databases, set
 *   `server.databases.default_to_read_only` on it (Neo4j then moves its user-database leaderships away),
 *   wait for them to move up to a bound, then accept one election per database still led. The `system`
 *   database never becomes read-only, so its leadership is always one election, and is said so.
 * - `planClearReadOnly`: a read-only flag left on a member nobody is moving leaderships off (a
 *   controller restarted mid-move, a roll reverted) is cleared.
 *
 * The executor of MoveLeaderships / ClearReadOnly is src/reconcilers/leadership-executor.ts.
 */
import type {
  ObservedCluster,
  ObservedNeo4jCopy,
  ObservedNeo4jMember,
  ObservedNeo4jServer,
  ObservedTask,
} from '../model/observed.js';
import type { Action, Hold, Step } from './types.js';

/** How long a blocked or waiting leadership/gate hold asks the loop to wait before looking again. */
export const LEADERSHIP_RECHECK_MS = 5_000;

export const SYSTEM_DATABASE = 'system';

type Obs = Pick<ObservedCluster, 'tasks' | 'neo4j'>;

/** host:port of a task address (host, or host:port): Bolt listens on 7687 unless the address says otherwise. */
export function boltAddress(address: string): string {
  return address.includes(':') ? address : `${address}:7687`;
}

export interface MemberServer {
  task: ObservedTask;
  /** host:port of the member's Bolt. */
  address: string;
  /** The probed member at that address. */
  view: ObservedNeo4jMember;
  serverId: string;
  /** Its SHOW SERVERS row. */
  server?: ObservedNeo4jServer;
}

/** Tasks of a service that run and are meant to run. */
export function runningTasks(observed: Pick<ObservedCluster, 'tasks'>, service: string): ObservedTask[] {
  return observed.tasks
    .filter(
      (t) => t.group === `service:${service}` && t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING',
    )
    .sort((a, b) => (a.taskArn < b.taskArn ? -1 : 1));
}

/** The probed member and server row at a task's address, or why there is none. */
export function taskServer(observed: Obs, task: ObservedTask): MemberServer | { why: string } {
  if (task.address === undefined) return { why: `task ${task.taskArn} has no address yet` };
  const address = boltAddress(task.address);
  const n = observed.neo4j;
  if (!n?.members) return { why: 'Neo4j was not observed in this pass' };
  const view = n.members.find((m) => m.address === address);
  if (!view) return { why: `no member was probed at ${address}` };
  if (!view.reachable) return { why: `the member at ${address} does not answer over Bolt` };
  if (view.serverId === undefined) return { why: `the member at ${address} has no server id yet` };
  const server = n.servers?.find((s) => s.id === view.serverId);
  return { task, address, view, serverId: view.serverId, ...(server ? { server } : {}) };
}

/** A member's (one service, e.g. `graph-primary-1`) running task, its address, member view and server row. */
export function memberServer(observed: Obs, member: string): MemberServer | { why: string } {
  const task = runningTasks(observed, member)[0];
  if (!task) return { why: `${member} has no running task` };
  return taskServer(observed, task);
}

export function isLocated(x: MemberServer | { why: string }): x is MemberServer {
  return 'serverId' in x;
}

/** Databases the server leads now (system included), sorted. */
export function leadershipsOf(observed: Pick<ObservedCluster, 'neo4j'>, serverId: string): string[] {
  return (observed.neo4j?.databaseViews ?? [])
    .filter((d) => d.leaderServerId === serverId)
    .map((d) => d.name)
    .sort();
}

function available(observed: Pick<ObservedCluster, 'neo4j'>, serverId: string | null): boolean {
  if (serverId === null) return false;
  const s = observed.neo4j?.servers?.find((x) => x.id === serverId);
  return s?.health === 'Available';
}

const up = (observed: Pick<ObservedCluster, 'neo4j'>, c: ObservedNeo4jCopy): boolean =>
  c.currentStatus === 'online' && available(observed, c.serverId);

/**
 * Whether stopping `serverId` keeps a majority of every database's primaries up: per database, the
 * allocated primaries (including unavailable ones) against those online on an Available server, the
 * candidate not counted. `atRisk` names the databases that would lose their majority.
 */
export function quorumWithout(
  observed: Pick<ObservedCluster, 'neo4j'>,
  serverId: string,
): { ok: boolean; atRisk: string[] } {
  const atRisk: string[] = [];
  for (const d of observed.neo4j?.databaseViews ?? []) {
    const voters = new Set(d.primaries.map((c) => c.serverId ?? `?${c.address ?? ''}`)).size;
    const remaining = new Set(
      d.primaries.filter((c) => c.serverId !== serverId && up(observed, c)).map((c) => c.serverId),
    ).size;
    if (voters > 0 && remaining < Math.floor(voters / 2) + 1) atRisk.push(d.name);
  }
  const unknown = observed.neo4j?.databaseViews === undefined;
  return { ok: !unknown && atRisk.length === 0, atRisk: atRisk.sort() };
}

const blocked = (reason: string, message: string): Hold => ({
  kind: 'blocked',
  reason,
  message,
  requeueAfterMs: LEADERSHIP_RECHECK_MS,
});

/**
 * Neo4j's rolling gate (neo4j-ops.md §4.2, plus ours): every member answers; every primary server is
 * Enabled and Available; no server with requestedHosting ≠ hosting; every database copy in its
 * requested status. One blocked hold per kind of problem (empty when the cluster may take a step).
 */
export function clusterGate(observed: Pick<ObservedCluster, 'neo4j'>): Hold[] {
  const n = observed.neo4j;
  if (!n?.members || !n.gate || !n.databaseViews)
    return [blocked('Neo4jNotObserved', 'the members were not observed over Bolt in this pass')];
  const holds: Hold[] = [];
  const unreachable = n.members.filter((m) => !m.reachable).map((m) => m.address);
  if (unreachable.length > 0 || (n.unreachable ?? []).length > 0)
    holds.push(
      blocked(
        'MembersUnreachable',
        `not answering over Bolt: ${[...new Set([...unreachable, ...(n.unreachable ?? [])])].sort().join(', ')}`,
      ),
    );
  if (!n.gate.evaluated) {
    holds.push(
      blocked('Neo4jNotObserved', `the health gate could not be read: ${n.gate.reasons.join('; ')}`),
    );
    return holds;
  }
  const primaryIds = new Set(
    n.databaseViews.flatMap((d) => d.primaries.map((c) => c.serverId)).filter((x): x is string => x !== null),
  );
  const notAvailable = (n.servers ?? []).filter(
    (s) =>
      (primaryIds.has(s.id) || s.modeConstraint === 'PRIMARY') &&
      !['Dropped', 'Deallocated'].includes(s.state) &&
      (s.state !== 'Enabled' || s.health !== 'Available'),
  );
  if (notAvailable.length > 0)
    holds.push(
      blocked(
        'ServerNotAvailable',
        `primary servers not Enabled and Available: ${notAvailable.map((s) => `${s.name ?? s.id} (${s.state}, ${s.health ?? 'health unknown'})`).join(', ')}`,
      ),
    );
  const hosting = n.gate.reasons.filter((r) => r.startsWith('server '));
  if (hosting.length > 0) holds.push(blocked('HostingNotSettled', hosting.join('; ')));
  const dbs = n.gate.reasons.filter((r) => r.startsWith('database '));
  if (dbs.length > 0) holds.push(blocked('DatabaseNotSettled', dbs.join('; ')));
  if (!n.gate.ok && hosting.length === 0 && dbs.length === 0)
    holds.push(blocked('DatabaseNotSettled', n.gate.reasons.join('; ') || 'the health gate is not ok'));
  return holds;
}

/** Sets or clears `server.databases.default_to_read_only` on one member (over its own Bolt address). */
export interface LeadershipAction extends Action {
  type: 'MoveLeaderships' | 'ClearReadOnly';
  member: string;
  /** host:port of the member's Bolt. */
  address: string;
}

export interface LeadershipMoveOptions {
  /** spec.upgrade.leadershipTransfer (or the drain's choice): false accepts one election per database. */
  allowed: boolean;
  /** How long to wait for the leaderships to move once read-only is set. */
  transferTimeoutMs: number;
  /** Since the caller first set read-only on this member for this target (0 when not started). */
  elapsedMs: number;
}

export interface LeadershipMovePlan {
  /** MoveLeaderships, then a LeadershipTransferInProgress wait; or a LeadershipTransferTimedOut warning. */
  steps: Step<LeadershipAction>[];
  /** True when the member may be stopped now. */
  ready: boolean;
  /** Databases whose leadership the stop costs one election each (system always; user databases not moved). */
  elections: string[];
  /** For the stop's event: "hosts leaderships: …; accepting one election for …". */
  note: string;
}

/**
 * What to do before stopping `member`: nothing when it leads nothing; otherwise move the user-database
 * leaderships away (read-only lever) and wait up to the bound, or accept one election per database
 * when not allowed or timed out. The member is resolved with `memberServer`; a member that does not
 * run holds no leadership.
 */
export function planLeadershipMove(
  observed: Obs,
  member: string,
  opts: LeadershipMoveOptions,
): LeadershipMovePlan {
  const at = memberServer(observed, member);
  if (!isLocated(at)) return { steps: [], ready: true, elections: [], note: 'hosts leaderships: none' };
  const leads = leadershipsOf(observed, at.serverId);
  const user = leads.filter((d) => d !== SYSTEM_DATABASE);
  const system = leads.includes(SYSTEM_DATABASE) ? [SYSTEM_DATABASE] : [];
  const hosts = `hosts leaderships: ${leads.length > 0 ? leads.join(', ') : 'none'}`;
  const accept = (dbs: string[], why: string): string =>
    dbs.length > 0 ? `${hosts}; accepting one election for ${dbs.join(', ')} (${why})` : hosts;
  const systemWhy = 'the system database cannot be made read-only';
  if (user.length === 0)
    return { steps: [], ready: true, elections: system, note: accept(system, systemWhy) };
  if (!opts.allowed)
    return {
      steps: [],
      ready: true,
      elections: leads,
      note: accept(leads, 'leadership transfer is off in spec.upgrade.leadershipTransfer'),
    };
  const wait: Hold = {
    kind: 'wait',
    reason: 'LeadershipTransferInProgress',
    message: `${member} is read-only; waiting for its leaderships of ${user.join(', ')} to move (${Math.round(opts.elapsedMs / 1000)}s of ${Math.round(opts.transferTimeoutMs / 1000)}s)`,
    member,
    requeueAfterMs: Math.min(LEADERSHIP_RECHECK_MS, Math.max(1, opts.transferTimeoutMs - opts.elapsedMs)),
  };
  if (at.view.readOnly !== true)
    return {
      steps: [
        {
          kind: 'act',
          type: 'MoveLeaderships',
          reason: 'MemberHostsLeaderships',
          message: `${member} leads ${user.join(', ')}: setting server.databases.default_to_read_only so Neo4j moves those leaderships away before it stops`,
          member,
          address: at.address,
        },
        { ...wait, message: wait.message.replace(/ \(.*\)$/, '') },
      ],
      ready: false,
      elections: [],
      note: hosts,
    };
  if (opts.elapsedMs < opts.transferTimeoutMs)
    return { steps: [wait], ready: false, elections: [], note: hosts };
  const elections = [...user, ...system];
  return {
    steps: [
      {
        kind: 'refused',
        reason: 'LeadershipTransferTimedOut',
        message: `${member} still leads ${user.join(', ')} after ${Math.round(opts.transferTimeoutMs / 1000)}s read-only: stopping it anyway, accepting one election for ${elections.join(', ')}`,
        member,
      },
    ],
    ready: true,
    elections,
    note: accept(elections, 'the leadership transfer timed out'),
  };
}

/**
 * ClearReadOnly for each of `members` whose running member is read-only and is not in `keep` (the
 * member the roll is moving leaderships off now, and members the drain is working on).
 */
export function planClearReadOnly(
  observed: Obs,
  members: readonly string[],
  keep: ReadonlySet<string>,
): LeadershipAction[] {
  const out: LeadershipAction[] = [];
  for (const member of members) {
    if (keep.has(member)) continue;
    const at = memberServer(observed, member);
    if (!isLocated(at) || at.view.readOnly !== true) continue;
    out.push({
      kind: 'act',
      type: 'ClearReadOnly',
      reason: 'ReadOnlyLeftOver',
      message: `${member} is still read-only (server.databases.default_to_read_only) but is not being stopped: clearing it`,
      member,
      address: at.address,
    });
  }
  return out;
}
