/**
 * The call log: one entry per API request the twin received, with the service, operation, redacted
 * parameters, HTTP status, error code, virtual time, request id and the SDK's attempt number (from
 * `amz-sdk-request: attempt=N; max=M`). Tests count calls and check invariants over time with it.
 * Secret values (SecretString, SecretBinary, passwords, …) never enter the log.
 */
import type { ServiceName } from './contract.js';

export interface CallRecord {
  seq: number;
  /** Virtual epoch ms when the request arrived. */
  t: number;
  requestId: string;
  service: ServiceName | 'unknown';
  operation: string;
  /** Decoded input, with secrets redacted and bodies summarised. */
  params: Record<string, unknown>;
  /** HTTP status of the reply. */
  status: number;
  /** The wire error code when the call failed. */
  error?: string;
  /** SDK attempt number (1-based) and maximum, when the client sent them. */
  attempt?: number;
  maxAttempts?: number;
  /** `amz-sdk-invocation-id`: the same across one SDK call's retries. */
  invocationId?: string;
  /** Ids of the fault rules applied to this call. */
  faults?: string[];
  /** The client's user agent (`x-amz-user-agent`, else `user-agent`), to tell callers apart. */
  userAgent?: string;
}

export interface CallFilter {
  service?: string;
  operation?: string;
  /** Only calls with seq greater than this. */
  sinceSeq?: number;
  /** Only calls at or after this virtual time. */
  sinceTime?: number;
  /** Only failed (`true`) or successful (`false`) calls. */
  failed?: boolean;
  error?: string;
}

const REDACT_KEYS =
  /^(secretstring|secretbinary|password|newpassword|secretaccesskey|sessiontoken|privatekey|clientsecret)$/i;
const SENSITIVE_NAMES = /pass(word)?|secret|token|credential|private.?key|auth/i;
const MAX_STRING = 16 * 1024;
const MAX_ARRAY = 200;

/** Returns a copy of `v` fit for the log: secret members redacted, binary bodies summarised, huge values cut. */
export function redact(v: unknown, key = ''): unknown {
  if (REDACT_KEYS.test(key)) return '***';
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return v.length > MAX_STRING ? `${v.slice(0, 256)}…<${v.length} chars>` : v;
  if (Array.isArray(v)) {
    const items = v.slice(0, MAX_ARRAY).map((x) => redact(x));
    if (v.length > MAX_ARRAY) items.push(`…<${v.length - MAX_ARRAY} more>`);
    return items;
  }
  if (typeof v === 'object' && v !== null) {
    const obj = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    // `{name: 'DB_PASSWORD', value: '…'}` pairs (ECS environment, tags): hide the value of sensitive names.
    const pairName = obj['name'] ?? obj['Name'] ?? obj['key'] ?? obj['Key'];
    const hidePair = typeof pairName === 'string' && SENSITIVE_NAMES.test(pairName);
    for (const [k, x] of Object.entries(obj)) {
      out[k] = hidePair && (k === 'value' || k === 'Value') ? '***' : redact(x, k);
    }
    return out;
  }
  return v;
}

/** Parses `amz-sdk-request: attempt=2; max=3`. */
export function parseSdkRequest(header: string | undefined): { attempt?: number; max?: number } {
  if (!header) return {};
  const attempt = /attempt=(\d+)/.exec(header)?.[1];
  const max = /max=(\d+)/.exec(header)?.[1];
  return {
    ...(attempt !== undefined ? { attempt: Number(attempt) } : {}),
    ...(max !== undefined ? { max: Number(max) } : {}),
  };
}

export class CallLog {
  private readonly records: CallRecord[] = [];
  private seq = 0;

  constructor(
    /** Oldest entries are dropped past this many. */
    private readonly capacity = 100_000,
  ) {}

  record(entry: Omit<CallRecord, 'seq'>): CallRecord {
    const rec: CallRecord = { seq: ++this.seq, ...entry };
    this.records.push(rec);
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
    return rec;
  }

  list(filter: CallFilter = {}): CallRecord[] {
    return this.records.filter((r) => matches(r, filter));
  }

  count(filter: CallFilter = {}): number {
    let n = 0;
    for (const r of this.records) if (matches(r, filter)) n++;
    return n;
  }

  /** The sequence number of the newest entry (0 if none), for `sinceSeq` filters. */
  lastSeq(): number {
    return this.seq;
  }

  clear(): void {
    this.records.length = 0;
  }
}

function matches(r: CallRecord, f: CallFilter): boolean {
  if (f.service !== undefined && r.service !== f.service) return false;
  if (f.operation !== undefined && r.operation !== f.operation) return false;
  if (f.sinceSeq !== undefined && r.seq <= f.sinceSeq) return false;
  if (f.sinceTime !== undefined && r.t < f.sinceTime) return false;
  if (f.failed !== undefined && (r.error !== undefined) !== f.failed) return false;
  if (f.error !== undefined && r.error !== f.error) return false;
  return true;
}
