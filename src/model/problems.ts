/** A problem found in a desired-state document: where it is, and what was expected and found. */
export type PathSegment = string | number;

export interface Problem {
  severity: 'error' | 'warning';
  /** Segments, e.g. ['spec', 'primaries', 'zones', 1, 'count']. */
  path: PathSegment[];
  /** The message, which says what was expected and what was found. */
  message: string;
  /** 1-based line and column in the source, when the document came from text. */
  line?: number;
  column?: number;
}

const IDENT_RE = /^[A-Za-z_$][\w$]*$/;

/** `spec.primaries.zones[1].count`; keys that are not identifiers are quoted: `config["db.tx_log"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT_RE.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(document)' : out;
}

/** How a found value is shown in a message. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint')
    return `${typeof v} ${String(v)}`;
  return typeof v;
}

/** One line per problem: `file:line:col error spec.x.y: message`. */
export function formatProblem(p: Problem, source?: string): string {
  const where = [source, p.line, p.column].filter((x) => x !== undefined).join(':');
  return `${where ? `${where}: ` : ''}${p.severity} ${formatPath(p.path)}: ${p.message}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
