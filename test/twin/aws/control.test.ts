/** The control API over HTTP (`/_twin/...`) and as `twin.control(op)`, and `--state-dir` persistence. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreatePrivateDnsNamespaceCommand,
  CreateServiceCommand,
  GetOperationCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { STATE_FILE } from '../../../twin/aws/persist.js';
import { VirtualClock } from '../../../twin/core/clock.js';
import {
  type AwsTwin,
  destroyClients,
  sdkConfig,
  startTestTwin,
  twinClients,
  type TwinClients,
} from '../../helpers/twin.js';

let twin: AwsTwin;
let c: TwinClients;

beforeAll(async () => {
  twin = await startTestTwin();
  c = twinClients(twin);
});
afterAll(async () => {
  destroyClients(c);
  await twin.stop();
});

async function api(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${twin.endpoint}/_twin/${path}`, {
    method,
    ...(body !== undefined
      ? {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        }
      : {}),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe('control API over HTTP', () => {
  it('GET /_twin/health and /_twin/clock describe the twin', async () => {
    const h = await api('GET', 'health');
    expect(h.status).toBe(200);
    expect(h.json).toMatchObject({
      status: 'ok',
      endpoint: twin.endpoint,
      region: 'us-east-1',
      accountId: '000000000000',
      seed: 1,
      clockMode: 'scaled',
    });
    const clock = await api('GET', 'clock');
    expect(clock.json).toMatchObject({ mode: 'scaled', timeScale: 1000 });
    const advance = await api('POST', 'clock', { advanceMs: 1000 });
    expect(advance.status).toBe(409);
    expect(advance.json).toMatchObject({ error: { code: 'ClockNotManual' } });
  });

  it('GET /_twin/snapshot returns every service module', async () => {
    await c.s3.send(new CreateBucketCommand({ Bucket: 'snap' }));
    const s = await api('GET', 'snapshot');
    expect(Object.keys(s.json['services'] as object).sort()).toEqual([
      'autoscaling',
      'ec2',
      'ecs',
      'logs',
      'monitoring',
      's3',
      'secretsmanager',
      'servicediscovery',
    ]);
    expect(JSON.stringify(s.json['services'])).toContain('"snap"');
  });

  it('GET /_twin/calls filters the call log by service, operation and sequence', async () => {
    const since = twin.calls.lastSeq();
    await c.s3.send(new PutObjectCommand({ Bucket: 'snap', Key: 'a', Body: 'x' }));
    await c.s3.send(new GetObjectCommand({ Bucket: 'snap', Key: 'a' }));
    const r = await api('GET', `calls?service=s3&operation=PutObject&since=${since}`);
    const calls = r.json['calls'] as { operation: string; params: Record<string, unknown>; t: number }[];
    expect(calls).toHaveLength(1);
    expect(calls[0]!.params).toMatchObject({ Bucket: 'snap', Key: 'a', Body: '<1 bytes>' });
    expect(calls[0]!.t).toBeGreaterThan(0);
    const all = await api('GET', `calls?since=${since}`);
    expect((all.json['calls'] as unknown[]).length).toBe(2);
  });

  it('POST/GET/DELETE /_twin/faults sets, lists and clears faults', async () => {
    const added = await api('POST', 'faults', {
      kind: 'throttle',
      service: 'secretsmanager',
      operation: 'ListSecrets',
    });
    expect(added.status).toBe(200);
    const id = (added.json['fault'] as { id: string }).id;
    expect((await api('GET', 'faults')).json['faults']).toEqual([
      expect.objectContaining({ id, kind: 'throttle', hits: 0 }),
    ]);
    const fast = new SecretsManagerClient(sdkConfig(twin, { maxAttempts: 1 }));
    try {
      await expect(fast.send(new GetSecretValueCommand({ SecretId: 'x' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    } finally {
      fast.destroy();
    }
    expect((await api('DELETE', `faults/${id}`)).status).toBe(200);
    expect((await api('GET', 'faults')).json['faults']).toEqual([]);
    await api('POST', 'faults', {
      set: [
        { kind: 'error', service: 'ecs', status: 503 },
        { kind: 'lag', delayMs: 10 },
      ],
    });
    expect((twin.faults.list() as unknown[]).length).toBe(2);
    await api('POST', 'faults', { clear: true });
    expect(twin.faults.list()).toEqual([]);
    const bad = await api('POST', 'faults', { kind: 'explode' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: 'InvalidFault' } });
  });

  it('POST /_twin/control/<op> runs compute world operations; GET /_twin/control lists them', async () => {
    const ops = (await api('GET', 'control')).json['operations'] as string[];
    expect(ops).toEqual(
      expect.arrayContaining([
        'failAz',
        'restoreAz',
        'spotInterrupt',
        'terminateInstance',
        'stopInstance',
        'killTask',
        'failVolumeAttach',
        'health',
        'addFault',
      ]),
    );
    const r = await api('POST', 'control/failAz', { az: 'us-east-1b' });
    expect(r.json).toEqual({ az: 'us-east-1b', state: 'impaired' });
    const events = await api('GET', 'world-log?kind=ec2');
    expect(JSON.stringify(events.json['events'])).toContain('us-east-1b');
    await api('POST', 'control/restoreAz', { az: 'us-east-1b' });
    const missingParam = await api('POST', 'control/failAz', {});
    expect(missingParam.status).toBe(400);
    expect(missingParam.json).toMatchObject({ error: { code: 'MissingParameter' } });
    const unknown = await api('POST', 'control/explode', {});
    expect(unknown.status).toBe(404);
  });

  it('answers malformed bodies, unknown paths and wrong methods with JSON errors', async () => {
    expect(await api('POST', 'faults', '{not json')).toMatchObject({
      status: 400,
      json: { error: { code: 'MalformedJson' } },
    });
    expect(await api('POST', 'faults', '[1]')).toMatchObject({ status: 400 });
    expect((await api('GET', 'nothing-here')).status).toBe(404);
    expect((await api('PUT', 'health')).status).toBe(405);
  });

  it('advances a manual clock through POST /_twin/clock', async () => {
    const clock = new VirtualClock({ mode: 'manual' });
    const t = await startTestTwin({ clock });
    try {
      const before = clock.now();
      const r = await fetch(`${t.endpoint}/_twin/clock`, {
        method: 'POST',
        body: JSON.stringify({ advanceMs: 60_000 }),
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { now: number }).now).toBe(before + 60_000);
      expect(await t.control('advanceClock', { ms: 1000 })).toMatchObject({ now: before + 61_000 });
    } finally {
      await t.stop();
    }
  });
});

describe('--state-dir persistence', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'twin-state-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function firstVpc(t: AwsTwin): Promise<string> {
    const ec2 = new EC2Client(sdkConfig(t));
    try {
      return (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.[0]?.VpcId ?? '';
    } finally {
      ec2.destroy();
    }
  }

  /** Polls a Cloud Map operation until SUCCESS; returns its namespace target. */
  async function untilSucceeded(sd: ServiceDiscoveryClient, id: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const op = await sd.send(new GetOperationCommand({ OperationId: id }));
      if (op.Operation?.Status === 'SUCCESS') return op.Operation.Targets?.NAMESPACE ?? '';
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`operation ${id} did not succeed`);
  }

  it('restores data services, compute state and virtual time after a restart', async () => {
    const first = await startTestTwin({ stateDir: dir });
    const a = twinClients(first);
    let savedAt: number;
    try {
      await a.s3.send(new CreateBucketCommand({ Bucket: 'persisted' }));
      await a.s3.send(new PutObjectCommand({ Bucket: 'persisted', Key: 'desired.yaml', Body: 'members: 3' }));
      await a.secrets.send(new CreateSecretCommand({ Name: 'kept', SecretString: 'pw' }));
      await a.logs.send(new CreateLogGroupCommand({ logGroupName: '/kept' }));
      await a.logs.send(new CreateLogStreamCommand({ logGroupName: '/kept', logStreamName: 's' }));
      await a.logs.send(
        new PutLogEventsCommand({
          logGroupName: '/kept',
          logStreamName: 's',
          logEvents: [{ timestamp: first.clock.now(), message: 'remember me' }],
        }),
      );
      await a.ecs.send(new CreateClusterCommand({ clusterName: 'graph' }));
      // Cloud Map: a namespace, a service and an instance, after their operations succeeded.
      const { forcePathStyle: _f, ...common } = sdkConfig(first);
      const sd = new ServiceDiscoveryClient(common);
      try {
        const vpc = await firstVpc(first);
        const { OperationId } = await sd.send(
          new CreatePrivateDnsNamespaceCommand({ Name: 'kept.internal', Vpc: vpc }),
        );
        const nsId = await untilSucceeded(sd, OperationId ?? '');
        const svc = await sd.send(
          new CreateServiceCommand({
            Name: 'graph',
            NamespaceId: nsId,
            DnsConfig: { DnsRecords: [{ Type: 'A', TTL: 10 }] },
          }),
        );
        const reg = await sd.send(
          new RegisterInstanceCommand({
            ServiceId: svc.Service?.Id,
            InstanceId: 'm1',
            Attributes: { AWS_INSTANCE_IPV4: '10.0.0.9' },
          }),
        );
        await untilSucceeded(sd, reg.OperationId ?? '');
      } finally {
        sd.destroy();
      }
    } finally {
      destroyClients(a);
      savedAt = first.clock.now();
      await first.stop();
    }
    const second = await startTestTwin({ stateDir: dir });
    const s3 = new S3Client(sdkConfig(second));
    const secrets = new SecretsManagerClient(sdkConfig(second));
    const logs = new CloudWatchLogsClient(sdkConfig(second));
    const ecs = new ECSClient(sdkConfig(second));
    try {
      expect(second.clock.now()).toBeGreaterThanOrEqual(savedAt);
      expect(
        await (
          await s3.send(new GetObjectCommand({ Bucket: 'persisted', Key: 'desired.yaml' }))
        ).Body!.transformToString(),
      ).toBe('members: 3');
      expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'kept' }))).SecretString).toBe('pw');
      const events = await logs.send(
        new GetLogEventsCommand({ logGroupName: '/kept', logStreamName: 's', startFromHead: true }),
      );
      expect(events.events?.map((e) => e.message)).toEqual(['remember me']);
      const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['graph'] }));
      expect(clusters.clusters?.[0]?.status).toBe('ACTIVE');
      expect(second.dns.resolve('graph.kept.internal')).toEqual(['10.0.0.9']);
    } finally {
      for (const cl of [s3, secrets, logs, ecs]) cl.destroy();
      await second.stop();
    }
  });

  it('refuses a corrupt state file with a clear error', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'twin-bad-state-'));
    try {
      writeFileSync(join(bad, STATE_FILE), '{"format":"something else"}');
      await expect(startTestTwin({ stateDir: bad })).rejects.toThrow(/is not a twin state file/);
      writeFileSync(join(bad, STATE_FILE), '{oops');
      await expect(startTestTwin({ stateDir: bad })).rejects.toThrow(/not valid JSON/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
