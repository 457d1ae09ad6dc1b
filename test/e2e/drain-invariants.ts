/**
 * World-log invariants of the drain e2e suites, over the whole run (not only the end state): no
 * lifecycle hook ends in ABANDON; a majority of the primaries runs at every moment once the cluster
 * formed, and no leader steps down for lack of a majority; leadership changes per database.
 */
type Ev = Record<string, unknown> & { kind: string; t: number; seq: number };
interface Log {
  world: { list(): unknown[] };
}

/** Every `asg.lifecycle.action` that ended in ABANDON (by completion, heartbeat or global timeout). */
export function abandonedHooks(twin: Log): string[] {
  return (twin.world.list() as Ev[])
    .filter((e) => e.kind === 'asg.lifecycle.action' && e['result'] === 'ABANDON')
    .map((e) => `${String(e['instanceId'])} on ${String(e['hook'])}: ABANDON (${String(e['event'])})`);
}

/** How the hooks of `instanceId` ended: e.g. `['completed:CONTINUE']`. */
export function hookOutcomes(twin: Log, instanceId: string): string[] {
  return (twin.world.list() as Ev[])
    .filter(
      (e) => e.kind === 'asg.lifecycle.action' && e['instanceId'] === instanceId && e['result'] !== undefined,
    )
    .map((e) => `${String(e['event'])}:${String(e['result'])}`);
}

/**
 * Quorum over the whole run: once all `primaries` members of the cluster have started, at least a
 * majority of them runs at every world-log event; and no leader is lost for lack of a majority.
 */
export function quorumViolations(twin: Log, cluster: string, primaries: number): string[] {
  const out: string[] = [];
  const running = new Set<string>();
  let formed = false;
  const majority = Math.floor(primaries / 2) + 1;
  const prefix = `${cluster}-primary-`;
  for (const e of twin.world.list() as Ev[]) {
    const member = typeof e['member'] === 'string' ? e['member'] : '';
    if (e.kind === 'neo4j.member.started' && member.startsWith(prefix)) running.add(member);
    if (e.kind === 'neo4j.member.stopped' && member.startsWith(prefix)) running.delete(member);
    if (running.size === primaries) formed = true;
    if (formed && running.size < majority)
      out.push(
        `at t=${e.t} only ${[...running].sort().join(', ') || 'no member'} of ${primaries} primaries ran`,
      );
    if (e.kind === 'neo4j.leader.lost' && String(e['why']).includes('majority'))
      out.push(`at t=${e.t} ${String(e['db'])} lost its leader: ${String(e['why'])}`);
  }
  return out;
}

/** Leaders elected per database after world-log sequence number `afterSeq`. */
export function electionsSince(twin: Log, afterSeq: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of twin.world.list() as Ev[])
    if (e.kind === 'neo4j.leader.elected' && e.seq > afterSeq) {
      const db = String(e['db']);
      out[db] = (out[db] ?? 0) + 1;
    }
  return out;
}

/** The sequence number of the newest world-log event. */
export function lastSeq(twin: Log): number {
  const all = twin.world.list() as Ev[];
  return all[all.length - 1]?.seq ?? 0;
}
