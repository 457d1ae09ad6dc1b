/** Production code only sets AWS_ENDPOINT_URL: unmodified clients built with `{}` must reach every twin service. */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { twinEnv } from '../../../twin/aws/index.js';
import { type AwsTwin, startTestTwin } from '../../helpers/twin.js';

let twin: AwsTwin;
const saved = { ...process.env };

beforeAll(async () => {
  twin = await startTestTwin();
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  Object.assign(process.env, twinEnv(twin), {
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });
});
afterAll(async () => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  await twin.stop();
});

it('reaches ECS, Auto Scaling, EC2, CloudWatch, Logs, S3 and Secrets Manager with env configuration only', async () => {
  const ecs = new ECSClient({});
  const asg = new AutoScalingClient({});
  const ec2 = new EC2Client({});
  const cw = new CloudWatchClient({});
  const logs = new CloudWatchLogsClient({});
  const s3 = new S3Client({});
  const sm = new SecretsManagerClient({});
  try {
    const since = twin.calls.lastSeq();
    await ecs.send(new ListClustersCommand({}));
    await asg.send(new DescribeAutoScalingGroupsCommand({}));
    const azs = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    expect(azs.AvailabilityZones!.length).toBeGreaterThanOrEqual(3);
    await cw.send(new ListMetricsCommand({}));
    await logs.send(new DescribeLogGroupsCommand({}));
    await s3.send(new ListBucketsCommand({}));
    await sm.send(new ListSecretsCommand({}));
    const served = twin.calls.list({ sinceSeq: since }).map((c) => `${c.service}.${c.operation}:${c.status}`);
    expect(served).toEqual([
      'ecs.ListClusters:200',
      'autoscaling.DescribeAutoScalingGroups:200',
      'ec2.DescribeAvailabilityZones:200',
      'monitoring.ListMetrics:200',
      'logs.DescribeLogGroups:200',
      's3.ListBuckets:200',
      'secretsmanager.ListSecrets:200',
    ]);
  } finally {
    for (const c of [ecs, asg, ec2, cw, logs, s3, sm]) c.destroy();
  }
});
