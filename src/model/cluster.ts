/**
 * The `Neo4jCluster` desired-state document (apiVersion neo4j-ecs.io/v1alpha1), as zod schemas.
 *
 * Structure and single-field rules live here; rules that relate several fields (primaries per AZ sum
 * to the count, an ASG for every AZ that hosts primaries, heap + page cache fit the task, ...) live in
 * rules.ts, so that every problem of a document is reported at once. Every object is strict: unknown
 * keys are errors. Every optional field has a default, applied by `parseCluster`.
 */
import { z } from 'zod';
import { parseDuration, parseMemoryMiB } from './quantities.js';
import { parseVersion } from './version.js';

export const API_VERSION = 'neo4j-ecs.io/v1alpha1';
export const KIND = 'Neo4jCluster';

/** Names become parts of ECS service, ASG-tag, S3 and CloudWatch names: a DNS label, at most 40 chars. */
const NAME_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const AZ_RE = /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/;
const ASG_NAME_RE = /^[\w+=,.@/-]{1,255}$/;
const SECRET_ARN_RE = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;
const KMS_RE = /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/-]+|alias\/[\w/-]+|[0-9a-f-]{36})$/;
const SNAPSHOT_RE = /^snap-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** repository[:tag][@digest]; registry host and path allowed. */
const IMAGE_RE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;
const CW_NAMESPACE_RE = /^[^:][\w .#/:-]{0,254}$/;
const LOG_GROUP_RE = /^[\w/.#-]{1,512}$/;
const HOOK_NAME_RE = /^[A-Za-z0-9\-_/]{1,255}$/;

const duration = (what: string) =>
  z.string().refine((s) => parseDuration(s) !== undefined, {
    message: `expected a duration such as "30s", "5m" or "1h30m" for ${what}`,
  });

const memorySize = z.string().refine((s) => parseMemoryMiB(s) !== undefined, {
  message: 'expected a memory size such as "512m" or "4g"',
});

export const MetadataSchema = z.strictObject({
  name: z
    .string()
    .max(40, 'expected at most 40 characters')
    .regex(NAME_RE, 'expected a DNS label: lowercase letters, digits and "-", starting with a letter'),
  labels: z.record(z.string().max(63), z.string().max(255)).default({}),
});

/** neo4j.conf values as strings, numbers or booleans; the operator writes them as text. */
export const ConfigValueSchema = z.union([z.string(), z.number(), z.boolean()]);

export const Neo4jSchema = z.strictObject({
  /** "5.26.12", "2025.10.1"; 4.4.x is accepted with a warning. */
  version: z.string().refine((s) => parseVersion(s) !== undefined, {
    message:
      'expected a Neo4j version: 5.x (e.g. "5.26.12"), CalVer 2025.x or later (e.g. "2025.10.1"), or 4.4.x',
  }),
  /** Defaults to the official image for the version: neo4j:<version>-enterprise. */
  image: z
    .string()
    .regex(IMAGE_RE, 'expected a container image reference such as "neo4j:5.26.12-enterprise"')
    .optional(),
  edition: z.enum(['enterprise', 'community']).default('enterprise'),
  /** The Enterprise image refuses to start without NEO4J_ACCEPT_LICENSE_AGREEMENT ("yes" or "eval"). */
  acceptLicenseAgreement: z.enum(['yes', 'eval']),
  /** neo4j.conf overrides. Settings the operator owns are rejected (see rules.ts). */
  config: z.record(z.string().min(1), ConfigValueSchema).default({}),
  /** User databases the operator expects (system and neo4j always exist); used for health and status. */
  databases: z
    .array(z.string().regex(/^[a-z][a-z0-9.-]{2,62}$/, 'expected a Neo4j database name'))
    .default([]),
});

export const ZonePlacementSchema = z.strictObject({
  zone: z.string().regex(AZ_RE, 'expected an availability zone name such as "us-east-1a"'),
  /** Primaries in this AZ. Omit on every entry to spread `count` evenly over the listed AZs. */
  count: z.number().int().min(0).optional(),
});

export const PrimariesSchema = z.strictObject({
  count: z.number().int().min(1, 'expected at least 1 primary'),
  /**
   * Where primaries run. A list of AZs with a count each (N primaries over M AZs), or AZs without
   * counts (an even spread over them), or omitted: an even spread over the AZs of
   * spec.capacity.primaryAutoScalingGroups.
   */
  zones: z.array(ZonePlacementSchema).min(1).optional(),
  /** How many primaries may share one container instance. */
  maxPerInstance: z.number().int().min(1).default(1),
  /**
   * Spot capacity for primaries. false (default): no primary is placed on a spot instance. true: spot
   * may host a minority of the primaries, floor((count - 1) / 2), so the majority needed for quorum
   * stays on on-demand capacity (a spot interruption is drained urgently, docs/drain.md).
   */
  allowSpot: z
    .boolean()
    .default(false)
    .describe(
      'Spot capacity for primaries. false: no primary on a spot instance. true: spot may host a minority of the primaries, floor((count - 1) / 2), so a majority stays on on-demand capacity.',
    ),
});

export const SecondariesSchema = z.strictObject({
  count: z.number().int().min(0).default(0),
  /** AZs to spread secondaries over; default: every AZ of the secondaries' ASG. */
  zones: z
    .array(z.string().regex(AZ_RE, 'expected an availability zone name such as "us-east-1a"'))
    .optional(),
});

export const EcsSchema = z.strictObject({
  /** ECS cluster name (created by the infrastructure template, not by the operator). */
  cluster: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'expected an ECS cluster name'),
});

export const CapacitySchema = z.strictObject({
  /** One Auto Scaling group per AZ that hosts primaries: AZ → ASG name. */
  primaryAutoScalingGroups: z.record(
    z.string().regex(AZ_RE, 'expected an availability zone name such as "us-east-1a"'),
    z.string().regex(ASG_NAME_RE, 'expected an Auto Scaling group name'),
  ),
  /** The ASG that hosts secondaries (any AZs). Required when secondaries.count > 0. */
  secondaryAutoScalingGroup: z.string().regex(ASG_NAME_RE, 'expected an Auto Scaling group name').optional(),
});

export const VOLUME_TYPES = ['gp3', 'gp2', 'io2', 'io1', 'st1', 'sc1'] as const;

export const VolumeSchema = z.strictObject({
  sizeGiB: z.number().int().min(1),
  type: z.enum(VOLUME_TYPES).default('gp3'),
  iops: z.number().int().min(100).optional(),
  /** MiB/s; gp3 only. */
  throughput: z.number().int().min(125).optional(),
  encrypted: z.boolean().default(true),
  kmsKeyId: z.string().regex(KMS_RE, 'expected a KMS key id, key ARN or alias').optional(),
  /** Bootstrap new members' volumes from this snapshot. */
  snapshotId: z
    .string()
    .regex(SNAPSHOT_RE, 'expected an EBS snapshot id such as "snap-0123456789abcdef0"')
    .optional(),
  /** What happens to a member's volume when the member is removed: Retain (default) or Delete. */
  retention: z.enum(['Retain', 'Delete']).default('Retain'),
});

export const ResourcesSchema = z.strictObject({
  /** ECS CPU units for the Neo4j task (1024 = 1 vCPU). */
  cpu: z.number().int().min(256).max(196608),
  /** Hard memory limit of the task, MiB. */
  memoryMiB: z.number().int().min(512),
  heap: memorySize,
  pageCache: memorySize,
});

export const CredentialsSchema = z.strictObject({
  /** Secrets Manager secret holding the neo4j password (a plain string, or JSON with a "password" key). */
  secretArn: z
    .string()
    .regex(SECRET_ARN_RE, 'expected a Secrets Manager secret ARN (arn:aws:secretsmanager:…)'),
  username: z.string().min(1).default('neo4j'),
});

export const UpgradeSchema = z.strictObject({
  pauseBetweenSteps: duration('pauseBetweenSteps').default('30s'),
  maxUnavailableSecondaries: z.number().int().min(1).default(1),
  /** Move leaderships off a server (read-only lever) before restarting it; otherwise accept one election. */
  leadershipTransfer: z.boolean().default(true),
  leadershipTransferTimeout: duration('leadershipTransferTimeout').default('2m'),
  /** Wait for approval before touching a server that hosts leaderships. */
  supervised: z.boolean().default(false),
  /** Stop every roll where it stands; resume by setting false. */
  paused: z.boolean().default(false),
  /**
   * An explicit restart request: any change of this text rolls every member (it is passed to the
   * members as NEO4J_ECS_RESTART_TOKEN), e.g. a timestamp; `neo4j-ecs restart` would set it.
   */
  restartToken: z
    .string()
    .regex(/^[\w.:+@-]{1,128}$/, 'expected up to 128 letters, digits or . _ : + @ -, e.g. a timestamp')
    .optional(),
});

export const DrainSchema = z.strictObject({
  lifecycleHookName: z
    .string()
    .regex(HOOK_NAME_RE, 'expected a lifecycle hook name')
    .default('neo4j-ecs-drain'),
  /** 30..7200 s, as Auto Scaling allows. */
  heartbeatTimeoutSeconds: z.number().int().min(30).max(7200).default(300),
});

export const ObservabilitySchema = z.strictObject({
  namespace: z.string().regex(CW_NAMESPACE_RE, 'expected a CloudWatch namespace').default('Neo4jEcs'),
  /** Defaults to /neo4j-ecs/<metadata.name>. */
  logGroup: z.string().regex(LOG_GROUP_RE, 'expected a CloudWatch Logs group name').optional(),
});

export const DiscoverySchema = z.strictObject({
  /**
   * The Cloud Map private DNS namespace (created by the infrastructure) in which the members' ECS
   * services register their tasks; Neo4j's DNS resolver finds the members there (docs/topology.md).
   */
  namespace: z
    .string()
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
      'expected a DNS namespace name such as "neo4j.internal"',
    )
    .default('neo4j.internal'),
});

export const SpecSchema = z.strictObject({
  neo4j: Neo4jSchema,
  primaries: PrimariesSchema,
  secondaries: SecondariesSchema.default({ count: 0 }),
  ecs: EcsSchema,
  discovery: DiscoverySchema.default({ namespace: 'neo4j.internal' }),
  capacity: CapacitySchema,
  volume: VolumeSchema,
  resources: ResourcesSchema,
  credentials: CredentialsSchema,
  upgrade: UpgradeSchema.default({
    pauseBetweenSteps: '30s',
    maxUnavailableSecondaries: 1,
    leadershipTransfer: true,
    leadershipTransferTimeout: '2m',
    supervised: false,
    paused: false,
  }),
  drain: DrainSchema.default({ lifecycleHookName: 'neo4j-ecs-drain', heartbeatTimeoutSeconds: 300 }),
  observability: ObservabilitySchema.default({ namespace: 'Neo4jEcs' }),
});

export const Neo4jClusterSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: MetadataSchema,
  spec: SpecSchema,
});

/** The document as written (defaults not yet applied). */
export type Neo4jClusterInput = z.input<typeof Neo4jClusterSchema>;
/** The document with defaults applied. */
export type Neo4jCluster = z.output<typeof Neo4jClusterSchema>;
export type ClusterSpec = Neo4jCluster['spec'];
