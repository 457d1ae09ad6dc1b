/** The syntax tree of the Cypher subset (see parser.ts for the grammar it accepts). */
import type { PsValue } from '../packstream.js';

export type Expr =
  | { k: 'lit'; v: PsValue }
  | { k: 'param'; name: string }
  | { k: 'var'; name: string }
  | { k: 'prop'; obj: Expr; key: string }
  | { k: 'index'; obj: Expr; index: Expr }
  | { k: 'list'; items: Expr[] }
  | { k: 'map'; entries: [string, Expr][] }
  | { k: 'call'; name: string; args: Expr[]; distinct: boolean; star: boolean }
  | { k: 'bin'; op: BinOp; l: Expr; r: Expr }
  | { k: 'not'; e: Expr }
  | { k: 'neg'; e: Expr }
  | { k: 'isnull'; e: Expr; not: boolean };

export type BinOp =
  | 'or'
  | 'xor'
  | 'and'
  | '='
  | '<>'
  | '<'
  | '>'
  | '<='
  | '>='
  | 'in'
  | 'starts'
  | 'ends'
  | 'contains'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%';

export interface ReturnItem {
  expr: Expr;
  /** Column name: the alias, or the item's source text. */
  name: string;
}

export interface SortItem {
  expr: Expr;
  desc: boolean;
}

export interface Projection {
  star: boolean;
  distinct: boolean;
  items: ReturnItem[];
  orderBy: SortItem[];
  skip: Expr | null;
  limit: Expr | null;
}

/** `YIELD ... [ORDER BY] [SKIP] [LIMIT] [WHERE ...] [RETURN ...]` after SHOW and CALL. */
export interface ShowTail {
  yieldStar: boolean;
  /** Column → alias. Null when there is no YIELD. */
  yieldItems: { name: string; alias: string }[] | null;
  yieldOrderBy: SortItem[];
  yieldSkip: Expr | null;
  yieldLimit: Expr | null;
  where: Expr | null;
  ret: Projection | null;
}

export interface NodePattern {
  variable: string | null;
  labels: string[];
  props: Expr | null;
}

export interface Topology {
  primaries: number;
  secondaries: number | null;
}

export type Clause =
  | { k: 'match'; optional: boolean; patterns: NodePattern[]; where: Expr | null }
  | { k: 'create'; patterns: NodePattern[] }
  | { k: 'merge'; pattern: NodePattern }
  | { k: 'set'; items: { variable: string; key: string | null; value: Expr; merge: boolean }[] }
  | { k: 'delete'; detach: boolean; exprs: Expr[] }
  | { k: 'unwind'; expr: Expr; alias: string }
  | { k: 'with'; proj: Projection; where: Expr | null }
  | { k: 'return'; proj: Projection };

export type ShowDatabaseTarget =
  { kind: 'all' } | { kind: 'name'; name: Expr } | { kind: 'default' } | { kind: 'home' };

export type Statement =
  | { k: 'showDatabases'; target: ShowDatabaseTarget; tail: ShowTail }
  | { k: 'showServers'; tail: ShowTail }
  | { k: 'call'; proc: string; args: Expr[]; tail: ShowTail }
  | { k: 'enableServer'; server: Expr; options: Expr | null }
  | { k: 'alterServer'; server: Expr; options: Expr }
  | { k: 'renameServer'; server: Expr; to: Expr }
  | { k: 'dropServer'; server: Expr }
  | { k: 'deallocate'; servers: Expr[]; dryRun: boolean }
  | { k: 'reallocate'; dryRun: boolean }
  | { k: 'createDatabase'; name: Expr; ifNotExists: boolean; orReplace: boolean; topology: Topology | null }
  | { k: 'dropDatabase'; name: Expr; ifExists: boolean }
  | { k: 'alterDatabaseTopology'; name: Expr; topology: Topology }
  | { k: 'startStopDatabase'; name: Expr; start: boolean }
  | { k: 'query'; clauses: Clause[] };
