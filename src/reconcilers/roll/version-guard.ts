/**
 * The version guard of the roll: before anything is registered or restarted, every version the
 * running members report (over Bolt) must roll to spec.neo4j.version (src/model/version.ts
 * `rollingUpgradeAllowed`): a downgrade (DowngradeRefused), 4.4 → 5 (MigrationRequired), a jump past
 * 5.26 into 2025.x or over a 5.x checkpoint (CheckpointRequired) are refused, and then nothing of
 * the running members' task definitions or services changes (the topology concern skips the
 * task-definition planner and the primaries' and secondaries' task-definition updates).
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import { parseVersion, rollingUpgradeAllowed } from '../../model/version.js';
import type { Hold } from '../types.js';

/** Refused holds (one per distinct refusal); empty when the change may roll or no member reports a version. */
export function planVersionGuard(desired: Neo4jCluster, observed: Pick<ObservedCluster, 'neo4j'>): Hold[] {
  const to = parseVersion(desired.spec.neo4j.version);
  if (!to) return [];
  const byVersion = new Map<string, string[]>();
  for (const m of observed.neo4j?.members ?? [])
    if (m.reachable && m.version !== undefined)
      byVersion.set(m.version, [...(byVersion.get(m.version) ?? []), m.address]);
  const holds: Hold[] = [];
  for (const [text, addresses] of [...byVersion].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const from = parseVersion(text);
    if (!from) {
      holds.push({
        kind: 'refused',
        reason: 'VersionUnknown',
        message: `members at ${addresses.join(', ')} report version "${text}", which the operator cannot compare with ${to.text}: nothing is changed`,
      });
      continue;
    }
    const verdict = rollingUpgradeAllowed(from, to);
    if (!verdict.allowed)
      holds.push({
        kind: 'refused',
        reason: verdict.code,
        message: `${verdict.reason} (members at ${addresses.join(', ')} run ${from.text}): the running members' task definitions and services are left unchanged`,
      });
  }
  return holds;
}
