/**
 * The query engine of one simulated member: it parses a query, checks it against the member's
 * edition and version (Community and 4.4 refuse what they really refuse, with the real codes),
 * answers SHOW / CALL / administration commands from the cluster model, and runs graph queries in
 * auto-commit or explicit transactions (writes only on the leader, with a majority, and never on a
 * database that is read-only on this server).
 */
import { errors } from './errors.js';
import { Structure, psMap } from './packstream.js';
import type { PsMap, PsValue } from './packstream.js';
import { TxGraph } from './graph.js';
import type { GNode } from './graph.js';
import type { ClusterModel, ServerRec } from './cluster.js';
import {
  SHOW_DATABASES_44_COLUMNS,
  SHOW_DATABASES_44_DEFAULT,
  SHOW_DATABASES_COLUMNS,
  SHOW_DATABASES_DEFAULT,
  SHOW_SERVERS_COLUMNS,
  SHOW_SERVERS_DEFAULT,
  SHOW_SINGLE_DATABASE_DEFAULT,
  STATUS_CHECK_COLUMNS,
  clusterOverview44,
  clusterRole44,
  routingTable,
  routingTableValue,
  showDatabasesRows,
  showDatabasesRows44,
  showServersRows,
  statusCheckRows,
} from './cluster-views.js';
import type { ViewContext } from './cluster-views.js';
import * as admin from './cluster-admin.js';
import { parseStatement } from './cypher/parser.js';
import { Evaluator, toPackstream } from './cypher/eval.js';
import type { Row, Val } from './cypher/eval.js';
import type { ShowTail, Statement } from './cypher/ast.js';
import { GraphQuery, isWriteQuery } from './graph-query.js';
import { SETTINGS, applySetting } from './settings.js';
import type { Version } from './versions.js';

export interface MemberContext {
  readonly cluster: ClusterModel;
  readonly serverId: string;
  readonly edition: 'enterprise' | 'community';
  readonly version: Version;
  now(): number;
}

export type QueryType = 'r' | 'w' | 'rw' | 's';

export interface Outcome {
  fields: string[];
  records: PsValue[][];
  type: QueryType;
  stats: PsMap;
  db: string;
  /** Set for auto-commit queries. */
  bookmark: string | null;
}

export interface TxState {
  db: string;
  mode: 'r' | 'w';
  graph: TxGraph | null;
  term: number | null;
  systemUpdates: number;
}

export function bookmarkFor(db: string, txId: number): string {
  return `FB:sim:${db}:${txId}`;
}

function statsMap(
  s: { nodesCreated: number; nodesDeleted: number; propertiesSet: number; labelsAdded: number },
  systemUpdates = 0,
): PsMap {
  const m = psMap();
  const any = s.nodesCreated + s.nodesDeleted + s.propertiesSet + s.labelsAdded > 0;
  if (any) m['contains-updates'] = true;
  if (s.labelsAdded) m['labels-added'] = BigInt(s.labelsAdded);
  if (s.nodesCreated) m['nodes-created'] = BigInt(s.nodesCreated);
  if (s.nodesDeleted) m['nodes-deleted'] = BigInt(s.nodesDeleted);
  if (s.propertiesSet) m['properties-set'] = BigInt(s.propertiesSet);
  if (systemUpdates) {
    m['system-updates'] = BigInt(systemUpdates);
    m['contains-system-updates'] = true;
  }
  return m;
}

interface Procedure {
  columns: string[];
  enterprise: boolean;
  /** Only on 4.4 (true) or only on 5.x and later (false); undefined = both. */
  only44?: boolean;
  minMinor5?: number;
  run(args: Val[]): Row[];
}

export class QueryEngine {
  constructor(private readonly m: MemberContext) {}

  private get c(): ClusterModel {
    return this.m.cluster;
  }
  private get is44(): boolean {
    return this.m.version.major === 4;
  }
  private self(): ServerRec {
    const s = this.c.servers.get(this.m.serverId);
    if (!s)
      throw errors.databaseUnavailable('system', 'is unavailable: this server is not part of the cluster');
    return s;
  }
  private view(): ViewContext {
    return { cluster: this.c, edition: this.m.edition, self: this.self() };
  }
  private requireFormed(): void {
    if (!this.c.formed)
      throw errors.databaseUnavailable('system', 'is unavailable: the cluster has not formed yet');
  }

  private evaluator(params: PsMap): Evaluator {
    return new Evaluator({
      params,
      now: () => this.m.now(),
      elementId: (n) => this.elementId(n),
    });
  }

  private elementId(n: GNode): string {
    const db = this.currentDb ? this.c.dbs.get(this.currentDb) : undefined;
    return `4:${db?.store.storeId ?? '00000000-0000-0000-0000-000000000000'}:${n.id}`;
  }
  private currentDb: string | null = null;

  nodeToPs(n: GNode): Structure {
    return new Structure(0x4e, [BigInt(n.id), [...n.labels], psMap(n.props), this.elementId(n)]);
  }

  private records(columns: string[], rows: Row[]): PsValue[][] {
    return rows.map((r) => columns.map((c) => toPackstream(r.get(c) ?? null, (n) => this.nodeToPs(n))));
  }

  /** Runs one query. `tx` is the open explicit transaction, or null for auto-commit. */
  execute(query: string, params: PsMap, db: string, mode: 'r' | 'w', tx: TxState | null): Outcome {
    const stmt = parseStatement(query);
    const target = tx ? tx.db : db;
    this.currentDb = target;
    const ev = this.evaluator(params);
    const sys = (fields: string[], rows: Row[], updates = 0): Outcome => {
      if (tx) tx.systemUpdates += updates;
      return {
        fields,
        records: this.records(fields, rows),
        type: 's',
        stats: statsMap({ nodesCreated: 0, nodesDeleted: 0, propertiesSet: 0, labelsAdded: 0 }, updates),
        db: target,
        bookmark: tx ? null : bookmarkFor('system', this.c.dbs.get('system')?.store.headTx ?? 1),
      };
    };
    switch (stmt.k) {
      case 'showDatabases':
        return this.showDatabases(stmt, ev, sys);
      case 'showServers': {
        if (this.is44) throw errors.syntax(query, "Invalid input 'SERVERS'");
        if (this.m.edition === 'community') throw errors.unsupportedShowServers(query.trim());
        this.requireFormed();
        const out = this.applyTail(
          SHOW_SERVERS_COLUMNS,
          SHOW_SERVERS_DEFAULT,
          showServersRows(this.view()),
          stmt.tail,
          ev,
        );
        return sys(out.columns, out.rows);
      }
      case 'call':
        return this.call(stmt, ev, sys, target);
      case 'query':
        return this.graph(stmt, ev, target, mode, tx);
      case 'enableServer':
      case 'alterServer':
      case 'renameServer':
      case 'dropServer':
      case 'deallocate':
      case 'reallocate':
      case 'createDatabase':
      case 'dropDatabase':
      case 'alterDatabaseTopology':
      case 'startStopDatabase':
        return this.administration(query, stmt, ev, sys);
    }
  }

  private showDatabases(
    stmt: Extract<Statement, { k: 'showDatabases' }>,
    ev: Evaluator,
    sys: (f: string[], r: Row[], u?: number) => Outcome,
  ): Outcome {
    this.requireFormed();
    let rows = this.is44 ? showDatabasesRows44(this.view()) : showDatabasesRows(this.view());
    let defaults = this.is44 ? SHOW_DATABASES_44_DEFAULT : SHOW_DATABASES_DEFAULT;
    const all = this.is44 ? SHOW_DATABASES_44_COLUMNS : SHOW_DATABASES_COLUMNS;
    const t = stmt.target;
    if (t.kind === 'name') {
      const name = ev.eval(t.name, new Map());
      if (typeof name !== 'string') throw errors.typeError('Expected the database name to be a String');
      rows = rows.filter((r) => r.get('name') === name.toLowerCase());
    } else if (t.kind === 'default' || t.kind === 'home') {
      rows = rows.filter((r) => r.get('name') === 'neo4j');
      defaults = SHOW_SINGLE_DATABASE_DEFAULT;
    }
    const out = this.applyTail(all, defaults, rows, stmt.tail, ev);
    return sys(out.columns, out.rows);
  }

  /** YIELD / ORDER BY / SKIP / LIMIT / WHERE / RETURN after SHOW and CALL. */
  private applyTail(
    all: string[],
    defaults: string[],
    source: Row[],
    tail: ShowTail,
    ev: Evaluator,
  ): { columns: string[]; rows: Row[] } {
    let columns = defaults;
    let rows = source;
    if (tail.yieldStar) columns = all;
    else if (tail.yieldItems) {
      for (const it of tail.yieldItems) {
        if (!all.includes(it.name)) throw errors.syntax(it.name, `Variable \`${it.name}\` not defined`);
      }
      const items = tail.yieldItems;
      columns = items.map((i) => i.alias);
      rows = rows.map((r) => {
        const out: Row = new Map();
        for (const it of items) out.set(it.alias, r.get(it.name) ?? null);
        return out;
      });
    }
    rows = ev.sortRows(rows, tail.yieldOrderBy);
    rows = ev.skipLimit(rows, tail.yieldSkip, tail.yieldLimit);
    if (tail.where) {
      const where = tail.where;
      rows = rows.filter((r) => ev.eval(where, r) === true);
    }
    if (tail.ret) return ev.project(tail.ret, rows);
    return { columns, rows: rows.map((r) => new Map(columns.map((c) => [c, r.get(c) ?? null]))) };
  }

  private procedures(target: string): Record<string, Procedure> {
    const str = (v: Val | undefined, what: string): string => {
      if (typeof v !== 'string') throw errors.typeError(`Expected ${what} to be a String`);
      return v;
    };
    return {
      'dbms.components': {
        columns: ['name', 'versions', 'edition'],
        enterprise: false,
        run: () => [
          new Map<string, Val>([
            ['name', 'Neo4j Kernel'],
            ['versions', [this.m.version.text]],
            ['edition', this.m.edition],
          ]),
        ],
      },
      'dbms.routing.getRoutingTable': {
        columns: ['ttl', 'servers'],
        enterprise: false,
        run: (args) => this.routingRows(args, target),
      },
      'dbms.cluster.routing.getRoutingTable': {
        columns: ['ttl', 'servers'],
        enterprise: false,
        run: (args) => this.routingRows(args, target),
      },
      'dbms.setConfigValue': {
        columns: [],
        enterprise: true,
        run: (args) => {
          applySetting(this.self(), str(args[0], 'the setting name'), str(args[1], 'the setting value'));
          this.c.reconcile();
          return [];
        },
      },
      'dbms.listConfig': {
        columns: [
          'name',
          'description',
          'value',
          'dynamic',
          'defaultValue',
          'startupValue',
          'explicitlySet',
          'validValues',
        ],
        enterprise: false,
        run: (args) => {
          const search = typeof args[0] === 'string' ? args[0].toLowerCase() : '';
          return SETTINGS.filter((s) => s.name.toLowerCase().includes(search)).map((s) => {
            const value = s.read(this.self());
            return new Map<string, Val>([
              ['name', s.name],
              ['description', s.description],
              ['value', value],
              ['dynamic', true],
              ['defaultValue', s.defaultValue],
              ['startupValue', s.defaultValue],
              ['explicitlySet', value !== s.defaultValue],
              ['validValues', s.validValues],
            ]);
          });
        },
      },
      'dbms.cluster.cordonServer': {
        columns: [],
        enterprise: true,
        only44: false,
        run: (args) => {
          admin.cordonServer(this.c, str(args[0], 'the server'));
          return [];
        },
      },
      'dbms.cluster.setAutomaticallyEnableFreeServers': {
        columns: [],
        enterprise: true,
        only44: false,
        run: (args) => {
          if (typeof args[0] !== 'boolean') throw errors.typeError('Expected a Boolean');
          this.c.p.autoEnableFreeServers = args[0];
          return [];
        },
      },
      'dbms.cluster.statusCheck': {
        columns: STATUS_CHECK_COLUMNS,
        enterprise: true,
        only44: false,
        minMinor5: 24,
        run: (args) => {
          const list = args[0] ?? [];
          if (!Array.isArray(list) || !list.every((x) => typeof x === 'string'))
            throw errors.typeError('Expected a list of database names');
          return statusCheckRows(this.view(), list);
        },
      },
      'dbms.cluster.role': {
        columns: ['role'],
        enterprise: true,
        only44: true,
        run: (args) => [
          new Map<string, Val>([
            ['role', clusterRole44(this.view(), typeof args[0] === 'string' ? args[0] : 'neo4j')],
          ]),
        ],
      },
      'dbms.cluster.overview': {
        columns: ['id', 'addresses', 'databases', 'groups'],
        enterprise: true,
        only44: true,
        run: () => clusterOverview44(this.view()),
      },
    };
  }

  private routingRows(args: Val[], target: string): Row[] {
    const dbArg = args[1];
    const name = typeof dbArg === 'string' ? dbArg.toLowerCase() : target === 'system' ? 'neo4j' : target;
    const [ttl, servers] = routingTableValue(routingTable(this.c, name));
    return [
      new Map<string, Val>([
        ['ttl', ttl ?? null],
        ['servers', servers ?? null],
      ]),
    ];
  }

  private call(
    stmt: Extract<Statement, { k: 'call' }>,
    ev: Evaluator,
    sys: (f: string[], r: Row[], u?: number) => Outcome,
    target: string,
  ): Outcome {
    const proc = this.procedures(target)[stmt.proc];
    const available =
      proc &&
      !(proc.enterprise && this.m.edition === 'community') &&
      !(proc.only44 === true && !this.is44) &&
      !(proc.only44 === false && this.is44) &&
      !(
        proc.minMinor5 !== undefined &&
        !this.m.version.calver &&
        this.m.version.major === 5 &&
        this.m.version.minor < proc.minMinor5
      );
    if (!proc || !available) throw errors.procedureNotFound(stmt.proc);
    if (
      stmt.proc !== 'dbms.components' &&
      stmt.proc !== 'dbms.listConfig' &&
      stmt.proc !== 'dbms.setConfigValue'
    )
      this.requireFormed();
    const args = stmt.args.map((a) => ev.eval(a, new Map()));
    const rows = proc.run(args);
    const out = this.applyTail(proc.columns, proc.columns, rows, stmt.tail, ev);
    const outcome = sys(out.columns, out.rows);
    if (target !== 'system') outcome.type = 'r';
    return outcome;
  }

  private administration(
    query: string,
    stmt: Statement,
    ev: Evaluator,
    sys: (f: string[], r: Row[], u?: number) => Outcome,
  ): Outcome {
    const serverCommand = [
      'enableServer',
      'alterServer',
      'renameServer',
      'dropServer',
      'deallocate',
      'reallocate',
    ].includes(stmt.k);
    if (this.is44 && serverCommand)
      throw errors.syntax(query, `Invalid input '${query.trim().split(/\s+/)[0] ?? ''}'`);
    if (this.m.edition === 'community') throw errors.unsupportedAdministration(query.trim());
    this.requireFormed();
    const str = (e: Parameters<Evaluator['eval']>[0], what: string): string => {
      const v = ev.eval(e, new Map());
      if (typeof v !== 'string') throw errors.typeError(`Expected ${what} to be a String`);
      return v;
    };
    const options = (e: Parameters<Evaluator['eval']>[0] | null): Record<string, PsValue> | null => {
      if (!e) return null;
      const v = ev.eval(e, new Map());
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        throw errors.typeError('OPTIONS must be a map');
      return v as Record<string, PsValue>;
    };
    switch (stmt.k) {
      case 'enableServer':
        admin.enableServer(this.c, str(stmt.server, 'the server'), options(stmt.options));
        return sys([], [], 1);
      case 'alterServer':
        admin.alterServer(this.c, str(stmt.server, 'the server'), options(stmt.options) ?? {});
        return sys([], [], 1);
      case 'renameServer':
        admin.renameServer(this.c, str(stmt.server, 'the server'), str(stmt.to, 'the new name'));
        return sys([], [], 1);
      case 'dropServer':
        admin.dropServer(this.c, str(stmt.server, 'the server'));
        return sys([], [], 1);
      case 'deallocate': {
        const out = admin.deallocate(
          this.c,
          stmt.servers.map((s) => str(s, 'the server')),
          stmt.dryRun,
        );
        return sys(out.columns, out.rows, stmt.dryRun ? 0 : 1);
      }
      case 'reallocate': {
        const out = admin.reallocate(this.c, stmt.dryRun);
        return sys(out.columns, out.rows, stmt.dryRun ? 0 : 1);
      }
      case 'createDatabase':
        admin.createDatabase(
          this.c,
          str(stmt.name, 'the database name'),
          stmt.topology,
          stmt.ifNotExists,
          stmt.orReplace,
        );
        return sys([], [], 1);
      case 'dropDatabase':
        admin.dropDatabase(this.c, str(stmt.name, 'the database name'), stmt.ifExists);
        return sys([], [], 1);
      case 'alterDatabaseTopology':
        admin.alterTopology(this.c, str(stmt.name, 'the database name'), stmt.topology);
        return sys([], [], 1);
      case 'startStopDatabase':
        admin.startStopDatabase(this.c, str(stmt.name, 'the database name'), stmt.start);
        return sys([], [], 1);
      case 'call':
      case 'query':
      case 'showDatabases':
      case 'showServers':
        throw errors.syntax(query, 'Invalid input');
    }
  }

  /** Opens an explicit transaction on `db`. */
  begin(db: string, mode: 'r' | 'w'): TxState {
    if (db !== 'system') this.c.readable(db, this.m.serverId);
    else this.requireFormed();
    return { db, mode, graph: null, term: null, systemUpdates: 0 };
  }

  /** Commits; returns the bookmark. */
  commit(tx: TxState): string {
    if (tx.graph?.hasWrites) {
      const txId = this.c.commit(tx.db, this.m.serverId, tx.term ?? -1, tx.graph.ops);
      return bookmarkFor(tx.db, txId);
    }
    const db = this.c.dbs.get(tx.db);
    return bookmarkFor(tx.db, db?.replicas.get(this.m.serverId)?.lastTx ?? db?.store.headTx ?? 0);
  }

  private graph(
    stmt: Extract<Statement, { k: 'query' }>,
    ev: Evaluator,
    db: string,
    mode: 'r' | 'w',
    tx: TxState | null,
  ): Outcome {
    const writes = isWriteQuery(stmt.clauses);
    const touchesGraph = stmt.clauses.some((c) => c.k === 'match' || c.k === 'create' || c.k === 'merge');
    if (db === 'system' && touchesGraph) {
      throw errors.notSystemDatabase('graph queries can only be executed in a user database');
    }
    let term: number | null = null;
    if (writes) {
      if ((tx?.mode ?? mode) === 'r') throw errors.accessMode();
      term = this.c.writable(db, this.m.serverId);
      if (tx) {
        if (tx.term !== null && tx.term !== term) throw errors.leaderSwitch();
        tx.term = term;
      }
    }
    let g: TxGraph;
    if (tx?.graph) g = tx.graph;
    else {
      const base =
        db === 'system'
          ? { nodes: () => [], get: () => undefined }
          : this.c.readable(db, this.m.serverId).graph;
      g = new TxGraph(base, () => this.c.allocateNodeId(db));
      if (tx) tx.graph = g;
    }
    const before = { ...g.stats };
    const result = new GraphQuery(ev, g).run(stmt.clauses);
    const delta = {
      nodesCreated: g.stats.nodesCreated - before.nodesCreated,
      nodesDeleted: g.stats.nodesDeleted - before.nodesDeleted,
      propertiesSet: g.stats.propertiesSet - before.propertiesSet,
      labelsAdded: g.stats.labelsAdded - before.labelsAdded,
    };
    const records = this.records(result.columns, result.rows);
    let bookmark: string | null = null;
    if (!tx) {
      if (g.hasWrites) bookmark = bookmarkFor(db, this.c.commit(db, this.m.serverId, term ?? -1, g.ops));
      else {
        const d = this.c.dbs.get(db);
        bookmark = bookmarkFor(db, d?.replicas.get(this.m.serverId)?.lastTx ?? 0);
      }
    }
    const type: QueryType = db === 'system' ? 's' : writes ? (result.columns.length ? 'rw' : 'w') : 'r';
    return { fields: result.columns, records, type, stats: statsMap(delta), db, bookmark };
  }
}
