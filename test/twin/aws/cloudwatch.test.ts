import { gzipSync } from 'node:zlib';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { VirtualClock } from '../../../twin/core/clock.js';
import { type AwsTwin, awsCli, awsCliRaw, sdkConfig, startTestTwin } from '../../helpers/twin.js';

let twin: AwsTwin;
let cw: CloudWatchClient;
let fast: CloudWatchClient;
const clock = new VirtualClock({ mode: 'manual' });
const t0 = clock.now();
const sec = (ms: number) => new Date(t0 + ms);

beforeAll(async () => {
  twin = await startTestTwin({ clock });
  cw = new CloudWatchClient(sdkConfig(twin));
  fast = new CloudWatchClient(sdkConfig(twin, { maxAttempts: 1 }));
});
afterAll(async () => {
  cw.destroy();
  fast.destroy();
  await twin.stop();
  clock.stop();
});

describe('CloudWatch metrics through the JS SDK (JSON 1.0, query-compatible)', () => {
  it('stores PutMetricData and aggregates it per period in GetMetricData', async () => {
    const dims = [{ Name: 'Cluster', Value: 'graph' }];
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Neo4jEcs',
        MetricData: [
          {
            MetricName: 'ReconcileSeconds',
            Dimensions: dims,
            Timestamp: sec(5_000),
            Value: 2,
            Unit: 'Seconds',
          },
          {
            MetricName: 'ReconcileSeconds',
            Dimensions: dims,
            Timestamp: sec(20_000),
            Value: 4,
            Unit: 'Seconds',
          },
          {
            MetricName: 'ReconcileSeconds',
            Dimensions: dims,
            Timestamp: sec(65_000),
            Values: [1, 9],
            Counts: [3, 1],
            Unit: 'Seconds',
          },
          {
            MetricName: 'ReconcileSeconds',
            Dimensions: dims,
            Timestamp: sec(130_000),
            StatisticValues: { SampleCount: 2, Sum: 10, Minimum: 4, Maximum: 6 },
          },
        ],
      }),
    );
    const stat = (Stat: string, Id: string) => ({
      Id,
      MetricStat: {
        Metric: { Namespace: 'Neo4jEcs', MetricName: 'ReconcileSeconds', Dimensions: dims },
        Period: 60,
        Stat,
      },
    });
    const r = await cw.send(
      new GetMetricDataCommand({
        StartTime: sec(0),
        EndTime: sec(180_000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          stat('Sum', 'sum'),
          stat('Average', 'avg'),
          stat('Maximum', 'mx'),
          stat('Minimum', 'mn'),
          stat('SampleCount', 'n'),
          stat('p50', 'med'),
        ],
      }),
    );
    const byId = Object.fromEntries(r.MetricDataResults!.map((x) => [x.Id, x]));
    expect(byId['sum']!.Timestamps).toEqual([sec(0), sec(60_000), sec(120_000)]);
    expect(byId['sum']!.Values).toEqual([6, 12, 10]);
    expect(byId['avg']!.Values).toEqual([3, 3, 5]);
    expect(byId['mx']!.Values).toEqual([4, 9, 6]);
    expect(byId['mn']!.Values).toEqual([2, 1, 4]);
    expect(byId['n']!.Values).toEqual([2, 4, 2]);
    expect(byId['med']!.Values).toEqual([2, 1]);
    expect(byId['sum']!.StatusCode).toBe('Complete');
    expect(byId['sum']!.Label).toBe('ReconcileSeconds');
    const desc = await cw.send(
      new GetMetricDataCommand({
        StartTime: sec(0),
        EndTime: sec(180_000),
        MetricDataQueries: [stat('Sum', 'sum')],
      }),
    );
    expect(desc.MetricDataResults![0]!.Values).toEqual([10, 12, 6]);
  });

  it('pages GetMetricData with MaxDatapoints and NextToken', async () => {
    const MetricData = Array.from({ length: 5 }, (_, i) => ({
      MetricName: 'Paged',
      Timestamp: sec(i * 60_000),
      Value: i,
    }));
    await cw.send(new PutMetricDataCommand({ Namespace: 'Neo4jEcs', MetricData }));
    const q = {
      StartTime: sec(0),
      EndTime: sec(600_000),
      ScanBy: 'TimestampAscending' as const,
      MaxDatapoints: 2,
      MetricDataQueries: [
        {
          Id: 'm',
          MetricStat: { Metric: { Namespace: 'Neo4jEcs', MetricName: 'Paged' }, Period: 60, Stat: 'Sum' },
        },
      ],
    };
    const values: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await cw.send(new GetMetricDataCommand({ ...q, ...(token ? { NextToken: token } : {}) }));
      values.push(...page.MetricDataResults![0]!.Values!);
      token = page.NextToken;
      pages++;
    } while (token);
    expect(values).toEqual([0, 1, 2, 3, 4]);
    expect(pages).toBe(3);
  });

  it('lists metrics with namespace, name and dimension filters', async () => {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'ListNs',
        MetricData: [
          { MetricName: 'A', Dimensions: [{ Name: 'Member', Value: 'm1' }], Value: 1 },
          { MetricName: 'A', Dimensions: [{ Name: 'Member', Value: 'm2' }], Value: 1 },
          { MetricName: 'B', Value: 1 },
        ],
      }),
    );
    const all = await cw.send(new ListMetricsCommand({ Namespace: 'ListNs' }));
    expect(all.Metrics).toHaveLength(3);
    const m2 = await cw.send(
      new ListMetricsCommand({ Namespace: 'ListNs', Dimensions: [{ Name: 'Member', Value: 'm2' }] }),
    );
    expect(m2.Metrics).toEqual([
      { Namespace: 'ListNs', MetricName: 'A', Dimensions: [{ Name: 'Member', Value: 'm2' }] },
    ]);
    const byName = await cw.send(new ListMetricsCommand({ MetricName: 'B' }));
    expect(byName.Metrics?.map((m) => m.Namespace)).toEqual(['ListNs']);
  });

  it('accepts gzipped PutMetricData bodies (the SDK compresses from 10 KiB)', async () => {
    const MetricData = Array.from({ length: 300 }, (_, i) => ({
      MetricName: 'Big',
      Dimensions: [{ Name: 'Shard', Value: `shard-${i}-${'x'.repeat(40)}` }],
      Value: i,
    }));
    await cw.send(new PutMetricDataCommand({ Namespace: 'Gzip', MetricData }));
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'Gzip' }));
    expect(listed.Metrics).toHaveLength(300);
  });

  it('rejects bad input with the query error codes through the x-amzn-query-error header', async () => {
    await expect(
      fast.send(
        new PutMetricDataCommand({ Namespace: 'AWS/EC2', MetricData: [{ MetricName: 'x', Value: 1 }] }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      Code: 'InvalidParameterValue',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      fast.send(
        new PutMetricDataCommand({
          Namespace: 'Ok',
          MetricData: [
            {
              MetricName: 'x',
              Value: 1,
              StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 },
            },
          ],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterCombinationException',
    });
    await expect(
      fast.send(new PutMetricDataCommand({ MetricData: [{ MetricName: 'x', Value: 1 }] } as never)),
    ).rejects.toMatchObject({
      name: 'MissingRequiredParameterException',
    });
    await expect(
      fast.send(
        new GetMetricDataCommand({
          StartTime: sec(0),
          EndTime: sec(1),
          MetricDataQueries: [
            { Id: 'q', MetricStat: { Metric: { Namespace: 'N', MetricName: 'M' }, Period: 7, Stat: 'Sum' } },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(fast.send(new ListMetricsCommand({ NextToken: 'garbage' }))).rejects.toMatchObject({
      name: 'InvalidNextToken',
    });
  });
});

describe('CloudWatch alarms', () => {
  it('evaluates alarms over virtual time: INSUFFICIENT_DATA → ALARM → OK, with history', async () => {
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'leader-missing',
        Namespace: 'Alarms',
        MetricName: 'Leaders',
        Statistic: 'Minimum',
        Period: 60,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        AlarmActions: ['arn:aws:sns:us-east-1:000000000000:ops'],
      }),
    );
    let [a] = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['leader-missing'] }))).MetricAlarms!;
    expect(a!.StateValue).toBe('INSUFFICIENT_DATA');
    expect(a!.AlarmArn).toBe('arn:aws:cloudwatch:us-east-1:000000000000:alarm:leader-missing');
    const base = Math.ceil(clock.now() / 60_000) * 60_000;
    await clock.advance(base - clock.now());
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Alarms',
        MetricData: [{ MetricName: 'Leaders', Value: 0, Timestamp: new Date(base + 1000) }],
      }),
    );
    await clock.advance(60_000);
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Alarms',
        MetricData: [{ MetricName: 'Leaders', Value: 0, Timestamp: new Date(base + 61_000) }],
      }),
    );
    await clock.advance(60_000);
    [a] = (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'leader' }))).MetricAlarms!;
    expect(a!.StateValue).toBe('ALARM');
    expect(a!.StateReason).toContain('Threshold Crossed');
    const alarmed = await cw.send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }));
    expect(alarmed.MetricAlarms?.map((x) => x.AlarmName)).toEqual(['leader-missing']);
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Alarms',
        MetricData: [{ MetricName: 'Leaders', Value: 1, Timestamp: new Date(base + 121_000) }],
      }),
    );
    await clock.advance(60_000);
    expect(twin.world.list('cloudwatch.alarm.state').map((e) => e['to'])).toEqual(['ALARM', 'OK']);
    const history = await cw.send(
      new DescribeAlarmHistoryCommand({
        AlarmName: 'leader-missing',
        HistoryItemType: 'StateUpdate',
        ScanBy: 'TimestampAscending',
      }),
    );
    expect(history.AlarmHistoryItems?.map((h) => h.HistorySummary)).toEqual([
      'Alarm updated from INSUFFICIENT_DATA to ALARM',
      'Alarm updated from ALARM to OK',
    ]);
  });

  it('sets state, deletes alarms, and reports ResourceNotFound for unknown ones', async () => {
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'tmp',
        Namespace: 'N',
        MetricName: 'M',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await cw.send(
      new SetAlarmStateCommand({ AlarmName: 'tmp', StateValue: 'ALARM', StateReason: 'testing' }),
    );
    expect(
      (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['tmp'] }))).MetricAlarms?.[0]?.StateValue,
    ).toBe('ALARM');
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['tmp'] }));
    expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['tmp'] }))).MetricAlarms).toEqual([]);
    await expect(fast.send(new DeleteAlarmsCommand({ AlarmNames: ['tmp'] }))).rejects.toMatchObject({
      name: 'ResourceNotFound',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      fast.send(
        new PutMetricAlarmCommand({
          AlarmName: 'bad',
          Namespace: 'N',
          MetricName: 'M',
          Statistic: 'Sum',
          ExtendedStatistic: 'p99',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombinationException' });
  });
});

describe('CloudWatch legacy awsQuery form', () => {
  const form = (params: Record<string, string>) =>
    fetch(`${twin.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ Version: '2010-08-01', ...params }).toString(),
    });

  it('serves PutMetricData, ListMetrics and GetMetricData as awsQuery with XML responses', async () => {
    const put = await form({
      Action: 'PutMetricData',
      Namespace: 'Legacy',
      'MetricData.member.1.MetricName': 'Q',
      'MetricData.member.1.Value': '7',
      'MetricData.member.1.Dimensions.member.1.Name': 'D',
      'MetricData.member.1.Dimensions.member.1.Value': 'v',
    });
    expect(put.status).toBe(200);
    expect(await put.text()).toContain(
      '<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">',
    );
    const list = await (await form({ Action: 'ListMetrics', Namespace: 'Legacy' })).text();
    expect(list).toContain(
      '<ListMetricsResult><Metrics><member><Namespace>Legacy</Namespace><MetricName>Q</MetricName><Dimensions><member><Name>D</Name><Value>v</Value></member></Dimensions></member></Metrics></ListMetricsResult>',
    );
    const now = new Date(clock.now());
    const get = await (
      await form({
        Action: 'GetMetricData',
        StartTime: new Date(now.getTime() - 3_600_000).toISOString(),
        EndTime: new Date(now.getTime() + 60_000).toISOString(),
        'MetricDataQueries.member.1.Id': 'q',
        'MetricDataQueries.member.1.MetricStat.Metric.Namespace': 'Legacy',
        'MetricDataQueries.member.1.MetricStat.Metric.MetricName': 'Q',
        'MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name': 'D',
        'MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value': 'v',
        'MetricDataQueries.member.1.MetricStat.Period': '60',
        'MetricDataQueries.member.1.MetricStat.Stat': 'Sum',
      })
    ).text();
    expect(get).toMatch(/<Values><member>7<\/member><\/Values>/);
    expect(get).toMatch(/<Timestamps><member>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z<\/member><\/Timestamps>/);
  });

  it('answers awsQuery errors as ErrorResponse XML', async () => {
    const missing = await form({
      Action: 'PutMetricData',
      'MetricData.member.1.MetricName': 'Q',
      'MetricData.member.1.Value': '1',
    });
    expect(missing.status).toBe(400);
    const body = await missing.text();
    expect(body).toContain('<ErrorResponse');
    expect(body).toContain('<Type>Sender</Type><Code>MissingParameter</Code>');
    const wrongType = await form({
      Action: 'PutMetricData',
      Namespace: 'N',
      'MetricData.member.1.MetricName': 'Q',
      'MetricData.member.1.Value': 'abc',
    });
    expect(await wrongType.text()).toContain('<Code>InvalidParameterValue</Code>');
    const unknown = await form({ Action: 'DescribeEverything' });
    expect(await unknown.text()).toContain('<Code>InvalidAction</Code>');
  });

  it('gunzips a compressed JSON body', async () => {
    const body = gzipSync(
      JSON.stringify({ Namespace: 'Zipped', MetricData: [{ MetricName: 'Z', Value: 1 }] }),
    );
    const r = await fetch(`${twin.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'content-encoding': 'gzip',
        'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData',
      },
      body,
    });
    expect(r.status).toBe(200);
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'Zipped' }));
    expect(listed.Metrics?.[0]?.MetricName).toBe('Z');
  });
});

describe('CloudWatch through the AWS CLI (botocore sends JSON 1.0)', () => {
  it('put-metric-data, get-metric-data, list-metrics, put-metric-alarm, describe-alarms, delete-alarms', async () => {
    await awsCli(twin, [
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'Cli',
      '--metric-name',
      'Up',
      '--value',
      '3',
      '--dimensions',
      'Member=m1',
    ]);
    const listed = (await awsCli(twin, ['cloudwatch', 'list-metrics', '--namespace', 'Cli'])) as {
      Metrics: { MetricName: string }[];
    };
    expect(listed.Metrics.map((m) => m.MetricName)).toEqual(['Up']);
    const now = clock.now();
    const queries = JSON.stringify([
      {
        Id: 'up',
        MetricStat: {
          Metric: { Namespace: 'Cli', MetricName: 'Up', Dimensions: [{ Name: 'Member', Value: 'm1' }] },
          Period: 60,
          Stat: 'Maximum',
        },
      },
    ]);
    const data = (await awsCli(twin, [
      'cloudwatch',
      'get-metric-data',
      '--metric-data-queries',
      queries,
      '--start-time',
      new Date(now - 600_000).toISOString(),
      '--end-time',
      new Date(now + 60_000).toISOString(),
    ])) as { MetricDataResults: { Values: number[] }[] };
    expect(data.MetricDataResults[0]!.Values).toEqual([3]);
    await awsCli(twin, [
      'cloudwatch',
      'put-metric-alarm',
      '--alarm-name',
      'cli-alarm',
      '--namespace',
      'Cli',
      '--metric-name',
      'Up',
      '--statistic',
      'Maximum',
      '--period',
      '60',
      '--evaluation-periods',
      '1',
      '--threshold',
      '5',
      '--comparison-operator',
      'GreaterThanThreshold',
    ]);
    const alarms = (await awsCli(twin, ['cloudwatch', 'describe-alarms', '--alarm-names', 'cli-alarm'])) as {
      MetricAlarms: { AlarmName: string; StateValue: string }[];
    };
    expect(alarms.MetricAlarms.map((a) => a.AlarmName)).toEqual(['cli-alarm']);
    await awsCli(twin, ['cloudwatch', 'delete-alarms', '--alarm-names', 'cli-alarm']);
    const bad = await awsCliRaw(twin, [
      'cloudwatch',
      'put-metric-data',
      '--namespace',
      'AWS/Nope',
      '--metric-name',
      'x',
      '--value',
      '1',
    ]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.errorCode).toBe('InvalidParameterValue');
  });
});
