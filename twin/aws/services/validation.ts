/**
 * Input validation for the twin's service modules, with zod schemas, reported the way each AWS
 * service reports it. JSON (Coral) services answer constraint violations with
 * `1 validation error detected: Value … at 'member' failed to satisfy constraint: …` under the
 * service's validation code, and values of the wrong JSON type with `SerializationException`;
 * query-style services (CloudWatch) answer `MissingParameter` / `InvalidParameterValue`.
 * The helpers `qnum`, `qint`, `qbool` and `qtime` accept both JSON values and awsQuery strings.
 */
import { z } from 'zod';
import { AwsError, type Wire } from '../contract.js';

export interface ValidationStyle {
  kind: 'coral' | 'query';
  /** Code for missing members and constraint violations (coral). */
  code: string;
}

export const CORAL_VALIDATION: ValidationStyle = { kind: 'coral', code: 'ValidationException' };
export const QUERY_VALIDATION: ValidationStyle = { kind: 'query', code: 'InvalidParameterValue' };

type Issue = z.core.$ZodIssue & { input?: unknown };

function memberPath(path: readonly PropertyKey[]): string {
  const parts: string[] = [];
  for (const p of path) {
    if (typeof p === 'number') parts.push(String(p + 1));
    else {
      const s = String(p);
      parts.push(s.charAt(0).toLowerCase() + s.slice(1));
    }
  }
  return parts.join('.') || 'input';
}

function queryPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `member.${p + 1}` : String(p))).join('.') || 'input';
}

function show(v: unknown): string {
  if (typeof v === 'string') return v.length > 100 ? `${v.slice(0, 100)}…` : v;
  try {
    const s = JSON.stringify(v);
    return s.length > 100 ? `${s.slice(0, 100)}…` : s;
  } catch {
    return String(v);
  }
}

function constraint(issue: Issue): string {
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint'
        ? `Member must have value greater than or equal to ${String(issue.minimum)}`
        : `Member must have length greater than or equal to ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint'
        ? `Member must have value less than or equal to ${String(issue.maximum)}`
        : `Member must have length less than or equal to ${String(issue.maximum)}`;
    case 'invalid_format':
      return `Member must satisfy regular expression pattern: ${'pattern' in issue ? String(issue.pattern) : issue.format}`;
    case 'invalid_value':
      return `Member must satisfy enum value set: [${issue.values.map(String).join(', ')}]`;
    case 'custom':
    case 'invalid_element':
    case 'invalid_key':
    case 'invalid_type':
    case 'invalid_union':
    case 'not_multiple_of':
    case 'unrecognized_keys':
      return issue.message;
  }
}

function isMissing(issue: Issue): boolean {
  return (
    issue.code === 'invalid_type' &&
    (!('input' in issue) || issue.input === undefined || issue.input === null)
  );
}

function toAwsError(issues: readonly Issue[], style: ValidationStyle): AwsError {
  const issue = issues[0] as Issue;
  if (style.kind === 'query') {
    if (isMissing(issue))
      return new AwsError('MissingParameter', `The parameter ${queryPath(issue.path)} is required.`);
    if (issue.code === 'custom') return new AwsError(style.code, issue.message);
    return new AwsError(
      style.code,
      `The value ${show(issue.input)} for parameter ${queryPath(issue.path)} is invalid. ${constraint(issue)}`.trim(),
    );
  }
  if (isMissing(issue)) {
    return new AwsError(
      style.code,
      `1 validation error detected: Value null at '${memberPath(issue.path)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (issue.code === 'invalid_type' || issue.code === 'invalid_union') {
    return new AwsError(
      'SerializationException',
      `Unexpected value type at '${memberPath(issue.path)}': expected ${'expected' in issue ? String(issue.expected) : 'another type'}`,
    );
  }
  if (issue.code === 'custom') return new AwsError(style.code, issue.message);
  const n = issues.length;
  return new AwsError(
    style.code,
    `${n} validation error${n > 1 ? 's' : ''} detected: Value '${show(issue.input)}' at '${memberPath(issue.path)}' failed to satisfy constraint: ${constraint(issue)}`,
  );
}

/** Parses `input` with `schema`, throwing the service's validation error. Null members count as absent. */
export function parseInput<S extends z.ZodType>(schema: S, input: Wire, style: ValidationStyle): z.output<S> {
  const r = schema.safeParse(stripNulls(input), { reportInput: true });
  if (r.success) return r.data;
  throw toAwsError(r.error.issues, style);
}

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (typeof v === 'object' && v !== null && !Buffer.isBuffer(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
    return out;
  }
  return v;
}

const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A number from JSON, or a numeric awsQuery string. */
export const qnum = z
  .union([z.number(), z.string().regex(NUMERIC).transform(Number)])
  .pipe(z.number().refine(Number.isFinite, 'Member must be a finite number'));
/** An integer from JSON or awsQuery. */
export const qint = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^[-+]?\d+$/)
      .transform(Number),
  ])
  .pipe(z.number().int());
/** A boolean from JSON or awsQuery (`true`/`false`). */
export const qbool = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);
/**
 * A timestamp → epoch ms: JSON epoch seconds (fractions allowed), awsQuery ISO-8601 strings, or
 * numeric strings (epoch seconds).
 */
export const qtime = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return Math.round(v * 1000);
  if (NUMERIC.test(v)) return Math.round(Number(v) * 1000);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) {
    ctx.addIssue({
      code: 'custom',
      message: `The timestamp ${v} is not a valid ISO-8601 date-time or epoch seconds value.`,
    });
    return z.NEVER;
  }
  return ms;
});
/** A list that awsQuery may send as an empty string (`Names=`). */
export function qlist<T extends z.ZodType>(item: T) {
  return z.union([z.array(item), z.literal('').transform(() => [] as z.output<T>[])]);
}
