/**
 * What a simulated member keeps on its data volume, and the transaction logs behind each store.
 *
 * On the volume (the EBS volume's `data` map in the AWS twin, or a plain Map standalone):
 * - `neo4j/server_id`: the server's identity, generated on first start. A member started on an empty
 *   volume gets a new one, exactly as a real server does when its data directory is gone;
 * - `neo4j/db/<name>`: `{storeId, databaseId, lastTx}` of each database copy it holds;
 * - `neo4j/db/<name>/graph`: the graph at `lastTx`, written when the member stops, so a store survives
 *   the twin process too.
 *
 * A {@link StoreLog} is the committed history of one store (one database incarnation): members that
 * share a store id replay the same log up to their own `lastTx`.
 */
import { Graph } from './graph.js';
import type { GraphOp } from './graph.js';

const PREFIX = 'neo4j/';

export interface StoreRecord {
  storeId: string;
  databaseId: string;
  lastTx: number;
}

export class MemberVolume {
  constructor(readonly data: Map<string, string>) {}

  /** True if no Neo4j data was ever written here. */
  isEmpty(): boolean {
    for (const k of this.data.keys()) if (k.startsWith(PREFIX)) return false;
    return true;
  }

  serverId(): string | undefined {
    return this.data.get(`${PREFIX}server_id`);
  }

  setServerId(id: string): void {
    this.data.set(`${PREFIX}server_id`, id);
  }

  store(db: string): StoreRecord | undefined {
    const raw = this.data.get(`${PREFIX}db/${db}`);
    if (!raw) return undefined;
    try {
      const v = JSON.parse(raw) as Partial<StoreRecord>;
      if (typeof v.storeId !== 'string' || typeof v.databaseId !== 'string' || typeof v.lastTx !== 'number')
        return undefined;
      return { storeId: v.storeId, databaseId: v.databaseId, lastTx: v.lastTx };
    } catch {
      return undefined;
    }
  }

  setStore(db: string, rec: StoreRecord): void {
    this.data.set(`${PREFIX}db/${db}`, JSON.stringify(rec));
  }

  removeStore(db: string): void {
    this.data.delete(`${PREFIX}db/${db}`);
    this.data.delete(`${PREFIX}db/${db}/graph`);
  }

  databases(): string[] {
    const out: string[] = [];
    for (const k of this.data.keys()) {
      const m = /^neo4j\/db\/([^/]+)$/.exec(k);
      if (m) out.push(m[1] as string);
    }
    return out.sort();
  }

  saveGraph(db: string, g: Graph): void {
    this.data.set(`${PREFIX}db/${db}/graph`, g.serialise());
  }

  loadGraph(db: string): Graph | undefined {
    const raw = this.data.get(`${PREFIX}db/${db}/graph`);
    if (!raw) return undefined;
    try {
      return Graph.deserialise(raw);
    } catch {
      return undefined;
    }
  }
}

interface TxEntry {
  txId: number;
  ops: GraphOp[];
}

/** The committed history of one store. */
export class StoreLog {
  private readonly entries: TxEntry[] = [];
  private head: Graph;
  private cache: { txId: number; graph: Graph } | null = null;
  private nextNodeId: number;

  constructor(
    readonly storeId: string,
    readonly databaseId: string,
    /** The tx id of `base` (1 for a new store: its creation). */
    private baseTx = 1,
    private readonly base: Graph = new Graph(),
  ) {
    this.head = base.clone();
    let max = -1;
    for (const n of base.nodes()) max = Math.max(max, n.id);
    this.nextNodeId = max + 1;
  }

  get headTx(): number {
    return this.entries.length ? (this.entries[this.entries.length - 1] as TxEntry).txId : this.baseTx;
  }

  get firstTx(): number {
    return this.baseTx;
  }

  headGraph(): Graph {
    return this.head;
  }

  allocateNodeId(): number {
    return this.nextNodeId++;
  }

  commit(ops: GraphOp[]): number {
    const txId = this.headTx + 1;
    this.entries.push({ txId, ops });
    for (const op of ops) this.head.apply(op);
    return txId;
  }

  /** The graph as of `txId` (a lagging member reads its own, older state). */
  graphAt(txId: number): Graph {
    if (txId >= this.headTx) return this.head;
    if (this.cache?.txId === txId) return this.cache.graph;
    const g = this.base.clone();
    for (const e of this.entries) {
      if (e.txId > txId) break;
      for (const op of e.ops) g.apply(op);
    }
    this.cache = { txId, graph: g };
    return g;
  }

  /** Forgets transactions after `txId` (they were on members that are gone: data loss). */
  truncate(txId: number): number {
    let lost = 0;
    while (this.entries.length && (this.entries[this.entries.length - 1] as TxEntry).txId > txId) {
      this.entries.pop();
      lost++;
    }
    if (txId < this.baseTx) this.baseTx = txId;
    if (lost) {
      this.cache = null;
      const g = this.base.clone();
      for (const e of this.entries) for (const op of e.ops) g.apply(op);
      this.head = g;
    }
    return lost;
  }
}
