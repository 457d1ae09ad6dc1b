/**
 * Server and database management on the cluster model, as the Cypher administration commands do it
 * (docs-operations clustering/servers.adoc and databases.adoc):
 * - ENABLE SERVER (Free or Cordoned → Enabled), dbms.cluster.cordonServer (Enabled → Cordoned);
 * - [DRYRUN] DEALLOCATE DATABASES FROM SERVERS: plans a new host for every allocation, refuses with no
 *   change if any database could not be re-homed, is offline, or has a single primary there;
 *   otherwise the server goes Deallocating, each copy is started on its new host before the old one
 *   stops, and the server ends Deallocated;
 * - DROP SERVER (only Deallocated or Free servers; Dropped until the process stops);
 * - [DRYRUN] REALLOCATE DATABASES (evens out allocations), RENAME SERVER, ALTER SERVER SET OPTIONS;
 * - CREATE / DROP / ALTER DATABASE ... TOPOLOGY, START / STOP DATABASE.
 */
import { errors } from './errors.js';
import type { ClusterModel, DbRec, Mode, ServerRec } from './cluster.js';
import type { PsValue } from './packstream.js';
import type { Row } from './cypher/eval.js';

export const MOVE_COLUMNS = [
  'database',
  'fromServerName',
  'fromServerId',
  'toServerName',
  'toServerId',
  'mode',
];

export interface Move {
  db: DbRec;
  from: ServerRec;
  to: ServerRec;
  mode: Mode;
}

function moveRows(moves: Move[]): Row[] {
  return moves.map(
    (m) =>
      new Map<string, PsValue>([
        ['database', m.db.name],
        ['fromServerName', m.from.name],
        ['fromServerId', m.from.serverId],
        ['toServerName', m.to.name],
        ['toServerId', m.to.serverId],
        ['mode', m.mode],
      ]),
  );
}

export function findServer(c: ClusterModel, nameOrId: string): ServerRec {
  for (const s of c.servers.values()) if (s.serverId === nameOrId || s.name === nameOrId) return s;
  throw errors.invalidArguments(`Server '${nameOrId}' does not exist.`);
}

function stringList(v: PsValue | undefined, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw errors.invalidArguments(`${what} must be a list of strings`);
  }
  return v;
}

/** Applies ENABLE SERVER / ALTER SERVER options. */
function applyOptions(s: ServerRec, options: Record<string, PsValue> | null, replace: boolean): void {
  if (!options) return;
  for (const k of Object.keys(options)) {
    if (!['modeConstraint', 'allowedDatabases', 'deniedDatabases', 'tags'].includes(k)) {
      throw errors.invalidArguments(
        `Unrecognised option '${k}', expected modeConstraint, allowedDatabases, deniedDatabases or tags.`,
      );
    }
  }
  const allowed = stringList(options.allowedDatabases, 'allowedDatabases');
  const denied = stringList(options.deniedDatabases, 'deniedDatabases');
  if (allowed.length && denied.length) {
    throw errors.invalidArguments('allowedDatabases and deniedDatabases are mutually exclusive.');
  }
  const raw = options.modeConstraint;
  const mode = typeof raw === 'string' ? raw.toUpperCase() : raw === undefined || raw === null ? null : '?';
  if (mode !== null && !['PRIMARY', 'SECONDARY', 'NONE'].includes(mode)) {
    throw errors.invalidArguments('modeConstraint must be PRIMARY, SECONDARY or NONE.');
  }
  if (replace || raw !== undefined) s.modeConstraint = (mode ?? 'NONE') as ServerRec['modeConstraint'];
  if (replace || 'allowedDatabases' in options) s.allowedDatabases = allowed;
  if (replace || 'deniedDatabases' in options) s.deniedDatabases = denied;
  if (replace || 'tags' in options) s.tags = stringList(options.tags, 'tags');
}

export function enableServer(
  c: ClusterModel,
  nameOrId: string,
  options: Record<string, PsValue> | null,
): void {
  const s = findServer(c, nameOrId);
  if (s.state === 'Deallocating' || s.state === 'Deallocated' || s.state === 'Dropped') {
    throw errors.invalidArguments(
      `Server '${nameOrId}' is in state ${s.state} and can no longer be enabled.`,
    );
  }
  applyOptions(s, options, false);
  c.setState(s, 'Enabled');
  c.updateSystemVersion();
  c.bumpSystem();
  c.reconcile();
}

export function cordonServer(c: ClusterModel, nameOrId: string): void {
  const s = findServer(c, nameOrId);
  if (s.state !== 'Enabled' && s.state !== 'Cordoned') {
    throw errors.invalidArguments(`Server '${nameOrId}' is in state ${s.state} and cannot be cordoned.`);
  }
  c.setState(s, 'Cordoned');
  c.bumpSystem();
}

export function alterServer(c: ClusterModel, nameOrId: string, options: Record<string, PsValue>): void {
  const s = findServer(c, nameOrId);
  if (s.state === 'Free' || s.state === 'Dropped') {
    throw errors.invalidArguments(
      `Server '${nameOrId}' is in state ${s.state}; only enabled servers can be altered.`,
    );
  }
  applyOptions(s, options, true);
  c.bumpSystem();
}

export function renameServer(c: ClusterModel, nameOrId: string, to: string): void {
  const s = findServer(c, nameOrId);
  for (const o of c.servers.values()) {
    if (o !== s && (o.name === to || o.serverId === to))
      throw errors.invalidArguments(`A server named '${to}' already exists.`);
  }
  s.name = to;
  c.bumpSystem();
}

/** Picks a new host for `db` in `mode`, avoiding `exclude`; the least loaded first. */
function pickHost(
  c: ClusterModel,
  db: DbRec,
  mode: Mode,
  exclude: Set<string>,
  planned: Map<string, number>,
): ServerRec | null {
  const eligible = [...c.servers.values()]
    .filter(
      (s) =>
        !exclude.has(s.serverId) &&
        !db.allocations.has(s.serverId) &&
        c.canHost(s, db.name) &&
        (s.modeConstraint === 'NONE' || s.mode === mode),
    )
    .sort(
      (a, b) =>
        Number(b.running) - Number(a.running) ||
        c.load(a) + (planned.get(a.serverId) ?? 0) - (c.load(b) + (planned.get(b.serverId) ?? 0)) ||
        a.serverId.localeCompare(b.serverId),
    );
  return eligible[0] ?? null;
}

export function deallocate(
  c: ClusterModel,
  names: string[],
  dryRun: boolean,
): { columns: string[]; rows: Row[] } {
  const servers = names.map((n) => findServer(c, n));
  const ids = new Set(servers.map((s) => s.serverId));
  for (const s of servers) {
    if (s.state === 'Free' || s.state === 'Dropped') {
      throw errors.invalidArguments(`Could not deallocate server '${s.name}': it is in state ${s.state}.`);
    }
  }
  const moves: Move[] = [];
  const planned = new Map<string, number>();
  for (const db of [...c.dbs.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (db.type === 'system') continue;
    for (const s of servers) {
      const mode = db.allocations.get(s.serverId);
      if (!mode) continue;
      if (db.requestedStatus !== 'online' || c.bestOnlineTx(db) === null) {
        throw errors.invalidArguments(
          `Could not deallocate server(s) '${names.join("', '")}': database '${db.name}' is offline.`,
        );
      }
      if (mode === 'primary' && db.topology.primaries === 1) {
        throw errors.invalidArguments(
          `Could not deallocate server(s) '${names.join("', '")}': database '${db.name}' has a topology of 1 primary, which is hosted on '${s.name}'.`,
        );
      }
      const to = pickHost(c, db, mode, ids, planned);
      if (!to) {
        throw errors.invalidArguments(
          `Could not deallocate server(s) '${names.join("', '")}': there are not enough servers left to satisfy the topology of database '${db.name}'.`,
        );
      }
      planned.set(to.serverId, (planned.get(to.serverId) ?? 0) + 1);
      moves.push({ db, from: s, to, mode });
    }
  }
  if (dryRun) return { columns: MOVE_COLUMNS, rows: moveRows(moves) };
  for (const m of moves) {
    m.db.allocations.delete(m.from.serverId);
    m.db.allocations.set(m.to.serverId, m.mode);
    m.from.deallocating.add(m.db.name);
  }
  for (const s of servers) c.setState(s, 'Deallocating');
  c.bumpSystem();
  c.reconcile();
  return { columns: [], rows: [] };
}

export function reallocate(c: ClusterModel, dryRun: boolean): { columns: string[]; rows: Row[] } {
  const moves: Move[] = [];
  const load = new Map<string, number>();
  for (const s of c.servers.values()) load.set(s.serverId, c.load(s));
  for (const db of [...c.dbs.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (db.type === 'system') continue;
    for (;;) {
      const hosts = [...db.allocations.keys()]
        .map((id) => c.servers.get(id))
        .filter((s): s is ServerRec => !!s);
      const busiest = hosts.sort((a, b) => (load.get(b.serverId) ?? 0) - (load.get(a.serverId) ?? 0))[0];
      if (!busiest) break;
      const mode = db.allocations.get(busiest.serverId) as Mode;
      const target = [...c.servers.values()]
        .filter(
          (s) =>
            !db.allocations.has(s.serverId) &&
            c.canHost(s, db.name) &&
            (s.modeConstraint === 'NONE' || s.mode === mode),
        )
        .sort((a, b) => (load.get(a.serverId) ?? 0) - (load.get(b.serverId) ?? 0))[0];
      if (!target || (load.get(busiest.serverId) ?? 0) - (load.get(target.serverId) ?? 0) <= 1) break;
      moves.push({ db, from: busiest, to: target, mode });
      load.set(busiest.serverId, (load.get(busiest.serverId) ?? 0) - 1);
      load.set(target.serverId, (load.get(target.serverId) ?? 0) + 1);
      if (!dryRun) {
        db.allocations.delete(busiest.serverId);
        db.allocations.set(target.serverId, mode);
      } else break;
    }
  }
  if (!dryRun && moves.length) {
    c.bumpSystem();
    c.reconcile();
  }
  return { columns: dryRun ? MOVE_COLUMNS : [], rows: dryRun ? moveRows(moves) : [] };
}

export function dropServer(c: ClusterModel, nameOrId: string): void {
  const s = findServer(c, nameOrId);
  if (s.state !== 'Deallocated' && s.state !== 'Free') {
    throw errors.invalidArguments(
      `Cannot drop server '${nameOrId}': it is in state ${s.state}; deallocate its databases first (DEALLOCATE DATABASES FROM SERVER '${nameOrId}') and wait for Deallocated.`,
    );
  }
  c.setState(s, 'Dropped');
  if (!s.running) {
    c.servers.delete(s.serverId);
    for (const db of c.dbs.values()) db.allocations.delete(s.serverId);
  }
  c.bumpSystem();
  c.reconcile();
}

const DB_NAME = /^[A-Za-z][A-Za-z0-9.-]{2,62}$/;

export function createDatabase(
  c: ClusterModel,
  name: string,
  topology: { primaries: number; secondaries: number | null } | null,
  ifNotExists: boolean,
  orReplace: boolean,
): void {
  if (!DB_NAME.test(name)) {
    throw errors.invalidArguments(
      `Database name '${name}' contains illegal characters or has an invalid length: use 3 to 63 letters, digits, dots and dashes, starting with a letter.`,
    );
  }
  const lower = name.toLowerCase();
  if (c.dbs.has(lower)) {
    if (ifNotExists) return;
    if (!orReplace) throw errors.existingDatabase(lower);
    c.dropDb(lower);
  }
  const topo = topology
    ? { primaries: topology.primaries, secondaries: topology.secondaries ?? 0 }
    : { ...c.p.defaultTopology };
  if (topo.primaries < 1) throw errors.invalidArguments('A database needs at least 1 primary.');
  c.createDb(lower, 'standard', topo);
  c.bumpSystem();
  c.reconcile();
}

export function dropDatabase(c: ClusterModel, name: string, ifExists: boolean): void {
  const lower = name.toLowerCase();
  if (lower === 'system') throw errors.invalidArguments('The system database cannot be dropped.');
  if (!c.dbs.has(lower)) {
    if (ifExists) return;
    throw errors.databaseNotFound(lower);
  }
  c.dropDb(lower);
  c.bumpSystem();
  c.reconcile();
}

export function alterTopology(
  c: ClusterModel,
  name: string,
  topology: { primaries: number; secondaries: number | null },
): void {
  const db = c.db(name.toLowerCase());
  if (db.type === 'system')
    throw errors.invalidArguments('The topology of the system database cannot be altered.');
  const want = {
    primaries: topology.primaries,
    secondaries: topology.secondaries ?? db.topology.secondaries,
  };
  const next = new Map(db.allocations);
  for (const mode of ['primary', 'secondary'] as const) {
    const target = mode === 'primary' ? want.primaries : want.secondaries;
    const current = [...next].filter(([, m]) => m === mode).map(([id]) => id);
    if (current.length > target) {
      const order = current
        .map((id) => c.servers.get(id))
        .filter((s): s is ServerRec => !!s)
        .sort(
          (a, b) =>
            Number(b.state === 'Cordoned') - Number(a.state === 'Cordoned') ||
            Number(a.running) - Number(b.running),
        );
      for (const s of order.slice(0, current.length - target)) next.delete(s.serverId);
    }
    for (let i = current.length; i < target; i++) {
      const probe: DbRec = { ...db, allocations: next };
      const host = pickHost(c, probe, mode, new Set(), new Map());
      if (!host) {
        throw errors.invalidArguments(
          `Could not alter the topology of '${db.name}': not enough enabled servers to host ${target} ${mode === 'primary' ? 'primaries' : 'secondaries'}.`,
        );
      }
      next.set(host.serverId, mode);
    }
  }
  db.topology = want;
  db.allocations = next;
  c.bumpSystem();
  c.reconcile();
}

export function startStopDatabase(c: ClusterModel, name: string, start: boolean): void {
  const db = c.db(name.toLowerCase());
  if (db.type === 'system')
    throw errors.invalidArguments('The system database cannot be stopped or started.');
  db.requestedStatus = start ? 'online' : 'offline';
  if (!start) {
    for (const r of [...db.replicas.values()]) {
      const s = c.servers.get(r.serverId);
      if (s?.running)
        s.volume?.setStore(db.name, {
          storeId: db.store.storeId,
          databaseId: db.store.databaseId,
          lastTx: r.lastTx,
        });
      c.p.clock.clearTimeout(r.timer ?? undefined);
      db.replicas.delete(r.serverId);
    }
    if (db.leader) {
      db.leader = null;
      db.leaderLostAt = null;
      db.everHadLeader = false;
    }
  } else db.lastStartTime = c.p.clock.now();
  c.bumpSystem();
  c.reconcile();
}
