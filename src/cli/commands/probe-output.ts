/**
 * Renders a ClusterView for `neo4j-ecs probe`: members (role, version, health, caught-up), the
 * leader of each database, the health gate, and every problem in words an operator can act on.
 */
import type { ClusterView, MemberView } from '../../neo4j/index.js';
import { table } from './cli-io.js';

function roleSummary(m: MemberView): string {
  if (!m.mode) return m.serverState === 'Free' ? 'free' : '-';
  return m.mode;
}

function leads(m: MemberView): string {
  const dbs = Object.entries(m.roles)
    .filter(([, r]) => r === 'leader')
    .map(([db]) => db)
    .sort();
  return dbs.length ? `leader of ${dbs.join(', ')}` : '';
}

function health(m: MemberView): string {
  if (m.error) return m.error.kind;
  if (m.healthy) return 'healthy';
  if (m.health === 'Unavailable') return 'unavailable';
  return 'not ready';
}

/** `1 leader, 2 followers, 2 secondaries`, then any copy that is not online, by address. */
function hostsSummary(d: ClusterView['databases'][number]): string {
  const count = (role: string): number =>
    d.hosts.filter((h) => h.role === role && h.currentStatus === 'online').length;
  const parts: string[] = [];
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  if (count('leader')) parts.push(plural(count('leader'), 'leader', 'leaders'));
  if (count('follower')) parts.push(plural(count('follower'), 'follower', 'followers'));
  if (count('secondary')) parts.push(plural(count('secondary'), 'secondary', 'secondaries'));
  const off = d.hosts
    .filter((h) => h.currentStatus !== 'online')
    .map((h) => `${h.address ?? h.serverId ?? '?'} ${h.currentStatus}`);
  return [parts.join(', '), ...off].filter(Boolean).join('; ');
}

export function renderClusterView(v: ClusterView): string[] {
  const out: string[] = [];
  out.push(
    `Neo4j cluster probed at ${v.probedAt}${v.dialect ? ` (${v.dialect} dialect, via ${v.source ?? '-'})` : ''}`,
  );
  out.push('');
  out.push(
    ...table(
      ['MEMBER', 'ROLE', 'VERSION', 'HEALTH', 'STATE', 'CAUGHT-UP', 'NOTES'],
      v.members.map((m) => {
        const notes = [leads(m), m.readOnly ? 'read-only' : '', m.store.lost ? 'STORE LOST' : ''].filter(
          Boolean,
        );
        return [
          m.url,
          roleSummary(m),
          m.version ? `${m.version}${m.edition === 'community' ? ' community' : ''}` : '-',
          health(m),
          m.serverState ?? '-',
          m.caughtUp === null ? '-' : m.caughtUp ? 'yes' : 'no',
          notes.join('; '),
        ];
      }),
    ),
  );
  if (v.databases.length) {
    out.push('');
    out.push(
      ...table(
        ['DATABASE', 'LEADER', 'HOSTS'],
        v.databases.map((d) => [
          d.name,
          d.leader
            ? `${d.leader}${d.leaderMember && d.leaderMember !== `bolt://${d.leader}` ? ` (${d.leaderMember})` : ''}`
            : 'none',
          hostsSummary(d),
        ]),
      ),
    );
  }
  out.push('');
  if (!v.healthGate.evaluated) out.push('Health gate: not evaluated (no member answered)');
  else if (v.healthGate.ok)
    out.push(
      'Health gate: ok (every server hosts what it should; every database copy is in its requested state)',
    );
  else {
    out.push('Health gate: NOT OK');
    for (const r of v.healthGate.reasons) out.push(`  - ${r}`);
  }
  const errors = v.members.filter((m) => m.error);
  const lost = v.members.filter((m) => m.store.lost);
  if (errors.length || lost.length || v.problems.length) {
    out.push('');
    out.push('Problems:');
    for (const m of errors) out.push(`  - ${m.url}: ${m.error?.message ?? ''}`);
    for (const m of lost) out.push(`  - ${m.url}: store lost: ${m.store.reason ?? ''}`);
    for (const p of v.problems)
      if (!errors.some((m) => m.error?.message === p.message)) out.push(`  - ${p.message}`);
  }
  out.push('');
  out.push(v.healthy ? 'Cluster: healthy' : 'Cluster: NOT healthy');
  return out;
}
