/**
 * What to ask a member, per Neo4j version (neo4j-ops.md §1):
 * - 5.x and 2025.x+: `SHOW DATABASES YIELD name, address, serverID, role, writer, currentStatus,
 *   requestedStatus, ...` against `system` (cluster-wide; the leader is the `writer` row) and
 *   `SHOW SERVERS YIELD *`;
 * - 4.4: `CALL dbms.cluster.overview()` (cluster-wide roles LEADER / FOLLOWER / READ_REPLICA) and
 *   `CALL dbms.cluster.role($db)` for the member's own role in each database.
 * The version comes from `dbms.components()`.
 */
import type { MemberConnection, Row } from './connection.js';
import { ProbeError } from './errors.js';
import type { DatabaseRole, ServerView } from './types.js';

export type Dialect = '5.x' | '4.4';

export interface DatabaseRow {
  name: string;
  address: string | null;
  serverId: string | null;
  role: DatabaseRole;
  currentStatus: string;
  requestedStatus: string;
  statusMessage: string;
  lastCommittedTxn: number | null;
  replicationLag: number | null;
  databaseId: string | null;
}

/** A SHOW SERVERS row, as the ClusterView reports it. */
export type ServerRow = ServerView;

export interface MemberFacts {
  version: string;
  edition: 'enterprise' | 'community';
  dialect: Dialect;
  /** Cluster-wide database rows. */
  databases: DatabaseRow[];
  /** SHOW SERVERS (5.x); null on 4.4. */
  servers: ServerRow[] | null;
  /** The member's own role per database, when the dialect asks the member itself (4.4). */
  localRoles: Record<string, DatabaseRole> | null;
  readOnly: boolean | null;
}

export function dialectFor(version: string): Dialect {
  const m = /^(\d+)\.(\d+)/.exec(version);
  const major = Number(m?.[1]);
  const minor = Number(m?.[2]);
  if (major >= 5) return '5.x';
  if (major === 4 && minor === 4) return '4.4';
  throw new ProbeError(
    'unsupported-version',
    `Neo4j ${version} is not supported: the probe speaks 4.4, 5.x and 2025.x or later`,
  );
}

const str = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
      ? String(v)
      : '';
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const numOrNull = (v: unknown): number | null =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
const strList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

export async function readComponents(
  c: MemberConnection,
): Promise<{ version: string; edition: 'enterprise' | 'community' }> {
  const rows = await c.rows('CALL dbms.components() YIELD name, versions, edition');
  const kernel = rows.find((r) => r.name === 'Neo4j Kernel') ?? rows[0];
  const versions = strList(kernel?.versions);
  const edition = str(kernel?.edition).toLowerCase();
  if (!versions[0]) throw new ProbeError('query', `${c.address}: dbms.components() gave no version`);
  return { version: versions[0], edition: edition === 'community' ? 'community' : 'enterprise' };
}

function role5(role: string, writer: boolean): DatabaseRole {
  if (role === 'primary') return writer ? 'leader' : 'follower';
  if (role === 'secondary') return 'secondary';
  return 'unknown';
}

function role44(role: string): DatabaseRole {
  switch (role.toUpperCase()) {
    case 'LEADER':
      return 'leader';
    case 'FOLLOWER':
      return 'follower';
    case 'READ_REPLICA':
      return 'secondary';
    default:
      return 'unknown';
  }
}

export const SHOW_DATABASES_5 =
  'SHOW DATABASES YIELD name, address, serverID, role, writer, currentStatus, requestedStatus, statusMessage, lastCommittedTxn, replicationLag, databaseID';

async function readFive(
  c: MemberConnection,
  edition: 'enterprise' | 'community',
): Promise<Omit<MemberFacts, 'version' | 'edition' | 'dialect'>> {
  const dbRows = await c.rows(SHOW_DATABASES_5);
  const databases = dbRows.map((r: Row): DatabaseRow => ({
    name: str(r.name),
    address: strOrNull(r.address),
    serverId: strOrNull(r.serverID),
    role: role5(str(r.role), r.writer === true && r.currentStatus === 'online'),
    currentStatus: str(r.currentStatus),
    requestedStatus: str(r.requestedStatus),
    statusMessage: str(r.statusMessage),
    lastCommittedTxn: numOrNull(r.lastCommittedTxn),
    replicationLag: numOrNull(r.replicationLag),
    databaseId: strOrNull(r.databaseID),
  }));
  let servers: ServerRow[] | null = null;
  if (edition === 'enterprise') {
    const sRows = await c.rows('SHOW SERVERS YIELD *');
    servers = sRows.map((r) => ({
      serverId: str(r.serverId),
      name: str(r.name),
      address: strOrNull(r.address),
      state: str(r.state),
      health: str(r.health),
      hosting: strList(r.hosting),
      requestedHosting: strList(r.requestedHosting),
      modeConstraint: strOrNull(r.modeConstraint),
      version: strOrNull(r.version),
    }));
  }
  let readOnly: boolean | null = null;
  try {
    const conf = await c.rows(
      "CALL dbms.listConfig('server.databases.default_to_read_only') YIELD name, value",
    );
    const row = conf.find((r) => r.name === 'server.databases.default_to_read_only');
    if (row) readOnly = str(row.value).toLowerCase() === 'true';
  } catch {
    readOnly = null;
  }
  return { databases, servers, localRoles: null, readOnly };
}

async function readFourFour(
  c: MemberConnection,
): Promise<Omit<MemberFacts, 'version' | 'edition' | 'dialect'>> {
  const overview = await c.rows('CALL dbms.cluster.overview() YIELD id, addresses, databases');
  const status = await c.rows('SHOW DATABASES YIELD name, address, requestedStatus, currentStatus, error');
  const databases: DatabaseRow[] = [];
  for (const m of overview) {
    const bolt = strList(m.addresses).find((a) => a.startsWith('bolt://'));
    const address = bolt ? bolt.replace(/^bolt:\/\//, '') : null;
    const dbs = (m.databases && typeof m.databases === 'object' ? m.databases : {}) as Record<
      string,
      unknown
    >;
    for (const [name, role] of Object.entries(dbs)) {
      const st = status.find((s) => s.name === name && s.address === address);
      databases.push({
        name,
        address,
        serverId: strOrNull(m.id),
        role: role44(str(role)),
        currentStatus: st ? str(st.currentStatus) : 'unknown',
        requestedStatus: st ? str(st.requestedStatus) : 'online',
        statusMessage: st ? str(st.error) : '',
        lastCommittedTxn: null,
        replicationLag: null,
        databaseId: null,
      });
    }
  }
  const localRoles: Record<string, DatabaseRole> = {};
  for (const name of [...new Set(status.map((s) => str(s.name)))]) {
    const r = await c.rows('CALL dbms.cluster.role($db) YIELD role', { db: name });
    localRoles[name] = role44(str(r[0]?.role));
  }
  return { databases, servers: null, localRoles, readOnly: null };
}

/** Reads everything the probe needs from one member, given what dbms.components() said. */
export async function readMember(
  c: MemberConnection,
  components: { version: string; edition: 'enterprise' | 'community' },
): Promise<MemberFacts> {
  const { version, edition } = components;
  const dialect = dialectFor(version);
  if (edition === 'community') {
    throw new ProbeError(
      'community-edition',
      `${c.address} runs Neo4j ${version} Community Edition: clustering needs Enterprise Edition (the operator manages Enterprise clusters only)`,
    );
  }
  const facts = dialect === '5.x' ? await readFive(c, edition) : await readFourFour(c);
  return { version, edition, dialect, ...facts };
}
