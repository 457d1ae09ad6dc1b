/**
 * The one place real AWS SDK clients are made. Everything comes from the standard AWS configuration
 * (the default credential chain, AWS_REGION, AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, the shared
 * config file), so the same binary runs against AWS and against the twin. The only thing set in code is
 * S3 path-style addressing when an endpoint override is configured, because the JS SDK has no
 * environment variable for it (a hostname endpoint would otherwise get virtual-hosted bucket names).
 * Every client carries the call-counting middleware and a user agent naming this controller.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import type { CallCounter } from './call-counter.js';

export interface AwsClients {
  s3: S3Client;
  ecs: ECSClient;
  ec2: EC2Client;
  autoscaling: AutoScalingClient;
  cloudwatch: CloudWatchClient;
  logs: CloudWatchLogsClient;
  /** The Neo4j credentials secret (read through a cache, src/aws/secrets.ts). */
  secretsmanager: SecretsManagerClient;
  /** Cloud Map: the look-up of the members' discovery service (src/aws/network.ts). */
  servicediscovery: ServiceDiscoveryClient;
}

export interface AwsClientOptions {
  /** Counts every call (and attributes it to the pass in flight). */
  counter?: CallCounter;
  /** Appended to the SDK user agent, e.g. `neo4j-ecs-operator/0.1.0 holder/<id>`. */
  userAgent?: [name: string, version?: string][];
  /** Environment to read the endpoint override from. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per HTTP request bound, ms. Default 30 s. */
  requestTimeoutMs?: number;
  /**
   * Explicit settings that win over the environment (tests that run several controllers in one
   * process). Production leaves this out and uses the standard AWS configuration.
   */
  overrides?: {
    endpoint?: string;
    region?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
    maxAttempts?: number;
  };
}

/** True when an endpoint override for S3 is configured (then path-style addressing is forced). */
export function hasS3EndpointOverride(env: NodeJS.ProcessEnv): boolean {
  if (env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'] === 'true') return false;
  return Boolean(env['AWS_ENDPOINT_URL_S3'] ?? env['AWS_ENDPOINT_URL']);
}

export function createAwsClients(opts: AwsClientOptions = {}): AwsClients {
  const env = opts.env ?? process.env;
  const o = opts.overrides ?? {};
  const common = {
    ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
    ...(o.region !== undefined ? { region: o.region } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
    ...(opts.userAgent ? { customUserAgent: opts.userAgent } : {}),
    requestHandler: { requestTimeout: opts.requestTimeoutMs ?? 30_000, connectionTimeout: 5000 },
  };
  const clients: AwsClients = {
    s3: new S3Client({
      ...common,
      ...(o.endpoint !== undefined || hasS3EndpointOverride(env) ? { forcePathStyle: true } : {}),
    }),
    ecs: new ECSClient(common),
    ec2: new EC2Client(common),
    autoscaling: new AutoScalingClient(common),
    cloudwatch: new CloudWatchClient(common),
    logs: new CloudWatchLogsClient(common),
    secretsmanager: new SecretsManagerClient(common),
    servicediscovery: new ServiceDiscoveryClient(common),
  };
  if (opts.counter) for (const c of Object.values(clients)) opts.counter.instrument(c);
  return clients;
}

export function destroyAwsClients(clients: AwsClients): void {
  for (const c of Object.values(clients) as { destroy(): void }[]) c.destroy();
}
