/**
 * probeCluster: connects to each seed member directly, reads version and edition, the cluster-wide
 * database roles and servers in the member's dialect, and assembles one {@link ClusterView}. A member
 * that cannot be reached, refuses the credentials, or runs Community Edition is recorded as such;
 * only bad input (no seeds, a malformed URL) throws.
 *
 * Store loss is reported when a member comes back as a new `Free` server while its previous identity
 * (same address) is still allocated and unavailable, which is what a real server does when it starts
 * without its data directory; or, given the server ids the caller expects (or a previous view), when
 * a member's server id or a database's id changed.
 */
import { MemberConnection, parseMemberUrl } from './connection.js';
import type { Credentials } from './connection.js';
import { readComponents, readMember } from './dialects.js';
import type { DatabaseRow, Dialect, MemberFacts, ServerRow } from './dialects.js';
import { ProbeError, classify } from './errors.js';
import { evaluateHealthGate } from './health-gate.js';
import type {
  ClusterView,
  DatabaseView,
  MemberDatabase,
  MemberView,
  ProbeProblem,
  StoreState,
} from './types.js';

export interface ProbeOptions {
  /** Bound on every call to a member, ms. Default 5000. */
  timeoutMs?: number;
  /** Server id each seed URL is expected to have (e.g. recorded on its volume's tags). */
  expectedServerIds?: Record<string, string>;
  /** The previous view of this cluster: changed server ids and database ids mean lost stores. */
  previous?: ClusterView;
  /** The clock for `probedAt` (epoch ms). Default: the wall clock. */
  now?: () => number;
}

interface Probed {
  member: MemberView;
  facts: MemberFacts | null;
}

async function probeOne(url: string, address: string, auth: Credentials, timeoutMs: number): Promise<Probed> {
  const member: MemberView = {
    url,
    address,
    reachable: false,
    roles: {},
    databases: {},
    caughtUp: null,
    healthy: false,
    store: { lost: false },
  };
  const conn = new MemberConnection(url, auth, { timeoutMs });
  try {
    const info = await conn.serverInfo();
    member.reachable = true;
    member.agent = info.agent;
    member.protocol = info.protocol;
    const components = await readComponents(conn);
    member.version = components.version;
    member.edition = components.edition;
    const facts = await readMember(conn, components);
    if (facts.readOnly !== null) member.readOnly = facts.readOnly;
    return { member, facts };
  } catch (e) {
    const err = classify(e, address, auth.user);
    member.error = err.toProblem();
    if (err.kind === 'auth') member.reachable = true;
    return { member, facts: null };
  } finally {
    await conn.close();
  }
}

function memberDatabases(
  rows: DatabaseRow[],
  address: string,
  serverId: string | undefined,
): Record<string, MemberDatabase> {
  const out: Record<string, MemberDatabase> = {};
  for (const r of rows) {
    const mine = serverId ? r.serverId === serverId : r.address === address;
    if (!mine) continue;
    out[r.name] = {
      role: r.role,
      currentStatus: r.currentStatus,
      requestedStatus: r.requestedStatus,
      statusMessage: r.statusMessage,
      lastCommittedTxn: r.lastCommittedTxn,
      replicationLag: r.replicationLag,
      databaseId: r.databaseId,
    };
  }
  return out;
}

function storeState(
  m: MemberView,
  servers: ServerRow[] | null,
  expected: string | undefined,
  previous: MemberView | undefined,
): StoreState {
  if (expected && m.serverId && expected !== m.serverId) {
    return {
      lost: true,
      reason: `server id is ${m.serverId}, expected ${expected}: the member started without its data (new identity)`,
    };
  }
  if (m.serverState === 'Free' && servers) {
    const old = servers.find(
      (s) =>
        s.serverId !== m.serverId &&
        s.address === m.address &&
        s.health === 'Unavailable' &&
        s.state !== 'Free' &&
        s.state !== 'Dropped',
    );
    if (old) {
      return {
        lost: true,
        reason: `came back as a new Free server ${m.serverId ?? '?'}; its previous identity ${old.serverId} at the same address is ${old.state} and Unavailable: it started on an empty data volume`,
      };
    }
  }
  if (previous?.serverId && m.serverId && previous.serverId !== m.serverId) {
    return {
      lost: true,
      reason: `server id changed from ${previous.serverId} to ${m.serverId}: the member started without its data`,
    };
  }
  if (previous) {
    for (const [db, now] of Object.entries(m.databases)) {
      const before = previous.databases[db];
      if (before?.databaseId && now.databaseId && before.databaseId !== now.databaseId) {
        return {
          lost: true,
          reason: `database ${db} was re-created (id ${before.databaseId} → ${now.databaseId}): its data is gone`,
        };
      }
    }
  }
  return { lost: false };
}

function validateArgs(seeds: string[], auth: Credentials, opts: ProbeOptions): number {
  if (!Array.isArray(seeds) || seeds.length === 0)
    throw new ProbeError('query', 'give at least one bolt:// member URL to probe');
  if (!auth || typeof auth.user !== 'string' || auth.user === '' || typeof auth.password !== 'string') {
    throw new ProbeError('query', 'credentials need a user and a password');
  }
  const timeoutMs = opts.timeoutMs ?? 5000;
  if (!(timeoutMs > 0)) throw new ProbeError('query', `timeoutMs must be > 0, got ${String(opts.timeoutMs)}`);
  return timeoutMs;
}

/** Cluster-level problems: mixed dialects, the first credential/edition/version problem, nobody reachable. */
function clusterProblems(probed: Probed[], dialects: Dialect[], addresses: string[]): ProbeProblem[] {
  const problems: ProbeProblem[] = [];
  if (dialects.length > 1)
    problems.push({
      kind: 'query',
      message: `members speak different dialects (${dialects.join(', ')}): a 4.4 and a 5.x cluster cannot be one cluster`,
    });
  for (const kind of ['community-edition', 'auth', 'unsupported-version'] as const) {
    const hit = probed.find((p) => p.member.error?.kind === kind);
    if (hit?.member.error) problems.push(hit.member.error);
  }
  if (!probed.some((p) => p.facts !== null) && problems.length === 0) {
    problems.push({ kind: 'unreachable', message: `no member could be reached (${addresses.join(', ')})` });
  }
  return problems;
}

/** The server row of a member. Several can share an address (a member that came back with a new identity): the one that answers is the Available one. */
function serverOf(m: MemberView, servers: ServerRow[] | null): ServerRow | undefined {
  const sameAddress = (servers ?? []).filter((s) => s.address === m.address);
  return (
    sameAddress.find((s) => m.reachable && s.health === 'Available') ??
    sameAddress.find((s) => s.state !== 'Dropped') ??
    sameAddress[0]
  );
}

interface ClusterFacts {
  dialect: Dialect | null;
  dbRows: DatabaseRow[];
  servers: ServerRow[] | null;
}

/** Fills a member's identity, roles, databases, caught-up state, health and store state from the cluster-wide rows. */
function describeMember(
  p: Probed,
  facts: ClusterFacts,
  opts: ProbeOptions,
  previous: MemberView | undefined,
): void {
  const { dialect, dbRows, servers } = facts;
  const m = p.member;
  const server = serverOf(m, servers);
  const serverId =
    server?.serverId ?? dbRows.find((r) => r.address === m.address && r.serverId)?.serverId ?? undefined;
  if (serverId) m.serverId = serverId;
  if (server) {
    m.serverName = server.name;
    m.serverState = server.state;
    m.health = server.health;
  }
  m.databases = memberDatabases(dbRows, m.address, serverId);
  const local = p.facts?.localRoles;
  for (const [db, d] of Object.entries(m.databases)) m.roles[db] = local?.[db] ?? d.role;
  const roles = Object.values(m.roles);
  if (roles.some((r) => r === 'leader' || r === 'follower')) m.mode = 'primary';
  else if (roles.includes('secondary')) m.mode = 'secondary';
  const copies = Object.values(m.databases);
  if (copies.length) {
    m.caughtUp = copies.every(
      (d) =>
        d.currentStatus === 'online' &&
        (d.replicationLag === null ? dialect === '4.4' : d.replicationLag === 0),
    );
  }
  const settled = copies.every((d) => d.currentStatus === d.requestedStatus);
  const serverOk = !servers || (m.serverState === 'Enabled' && m.health === 'Available');
  m.healthy =
    m.reachable && !m.error && serverOk && settled && (copies.length > 0 || m.serverState === 'Free');
  m.store = storeState(m, servers, opts.expectedServerIds?.[m.url], previous);
}

/** One view per database: its leader (the online leader row) and every host. */
function databaseViews(dbRows: DatabaseRow[], byAddress: Map<string, string>): DatabaseView[] {
  return [...new Set(dbRows.map((r) => r.name))].sort().map((name) => {
    const rows = dbRows.filter((r) => r.name === name);
    const leader = rows.find((r) => r.role === 'leader' && r.currentStatus === 'online') ?? null;
    return {
      name,
      leader: leader?.address ?? null,
      leaderServerId: leader?.serverId ?? null,
      leaderMember: leader?.address ? (byAddress.get(leader.address) ?? null) : null,
      databaseId: rows.find((r) => r.databaseId)?.databaseId ?? null,
      hosts: rows.map((r) => ({
        serverId: r.serverId,
        address: r.address,
        member: r.address ? (byAddress.get(r.address) ?? null) : null,
        role: r.role,
        currentStatus: r.currentStatus,
        requestedStatus: r.requestedStatus,
      })),
    };
  });
}

export async function probeCluster(
  seeds: string[],
  auth: Credentials,
  opts: ProbeOptions = {},
): Promise<ClusterView> {
  const timeoutMs = validateArgs(seeds, auth, opts);
  const parsed = seeds.map((s) => ({ seed: s, ...parseMemberUrl(s) }));
  const probedAt = new Date(opts.now?.() ?? Date.now()).toISOString();
  const probed = await Promise.all(parsed.map((p) => probeOne(p.seed, p.address, auth, timeoutMs)));

  const withFacts = probed.filter((p): p is Probed & { facts: MemberFacts } => p.facts !== null);
  const dialects = [...new Set(withFacts.map((p) => p.facts.dialect))];
  const problems = clusterProblems(
    probed,
    dialects,
    parsed.map((p) => p.address),
  );
  const dialect: Dialect | null = dialects[0] ?? null;
  const source = withFacts.find((p) => p.facts.dialect === dialect) ?? null;
  const dbRows = source?.facts.databases ?? null;
  const servers = source?.facts.servers ?? null;

  const previousByUrl = new Map((opts.previous?.members ?? []).map((m) => [m.url, m]));
  if (dbRows) {
    for (const p of probed)
      describeMember(p, { dialect, dbRows, servers }, opts, previousByUrl.get(p.member.url));
  }
  const databases = databaseViews(dbRows ?? [], new Map(parsed.map((p) => [p.address, p.seed])));
  const leaders: Record<string, string | null> = Object.fromEntries(databases.map((d) => [d.name, d.leader]));

  const healthGate = evaluateHealthGate(dbRows, servers);
  const unreachable = probed.filter((p) => !p.member.reachable).map((p) => p.member.url);
  const members = probed.map((p) => p.member);
  const healthy =
    problems.length === 0 &&
    unreachable.length === 0 &&
    members.every((m) => m.healthy && !m.store.lost) &&
    databases.length > 0 &&
    databases.every((d) => d.leader !== null) &&
    healthGate.ok;

  return {
    probedAt,
    seeds: parsed.map((p) => p.seed),
    dialect,
    source: source?.member.url ?? null,
    members,
    databases,
    leaders,
    servers: (servers ?? []).map((s) => ({ ...s })),
    healthGate,
    unreachable,
    problems,
    healthy,
  };
}
