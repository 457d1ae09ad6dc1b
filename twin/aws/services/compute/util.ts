/**
 * Shared helpers of the compute simulation: a typed reader over decoded wire input (coercing the
 * query protocols' strings and tolerating `member`-wrapped lists), opaque pagination tokens, EC2-style
 * filters with wildcards, and tag conversions between the wire shapes of EC2, Auto Scaling and ECS.
 */
import type { AwsError } from '../../contract.js';
import { type Wire } from '../../contract.js';

export type ErrorFactory = (message: string) => AwsError;

/** A short printable form of any decoded input value, for error messages. */
function show(v: unknown): string {
  if (typeof v === 'string') return v.slice(0, 100);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v)?.slice(0, 100) ?? typeof v;
}

function isRecord(v: unknown): v is Wire {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Reads one decoded request; every type error becomes the service's own validation error. */
export class Reader {
  constructor(
    readonly input: Wire,
    private readonly invalid: ErrorFactory,
    private readonly missing: (name: string) => AwsError = (name) =>
      invalid(`The request must contain the parameter ${name}`),
  ) {}

  static of(input: unknown, invalid: ErrorFactory, missing?: (name: string) => AwsError): Reader {
    if (input === undefined || input === null) return new Reader({}, invalid, missing);
    if (!isRecord(input)) throw invalid('The request body must be an object');
    return new Reader(input, invalid, missing);
  }

  has(name: string): boolean {
    const v = this.input[name];
    return v !== undefined && v !== null && v !== '';
  }

  str(name: string): string | undefined {
    const v = this.input[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw this.invalid(`Invalid type for parameter ${name}: expected a string`);
  }

  reqStr(name: string): string {
    const v = this.str(name);
    if (v === undefined || v === '') throw this.missing(name);
    return v;
  }

  int(name: string, range: { min?: number; max?: number } = {}): number | undefined {
    const v = this.input[name];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n))
      throw this.invalid(`Invalid value '${show(v)}' for parameter ${name}: expected an integer`);
    if (range.min !== undefined && n < range.min)
      throw this.invalid(`Value ${n} for parameter ${name} is below the minimum of ${range.min}`);
    if (range.max !== undefined && n > range.max)
      throw this.invalid(`Value ${n} for parameter ${name} is above the maximum of ${range.max}`);
    return n;
  }

  reqInt(name: string, range: { min?: number; max?: number } = {}): number {
    const v = this.int(name, range);
    if (v === undefined) throw this.missing(name);
    return v;
  }

  bool(name: string): boolean | undefined {
    const v = this.input[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'True') return true;
    if (v === 'false' || v === 'False') return false;
    throw this.invalid(`Invalid value '${show(v)}' for parameter ${name}: expected true or false`);
  }

  enumOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v))
      throw this.invalid(`Invalid value '${v}' for parameter ${name}: must be one of ${values.join(', ')}`);
    return v as T;
  }

  /** A list, whether sent as a JSON array, as `{member: [...]}` / `{item: [...]}`, or as one value. */
  list(name: string): unknown[] {
    return asList(this.input[name]);
  }

  strList(name: string): string[] {
    return this.list(name).map((v) => {
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw this.invalid(`Invalid type for an element of ${name}: expected a string`);
    });
  }

  objList(name: string): Reader[] {
    return this.list(name).map((v) => {
      if (!isRecord(v)) throw this.invalid(`Invalid type for an element of ${name}: expected a structure`);
      return new Reader(v, this.invalid, this.missing);
    });
  }

  obj(name: string): Reader | undefined {
    const v = this.input[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (!isRecord(v)) throw this.invalid(`Invalid type for parameter ${name}: expected a structure`);
    return new Reader(v, this.invalid, this.missing);
  }

  raw(name: string): unknown {
    return this.input[name];
  }

  error(message: string): AwsError {
    return this.invalid(message);
  }
}

export function asList(v: unknown): unknown[] {
  if (v === undefined || v === null || v === '') return [];
  if (Array.isArray(v)) return v;
  if (isRecord(v)) {
    const inner = v['member'] ?? v['item'];
    if (inner !== undefined) return asList(inner);
    const keys = Object.keys(v);
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k)))
      return keys.sort((a, b) => Number(a) - Number(b)).map((k) => v[k]);
  }
  return [v];
}

// ---------------------------------------------------------------------------------------------
// Pagination

/** Opaque next-token over an offset in a stable list. */
export function encodeToken(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ o: offset, s: scope })).toString('base64');
}

export function decodeToken(token: string | undefined, scope: string, invalid: () => AwsError): number {
  if (token === undefined || token === '') return 0;
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (
      isRecord(v) &&
      typeof v['o'] === 'number' &&
      Number.isInteger(v['o']) &&
      v['o'] >= 0 &&
      v['s'] === scope
    )
      return v['o'];
  } catch {
    // fall through
  }
  throw invalid();
}

export function paginate<T>(
  items: readonly T[],
  token: string | undefined,
  pageSize: number,
  scope: string,
  invalid: () => AwsError,
): { page: T[]; next?: string } {
  const start = decodeToken(token, scope, invalid);
  const page = items.slice(start, start + pageSize);
  const end = start + page.length;
  return end < items.length ? { page, next: encodeToken(end, scope) } : { page };
}

// ---------------------------------------------------------------------------------------------
// EC2-style filters

export interface Filter {
  name: string;
  values: string[];
}

export function readFilters(r: Reader, member = 'Filter', valuesMember = 'Value'): Filter[] {
  return r.objList(member).map((f) => ({ name: f.reqStr('Name'), values: f.strList(valuesMember) }));
}

/** `*` and `?` wildcards as in EC2 filter values. */
export function wildcard(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    's',
  );
  return re.test(value);
}

/**
 * True when every filter matches. `field(name)` returns the resource's values for a filter name, or
 * `undefined` when the filter name is not supported (then `unknown` is thrown).
 */
export function matchesFilters(
  filters: readonly Filter[],
  field: (name: string) => readonly string[] | undefined,
  unknown: (name: string) => AwsError,
): boolean {
  for (const f of filters) {
    const have = field(f.name);
    if (have === undefined) throw unknown(f.name);
    if (!f.values.some((p) => have.some((v) => wildcard(p, v)))) return false;
  }
  return true;
}

/** Filter values of a tag filter (`tag:K`, `tag-key`, `tag-value`), or undefined for other names. */
export function tagFilterValues(name: string, tags: Record<string, string>): string[] | undefined {
  if (name.startsWith('tag:')) {
    const v = tags[name.slice(4)];
    return v === undefined ? [] : [v];
  }
  if (name === 'tag-key') return Object.keys(tags);
  if (name === 'tag-value') return Object.values(tags);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Tags

export type Tags = Record<string, string>;

/** EC2 wire tagSet. */
export function ec2TagSet(tags: Tags): { key: string; value: string }[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/** Reads `TagSpecification` entries of EC2 requests for one resource type. */
export function readTagSpecs(r: Reader, resourceType: string, member = 'TagSpecification'): Tags {
  const out: Tags = {};
  for (const spec of r.objList(member)) {
    const rt = spec.str('ResourceType');
    if (rt !== undefined && rt !== resourceType) continue;
    for (const t of spec.objList('Tag')) out[t.reqStr('Key')] = t.str('Value') ?? '';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Misc

export function toDate(ms: number | undefined): Date | undefined {
  return ms === undefined ? undefined : new Date(ms);
}

/** Drops `undefined` members so the encoders emit nothing for them (exactOptionalPropertyTypes-friendly). */
export type Compacted<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

export function compact<T extends Record<string, unknown>>(o: T): Compacted<T> {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o as Compacted<T>;
}

export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

export function base64Decode(s: string): string {
  const t = s.trim();
  if (/^[A-Za-z0-9+/=\s_-]+$/.test(t) && t.length % 4 !== 1) {
    const decoded = Buffer.from(t, 'base64').toString('utf8');
    // Accept the decoding only if it is text (user data is a shell script or cloud-init yaml).
    // eslint-disable-next-line no-control-regex -- binary data is what we are detecting
    if (!/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(decoded)) return decoded;
  }
  return s;
}

/** `ECS_CLUSTER=name` and friends from instance user data (shell or cloud-init). */
export function parseEcsConfig(userData: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!userData) return out;
  const text = base64Decode(userData);
  for (const m of text.matchAll(/\b(ECS_[A-Z_]+)=["']?([^"'\s>;&|]*)/g)) {
    if (m[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  // ECS_INSTANCE_ATTRIBUTES carries a JSON object of custom attributes.
  const attrs = /\bECS_INSTANCE_ATTRIBUTES=['"]?(\{[^}]*\})/.exec(text);
  if (attrs?.[1] !== undefined) out['ECS_INSTANCE_ATTRIBUTES'] = attrs[1].replace(/\\"/g, '"');
  return out;
}

export function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

/** Stable sort by a key function (numbers or strings). */
export function sortBy<T>(items: readonly T[], ...keys: ((t: T) => number | string)[]): T[] {
  return [...items].sort((a, b) => {
    for (const k of keys) {
      const x = k(a);
      const y = k(b);
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
}
