/**
 * Reconcile errors, typed by what the loop does next (controller-runtime's TerminalError, CNPG's
 * sentinel errors, Strimzi's fatal problems):
 *
 * - `RetryableError` (kind `retry`): something failed that may work next time; per-key exponential
 *   backoff with jitter.
 * - `WaitError` (kind `wait`): nothing failed, the world is not ready yet (a volume still attaching, a
 *   member catching up); requeue after a known delay, with a reason code, and no backoff.
 * - `InvalidInputError` (kind `invalid`): the desired state cannot be acted on; no retry until the input
 *   changes.
 * - `FatalError` (kind `fatal`): acting would be unsafe (quorum at risk, a resource owned by someone
 *   else); stop acting on the cluster and say why, until the input changes or the controller restarts.
 *
 * Anything else a reconciler throws (an AWS SDK error, a driver error) is retryable: `classifyError`
 * normalises it at the loop's boundary.
 */

export type ErrorKind = 'retry' | 'wait' | 'invalid' | 'fatal';

/** A reason code is a short UpperCamelCase word, as Kubernetes event reasons are. */
export const REASON_RE = /^[A-Z][A-Za-z0-9]{0,127}$/;

export abstract class ReconcileError extends Error {
  abstract readonly kind: ErrorKind;
  /** Short UpperCamelCase reason code for events and status conditions. */
  readonly reason: string;

  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    if (!REASON_RE.test(reason))
      throw new RangeError(`reason must be UpperCamelCase, got ${JSON.stringify(reason)}`);
    this.reason = reason;
  }
}

export class RetryableError extends ReconcileError {
  readonly kind = 'retry' as const;
  override readonly name = 'RetryableError';
}

export class WaitError extends ReconcileError {
  readonly kind = 'wait' as const;
  override readonly name = 'WaitError';
  readonly requeueAfterMs: number;
  readonly member: string | undefined;

  constructor(
    reason: string,
    message: string,
    requeueAfterMs: number,
    opts: { member?: string; cause?: unknown } = {},
  ) {
    super(reason, message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    if (!(Number.isFinite(requeueAfterMs) && requeueAfterMs >= 0))
      throw new RangeError(`requeueAfterMs must be a finite number >= 0, got ${String(requeueAfterMs)}`);
    this.requeueAfterMs = requeueAfterMs;
    this.member = opts.member;
  }
}

export class InvalidInputError extends ReconcileError {
  readonly kind = 'invalid' as const;
  override readonly name = 'InvalidInputError';
  /** Every problem, one line each. */
  readonly problems: readonly string[];

  constructor(reason: string, message: string, problems: readonly string[] = [], options?: ErrorOptions) {
    super(reason, message, options);
    this.problems = problems;
  }
}

export class FatalError extends ReconcileError {
  readonly kind = 'fatal' as const;
  override readonly name = 'FatalError';
}

/** The shape of an AWS SDK v3 service error, read structurally (src/model stays free of the SDK). */
interface SdkErrorLike {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** Turns anything thrown into a ReconcileError; foreign errors are retryable, with a readable message. */
export function classifyError(e: unknown): ReconcileError {
  if (e instanceof ReconcileError) return e;
  if (e instanceof Error) {
    const sdk = e as SdkErrorLike;
    const status = sdk.$metadata?.httpStatusCode;
    const what = status !== undefined ? `${e.name} (HTTP ${status})` : e.name;
    if (e.name === 'PassTimeoutError') return new RetryableError('PassTimedOut', e.message, { cause: e });
    return new RetryableError(
      status !== undefined ? 'AwsCallFailed' : 'ReconcileFailed',
      `${what}: ${e.message}`,
      { cause: e },
    );
  }
  return new RetryableError('ReconcileFailed', `non-error thrown: ${String(e)}`);
}
