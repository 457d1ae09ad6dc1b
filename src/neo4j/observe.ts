/**
 * The Neo4j observation of one cluster for the reconcilers: probe the running members over Bolt
 * (probeCluster) with a bound, and keep what the planners and status read (SHOW SERVERS rows, members
 * up, databases with a leader, unreachable members). Unreachable members are facts, not errors.
 */
import type { ObservedNeo4j } from '../model/observed.js';
import type { Credentials } from './connection.js';
import { probeCluster } from './probe.js';
import type { ClusterView } from './types.js';

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
    })),
    unreachable: [...view.unreachable],
    ...(view.problems.some((p) => p.kind === 'auth') ? { authFailed: true } : {}),
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
