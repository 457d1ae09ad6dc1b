/**
 * CloudWatch metrics (JSON 1.0 query-compatible as current SDKs send it, or the legacy awsQuery form;
 * the module sees both decoded the same way): PutMetricData (Value, Values/Counts, StatisticValues,
 * timestamps, units, the real per-request limits), GetMetricData (MetricStat queries aggregated per
 * period; SampleCount/Sum/Average/Minimum/Maximum/pNN; ScanBy; MaxDatapoints + NextToken) and
 * ListMetrics (namespace, name and dimension filters, RecentlyActive, NextToken). Alarms are in
 * cloudwatch-alarms.ts. Errors use the query codes (InvalidParameterValue, MissingParameter,
 * InvalidParameterCombination, InvalidNextToken) that the protocol layer maps for JSON.
 */
import { z } from 'zod';
import type { VirtualClock } from '../../core/clock.js';
import type { WorldLog } from '../../core/world-log.js';
import { AwsError, type OperationContext, type ServiceModule, type Wire } from '../contract.js';
import { createAlarms } from './cloudwatch-alarms.js';
import {
  type Datapoint,
  MetricStore,
  aggregate,
  isSupportedStat,
  sortDimensions,
} from './cloudwatch-store.js';
import { decodeToken, encodeToken } from './tokens.js';
import { QUERY_VALIDATION, parseInput, qbool, qint, qlist, qnum, qtime } from './validation.js';

export const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const dimensionSchema = z.object({
  Name: z.string().min(1).max(255),
  Value: z.string().min(1).max(1024),
});
export const metricSchema = z.object({
  Namespace: z.string().min(1).max(255).optional(),
  MetricName: z.string().min(1).max(255),
  Dimensions: qlist(dimensionSchema).optional(),
});

const datumSchema = z.object({
  MetricName: z.string().min(1).max(1024),
  Dimensions: qlist(dimensionSchema).optional(),
  Timestamp: qtime.optional(),
  Value: qnum.optional(),
  StatisticValues: z.object({ SampleCount: qnum, Sum: qnum, Minimum: qnum, Maximum: qnum }).optional(),
  Values: qlist(qnum).optional(),
  Counts: qlist(qnum).optional(),
  Unit: z.enum(UNITS).optional(),
  StorageResolution: qint.optional(),
});
const putSchema = z.object({ Namespace: z.string().min(1).max(255), MetricData: qlist(datumSchema) });

const querySchema = z.object({
  Id: z.string().min(1).max(255),
  MetricStat: z
    .object({ Metric: metricSchema, Period: qint, Stat: z.string().min(1), Unit: z.enum(UNITS).optional() })
    .optional(),
  Expression: z.string().min(1).max(2048).optional(),
  Label: z.string().optional(),
  ReturnData: qbool.optional(),
  Period: qint.optional(),
  AccountId: z.string().optional(),
});
const getSchema = z.object({
  MetricDataQueries: qlist(querySchema),
  StartTime: qtime,
  EndTime: qtime,
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
  MaxDatapoints: qint.optional(),
});
const listSchema = z.object({
  Namespace: z.string().min(1).max(255).optional(),
  MetricName: z.string().min(1).max(255).optional(),
  Dimensions: qlist(
    z.object({ Name: z.string().min(1).max(255), Value: z.string().max(1024).optional() }),
  ).optional(),
  NextToken: z.string().optional(),
  RecentlyActive: z.literal('PT3H').optional(),
});

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message);
}

function combination(message: string): AwsError {
  return new AwsError('InvalidParameterCombination', message);
}

/** Checks a period as CloudWatch does: 1, 5, 10, 20, 30 or a multiple of 60 seconds. */
export function checkPeriod(period: number, member: string): void {
  if (!(period >= 1 && ([1, 5, 10, 20, 30].includes(period) || period % 60 === 0))) {
    throw invalid(`The parameter ${member} must be a multiple of 60 or one of 1, 5, 10, 20, 30.`);
  }
}

type Datum = z.output<typeof datumSchema>;

function toDatapoint(d: Datum, i: number, now: number): Datapoint {
  const m = `MetricData.member.${i + 1}`;
  const t = d.Timestamp ?? now;
  if (t < now - 14 * DAY)
    throw invalid(`The parameter ${m}.Timestamp must specify a time no more than two weeks in the past.`);
  if (t > now + 2 * HOUR)
    throw invalid(`The parameter ${m}.Timestamp must specify a time no more than two hours in the future.`);
  if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) {
    throw invalid(
      `The value ${d.StorageResolution} for parameter ${m}.StorageResolution is invalid. It must be 1 or 60.`,
    );
  }
  if ((d.Dimensions?.length ?? 0) > 30)
    throw invalid(`The collection ${m}.Dimensions must not have a size greater than 30.`);
  const given = [
    d.Value !== undefined,
    d.StatisticValues !== undefined,
    d.Values !== undefined && d.Values.length > 0,
  ].filter(Boolean).length;
  if (given > 1)
    throw combination(
      `The parameters ${m}.Value, ${m}.Values and ${m}.StatisticValues are mutually exclusive and you have specified more than one.`,
    );
  if (given === 0)
    throw new AwsError(
      'MissingParameter',
      `At least one of the parameters ${m}.Value, ${m}.Values or ${m}.StatisticValues must be specified.`,
    );
  const base = { t, ...(d.Unit !== undefined ? { unit: d.Unit } : {}) };
  if (d.Value !== undefined)
    return { ...base, sum: d.Value, count: 1, min: d.Value, max: d.Value, values: [[d.Value, 1]] };
  if (d.StatisticValues) {
    const s = d.StatisticValues;
    if (s.SampleCount <= 0)
      throw invalid(`The value ${s.SampleCount} for parameter ${m}.StatisticValues.SampleCount is invalid.`);
    if (s.Minimum > s.Maximum)
      throw invalid(
        `The parameter ${m}.StatisticValues.Maximum must be greater than ${m}.StatisticValues.Minimum.`,
      );
    return { ...base, sum: s.Sum, count: s.SampleCount, min: s.Minimum, max: s.Maximum };
  }
  const values = d.Values ?? [];
  const counts = d.Counts ?? values.map(() => 1);
  if (values.length > 150) throw invalid(`The collection ${m}.Values must not have a size greater than 150.`);
  if (counts.length !== values.length)
    throw invalid(`The parameters ${m}.Values and ${m}.Counts must be of the same size.`);
  const pairs: [number, number][] = values.map((v, j) => [v, counts[j] ?? 1]);
  return {
    ...base,
    sum: pairs.reduce((s, [v, c]) => s + v * c, 0),
    count: pairs.reduce((s, [, c]) => s + c, 0),
    min: Math.min(...values),
    max: Math.max(...values),
    values: pairs,
  };
}

export interface CloudWatchModule extends ServiceModule {
  stop(): void;
}

export function createCloudWatch(deps: { clock: VirtualClock; world?: WorldLog }): CloudWatchModule {
  const store = new MetricStore();
  const alarms = createAlarms({ clock: deps.clock, store, ...(deps.world ? { world: deps.world } : {}) });

  const operations = {
    PutMetricData(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(putSchema, input, QUERY_VALIDATION);
      if (p.Namespace.startsWith('AWS/'))
        throw invalid(`The value ${p.Namespace} for parameter Namespace is invalid.`);
      if (p.MetricData.length === 0)
        throw new AwsError('MissingParameter', 'The parameter MetricData is required.');
      if (p.MetricData.length > 1000)
        throw invalid('The collection MetricData must not have a size greater than 1000.');
      // Validate everything first: a request is stored whole or not at all.
      const points = p.MetricData.map((d, i) => toDatapoint(d, i, ctx.now));
      p.MetricData.forEach((d, i) =>
        store.add(p.Namespace, d.MetricName, d.Dimensions ?? [], points[i] as Datapoint),
      );
      return {};
    },

    GetMetricData(input: Wire): Wire {
      const p = parseInput(getSchema, input, QUERY_VALIDATION);
      if (p.MetricDataQueries.length === 0)
        throw new AwsError('MissingParameter', 'The parameter MetricDataQueries is required.');
      if (p.MetricDataQueries.length > 500)
        throw invalid('The collection MetricDataQueries must not have a size greater than 500.');
      if (p.StartTime >= p.EndTime)
        throw invalid('The parameter StartTime must be less than the parameter EndTime.');
      const ids = new Set<string>();
      const series = p.MetricDataQueries.map((q, i) => {
        const m = `MetricDataQueries.member.${i + 1}`;
        if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id))
          throw invalid(`The value ${q.Id} for parameter ${m}.Id is invalid.`);
        if (ids.has(q.Id)) throw invalid(`The value ${q.Id} for parameter ${m}.Id is not unique.`);
        ids.add(q.Id);
        if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
          throw combination(`Exactly one of ${m}.MetricStat and ${m}.Expression must be specified.`);
        }
        if (!q.MetricStat)
          throw invalid(`The twin does not evaluate metric math: ${m}.Expression is not supported.`);
        const s = q.MetricStat;
        checkPeriod(s.Period, `${m}.MetricStat.Period`);
        if (!isSupportedStat(s.Stat))
          throw invalid(`The value ${s.Stat} for parameter ${m}.MetricStat.Stat is invalid.`);
        if (s.Metric.Namespace === undefined)
          throw new AwsError(
            'MissingParameter',
            `The parameter ${m}.MetricStat.Metric.Namespace is required.`,
          );
        const metric = store.get(s.Metric.Namespace, s.Metric.MetricName, s.Metric.Dimensions ?? []);
        let points = metric
          ? aggregate(metric.points, p.StartTime, p.EndTime, s.Period * 1000, s.Stat, s.Unit)
          : [];
        if ((p.ScanBy ?? 'TimestampDescending') === 'TimestampDescending') points = points.reverse();
        return { id: q.Id, label: q.Label ?? s.Metric.MetricName, returnData: q.ReturnData ?? true, points };
      });
      const visible = series.filter((s) => s.returnData);
      const max = p.MaxDatapoints ?? 100_800;
      if (max < 1) throw invalid('The parameter MaxDatapoints must be greater than 0.');
      let offset = 0;
      if (p.NextToken !== undefined) {
        const o = decodeToken(
          p.NextToken,
          'InvalidNextToken',
          'The service couldn\u2019t process your request because the NextToken is invalid.',
        )['o'];
        if (typeof o !== 'number' || !Number.isInteger(o) || o < 0)
          throw new AwsError('InvalidNextToken', 'The NextToken is invalid.');
        offset = o;
      }
      // Pages walk the concatenation of every result's points.
      let cursor = 0;
      const total = visible.reduce((n, s) => n + s.points.length, 0);
      const results = visible.map((s) => {
        const from = Math.max(0, offset - cursor);
        const to = Math.max(0, Math.min(s.points.length, offset + max - cursor));
        cursor += s.points.length;
        const slice = s.points.slice(from, Math.max(from, to));
        return {
          Id: s.id,
          Label: s.label,
          Timestamps: slice.map(([t]) => new Date(t)),
          Values: slice.map(([, v]) => v),
          StatusCode: to < s.points.length ? 'PartialData' : 'Complete',
        };
      });
      return {
        MetricDataResults: results,
        Messages: [],
        ...(offset + max < total ? { NextToken: encodeToken({ o: offset + max }) } : {}),
      };
    },

    ListMetrics(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(listSchema, input, QUERY_VALIDATION);
      const filters = p.Dimensions ?? [];
      if (filters.length > 10)
        throw invalid('The collection Dimensions must not have a size greater than 10.');
      const list = [...store.metrics.values()]
        .filter((m) => p.Namespace === undefined || m.namespace === p.Namespace)
        .filter((m) => p.MetricName === undefined || m.name === p.MetricName)
        .filter((m) =>
          filters.every((f) =>
            m.dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)),
          ),
        )
        .filter((m) => p.RecentlyActive === undefined || m.points.some((pt) => pt.t >= ctx.now - 3 * HOUR))
        .sort((a, b) =>
          (a.namespace + a.name + JSON.stringify(a.dimensions)).localeCompare(
            b.namespace + b.name + JSON.stringify(b.dimensions),
          ),
        );
      let offset = 0;
      if (p.NextToken !== undefined) {
        const o = decodeToken(p.NextToken, 'InvalidNextToken', 'The NextToken is invalid.')['o'];
        if (typeof o !== 'number' || !Number.isInteger(o) || o < 0)
          throw new AwsError('InvalidNextToken', 'The NextToken is invalid.');
        offset = o;
      }
      const slice = list.slice(offset, offset + 500);
      return {
        Metrics: slice.map((m) => ({
          Namespace: m.namespace,
          MetricName: m.name,
          Dimensions: sortDimensions(m.dimensions),
        })),
        ...(offset + 500 < list.length ? { NextToken: encodeToken({ o: offset + 500 }) } : {}),
      };
    },

    ...alarms.operations,
  };

  return {
    service: 'monitoring',
    operations,
    snapshot: () => ({ metrics: store.snapshot(), alarms: alarms.snapshot() }),
    restore(state: unknown) {
      const s = state as { metrics?: unknown; alarms?: unknown } | undefined;
      store.restore(s?.metrics);
      alarms.restore(s?.alarms);
    },
    stop: () => alarms.stop(),
  };
}
