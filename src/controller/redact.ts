/**
 * The redaction guard: every event, log line and status message passes through it before it leaves
 * the process. It removes known secret values (registered at runtime, e.g. the Neo4j password read
 * from Secrets Manager), credentials embedded in URLs, `password=…`-style pairs, bearer tokens, AWS
 * access key ids and secret keys, and values of object members whose names say they are secret.
 */

const MASK = '***';

const PATTERNS: readonly [RegExp, string][] = [
  // scheme://user:password@host → scheme://***@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@'"]+(?::[^/\s@'"]*)?@/gi, `$1${MASK}@`],
  // NEO4J_AUTH=neo4j/secret
  [/\b(NEO4J_AUTH["']?\s*[:=]\s*["']?[^/\s"']+\/)[^\s"',;}]+/g, `$1${MASK}`],
  // aws_secret_access_key = ..., "secretAccessKey":"..."
  [/\b(secret_?access_?key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,}/gi, `$1${MASK}`],
  // password=..., "token": "...", api_key: ...
  [
    /\b((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?token|client[_-]?secret|authorization)["']?\s*[:=]\s*["']?)(?!\*\*\*)[^\s"',;&}]+/gi,
    `$1${MASK}`,
  ],
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, `Bearer ${MASK}`],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, MASK],
];

/** Object members whose values are always hidden. */
const SECRET_KEY_RE =
  /^(password|passwd|secret|secretstring|secretbinary|token|sessiontoken|secretaccesskey|privatekey|clientsecret|authorization|apikey|credentials?)$/i;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Registers a literal secret value; every later occurrence in any text is masked. */
  addSecret(value: string): void {
    // Very short values would mask ordinary words; they are still caught by the pattern rules.
    if (value.length >= 4) this.secrets.add(value);
  }

  /** Masks secrets in a string. */
  text(s: string): string {
    let out = s;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
    return out;
  }

  /** A deep copy of `v` with secrets masked in every string and secret-named members hidden. */
  value<T>(v: T): T {
    return this.walk(v, '', 0) as T;
  }

  private walk(v: unknown, key: string, depth: number): unknown {
    if (key !== '' && SECRET_KEY_RE.test(key.replace(/[-_]/g, ''))) return v === undefined ? v : MASK;
    if (typeof v === 'string') return this.text(v);
    if (depth > 32 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.walk(x, '', depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = this.walk(x, k, depth + 1);
    return out;
  }
}

/** The process-wide guard used by events, logs and status. */
export const redactor = new Redactor();
