/**
 * CloudWatch metric storage and statistics: metrics keyed by namespace, name and exact dimension set;
 * each datapoint keeps its sum, count, min, max and (for Value / Values+Counts) the raw values, so
 * periods aggregate to SampleCount, Sum, Average, Minimum, Maximum and percentiles (pNN, pNN.N,
 * nearest rank over raw values).
 */

export interface Dimension {
  Name: string;
  Value: string;
}

export interface Datapoint {
  t: number;
  sum: number;
  count: number;
  min: number;
  max: number;
  unit?: string;
  /** Raw values with their counts, when known (not for StatisticValues). */
  values?: [number, number][];
}

export interface Metric {
  namespace: string;
  name: string;
  dimensions: Dimension[];
  points: Datapoint[];
}

/** Points kept per metric; older ones are dropped first. */
const MAX_POINTS = 100_000;

export function sortDimensions(d: readonly Dimension[]): Dimension[] {
  return [...d].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

export function metricKey(namespace: string, name: string, dims: readonly Dimension[]): string {
  return JSON.stringify([namespace, name, sortDimensions(dims).map((d) => [d.Name, d.Value])]);
}

export class MetricStore {
  metrics = new Map<string, Metric>();

  add(namespace: string, name: string, dims: readonly Dimension[], p: Datapoint): void {
    const key = metricKey(namespace, name, dims);
    let m = this.metrics.get(key);
    if (!m) {
      m = { namespace, name, dimensions: sortDimensions(dims), points: [] };
      this.metrics.set(key, m);
    }
    m.points.push(p);
    if (m.points.length > MAX_POINTS) m.points.splice(0, m.points.length - MAX_POINTS);
  }

  get(namespace: string, name: string, dims: readonly Dimension[]): Metric | undefined {
    return this.metrics.get(metricKey(namespace, name, dims));
  }

  snapshot(): unknown {
    return { metrics: [...this.metrics.values()] };
  }

  restore(state: unknown): void {
    this.metrics = new Map();
    for (const m of (state as { metrics?: Metric[] } | undefined)?.metrics ?? []) {
      this.metrics.set(metricKey(m.namespace, m.name, m.dimensions), structuredClone(m));
    }
  }
}

export const BASIC_STATS = ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'] as const;
const PERCENTILE = /^p(\d{1,2}(\.\d{1,10})?|100)$/;

export function isSupportedStat(stat: string): boolean {
  return (BASIC_STATS as readonly string[]).includes(stat) || PERCENTILE.test(stat);
}

/** The statistic over some datapoints, or undefined when there is nothing to compute it from. */
export function statistic(points: readonly Datapoint[], stat: string): number | undefined {
  if (points.length === 0) return undefined;
  let sum = 0;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    sum += p.sum;
    count += p.count;
    min = Math.min(min, p.min);
    max = Math.max(max, p.max);
  }
  switch (stat) {
    case 'SampleCount':
      return count;
    case 'Sum':
      return sum;
    case 'Average':
      return count > 0 ? sum / count : undefined;
    case 'Minimum':
      return min;
    case 'Maximum':
      return max;
    default:
      return percentile(points, Number(stat.slice(1)));
  }
}

function percentile(points: readonly Datapoint[], p: number): number | undefined {
  const values: [number, number][] = [];
  for (const pt of points) if (pt.values) values.push(...pt.values);
  if (values.length === 0) return undefined;
  values.sort((a, b) => a[0] - b[0]);
  const total = values.reduce((n, [, c]) => n + c, 0);
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [v, c] of values) {
    seen += c;
    if (seen >= rank) return v;
  }
  return values[values.length - 1]?.[0];
}

/** Aggregates `points` into period buckets in [start, end); returns [bucketStart, value] ascending. */
export function aggregate(
  points: readonly Datapoint[],
  start: number,
  end: number,
  periodMs: number,
  stat: string,
  unit?: string,
): [number, number][] {
  const first = Math.floor(start / periodMs) * periodMs;
  const buckets = new Map<number, Datapoint[]>();
  for (const p of points) {
    if (p.t < first || p.t >= end) continue;
    if (unit !== undefined && p.unit !== unit) continue;
    const b = Math.floor(p.t / periodMs) * periodMs;
    const list = buckets.get(b);
    if (list) list.push(p);
    else buckets.set(b, [p]);
  }
  const out: [number, number][] = [];
  for (const [b, pts] of [...buckets.entries()].sort((x, y) => x[0] - y[0])) {
    const v = statistic(pts, stat);
    if (v !== undefined) out.push([b, v]);
  }
  return out;
}
