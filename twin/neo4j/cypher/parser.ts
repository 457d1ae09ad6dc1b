/**
 * Recursive-descent parser for the Cypher subset of the simulated members:
 *
 * - `SHOW DATABASE[S] [name] | SHOW DEFAULT DATABASE | SHOW HOME DATABASE | SHOW SERVER[S]`, each with
 *   `[YIELD * | col [AS a], ... [ORDER BY ...] [SKIP n] [LIMIT n]] [WHERE expr] [RETURN ...]`;
 * - `CALL proc(args) [YIELD ...] [WHERE ...] [RETURN ...]`;
 * - server management: `ENABLE SERVER x [OPTIONS {...}]`, `ALTER SERVER x SET OPTIONS {...}`,
 *   `RENAME SERVER x TO y`, `[DRYRUN] DEALLOCATE DATABASE[S] FROM SERVER[S] x, ...`,
 *   `[DRYRUN] REALLOCATE DATABASE[S]`, `DROP SERVER x`;
 * - database management: `CREATE [OR REPLACE] DATABASE n [IF NOT EXISTS] [TOPOLOGY p PRIMARIES [s SECONDARIES]]`,
 *   `ALTER DATABASE n SET TOPOLOGY ...`, `DROP DATABASE n [IF EXISTS]`, `START|STOP DATABASE n`;
 * - node-only graph queries: `MATCH`, `OPTIONAL MATCH`, `CREATE`, `MERGE`, `SET`, `[DETACH] DELETE`,
 *   `UNWIND`, `WITH`, `RETURN` (no relationships).
 *
 * Anything else is a SyntaxError, as a real server would give for what it cannot parse.
 */
import { errors } from '../errors.js';
import { psMap } from '../packstream.js';
import type {
  BinOp,
  Clause,
  Expr,
  NodePattern,
  Projection,
  ReturnItem,
  ShowTail,
  SortItem,
  Statement,
  Topology,
} from './ast.js';
import { tokenize } from './lexer.js';
import type { Token } from './lexer.js';

const RESERVED_AFTER_EXPR = new Set([
  'AS',
  'WHERE',
  'RETURN',
  'ORDER',
  'SKIP',
  'LIMIT',
  'YIELD',
  'AND',
  'OR',
  'XOR',
  'IN',
  'IS',
  'STARTS',
  'ENDS',
  'CONTAINS',
  'MATCH',
  'CREATE',
  'MERGE',
  'SET',
  'DELETE',
  'DETACH',
  'WITH',
  'UNWIND',
  'OPTIONS',
  'TO',
  'OPTIONAL',
]);

class Parser {
  private pos = 0;
  private readonly toks: Token[];

  constructor(private readonly src: string) {
    this.toks = tokenize(src);
  }

  private peek(o = 0): Token {
    return this.toks[Math.min(this.pos + o, this.toks.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  fail(msg?: string): never {
    const t = this.peek();
    const shown = t.kind === 'eof' ? 'end of input' : `'${this.src.slice(t.start, t.end)}'`;
    throw errors.syntax(
      this.src,
      msg ?? `Invalid input ${shown}: the simulated Neo4j member does not support this query`,
    );
  }
  isKw(word: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === 'ident' && !t.quoted && t.text.toUpperCase() === word;
  }
  acceptKw(...words: string[]): boolean {
    for (let i = 0; i < words.length; i++) if (!this.isKw(words[i] as string, i)) return false;
    this.pos += words.length;
    return true;
  }
  expectKw(...words: string[]): void {
    if (!this.acceptKw(...words)) this.fail(`Invalid input: expected '${words.join(' ')}'`);
  }
  isP(p: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === 'punct' && t.text === p;
  }
  acceptP(p: string): boolean {
    if (!this.isP(p)) return false;
    this.pos++;
    return true;
  }
  expectP(p: string): void {
    if (!this.acceptP(p)) this.fail(`Invalid input: expected '${p}'`);
  }
  ident(): string {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail('Invalid input: expected an identifier');
    this.pos++;
    return t.text;
  }
  atEnd(): boolean {
    while (this.acceptP(';'));
    return this.peek().kind === 'eof';
  }

  // ---- statements ----

  statement(): Statement {
    const s = this.statementBody();
    if (!this.atEnd()) this.fail();
    return s;
  }

  private statementBody(): Statement {
    if (this.isKw('SHOW')) return this.show();
    if (this.isKw('CALL')) return this.call();
    if (this.acceptKw('ENABLE', 'SERVER')) {
      const server = this.expr();
      const options = this.acceptKw('OPTIONS') ? this.expr() : null;
      return { k: 'enableServer', server, options };
    }
    if (this.acceptKw('RENAME', 'SERVER')) {
      const server = this.expr();
      this.expectKw('TO');
      return { k: 'renameServer', server, to: this.expr() };
    }
    if (this.acceptKw('ALTER', 'SERVER')) {
      const server = this.expr();
      this.expectKw('SET', 'OPTIONS');
      return { k: 'alterServer', server, options: this.expr() };
    }
    if (this.acceptKw('ALTER', 'DATABASE')) {
      const name = this.dbName();
      this.expectKw('SET', 'TOPOLOGY');
      return { k: 'alterDatabaseTopology', name, topology: this.topology() };
    }
    const dryRun = this.acceptKw('DRYRUN');
    if (this.acceptKw('DEALLOCATE')) {
      if (!this.acceptKw('DATABASES')) this.expectKw('DATABASE');
      this.expectKw('FROM');
      if (!this.acceptKw('SERVERS')) this.expectKw('SERVER');
      const servers = [this.expr()];
      while (this.acceptP(',')) servers.push(this.expr());
      return { k: 'deallocate', servers, dryRun };
    }
    if (this.acceptKw('REALLOCATE')) {
      if (!this.acceptKw('DATABASES')) this.expectKw('DATABASE');
      return { k: 'reallocate', dryRun };
    }
    if (dryRun) this.fail("Invalid input: expected 'DEALLOCATE' or 'REALLOCATE' after 'DRYRUN'");
    if (this.acceptKw('DROP', 'SERVER')) return { k: 'dropServer', server: this.expr() };
    if (this.acceptKw('DROP', 'DATABASE')) {
      const name = this.dbName();
      const ifExists = this.acceptKw('IF', 'EXISTS');
      if (!this.acceptKw('DUMP', 'DATA')) this.acceptKw('DESTROY', 'DATA');
      if (!this.acceptKw('WAIT')) this.acceptKw('NOWAIT');
      return { k: 'dropDatabase', name, ifExists };
    }
    if (
      this.isKw('CREATE') &&
      (this.isKw('DATABASE', 1) || (this.isKw('OR', 1) && this.isKw('REPLACE', 2)))
    ) {
      this.next();
      const orReplace = this.acceptKw('OR', 'REPLACE');
      this.expectKw('DATABASE');
      const name = this.dbName();
      const ifNotExists = this.acceptKw('IF', 'NOT', 'EXISTS');
      const topology = this.acceptKw('TOPOLOGY') ? this.topology() : null;
      if (this.acceptKw('OPTIONS')) this.expr();
      if (!this.acceptKw('WAIT')) this.acceptKw('NOWAIT');
      return { k: 'createDatabase', name, ifNotExists, orReplace, topology };
    }
    if (this.acceptKw('START', 'DATABASE'))
      return { k: 'startStopDatabase', name: this.dbName(), start: true };
    if (this.acceptKw('STOP', 'DATABASE'))
      return { k: 'startStopDatabase', name: this.dbName(), start: false };
    return { k: 'query', clauses: this.clauses() };
  }

  private dbName(): Expr {
    const t = this.peek();
    if (t.kind === 'param') {
      this.next();
      return { k: 'param', name: t.text };
    }
    if (t.kind === 'string') {
      this.next();
      return { k: 'lit', v: t.text };
    }
    let name = this.ident();
    while (this.isP('.') && this.peek(1).kind === 'ident') {
      this.next();
      name += '.' + this.ident();
    }
    return { k: 'lit', v: name };
  }

  private topology(): Topology {
    const count = (): number => {
      const t = this.next();
      if (t.kind !== 'int') this.fail('Invalid input: expected a number in TOPOLOGY');
      return Number(t.text);
    };
    let primaries: number | null = null;
    let secondaries: number | null = null;
    for (let i = 0; i < 2 && this.peek().kind === 'int'; i++) {
      const n = count();
      if (this.acceptKw('PRIMARY') || this.acceptKw('PRIMARIES')) primaries = n;
      else if (this.acceptKw('SECONDARY') || this.acceptKw('SECONDARIES')) secondaries = n;
      else this.fail("Invalid input: expected 'PRIMARIES' or 'SECONDARIES'");
    }
    if (primaries === null) this.fail('Invalid input: TOPOLOGY needs a number of PRIMARIES');
    return { primaries, secondaries };
  }

  private show(): Statement {
    this.expectKw('SHOW');
    if (this.acceptKw('SERVERS') || this.acceptKw('SERVER'))
      return { k: 'showServers', tail: this.showTail() };
    if (this.acceptKw('DEFAULT', 'DATABASE'))
      return { k: 'showDatabases', target: { kind: 'default' }, tail: this.showTail() };
    if (this.acceptKw('HOME', 'DATABASE'))
      return { k: 'showDatabases', target: { kind: 'home' }, tail: this.showTail() };
    if (this.acceptKw('DATABASES') || this.acceptKw('DATABASE')) {
      const t = this.peek();
      const named =
        t.kind === 'param' ||
        t.kind === 'string' ||
        (t.kind === 'ident' && (t.quoted || !['YIELD', 'WHERE'].includes(t.text.toUpperCase())));
      if (named)
        return { k: 'showDatabases', target: { kind: 'name', name: this.dbName() }, tail: this.showTail() };
      return { k: 'showDatabases', target: { kind: 'all' }, tail: this.showTail() };
    }
    return this.fail();
  }

  private showTail(): ShowTail {
    const tail: ShowTail = {
      yieldStar: false,
      yieldItems: null,
      yieldOrderBy: [],
      yieldSkip: null,
      yieldLimit: null,
      where: null,
      ret: null,
    };
    if (this.acceptKw('YIELD')) {
      if (this.acceptP('*')) tail.yieldStar = true;
      else {
        tail.yieldItems = [];
        do {
          const name = this.ident();
          const alias = this.acceptKw('AS') ? this.ident() : name;
          tail.yieldItems.push({ name, alias });
        } while (this.acceptP(','));
      }
      tail.yieldOrderBy = this.orderBy();
      if (this.acceptKw('SKIP') || this.acceptKw('OFFSET')) tail.yieldSkip = this.expr();
      if (this.acceptKw('LIMIT')) tail.yieldLimit = this.expr();
    }
    if (this.acceptKw('WHERE')) tail.where = this.expr();
    if (this.acceptKw('RETURN')) tail.ret = this.projection();
    return tail;
  }

  private call(): Statement {
    this.expectKw('CALL');
    let proc = this.ident();
    while (this.acceptP('.')) proc += '.' + this.ident();
    const args: Expr[] = [];
    if (this.acceptP('(')) {
      if (!this.isP(')')) {
        do args.push(this.expr());
        while (this.acceptP(','));
      }
      this.expectP(')');
    }
    return { k: 'call', proc, args, tail: this.showTail() };
  }

  // ---- graph queries ----

  private clauses(): Clause[] {
    const out: Clause[] = [];
    for (;;) {
      if (this.acceptKw('OPTIONAL', 'MATCH')) out.push(this.match(true));
      else if (this.acceptKw('MATCH')) out.push(this.match(false));
      else if (this.acceptKw('CREATE')) out.push({ k: 'create', patterns: this.patterns() });
      else if (this.acceptKw('MERGE')) out.push({ k: 'merge', pattern: this.nodePattern() });
      else if (this.acceptKw('SET')) out.push(this.set());
      else if (this.acceptKw('DETACH', 'DELETE'))
        out.push({ k: 'delete', detach: true, exprs: this.exprList() });
      else if (this.acceptKw('DELETE')) out.push({ k: 'delete', detach: false, exprs: this.exprList() });
      else if (this.acceptKw('UNWIND')) {
        const expr = this.expr();
        this.expectKw('AS');
        out.push({ k: 'unwind', expr, alias: this.ident() });
      } else if (this.acceptKw('WITH')) {
        const proj = this.projection();
        out.push({ k: 'with', proj, where: this.acceptKw('WHERE') ? this.expr() : null });
      } else if (this.acceptKw('RETURN')) {
        out.push({ k: 'return', proj: this.projection() });
        break;
      } else break;
    }
    if (out.length === 0) this.fail();
    const last = out[out.length - 1] as Clause;
    if (last.k === 'match' || last.k === 'unwind' || last.k === 'with') {
      this.fail(
        'Query cannot conclude with ' +
          last.k.toUpperCase() +
          ' (must be a RETURN clause or an update clause)',
      );
    }
    return out;
  }

  private exprList(): Expr[] {
    const out = [this.expr()];
    while (this.acceptP(',')) out.push(this.expr());
    return out;
  }

  private match(optional: boolean): Clause {
    const patterns = this.patterns();
    const where = this.acceptKw('WHERE') ? this.expr() : null;
    return { k: 'match', optional, patterns, where };
  }

  private patterns(): NodePattern[] {
    const out = [this.nodePattern()];
    while (this.acceptP(',')) out.push(this.nodePattern());
    return out;
  }

  private nodePattern(): NodePattern {
    this.expectP('(');
    let variable: string | null = null;
    if (this.peek().kind === 'ident') variable = this.ident();
    const labels: string[] = [];
    while (this.acceptP(':')) labels.push(this.ident());
    let props: Expr | null = null;
    if (this.isP('{')) props = this.primary();
    else if (this.peek().kind === 'param') props = this.primary();
    this.expectP(')');
    if (this.isP('-') || this.isP('<')) {
      this.fail('Invalid input: the simulated Neo4j member supports node patterns only (no relationships)');
    }
    return { variable, labels, props };
  }

  private set(): Clause {
    const items: { variable: string; key: string | null; value: Expr; merge: boolean }[] = [];
    do {
      const variable = this.ident();
      if (this.acceptP('+=')) {
        items.push({ variable, key: null, value: this.expr(), merge: true });
        continue;
      }
      if (this.acceptP('=')) {
        items.push({ variable, key: null, value: this.expr(), merge: false });
        continue;
      }
      this.expectP('.');
      const key = this.ident();
      this.expectP('=');
      items.push({ variable, key, value: this.expr(), merge: false });
    } while (this.acceptP(','));
    return { k: 'set', items };
  }

  projection(): Projection {
    const distinct = this.acceptKw('DISTINCT');
    const proj: Projection = { star: false, distinct, items: [], orderBy: [], skip: null, limit: null };
    if (this.acceptP('*')) {
      proj.star = true;
      if (this.acceptP(',')) proj.items = this.returnItems();
    } else proj.items = this.returnItems();
    proj.orderBy = this.orderBy();
    if (this.acceptKw('SKIP') || this.acceptKw('OFFSET')) proj.skip = this.expr();
    if (this.acceptKw('LIMIT')) proj.limit = this.expr();
    return proj;
  }

  private returnItems(): ReturnItem[] {
    const items: ReturnItem[] = [];
    do {
      const start = this.peek().start;
      const expr = this.expr();
      const end = this.toks[this.pos - 1]?.end ?? start;
      const name = this.acceptKw('AS') ? this.ident() : this.src.slice(start, end).trim();
      items.push({ expr, name });
    } while (this.acceptP(','));
    return items;
  }

  private orderBy(): SortItem[] {
    const out: SortItem[] = [];
    if (!this.acceptKw('ORDER', 'BY')) return out;
    do {
      const expr = this.expr();
      let desc = false;
      if (this.acceptKw('DESC') || this.acceptKw('DESCENDING')) desc = true;
      else if (!this.acceptKw('ASC')) this.acceptKw('ASCENDING');
      out.push({ expr, desc });
    } while (this.acceptP(','));
    return out;
  }

  // ---- expressions ----

  expr(): Expr {
    return this.or();
  }

  private binLoop(sub: () => Expr, ops: [string, BinOp][]): Expr {
    let l = sub();
    for (;;) {
      const hit = ops.find(([kw]) => this.isKw(kw));
      if (!hit) return l;
      this.next();
      l = { k: 'bin', op: hit[1], l, r: sub() };
    }
  }
  private or(): Expr {
    return this.binLoop(() => this.xor(), [['OR', 'or']]);
  }
  private xor(): Expr {
    return this.binLoop(() => this.and(), [['XOR', 'xor']]);
  }
  private and(): Expr {
    return this.binLoop(() => this.not(), [['AND', 'and']]);
  }
  private not(): Expr {
    if (this.acceptKw('NOT')) return { k: 'not', e: this.not() };
    return this.comparison();
  }
  private comparison(): Expr {
    let l = this.additive();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'punct' && ['=', '<>', '!=', '<', '>', '<=', '>='].includes(t.text)) {
        this.next();
        const op = (t.text === '!=' ? '<>' : t.text) as BinOp;
        l = { k: 'bin', op, l, r: this.additive() };
      } else if (this.acceptKw('IN')) l = { k: 'bin', op: 'in', l, r: this.additive() };
      else if (this.acceptKw('STARTS', 'WITH')) l = { k: 'bin', op: 'starts', l, r: this.additive() };
      else if (this.acceptKw('ENDS', 'WITH')) l = { k: 'bin', op: 'ends', l, r: this.additive() };
      else if (this.acceptKw('CONTAINS')) l = { k: 'bin', op: 'contains', l, r: this.additive() };
      else if (this.acceptKw('IS', 'NOT', 'NULL')) l = { k: 'isnull', e: l, not: true };
      else if (this.acceptKw('IS', 'NULL')) l = { k: 'isnull', e: l, not: false };
      else return l;
    }
  }
  private additive(): Expr {
    let l = this.multiplicative();
    for (;;) {
      if (this.acceptP('+')) l = { k: 'bin', op: '+', l, r: this.multiplicative() };
      else if (this.acceptP('-')) l = { k: 'bin', op: '-', l, r: this.multiplicative() };
      else return l;
    }
  }
  private multiplicative(): Expr {
    let l = this.unary();
    for (;;) {
      if (this.acceptP('*')) l = { k: 'bin', op: '*', l, r: this.unary() };
      else if (this.acceptP('/')) l = { k: 'bin', op: '/', l, r: this.unary() };
      else if (this.acceptP('%')) l = { k: 'bin', op: '%', l, r: this.unary() };
      else return l;
    }
  }
  private unary(): Expr {
    if (this.acceptP('-')) {
      const t = this.peek();
      if (t.kind === 'int') {
        this.next();
        return { k: 'lit', v: -BigInt(t.text) };
      }
      return { k: 'neg', e: this.unary() };
    }
    if (this.acceptP('+')) return this.unary();
    return this.postfix();
  }
  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isP('.') && this.peek(1).kind === 'ident') {
        this.next();
        e = { k: 'prop', obj: e, key: this.ident() };
      } else if (this.acceptP('[')) {
        const index = this.expr();
        this.expectP(']');
        e = { k: 'index', obj: e, index };
      } else return e;
    }
  }
  primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'int':
        this.next();
        try {
          return { k: 'lit', v: BigInt(t.text) };
        } catch {
          return this.fail('Invalid integer literal');
        }
      case 'float':
        this.next();
        return { k: 'lit', v: Number(t.text) };
      case 'string':
        this.next();
        return { k: 'lit', v: t.text };
      case 'param':
        this.next();
        return { k: 'param', name: t.text };
      case 'punct':
        return this.punctPrimary();
      case 'ident':
        return this.identPrimary();
      case 'eof':
        return this.fail();
    }
  }
  private punctPrimary(): Expr {
    if (this.acceptP('(')) {
      const e = this.expr();
      this.expectP(')');
      return e;
    }
    if (this.acceptP('[')) {
      const items: Expr[] = [];
      if (!this.isP(']')) {
        do items.push(this.expr());
        while (this.acceptP(','));
      }
      this.expectP(']');
      return { k: 'list', items };
    }
    if (this.acceptP('{')) {
      const entries: [string, Expr][] = [];
      if (!this.isP('}')) {
        do {
          const t = this.next();
          if (t.kind !== 'ident' && t.kind !== 'string') this.fail('Invalid input: expected a map key');
          this.expectP(':');
          entries.push([t.text, this.expr()]);
        } while (this.acceptP(','));
      }
      this.expectP('}');
      return { k: 'map', entries };
    }
    return this.fail();
  }
  private identPrimary(): Expr {
    const t = this.peek();
    if (!t.quoted) {
      const up = t.text.toUpperCase();
      if (up === 'TRUE' || up === 'FALSE') {
        this.next();
        return { k: 'lit', v: up === 'TRUE' };
      }
      if (up === 'NULL') {
        this.next();
        return { k: 'lit', v: null };
      }
      if (RESERVED_AFTER_EXPR.has(up)) this.fail();
    }
    // A function call: ident(.ident)* '('
    let o = 1;
    while (this.isP('.', o) && this.peek(o + 1).kind === 'ident') o += 2;
    if (this.isP('(', o)) {
      let name = this.ident();
      while (this.acceptP('.')) name += '.' + this.ident();
      this.expectP('(');
      const distinct = this.acceptKw('DISTINCT');
      if (this.acceptP('*')) {
        this.expectP(')');
        return { k: 'call', name: name.toLowerCase(), args: [], distinct, star: true };
      }
      const args: Expr[] = [];
      if (!this.isP(')')) {
        do args.push(this.expr());
        while (this.acceptP(','));
      }
      this.expectP(')');
      return { k: 'call', name: name.toLowerCase(), args, distinct, star: false };
    }
    this.next();
    return { k: 'var', name: t.text };
  }
}

export function parseStatement(query: string): Statement {
  if (query.trim() === '') throw errors.syntax(query, 'Invalid input: the query is empty');
  const p = new Parser(query);
  const s = p.statement();
  return s;
}

/** Parses one expression on its own (for tests and option maps). */
export function parseExpression(src: string): Expr {
  const p = new Parser(src);
  const e = p.expr();
  if (!p.atEnd()) p.fail();
  return e;
}

export const emptyMapExpr = (): Expr => ({ k: 'lit', v: psMap() });
