/**
 * CloudWatch Logs filter patterns (FilterLogEvents `filterPattern`), the common subset:
 * - terms: `ERROR Exception` (all must appear, case-sensitive), `"quoted phrase"`, `?ERROR ?WARN`
 *   (any of the optional terms), `-term` (must not appear), and `%regex%`;
 * - JSON: `{ $.level = "error" }`, `{ $.latency > 250 }`, `!=`, `<`, `<=`, `>=`, `*` wildcards in
 *   strings, `IS TRUE` / `IS FALSE` / `IS NULL`, `NOT EXISTS`, `&&`, `||` and parentheses, selectors
 *   like `$.a.b[0].c`.
 * Space-delimited patterns (`[ip, user, ...]`) are not supported and are rejected as invalid.
 */

export class FilterPatternError extends Error {}

export type Matcher = (message: string) => boolean;

export function compileFilterPattern(pattern: string | undefined): Matcher {
  const p = (pattern ?? '').trim();
  if (p === '' || p === '""') return () => true;
  if (p.startsWith('{')) {
    if (!p.endsWith('}')) throw new FilterPatternError('Invalid filter pattern: unbalanced braces');
    const expr = new JsonPatternParser(p.slice(1, -1)).parse();
    return (message) => {
      let doc: unknown;
      try {
        doc = JSON.parse(message);
      } catch {
        return false;
      }
      return evaluate(expr, doc);
    };
  }
  if (p.startsWith('['))
    throw new FilterPatternError(
      'Invalid filter pattern: space-delimited patterns are not supported by the twin',
    );
  return termMatcher(p);
}

// ---- term patterns -------------------------------------------------------------------------------

function termMatcher(p: string): Matcher {
  const required: Matcher[] = [];
  const optional: Matcher[] = [];
  const excluded: Matcher[] = [];
  let i = 0;
  while (i < p.length) {
    while (p[i] === ' ' || p[i] === '\t') i++;
    if (i >= p.length) break;
    let kind: 'req' | 'opt' | 'not' = 'req';
    if (p[i] === '?') {
      kind = 'opt';
      i++;
    } else if (p[i] === '-') {
      kind = 'not';
      i++;
    }
    let m: Matcher;
    if (p[i] === '"') {
      const end = p.indexOf('"', i + 1);
      if (end < 0) throw new FilterPatternError('Invalid filter pattern: unterminated quoted term');
      const phrase = p.slice(i + 1, end);
      m = (msg) => msg.includes(phrase);
      i = end + 1;
    } else if (p[i] === '%') {
      const end = p.indexOf('%', i + 1);
      if (end < 0) throw new FilterPatternError('Invalid filter pattern: unterminated regular expression');
      let re: RegExp;
      try {
        re = new RegExp(p.slice(i + 1, end));
      } catch {
        throw new FilterPatternError('Invalid filter pattern: bad regular expression');
      }
      m = (msg) => re.test(msg);
      i = end + 1;
    } else {
      let end = i;
      while (end < p.length && p[end] !== ' ' && p[end] !== '\t') end++;
      const term = p.slice(i, end);
      if (term === '') throw new FilterPatternError('Invalid filter pattern: empty term');
      m = (msg) => msg.includes(term);
      i = end;
    }
    (kind === 'req' ? required : kind === 'opt' ? optional : excluded).push(m);
  }
  return (msg) =>
    required.every((m) => m(msg)) &&
    (optional.length === 0 || optional.some((m) => m(msg))) &&
    !excluded.some((m) => m(msg));
}

// ---- JSON patterns -------------------------------------------------------------------------------

type Value = { kind: 'string'; v: string } | { kind: 'number'; v: number };
type Expr =
  | { op: 'and' | 'or'; left: Expr; right: Expr }
  | { op: 'cmp'; path: (string | number)[]; cmp: string; value: Value }
  | { op: 'is'; path: (string | number)[]; what: 'TRUE' | 'FALSE' | 'NULL' }
  | { op: 'notExists'; path: (string | number)[] };

const TOKEN = /\s*(\(|\)|&&|\|\||!=|<=|>=|=|<|>|"(?:[^"\\]|\\.)*"|\$[^\s()=!<>&|]*|[^\s()=!<>&|"]+)/y;

class JsonPatternParser {
  private readonly tokens: string[] = [];
  private pos = 0;

  constructor(src: string) {
    let at = 0;
    for (;;) {
      TOKEN.lastIndex = at;
      const m = TOKEN.exec(src);
      if (!m) break;
      this.tokens.push(m[1] as string);
      at = TOKEN.lastIndex;
    }
    const rest = src.slice(at).trim();
    if (rest !== '') throw new FilterPatternError(`Invalid filter pattern near: ${rest.slice(0, 20)}`);
  }

  parse(): Expr {
    const e = this.or();
    if (this.pos !== this.tokens.length)
      throw new FilterPatternError(`Invalid filter pattern: unexpected ${this.tokens[this.pos] ?? 'end'}`);
    return e;
  }

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private next(): string {
    const t = this.tokens[this.pos++];
    if (t === undefined) throw new FilterPatternError('Invalid filter pattern: unexpected end');
    return t;
  }

  private or(): Expr {
    let left = this.and();
    while (this.peek() === '||') {
      this.pos++;
      left = { op: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.primary();
    while (this.peek() === '&&') {
      this.pos++;
      left = { op: 'and', left, right: this.primary() };
    }
    return left;
  }

  private primary(): Expr {
    if (this.peek() === '(') {
      this.pos++;
      const e = this.or();
      if (this.next() !== ')') throw new FilterPatternError('Invalid filter pattern: missing )');
      return e;
    }
    const sel = this.next();
    if (!sel.startsWith('$'))
      throw new FilterPatternError(`Invalid filter pattern: expected a $. selector, got ${sel}`);
    const path = parseSelector(sel);
    const op = this.next();
    if (op.toUpperCase() === 'IS') {
      const what = this.next().toUpperCase();
      if (what !== 'TRUE' && what !== 'FALSE' && what !== 'NULL')
        throw new FilterPatternError('Invalid filter pattern: IS needs TRUE, FALSE or NULL');
      return { op: 'is', path, what };
    }
    if (op.toUpperCase() === 'NOT') {
      if (this.next().toUpperCase() !== 'EXISTS')
        throw new FilterPatternError('Invalid filter pattern: NOT must be followed by EXISTS');
      return { op: 'notExists', path };
    }
    if (!['=', '!=', '<', '>', '<=', '>='].includes(op))
      throw new FilterPatternError(`Invalid filter pattern: unknown operator ${op}`);
    const raw = this.next();
    let value: Value;
    if (raw.startsWith('"')) value = { kind: 'string', v: JSON.parse(raw) as string };
    else if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) value = { kind: 'number', v: Number(raw) };
    else value = { kind: 'string', v: raw };
    if (value.kind === 'string' && op !== '=' && op !== '!=')
      throw new FilterPatternError('Invalid filter pattern: strings only compare with = and !=');
    return { op: 'cmp', path, cmp: op, value };
  }
}

function parseSelector(sel: string): (string | number)[] {
  const path: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]/gy;
  re.lastIndex = 1;
  let m: RegExpExecArray | null;
  while (re.lastIndex < sel.length && (m = re.exec(sel)) !== null) {
    path.push(m[1] !== undefined ? m[1] : Number(m[2]));
  }
  if (re.lastIndex !== sel.length || path.length === 0)
    throw new FilterPatternError(`Invalid filter pattern: bad selector ${sel}`);
  return path;
}

function lookup(doc: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = doc;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function glob(pattern: string, s: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(s);
}

function evaluate(e: Expr, doc: unknown): boolean {
  switch (e.op) {
    case 'and':
      return evaluate(e.left, doc) && evaluate(e.right, doc);
    case 'or':
      return evaluate(e.left, doc) || evaluate(e.right, doc);
    case 'is': {
      const v = lookup(doc, e.path);
      return e.what === 'NULL' ? v === null : v === (e.what === 'TRUE');
    }
    case 'notExists':
      return lookup(doc, e.path) === undefined;
    case 'cmp': {
      const v = lookup(doc, e.path);
      if (e.value.kind === 'number') {
        if (typeof v !== 'number') return e.cmp === '!=' && v !== undefined;
        const x = e.value.v;
        switch (e.cmp) {
          case '=':
            return v === x;
          case '!=':
            return v !== x;
          case '<':
            return v < x;
          case '>':
            return v > x;
          case '<=':
            return v <= x;
          default:
            return v >= x;
        }
      }
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return false;
      const hit = glob(e.value.v, String(v));
      return e.cmp === '=' ? hit : !hit;
    }
  }
}
