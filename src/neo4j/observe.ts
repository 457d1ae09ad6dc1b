/**
 * The Neo4j observation of one cluster for the reconcilers: probe the running members over Bolt
 * (probeCluster) with a bound, and keep what the planners and status read: SHOW SERVERS rows (with
 * hosting and mode constraint), each probed member (server id, version, read-only flag, caught up),
 * each database's leader and copies, Neo4j's rolling health gate, members up, databases with a
 * leader, unreachable members. Unreachable members are facts, not errors.
 */
import type {
  ObservedNeo4j,
  ObservedNeo4jCopy,
  ObservedNeo4jDatabase,
  ObservedNeo4jMember,
} from '../model/observed.js';
import type { Credentials } from './connection.js';
import { probeCluster } from './probe.js';
import type { ClusterView, MemberView } from './types.js';

function member(m: MemberView): ObservedNeo4jMember {
  const lags = Object.values(m.databases)
    .map((d) => d.replicationLag)
    .filter((l): l is number => l !== null);
  return {
    address: m.address,
    reachable: m.reachable,
    ...(m.serverId !== undefined ? { serverId: m.serverId } : {}),
    ...(m.serverState !== undefined ? { serverState: m.serverState } : {}),
    ...(m.health !== undefined ? { health: m.health } : {}),
    ...(m.version !== undefined ? { version: m.version } : {}),
    ...(m.readOnly !== undefined ? { readOnly: m.readOnly } : {}),
    ...(m.mode !== undefined ? { mode: m.mode } : {}),
    caughtUp: m.caughtUp,
    ...(lags.length > 0 ? { txBehind: Math.max(0, ...lags.map((l) => -l)) } : {}),
  };
}

function databases(view: ClusterView): ObservedNeo4jDatabase[] {
  const constraint = new Map(view.servers.map((s) => [s.serverId, s.modeConstraint]));
  return view.databases.map((d) => {
    const primaries: ObservedNeo4jCopy[] = [];
    const secondaries: ObservedNeo4jCopy[] = [];
    for (const h of d.hosts) {
      const copy: ObservedNeo4jCopy = {
        serverId: h.serverId,
        address: h.address,
        role: h.role,
        currentStatus: h.currentStatus,
        requestedStatus: h.requestedStatus,
      };
      const secondary =
        h.role === 'secondary' ||
        (h.role === 'unknown' && h.serverId !== null && constraint.get(h.serverId) === 'SECONDARY');
      (secondary ? secondaries : primaries).push(copy);
    }
    return { name: d.name, leaderServerId: d.leaderServerId, primaries, secondaries };
  });
}

export function toObservedNeo4j(view: ClusterView): ObservedNeo4j {
  const leadsBy = new Map<string, string[]>();
  for (const [db, leader] of Object.entries(view.leaders))
    if (leader !== null) leadsBy.set(leader, [...(leadsBy.get(leader) ?? []), db].sort());
  return {
    membersUp: view.members.filter((m) => m.reachable).length,
    databasesWithLeader: Object.values(view.leaders).filter((l) => l !== null).length,
    databases: Object.keys(view.leaders).length,
    servers: view.servers.map((s) => ({
      id: s.serverId,
      name: s.name,
      address: s.address ?? '',
      state: s.state,
      health: s.health,
      ...(s.version !== null ? { version: s.version } : {}),
      ...(s.address !== null && leadsBy.has(s.address) ? { leads: leadsBy.get(s.address) as string[] } : {}),
      hosting: [...s.hosting],
      requestedHosting: [...s.requestedHosting],
      modeConstraint: s.modeConstraint,
    })),
    unreachable: [...view.unreachable],
    members: view.members.map(member),
    databaseViews: databases(view),
    gate: {
      evaluated: view.healthGate.evaluated,
      ok: view.healthGate.ok,
      reasons: [...view.healthGate.reasons],
    },
  };
}

/** Probes `addresses` (host or host:port) and returns the observation; never throws for unreachable members. */
export async function observeNeo4j(
  addresses: readonly string[],
  auth: Credentials,
  timeoutMs: number,
): Promise<ObservedNeo4j> {
  if (addresses.length === 0)
    return { membersUp: 0, databasesWithLeader: 0, databases: 0, servers: [], unreachable: [] };
  const seeds = addresses.map((a) => `bolt://${a.includes(':') ? a : `${a}:7687`}`);
  return toObservedNeo4j(await probeCluster(seeds, auth, { timeoutMs }));
}
