/**
 * Neo4j's own rolling-upgrade health gate (Upgrade and Migration Guide, in-place rolling): both must
 * hold before the next server is restarted:
 * - `SHOW SERVERS ... WHERE requestedHosting <> hosting` returns no rows;
 * - `SHOW DATABASES ... WHERE currentStatus <> requestedStatus` returns no rows.
 * Computed from rows the probe already read (hosting lists compared as sets).
 */
import type { DatabaseRow, ServerRow } from './dialects.js';
import type { HealthGate } from './types.js';

function sameSet(a: string[], b: string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export function evaluateHealthGate(databases: DatabaseRow[] | null, servers: ServerRow[] | null): HealthGate {
  if (!databases) {
    return {
      evaluated: false,
      ok: false,
      serversNotSettled: [],
      databasesNotSettled: [],
      reasons: ['no member answered SHOW DATABASES'],
    };
  }
  const serversNotSettled = (servers ?? [])
    .filter((s) => !sameSet(s.hosting, s.requestedHosting))
    .map((s) => ({
      name: s.name,
      serverId: s.serverId,
      hosting: s.hosting,
      requestedHosting: s.requestedHosting,
    }));
  const databasesNotSettled = databases
    .filter((d) => d.currentStatus !== d.requestedStatus)
    .map((d) => ({
      name: d.name,
      address: d.address,
      currentStatus: d.currentStatus,
      requestedStatus: d.requestedStatus,
      statusMessage: d.statusMessage,
    }));
  const reasons: string[] = [];
  for (const s of serversNotSettled) {
    reasons.push(
      `server ${s.name} hosts [${s.hosting.join(', ')}] but should host [${s.requestedHosting.join(', ')}]`,
    );
  }
  for (const d of databasesNotSettled) {
    reasons.push(
      `database ${d.name} on ${d.address ?? 'an unavailable server'} is ${d.currentStatus}, requested ${d.requestedStatus}${d.statusMessage ? ` (${d.statusMessage})` : ''}`,
    );
  }
  if (servers === null)
    reasons.push('SHOW SERVERS is not available (4.4): only the database half of the gate was checked');
  return {
    evaluated: true,
    ok: serversNotSettled.length === 0 && databasesNotSettled.length === 0,
    serversNotSettled,
    databasesNotSettled,
    reasons,
  };
}
