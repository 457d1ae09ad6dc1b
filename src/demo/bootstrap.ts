/**
 * Creates, through the real AWS SDK, the infrastructure that the deploy template creates for one
 * `Neo4jCluster` before the operator acts (docs/topology.md, docs/demo.md): the ECS cluster, one
 * launch template per Auto Scaling group whose user data joins its instances to that ECS cluster (as
 * the user data of an ECS-optimized AMI does), one ASG per AZ of `spec.capacity.primaryAutoScalingGroups`
 * on that AZ's subnets, the secondaries' ASG when named, the versioned S3 bucket for specs and status,
 * the controller's CloudWatch Logs group, the Secrets Manager secret with the Neo4j password, and what
 * the operator finds by convention for discovery (docs/topology.md): the Cloud Map private DNS
 * namespace `spec.discovery.namespace` in the subnets' VPC, the Cloud Map service `metadata.name` in
 * it (A records, MULTIVALUE, TTL 10, custom health), and the members' security group tagged
 * `neo4j-ecs:cluster` (ingress 7687, 7474, 6000, 7000, 7688 from itself).
 *
 * ASGs start empty (desired 0): sizing them is the operator's job. Every step is idempotent (an
 * existing resource is kept), so running it twice is safe. The password is never logged or returned.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { EC2Client, _InstanceType } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateBucketCommand, HeadBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import {
  CreatePrivateDnsNamespaceCommand,
  CreateServiceCommand as CreateDiscoveryServiceCommand,
  GetOperationCommand,
} from '@aws-sdk/client-servicediscovery';
import { findNamespaceId, findSecurityGroups, findServiceArn } from '../aws/network.js';
import type { Neo4jCluster } from '../model/cluster.js';
import { MANAGED_BY, TAGS } from '../model/observed.js';
import { primariesPerZone } from '../model/placement.js';

/** The clients bootstrap needs: `createAwsClients()` plus a Secrets Manager client (the test helpers' `TwinClients` fit). */
export interface BootstrapClients {
  s3: S3Client;
  ecs: ECSClient;
  ec2: EC2Client;
  autoscaling: AutoScalingClient;
  logs: CloudWatchLogsClient;
  secrets: SecretsManagerClient;
  servicediscovery: ServiceDiscoveryClient;
}

export interface BootstrapOptions {
  /** The bucket for specs, status and leases (created with versioning). */
  bucket: string;
  /** The Neo4j password; stored as `<username>/<password>` (the NEO4J_AUTH form). Never printed. */
  password: string;
  /** Secret name. Default `<metadata.name>-neo4j-auth`. */
  secretName?: string;
  /** The controller's events log group. Default `/neo4j-ecs/controller` (the controller's default). */
  controllerLogGroup?: string;
  /** EC2 instance type of every ASG. Default: the smallest r6i size that fits `maxPerInstance` tasks. */
  instanceType?: string;
  /** AMI id in the launch templates. Default a placeholder ECS-optimized AMI id. */
  imageId?: string;
  /** Bound on waiting for Cloud Map's namespace creation, wall ms. Default 60 s. */
  namespaceTimeoutMs?: number;
}

export interface BootstrapResult {
  ecsCluster: string;
  /** Launch template name by ASG name. */
  launchTemplates: Record<string, string>;
  /** AZ → primaries ASG name. */
  primaryAutoScalingGroups: Record<string, string>;
  secondaryAutoScalingGroup?: string;
  instanceType: string;
  bucket: string;
  controllerLogGroup: string;
  secretName: string;
  secretArn: string;
  /** The Cloud Map namespace (`spec.discovery.namespace`) and the service `metadata.name` in it. */
  namespaceId: string;
  discoveryServiceArn: string;
  /** The members' security group (tagged `neo4j-ecs:cluster`). */
  securityGroupId: string;
  /** What this run created (`kind:name`); what already existed is not listed. */
  created: string[];
}

/** r6i sizes: vCPUs and GiB (AWS's published figures). */
const R6I: readonly [string, number, number][] = [
  ['r6i.large', 2, 16],
  ['r6i.xlarge', 4, 32],
  ['r6i.2xlarge', 8, 64],
  ['r6i.4xlarge', 16, 128],
  ['r6i.8xlarge', 32, 256],
];

/** The smallest r6i type whose registered CPU and memory (after ~10 % agent/OS reserve) fit the tasks. */
export function instanceTypeFor(cluster: Neo4jCluster): string {
  const per = cluster.spec.primaries.maxPerInstance;
  const cpu = cluster.spec.resources.cpu * per;
  const mem = cluster.spec.resources.memoryMiB * per;
  for (const [type, vcpu, gib] of R6I) if (vcpu * 1024 >= cpu && gib * 1024 * 0.9 >= mem) return type;
  throw new BootstrapError(
    `no r6i instance type fits ${per} task(s) of ${cluster.spec.resources.cpu} CPU units and ${cluster.spec.resources.memoryMiB} MiB; pass instanceType`,
  );
}

/**
 * User data of an ECS-optimized AMI instance that joins `ecsCluster` (as deploy/cluster-infra.yaml's),
 * base64-encoded. The secondaries' instances also let the agent drain their tasks on a spot
 * interruption notice (`spotDraining`); the primaries' do not: the agent would stop a primary at once,
 * before the operator's urgent drain has moved its leaderships away (docs/drain.md).
 */
export function ecsUserData(ecsCluster: string, opts: { spotDraining: boolean }): string {
  const lines = [
    `ECS_CLUSTER=${ecsCluster}`,
    ...(opts.spotDraining ? ['ECS_ENABLE_SPOT_INSTANCE_DRAINING=true'] : []),
  ];
  return Buffer.from(
    `#!/bin/bash\n{\n${lines.map((l) => `  echo ${l}\n`).join('')}} >> /etc/ecs/ecs.config\n`,
  ).toString('base64');
}

/** The ports members reach each other on: Bolt, HTTP, discovery, raft, routing (docs/topology.md). */
export const MEMBER_PORTS: readonly number[] = [7687, 7474, 6000, 7000, 7688];

export class BootstrapError extends Error {
  override readonly name = 'BootstrapError';
}

function errorName(e: unknown): string {
  return (e as { name?: string; Code?: string }).name ?? (e as { Code?: string }).Code ?? '';
}

/** Runs `create`; an error whose name is in `exists` means the resource is already there. Returns true if created. */
async function ensure(
  what: string,
  exists: readonly string[],
  create: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (e) {
    if (exists.includes(errorName(e))) return false;
    const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new BootstrapError(`cannot create ${what}: ${why}`, { cause: e });
  }
}

async function subnetsOf(
  ec2: EC2Client,
  zones: readonly string[],
): Promise<{ ids: string[]; vpcId: string | undefined }> {
  const out = await ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: [...zones] }] }),
  );
  const ids: string[] = [];
  let vpcId: string | undefined;
  for (const zone of zones) {
    const inZone = (out.Subnets ?? []).filter((s) => s.AvailabilityZone === zone && s.SubnetId);
    if (inZone.length === 0) throw new BootstrapError(`no subnet in availability zone ${zone}`);
    ids.push(...inZone.map((s) => s.SubnetId as string));
    vpcId ??= inZone.find((s) => s.VpcId)?.VpcId;
  }
  return { ids, vpcId };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for a Cloud Map operation to succeed; returns its targets. */
async function waitForOperation(
  sd: ServiceDiscoveryClient,
  operationId: string,
  what: string,
  timeoutMs: number,
): Promise<Record<string, string>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const op = (await sd.send(new GetOperationCommand({ OperationId: operationId }))).Operation;
    if (op?.Status === 'SUCCESS') return op.Targets ?? {};
    if (op?.Status === 'FAIL')
      throw new BootstrapError(`cannot create ${what}: ${op.ErrorCode ?? 'FAIL'}: ${op.ErrorMessage ?? ''}`);
    if (Date.now() > end)
      throw new BootstrapError(`${what} was not created within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(100);
  }
}

type Make = (
  id: string,
  what: string,
  exists: readonly string[],
  create: () => Promise<unknown>,
) => Promise<void>;

/** The Cloud Map namespace `spec.discovery.namespace` in `vpc` and the service `metadata.name` in it. */
async function ensureDiscovery(
  sd: ServiceDiscoveryClient,
  cluster: Neo4jCluster,
  vpc: string,
  make: Make,
  created: string[],
  timeoutMs: number,
): Promise<{ namespaceId: string; discoveryServiceArn: string }> {
  const name = cluster.metadata.name;
  const tags = { [TAGS.cluster]: name, [TAGS.managedBy]: MANAGED_BY };
  const ns = cluster.spec.discovery.namespace;
  let namespaceId = await findNamespaceId(sd, ns);
  if (namespaceId === undefined) {
    let operationId: string | undefined;
    await ensure(`Cloud Map namespace ${ns}`, [], async () => {
      const out = await sd.send(
        new CreatePrivateDnsNamespaceCommand({
          Name: ns,
          Vpc: vpc,
          // The same request id makes a retried creation answer the same operation.
          CreatorRequestId: `neo4j-ecs-${ns}-${vpc}`,
          Description: `Neo4j discovery (<cluster>.${ns}:6000)`,
          Tags: [{ Key: TAGS.managedBy, Value: MANAGED_BY }],
        }),
      );
      operationId = out.OperationId;
    });
    // CreatePrivateDnsNamespace is asynchronous: its operation names the namespace once it succeeded.
    const targets =
      operationId !== undefined
        ? await waitForOperation(sd, operationId, `Cloud Map namespace ${ns}`, timeoutMs)
        : {};
    namespaceId = targets['NAMESPACE'] ?? (await findNamespaceId(sd, ns));
    if (namespaceId === undefined)
      throw new BootstrapError(`Cloud Map namespace ${ns} was not found after its creation`);
    created.push(`cloud-map-namespace:${ns}`);
  }
  let discoveryServiceArn = await findServiceArn(sd, namespaceId, name);
  if (discoveryServiceArn === undefined) {
    const nsId = namespaceId;
    await make(
      `cloud-map-service:${name}`,
      `Cloud Map service ${name}`,
      ['ServiceAlreadyExists'],
      async () => {
        const out = await sd.send(
          new CreateDiscoveryServiceCommand({
            Name: name,
            NamespaceId: nsId,
            Description: `members of Neo4j cluster ${name}`,
            DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }] },
            HealthCheckCustomConfig: { FailureThreshold: 1 },
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        discoveryServiceArn = out.Service?.Arn;
      },
    );
    discoveryServiceArn ??= await findServiceArn(sd, namespaceId, name);
    if (discoveryServiceArn === undefined) throw new BootstrapError(`Cloud Map service ${name} has no ARN`);
  }

  return { namespaceId, discoveryServiceArn };
}

/** The members' security group, tagged `neo4j-ecs:cluster`, with ingress on MEMBER_PORTS from itself. */
async function ensureMemberGroup(ec2: EC2Client, name: string, vpc: string, make: Make): Promise<string> {
  const tags = { [TAGS.cluster]: name, [TAGS.managedBy]: MANAGED_BY };
  let securityGroupId = (await findSecurityGroups(ec2, name))[0];
  if (securityGroupId === undefined) {
    const groupName = `${name}-members`;
    await make(`security-group:${groupName}`, `security group ${groupName}`, [], async () => {
      const out = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: groupName,
          Description: `Neo4j members of ${name}`,
          VpcId: vpc,
          TagSpecifications: [
            {
              ResourceType: 'security-group',
              Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
            },
          ],
        }),
      );
      securityGroupId = out.GroupId;
    });
    if (securityGroupId === undefined) throw new BootstrapError(`security group ${groupName} has no id`);
  }
  const groupId = securityGroupId;
  // Members reach each other on these ports; a rule already there is kept.
  await ensure(`ingress of security group ${groupId}`, ['InvalidPermission.Duplicate'], () =>
    ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: MEMBER_PORTS.map((port) => ({
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
          UserIdGroupPairs: [{ GroupId: groupId, Description: 'between members' }],
        })),
      }),
    ),
  );

  return groupId;
}

/** Creates (or finds) everything the operator expects to exist for `cluster`. */
export async function bootstrapInfrastructure(
  clients: BootstrapClients,
  cluster: Neo4jCluster,
  opts: BootstrapOptions,
): Promise<BootstrapResult> {
  if (opts.password === '') throw new BootstrapError('the Neo4j password must not be empty');
  const name = cluster.metadata.name;
  const ecsCluster = cluster.spec.ecs.cluster;
  const instanceType = opts.instanceType ?? instanceTypeFor(cluster);
  const created: string[] = [];
  /** Creates one resource through `ensure`, listing `id` in `created` when this run made it. */
  const make = async (
    id: string,
    what: string,
    exists: readonly string[],
    create: () => Promise<unknown>,
  ): Promise<void> => {
    if (await ensure(what, exists, create)) created.push(id);
  };
  const tags = { [TAGS.cluster]: name, [TAGS.managedBy]: MANAGED_BY };

  // CreateCluster is idempotent (it answers the existing cluster), so it is not listed in `created`.
  await ensure(`ECS cluster ${ecsCluster}`, [], () =>
    clients.ecs.send(new CreateClusterCommand({ clusterName: ecsCluster })),
  );

  const groups: { asg: string; zones: string[]; max: number; secondaries: boolean }[] = [];
  const perZone = primariesPerZone(cluster);
  for (const [zone, asg] of Object.entries(cluster.spec.capacity.primaryAutoScalingGroups)) {
    const primaries = perZone.get(zone) ?? 0;
    groups.push({
      asg,
      zones: [zone],
      max: Math.ceil(primaries / cluster.spec.primaries.maxPerInstance) + 1,
      secondaries: false,
    });
  }
  const secondaryAsg = cluster.spec.capacity.secondaryAutoScalingGroup;
  if (secondaryAsg !== undefined) {
    const zones =
      cluster.spec.secondaries.zones ?? Object.keys(cluster.spec.capacity.primaryAutoScalingGroups);
    groups.push({
      asg: secondaryAsg,
      zones: [...new Set(zones)],
      max: cluster.spec.secondaries.count + 1,
      secondaries: true,
    });
  }

  const launchTemplates: Record<string, string> = {};
  let vpc: string | undefined;
  for (const g of groups) {
    const lt = `${g.asg}-lt`;
    launchTemplates[g.asg] = lt;
    await make(
      `launch-template:${lt}`,
      `launch template ${lt}`,
      ['InvalidLaunchTemplateName.AlreadyExistsException'],
      () =>
        clients.ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: lt,
            LaunchTemplateData: {
              ImageId: opts.imageId ?? 'ami-0ecs0optimized0000',
              InstanceType: instanceType as _InstanceType,
              UserData: ecsUserData(ecsCluster, { spotDraining: g.secondaries }),
              TagSpecifications: [
                {
                  ResourceType: 'instance',
                  Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
                },
              ],
            },
          }),
        ),
    );
    const { ids: subnets, vpcId } = await subnetsOf(clients.ec2, g.zones);
    vpc ??= vpcId;
    await make(
      `auto-scaling-group:${g.asg}`,
      `Auto Scaling group ${g.asg}`,
      ['AlreadyExists', 'AlreadyExistsFault'],
      () =>
        clients.autoscaling.send(
          new CreateAutoScalingGroupCommand({
            AutoScalingGroupName: g.asg,
            LaunchTemplate: { LaunchTemplateName: lt, Version: '$Latest' },
            MinSize: 0,
            MaxSize: g.max,
            DesiredCapacity: 0,
            VPCZoneIdentifier: subnets.join(','),
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value, PropagateAtLaunch: true })),
          }),
        ),
    );
  }

  // In us-east-1, CreateBucket of a bucket you own answers 200, so look first to report honestly.
  const bucketExists = await clients.s3.send(new HeadBucketCommand({ Bucket: opts.bucket })).then(
    () => true,
    () => false,
  );
  if (!bucketExists)
    await make(`s3-bucket:${opts.bucket}`, `S3 bucket ${opts.bucket}`, ['BucketAlreadyOwnedByYou'], () =>
      clients.s3.send(new CreateBucketCommand({ Bucket: opts.bucket })),
    );
  await ensure(`versioning of S3 bucket ${opts.bucket}`, [], () =>
    clients.s3.send(
      new PutBucketVersioningCommand({ Bucket: opts.bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    ),
  );

  const controllerLogGroup = opts.controllerLogGroup ?? '/neo4j-ecs/controller';
  await make(
    `log-group:${controllerLogGroup}`,
    `log group ${controllerLogGroup}`,
    ['ResourceAlreadyExistsException'],
    () => clients.logs.send(new CreateLogGroupCommand({ logGroupName: controllerLogGroup })),
  );

  const secretName = opts.secretName ?? `${name}-neo4j-auth`;
  const username = cluster.spec.credentials.username;
  let secretArn: string | undefined;
  const madeSecret = await ensure(`secret ${secretName}`, ['ResourceExistsException'], async () => {
    const out = await clients.secrets.send(
      new CreateSecretCommand({
        Name: secretName,
        SecretString: `${username}/${opts.password}`,
        Description: `Neo4j credentials of cluster ${name} (NEO4J_AUTH form)`,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    secretArn = out.ARN;
  });
  if (madeSecret) created.push(`secret:${secretName}`);
  if (secretArn === undefined) {
    const d = await clients.secrets.send(new DescribeSecretCommand({ SecretId: secretName }));
    secretArn = d.ARN;
  }
  if (secretArn === undefined) throw new BootstrapError(`secret ${secretName} has no ARN`);

  if (vpc === undefined) throw new BootstrapError('the subnets of the Auto Scaling groups name no VPC');
  const { namespaceId, discoveryServiceArn } = await ensureDiscovery(
    clients.servicediscovery,
    cluster,
    vpc,
    make,
    created,
    opts.namespaceTimeoutMs ?? 60_000,
  );
  const securityGroupId = await ensureMemberGroup(clients.ec2, name, vpc, make);

  return {
    ecsCluster,
    launchTemplates,
    primaryAutoScalingGroups: { ...cluster.spec.capacity.primaryAutoScalingGroups },
    ...(secondaryAsg !== undefined ? { secondaryAutoScalingGroup: secondaryAsg } : {}),
    instanceType,
    bucket: opts.bucket,
    controllerLogGroup,
    secretName,
    secretArn,
    namespaceId,
    discoveryServiceArn,
    securityGroupId,
    created,
  };
}
