/**
 * Runs node-only graph queries (MATCH / OPTIONAL MATCH / CREATE / MERGE / SET / DELETE / UNWIND /
 * WITH / RETURN) against a transaction's {@link TxGraph}, row by row as Cypher does.
 */
import { errors } from './errors.js';
import { isPsMap, psMap } from './packstream.js';
import type { PsMap, PsValue } from './packstream.js';
import type { GNode, TxGraph } from './graph.js';
import { NodeRef, equals, toProperty } from './cypher/eval.js';
import type { Row, Val, Evaluator } from './cypher/eval.js';
import type { Clause, Expr, NodePattern } from './cypher/ast.js';

export function isWriteQuery(clauses: Clause[]): boolean {
  return clauses.some((c) => c.k === 'create' || c.k === 'merge' || c.k === 'set' || c.k === 'delete');
}

export interface GraphQueryResult {
  columns: string[];
  rows: Row[];
}

export class GraphQuery {
  constructor(
    private readonly ev: Evaluator,
    private readonly g: TxGraph,
  ) {}

  private ref(n: GNode): NodeRef {
    return new NodeRef(n, (id) => this.g.get(id));
  }

  private propsOf(p: NodePattern, row: Row): PsMap {
    if (!p.props) return psMap();
    const v = this.ev.eval(p.props, row);
    if (v === null) return psMap();
    if (v instanceof NodeRef || Array.isArray(v) || typeof v !== 'object' || !isPsMap(v as PsValue)) {
      throw errors.typeError('Expected a map of properties in the node pattern');
    }
    const out = psMap();
    for (const [k, x] of Object.entries(v as Record<string, Val>)) out[k] = toProperty(x, k);
    return out;
  }

  private matches(n: GNode, p: NodePattern, props: PsMap): boolean {
    if (!p.labels.every((l) => n.labels.includes(l))) return false;
    for (const [k, v] of Object.entries(props)) {
      if (equals(n.props[k] ?? null, v) !== true) return false;
    }
    return true;
  }

  private matchPattern(p: NodePattern, row: Row): GNode[] {
    const props = this.propsOf(p, row);
    if (p.variable && row.has(p.variable)) {
      const bound = row.get(p.variable);
      if (bound === null) return [];
      if (!(bound instanceof NodeRef)) throw errors.typeError(`Variable \`${p.variable}\` is not a node`);
      return this.matches(bound.node, p, props) ? [bound.node] : [];
    }
    const out: GNode[] = [];
    for (const n of this.g.nodes()) if (this.matches(n, p, props)) out.push(n);
    return out;
  }

  run(clauses: Clause[]): GraphQueryResult {
    let rows: Row[] = [new Map<string, Val>()];
    let result: GraphQueryResult = { columns: [], rows: [] };
    for (const c of clauses) {
      switch (c.k) {
        case 'match':
          rows = this.match(rows, c.patterns, c.where, c.optional);
          break;
        case 'create':
          rows = rows.map((r) => {
            const next = new Map(r);
            for (const p of c.patterns) {
              if (p.variable && next.has(p.variable))
                throw errors.syntax(p.variable, `Variable \`${p.variable}\` already declared`);
              const n = this.g.create(p.labels, this.propsOf(p, next));
              if (p.variable) next.set(p.variable, this.ref(n));
            }
            return next;
          });
          break;
        case 'merge': {
          const out: Row[] = [];
          for (const r of rows) {
            const found = this.matchPattern(c.pattern, r);
            const nodes = found.length
              ? found
              : [this.g.create(c.pattern.labels, this.propsOf(c.pattern, r))];
            for (const n of nodes) {
              const next = new Map(r);
              if (c.pattern.variable) next.set(c.pattern.variable, this.ref(n));
              out.push(next);
            }
          }
          rows = out;
          break;
        }
        case 'set':
          for (const r of rows) for (const it of c.items) this.applySet(r, it);
          break;
        case 'delete':
          for (const r of rows) {
            for (const e of c.exprs) {
              const v = this.ev.eval(e, r);
              if (v === null) continue;
              if (!(v instanceof NodeRef)) throw errors.typeError('DELETE expects a node');
              this.g.delete(v.node.id);
            }
          }
          break;
        case 'unwind': {
          const out: Row[] = [];
          for (const r of rows) {
            const list = this.ev.eval(c.expr, r);
            const items = list === null ? [] : Array.isArray(list) ? list : [list];
            for (const it of items) out.push(new Map(r).set(c.alias, it));
          }
          rows = out;
          break;
        }
        case 'with': {
          rows = this.ev.project(c.proj, rows).rows;
          if (c.where) {
            const where = c.where;
            rows = rows.filter((r) => this.ev.eval(where, r) === true);
          }
          break;
        }
        case 'return':
          result = this.ev.project(c.proj, rows);
          break;
      }
    }
    return result;
  }

  private applySet(r: Row, it: { variable: string; key: string | null; value: Expr; merge: boolean }): void {
    const target = r.get(it.variable);
    if (target === undefined) throw errors.syntax(it.variable, `Variable \`${it.variable}\` not defined`);
    if (target === null) return;
    if (!(target instanceof NodeRef)) throw errors.typeError(`Variable \`${it.variable}\` is not a node`);
    const v = this.ev.eval(it.value, r);
    if (it.key !== null) {
      this.g.setProps(target.node.id, psMap({ [it.key]: toProperty(v, it.key) }), false);
      return;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof NodeRef) {
      throw errors.typeError('SET with = or += expects a map');
    }
    const m = psMap();
    for (const [k, x] of Object.entries(v as Record<string, Val>)) m[k] = toProperty(x, k);
    this.g.setProps(target.node.id, m, !it.merge);
  }

  private match(rows: Row[], patterns: NodePattern[], where: Expr | null, optional: boolean): Row[] {
    const out: Row[] = [];
    for (const r of rows) {
      let partial: Row[] = [r];
      for (const p of patterns) {
        const next: Row[] = [];
        for (const pr of partial) {
          for (const n of this.matchPattern(p, pr)) {
            const row = new Map(pr);
            if (p.variable) row.set(p.variable, this.ref(n));
            next.push(row);
          }
        }
        partial = next;
      }
      if (where) partial = partial.filter((pr) => this.ev.eval(where, pr) === true);
      if (!partial.length && optional) {
        const row = new Map(r);
        for (const p of patterns) if (p.variable && !row.has(p.variable)) row.set(p.variable, null);
        partial = [row];
      }
      out.push(...partial);
    }
    return out;
  }
}
