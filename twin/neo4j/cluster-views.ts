/**
 * What the cluster looks like from a member: the rows of SHOW DATABASES and SHOW SERVERS (5.x
 * columns and value types as a real 5.26 server returns them; the 4.4 dialect for 4.4 members), the
 * routing table, dbms.cluster.statusCheck, and the 4.4 procedures dbms.cluster.role / overview.
 *
 * Every view is cluster-wide, as in Neo4j: any member answers for all servers. A server whose process
 * is down shows `address` null, `currentStatus` unknown and `statusMessage` "Server is unavailable".
 */
import { Structure, psMap } from './packstream.js';
import type { PsValue } from './packstream.js';
import type { ClusterModel, DbRec, Replica, ServerRec } from './cluster.js';
import type { Row } from './cypher/eval.js';

export const SHOW_DATABASES_COLUMNS = [
  'name',
  'type',
  'aliases',
  'access',
  'databaseID',
  'serverID',
  'address',
  'role',
  'writer',
  'requestedStatus',
  'currentStatus',
  'statusMessage',
  'default',
  'home',
  'currentPrimariesCount',
  'currentSecondariesCount',
  'requestedPrimariesCount',
  'requestedSecondariesCount',
  'creationTime',
  'lastStartTime',
  'lastStopTime',
  'store',
  'lastCommittedTxn',
  'replicationLag',
  'constituents',
  'options',
];
export const SHOW_DATABASES_DEFAULT = [
  'name',
  'type',
  'aliases',
  'access',
  'address',
  'role',
  'writer',
  'requestedStatus',
  'currentStatus',
  'statusMessage',
  'default',
  'home',
  'constituents',
];
/** SHOW DEFAULT/HOME DATABASE leave out `default` and `home`. */
export const SHOW_SINGLE_DATABASE_DEFAULT = SHOW_DATABASES_DEFAULT.filter(
  (c) => c !== 'default' && c !== 'home',
);

export const SHOW_DATABASES_44_COLUMNS = [
  'name',
  'aliases',
  'access',
  'databaseID',
  'serverID',
  'address',
  'role',
  'requestedStatus',
  'currentStatus',
  'error',
  'default',
  'home',
  'lastCommittedTxn',
  'replicationLag',
];
export const SHOW_DATABASES_44_DEFAULT = [
  'name',
  'aliases',
  'access',
  'address',
  'role',
  'requestedStatus',
  'currentStatus',
  'error',
  'default',
  'home',
];

export const SHOW_SERVERS_COLUMNS = [
  'serverId',
  'name',
  'address',
  'httpAddress',
  'httpsAddress',
  'state',
  'health',
  'hosting',
  'requestedHosting',
  'tags',
  'allowedDatabases',
  'deniedDatabases',
  'modeConstraint',
  'version',
];
export const SHOW_SERVERS_DEFAULT = ['name', 'address', 'state', 'health', 'hosting'];

/** A zoned DATETIME as Bolt 5 carries it (tag 'I': UTC seconds, nanoseconds, offset seconds). */
export function dateTime(epochMs: number): Structure {
  const seconds = Math.floor(epochMs / 1000);
  return new Structure(0x49, [BigInt(seconds), BigInt((epochMs - seconds * 1000) * 1_000_000), 0n]);
}

function online(r: Replica | undefined): boolean {
  return !!r && (r.status === 'online' || r.status === 'deallocating');
}

export interface ViewContext {
  cluster: ClusterModel;
  edition: 'enterprise' | 'community';
  /** The server answering. */
  self: ServerRec;
}

/** Servers to list for a database: its allocations and any server still holding a copy. */
function hostsOf(c: ClusterModel, db: DbRec): ServerRec[] {
  const ids = new Set<string>();
  for (const id of db.allocations.keys()) if (c.isAllocated(db, id) || db.replicas.has(id)) ids.add(id);
  for (const id of db.replicas.keys()) ids.add(id);
  const out: ServerRec[] = [];
  for (const id of ids) {
    const s = c.servers.get(id);
    if (s) out.push(s);
  }
  return out;
}

/** One row per database per hosting server, sorted by name then address (5.x columns). */
export function showDatabasesRows(v: ViewContext): Row[] {
  const c = v.cluster;
  const rows: Row[] = [];
  const community = v.edition === 'community';
  for (const db of [...c.dbs.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const hosts = hostsOf(c, db);
    const best = c.bestOnlineTx(db) ?? 0;
    let curP = 0;
    let curS = 0;
    for (const s of hosts) {
      const r = db.replicas.get(s.serverId);
      if (s.running && online(r)) {
        if (r?.mode === 'primary') curP++;
        else curS++;
      }
    }
    const dbRows: Row[] = [];
    for (const s of hosts) {
      const r = db.replicas.get(s.serverId);
      const up = s.running;
      const isOnline = up && online(r);
      const status = !up ? 'unknown' : r ? r.status : 'initial';
      const mode = r?.mode ?? db.allocations.get(s.serverId) ?? s.mode;
      const row: Row = new Map<string, PsValue>([
        ['name', db.name],
        ['type', db.type],
        ['aliases', []],
        ['access', 'read-write'],
        ['databaseID', isOnline ? db.store.databaseId : null],
        ['serverID', s.serverId],
        ['address', up ? s.address : null],
        ['role', up ? mode : 'unknown'],
        ['writer', isOnline && db.leader === s.serverId && r?.status === 'online'],
        ['requestedStatus', db.requestedStatus],
        ['currentStatus', status],
        ['statusMessage', up ? '' : 'Server is unavailable'],
        ['default', db.name === 'neo4j'],
        ['home', db.name === 'neo4j'],
        ['currentPrimariesCount', BigInt(curP)],
        ['currentSecondariesCount', BigInt(curS)],
        ['requestedPrimariesCount', community || db.type === 'system' ? null : BigInt(db.topology.primaries)],
        [
          'requestedSecondariesCount',
          community || db.type === 'system' ? null : BigInt(db.topology.secondaries),
        ],
        ['creationTime', dateTime(db.creationTime)],
        ['lastStartTime', dateTime(db.lastStartTime)],
        ['lastStopTime', null],
        ['store', isOnline ? (community ? 'record-aligned-1.1' : 'block-block-1.1') : null],
        ['lastCommittedTxn', isOnline && !community ? BigInt(r?.lastTx ?? 0) : null],
        ['replicationLag', isOnline ? BigInt(Math.min(0, (r?.lastTx ?? 0) - best)) : null],
        ['constituents', []],
        ['options', psMap()],
      ]);
      dbRows.push(row);
    }
    const addr = (r: Row): string => {
      const v = r.get('address');
      return typeof v === 'string' ? v : '~';
    };
    dbRows.sort((a, b) => addr(a).localeCompare(addr(b)));
    rows.push(...dbRows);
  }
  return rows;
}

/** SHOW DATABASES on a 4.4 member: roles leader / follower / read_replica, no `writer` column. */
export function showDatabasesRows44(v: ViewContext): Row[] {
  return showDatabasesRows(v).map((r) => {
    const role = r.get('role');
    const writer = r.get('writer') === true;
    const role44 =
      role === 'unknown' ? 'unknown' : role === 'secondary' ? 'read_replica' : writer ? 'leader' : 'follower';
    const out: Row = new Map();
    for (const col of SHOW_DATABASES_44_COLUMNS) {
      if (col === 'role') out.set(col, role44);
      else if (col === 'error') out.set(col, r.get('statusMessage') ?? '');
      else out.set(col, r.get(col) ?? null);
    }
    return out;
  });
}

export function showServersRows(v: ViewContext): Row[] {
  const c = v.cluster;
  const rows: Row[] = [];
  for (const s of [...c.servers.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (s.state === 'Dropped' && !s.running) continue;
    const hosting: string[] = [];
    const requested: string[] = [];
    for (const db of [...c.dbs.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (s.running && online(db.replicas.get(s.serverId))) hosting.push(db.name);
      if (c.isAllocated(db, s.serverId)) requested.push(db.name);
    }
    rows.push(
      new Map<string, PsValue>([
        ['serverId', s.serverId],
        ['name', s.name],
        ['address', s.address],
        ['httpAddress', s.httpAddress],
        ['httpsAddress', null],
        ['state', s.state],
        ['health', s.running ? 'Available' : 'Unavailable'],
        ['hosting', hosting],
        ['requestedHosting', requested],
        ['tags', [...s.tags]],
        ['allowedDatabases', [...s.allowedDatabases]],
        ['deniedDatabases', [...s.deniedDatabases]],
        ['modeConstraint', s.modeConstraint],
        ['version', s.version.text],
      ]),
    );
  }
  return rows;
}

export interface RoutingTable {
  ttl: bigint;
  servers: { addresses: string[]; role: 'WRITE' | 'READ' | 'ROUTE' }[];
  db: string;
}

/**
 * The routing table of a database: WRITE = the leader; READ = the other online copies (the writer
 * only when it is the sole copy, as dbms.routing.reads_on_writers_enabled=false does); ROUTE = the
 * running servers with an online primary copy.
 */
export function routingTable(c: ClusterModel, dbName: string): RoutingTable {
  const db = c.db(dbName);
  const writers: string[] = [];
  const readers: string[] = [];
  const routers: string[] = [];
  for (const r of [...db.replicas.values()].sort((a, b) => a.serverId.localeCompare(b.serverId))) {
    const s = c.servers.get(r.serverId);
    if (!s?.running || r.status !== 'online') continue;
    if (db.leader === s.serverId) writers.push(s.address);
    else readers.push(s.address);
    if (r.mode === 'primary') routers.push(s.address);
  }
  if (!readers.length) readers.push(...writers);
  if (!routers.length) {
    for (const s of c.servers.values()) if (s.running && s.state !== 'Dropped') routers.push(s.address);
  }
  const servers: RoutingTable['servers'] = [];
  if (writers.length) servers.push({ addresses: writers, role: 'WRITE' });
  servers.push({ addresses: readers, role: 'READ' });
  servers.push({ addresses: routers, role: 'ROUTE' });
  return { ttl: 300n, servers, db: dbName };
}

export function routingTableValue(t: RoutingTable): PsValue[] {
  return [t.ttl, t.servers.map((s) => psMap({ addresses: s.addresses, role: s.role }))];
}

/** CALL dbms.cluster.role($db) on a 4.4 member: LEADER / FOLLOWER / READ_REPLICA. */
export function clusterRole44(v: ViewContext, dbName: string): string {
  const db = v.cluster.db(dbName);
  const r = db.replicas.get(v.self.serverId);
  if (!r) return 'UNKNOWN';
  if (r.mode === 'secondary') return 'READ_REPLICA';
  return db.leader === v.self.serverId && r.status === 'online' ? 'LEADER' : 'FOLLOWER';
}

/** CALL dbms.cluster.overview() on a 4.4 member: id, addresses, databases (db → role), groups. */
export function clusterOverview44(v: ViewContext): Row[] {
  const rows: Row[] = [];
  for (const s of [...v.cluster.servers.values()].sort((a, b) => a.serverId.localeCompare(b.serverId))) {
    if (!s.running) continue;
    const dbs = psMap();
    for (const db of v.cluster.dbs.values()) {
      const r = db.replicas.get(s.serverId);
      if (!r) continue;
      dbs[db.name] =
        r.mode === 'secondary'
          ? 'READ_REPLICA'
          : db.leader === s.serverId && r.status === 'online'
            ? 'LEADER'
            : 'FOLLOWER';
    }
    const host = s.address.replace(/:\d+$/, '');
    rows.push(
      new Map<string, PsValue>([
        ['id', s.serverId],
        ['addresses', [`bolt://${s.address}`, `http://${host}:7474`]],
        ['databases', dbs],
        ['groups', []],
      ]),
    );
  }
  return rows;
}

export const STATUS_CHECK_COLUMNS = [
  'database',
  'serverId',
  'serverName',
  'address',
  'replicationSuccessful',
  'memberStatus',
  'recognisedLeader',
  'recognisedLeaderTerm',
  'requester',
  'error',
];

/** CALL dbms.cluster.statusCheck(dbs): one row per primary of each clustered database. */
export function statusCheckRows(v: ViewContext, dbNames: string[]): Row[] {
  const c = v.cluster;
  const rows: Row[] = [];
  const names = dbNames.length ? dbNames : [...c.dbs.keys()].sort();
  for (const name of names) {
    const db = c.db(name);
    const q = c.quorum(db);
    for (const [id, mode] of [...db.allocations].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (mode !== 'primary' || !c.isAllocated(db, id)) continue;
      const s = c.servers.get(id);
      if (!s) continue;
      const r = db.replicas.get(id);
      const ok = s.running && online(r) && q.ok && db.leader !== null;
      const status = !s.running || !online(r) ? 'UNAVAILABLE' : ok ? 'APPLYING' : 'REPLICATING';
      rows.push(
        new Map<string, PsValue>([
          ['database', name],
          ['serverId', id],
          ['serverName', s.name],
          ['address', s.address],
          ['replicationSuccessful', ok],
          ['memberStatus', status],
          ['recognisedLeader', s.running ? db.leader : null],
          ['recognisedLeaderTerm', s.running ? BigInt(db.term) : null],
          ['requester', id === v.self.serverId],
          ['error', ok ? null : !s.running ? 'Server is unavailable' : 'No leader or no majority'],
        ]),
      );
    }
  }
  return rows;
}
