/**
 * Administration commands the operator runs over Bolt (5.x / 2025.x, Enterprise, against `system`):
 * ENABLE SERVER, [DRYRUN] DEALLOCATE DATABASES FROM SERVERS, [DRYRUN] REALLOCATE DATABASES,
 * DROP SERVER, dbms.cluster.cordonServer, and `dbms.setConfigValue` of
 * `server.databases.default_to_read_only`, the one lever that moves leaderships away from a member
 * (it is not persisted: a restart clears it).
 *
 * Failures throw a ProbeError: `enterprise-only` when the server refuses the command (Community),
 * `query` with Neo4j's message when it refuses the change (e.g. the topology could not be kept).
 */
import { MemberConnection, cypherString } from './connection.js';
import type { Credentials } from './connection.js';
import { ProbeError } from './errors.js';

export interface DeallocationMove {
  database: string;
  fromServerName: string;
  fromServerId: string;
  toServerName: string;
  toServerId: string;
  mode: string;
}

export interface EnableServerOptions {
  modeConstraint?: 'PRIMARY' | 'SECONDARY' | 'NONE';
  allowedDatabases?: string[];
  deniedDatabases?: string[];
  tags?: string[];
}

function serverName(s: string): string {
  if (typeof s !== 'string' || s.trim() === '' || s.length > 200)
    throw new ProbeError('query', `invalid server name or id '${String(s)}'`);
  return cypherString(s);
}

function enterpriseOnly(e: unknown, what: string): never {
  if (e instanceof ProbeError && e.code === 'Neo.ClientError.Procedure.ProcedureNotFound') {
    throw new ProbeError(
      'enterprise-only',
      `${what} is not available on this server (Community Edition, or a version without it): ${e.message}`,
      e.code,
    );
  }
  throw e;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function moves(rows: Record<string, unknown>[]): DeallocationMove[] {
  return rows.map((r) => ({
    database: text(r.database),
    fromServerName: text(r.fromServerName),
    fromServerId: text(r.fromServerId),
    toServerName: text(r.toServerName),
    toServerId: text(r.toServerId),
    mode: text(r.mode),
  }));
}

function optionsMap(o: EnableServerOptions): string {
  const parts: string[] = [];
  if (o.allowedDatabases?.length && o.deniedDatabases?.length) {
    throw new ProbeError('query', 'allowedDatabases and deniedDatabases are mutually exclusive');
  }
  if (o.modeConstraint) {
    if (!['PRIMARY', 'SECONDARY', 'NONE'].includes(o.modeConstraint))
      throw new ProbeError('query', `invalid modeConstraint '${o.modeConstraint}'`);
    parts.push(`modeConstraint: ${cypherString(o.modeConstraint)}`);
  }
  const list = (xs: string[]): string => `[${xs.map(cypherString).join(', ')}]`;
  if (o.allowedDatabases?.length) parts.push(`allowedDatabases: ${list(o.allowedDatabases)}`);
  if (o.deniedDatabases?.length) parts.push(`deniedDatabases: ${list(o.deniedDatabases)}`);
  if (o.tags?.length) parts.push(`tags: ${list(o.tags)}`);
  return parts.length ? ` OPTIONS {${parts.join(', ')}}` : '';
}

export async function enableServer(
  c: MemberConnection,
  server: string,
  options: EnableServerOptions = {},
): Promise<void> {
  await c.rows(`ENABLE SERVER ${serverName(server)}${optionsMap(options)}`);
}

/** DEALLOCATE DATABASES FROM SERVERS; with `dryRun` nothing changes and the planned moves are returned. */
export async function deallocateDatabases(
  c: MemberConnection,
  servers: string[],
  opts: { dryRun: boolean },
): Promise<DeallocationMove[]> {
  if (!servers.length) throw new ProbeError('query', 'name at least one server to deallocate');
  const rows = await c.rows(
    `${opts.dryRun ? 'DRYRUN ' : ''}DEALLOCATE DATABASES FROM SERVERS ${servers.map(serverName).join(', ')}`,
  );
  return moves(rows);
}

export async function reallocateDatabases(
  c: MemberConnection,
  opts: { dryRun: boolean },
): Promise<DeallocationMove[]> {
  return moves(await c.rows(`${opts.dryRun ? 'DRYRUN ' : ''}REALLOCATE DATABASES`));
}

export async function dropServer(c: MemberConnection, server: string): Promise<void> {
  await c.rows(`DROP SERVER ${serverName(server)}`);
}

export async function cordonServer(c: MemberConnection, server: string): Promise<void> {
  try {
    await c.rows('CALL dbms.cluster.cordonServer($server)', { server });
  } catch (e) {
    enterpriseOnly(e, 'dbms.cluster.cordonServer');
  }
}

/**
 * Sets `server.databases.default_to_read_only` on the member `c` talks to: with `true`, the cluster
 * moves that member's user-database leaderships elsewhere. Run it on the member itself.
 */
export async function setDefaultToReadOnly(c: MemberConnection, readOnly: boolean): Promise<void> {
  try {
    await c.rows("CALL dbms.setConfigValue('server.databases.default_to_read_only', $value)", {
      value: String(readOnly),
    });
  } catch (e) {
    enterpriseOnly(e, 'dbms.setConfigValue');
  }
}

/**
 * Runs `fn` on a connection to one member (`host:port` or a bolt:// URL), bounded per call by
 * `timeoutMs`, and closes it. For commands that must run on that member itself (setConfigValue) or on
 * any reachable one (ENABLE SERVER).
 */
export async function withMember<T>(
  address: string,
  creds: Credentials,
  timeoutMs: number,
  fn: (c: MemberConnection) => Promise<T>,
): Promise<T> {
  const conn = new MemberConnection(address.includes('://') ? address : `bolt://${address}`, creds, {
    timeoutMs,
  });
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}
