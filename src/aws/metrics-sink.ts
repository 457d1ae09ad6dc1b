/**
 * Buffers metric data points and sends them with PutMetricData, one namespace per call, at most 1000
 * data points and well under 1 MB per call. Values that CloudWatch refuses (NaN, ±Infinity) are
 * dropped. The buffer is bounded; failures are reported, never thrown into the loop.
 */
import type { CloudWatchClient, MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';

export const METRIC_LIMITS = { maxDatums: 1000, maxBytes: 900_000 } as const;

export interface Point {
  namespace: string;
  name: string;
  value: number;
  unit: StandardUnit;
  dimensions: Record<string, string>;
  /** Epoch ms. */
  timestamp: number;
}

function toDatum(p: Point): MetricDatum {
  return {
    MetricName: p.name,
    Value: p.value,
    Unit: p.unit,
    Timestamp: new Date(p.timestamp),
    Dimensions: Object.entries(p.dimensions)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([Name, Value]) => ({ Name, Value })),
  };
}

/** Rough size of a datum on the wire (JSON), for the per-request byte budget. */
function sizeOf(d: MetricDatum): number {
  return JSON.stringify(d).length + 16;
}

/** Groups points by namespace and splits them into PutMetricData-sized batches. */
export function batchMetricData(
  points: readonly Point[],
  limits = METRIC_LIMITS,
): { namespace: string; data: MetricDatum[] }[] {
  const byNs = new Map<string, MetricDatum[]>();
  for (const p of points) {
    if (!Number.isFinite(p.value)) continue;
    byNs.set(p.namespace, [...(byNs.get(p.namespace) ?? []), toDatum(p)]);
  }
  const out: { namespace: string; data: MetricDatum[] }[] = [];
  for (const [namespace, data] of [...byNs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let cur: MetricDatum[] = [];
    let bytes = 0;
    for (const d of data) {
      const s = sizeOf(d);
      if (cur.length > 0 && (cur.length >= limits.maxDatums || bytes + s > limits.maxBytes)) {
        out.push({ namespace, data: cur });
        cur = [];
        bytes = 0;
      }
      cur.push(d);
      bytes += s;
    }
    if (cur.length > 0) out.push({ namespace, data: cur });
  }
  return out;
}

export interface MetricsWriterOptions {
  client: CloudWatchClient;
  /** Points kept while CloudWatch is unreachable. Default 50,000. */
  maxBuffered?: number;
  onError?: (err: unknown) => void;
}

export class CloudWatchMetricsWriter {
  private buffer: Point[] = [];
  private flushing: Promise<void> | undefined;
  dropped = 0;
  sent = 0;

  constructor(private readonly opts: MetricsWriterOptions) {}

  add(p: Point): void {
    this.buffer.push(p);
    const max = this.opts.maxBuffered ?? 50_000;
    if (this.buffer.length > max) {
      const over = this.buffer.length - max;
      this.buffer.splice(0, over);
      this.dropped += over;
    }
  }

  pending(): number {
    return this.buffer.length;
  }

  flush(signal?: AbortSignal): Promise<void> {
    this.flushing ??= this.flushNow(signal).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushNow(signal?: AbortSignal): Promise<void> {
    if (this.buffer.length === 0) return;
    const points = this.buffer;
    this.buffer = [];
    for (const batch of batchMetricData(points)) {
      try {
        await this.opts.client.send(
          new PutMetricDataCommand({ Namespace: batch.namespace, MetricData: batch.data }),
          signal ? { abortSignal: signal } : {},
        );
        this.sent += batch.data.length;
      } catch (e) {
        this.dropped += batch.data.length;
        this.opts.onError?.(e);
      }
    }
  }
}
