/**
 * CloudWatch metric alarms: PutMetricAlarm, DescribeAlarms (names, prefix, state, action prefix,
 * MaxRecords/NextToken), DeleteAlarms, SetAlarmState and DescribeAlarmHistory. Alarms are evaluated,
 * not just stored: on every virtual minute boundary each alarm looks at its last EvaluationPeriods
 * complete periods, applies TreatMissingData and DatapointsToAlarm (M of N; with missing data it only
 * moves when the known datapoints settle it), and moves between OK, ALARM and INSUFFICIENT_DATA,
 * recording history and a `cloudwatch.alarm.state` world event. SetAlarmState holds until the next
 * evaluation, as in CloudWatch.
 * Alarm actions are recorded but not executed; metric-math alarms (Metrics) stay INSUFFICIENT_DATA.
 */
import { z } from 'zod';
import type { TimerHandle, VirtualClock } from '../../core/clock.js';
import type { WorldLog } from '../../core/world-log.js';
import { AwsError, type OperationContext, type Wire } from '../contract.js';
import { type MetricStore, aggregate, isSupportedStat } from './cloudwatch-store.js';
import { decodeToken, encodeToken } from './tokens.js';
import { QUERY_VALIDATION, parseInput, qbool, qint, qlist, qnum } from './validation.js';

type StateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

const COMPARISONS = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'GreaterThanUpperThreshold',
] as const;

const dimension = z.object({ Name: z.string().min(1).max(255), Value: z.string().min(1).max(1024) });
const putSchema = z.object({
  AlarmName: z.string().min(1).max(255),
  AlarmDescription: z.string().max(1024).optional(),
  ActionsEnabled: qbool.optional(),
  OKActions: qlist(z.string().min(1).max(1024)).optional(),
  AlarmActions: qlist(z.string().min(1).max(1024)).optional(),
  InsufficientDataActions: qlist(z.string().min(1).max(1024)).optional(),
  MetricName: z.string().min(1).max(255).optional(),
  Namespace: z.string().min(1).max(255).optional(),
  Statistic: z.enum(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']).optional(),
  ExtendedStatistic: z.string().optional(),
  Dimensions: qlist(dimension).optional(),
  Period: qint.optional(),
  Unit: z.string().optional(),
  EvaluationPeriods: qint.pipe(z.number().min(1)),
  DatapointsToAlarm: qint.pipe(z.number().min(1)).optional(),
  Threshold: qnum.optional(),
  ComparisonOperator: z.enum(COMPARISONS),
  TreatMissingData: z.enum(['breaching', 'notBreaching', 'ignore', 'missing']).optional(),
  EvaluateLowSampleCountPercentile: z.string().optional(),
  Metrics: qlist(z.record(z.string(), z.unknown())).optional(),
  Tags: qlist(z.object({ Key: z.string(), Value: z.string() })).optional(),
  ThresholdMetricId: z.string().optional(),
});
const describeSchema = z.object({
  AlarmNames: qlist(z.string().min(1).max(255)).optional(),
  AlarmNamePrefix: z.string().min(1).max(255).optional(),
  AlarmTypes: qlist(z.enum(['CompositeAlarm', 'MetricAlarm'])).optional(),
  StateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']).optional(),
  ActionPrefix: z.string().min(1).max(1024).optional(),
  MaxRecords: qint.pipe(z.number().min(1).max(100)).optional(),
  NextToken: z.string().optional(),
  ChildrenOfAlarmName: z.string().optional(),
  ParentsOfAlarmName: z.string().optional(),
});
const deleteSchema = z.object({ AlarmNames: qlist(z.string().min(1).max(255)) });
const setStateSchema = z.object({
  AlarmName: z.string().min(1).max(255),
  StateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  StateReason: z.string().max(1023),
  StateReasonData: z.string().max(4000).optional(),
});
const historySchema = z.object({
  AlarmName: z.string().min(1).max(255).optional(),
  HistoryItemType: z.enum(['ConfigurationUpdate', 'StateUpdate', 'Action']).optional(),
  MaxRecords: qint.pipe(z.number().min(1).max(100)).optional(),
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
});

type AlarmConfig = z.output<typeof putSchema>;

interface Alarm {
  config: AlarmConfig;
  arn: string;
  state: StateValue;
  reason: string;
  reasonData?: string;
  stateUpdated: number;
  stateTransitioned: number;
  configUpdated: number;
}

interface HistoryItem {
  AlarmName: string;
  AlarmType: 'MetricAlarm';
  Timestamp: number;
  HistoryItemType: 'ConfigurationUpdate' | 'StateUpdate';
  HistorySummary: string;
}

const EVALUATION_INTERVAL_MS = 60_000;
const MAX_HISTORY = 10_000;

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message);
}

function breaches(op: (typeof COMPARISONS)[number], v: number, threshold: number): boolean {
  switch (op) {
    case 'GreaterThanOrEqualToThreshold':
      return v >= threshold;
    case 'GreaterThanThreshold':
    case 'GreaterThanUpperThreshold':
      return v > threshold;
    case 'LessThanThreshold':
    case 'LessThanLowerThreshold':
      return v < threshold;
    case 'LessThanOrEqualToThreshold':
      return v <= threshold;
    case 'LessThanLowerOrGreaterThanUpperThreshold':
      return v !== threshold;
  }
}

const OP_WORDS: Record<(typeof COMPARISONS)[number], string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
  LessThanLowerOrGreaterThanUpperThreshold: 'outside',
  LessThanLowerThreshold: 'less than',
  GreaterThanUpperThreshold: 'greater than',
};

export function createAlarms(deps: { clock: VirtualClock; store: MetricStore; world?: WorldLog }) {
  let alarms = new Map<string, Alarm>();
  let history: HistoryItem[] = [];
  let timer: TimerHandle | undefined;
  let stopped = false;

  function record(item: HistoryItem): void {
    history.push(item);
    if (history.length > MAX_HISTORY) history.splice(0, history.length - MAX_HISTORY);
  }

  function setState(a: Alarm, state: StateValue, reason: string, now: number, reasonData?: string): void {
    a.reason = reason;
    if (reasonData !== undefined) a.reasonData = reasonData;
    if (a.state === state) return;
    const from = a.state;
    a.state = state;
    a.stateUpdated = now;
    a.stateTransitioned = now;
    record({
      AlarmName: a.config.AlarmName,
      AlarmType: 'MetricAlarm',
      Timestamp: now,
      HistoryItemType: 'StateUpdate',
      HistorySummary: `Alarm updated from ${from} to ${state}`,
    });
    deps.world?.append('cloudwatch.alarm.state', { alarm: a.config.AlarmName, from, to: state, reason });
  }

  /** The alarm's last EvaluationPeriods complete periods: how many have data and how many of those breach. */
  function observe(
    c: AlarmConfig,
    now: number,
  ): { present: number; presentBreaching: number; shown: string[] } | undefined {
    const stat = c.Statistic ?? c.ExtendedStatistic;
    if (
      c.Metrics !== undefined ||
      c.MetricName === undefined ||
      c.Namespace === undefined ||
      c.Period === undefined
    )
      return undefined;
    if (stat === undefined || c.Threshold === undefined) return undefined;
    const periodMs = c.Period * 1000;
    const end = Math.floor(now / periodMs) * periodMs;
    const start = end - c.EvaluationPeriods * periodMs;
    const metric = deps.store.get(c.Namespace, c.MetricName, c.Dimensions ?? []);
    const byBucket = new Map(metric ? aggregate(metric.points, start, end, periodMs, stat, c.Unit) : []);
    let presentBreaching = 0;
    let present = 0;
    const shown: string[] = [];
    for (let b = end - periodMs; b >= start; b -= periodMs) {
      const v = byBucket.get(b);
      if (v === undefined) continue;
      present++;
      shown.push(`${v} (${new Date(b).toISOString().slice(0, 19).replace('T', ' ')})`);
      if (breaches(c.ComparisonOperator, v, c.Threshold)) presentBreaching++;
    }
    return { present, presentBreaching, shown };
  }

  function evaluate(a: Alarm, now: number): void {
    const c = a.config;
    const seen = observe(c, now);
    if (!seen) return;
    const { present, presentBreaching, shown } = seen;
    const n = c.EvaluationPeriods;
    const m = c.DatapointsToAlarm ?? n;
    const treat = c.TreatMissingData ?? 'missing';
    if (present === 0 && (treat === 'missing' || treat === 'ignore')) {
      if (treat === 'missing')
        setState(
          a,
          'INSUFFICIENT_DATA',
          `Insufficient Data: ${n} datapoint${n > 1 ? 's were' : ' was'} unknown.`,
          now,
        );
      return;
    }
    const missing = n - present;
    const breaching = presentBreaching + (treat === 'breaching' ? missing : 0);
    const notBreaching = present - presentBreaching + (treat === 'notBreaching' ? missing : 0);
    const alarmed = breaching >= m;
    // With missing data ignored, only decide once the known datapoints settle it; otherwise keep the state.
    if (!alarmed && notBreaching <= n - m && (treat === 'missing' || treat === 'ignore')) return;
    const words = OP_WORDS[c.ComparisonOperator];
    const reason = `Threshold Crossed: ${present} out of the last ${n} datapoints [${shown.join(', ')}] ${alarmed ? 'was' : 'was not'} ${words} the threshold (${c.Threshold}) (minimum ${m} datapoint${m > 1 ? 's' : ''} for ${alarmed ? 'OK -> ALARM' : 'ALARM -> OK'} transition).`;
    setState(a, alarmed ? 'ALARM' : 'OK', reason, now);
  }

  function evaluateAll(): void {
    const now = deps.clock.now();
    for (const a of alarms.values()) evaluate(a, now);
  }

  function arm(): void {
    if (stopped || timer !== undefined || alarms.size === 0) return;
    // CloudWatch evaluates alarms once a minute; the twin does it on virtual minute boundaries.
    const now = deps.clock.now();
    const delay = EVALUATION_INTERVAL_MS - (now % EVALUATION_INTERVAL_MS);
    timer = deps.clock.setTimeout(() => {
      timer = undefined;
      evaluateAll();
      arm();
    }, delay);
  }

  function describe(a: Alarm): Wire {
    const c = a.config;
    return {
      AlarmName: c.AlarmName,
      AlarmArn: a.arn,
      AlarmDescription: c.AlarmDescription,
      AlarmConfigurationUpdatedTimestamp: new Date(a.configUpdated),
      ActionsEnabled: c.ActionsEnabled ?? true,
      OKActions: c.OKActions ?? [],
      AlarmActions: c.AlarmActions ?? [],
      InsufficientDataActions: c.InsufficientDataActions ?? [],
      StateValue: a.state,
      StateReason: a.reason,
      StateReasonData: a.reasonData,
      StateUpdatedTimestamp: new Date(a.stateUpdated),
      StateTransitionedTimestamp: new Date(a.stateTransitioned),
      MetricName: c.MetricName,
      Namespace: c.Namespace,
      Statistic: c.Statistic,
      ExtendedStatistic: c.ExtendedStatistic,
      Dimensions: c.Dimensions ?? [],
      Period: c.Period,
      Unit: c.Unit,
      EvaluationPeriods: c.EvaluationPeriods,
      DatapointsToAlarm: c.DatapointsToAlarm,
      Threshold: c.Threshold,
      ComparisonOperator: c.ComparisonOperator,
      TreatMissingData: c.TreatMissingData,
      EvaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile,
      Metrics: c.Metrics,
      ThresholdMetricId: c.ThresholdMetricId,
    };
  }

  function pageOffset(token: string | undefined): number {
    if (token === undefined) return 0;
    const o = decodeToken(token, 'InvalidNextToken', 'The NextToken is invalid.')['o'];
    if (typeof o !== 'number' || !Number.isInteger(o) || o < 0)
      throw new AwsError('InvalidNextToken', 'The NextToken is invalid.');
    return o;
  }

  const operations = {
    PutMetricAlarm(input: Wire, ctx: OperationContext): Wire {
      const c = parseInput(putSchema, input, QUERY_VALIDATION);
      if (c.Statistic !== undefined && c.ExtendedStatistic !== undefined) {
        throw new AwsError(
          'InvalidParameterCombination',
          'Exactly one of Statistic and ExtendedStatistic must be specified.',
        );
      }
      if (c.Metrics === undefined) {
        if (c.MetricName === undefined)
          throw new AwsError('MissingParameter', 'The parameter MetricName is required.');
        if (c.Namespace === undefined)
          throw new AwsError('MissingParameter', 'The parameter Namespace is required.');
        if (c.Period === undefined)
          throw new AwsError('MissingParameter', 'The parameter Period is required.');
        if (c.Statistic === undefined && c.ExtendedStatistic === undefined) {
          throw new AwsError(
            'InvalidParameterCombination',
            'Exactly one of Statistic and ExtendedStatistic must be specified.',
          );
        }
        if (c.ExtendedStatistic !== undefined && !isSupportedStat(c.ExtendedStatistic)) {
          throw invalid(`The value ${c.ExtendedStatistic} for parameter ExtendedStatistic is invalid.`);
        }
        if (!(c.Period >= 10 && (c.Period % 60 === 0 || [10, 30].includes(c.Period)))) {
          throw invalid('The parameter Period must be 10, 30 or a multiple of 60.');
        }
        if (c.Period * c.EvaluationPeriods > 7 * 86_400)
          throw invalid('The evaluation period (Period * EvaluationPeriods) must not exceed 7 days.');
      } else if (c.MetricName !== undefined || c.Statistic !== undefined) {
        throw new AwsError(
          'InvalidParameterCombination',
          'Metrics list cannot be specified with MetricName, Namespace, Statistic or Period.',
        );
      }
      if (c.Threshold === undefined && c.ThresholdMetricId === undefined)
        throw new AwsError('MissingParameter', 'The parameter Threshold is required.');
      if (c.DatapointsToAlarm !== undefined && c.DatapointsToAlarm > c.EvaluationPeriods) {
        throw invalid('DatapointsToAlarm must be less than or equal to EvaluationPeriods.');
      }
      const existing = alarms.get(c.AlarmName);
      if (existing) {
        existing.config = c;
        existing.configUpdated = ctx.now;
      } else {
        alarms.set(c.AlarmName, {
          config: c,
          arn: `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${c.AlarmName}`,
          state: 'INSUFFICIENT_DATA',
          reason: 'Unchecked: Initial alarm creation',
          stateUpdated: ctx.now,
          stateTransitioned: ctx.now,
          configUpdated: ctx.now,
        });
      }
      record({
        AlarmName: c.AlarmName,
        AlarmType: 'MetricAlarm',
        Timestamp: ctx.now,
        HistoryItemType: 'ConfigurationUpdate',
        HistorySummary: `Alarm "${c.AlarmName}" ${existing ? 'updated' : 'created'}`,
      });
      arm();
      return {};
    },

    DescribeAlarms(input: Wire): Wire {
      const p = parseInput(describeSchema, input, QUERY_VALIDATION);
      if (p.AlarmNames !== undefined && p.AlarmNames.length > 0 && p.AlarmNamePrefix !== undefined) {
        throw new AwsError(
          'InvalidParameterCombination',
          'AlarmNames and AlarmNamePrefix cannot be specified together.',
        );
      }
      if ((p.AlarmNames?.length ?? 0) > 100)
        throw invalid('The collection AlarmNames must not have a size greater than 100.');
      const wantMetric =
        p.AlarmTypes === undefined || p.AlarmTypes.length === 0 || p.AlarmTypes.includes('MetricAlarm');
      const names = p.AlarmNames !== undefined && p.AlarmNames.length > 0 ? new Set(p.AlarmNames) : undefined;
      const list = [...alarms.values()]
        .filter(() => wantMetric)
        .filter((a) => names === undefined || names.has(a.config.AlarmName))
        .filter((a) => p.AlarmNamePrefix === undefined || a.config.AlarmName.startsWith(p.AlarmNamePrefix))
        .filter((a) => p.StateValue === undefined || a.state === p.StateValue)
        .filter(
          (a) =>
            p.ActionPrefix === undefined ||
            (a.config.AlarmActions ?? [])
              .concat(a.config.OKActions ?? [], a.config.InsufficientDataActions ?? [])
              .some((x) => x.startsWith(p.ActionPrefix as string)),
        )
        .sort((a, b) => (a.config.AlarmName < b.config.AlarmName ? -1 : 1));
      const offset = pageOffset(p.NextToken);
      const size = p.MaxRecords ?? 50;
      return {
        MetricAlarms: list.slice(offset, offset + size).map(describe),
        CompositeAlarms: [],
        ...(offset + size < list.length ? { NextToken: encodeToken({ o: offset + size }) } : {}),
      };
    },

    DeleteAlarms(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(deleteSchema, input, QUERY_VALIDATION);
      if (p.AlarmNames.length > 100)
        throw invalid('The collection AlarmNames must not have a size greater than 100.');
      const missing = p.AlarmNames.filter((n) => !alarms.has(n));
      if (missing.length > 0)
        throw new AwsError(
          'ResourceNotFound',
          `${missing.length} of the alarms specified were not found: ${missing.join(', ')}`,
          { status: 404 },
        );
      for (const n of p.AlarmNames) {
        alarms.delete(n);
        record({
          AlarmName: n,
          AlarmType: 'MetricAlarm',
          Timestamp: ctx.now,
          HistoryItemType: 'ConfigurationUpdate',
          HistorySummary: `Alarm "${n}" deleted`,
        });
      }
      if (alarms.size === 0 && timer !== undefined) {
        deps.clock.clearTimeout(timer);
        timer = undefined;
      }
      return {};
    },

    SetAlarmState(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(setStateSchema, input, QUERY_VALIDATION);
      const a = alarms.get(p.AlarmName);
      if (!a) throw new AwsError('ResourceNotFound', `Alarm ${p.AlarmName} does not exist.`, { status: 404 });
      if (p.StateReasonData !== undefined) {
        try {
          JSON.parse(p.StateReasonData);
        } catch {
          throw new AwsError('InvalidFormat', 'StateReasonData is not valid JSON.');
        }
      }
      setState(a, p.StateValue, p.StateReason, ctx.now, p.StateReasonData);
      return {};
    },

    DescribeAlarmHistory(input: Wire): Wire {
      const p = parseInput(historySchema, input, QUERY_VALIDATION);
      let items = history.filter(
        (h) =>
          (p.AlarmName === undefined || h.AlarmName === p.AlarmName) &&
          (p.HistoryItemType === undefined || h.HistoryItemType === p.HistoryItemType),
      );
      if ((p.ScanBy ?? 'TimestampDescending') === 'TimestampDescending') items = items.slice().reverse();
      const offset = pageOffset(p.NextToken);
      const size = p.MaxRecords ?? 50;
      return {
        AlarmHistoryItems: items
          .slice(offset, offset + size)
          .map((h) => ({ ...h, Timestamp: new Date(h.Timestamp) })),
        ...(offset + size < items.length ? { NextToken: encodeToken({ o: offset + size }) } : {}),
      };
    },
  };

  return {
    operations,
    snapshot: () => ({
      alarms: [...alarms.values()].map((a) => structuredClone(a)),
      history: history.slice(),
    }),
    restore(state: unknown) {
      const s = state as { alarms?: Alarm[]; history?: HistoryItem[] } | undefined;
      alarms = new Map((s?.alarms ?? []).map((a) => [a.config.AlarmName, structuredClone(a)]));
      history = (s?.history ?? []).slice();
      arm();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) deps.clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
