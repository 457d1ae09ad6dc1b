/**
 * Server-level fault injection: throttle an operation or a whole service at a rate with the service's
 * real throttling error, inject 5xx replies at a rate, and add eventual-consistency lag to read calls.
 * Rates draw from a seeded Rng, so a run is reproducible. World faults (AZ failure, spot interruption,
 * killed tasks, failed attaches) live in the compute simulation's control operations, not here.
 *
 * Lag is modelled honestly but simply: the read is answered from the state at arrival, and the reply
 * is held back for `delayMs` of virtual time, so the caller sees state that is that much old.
 */
import type { Rng } from '../core/rng.js';
import { AwsError, type ServiceName } from './contract.js';

export type FaultKind = 'throttle' | 'error' | 'lag';

export interface FaultSpec {
  kind: FaultKind;
  /** Service signing name; omitted = every service. */
  service?: ServiceName;
  /** Operation name; omitted = every operation (for `lag`: every Describe*, List*, Get*, Head* operation). */
  operation?: string;
  /** Probability in [0, 1] that a matching call is hit. Default 1. */
  rate?: number;
  /** `error`: HTTP status (500, 502, 503 or 504; default 500). */
  status?: number;
  /** `error`: wire error code; default the service's internal-error code for the status. */
  code?: string;
  /** `lag`: virtual milliseconds the reply is held back. */
  delayMs?: number;
  /** Stop applying after this many hits. */
  times?: number;
}

export interface FaultRule extends FaultSpec {
  id: string;
  /** How many calls it hit so far. */
  hits: number;
}

export interface FaultDecision {
  error?: AwsError;
  lagMs: number;
  applied: string[];
}

export class FaultSpecError extends Error {}

/** The real throttling error of each service (code, HTTP status, message). */
export const THROTTLING: Readonly<Record<ServiceName, { code: string; status: number; message: string }>> = {
  ecs: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  autoscaling: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  ec2: { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' },
  monitoring: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  logs: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  s3: { code: 'SlowDown', status: 503, message: 'Please reduce your request rate.' },
  secretsmanager: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  servicediscovery: { code: 'RequestLimitExceeded', status: 400, message: 'Rate exceeded' },
};

const SERVICES = new Set<string>(Object.keys(THROTTLING));

/** The code each service uses for an internal error (500) and for being unavailable (503). */
const SERVER_ERRORS: Readonly<Record<ServiceName, { internal: string; unavailable: string }>> = {
  ecs: { internal: 'ServerException', unavailable: 'ServiceUnavailable' },
  autoscaling: { internal: 'InternalFailure', unavailable: 'ServiceUnavailable' },
  ec2: { internal: 'InternalError', unavailable: 'Unavailable' },
  monitoring: { internal: 'InternalServiceError', unavailable: 'ServiceUnavailable' },
  logs: { internal: 'ServiceUnavailableException', unavailable: 'ServiceUnavailableException' },
  s3: { internal: 'InternalError', unavailable: 'ServiceUnavailable' },
  secretsmanager: { internal: 'InternalServiceError', unavailable: 'ServiceUnavailable' },
  servicediscovery: { internal: 'InternalFailure', unavailable: 'ServiceUnavailable' },
};

export function serverErrorCode(service: ServiceName, status: number): string {
  const e = SERVER_ERRORS[service];
  return status === 503 ? e.unavailable : e.internal;
}

const READ_OP = /^(Describe|List|Get|Head)/;

export class FaultControl {
  private readonly rules: FaultRule[] = [];
  private nextId = 1;

  constructor(private readonly rng: Rng) {}

  /** Adds a rule; throws `FaultSpecError` for an invalid spec. */
  add(spec: FaultSpec): FaultRule {
    const rule: FaultRule = { ...validate(spec), id: `fault-${this.nextId++}`, hits: 0 };
    this.rules.push(rule);
    return { ...rule };
  }

  /** Throttles `service` (or one of its operations) at `rate` with the service's real throttling error. */
  throttle(target: { service?: ServiceName; operation?: string }, rate = 1, times?: number): FaultRule {
    return this.add({ kind: 'throttle', ...target, rate, ...(times !== undefined ? { times } : {}) });
  }

  /** Answers matching calls with a 5xx at `rate`. */
  inject5xx(
    target: { service?: ServiceName; operation?: string },
    rate = 1,
    status = 500,
    times?: number,
  ): FaultRule {
    return this.add({ kind: 'error', ...target, rate, status, ...(times !== undefined ? { times } : {}) });
  }

  /** Holds back replies of matching read calls by `delayMs` of virtual time. */
  lag(target: { service?: ServiceName; operation?: string }, delayMs: number, rate = 1): FaultRule {
    return this.add({ kind: 'lag', ...target, delayMs, rate });
  }

  remove(id: string): boolean {
    const i = this.rules.findIndex((r) => r.id === id);
    if (i < 0) return false;
    this.rules.splice(i, 1);
    return true;
  }

  clear(): void {
    this.rules.length = 0;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Decides what happens to one call. Throttling wins over a 5xx; lag adds up. */
  decide(service: ServiceName, operation: string): FaultDecision {
    const decision: FaultDecision = { lagMs: 0, applied: [] };
    for (const rule of [...this.rules]) {
      if (!this.matches(rule, service, operation)) continue;
      if (rule.kind !== 'lag' && decision.error) continue;
      if ((rule.rate ?? 1) < 1 && this.rng.next() >= (rule.rate ?? 1)) continue;
      rule.hits++;
      decision.applied.push(rule.id);
      if (rule.kind === 'throttle') {
        const t = THROTTLING[service];
        decision.error = new AwsError(t.code, t.message, { status: t.status, fault: 'Sender' });
      } else if (rule.kind === 'error') {
        const status = rule.status ?? 500;
        decision.error = new AwsError(
          rule.code ?? serverErrorCode(service, status),
          'We encountered an internal error. Please try again.',
          {
            status,
            fault: 'Receiver',
          },
        );
      } else decision.lagMs += rule.delayMs ?? 0;
      if (rule.times !== undefined && rule.hits >= rule.times) this.remove(rule.id);
    }
    return decision;
  }

  private matches(rule: FaultRule, service: ServiceName, operation: string): boolean {
    if (rule.service !== undefined && rule.service !== service) return false;
    if (rule.operation !== undefined) return rule.operation === operation;
    return rule.kind !== 'lag' || READ_OP.test(operation);
  }
}

const CHECKS: readonly [(s: FaultSpec) => boolean, string | ((s: FaultSpec) => string)][] = [
  [
    (s) => s.kind === 'throttle' || s.kind === 'error' || s.kind === 'lag',
    'kind must be throttle, error or lag',
  ],
  [
    (s) => s.service === undefined || SERVICES.has(s.service),
    (s) => `unknown service ${String(s.service)}; known: ${[...SERVICES].join(', ')}`,
  ],
  [
    (s) => s.operation === undefined || (typeof s.operation === 'string' && s.operation !== ''),
    'operation must be a non-empty string',
  ],
  [
    (s) => s.rate === undefined || (typeof s.rate === 'number' && s.rate >= 0 && s.rate <= 1),
    'rate must be a number in [0, 1]',
  ],
  [
    (s) => s.status === undefined || [500, 502, 503, 504].includes(s.status),
    'status must be 500, 502, 503 or 504',
  ],
  [
    (s) => s.code === undefined || (typeof s.code === 'string' && /^[A-Za-z][A-Za-z0-9.]*$/.test(s.code)),
    'code must be an error code such as InternalFailure',
  ],
  [
    (s) =>
      s.kind !== 'lag' || (typeof s.delayMs === 'number' && s.delayMs >= 0 && Number.isFinite(s.delayMs)),
    'lag needs delayMs >= 0',
  ],
  [(s) => s.kind === 'lag' || s.delayMs === undefined, 'delayMs is only for lag'],
  [
    (s) => s.times === undefined || (Number.isInteger(s.times) && s.times > 0),
    'times must be a positive integer',
  ],
];

const SPEC_KEYS = ['kind', 'service', 'operation', 'rate', 'status', 'code', 'delayMs', 'times'] as const;

function validate(spec: FaultSpec): FaultSpec {
  if (typeof spec !== 'object' || spec === null) throw new FaultSpecError('a fault must be an object');
  for (const [ok, message] of CHECKS)
    if (!ok(spec)) throw new FaultSpecError(typeof message === 'string' ? message : message(spec));
  const out: Record<string, unknown> = {};
  for (const k of SPEC_KEYS) if (spec[k] !== undefined) out[k] = spec[k];
  return out as unknown as FaultSpec;
}
