/**
 * Turns what neo4j-driver throws into the probe's error kinds, with messages an operator can act on
 * (wrong password, Community edition, unreachable member, timeout).
 */
import type { ProbeErrorKind, ProbeProblem } from './types.js';

export class ProbeError extends Error {
  constructor(
    readonly kind: ProbeErrorKind,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }

  toProblem(): ProbeProblem {
    return { kind: this.kind, message: this.message, ...(this.code ? { code: this.code } : {}) };
  }
}

export class TimeoutError extends ProbeError {
  constructor(what: string, ms: number) {
    super('timeout', `${what} did not answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** Rejects with a TimeoutError if `p` does not settle within `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function codeOf(e: unknown): string | undefined {
  if (e && typeof e === 'object' && 'code' in e) {
    const c = e.code;
    if (typeof c === 'string') return c;
  }
  return undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

/** Classifies an error from talking to `address`. */
export function classify(e: unknown, address: string, user: string): ProbeError {
  if (e instanceof ProbeError) return e;
  const code = codeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'Neo.ClientError.Security.Unauthorized') {
    return new ProbeError(
      'auth',
      `authentication failed at ${address}: wrong user or password for '${user}'`,
      code,
    );
  }
  if (code === 'Neo.ClientError.Security.AuthenticationRateLimit') {
    return new ProbeError(
      'auth',
      `authentication rate-limited at ${address}: too many failed logins for '${user}'; wait and retry`,
      code,
    );
  }
  if (code === 'Neo.ClientError.Security.CredentialsExpired') {
    return new ProbeError(
      'auth',
      `the password of '${user}' has expired at ${address}; change it before the operator can use it`,
      code,
    );
  }
  if (
    code === 'Neo.ClientError.Statement.UnsupportedAdministrationCommand' ||
    (code === 'Neo.ClientError.Statement.NotSystemDatabaseError' &&
      /Unsupported administration command/i.test(message))
  ) {
    return new ProbeError(
      'enterprise-only',
      `${address} refused an Enterprise-only command (is it Community Edition?): ${message}`,
      code,
    );
  }
  if (
    code === 'ServiceUnavailable' ||
    code === 'SessionExpired' ||
    (code !== undefined && NETWORK_CODES.has(code))
  ) {
    const why = /ECONNREFUSED|refused/i.test(message)
      ? 'connection refused'
      : /ENOTFOUND|EAI_AGAIN/i.test(message)
        ? 'host not found'
        : /timed? ?out/i.test(message)
          ? 'connection timed out'
          : message.split('\n')[0];
    return new ProbeError('unreachable', `cannot reach Neo4j at ${address}: ${why}`, code);
  }
  if (/connection.*timed out|Connection acquisition timed out/i.test(message)) {
    return new ProbeError('timeout', `${address} did not answer in time: ${message.split('\n')[0]}`, code);
  }
  return new ProbeError('query', `${address}: ${message.split('\n')[0]}`, code);
}
