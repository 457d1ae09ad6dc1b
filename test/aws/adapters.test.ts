/** The AWS adapters against the twin, through the real SDK clients. */
import { CreateBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import { CreateVolumeCommand } from '@aws-sdk/client-ec2';
import { CallCounter } from '../../src/aws/call-counter.js';
import type { AwsClients } from '../../src/aws/clients.js';
import { destroyAwsClients } from '../../src/aws/clients.js';
import { CloudWatchLogsWriter } from '../../src/aws/logs-sink.js';
import { CloudWatchMetricsWriter } from '../../src/aws/metrics-sink.js';
import { S3ObjectStore } from '../../src/aws/object-store.js';
import { observeClusters } from '../../src/aws/observe.js';
import { createLogGroup } from '../../src/aws/log-groups.js';
import type { AwsTwin } from './twin-setup.js';
import { clientsFor, startRealTimeTwin } from './twin-setup.js';

let twin: AwsTwin;
let clients: AwsClients;
const counter = new CallCounter();

beforeAll(async () => {
  twin = await startRealTimeTwin();
  clients = clientsFor(twin, { counter });
  await clients.s3.send(new CreateBucketCommand({ Bucket: 'specs' }));
});
afterAll(async () => {
  destroyAwsClients(clients);
  await twin.stop();
});

describe('S3ObjectStore', () => {
  it('answers an unchanged conditional GET with not-modified (a 304 in the call log)', async () => {
    const store = new S3ObjectStore(clients.s3);
    const put = await store.put('specs', 'a/cluster.yaml', 'x: 1', { contentType: 'application/yaml' });
    expect(put.status).toBe('ok');
    const got = await store.get('specs', 'a/cluster.yaml');
    expect(got).toMatchObject({ status: 'ok', body: 'x: 1' });
    const etag = got.status === 'ok' ? got.etag : '';
    const since = twin.calls.lastSeq();
    expect(await store.get('specs', 'a/cluster.yaml', { ifNoneMatch: etag })).toEqual({
      status: 'not-modified',
    });
    const calls = twin.calls.list({ service: 's3', operation: 'GetObject', sinceSeq: since });
    expect(calls.map((c) => c.status)).toEqual([304]);
    expect(calls[0]?.params['IfNoneMatch']).toBe(`"${etag}"`);
    expect(await store.get('specs', 'a/missing.yaml')).toEqual({ status: 'missing' });
  });

  it('does conditional writes: If-None-Match * once, If-Match only on the current ETag', async () => {
    const store = new S3ObjectStore(clients.s3);
    const first = await store.put('specs', 'leases/x.json', '{"n":1}', {
      ifNoneMatch: '*',
      metadata: { holder: 'a' },
    });
    expect(first.status).toBe('ok');
    expect(await store.put('specs', 'leases/x.json', '{"n":2}', { ifNoneMatch: '*' })).toEqual({
      status: 'precondition-failed',
    });
    const etag = first.status === 'ok' ? first.etag : '';
    const second = await store.put('specs', 'leases/x.json', '{"n":2}', { ifMatch: etag });
    expect(second.status).toBe('ok');
    expect(await store.put('specs', 'leases/x.json', '{"n":3}', { ifMatch: etag })).toEqual({
      status: 'precondition-failed',
    });
    const got = await store.get('specs', 'leases/x.json');
    expect(got).toMatchObject({ status: 'ok', body: '{"n":2}' });
    const putCall = twin.calls
      .list({ operation: 'PutObject' })
      .find((c) => (c.params['Metadata'] as Record<string, string> | undefined)?.['holder'] === 'a');
    expect(putCall).toBeDefined();
  });

  it('lists directly under a prefix, and reports versionIds on a versioned bucket', async () => {
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'versioned' }));
    await clients.s3.send(
      new PutBucketVersioningCommand({ Bucket: 'versioned', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const store = new S3ObjectStore(clients.s3);
    const put = await store.put('versioned', 'p/a.yaml', 'a');
    await store.put('versioned', 'p/deep/b.yaml', 'b');
    expect(put.status === 'ok' && put.versionId).toBeTruthy();
    expect((await store.list('versioned', 'p/', { delimiter: '/' })).map((o) => o.key)).toEqual(['p/a.yaml']);
    expect((await store.list('versioned', 'p/')).map((o) => o.key)).toEqual(['p/a.yaml', 'p/deep/b.yaml']);
    const got = await store.get('versioned', 'p/a.yaml');
    expect(got.status === 'ok' && got.versionId).toBe(put.status === 'ok' ? put.versionId : 'x');
  });
});

describe('CloudWatchLogsWriter', () => {
  it('creates the group and stream and ships events in order', async () => {
    const errors: unknown[] = [];
    const w = new CloudWatchLogsWriter({
      client: clients.logs,
      logGroup: '/test/events',
      logStream: 'ctl-1',
      onError: (e) => errors.push(e),
    });
    const t = Date.now();
    w.add({ timestamp: t + 2, message: 'second' });
    w.add({ timestamp: t + 1, message: 'first' });
    await w.flush();
    expect(errors).toEqual([]);
    expect(w.sent).toBe(2);
    const res = await clients.logs.send(
      new GetLogEventsCommand({ logGroupName: '/test/events', logStreamName: 'ctl-1', startFromHead: true }),
    );
    expect(res.events?.map((e) => e.message)).toEqual(['first', 'second']);
  });

  it('keeps events when CloudWatch Logs is unreachable and sends them later', async () => {
    const errors: unknown[] = [];
    const w = new CloudWatchLogsWriter({
      client: clients.logs,
      logGroup: '/test/retry',
      logStream: 's',
      onError: (e) => errors.push(e),
    });
    const rule = twin.faults.add({ kind: 'error', service: 'logs', operation: 'PutLogEvents', status: 503 });
    w.add({ timestamp: Date.now(), message: 'kept' });
    await w.flush();
    expect(errors.length).toBeGreaterThan(0);
    expect(w.pending()).toBe(1);
    twin.faults.remove(rule.id);
    await w.flush();
    expect(w.pending()).toBe(0);
    const res = await clients.logs.send(
      new GetLogEventsCommand({ logGroupName: '/test/retry', logStreamName: 's', startFromHead: true }),
    );
    expect(res.events?.map((e) => e.message)).toEqual(['kept']);
  });
});

describe('CloudWatchMetricsWriter', () => {
  it('puts metric data that the twin lists', async () => {
    const w = new CloudWatchMetricsWriter({ client: clients.cloudwatch });
    w.add({
      namespace: 'Test/Ctl',
      name: 'AwsCalls',
      value: 4,
      unit: 'Count',
      dimensions: { Cluster: 'alpha' },
      timestamp: Date.now(),
    });
    w.add({
      namespace: 'Test/Ctl',
      name: 'Bad',
      value: Number.NaN,
      unit: 'Count',
      dimensions: {},
      timestamp: Date.now(),
    });
    await w.flush();
    expect(w.sent).toBe(1);
    const res = await clients.cloudwatch.send(new ListMetricsCommand({ Namespace: 'Test/Ctl' }));
    expect(res.Metrics?.map((m) => [m.MetricName, m.Dimensions?.[0]?.Value])).toEqual([
      ['AwsCalls', 'alpha'],
    ]);
  });

  it('keeps points when CloudWatch is unreachable and sends them on the next flush', async () => {
    const errors: unknown[] = [];
    const w = new CloudWatchMetricsWriter({ client: clients.cloudwatch, onError: (e) => errors.push(e) });
    const rule = twin.faults.add({
      kind: 'error',
      service: 'monitoring',
      operation: 'PutMetricData',
      status: 503,
    });
    const point = {
      namespace: 'Test/Retry',
      name: 'Kept',
      value: 1,
      unit: 'Count' as const,
      dimensions: { Cluster: 'beta' },
      timestamp: Date.now(),
    };
    w.add(point);
    await w.flush();
    expect(errors.length).toBeGreaterThan(0);
    expect(w.pending()).toBe(1);
    expect(w.sent).toBe(0);
    twin.faults.remove(rule.id);
    await w.flush();
    expect(w.pending()).toBe(0);
    expect(w.sent).toBe(1);
    const res = await clients.cloudwatch.send(new ListMetricsCommand({ Namespace: 'Test/Retry' }));
    expect(res.Metrics?.map((m) => m.MetricName)).toEqual(['Kept']);
  });

  it('bounds the buffer, dropping the oldest points and counting them', () => {
    const w = new CloudWatchMetricsWriter({ client: clients.cloudwatch, maxBuffered: 3 });
    for (let i = 0; i < 5; i++)
      w.add({
        namespace: 'N',
        name: `m${i}`,
        value: i,
        unit: 'Count',
        dimensions: {},
        timestamp: Date.now(),
      });
    expect(w.pending()).toBe(3);
    expect(w.dropped).toBe(2);
  });
});

describe('observeClusters', () => {
  it('observes several clusters with shared, batched calls and counts them exactly', async () => {
    await clients.ecs.send(new CreateClusterCommand({ clusterName: 'shared-ecs' }));
    await clients.ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: 'us-east-1a',
        Size: 10,
        TagSpecifications: [
          {
            ResourceType: 'volume',
            Tags: [
              { Key: 'neo4j-ecs:cluster', Value: 'c2' },
              { Key: 'neo4j-ecs:member', Value: 'c2-primary-1' },
            ],
          },
        ],
      }),
    );
    await createLogGroup(clients.logs, '/neo4j-ecs/c1', { 'managed-by': 'neo4j-ecs-operator' });
    const targets = Array.from({ length: 12 }, (_, i) => ({
      name: `c${i + 1}`,
      ecsCluster: i < 11 ? 'shared-ecs' : 'missing-ecs',
      services: [`c${i + 1}-primary-1`],
      logGroup: `/neo4j-ecs/c${i + 1}`,
    }));
    const since = twin.calls.lastSeq();
    const { value: observed, calls } = await counter.scope(() =>
      observeClusters(clients, targets, Date.now()),
    );
    // shared-ecs: 11 services → 2 DescribeServices, 1 ListTasks, no tasks → no DescribeTasks;
    // missing-ecs: 1 DescribeServices (ClusterNotFound); 1 DescribeVolumes; 12 DescribeLogGroups.
    expect(calls.byOperation).toEqual({
      'ecs:DescribeServices': 3,
      'ecs:ListTasks': 1,
      'ec2:DescribeVolumes': 1,
      'logs:DescribeLogGroups': 12,
    });
    expect(calls.total).toBe(17);
    expect(twin.calls.count({ sinceSeq: since })).toBe(17);
    expect(observed.get('c1')).toMatchObject({ ecsClusterFound: true, logGroup: { name: '/neo4j-ecs/c1' } });
    expect(observed.get('c2')?.volumes.map((v) => v.tags['neo4j-ecs:member'])).toEqual(['c2-primary-1']);
    expect(observed.get('c2')?.logGroup).toBeNull();
    expect(observed.get('c12')?.ecsClusterFound).toBe(false);
  });
});
