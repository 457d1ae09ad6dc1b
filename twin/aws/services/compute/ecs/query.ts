/**
 * The ECS cluster query language, used by memberOf placement constraints and by
 * ListContainerInstances' `filter`: subjects (`attribute:<name>`, `ec2InstanceId`, `agentConnected`,
 * `agentVersion`, `registeredAt`, `task:group`), comparisons (`==`/`equals`, `!=`/`not_equals`, `>`,
 * `>=`, `<`, `<=`, `=~`/`matches` (full-match regex), `!~`, `exists`, `!exists`, `in [..]`, `!in [..]`)
 * and `and`/`&&`, `or`/`||`, `not`/`!` with parentheses.
 */

export interface QueryTarget {
  /** Attribute values by name (custom and built-in). */
  attributes: Record<string, string | undefined>;
  ec2InstanceId: string;
  agentConnected: boolean;
  agentVersion: string;
  registeredAt: number;
  /** Groups of the tasks on the instance (for `task:group`). */
  taskGroups: string[];
}

type Node =
  | { k: 'and' | 'or'; a: Node; b: Node }
  | { k: 'not'; a: Node }
  | { k: 'cmp'; subject: string; op: string; values: string[] };

export class QueryError extends Error {}

const TOKEN_RE =
  /\s*(==|!=|>=|<=|=~|!~|&&|\|\||[()[\],!<>]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s()[\],!<>=~&|"']+)/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN_RE.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN_RE.lastIndex = pos;
    const m = TOKEN_RE.exec(src);
    if (!m || m[1] === undefined)
      throw new QueryError(`unexpected character at ${pos}: '${src.slice(pos, pos + 10)}'`);
    out.push(m[1]);
    pos = TOKEN_RE.lastIndex;
  }
  return out;
}

const OPS: Record<string, string> = {
  '==': '==',
  equals: '==',
  '!=': '!=',
  not_equals: '!=',
  '>': '>',
  '>=': '>=',
  '<': '<',
  '<=': '<=',
  '=~': '=~',
  matches: '=~',
  '!~': '!~',
  not_matches: '!~',
};

function unquote(t: string): string {
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))
    return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

class Parser {
  private i = 0;
  constructor(private readonly t: string[]) {}

  private peek(): string | undefined {
    return this.t[this.i];
  }

  private next(): string {
    const v = this.t[this.i++];
    if (v === undefined) throw new QueryError('unexpected end of expression');
    return v;
  }

  parse(): Node {
    const n = this.or();
    if (this.i < this.t.length) throw new QueryError(`unexpected '${this.t[this.i] ?? ''}'`);
    return n;
  }

  private or(): Node {
    let a = this.and();
    while (this.peek() === '||' || this.peek()?.toLowerCase() === 'or') {
      this.next();
      a = { k: 'or', a, b: this.and() };
    }
    return a;
  }

  private and(): Node {
    let a = this.not();
    while (this.peek() === '&&' || this.peek()?.toLowerCase() === 'and') {
      this.next();
      a = { k: 'and', a, b: this.not() };
    }
    return a;
  }

  private not(): Node {
    if (this.peek() === '!' || this.peek()?.toLowerCase() === 'not') {
      this.next();
      return { k: 'not', a: this.not() };
    }
    if (this.peek() === '(') {
      this.next();
      const n = this.or();
      if (this.next() !== ')') throw new QueryError("expected ')'");
      return n;
    }
    return this.cmp();
  }

  private cmp(): Node {
    const subject = this.next();
    if (
      !/^(attribute:.+|ec2InstanceId|agentConnected|agentVersion|registeredAt|task:group|instanceId)$/.test(
        subject,
      )
    )
      throw new QueryError(`unknown subject '${subject}'`);
    let opTok = this.next();
    if (opTok === '!') {
      const after = this.next();
      if (after === 'exists') return { k: 'cmp', subject, op: '!exists', values: [] };
      if (after === 'in') opTok = '!in';
      else throw new QueryError(`unexpected '!${after}'`);
    }
    if (opTok === 'exists') return { k: 'cmp', subject, op: 'exists', values: [] };
    if (opTok === 'in' || opTok === '!in' || opTok === 'not_in') {
      if (this.next() !== '[') throw new QueryError("expected '[' after in");
      const values: string[] = [];
      for (;;) {
        const v = this.next();
        if (v === ']' && values.length === 0) break;
        values.push(unquote(v));
        const sep = this.next();
        if (sep === ']') break;
        if (sep !== ',') throw new QueryError("expected ',' or ']'");
      }
      return { k: 'cmp', subject, op: opTok === 'in' ? 'in' : '!in', values };
    }
    const op = OPS[opTok.toLowerCase()] ?? OPS[opTok];
    if (!op) throw new QueryError(`unknown operator '${opTok}'`);
    return { k: 'cmp', subject, op, values: [unquote(this.next())] };
  }
}

/** Parses an expression; throws QueryError with a readable message. */
export function parseQuery(src: string): Node {
  if (src.length > 2000) throw new QueryError('expression longer than 2000 characters');
  const tokens = tokenize(src);
  if (!tokens.length) throw new QueryError('empty expression');
  return new Parser(tokens).parse();
}

function subjectValues(subject: string, t: QueryTarget): string[] | undefined {
  if (subject.startsWith('attribute:')) {
    const v = t.attributes[subject.slice('attribute:'.length)];
    return v === undefined ? undefined : [v];
  }
  switch (subject) {
    case 'ec2InstanceId':
    case 'instanceId':
      return [t.ec2InstanceId];
    case 'agentConnected':
      return [String(t.agentConnected)];
    case 'agentVersion':
      return [t.agentVersion];
    case 'registeredAt':
      return [new Date(t.registeredAt).toISOString()];
    case 'task:group':
      return t.taskGroups.length ? t.taskGroups : undefined;
    default:
      return undefined;
  }
}

function compare(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Glob-style `*` wildcards in equality values, as the ECS docs show (`t2.*`). */
function eq(pattern: string, v: string): boolean {
  if (!pattern.includes('*')) return pattern === v;
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(v);
}

function evalNode(n: Node, t: QueryTarget): boolean {
  switch (n.k) {
    case 'and':
      return evalNode(n.a, t) && evalNode(n.b, t);
    case 'or':
      return evalNode(n.a, t) || evalNode(n.b, t);
    case 'not':
      return !evalNode(n.a, t);
    case 'cmp': {
      const have = subjectValues(n.subject, t);
      const v = n.values[0] ?? '';
      switch (n.op) {
        case 'exists':
          return have !== undefined;
        case '!exists':
          return have === undefined;
        case '==':
          return !!have?.some((h) => eq(v, h));
        case '!=':
          return !have?.some((h) => eq(v, h));
        case 'in':
          return !!have?.some((h) => n.values.some((x) => eq(x, h)));
        case '!in':
          return !have?.some((h) => n.values.some((x) => eq(x, h)));
        case '>':
          return !!have?.some((h) => compare(h, v) > 0);
        case '>=':
          return !!have?.some((h) => compare(h, v) >= 0);
        case '<':
          return !!have?.some((h) => compare(h, v) < 0);
        case '<=':
          return !!have?.some((h) => compare(h, v) <= 0);
        case '=~':
        case '!~': {
          let re: RegExp;
          try {
            re = new RegExp(`^(?:${v})$`);
          } catch {
            return false;
          }
          const m = !!have?.some((h) => re.test(h));
          return n.op === '=~' ? m : !m;
        }
        default:
          return false;
      }
    }
  }
}

export function evaluateQuery(src: string | Node, t: QueryTarget): boolean {
  return evalNode(typeof src === 'string' ? parseQuery(src) : src, t);
}
