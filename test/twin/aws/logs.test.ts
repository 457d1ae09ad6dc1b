import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  paginateDescribeLogGroups,
} from '@aws-sdk/client-cloudwatch-logs';
import { VirtualClock } from '../../../twin/core/clock.js';
import { type AwsTwin, awsCli, awsCliRaw, sdkConfig, startTestTwin } from '../../helpers/twin.js';

let twin: AwsTwin;
let logs: CloudWatchLogsClient;
let fast: CloudWatchLogsClient;

beforeAll(async () => {
  // A manual clock: virtual time only moves when a test says so, so timestamps are exact.
  twin = await startTestTwin({ clock: new VirtualClock({ mode: 'manual' }) });
  logs = new CloudWatchLogsClient(sdkConfig(twin));
  fast = new CloudWatchLogsClient(sdkConfig(twin, { maxAttempts: 1 }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/neo4j-ecs/operator' }));
  await logs.send(
    new CreateLogStreamCommand({ logGroupName: '/neo4j-ecs/operator', logStreamName: 'reconciler' }),
  );
});
afterAll(async () => {
  logs.destroy();
  fast.destroy();
  await twin.stop();
});

const G = '/neo4j-ecs/operator';

describe('CloudWatch Logs groups and streams', () => {
  it('creates and describes groups (prefix, pagination) and streams, with real conflict errors', async () => {
    for (const n of ['a', 'b', 'c'])
      await logs.send(new CreateLogGroupCommand({ logGroupName: `/pages/${n}` }));
    await expect(logs.send(new CreateLogGroupCommand({ logGroupName: '/pages/a' }))).rejects.toBeInstanceOf(
      ResourceAlreadyExistsException,
    );
    const names: string[] = [];
    for await (const p of paginateDescribeLogGroups(
      { client: logs, pageSize: 2 },
      { logGroupNamePrefix: '/pages/' },
    ))
      names.push(...p.logGroups!.map((g) => g.logGroupName!));
    expect(names).toEqual(['/pages/a', '/pages/b', '/pages/c']);
    const [g] = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: G }))).logGroups!;
    expect(g!.arn).toBe(`arn:aws:logs:us-east-1:000000000000:log-group:${G}:*`);
    await logs.send(new CreateLogStreamCommand({ logGroupName: G, logStreamName: 'other' }));
    await expect(
      logs.send(new CreateLogStreamCommand({ logGroupName: G, logStreamName: 'other' })),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(
      logs.send(new CreateLogStreamCommand({ logGroupName: '/missing', logStreamName: 's' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    const streams = await logs.send(
      new DescribeLogStreamsCommand({ logGroupName: G, logStreamNamePrefix: 'rec' }),
    );
    expect(streams.logStreams?.map((s) => s.logStreamName)).toEqual(['reconciler']);
    await expect(
      fast.send(
        new DescribeLogStreamsCommand({
          logGroupName: G,
          logStreamNamePrefix: 'r',
          orderBy: 'LastEventTime',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });
});

describe('PutLogEvents and GetLogEvents', () => {
  it('stores events and reads them from the head and the tail with forward/backward tokens', async () => {
    await logs.send(new CreateLogStreamCommand({ logGroupName: G, logStreamName: 'paging' }));
    const now = twin.clock.now();
    const logEvents = Array.from({ length: 5 }, (_, i) => ({ timestamp: now + i, message: `event ${i}` }));
    const put = await logs.send(
      new PutLogEventsCommand({ logGroupName: G, logStreamName: 'paging', logEvents }),
    );
    expect(put.rejectedLogEventsInfo).toBeUndefined();
    const head = await logs.send(
      new GetLogEventsCommand({ logGroupName: G, logStreamName: 'paging', startFromHead: true, limit: 2 }),
    );
    expect(head.events?.map((e) => e.message)).toEqual(['event 0', 'event 1']);
    const next = await logs.send(
      new GetLogEventsCommand({
        logGroupName: G,
        logStreamName: 'paging',
        nextToken: head.nextForwardToken!,
        limit: 2,
      }),
    );
    expect(next.events?.map((e) => e.message)).toEqual(['event 2', 'event 3']);
    const tail = await logs.send(
      new GetLogEventsCommand({ logGroupName: G, logStreamName: 'paging', limit: 2 }),
    );
    expect(tail.events?.map((e) => e.message)).toEqual(['event 3', 'event 4']);
    const back = await logs.send(
      new GetLogEventsCommand({
        logGroupName: G,
        logStreamName: 'paging',
        nextToken: tail.nextBackwardToken!,
        limit: 2,
      }),
    );
    expect(back.events?.map((e) => e.message)).toEqual(['event 1', 'event 2']);
    expect(tail.nextForwardToken).toMatch(/^f\/\d{56}$/);
    const end = await logs.send(
      new GetLogEventsCommand({
        logGroupName: G,
        logStreamName: 'paging',
        nextToken: tail.nextForwardToken!,
      }),
    );
    expect(end.events).toEqual([]);
    expect(end.nextForwardToken).toBe(tail.nextForwardToken);
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: G,
        logStreamName: 'paging',
        logEvents: [{ timestamp: now + 10, message: 'later' }],
      }),
    );
    const more = await logs.send(
      new GetLogEventsCommand({ logGroupName: G, logStreamName: 'paging', nextToken: end.nextForwardToken! }),
    );
    expect(more.events?.map((e) => e.message)).toEqual(['later']);
    const s = await logs.send(
      new DescribeLogStreamsCommand({ logGroupName: G, logStreamNamePrefix: 'paging' }),
    );
    expect(s.logStreams?.[0]?.lastEventTimestamp).toBe(now + 10);
  });

  it('enforces the batch rules: order, 24 h span, size, count, and rejects too-new/too-old events individually', async () => {
    const now = twin.clock.now();
    const put = (logEvents: { timestamp: number; message: string }[]) =>
      fast.send(new PutLogEventsCommand({ logGroupName: G, logStreamName: 'reconciler', logEvents }));
    await expect(
      put([
        { timestamp: now, message: 'b' },
        { timestamp: now - 1, message: 'a' },
      ]),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('chronological order'),
    });
    await expect(
      put([
        { timestamp: now - 25 * 3_600_000, message: 'a' },
        { timestamp: now, message: 'b' },
      ]),
    ).rejects.toMatchObject({ message: expect.stringContaining('24 hours') });
    await expect(
      put([
        { timestamp: now, message: 'x'.repeat(600_000) },
        { timestamp: now, message: 'y'.repeat(600_000) },
      ]),
    ).rejects.toMatchObject({ message: expect.stringContaining('1048576') });
    await expect(
      put(Array.from({ length: 10_001 }, () => ({ timestamp: now, message: 'm' }))),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(put([])).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const day = 86_400_000;
    const mixed = await put([
      { timestamp: now - 15 * day + 60 * 60_000, message: 'too old' },
      { timestamp: now, message: 'fine' },
      { timestamp: now + 3 * 3_600_000, message: 'too new' },
    ]).catch((e: unknown) => e);
    expect(mixed).toMatchObject({ message: expect.stringContaining('24 hours') });
    const r = await put([
      { timestamp: now - 14 * day - 60_000, message: 'too old' },
      { timestamp: now - 14 * day + 60_000, message: 'fine' },
    ]);
    expect(r.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1 });
    const r2 = await put([
      { timestamp: now, message: 'fine' },
      { timestamp: now + 3 * 3_600_000, message: 'too new' },
    ]);
    expect(r2.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 });
    await expect(
      fast.send(
        new PutLogEventsCommand({
          logGroupName: G,
          logStreamName: 'nope',
          logEvents: [{ timestamp: now, message: 'x' }],
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('hides events older than the retention period', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/retained' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/retained', logStreamName: 's' }));
    const now = twin.clock.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: '/retained',
        logStreamName: 's',
        logEvents: [{ timestamp: now - 2 * 86_400_000, message: 'old' }],
      }),
    );
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: '/retained',
        logStreamName: 's',
        logEvents: [{ timestamp: now, message: 'new' }],
      }),
    );
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/retained', retentionInDays: 1 }));
    const r = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/retained', logStreamName: 's', startFromHead: true }),
    );
    expect(r.events?.map((e) => e.message)).toEqual(['new']);
    await expect(
      fast.send(new PutRetentionPolicyCommand({ logGroupName: '/retained', retentionInDays: 2 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('FilterLogEvents', () => {
  beforeAll(async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/filter' }));
    const now = twin.clock.now();
    for (const [stream, messages] of [
      ['member-0', ['INFO started', 'ERROR disk full', '{"level":"error","latency":300,"member":{"id":0}}']],
      [
        'member-1',
        ['WARN slow query', 'ERROR Exiting now', '{"level":"info","latency":20,"member":{"id":1}}'],
      ],
    ] as const) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: '/filter', logStreamName: stream }));
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: '/filter',
          logStreamName: stream,
          logEvents: messages.map((message, i) => ({ timestamp: now + i, message })),
        }),
      );
    }
  });

  const filter = async (filterPattern: string, extra: Record<string, unknown> = {}) =>
    (
      await logs.send(new FilterLogEventsCommand({ logGroupName: '/filter', filterPattern, ...extra }))
    ).events!.map((e) => e.message);

  it('matches terms, quoted phrases, optional and excluded terms across streams in time order', async () => {
    expect(await filter('ERROR')).toEqual(['ERROR disk full', 'ERROR Exiting now']);
    expect(await filter('ERROR -Exiting')).toEqual(['ERROR disk full']);
    expect(await filter('?WARN ?INFO')).toEqual(['INFO started', 'WARN slow query']);
    expect(await filter('"disk full"')).toEqual(['ERROR disk full']);
    expect(await filter('%slow|disk%')).toEqual(['WARN slow query', 'ERROR disk full']);
    expect(await filter('')).toHaveLength(6);
    expect(await filter('ERROR', { logStreamNames: ['member-1'] })).toEqual(['ERROR Exiting now']);
  });

  it('matches JSON patterns', async () => {
    expect(await filter('{ $.level = "error" }')).toHaveLength(1);
    expect(await filter('{ $.latency > 100 }')).toEqual([
      '{"level":"error","latency":300,"member":{"id":0}}',
    ]);
    expect(await filter('{ ($.level = "info") || ($.member.id = 0) }')).toHaveLength(2);
    expect(await filter('{ $.level = "err*" && $.latency >= 300 }')).toHaveLength(1);
    expect(await filter('{ $.nothing NOT EXISTS }')).toHaveLength(2);
  });

  it('pages with nextToken and rejects invalid patterns', async () => {
    const first = await logs.send(new FilterLogEventsCommand({ logGroupName: '/filter', limit: 4 }));
    expect(first.events).toHaveLength(4);
    const second = await logs.send(
      new FilterLogEventsCommand({ logGroupName: '/filter', limit: 4, nextToken: first.nextToken! }),
    );
    expect(second.events).toHaveLength(2);
    expect(second.nextToken).toBeUndefined();
    expect(new Set([...first.events!, ...second.events!].map((e) => e.eventId)).size).toBe(6);
    await expect(
      fast.send(new FilterLogEventsCommand({ logGroupName: '/filter', filterPattern: '{ $.level = ' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('CloudWatch Logs bad requests', () => {
  it('answers malformed JSON, wrong types, missing members and unknown operations in the awsJson error format', async () => {
    const call = (target: string, body: string) =>
      fetch(`${twin.endpoint}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${target}` },
        body,
      });
    const malformed = await call('CreateLogGroup', '{"logGroupName":');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { __type: string }).__type).toBe('SerializationException');
    const wrongType = await call('CreateLogGroup', '{"logGroupName": 5}');
    expect(((await wrongType.json()) as { __type: string }).__type).toBe('SerializationException');
    const missing = await call('CreateLogGroup', '{}');
    const body = (await missing.json()) as { __type: string; message: string };
    expect(body.__type).toBe('InvalidParameterException');
    expect(body.message).toContain(
      "Value null at 'logGroupName' failed to satisfy constraint: Member must not be null",
    );
    const unknown = await call('StartEverything', '{}');
    expect(((await unknown.json()) as { __type: string }).__type).toBe('UnknownOperationException');
    await expect(
      fast.send(new CreateLogGroupCommand({ logGroupName: 'bad name with spaces' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('CloudWatch Logs through the AWS CLI', () => {
  it('create-log-group, create-log-stream, describe-*, put-log-events, get-log-events, filter-log-events', async () => {
    await awsCli(twin, ['logs', 'create-log-group', '--log-group-name', '/cli']);
    await awsCli(twin, ['logs', 'create-log-stream', '--log-group-name', '/cli', '--log-stream-name', 's1']);
    const groups = (await awsCli(twin, [
      'logs',
      'describe-log-groups',
      '--log-group-name-prefix',
      '/cli',
    ])) as { logGroups: { logGroupName: string }[] };
    expect(groups.logGroups.map((g) => g.logGroupName)).toEqual(['/cli']);
    const streams = (await awsCli(twin, ['logs', 'describe-log-streams', '--log-group-name', '/cli'])) as {
      logStreams: { logStreamName: string }[];
    };
    expect(streams.logStreams.map((s) => s.logStreamName)).toEqual(['s1']);
    const now = twin.clock.now();
    await awsCli(twin, [
      'logs',
      'put-log-events',
      '--log-group-name',
      '/cli',
      '--log-stream-name',
      's1',
      '--log-events',
      `timestamp=${now},message=hello ERROR`,
      `timestamp=${now + 1},message=bye`,
    ]);
    const got = (await awsCli(twin, [
      'logs',
      'get-log-events',
      '--log-group-name',
      '/cli',
      '--log-stream-name',
      's1',
      '--start-from-head',
    ])) as { events: { message: string }[]; nextForwardToken: string };
    expect(got.events.map((e) => e.message)).toEqual(['hello ERROR', 'bye']);
    const filtered = (await awsCli(twin, [
      'logs',
      'filter-log-events',
      '--log-group-name',
      '/cli',
      '--filter-pattern',
      'ERROR',
    ])) as { events: { message: string }[] };
    expect(filtered.events.map((e) => e.message)).toEqual(['hello ERROR']);
    const missing = await awsCliRaw(twin, [
      'logs',
      'create-log-stream',
      '--log-group-name',
      '/none',
      '--log-stream-name',
      'x',
    ]);
    expect(missing.errorCode).toBe('ResourceNotFoundException');
  });
});
