/**
 * The raft-like model of a Neo4j 5.x cluster that simulated members share (it stands for the
 * cluster's discovery service plus the replicated `system` database).
 *
 * What it models:
 * - servers with the states of SHOW SERVERS (Free, Enabled, Cordoned, Deallocating, Deallocated,
 *   Dropped) and the health each member sees (Available while the process runs);
 * - databases with a topology, allocations (requestedHosting) and replicas (hosting) per server;
 * - one leader per database among its primaries, elected only with a majority of the allocated
 *   primaries online; `electionTimeoutMs` (virtual) after a leader is lost, `leaderTransferMs` after
 *   its database becomes read-only on that server or the server is deallocated;
 * - a leader that loses its majority steps down after `electionTimeoutMs`; meanwhile writes fail;
 * - secondaries (and followers) replicate every commit synchronously while online;
 * - a restarted member's copy is `starting` for a delay that grows with the transactions it missed;
 *   a copy without a matching store (empty volume, different store) is `store copying` first;
 * - store id and last committed transaction live on each member's volume ({@link MemberVolume}).
 *
 * Server-management commands live in cluster-admin.ts, the SHOW views in cluster-views.ts.
 */
import type { TimerHandle, VirtualClock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { WorldLog } from '../core/world-log.js';
import { errors, Neo4jError } from './errors.js';
import type { GraphOp, GraphReader } from './graph.js';
import type { MemberVolume } from './store.js';
import { StoreLog } from './store.js';
import { compareVersions, downgradeRefusal, incompatibility } from './versions.js';
import type { Version } from './versions.js';

export type Mode = 'primary' | 'secondary';
export type ServerState = 'Free' | 'Enabled' | 'Cordoned' | 'Deallocating' | 'Deallocated' | 'Dropped';
export type ReplicaStatus = 'online' | 'starting' | 'store copying' | 'deallocating';

export interface ClusterParams {
  clock: VirtualClock;
  rng: Rng;
  log: WorldLog;
  edition: 'enterprise' | 'community';
  /** Virtual ms from losing a leader (or a majority) to the next election. */
  electionTimeoutMs: number;
  /** Virtual ms to hand leadership over from a server whose copy became read-only or is deallocated. */
  leaderTransferMs: number;
  /** Virtual ms a database copy takes to start on a (re)started member. */
  startDelayMs: number;
  /** Extra virtual ms per transaction a starting copy has to catch up. */
  catchUpPerTxMs: number;
  /** Virtual ms a store copy takes (plus `catchUpPerTxMs` per transaction of the store). */
  storeCopyMs: number;
  /** Primaries that must be running before the cluster forms (dbms.cluster.minimum_initial_system_primaries_count). */
  minimumInitialPrimaries: number;
  /** User databases created when the cluster forms, besides `system` and `neo4j`. */
  initialDatabases: string[];
  /** Topology of the databases created at formation: `all` hosts them on every server. */
  initialTopology: 'all' | { primaries: number; secondaries: number };
  /** Topology of CREATE DATABASE without TOPOLOGY (initial.dbms.default_primaries_count / _secondaries_). */
  defaultTopology: { primaries: number; secondaries: number };
  /** initial.dbms.automatically_enable_free_servers */
  autoEnableFreeServers: boolean;
}

/** What the cluster needs to know about a member process that joins it. */
export interface JoiningMember {
  name: string;
  serverId: string;
  mode: Mode;
  version: Version;
  /** Advertised Bolt address, host:port. */
  address: string;
  httpAddress: string;
  volume: MemberVolume;
}

export interface ServerRec {
  serverId: string;
  name: string;
  memberName: string;
  modeConstraint: 'PRIMARY' | 'SECONDARY' | 'NONE';
  mode: Mode;
  state: ServerState;
  address: string;
  httpAddress: string;
  version: Version;
  running: boolean;
  /** server.databases.default_to_read_only, set with dbms.setConfigValue; cleared by a restart. */
  readOnlyDefault: boolean;
  /** server.databases.read_only */
  readOnlyDbs: Set<string>;
  tags: string[];
  allowedDatabases: string[];
  deniedDatabases: string[];
  volume: MemberVolume | null;
  /** Databases being moved off this server by DEALLOCATE. */
  deallocating: Set<string>;
}

export interface Replica {
  serverId: string;
  mode: Mode;
  status: ReplicaStatus;
  lastTx: number;
  timer: TimerHandle | null;
  since: number;
}

export interface DbRec {
  name: string;
  type: 'system' | 'standard';
  store: StoreLog;
  topology: { primaries: number; secondaries: number };
  allocations: Map<string, Mode>;
  replicas: Map<string, Replica>;
  leader: string | null;
  term: number;
  /** Virtual ms when the current leader was lost (for election timing), or null. */
  leaderLostAt: number | null;
  everHadLeader: boolean;
  election: { timer: TimerHandle; kind: 'elect' | 'step-down' } | null;
  creationTime: number;
  lastStartTime: number;
  requestedStatus: 'online' | 'offline';
  /** Created with a new, empty store (not adopted from volumes): its first copies start empty. */
  brandNew: boolean;
}

function uuid(rng: Rng): string {
  const variant = '89ab'[rng.int(0, 3)] as string;
  return `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${variant}${rng.hex(3)}-${rng.hex(12)}`;
}

export class ClusterModel {
  readonly servers = new Map<string, ServerRec>();
  readonly dbs = new Map<string, DbRec>();
  private readonly storeLogs = new Map<string, StoreLog>();
  formed = false;
  /** The version the `system` database was upgraded to: the lowest version every enabled server has reached. */
  systemVersion: Version | null = null;
  private reconciling = false;
  private again = false;
  private stopped = false;

  constructor(readonly p: ClusterParams) {}

  newId(): string {
    return uuid(this.p.rng);
  }

  private now(): number {
    return this.p.clock.now();
  }

  // ---------------------------------------------------------------- membership

  /**
   * A member process starts and joins. Throws a Neo4jError with the reason when it must refuse to run
   * (incompatible version, dropped server, Community edition in a cluster).
   */
  join(m: JoiningMember): ServerRec {
    const others = [...this.servers.values()].filter((s) => s.running && s.serverId !== m.serverId);
    if (this.p.edition === 'community' && others.length > 0) {
      throw new Neo4jError(
        'Neo.DatabaseError.General.UnknownError',
        'Clustering is an Enterprise Edition feature: a Community Edition server cannot join a cluster.',
      );
    }
    for (const o of others) {
      const why = incompatibility(m.version, o.version);
      if (why) throw new Neo4jError('Neo.DatabaseError.General.UnknownError', why);
    }
    const down = downgradeRefusal(m.version, this.systemVersion);
    if (down) throw new Neo4jError('Neo.DatabaseError.General.UnknownError', down);
    let rec = this.servers.get(m.serverId);
    if (rec?.state === 'Dropped') {
      throw new Neo4jError(
        'Neo.DatabaseError.General.UnknownError',
        `Server ${m.serverId} was dropped from the cluster and cannot rejoin; reset its data directory (neo4j-admin server unbind) to join as a new server`,
      );
    }
    if (!rec) {
      rec = {
        serverId: m.serverId,
        name: m.serverId,
        memberName: m.name,
        modeConstraint: m.mode === 'primary' ? 'PRIMARY' : 'SECONDARY',
        mode: m.mode,
        state: this.formed ? (this.p.autoEnableFreeServers ? 'Enabled' : 'Free') : 'Free',
        address: m.address,
        httpAddress: m.httpAddress,
        version: m.version,
        running: true,
        readOnlyDefault: false,
        readOnlyDbs: new Set(),
        tags: [],
        allowedDatabases: [],
        deniedDatabases: [],
        volume: m.volume,
        deallocating: new Set(),
      };
      this.servers.set(m.serverId, rec);
    }
    rec.memberName = m.name;
    rec.running = true;
    rec.address = m.address;
    rec.httpAddress = m.httpAddress;
    rec.version = m.version;
    rec.volume = m.volume;
    rec.readOnlyDefault = false;
    rec.readOnlyDbs = new Set();
    this.updateSystemVersion();
    this.p.log.append('neo4j.member.joined', {
      member: m.name,
      serverId: m.serverId,
      address: m.address,
      version: m.version.text,
      state: rec.state,
    });
    if (!this.formed) this.maybeForm();
    this.reconcile();
    return rec;
  }

  /** A member process stops (cleanly or not). Its copies stop; its volume keeps what it had. */
  leave(serverId: string, reason: string): void {
    const rec = this.servers.get(serverId);
    if (!rec || !rec.running) return;
    for (const db of this.dbs.values()) {
      const r = db.replicas.get(serverId);
      if (!r) continue;
      this.p.clock.clearTimeout(r.timer ?? undefined);
      if (r.status === 'online' || r.status === 'deallocating') {
        this.persistReplica(db, rec, r);
        if (db.type !== 'system') rec.volume?.saveGraph(db.name, db.store.graphAt(r.lastTx));
      }
      db.replicas.delete(serverId);
      // A Raft leader that stops is no longer leader when it comes back (it restarts as a follower);
      // the others elect after their failure-detection delay.
      if (db.leader === serverId) {
        this.loseLeader(db, 'its server stopped');
        db.leaderLostAt = this.now();
      }
    }
    rec.running = false;
    this.p.log.append('neo4j.member.left', { member: rec.memberName, serverId, reason });
    if (rec.state === 'Dropped') {
      this.servers.delete(serverId);
      for (const db of this.dbs.values()) db.allocations.delete(serverId);
    }
    this.reconcile();
  }

  /** Stops every timer (the cluster is being torn down). */
  shutdown(): void {
    this.stopped = true;
    for (const db of this.dbs.values()) {
      this.p.clock.clearTimeout(db.election?.timer);
      for (const r of db.replicas.values()) this.p.clock.clearTimeout(r.timer ?? undefined);
    }
  }

  private maybeForm(): void {
    const primaries = [...this.servers.values()].filter((s) => s.running && s.mode === 'primary');
    const needed = this.p.edition === 'community' ? 1 : this.p.minimumInitialPrimaries;
    if (primaries.length < needed) return;
    this.formed = true;
    for (const s of this.servers.values()) if (s.running) this.setState(s, 'Enabled');
    const members = [...this.servers.values()].filter((s) => s.running);
    this.createDb(
      'system',
      'system',
      { primaries: members.filter((s) => s.mode === 'primary').length, secondaries: 0 },
      members,
    );
    const names = ['neo4j', ...this.p.initialDatabases.filter((d) => d !== 'neo4j' && d !== 'system')];
    for (const n of names) {
      const topo =
        this.p.initialTopology === 'all'
          ? {
              primaries: members.filter((s) => s.mode === 'primary').length,
              secondaries: members.filter((s) => s.mode === 'secondary').length,
            }
          : this.p.initialTopology;
      this.createDb(n, 'standard', topo, members);
    }
    this.updateSystemVersion();
    this.p.log.append('neo4j.cluster.formed', {
      servers: members.map((s) => s.memberName),
      databases: ['system', ...names],
    });
  }

  // ---------------------------------------------------------------- databases

  /**
   * Creates a database allocated by topology over `candidates` (or adopts the most advanced store
   * found on the members' volumes, when the catalog is new but the volumes are not).
   */
  createDb(
    name: string,
    type: 'system' | 'standard',
    topology: { primaries: number; secondaries: number },
    candidates?: ServerRec[],
  ): DbRec {
    let store: StoreLog | undefined;
    let bestLastTx = -1;
    let brandNew = false;
    for (const s of this.servers.values()) {
      const rec = s.running ? s.volume?.store(name) : undefined;
      if (!rec || rec.lastTx <= bestLastTx) continue;
      let log = this.storeLogs.get(rec.storeId);
      if (!log) {
        const g = s.volume?.loadGraph(name);
        log = new StoreLog(rec.storeId, rec.databaseId, rec.lastTx, g);
        this.storeLogs.set(rec.storeId, log);
      }
      store = log;
      bestLastTx = rec.lastTx;
    }
    if (!store) {
      store = new StoreLog(this.newId(), this.p.rng.hex(64).toUpperCase());
      this.storeLogs.set(store.storeId, store);
      brandNew = true;
    }
    const now = this.now();
    const db: DbRec = {
      name,
      type,
      store,
      topology,
      allocations: new Map(),
      replicas: new Map(),
      leader: null,
      term: 0,
      leaderLostAt: null,
      everHadLeader: false,
      election: null,
      creationTime: now,
      lastStartTime: now,
      requestedStatus: 'online',
      brandNew,
    };
    this.dbs.set(name, db);
    if (type === 'system') {
      for (const s of candidates ?? this.servers.values()) db.allocations.set(s.serverId, s.mode);
    } else {
      const pool = (candidates ?? [...this.servers.values()]).filter((s) => this.canHost(s, name));
      for (const mode of ['primary', 'secondary'] as const) {
        const want = mode === 'primary' ? topology.primaries : topology.secondaries;
        const eligible = pool
          .filter((s) => !db.allocations.has(s.serverId) && (s.modeConstraint === 'NONE' || s.mode === mode))
          .sort((a, b) => this.load(a) - this.load(b) || a.serverId.localeCompare(b.serverId));
        if (eligible.length < want) {
          this.dbs.delete(name);
          throw errors.invalidArguments(
            `Could not create database '${name}': the topology needs ${want} ${mode === 'primary' ? 'primaries' : 'secondaries'} but only ${eligible.length} enabled servers can host them`,
          );
        }
        for (const s of eligible.slice(0, want)) db.allocations.set(s.serverId, mode);
      }
    }
    this.p.log.append('neo4j.database.created', {
      db: name,
      storeId: store.storeId,
      allocations: [...db.allocations.keys()],
    });
    return db;
  }

  /** Servers that may be given new allocations. */
  canHost(s: ServerRec, db: string): boolean {
    if (s.state !== 'Enabled') return false;
    if (s.allowedDatabases.length && !s.allowedDatabases.includes(db)) return false;
    return !s.deniedDatabases.includes(db);
  }

  /** Number of non-system allocations of a server. */
  load(s: ServerRec): number {
    let n = 0;
    for (const db of this.dbs.values()) if (db.type !== 'system' && db.allocations.has(s.serverId)) n++;
    return n;
  }

  dropDb(name: string): void {
    const db = this.dbs.get(name);
    if (!db) return;
    this.p.clock.clearTimeout(db.election?.timer);
    for (const r of db.replicas.values()) this.p.clock.clearTimeout(r.timer ?? undefined);
    for (const s of this.servers.values()) if (s.running) s.volume?.removeStore(name);
    this.dbs.delete(name);
    this.p.log.append('neo4j.database.dropped', { db: name });
  }

  // ---------------------------------------------------------------- reconciliation

  setState(s: ServerRec, state: ServerState): void {
    if (s.state === state) return;
    this.p.log.append('neo4j.server.state', {
      serverId: s.serverId,
      member: s.memberName,
      from: s.state,
      to: state,
    });
    s.state = state;
  }

  /** Brings replicas and leaderships in line with allocations and running servers. Re-entrant safe. */
  reconcile(): void {
    if (this.stopped) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = true;
    try {
      do {
        this.again = false;
        for (const db of this.dbs.values()) this.reconcileDb(db);
        for (const s of this.servers.values()) if (s.state === 'Deallocating') this.checkDeallocated(s);
      } while (this.again);
    } finally {
      this.reconciling = false;
    }
  }

  /** Deallocating → Deallocated once its copies are gone and their replacements are online. */
  private checkDeallocated(s: ServerRec): void {
    for (const name of s.deallocating) {
      const db = this.dbs.get(name);
      if (!db) continue;
      if (db.allocations.has(s.serverId) || db.replicas.has(s.serverId)) return;
      for (const id of db.allocations.keys()) {
        const host = this.servers.get(id);
        if (host?.running && db.replicas.get(id)?.status !== 'online') return;
      }
    }
    for (const db of this.dbs.values())
      if (db.type !== 'system' && (db.allocations.has(s.serverId) || db.replicas.has(s.serverId))) return;
    s.deallocating.clear();
    this.setState(s, 'Deallocated');
  }

  isAllocated(db: DbRec, serverId: string): boolean {
    if (db.type === 'system') {
      const s = this.servers.get(serverId);
      return !!s && s.state !== 'Free' && s.state !== 'Dropped';
    }
    return db.allocations.has(serverId);
  }

  private reconcileDb(db: DbRec): void {
    // System copies run on every running server (Free and Dropped ones too).
    if (db.type === 'system') {
      for (const s of this.servers.values())
        if (!db.allocations.has(s.serverId)) db.allocations.set(s.serverId, s.mode);
    }
    for (const [serverId, mode] of db.allocations) {
      const s = this.servers.get(serverId);
      if (!s?.running || db.replicas.has(serverId) || db.requestedStatus !== 'online') continue;
      this.startReplica(db, s, mode);
    }
    for (const r of [...db.replicas.values()]) {
      if (r.status === 'store copying' && !r.timer) this.scheduleStoreCopy(db, r);
    }
    // Copies that are no longer allocated stop once every allocated running server has its copy online.
    const replacementsReady = [...db.allocations.keys()].every((id) => {
      const s = this.servers.get(id);
      return !s?.running || db.replicas.get(id)?.status === 'online';
    });
    if (db.type !== 'system') {
      for (const r of [...db.replicas.values()]) {
        if (db.allocations.has(r.serverId)) continue;
        if (replacementsReady && db.leader !== r.serverId) this.removeReplica(db, r);
        else if (r.status === 'online') r.status = 'deallocating';
      }
    }
    this.reconcileLeader(db);
  }

  private startReplica(db: DbRec, s: ServerRec, mode: Mode): void {
    const onDisk = s.volume?.store(db.name);
    const now = this.now();
    if (onDisk && onDisk.storeId === db.store.storeId) {
      const lastTx = Math.min(onDisk.lastTx, db.store.headTx);
      const target = this.bestOnlineTx(db) ?? lastTx;
      const missed = Math.max(0, target - lastTx);
      const r: Replica = { serverId: s.serverId, mode, status: 'starting', lastTx, timer: null, since: now };
      db.replicas.set(s.serverId, r);
      r.timer = this.p.clock.setTimeout(
        () => this.replicaReady(db.name, s.serverId),
        this.p.startDelayMs + this.p.catchUpPerTxMs * missed,
      );
      return;
    }
    // No copy of this store (empty volume, or another store): copy it from an online copy, unless the
    // database is brand new and every copy starts empty.
    const fresh = db.brandNew && !db.everHadLeader;
    const r: Replica = {
      serverId: s.serverId,
      mode,
      status: 'store copying',
      lastTx: fresh ? db.store.headTx : 0,
      timer: null,
      since: now,
    };
    db.replicas.set(s.serverId, r);
    if (fresh) {
      // A brand-new database: every copy starts empty and online at once.
      r.status = 'online';
      this.persistReplica(db, s, r);
      this.p.log.append('neo4j.database.online', {
        db: db.name,
        serverId: s.serverId,
        member: s.memberName,
        lastTx: r.lastTx,
        mode,
      });
    } else this.scheduleStoreCopy(db, r);
  }

  private scheduleStoreCopy(db: DbRec, r: Replica): void {
    if (this.bestOnlineTx(db) === null) return; // no source yet; retried on the next reconcile
    r.timer = this.p.clock.setTimeout(
      () => this.replicaReady(db.name, r.serverId),
      this.p.storeCopyMs + this.p.catchUpPerTxMs * db.store.headTx,
    );
  }

  /** Highest lastTx among online copies of the current store, or null if none is online. */
  bestOnlineTx(db: DbRec): number | null {
    let best: number | null = null;
    for (const r of db.replicas.values()) {
      if (r.status !== 'online' && r.status !== 'deallocating') continue;
      best = best === null ? r.lastTx : Math.max(best, r.lastTx);
    }
    return best;
  }

  private replicaReady(dbName: string, serverId: string): void {
    const db = this.dbs.get(dbName);
    const r = db?.replicas.get(serverId);
    const s = this.servers.get(serverId);
    if (!db || !r || !s?.running) return;
    r.timer = null;
    const best = this.bestOnlineTx(db);
    if (r.status === 'store copying' && best === null) {
      this.reconcile();
      return;
    }
    r.lastTx = Math.max(r.lastTx, best ?? r.lastTx);
    // System copies run on every running server, Free ones included (a Free server's copy is online).
    r.status = db.type === 'system' || this.isAllocated(db, serverId) ? 'online' : 'deallocating';
    r.since = this.now();
    this.persistReplica(db, s, r);
    this.p.log.append('neo4j.database.online', {
      db: db.name,
      serverId,
      member: s.memberName,
      lastTx: r.lastTx,
      mode: r.mode,
    });
    this.reconcile();
  }

  private removeReplica(db: DbRec, r: Replica): void {
    this.p.clock.clearTimeout(r.timer ?? undefined);
    db.replicas.delete(r.serverId);
    const s = this.servers.get(r.serverId);
    if (db.type !== 'system') s?.volume?.removeStore(db.name);
    this.p.log.append('neo4j.database.deallocated', {
      db: db.name,
      serverId: r.serverId,
      member: s?.memberName,
    });
  }

  private persistReplica(db: DbRec, s: ServerRec, r: Replica): void {
    s.volume?.setStore(db.name, {
      storeId: db.store.storeId,
      databaseId: db.store.databaseId,
      lastTx: r.lastTx,
    });
  }

  // ---------------------------------------------------------------- leadership

  isReadOnly(s: ServerRec, db: DbRec): boolean {
    if (db.type === 'system') return false;
    return s.readOnlyDefault || s.readOnlyDbs.has(db.name);
  }

  /** Allocated primaries and the online ones among them. */
  quorum(db: DbRec): { voters: number; online: number; ok: boolean } {
    let voters = 0;
    let online = 0;
    for (const [id, mode] of db.allocations) {
      if (mode !== 'primary' || !this.isAllocated(db, id)) continue;
      const s = this.servers.get(id);
      if (db.type === 'system' && s?.state === 'Free') continue;
      voters++;
      const r = db.replicas.get(id);
      if (r && (r.status === 'online' || r.status === 'deallocating') && s?.running) online++;
    }
    return { voters, online, ok: voters > 0 && online >= Math.floor(voters / 2) + 1 };
  }

  /** Why `serverId` cannot (go on) lead `db`, or null if it can. */
  private leaderProblem(db: DbRec, serverId: string): 'down' | 'transfer' | null {
    const s = this.servers.get(serverId);
    const r = db.replicas.get(serverId);
    if (!s?.running || !r) return 'down';
    if (r.status !== 'online' || r.mode !== 'primary') return 'transfer';
    if (!this.isAllocated(db, serverId) || this.isReadOnly(s, db)) return 'transfer';
    if (s.state === 'Dropped' || s.state === 'Free') return 'transfer';
    return null;
  }

  private reconcileLeader(db: DbRec): void {
    const q = this.quorum(db);
    if (db.leader !== null) {
      const problem = this.leaderProblem(db, db.leader);
      if (problem === null && q.ok) {
        if (db.election) {
          this.p.clock.clearTimeout(db.election.timer);
          db.election = null;
        }
        return;
      }
      if (problem === null && !q.ok) return this.schedule(db, 'step-down', this.p.electionTimeoutMs);
      const delay =
        problem === 'down'
          ? this.p.electionTimeoutMs - (this.now() - (db.leaderLostAt ?? this.now()))
          : this.p.leaderTransferMs;
      return this.schedule(db, 'elect', Math.max(0, delay));
    }
    if (!q.ok || this.candidates(db).length === 0) return;
    const delay = db.everHadLeader
      ? this.p.electionTimeoutMs - (this.now() - (db.leaderLostAt ?? this.now()))
      : 0;
    if (delay <= 0) return this.elect(db);
    this.schedule(db, 'elect', delay);
  }

  private schedule(db: DbRec, kind: 'elect' | 'step-down', delay: number): void {
    if (db.election?.kind === kind) return;
    if (db.election) this.p.clock.clearTimeout(db.election.timer);
    const timer = this.p.clock.setTimeout(() => {
      db.election = null;
      if (!this.dbs.has(db.name)) return;
      if (kind === 'step-down') {
        if (!this.quorum(db).ok && db.leader) this.loseLeader(db, 'lost its majority');
      } else {
        if (db.leader && this.leaderProblem(db, db.leader) !== null)
          this.loseLeader(db, 'failed or handed over');
        if (!db.leader) this.elect(db);
      }
      this.reconcile();
    }, delay);
    db.election = { timer, kind };
  }

  private loseLeader(db: DbRec, why: string): void {
    const s = db.leader ? this.servers.get(db.leader) : undefined;
    this.p.log.append('neo4j.leader.lost', {
      db: db.name,
      serverId: db.leader,
      member: s?.memberName,
      term: db.term,
      why,
    });
    db.leader = null;
    db.leaderLostAt = db.leaderLostAt ?? this.now();
  }

  private candidates(db: DbRec): { s: ServerRec; r: Replica }[] {
    const out: { s: ServerRec; r: Replica }[] = [];
    for (const r of db.replicas.values()) {
      const s = this.servers.get(r.serverId);
      if (!s || this.leaderProblem(db, r.serverId) !== null) continue;
      out.push({ s, r });
    }
    return out;
  }

  private elect(db: DbRec): void {
    if (!this.quorum(db).ok) return;
    const cands = this.candidates(db);
    if (!cands.length) return;
    const maxTx = Math.max(...cands.map((c) => c.r.lastTx));
    const upToDate = cands.filter((c) => c.r.lastTx === maxTx);
    const leads = (s: ServerRec): number =>
      [...this.dbs.values()].filter((d) => d.leader === s.serverId).length;
    const fewest = Math.min(...upToDate.map((c) => leads(c.s)));
    const pool = upToDate
      .filter((c) => leads(c.s) === fewest)
      .sort((a, b) => a.s.serverId.localeCompare(b.s.serverId));
    const chosen = this.p.rng.pick(pool);
    if (maxTx < db.store.headTx) {
      const lost = db.store.truncate(maxTx);
      this.p.log.append('neo4j.data.lost', { db: db.name, transactions: lost, lastTx: maxTx });
    }
    db.leader = chosen.s.serverId;
    db.term++;
    db.leaderLostAt = null;
    db.everHadLeader = true;
    this.p.log.append('neo4j.leader.elected', {
      db: db.name,
      serverId: chosen.s.serverId,
      member: chosen.s.memberName,
      term: db.term,
    });
  }

  // ---------------------------------------------------------------- data path

  db(name: string): DbRec {
    const db = this.dbs.get(name);
    if (!db) throw errors.databaseNotFound(name);
    return db;
  }

  /** The online copy a server reads from, or a DatabaseUnavailable/NotFound error. */
  readable(name: string, serverId: string): { db: DbRec; graph: GraphReader; replica: Replica } {
    if (!this.formed)
      throw errors.databaseUnavailable(name, 'is unavailable: the cluster has not formed yet');
    const db = this.db(name);
    const r = db.replicas.get(serverId);
    if (!r) {
      if (db.allocations.has(serverId))
        throw errors.databaseUnavailable(name, 'is not yet started on this server');
      throw errors.databaseNotFound(name);
    }
    if (r.status !== 'online' && r.status !== 'deallocating') {
      throw errors.databaseUnavailable(name, `is ${r.status} on this server`);
    }
    return { db, graph: db.store.graphAt(r.lastTx), replica: r };
  }

  /** Checks that a server may write to a database now; returns the leader term to commit under. */
  writable(name: string, serverId: string): number {
    const { db, replica } = this.readable(name, serverId);
    const s = this.servers.get(serverId) as ServerRec;
    if (this.isReadOnly(s, db)) throw errors.readOnly(name);
    if (db.leader !== serverId || this.leaderProblem(db, serverId) !== null) {
      throw errors.notALeader(replica.mode === 'secondary' ? 'SECONDARY' : 'FOLLOWER');
    }
    if (!this.quorum(db).ok) throw errors.replicationFailure(name);
    return db.term;
  }

  /** Commits a write transaction started under `term`; returns the new transaction id. */
  commit(name: string, serverId: string, term: number, ops: GraphOp[]): number {
    const now = this.writable(name, serverId);
    if (now !== term) throw errors.leaderSwitch();
    const db = this.db(name);
    const txId = db.store.commit(ops);
    for (const r of db.replicas.values()) {
      if (r.status !== 'online' && r.status !== 'deallocating') continue;
      r.lastTx = txId;
      const s = this.servers.get(r.serverId);
      if (s) this.persistReplica(db, s, r);
    }
    return txId;
  }

  /** Records an administration change as a transaction of the `system` database. */
  bumpSystem(): void {
    const db = this.dbs.get('system');
    if (!db) return;
    const txId = db.store.commit([]);
    for (const r of db.replicas.values()) {
      if (r.status !== 'online') continue;
      r.lastTx = txId;
      const s = this.servers.get(r.serverId);
      if (s) this.persistReplica(db, s, r);
    }
  }

  allocateNodeId(name: string): number {
    return this.db(name).store.allocateNodeId();
  }

  updateSystemVersion(): void {
    const enabled = [...this.servers.values()].filter((s) => s.state !== 'Free' && s.state !== 'Dropped');
    if (!enabled.length) return;
    const lowest = enabled.map((s) => s.version).sort(compareVersions)[0] as Version;
    if (!this.systemVersion || compareVersions(lowest, this.systemVersion) > 0) this.systemVersion = lowest;
  }
}
