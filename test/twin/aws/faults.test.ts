/**
 * Server-level faults: throttling with each service's real error (retried by the SDK's own retry
 * strategy), injected 5xx replies, eventual-consistency lag, and the compute world faults reached
 * through the control API.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
  CreateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { THROTTLING } from '../../../twin/aws/faults.js';
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
afterEach(() => twin.faults.clear());

type Probe = { service: keyof typeof THROTTLING; operation: string; call: () => Promise<unknown> };

const probes = (): Probe[] => [
  { service: 'ecs', operation: 'ListClusters', call: () => c.ecs.send(new ListClustersCommand({})) },
  {
    service: 'autoscaling',
    operation: 'DescribeAutoScalingGroups',
    call: () => c.autoscaling.send(new DescribeAutoScalingGroupsCommand({})),
  },
  {
    service: 'ec2',
    operation: 'DescribeAvailabilityZones',
    call: () => c.ec2.send(new DescribeAvailabilityZonesCommand({})),
  },
  {
    service: 'monitoring',
    operation: 'ListMetrics',
    call: () => c.cloudwatch.send(new ListMetricsCommand({})),
  },
  {
    service: 'logs',
    operation: 'DescribeLogGroups',
    call: () => c.logs.send(new DescribeLogGroupsCommand({})),
  },
  { service: 's3', operation: 'ListBuckets', call: () => c.s3.send(new ListBucketsCommand({})) },
  {
    service: 'secretsmanager',
    operation: 'ListSecrets',
    call: () => c.secrets.send(new ListSecretsCommand({})),
  },
];

describe('throttling', () => {
  it("is retried by each SDK client's own retry strategy: 3 attempts, then the service's real throttling error", async () => {
    for (const p of probes()) twin.faults.throttle({ service: p.service, operation: p.operation });
    const since = twin.calls.lastSeq();
    const outcomes = await Promise.all(
      probes().map((p) =>
        p.call().then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    probes().forEach((p, i) => {
      const err = outcomes[i] as { name: string; $metadata: { httpStatusCode: number; attempts: number } };
      expect(err).toBeDefined();
      expect(err.name).toBe(THROTTLING[p.service].code);
      expect(err.$metadata.httpStatusCode).toBe(THROTTLING[p.service].status);
      expect(err.$metadata.attempts).toBe(3);
      const attempts = twin.calls.list({ service: p.service, operation: p.operation, sinceSeq: since });
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      expect(new Set(attempts.map((a) => a.invocationId)).size).toBe(1);
      expect(attempts.every((a) => a.error === THROTTLING[p.service].code)).toBe(true);
    });
  });

  it('lets the SDK succeed transparently when throttling stops within its retries', async () => {
    twin.faults.throttle({ service: 'ecs', operation: 'ListClusters' }, 1, 2);
    const since = twin.calls.lastSeq();
    const r = await c.ecs.send(new ListClustersCommand({}));
    expect(r.$metadata.attempts).toBe(3);
    expect(twin.calls.list({ sinceSeq: since }).map((x) => x.status)).toEqual([400, 400, 200]);
    expect(twin.faults.list()).toEqual([]);
  });

  it('throttles one operation without touching the others of the service', async () => {
    await c.secrets.send(new CreateSecretCommand({ Name: 'untouched', SecretString: 'x' }));
    twin.faults.throttle({ service: 'secretsmanager', operation: 'ListSecrets' });
    const fast = new SecretsManagerClient(sdkConfig(twin, { maxAttempts: 1 }));
    try {
      await expect(fast.send(new ListSecretsCommand({}))).rejects.toMatchObject({
        name: 'ThrottlingException',
      });
      await expect(fast.send(new DescribeSecretCommand({ SecretId: 'untouched' }))).resolves.toMatchObject({
        Name: 'untouched',
      });
    } finally {
      fast.destroy();
    }
  });

  it('applies a partial rate reproducibly for a given seed', async () => {
    const pattern = async (): Promise<boolean[]> => {
      const t = await startTestTwin({ seed: 42 });
      const ecs = new ECSClient(sdkConfig(t, { maxAttempts: 1 }));
      try {
        t.faults.throttle({ service: 'ecs' }, 0.5);
        const out: boolean[] = [];
        for (let i = 0; i < 30; i++)
          out.push(
            await ecs.send(new ListClustersCommand({})).then(
              () => true,
              () => false,
            ),
          );
        return out;
      } finally {
        ecs.destroy();
        await t.stop();
      }
    };
    const a = await pattern();
    const b = await pattern();
    expect(a).toEqual(b);
    const ok = a.filter(Boolean).length;
    expect(ok).toBeGreaterThan(3);
    expect(ok).toBeLessThan(27);
  });
});

describe('injected 5xx', () => {
  it('answers with the service 5xx code, which the SDK retries as transient', async () => {
    twin.faults.inject5xx({ service: 'ecs' }, 1, 503);
    twin.faults.inject5xx({ service: 'ec2' }, 1, 500);
    const ecsErr = (await c.ecs.send(new ListClustersCommand({})).catch((e: unknown) => e)) as {
      name: string;
      $metadata: { httpStatusCode: number; attempts: number };
    };
    expect(ecsErr.$metadata).toMatchObject({ httpStatusCode: 503, attempts: 3 });
    const fast = new EC2Client(sdkConfig(twin, { maxAttempts: 1 }));
    try {
      await expect(fast.send(new DescribeAvailabilityZonesCommand({}))).rejects.toMatchObject({
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      });
    } finally {
      fast.destroy();
    }
  });

  it('answers S3 and CloudWatch 5xx in their own formats', async () => {
    twin.faults.inject5xx({ service: 's3' }, 1, 500);
    twin.faults.inject5xx({ service: 'monitoring' }, 1, 500);
    const s3 = new S3Client(sdkConfig(twin, { maxAttempts: 1 }));
    const cw = new CloudWatchClient(sdkConfig(twin, { maxAttempts: 1 }));
    try {
      await expect(s3.send(new ListBucketsCommand({}))).rejects.toMatchObject({
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      });
      await expect(cw.send(new ListMetricsCommand({}))).rejects.toMatchObject({
        name: 'InternalServiceFault',
        $metadata: { httpStatusCode: 500 },
      });
    } finally {
      s3.destroy();
      cw.destroy();
    }
  });
});

describe('eventual-consistency lag', () => {
  it('answers a read with the state from when it arrived, delivered after the lag', async () => {
    const clock = new VirtualClock({ mode: 'manual' });
    const t = await startTestTwin({ clock });
    const logs = new CloudWatchLogsClient(sdkConfig(t));
    try {
      await logs.send(new CreateLogGroupCommand({ logGroupName: '/before' }));
      t.faults.lag({ service: 'logs' }, 5_000);
      const pendingBefore = clock.pending();
      let done = false;
      const read = logs.send(new DescribeLogGroupsCommand({})).finally(() => (done = true));
      for (let i = 0; i < 200 && clock.pending() === pendingBefore; i++)
        await new Promise((r) => setTimeout(r, 5));
      expect(clock.pending()).toBe(pendingBefore + 1);
      await logs.send(new CreateLogGroupCommand({ logGroupName: '/after' }));
      await new Promise((r) => setTimeout(r, 20));
      expect(done).toBe(false);
      await clock.advance(5_000);
      const r = await read;
      expect(r.logGroups?.map((g) => g.logGroupName)).toEqual(['/before']);
      t.faults.clear();
      const fresh = await logs.send(new DescribeLogGroupsCommand({}));
      expect(fresh.logGroups?.map((g) => g.logGroupName)).toEqual(['/after', '/before']);
    } finally {
      logs.destroy();
      await t.stop();
    }
  });

  it('applies only to Describe/List/Get/Head operations unless an operation is named', () => {
    twin.faults.lag({ service: 'logs' }, 1000);
    expect(twin.faults.decide('logs', 'DescribeLogGroups').lagMs).toBe(1000);
    expect(twin.faults.decide('logs', 'PutLogEvents').lagMs).toBe(0);
  });

  it('rejects invalid fault specs with a clear message', () => {
    expect(() => twin.faults.add({ kind: 'throttle', rate: 2 })).toThrow('rate must be a number in [0, 1]');
    expect(() => twin.faults.add({ kind: 'lag' })).toThrow('lag needs delayMs');
    expect(() => twin.faults.add({ kind: 'error', service: 'sqs' as never })).toThrow('unknown service');
  });
});

describe('compute world faults through the control API', () => {
  it('delegates failAz and describeWorld to the compute simulation', async () => {
    const r = (await twin.control('failAz', { az: 'us-east-1a' })) as { az: string; state: string };
    expect(r).toEqual({ az: 'us-east-1a', state: 'impaired' });
    const world = (await twin.control('describeWorld')) as {
      azs: { name?: string; zoneName?: string; state: string }[];
    };
    expect(JSON.stringify(world.azs)).toContain('impaired');
    await twin.control('restoreAz', { az: 'us-east-1a' });
    await expect(twin.control('noSuchOp')).rejects.toThrow(
      /unknown control operation noSuchOp; known: .*failAz/,
    );
  });
});
