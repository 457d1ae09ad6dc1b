/**
 * The controller against the AWS twin, wired as `neo4j-ecs run` wires it, through the real SDK
 * clients: S3 and git sources, invalid revisions, events in CloudWatch Logs and on stdout, metrics in
 * CloudWatch, and the AWS calls of a steady-state pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import type { AwsClients } from '../../src/aws/clients.js';
import { destroyAwsClients } from '../../src/aws/clients.js';
import { S3ObjectStore } from '../../src/aws/object-store.js';
import type { AwsTwin } from '../aws/twin-setup.js';
import { clientsFor, startRealTimeTwin } from '../aws/twin-setup.js';
import { clusterYaml, invalidClusterYaml } from './fixtures.js';
import { makeRepo } from './git-helpers.js';
import type { TestController } from './twin-harness.js';
import { eventually, prepareWorld, readStatus, startTestController } from './twin-harness.js';

let twin: AwsTwin;
let clients: AwsClients;
let store: S3ObjectStore;
let cache: string;
const running: TestController[] = [];

beforeAll(async () => {
  twin = await startRealTimeTwin();
  clients = clientsFor(twin);
  store = new S3ObjectStore(clients.s3);
  await prepareWorld(twin, clients, { bucket: 'specs', ecsCluster: 'neo4j-minimal' });
  cache = mkdtempSync(join(tmpdir(), 'neo4j-ecs-gitcache-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});
afterAll(async () => {
  destroyAwsClients(clients);
  await twin.stop();
  rmSync(cache, { recursive: true, force: true });
});

async function start(flags: Parameters<typeof startTestController>[1]): Promise<TestController> {
  const c = await startTestController(twin, { gitCacheDir: cache, ...flags });
  running.push(c);
  return c;
}

const etagOf = async (key: string): Promise<string> => {
  const r = await store.get('specs', key);
  if (r.status !== 'ok') throw new Error(`no ${key}`);
  return r.etag;
};

describe('controller against the twin', () => {
  it('picks up an S3 spec change at the next poll, and unchanged polls cost a 304', async () => {
    await store.put('specs', 's3case/cluster.yaml', clusterYaml('s3case'));
    const first = await etagOf('s3case/cluster.yaml');
    const c = await start({ source: 's3://specs/s3case/cluster.yaml', holderId: 'ctl-s3' });
    const status1 = await eventually(async () => {
      const s = await readStatus(store, 'specs', 's3case/status/s3case.json');
      return s?.lastAppliedRevision === first && s.phase === 'Ready' ? s : undefined;
    }, 'the first revision applied and Ready');
    // the first pass created the log group (Reconciling), the next one found everything in place
    expect(status1.conditions[0]).toMatchObject({
      type: 'Ready',
      status: 'True',
      reason: 'ReconciliationSucceeded',
    });
    // a few unchanged polls
    const beforeIdle = twin.calls.lastSeq();
    await eventually(
      () => twin.calls.count({ operation: 'GetObject', sinceSeq: beforeIdle }) >= 3 || undefined,
      'three polls',
    );
    const idle = twin.calls
      .list({ operation: 'GetObject', sinceSeq: beforeIdle })
      .filter((x) => x.params['Key'] === 's3case/cluster.yaml');
    expect(idle.length).toBeGreaterThanOrEqual(3);
    for (const call of idle) {
      expect(call.status).toBe(304);
      expect(call.params['IfNoneMatch']).toBe(`"${first}"`);
    }
    // change it
    await store.put('specs', 's3case/cluster.yaml', clusterYaml('s3case', { sizeGiB: 30 }));
    const changedAt = twin.calls.lastSeq();
    const second = await etagOf('s3case/cluster.yaml');
    await eventually(
      async () =>
        (await readStatus(store, 'specs', 's3case/status/s3case.json'))?.lastAppliedRevision === second ||
        undefined,
      'the new revision applied',
    );
    const nextGets = twin.calls
      .list({ operation: 'GetObject', sinceSeq: changedAt })
      .filter((x) => x.params['Key'] === 's3case/cluster.yaml' && x.params['IfNoneMatch'] !== undefined);
    // the first poll after the change fetched it (200), not a 304
    expect(nextGets[0]?.status).toBe(200);
    expect(c.events.some((e) => e.reason === 'NewRevision' && e.revision === second)).toBe(true);
    expect(c.running.controller.desired.get('s3case')?.cluster.spec.volume.sizeGiB).toBe(30);
  });

  it('picks up a git commit, and its SHA appears in events and status', async () => {
    const repo = makeRepo();
    try {
      const sha1 = repo.commit({ 'clusters/gitcase.yaml': clusterYaml('gitcase') });
      const c = await start({
        source: `git+${repo.url}#main:clusters`,
        statusBucket: 's3://specs/gitstatus/',
        holderId: 'ctl-git',
      });
      await eventually(
        async () =>
          (await readStatus(store, 'specs', 'gitstatus/status/gitcase.json'))?.lastAppliedRevision ===
            `main@sha1:${sha1}` || undefined,
        'first commit applied',
      );
      const sha2 = repo.commit(
        { 'clusters/gitcase.yaml': clusterYaml('gitcase', { sizeGiB: 40 }) },
        'grow the volume',
      );
      const status = await eventually(async () => {
        const s = await readStatus(store, 'specs', 'gitstatus/status/gitcase.json');
        return s?.lastAppliedRevision === `main@sha1:${sha2}` ? s : undefined;
      }, 'second commit applied');
      expect(status.lastAttemptedRevision).toBe(`main@sha1:${sha2}`);
      expect(status.observedGeneration).toBe(2);
      const withSha = c.events.filter((e) => e.revision === `main@sha1:${sha2}`);
      expect(withSha.map((e) => e.reason)).toEqual(
        expect.arrayContaining(['NewRevision', 'ReconciliationSucceeded']),
      );
      expect(withSha.find((e) => e.reason === 'NewRevision')?.message).toContain(sha2);
    } finally {
      repo.cleanup();
    }
  });

  it('keeps the last valid revision in force when a revision is invalid, with an error event naming it, in Logs and on stdout', async () => {
    await store.put('specs', 'badcase/cluster.yaml', clusterYaml('badcase'));
    const good = await etagOf('badcase/cluster.yaml');
    const c = await start({
      source: 's3://specs/badcase/cluster.yaml',
      holderId: 'ctl-bad',
      logGroup: '/neo4j-ecs/controller-bad',
    });
    await eventually(
      async () =>
        (await readStatus(store, 'specs', 'badcase/status/badcase.json'))?.lastAppliedRevision === good ||
        undefined,
      'good revision applied',
    );
    await store.put('specs', 'badcase/cluster.yaml', invalidClusterYaml('badcase'));
    const bad = await etagOf('badcase/cluster.yaml');
    const status = await eventually(async () => {
      const s = await readStatus(store, 'specs', 'badcase/status/badcase.json');
      return s?.lastAttemptedRevision === bad ? s : undefined;
    }, 'bad revision attempted');
    expect(status.lastAppliedRevision).toBe(good);
    expect(status.phase).toBe('Degraded');
    const ev = c.events.find((e) => e.reason === 'InvalidRevision');
    expect(ev).toMatchObject({ type: 'Warning', cluster: 'badcase', revision: bad });
    for (const part of [
      bad,
      `revision ${good} stays in force`,
      'spec.primaries.count',
      'spec.primaries.zones',
      'unknown key "sizeInGb"',
    ])
      expect(ev?.message).toContain(part);
    expect(c.running.controller.desired.get('badcase')?.revision).toBe(good);
    // the same event in CloudWatch Logs
    const logged = await eventually(async () => {
      const res = await clients.logs
        .send(
          new GetLogEventsCommand({
            logGroupName: '/neo4j-ecs/controller-bad',
            logStreamName: 'ctl-bad',
            startFromHead: true,
          }),
        )
        .catch(() => undefined);
      const line = res?.events?.map((e) => e.message ?? '').find((m) => m.includes('"InvalidRevision"'));
      return line;
    }, 'the event in CloudWatch Logs');
    expect(JSON.parse(logged)).toEqual(ev);
  });

  it('writes every event to stdout and to CloudWatch Logs, and metrics to CloudWatch', async () => {
    await store.put('specs', 'obs/cluster.yaml', clusterYaml('obs'));
    const c = await start({
      source: 's3://specs/obs/cluster.yaml',
      holderId: 'ctl-obs',
      logGroup: '/neo4j-ecs/controller-obs',
      namespace: 'Neo4jEcsTest',
    });
    await eventually(
      () => c.events.some((e) => e.reason === 'ReconciliationSucceeded' && e.cluster === 'obs') || undefined,
      'a pass',
    );
    await c.stop(); // flushes
    const res = await clients.logs.send(
      new GetLogEventsCommand({
        logGroupName: '/neo4j-ecs/controller-obs',
        logStreamName: 'ctl-obs',
        startFromHead: true,
      }),
    );
    const shipped = (res.events ?? []).map((e) => e.message);
    expect(shipped.length).toBeGreaterThan(3);
    expect(shipped).toEqual(c.stdout);
    expect(c.events.map((e) => e.reason)).toEqual(
      expect.arrayContaining([
        'ControllerStarting',
        'NewRevision',
        'LeaseAcquired',
        'LogGroupMissing',
        'ReconciliationSucceeded',
        'LeaseReleased',
        'ControllerStopping',
      ]),
    );
    const created = c.events.find((e) => e.reason === 'LogGroupMissing');
    expect(created).toMatchObject({ action: 'CreateLogGroup', generation: 1, controller: 'ctl-obs' });
    // the cluster's metrics go to its spec namespace (default Neo4jEcs)
    const metrics = await clients.cloudwatch.send(
      new ListMetricsCommand({ Namespace: 'Neo4jEcs', Dimensions: [{ Name: 'Cluster', Value: 'obs' }] }),
    );
    const names = new Set((metrics.Metrics ?? []).map((m) => m.MetricName));
    for (const n of [
      'ReconcileDuration',
      'ReconcileCount',
      'ReconcileErrors',
      'Actions',
      'AwsCalls',
      'Drift',
      'MembersUp',
    ])
      expect(names).toContain(n);
  });

  it('counts the AWS calls of a steady-state pass exactly, matching the twin call log', async () => {
    await store.put('specs', 'steady/cluster.yaml', clusterYaml('steady'));
    const c = await start({
      source: 's3://specs/steady/cluster.yaml',
      holderId: 'ctl-steady',
      interval: '1h', // no polls during the measurement
      resync: '300ms',
      leaseTtl: '10m', // no lease renewal during the measurement
      cloudwatch: 'false', // no PutLogEvents / PutMetricData during the measurement
    });
    const ctl = c.running.controller;
    // converge: the first passes create the lease, the log group and the status
    await eventually(
      async () =>
        (await readStatus(store, 'specs', 'steady/status/steady.json'))?.phase === 'Ready' || undefined,
      'Ready',
    );
    let pass = await ctl.nextPass('steady');
    while (pass.actions.length > 0 || pass.statusWritten) pass = await ctl.nextPass('steady');
    const since = twin.calls.lastSeq();
    const steady = await ctl.nextPass('steady');
    expect(steady.actions).toEqual([]);
    expect(steady.statusWritten).toBe(false);
    expect(steady.awsCalls.byOperation).toEqual({
      'ecs:DescribeServices': 1,
      'ecs:ListTasks': 1,
      'ec2:DescribeVolumes': 1,
      'logs:DescribeLogGroups': 1,
    });
    expect(steady.awsCalls.total).toBe(4);
    const logged = twin.calls.list({ sinceSeq: since });
    const byOp: Record<string, number> = {};
    for (const r of logged) {
      const service = r.service === 'monitoring' ? 'cloudwatch' : r.service;
      byOp[`${service}:${r.operation}`] = (byOp[`${service}:${r.operation}`] ?? 0) + 1;
    }
    expect(byOp).toEqual(steady.awsCalls.byOperation);
  });
});
