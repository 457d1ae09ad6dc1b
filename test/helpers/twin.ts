/**
 * Shared test helpers for the AWS twin: start a twin on a free loopback port, make real AWS SDK v3
 * clients for it, and run the real AWS CLI against it (`awsCli`). Every test that starts a twin must
 * `await twin.stop()` (and `destroyClients`) in afterAll.
 */
import { execFile } from 'node:child_process';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { type AwsTwin, type AwsTwinOptions, startAwsTwin, twinClientConfig } from '../../twin/aws/index.js';

export type { AwsTwin } from '../../twin/aws/index.js';

/** Starts a twin on a random free port (seed 1, virtual time 1000x unless told otherwise). */
export function startTestTwin(opts: AwsTwinOptions = {}): Promise<AwsTwin> {
  return startAwsTwin({ port: 0, seed: 1, ...(opts.clock ? {} : { timeScale: 1000 }), ...opts });
}

export interface ClientOptions {
  /** SDK maxAttempts; use 1 in bad-request tests so they are fast. Default: the SDK's (3). */
  maxAttempts?: number;
}

/** SDK client config for the twin: endpoint, region, dummy credentials, path-style S3. */
export function sdkConfig(twin: Pick<AwsTwin, 'endpoint' | 'region'>, opts: ClientOptions = {}) {
  return {
    ...twinClientConfig(twin),
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
  };
}

export interface TwinClients {
  ecs: ECSClient;
  autoscaling: AutoScalingClient;
  ec2: EC2Client;
  cloudwatch: CloudWatchClient;
  logs: CloudWatchLogsClient;
  s3: S3Client;
  secrets: SecretsManagerClient;
  servicediscovery: ServiceDiscoveryClient;
}

export function twinClients(
  twin: Pick<AwsTwin, 'endpoint' | 'region'>,
  opts: ClientOptions = {},
): TwinClients {
  const c = sdkConfig(twin, opts);
  const { forcePathStyle: _forcePathStyle, ...common } = c;
  return {
    ecs: new ECSClient(common),
    autoscaling: new AutoScalingClient(common),
    ec2: new EC2Client(common),
    cloudwatch: new CloudWatchClient(common),
    logs: new CloudWatchLogsClient(common),
    s3: new S3Client(c),
    secrets: new SecretsManagerClient(common),
    servicediscovery: new ServiceDiscoveryClient(common),
  };
}

export function destroyClients(clients: TwinClients | undefined): void {
  if (!clients) return;
  clients.ecs.destroy();
  clients.autoscaling.destroy();
  clients.ec2.destroy();
  clients.cloudwatch.destroy();
  clients.logs.destroy();
  clients.s3.destroy();
  clients.secrets.destroy();
  clients.servicediscovery.destroy();
}

export interface AwsCliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Parsed stdout (`--output json`), undefined when the command printed nothing. */
  json: unknown;
  /** The AWS error code from `An error occurred (Code) when calling …`, when the command failed. */
  errorCode?: string;
}

export interface AwsCliOptions {
  /** botocore max attempts (AWS_MAX_ATTEMPTS). Default 1, so failures are fast. */
  maxAttempts?: number;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Real ms before the CLI is killed. Default 60 s. */
  timeoutMs?: number;
}

export class AwsCliError extends Error {
  constructor(readonly result: AwsCliResult) {
    super(
      `aws exited ${result.exitCode}${result.errorCode ? ` (${result.errorCode})` : ''}: ${result.stderr.trim()}`,
    );
    this.name = 'AwsCliError';
  }
}

function cliEnv(twin: Pick<AwsTwin, 'region'>, opts: AwsCliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: twin.region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_RETRY_MODE: 'standard',
    AWS_MAX_ATTEMPTS: String(opts.maxAttempts ?? 1),
    ...opts.env,
  };
}

/** Runs `aws <args> --endpoint-url <twin> --output json` and returns everything, failing or not. */
export function awsCliRaw(
  twin: Pick<AwsTwin, 'endpoint' | 'region'>,
  args: string[],
  opts: AwsCliOptions = {},
): Promise<AwsCliResult> {
  const fullArgs = [
    ...args,
    '--endpoint-url',
    twin.endpoint,
    '--output',
    'json',
    '--cli-connect-timeout',
    '5',
    '--cli-read-timeout',
    '30',
  ];
  return new Promise((resolve) => {
    execFile(
      process.env['AWS_CLI'] ?? 'aws',
      fullArgs,
      {
        env: cliEnv(twin, opts),
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const exitCode = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        let json: unknown;
        if (stdout.trim() !== '') {
          try {
            json = JSON.parse(stdout);
          } catch {
            json = undefined;
          }
        }
        const errorCode = /An error occurred \(([^)]+)\)/.exec(stderr)?.[1];
        resolve({ exitCode, stdout, stderr, json, ...(errorCode !== undefined ? { errorCode } : {}) });
      },
    );
  });
}

/** Runs the AWS CLI against the twin and returns its parsed JSON output; throws `AwsCliError` on failure. */
export async function awsCli(
  twin: Pick<AwsTwin, 'endpoint' | 'region'>,
  args: string[],
  opts: AwsCliOptions = {},
): Promise<unknown> {
  const r = await awsCliRaw(twin, args, opts);
  if (r.exitCode !== 0) throw new AwsCliError(r);
  return r.json;
}
