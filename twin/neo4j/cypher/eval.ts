/**
 * Evaluation of Cypher expressions and projections (RETURN / WITH / YIELD) over rows, with Cypher's
 * null semantics, Integer/Float distinction (bigint/number), grouping aggregates (count, collect,
 * sum, min, max, avg) and ORDER BY / SKIP / LIMIT.
 */
import { errors } from '../errors.js';
import { Structure, psMap } from '../packstream.js';
import type { PsMap, PsValue } from '../packstream.js';
import type { GNode } from '../graph.js';
import type { Expr, Projection, SortItem } from './ast.js';

/** A node bound to a variable; it reads the node's current state from the transaction's graph. */
export class NodeRef {
  private last: GNode;

  constructor(
    node: GNode,
    private readonly lookup: (id: number) => GNode | undefined,
  ) {
    this.last = node;
  }

  get node(): GNode {
    const n = this.lookup(this.last.id);
    if (n) this.last = n;
    return this.last;
  }
}

export type Val = PsValue | NodeRef | Val[] | { [k: string]: Val };

export type Row = Map<string, Val>;

export interface EvalEnv {
  params: PsMap;
  /** Node id → the element id string real servers give (`4:<database uuid>:<id>`). */
  elementId(node: GNode): string;
  now(): number;
}

const AGGREGATES = new Set(['count', 'collect', 'sum', 'min', 'max', 'avg']);

export function containsAggregate(e: Expr): boolean {
  switch (e.k) {
    case 'call':
      return AGGREGATES.has(e.name) || e.args.some(containsAggregate);
    case 'bin':
      return containsAggregate(e.l) || containsAggregate(e.r);
    case 'not':
    case 'neg':
    case 'isnull':
      return containsAggregate(e.e);
    case 'prop':
      return containsAggregate(e.obj);
    case 'index':
      return containsAggregate(e.obj) || containsAggregate(e.index);
    case 'list':
      return e.items.some(containsAggregate);
    case 'map':
      return e.entries.some(([, v]) => containsAggregate(v));
    case 'lit':
    case 'param':
    case 'var':
      return false;
  }
}

function isNum(v: Val): v is bigint | number {
  return typeof v === 'bigint' || typeof v === 'number';
}

function typeName(v: Val): string {
  if (v === null) return 'NULL';
  if (v instanceof NodeRef) return 'Node';
  if (Array.isArray(v)) return 'List';
  switch (typeof v) {
    case 'bigint':
      return 'Integer';
    case 'number':
      return 'Float';
    case 'string':
      return 'String';
    case 'boolean':
      return 'Boolean';
    case 'object':
      return v instanceof Uint8Array ? 'ByteArray' : v instanceof Structure ? 'Structure' : 'Map';
    case 'function':
    case 'symbol':
    case 'undefined':
      return 'Unknown';
  }
}

/** Cypher equality: null if either side is null, numbers compare across Integer/Float. */
export function equals(a: Val, b: Val): boolean | null {
  if (a === null || b === null) return null;
  if (isNum(a) && isNum(b)) return typeof a === typeof b ? a === b : Number(a) === Number(b);
  if (a instanceof NodeRef && b instanceof NodeRef) return a.node.id === b.node.id;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    let sawNull = false;
    for (let i = 0; i < a.length; i++) {
      const r = equals(a[i] as Val, b[i] as Val);
      if (r === false) return false;
      if (r === null) sawNull = true;
    }
    return sawNull ? null : true;
  }
  if (isPlainMap(a) && isPlainMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) {
      if (!(k in b)) return false;
      const r = equals(a[k] as Val, b[k] as Val);
      if (r !== true) return r;
    }
    return true;
  }
  if (typeof a !== typeof b) return false;
  return a === b;
}

function isPlainMap(v: Val): v is { [k: string]: Val } {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof NodeRef) &&
    !(v instanceof Structure) &&
    !(v instanceof Uint8Array)
  );
}

/** Ordering comparison for <, >, ...: null when the values are not comparable. */
function compare(a: Val, b: Val): number | null {
  if (a === null || b === null) return null;
  if (isNum(a) && isNum(b)) {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return null;
}

/** Total order for ORDER BY (nulls last in ascending order). */
function sortCompare(a: Val, b: Val): number {
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const c = compare(a, b);
  if (c !== null) return c;
  return typeName(a).localeCompare(typeName(b));
}

function truthy(v: Val, what: string): boolean | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v;
  throw errors.typeError(`Expected ${what} to be a Boolean, but was: ${typeName(v)}`);
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function checkInt(v: bigint): bigint {
  if (v > INT64_MAX || v < INT64_MIN) {
    throw new (class extends Error {})('overflow');
  }
  return v;
}

function arithmetic(op: '+' | '-' | '*' | '/' | '%', a: Val, b: Val): Val {
  if (a === null || b === null) return null;
  if (op === '+') {
    if (Array.isArray(a)) return Array.isArray(b) ? [...a, ...b] : [...a, b];
    if (Array.isArray(b)) return [a, ...b];
    if (typeof a === 'string' || typeof b === 'string') {
      if ((typeof a === 'string' || isNum(a)) && (typeof b === 'string' || isNum(b))) {
        return `${typeof a === 'number' ? floatText(a) : String(a)}${typeof b === 'number' ? floatText(b) : String(b)}`;
      }
    }
  }
  if (!isNum(a) || !isNum(b)) {
    throw errors.typeError(`Cannot apply '${op}' to ${typeName(a)} and ${typeName(b)}`);
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    try {
      switch (op) {
        case '+':
          return checkInt(a + b);
        case '-':
          return checkInt(a - b);
        case '*':
          return checkInt(a * b);
        case '/':
          if (b === 0n) throw errors.argumentError('/ by zero');
          return a / b;
        case '%':
          if (b === 0n) throw errors.argumentError('/ by zero');
          return a % b;
      }
    } catch (e) {
      if (e instanceof Error && e.message === 'overflow') {
        throw errors.argumentError(`result of ${a} ${op} ${b} cannot be represented as an integer`);
      }
      throw e;
    }
  }
  const x = Number(a);
  const y = Number(b);
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
    case '%':
      return x % y;
  }
}

function floatText(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

function toStringVal(v: Val): Val {
  if (v === null) return null;
  if (typeof v === 'number') return floatText(v);
  if (typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string') return String(v);
  throw errors.typeError(
    `Invalid input for function 'toString()': Expected a String, Number, Boolean, got: ${typeName(v)}`,
  );
}

export class Evaluator {
  constructor(private readonly env: EvalEnv) {}

  eval(e: Expr, row: Row): Val {
    switch (e.k) {
      case 'lit':
        return e.v;
      case 'param': {
        if (!(e.name in this.env.params)) throw errors.parameterMissing(e.name);
        return this.env.params[e.name] ?? null;
      }
      case 'var': {
        if (!row.has(e.name)) throw errors.syntax(e.name, `Variable \`${e.name}\` not defined`);
        return row.get(e.name) ?? null;
      }
      case 'prop': {
        const o = this.eval(e.obj, row);
        if (o === null) return null;
        if (o instanceof NodeRef) return o.node.props[e.key] ?? null;
        if (isPlainMap(o)) return o[e.key] ?? null;
        throw errors.typeError(`Type mismatch: expected a map but was ${typeName(o)}`);
      }
      case 'index': {
        const o = this.eval(e.obj, row);
        const i = this.eval(e.index, row);
        if (o === null || i === null) return null;
        if (Array.isArray(o)) {
          if (typeof i !== 'bigint') throw errors.typeError('List index must be an Integer');
          const idx = i < 0n ? o.length + Number(i) : Number(i);
          return o[idx] ?? null;
        }
        if (typeof i === 'string') {
          if (o instanceof NodeRef) return o.node.props[i] ?? null;
          if (isPlainMap(o)) return o[i] ?? null;
        }
        throw errors.typeError(`Cannot index ${typeName(o)} with ${typeName(i)}`);
      }
      case 'list':
        return e.items.map((x) => this.eval(x, row));
      case 'map': {
        const m: { [k: string]: Val } = Object.create(null) as { [k: string]: Val };
        for (const [k, v] of e.entries) m[k] = this.eval(v, row);
        return m;
      }
      case 'not': {
        const v = truthy(this.eval(e.e, row), 'NOT operand');
        return v === null ? null : !v;
      }
      case 'neg': {
        const v = this.eval(e.e, row);
        if (v === null) return null;
        if (typeof v === 'bigint') return -v;
        if (typeof v === 'number') return -v;
        throw errors.typeError(`Cannot negate ${typeName(v)}`);
      }
      case 'isnull': {
        const isNull = this.eval(e.e, row) === null;
        return e.not ? !isNull : isNull;
      }
      case 'bin':
        return this.binary(e.op, e.l, e.r, row);
      case 'call':
        if (AGGREGATES.has(e.name)) {
          throw errors.syntax(e.name, `Invalid use of aggregating function ${e.name}(...) in this context`);
        }
        return this.fn(
          e.name,
          e.args.map((a) => this.eval(a, row)),
        );
    }
  }

  private binary(op: string, le: Expr, re: Expr, row: Row): Val {
    if (op === 'and' || op === 'or' || op === 'xor') {
      const l = truthy(this.eval(le, row), op.toUpperCase() + ' operand');
      if (op === 'and' && l === false) return false;
      if (op === 'or' && l === true) return true;
      const r = truthy(this.eval(re, row), op.toUpperCase() + ' operand');
      if (op === 'and') return r === false ? false : l === null || r === null ? null : true;
      if (op === 'or') return r === true ? true : l === null || r === null ? null : false;
      return l === null || r === null ? null : l !== r;
    }
    const l = this.eval(le, row);
    const r = this.eval(re, row);
    switch (op) {
      case '=':
        return equals(l, r);
      case '<>': {
        const eq = equals(l, r);
        return eq === null ? null : !eq;
      }
      case '<':
      case '>':
      case '<=':
      case '>=': {
        const c = compare(l, r);
        if (c === null) return null;
        return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
      }
      case 'in': {
        if (r === null) return null;
        if (!Array.isArray(r)) throw errors.typeError(`IN expects a list, got ${typeName(r)}`);
        let sawNull = false;
        for (const x of r) {
          const eq = equals(l, x);
          if (eq === true) return true;
          if (eq === null) sawNull = true;
        }
        return sawNull ? null : false;
      }
      case 'starts':
      case 'ends':
      case 'contains': {
        if (typeof l !== 'string' || typeof r !== 'string') return null;
        return op === 'starts' ? l.startsWith(r) : op === 'ends' ? l.endsWith(r) : l.includes(r);
      }
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
        return arithmetic(op, l, r);
      default:
        throw errors.syntax(op, `Unsupported operator ${op}`);
    }
  }

  private fn(name: string, args: Val[]): Val {
    const a0 = args[0] ?? null;
    const node = (v: Val, f: string): GNode | null => {
      if (v === null) return null;
      if (v instanceof NodeRef) return v.node;
      throw errors.typeError(`Invalid input for function '${f}()': Expected a Node, got: ${typeName(v)}`);
    };
    switch (name) {
      case 'id': {
        const n = node(a0, 'id');
        return n ? BigInt(n.id) : null;
      }
      case 'elementid': {
        const n = node(a0, 'elementId');
        return n ? this.env.elementId(n) : null;
      }
      case 'labels': {
        const n = node(a0, 'labels');
        return n ? [...n.labels] : null;
      }
      case 'keys':
        if (a0 instanceof NodeRef) return Object.keys(a0.node.props);
        if (isPlainMap(a0)) return Object.keys(a0);
        return null;
      case 'properties':
        if (a0 instanceof NodeRef) return psMap(a0.node.props);
        return isPlainMap(a0) ? a0 : null;
      case 'size':
        if (a0 === null) return null;
        if (typeof a0 === 'string' || Array.isArray(a0)) return BigInt(a0.length);
        throw errors.typeError(
          `Invalid input for function 'size()': Expected a String or List, got: ${typeName(a0)}`,
        );
      case 'tostring':
        return toStringVal(a0);
      case 'tointeger':
        if (a0 === null) return null;
        if (typeof a0 === 'bigint') return a0;
        if (typeof a0 === 'number') return Number.isFinite(a0) ? BigInt(Math.trunc(a0)) : null;
        if (typeof a0 === 'string') return /^\s*-?\d+\s*$/.test(a0) ? BigInt(a0.trim()) : null;
        if (typeof a0 === 'boolean') return a0 ? 1n : 0n;
        throw errors.typeError(`Invalid input for function 'toInteger()': got ${typeName(a0)}`);
      case 'tofloat':
        if (a0 === null) return null;
        if (isNum(a0)) return Number(a0);
        if (typeof a0 === 'string') {
          const f = Number(a0);
          return Number.isNaN(f) ? null : f;
        }
        throw errors.typeError(`Invalid input for function 'toFloat()': got ${typeName(a0)}`);
      case 'toupper':
        return typeof a0 === 'string' ? a0.toUpperCase() : null;
      case 'tolower':
        return typeof a0 === 'string' ? a0.toLowerCase() : null;
      case 'coalesce':
        return args.find((v) => v !== null) ?? null;
      case 'head':
        return Array.isArray(a0) ? (a0[0] ?? null) : null;
      case 'last':
        return Array.isArray(a0) ? (a0[a0.length - 1] ?? null) : null;
      case 'range': {
        const [from, to, step = 1n] = args;
        if (typeof from !== 'bigint' || typeof to !== 'bigint' || typeof step !== 'bigint' || step === 0n) {
          throw errors.argumentError('range() expects integer bounds and a non-zero integer step');
        }
        const out: bigint[] = [];
        for (let i = from; step > 0n ? i <= to : i >= to; i += step) {
          out.push(i);
          if (out.length > 1_000_000)
            throw errors.argumentError('range() too large for the simulated member');
        }
        return out;
      }
      case 'timestamp':
        return BigInt(this.env.now());
      case 'abs':
        return typeof a0 === 'bigint' ? (a0 < 0n ? -a0 : a0) : typeof a0 === 'number' ? Math.abs(a0) : null;
      default:
        throw errors.syntax(name, `Unknown function '${name}'`);
    }
  }

  /** Evaluates an expression that may contain aggregates over a group of rows. */
  evalGroup(e: Expr, rows: Row[]): Val {
    if (!containsAggregate(e)) return rows.length ? this.eval(e, rows[0] as Row) : null;
    switch (e.k) {
      case 'call':
        if (AGGREGATES.has(e.name)) return this.aggregate(e.name, e, rows);
        return this.fn(
          e.name,
          e.args.map((a) => this.evalGroup(a, rows)),
        );
      case 'bin': {
        const l = this.evalGroup(e.l, rows);
        const r = this.evalGroup(e.r, rows);
        const tmp = new Map<string, Val>([
          ['\u0000l', l],
          ['\u0000r', r],
        ]);
        return this.binary(e.op, { k: 'var', name: '\u0000l' }, { k: 'var', name: '\u0000r' }, tmp);
      }
      case 'list':
        return e.items.map((x) => this.evalGroup(x, rows));
      case 'map': {
        const m: { [k: string]: Val } = Object.create(null) as { [k: string]: Val };
        for (const [k, v] of e.entries) m[k] = this.evalGroup(v, rows);
        return m;
      }
      case 'lit':
      case 'param':
      case 'var':
      case 'index':
      case 'isnull':
      case 'neg':
      case 'not':
      case 'prop': {
        const inner = this.evalGroup('e' in e ? e.e : 'obj' in e ? e.obj : e, rows);
        const tmp = new Map<string, Val>([['\u0000x', inner]]);
        const replaced = { ...e } as Expr & { e?: Expr; obj?: Expr };
        if ('e' in replaced) replaced.e = { k: 'var', name: '\u0000x' };
        else if ('obj' in replaced) replaced.obj = { k: 'var', name: '\u0000x' };
        return this.eval(replaced, tmp);
      }
    }
  }

  private aggregate(name: string, call: Extract<Expr, { k: 'call' }>, rows: Row[]): Val {
    if (name === 'count' && call.star) return BigInt(rows.length);
    const arg = call.args[0];
    if (!arg) throw errors.syntax(name, `${name}() needs an argument`);
    let values: Val[] = rows.map((r) => this.eval(arg, r)).filter((v) => v !== null);
    if (call.distinct) {
      const uniq: Val[] = [];
      for (const v of values) if (!uniq.some((u) => equals(u, v) === true)) uniq.push(v);
      values = uniq;
    }
    switch (name) {
      case 'count':
        return BigInt(values.length);
      case 'collect':
        return values;
      case 'sum': {
        if (values.every((v) => typeof v === 'bigint')) return values.reduce((s, v) => s + v, 0n);
        let s = 0;
        for (const v of values) {
          if (!isNum(v)) throw errors.typeError(`sum() of ${typeName(v)}`);
          s += Number(v);
        }
        return s;
      }
      case 'avg': {
        if (!values.length) return null;
        let s = 0;
        for (const v of values) {
          if (!isNum(v)) throw errors.typeError(`avg() of ${typeName(v)}`);
          s += Number(v);
        }
        return s / values.length;
      }
      case 'min':
      case 'max': {
        if (!values.length) return null;
        let best = values[0] as Val;
        for (const v of values.slice(1)) {
          const c = sortCompare(v, best);
          if ((name === 'min' && c < 0) || (name === 'max' && c > 0)) best = v;
        }
        return best;
      }
      default:
        throw errors.syntax(name, `Unknown aggregate ${name}`);
    }
  }

  private intArg(e: Expr | null, what: string): number | null {
    if (!e) return null;
    const v = this.eval(e, new Map());
    if (typeof v !== 'bigint' || v < 0n)
      throw errors.argumentError(`Invalid input: the value of ${what} must be a non-negative integer.`);
    return Number(v);
  }

  sortRows(rows: Row[], orderBy: SortItem[]): Row[] {
    if (!orderBy.length) return rows;
    const keyed = rows.map((r, i) => ({ r, i, keys: orderBy.map((o) => this.eval(o.expr, r)) }));
    keyed.sort((a, b) => {
      for (let j = 0; j < orderBy.length; j++) {
        const c = sortCompare(a.keys[j] as Val, b.keys[j] as Val);
        if (c !== 0) return (orderBy[j] as SortItem).desc ? -c : c;
      }
      return a.i - b.i;
    });
    return keyed.map((k) => k.r);
  }

  skipLimit(rows: Row[], skip: Expr | null, limit: Expr | null): Row[] {
    const s = this.intArg(skip, 'SKIP') ?? 0;
    const l = this.intArg(limit, 'LIMIT');
    return rows.slice(s, l === null ? undefined : s + l);
  }

  /**
   * Applies a RETURN/WITH projection. Returns the output rows keyed by column name; for WITH, the
   * new rows become the scope (variables named by the columns).
   */
  project(proj: Projection, rows: Row[]): { columns: string[]; rows: Row[] } {
    const items = [...proj.items];
    const columns: string[] = [];
    if (proj.star) {
      const names = rows[0] ? [...rows[0].keys()].filter((k) => !k.startsWith('\u0000')) : [];
      for (const n of names) items.unshift({ expr: { k: 'var', name: n }, name: n });
    }
    for (const it of items) columns.push(it.name);
    let out: Row[];
    if (items.some((it) => containsAggregate(it.expr))) {
      const keyItems = items.filter((it) => !containsAggregate(it.expr));
      const groups = new Map<string, { key: Val[]; rows: Row[] }>();
      const order: string[] = [];
      for (const r of rows) {
        const key = keyItems.map((it) => this.eval(it.expr, r));
        const ks = JSON.stringify(key, (_k, v: unknown) =>
          typeof v === 'bigint' ? `i:${v}` : v instanceof NodeRef ? `n:${v.node.id}` : v,
        );
        let g = groups.get(ks);
        if (!g) {
          g = { key, rows: [] };
          groups.set(ks, g);
          order.push(ks);
        }
        g.rows.push(r);
      }
      if (rows.length === 0 && keyItems.length === 0) {
        groups.set('', { key: [], rows: [] });
        order.push('');
      }
      out = order.map((ks) => {
        const g = groups.get(ks) as { key: Val[]; rows: Row[] };
        const row: Row = new Map();
        for (const it of items) row.set(it.name, this.evalGroup(it.expr, g.rows));
        return row;
      });
    } else {
      out = rows.map((r) => {
        const row: Row = new Map();
        for (const it of items) row.set(it.name, this.eval(it.expr, r));
        // ORDER BY may refer to variables that are not projected.
        for (const [k, v] of r) if (!row.has(k)) row.set('\u0000' + k, v);
        return row;
      });
    }
    if (proj.distinct) {
      const uniq: Row[] = [];
      for (const r of out) {
        const vals = columns.map((c) => r.get(c) ?? null);
        if (!uniq.some((u) => columns.every((c, i) => equals(u.get(c) ?? null, vals[i] as Val) === true)))
          uniq.push(r);
      }
      out = uniq;
    }
    if (proj.orderBy.length) {
      const withScope = out.map((r) => {
        const scope: Row = new Map();
        for (const [k, v] of r) scope.set(k.startsWith('\u0000') ? k.slice(1) : k, v);
        for (const [k, v] of r) if (!k.startsWith('\u0000')) scope.set(k, v);
        return { r, scope };
      });
      const sorted = this.sortRows(
        withScope.map((w) => w.scope),
        proj.orderBy,
      );
      const back = new Map(withScope.map((w) => [w.scope, w.r]));
      out = sorted.map((s) => back.get(s) as Row);
    }
    out = this.skipLimit(out, proj.skip, proj.limit);
    for (const r of out) for (const k of [...r.keys()]) if (k.startsWith('\u0000')) r.delete(k);
    return { columns, rows: out };
  }
}

/** Converts an evaluated value to PackStream for a RECORD, turning nodes into Node structures. */
export function toPackstream(v: Val, nodeToPs: (n: GNode) => Structure): PsValue {
  if (v instanceof NodeRef) return nodeToPs(v.node);
  if (Array.isArray(v)) return v.map((x) => toPackstream(x, nodeToPs));
  if (isPlainMap(v)) {
    const m = psMap();
    for (const [k, x] of Object.entries(v)) m[k] = toPackstream(x, nodeToPs);
    return m;
  }
  return v;
}

/** Converts an evaluated value to a property value (nodes and maps are not storable). */
export function toProperty(v: Val, key: string): PsValue {
  if (v instanceof NodeRef || isPlainMap(v))
    throw errors.typeError(
      `Property values can only be of primitive types or arrays thereof (property '${key}')`,
    );
  if (Array.isArray(v)) return v.map((x) => toProperty(x, key));
  return v;
}
