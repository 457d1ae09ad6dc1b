/**
 * Buffers metric data points and sends them with PutMetricData, one namespace per call, at most 1000
 * data points and well under 1 MB per call. Values that CloudWatch refuses (NaN, ±Infinity) are
 * dropped. The buffer is bounded; a batch that fails is kept for the next flush (BufferedWriter).
 */
import type { CloudWatchClient, MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { BufferedWriter } from './buffered-writer.js';

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

/** Groups points by namespace and splits them into PutMetricData-sized batches of points. */
export function batchPoints(points: readonly Point[], limits = METRIC_LIMITS): Point[][] {
  const byNs = new Map<string, Point[]>();
  for (const p of points) {
    if (!Number.isFinite(p.value)) continue;
    byNs.set(p.namespace, [...(byNs.get(p.namespace) ?? []), p]);
  }
  const out: Point[][] = [];
  for (const [, group] of [...byNs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let cur: Point[] = [];
    let bytes = 0;
    for (const p of group) {
      const s = sizeOf(toDatum(p));
      if (cur.length > 0 && (cur.length >= limits.maxDatums || bytes + s > limits.maxBytes)) {
        out.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(p);
      bytes += s;
    }
    if (cur.length > 0) out.push(cur);
  }
  return out;
}

/** The PutMetricData requests for `points`: one namespace each, within the limits. */
export function batchMetricData(
  points: readonly Point[],
  limits = METRIC_LIMITS,
): { namespace: string; data: MetricDatum[] }[] {
  return batchPoints(points, limits).map((b) => ({
    namespace: (b[0] as Point).namespace,
    data: b.map(toDatum),
  }));
}

export interface MetricsWriterOptions {
  client: CloudWatchClient;
  /** Points kept while CloudWatch is unreachable. Default 50,000. */
  maxBuffered?: number;
  onError?: (err: unknown) => void;
}

export class CloudWatchMetricsWriter extends BufferedWriter<Point> {
  constructor(private readonly opts: MetricsWriterOptions) {
    super(opts.maxBuffered ?? 50_000, opts.onError);
  }

  protected batch(points: readonly Point[]): Point[][] {
    return batchPoints(points);
  }

  protected async send(batch: Point[], signal?: AbortSignal): Promise<void> {
    await this.opts.client.send(
      new PutMetricDataCommand({ Namespace: (batch[0] as Point).namespace, MetricData: batch.map(toDatum) }),
      signal ? { abortSignal: signal } : {},
    );
  }
}
