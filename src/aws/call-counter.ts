/**
 * Counts AWS calls by service and operation, through a middleware on every SDK client. Calls made
 * inside `scope(fn)` (a reconcile pass) are also counted for that scope, found through
 * AsyncLocalStorage, so concurrent passes of different clusters each get their own count. Both SDK
 * commands (`calls`) and HTTP attempts including retries (`attempts`) are counted.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CallCounts {
  /** SDK commands. */
  total: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  /** `service:Operation` → commands. */
  byOperation: Record<string, number>;
}

export const emptyCounts = (): CallCounts => ({ total: 0, attempts: 0, byOperation: {} });

/** Adds `b` into `a`. */
export function addCounts(a: CallCounts, b: CallCounts): CallCounts {
  a.total += b.total;
  a.attempts += b.attempts;
  for (const [k, n] of Object.entries(b.byOperation)) a.byOperation[k] = (a.byOperation[k] ?? 0) + n;
  return a;
}

/** `S3Client` → `s3`, `CloudWatchLogsClient` → `logs`. */
const SERVICE_NAMES: Readonly<Record<string, string>> = {
  S3Client: 's3',
  ECSClient: 'ecs',
  EC2Client: 'ec2',
  AutoScalingClient: 'autoscaling',
  CloudWatchClient: 'cloudwatch',
  CloudWatchLogsClient: 'logs',
  SecretsManagerClient: 'secretsmanager',
};

export function serviceOf(clientName: string | undefined): string {
  if (!clientName) return 'unknown';
  return SERVICE_NAMES[clientName] ?? clientName.replace(/Client$/, '').toLowerCase();
}

/** The part of an SDK client the counter needs. */
export interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize' | 'deserialize'; name: string; override?: boolean },
    ): void;
  };
}

export class CallCounter {
  private readonly als = new AsyncLocalStorage<CallCounts[]>();
  /** Everything counted since start. */
  readonly totals: CallCounts = emptyCounts();
  private listeners: ((service: string, operation: string) => void)[] = [];

  /** Called once per SDK command (for metrics). */
  onCall(fn: (service: string, operation: string) => void): void {
    this.listeners.push(fn);
  }

  /** Installs the counting middleware on an SDK client; returns the client. */
  instrument<C>(client: C): C {
    const stack = (client as unknown as MiddlewareClient).middlewareStack;
    stack.add(
      (next, context) => async (args) => {
        this.record(
          serviceOf(context.clientName),
          (context.commandName ?? 'Unknown').replace(/Command$/, ''),
        );
        return next(args);
      },
      { step: 'initialize', name: 'neo4jEcsCallCounter', override: true },
    );
    stack.add(
      (next) => async (args) => {
        for (const c of this.targets()) c.attempts++;
        return next(args);
      },
      { step: 'deserialize', name: 'neo4jEcsAttemptCounter', override: true },
    );
    return client;
  }

  /** Runs `fn`, counting the calls it makes (and nested scopes' calls) separately. */
  async scope<T>(fn: () => Promise<T>): Promise<{ value: T; calls: CallCounts }> {
    const calls = emptyCounts();
    const parent = this.als.getStore() ?? [];
    const value = await this.als.run([...parent, calls], fn);
    return { value, calls };
  }

  /**
   * Like `scope`, but also returns the counts when `fn` throws. With `isolated`, the calls are not
   * also counted in the enclosing scopes (for work shared between passes).
   */
  async scopeSettled<T>(
    fn: () => Promise<T>,
    opts: { isolated?: boolean } = {},
  ): Promise<{ ok: true; value: T; calls: CallCounts } | { ok: false; error: unknown; calls: CallCounts }> {
    const calls = emptyCounts();
    const parent = opts.isolated ? [] : (this.als.getStore() ?? []);
    try {
      const value = await this.als.run([...parent, calls], fn);
      return { ok: true, value, calls };
    } catch (error) {
      return { ok: false, error, calls };
    }
  }

  private targets(): CallCounts[] {
    return [this.totals, ...(this.als.getStore() ?? [])];
  }

  private record(service: string, operation: string): void {
    const key = `${service}:${operation}`;
    for (const c of this.targets()) {
      c.total++;
      c.byOperation[key] = (c.byOperation[key] ?? 0) + 1;
    }
    for (const l of this.listeners) l(service, operation);
  }
}
