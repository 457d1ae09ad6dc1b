/**
 * The tiny property graph behind a simulated database: labelled nodes with properties (no
 * relationships), enough for write-then-read tests and the workload. Transactions see their own
 * writes through {@link TxGraph}, an overlay on a committed {@link Graph}; committing yields the list
 * of {@link GraphOp}s that the cluster replicates and appends to the store's log.
 */
import { Unpacker, pack, psMap, isPsMap } from './packstream.js';
import type { PsMap, PsValue } from './packstream.js';

export interface GNode {
  id: number;
  labels: string[];
  props: PsMap;
}

export type GraphOp =
  | { op: 'create'; id: number; labels: string[]; props: PsMap }
  | { op: 'set'; id: number; props: PsMap }
  | { op: 'delete'; id: number };

/** Read access shared by committed graphs and transaction overlays. */
export interface GraphReader {
  nodes(): Iterable<GNode>;
  get(id: number): GNode | undefined;
}

export class Graph implements GraphReader {
  private readonly byId = new Map<number, GNode>();

  nodes(): Iterable<GNode> {
    return this.byId.values();
  }

  get(id: number): GNode | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  apply(op: GraphOp): void {
    switch (op.op) {
      case 'create':
        this.byId.set(op.id, { id: op.id, labels: [...op.labels], props: psMap(op.props) });
        return;
      case 'set': {
        const n = this.byId.get(op.id);
        if (n) this.byId.set(op.id, { ...n, props: psMap(op.props) });
        return;
      }
      case 'delete':
        this.byId.delete(op.id);
        return;
    }
  }

  clone(): Graph {
    const g = new Graph();
    for (const n of this.byId.values()) g.byId.set(n.id, n);
    return g;
  }

  /** A compact serialised form (PackStream, base64) for a volume's data map. */
  serialise(): string {
    const nodes: PsValue[] = [];
    for (const n of this.byId.values()) nodes.push([BigInt(n.id), n.labels, n.props]);
    return pack(nodes).toString('base64');
  }

  static deserialise(text: string): Graph {
    const g = new Graph();
    const v = new Unpacker(Buffer.from(text, 'base64')).unpack();
    if (!Array.isArray(v)) throw new Error('corrupt graph snapshot');
    for (const item of v) {
      if (!Array.isArray(item)) throw new Error('corrupt graph snapshot');
      const [id, labels, props] = item;
      if (typeof id !== 'bigint' || !Array.isArray(labels) || !isPsMap(props))
        throw new Error('corrupt graph snapshot');
      g.byId.set(Number(id), {
        id: Number(id),
        labels: labels.filter((l): l is string => typeof l === 'string'),
        props,
      });
    }
    return g;
  }
}

/** A transaction's view: the committed graph plus its own uncommitted changes. */
export class TxGraph implements GraphReader {
  readonly ops: GraphOp[] = [];
  private readonly changed = new Map<number, GNode | null>();
  stats = { nodesCreated: 0, nodesDeleted: 0, propertiesSet: 0, labelsAdded: 0 };

  constructor(
    private readonly base: GraphReader,
    private readonly allocateId: () => number,
  ) {}

  get hasWrites(): boolean {
    return this.ops.length > 0;
  }

  *nodes(): Iterable<GNode> {
    for (const n of this.base.nodes()) {
      if (this.changed.has(n.id)) continue;
      yield n;
    }
    for (const n of this.changed.values()) if (n) yield n;
  }

  get(id: number): GNode | undefined {
    if (this.changed.has(id)) return this.changed.get(id) ?? undefined;
    return this.base.get(id);
  }

  create(labels: string[], props: PsMap): GNode {
    const id = this.allocateId();
    const clean = psMap();
    for (const [k, v] of Object.entries(props)) if (v !== null) clean[k] = v;
    const n: GNode = { id, labels: [...new Set(labels)], props: clean };
    this.changed.set(id, n);
    this.ops.push({ op: 'create', id, labels: n.labels, props: clean });
    this.stats.nodesCreated++;
    this.stats.labelsAdded += n.labels.length;
    this.stats.propertiesSet += Object.keys(clean).length;
    return n;
  }

  setProps(id: number, updates: PsMap, replace: boolean): void {
    const n = this.get(id);
    if (!n) return;
    const props = replace ? psMap() : psMap(n.props);
    for (const [k, v] of Object.entries(updates)) {
      if (v === null) delete props[k];
      else props[k] = v;
      this.stats.propertiesSet++;
    }
    this.changed.set(id, { ...n, props });
    this.ops.push({ op: 'set', id, props });
  }

  delete(id: number): void {
    if (!this.get(id)) return;
    this.changed.set(id, null);
    this.ops.push({ op: 'delete', id });
    this.stats.nodesDeleted++;
  }
}
