import { batchLogEvents, LOGS_LIMITS, truncateUtf8 } from '../../src/aws/logs-sink.js';
import { batchMetricData } from '../../src/aws/metrics-sink.js';
import { CallCounter } from '../../src/aws/call-counter.js';
import { computeStatus, statusFingerprint } from '../../src/controller/status.js';
import type { DesiredCluster } from '../../src/controller/desired.js';
import { RetryableError, FatalError, WaitError, classifyError } from '../../src/model/errors.js';

describe('PutLogEvents batching', () => {
  it('sorts by time and splits at 10,000 events', () => {
    const events = Array.from({ length: 10_001 }, (_, i) => ({ timestamp: 10_001 - i, message: 'x' }));
    const batches = batchLogEvents(events);
    expect(batches.map((b) => b.length)).toEqual([10_000, 1]);
    expect(batches[0]?.[0]?.timestamp).toBe(1);
    expect(batches[1]?.[0]?.timestamp).toBe(10_001);
  });

  it('splits at 1,048,576 bytes counting 26 bytes per event', () => {
    const msg = 'a'.repeat(1000);
    const perEvent = 1000 + LOGS_LIMITS.perEventOverhead;
    const fit = Math.floor(LOGS_LIMITS.maxBytes / perEvent);
    const batches = batchLogEvents(
      Array.from({ length: fit + 1 }, (_, i) => ({ timestamp: i, message: msg })),
    );
    expect(batches.map((b) => b.length)).toEqual([fit, 1]);
    for (const b of batches)
      expect(b.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0)).toBeLessThanOrEqual(
        LOGS_LIMITS.maxBytes,
      );
  });

  it('never lets one batch span more than 24 hours', () => {
    const day = 24 * 3600 * 1000;
    expect(
      batchLogEvents([
        { timestamp: 0, message: 'a' },
        { timestamp: day, message: 'b' },
        { timestamp: day + 1, message: 'c' },
      ]).map((b) => b.length),
    ).toEqual([2, 1]);
  });

  it('cuts an oversized event without splitting a character', () => {
    const big = 'é'.repeat(200_000); // 400,000 bytes
    const [batch] = batchLogEvents([{ timestamp: 1, message: big }]);
    const m = batch![0]!.message;
    expect(Buffer.byteLength(m)).toBeLessThanOrEqual(LOGS_LIMITS.maxEventBytes - 26);
    expect(m.endsWith('… (truncated)')).toBe(true);
    expect(m).not.toContain('\uFFFD');
    expect(truncateUtf8('short', 100)).toBe('short');
  });
});

describe('PutMetricData batching', () => {
  it('groups by namespace, at most 1000 data points per call, and drops values CloudWatch refuses', () => {
    const points = [
      ...Array.from({ length: 1500 }, (_, i) => ({
        namespace: 'B',
        name: 'M',
        value: i,
        unit: 'Count' as const,
        dimensions: { Cluster: 'c' },
        timestamp: 0,
      })),
      { namespace: 'A', name: 'M', value: 1, unit: 'Count' as const, dimensions: {}, timestamp: 0 },
      {
        namespace: 'A',
        name: 'Bad',
        value: Number.POSITIVE_INFINITY,
        unit: 'Count' as const,
        dimensions: {},
        timestamp: 0,
      },
    ];
    const batches = batchMetricData(points);
    expect(batches.map((b) => [b.namespace, b.data.length])).toEqual([
      ['A', 1],
      ['B', 1000],
      ['B', 500],
    ]);
    expect(batches[1]?.data[0]).toMatchObject({
      MetricName: 'M',
      Value: 0,
      Unit: 'Count',
      Dimensions: [{ Name: 'Cluster', Value: 'c' }],
    });
  });

  it('keeps each call under the byte budget', () => {
    const dims = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`D${i}`, 'v'.repeat(200)]));
    const points = Array.from({ length: 1000 }, () => ({
      namespace: 'N',
      name: 'M',
      value: 1,
      unit: 'Count' as const,
      dimensions: dims,
      timestamp: 0,
    }));
    const batches = batchMetricData(points, { maxDatums: 1000, maxBytes: 900_000 });
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(JSON.stringify(b.data).length).toBeLessThan(900_000);
  });
});

describe('CallCounter scopes', () => {
  it('counts calls per scope through async boundaries, concurrently, and in the totals', async () => {
    const counter = new CallCounter();
    const stack: {
      fns: ((
        next: (a: unknown) => Promise<unknown>,
        ctx: { clientName?: string; commandName?: string },
      ) => (a: unknown) => Promise<unknown>)[];
    } = { fns: [] };
    const client = {
      middlewareStack: { add: (fn: (typeof stack.fns)[number]) => stack.fns.push(fn) },
    };
    counter.instrument(client);
    const call = async (op: string): Promise<void> => {
      await new Promise((r) => setTimeout(r, 1));
      let h: (a: unknown) => Promise<unknown> = () => Promise.resolve(undefined);
      for (const f of [...stack.fns].reverse())
        h = f(h, { clientName: 'ECSClient', commandName: `${op}Command` });
      await h({});
    };
    const [a, b] = await Promise.all([
      counter.scope(async () => {
        await call('DescribeServices');
        await call('ListTasks');
      }),
      counter.scope(async () => {
        await call('DescribeServices');
      }),
    ]);
    expect(a.calls).toEqual({
      total: 2,
      attempts: 2,
      byOperation: { 'ecs:DescribeServices': 1, 'ecs:ListTasks': 1 },
    });
    expect(b.calls.byOperation).toEqual({ 'ecs:DescribeServices': 1 });
    expect(counter.totals.total).toBe(3);
    const isolated = await counter.scope(() =>
      counter.scopeSettled(() => call('ListTasks'), { isolated: true }),
    );
    expect(isolated.calls.total).toBe(0);
    expect(isolated.value.calls.total).toBe(1);
  });
});

describe('computeStatus', () => {
  const desired = (revision: string, digest = 'd1'): DesiredCluster => ({
    name: 'alpha',
    revision,
    origin: 's3://b/k',
    digest,
    cluster: {} as DesiredCluster['cluster'],
  });
  const base = { name: 'alpha', holder: 'ctl', generation: 2, now: Date.UTC(2026, 0, 1) };

  it('is Ready when the pass applied the revision without actions or problems', () => {
    const s = computeStatus({
      ...base,
      prev: undefined,
      desired: desired('r1'),
      attempt: { revision: 'r1', origin: 'k', valid: true, problems: [] },
      pass: { actions: [], holds: [], members: [] },
    });
    expect(s).toMatchObject({
      phase: 'Ready',
      observedGeneration: 1,
      lastAppliedRevision: 'r1',
      lastAttemptedRevision: 'r1',
      lease: { holder: 'ctl', generation: 2 },
    });
  });

  it('keeps transition times of unchanged conditions, bumps the generation only on spec changes, and ignores updatedAt for change detection', () => {
    const attempt = { revision: 'r1', origin: 'k', valid: true, problems: [] };
    const first = computeStatus({
      ...base,
      prev: undefined,
      desired: desired('r1'),
      attempt,
      pass: { actions: [{ type: 'CreateLogGroup', reason: 'LogGroupMissing' }], holds: [] },
    });
    expect(first.phase).toBe('Reconciling');
    const second = computeStatus({
      ...base,
      now: base.now + 5000,
      prev: first,
      desired: desired('r1'),
      attempt,
      pass: { actions: [], holds: [] },
    });
    const third = computeStatus({
      ...base,
      now: base.now + 9000,
      prev: second,
      desired: desired('r1'),
      attempt,
      pass: { actions: [], holds: [] },
    });
    expect(second.phase).toBe('Ready');
    expect(third.conditions).toEqual(second.conditions);
    expect(statusFingerprint(third)).toBe(statusFingerprint(second));
    expect(third.observedGeneration).toBe(1);
    const changed = computeStatus({
      ...base,
      now: base.now + 10_000,
      prev: third,
      desired: desired('r2', 'd2'),
      attempt: { ...attempt, revision: 'r2' },
      pass: { actions: [], holds: [] },
    });
    expect(changed.observedGeneration).toBe(2);
  });

  it('says what the error means: retry is Degraded and progressing with retry, fatal is Failed, and lastApplied stays', () => {
    const prev = computeStatus({
      ...base,
      prev: undefined,
      desired: desired('r1'),
      attempt: { revision: 'r1', origin: 'k', valid: true, problems: [] },
      pass: { actions: [], holds: [] },
    });
    const retry = computeStatus({
      ...base,
      prev,
      desired: desired('r2', 'd2'),
      attempt: { revision: 'r2', origin: 'k', valid: true, problems: [] },
      pass: { actions: [], holds: [], error: new RetryableError('AwsCallFailed', 'Throttling') },
    });
    expect(retry).toMatchObject({
      phase: 'Degraded',
      lastAppliedRevision: 'r1',
      lastAttemptedRevision: 'r2',
      lastError: { kind: 'retry', reason: 'AwsCallFailed' },
    });
    expect(retry.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Ready=False/AwsCallFailed',
      'Progressing=True/ProgressingWithRetry',
      'Degraded=True/AwsCallFailed',
    ]);
    const fatal = computeStatus({
      ...base,
      prev,
      desired: desired('r1'),
      attempt: undefined,
      pass: { actions: [], holds: [], error: new FatalError('QuorumAtRisk', 'no') },
    });
    expect(fatal.phase).toBe('Failed');
  });
});

describe('classifyError', () => {
  it('keeps typed errors and makes everything else retryable with a readable message', () => {
    const w = new WaitError('Attaching', 'wait', 5000);
    expect(classifyError(w)).toBe(w);
    const sdk = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(classifyError(sdk)).toMatchObject({
      kind: 'retry',
      reason: 'AwsCallFailed',
      message: 'ThrottlingException (HTTP 400): Rate exceeded',
    });
    expect(classifyError('boom')).toMatchObject({ kind: 'retry', reason: 'ReconcileFailed' });
    expect(() => new WaitError('Attaching', 'x', -1)).toThrow(/requeueAfterMs/);
    expect(() => new RetryableError('not camel', 'x')).toThrow(/UpperCamelCase/);
  });
});
