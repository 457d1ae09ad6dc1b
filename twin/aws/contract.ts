/**
 * The contract between the AWS twin's HTTP/protocol layer (server.ts, protocols/) and its service
 * simulations (services/). A service module is protocol-agnostic: it receives the request already
 * decoded into a plain object that uses the *wire* member names of its protocol, and returns a plain
 * object with the wire member names of the response. The protocol layer encodes it (JSON, awsQuery XML,
 * ec2Query XML) and encodes thrown `AwsError`s in the protocol's real error format.
 *
 * Decoding conventions (done by the protocol layer, so every module sees the same shapes):
 * - awsJson (ECS, Logs, Secrets Manager, Cloud Map, CloudWatch JSON 1.0): the JSON body as is. Timestamps stay
 *   epoch seconds (numbers).
 * - awsQuery (Auto Scaling, CloudWatch legacy): `A.member.1.B=x` becomes `{A: [{B: 'x'}]}`;
 *   `Tags.member.1.Key`/`Value` likewise; scalars stay strings (the module coerces numbers/booleans).
 * - ec2Query: `Filter.1.Name=x&Filter.1.Value.1=y` becomes `{Filter: [{Name: 'x', Value: ['y']}]}`;
 *   `VolumeId.1=v` becomes `{VolumeId: ['v']}`.
 *
 * Encoding conventions for responses:
 * - awsJson: the object as JSON; `Date` values become epoch seconds.
 * - awsQuery: `<OpResponse><OpResult>…</OpResult><ResponseMetadata>…` with arrays as repeated
 *   `<member>` children; `Date` as ISO-8601.
 * - ec2Query: `<OpResponse xmlns=…><requestId>…` then the object, arrays as `<item>` children; modules
 *   return the ec2 wire names (lowerCamel, `volumeSet`, `tagSet`, …).
 */

export type ServiceName =
  'ecs' | 'autoscaling' | 'ec2' | 'monitoring' | 'logs' | 's3' | 'secretsmanager' | 'servicediscovery';

export type Protocol = 'awsJson1_1' | 'awsJson1_0' | 'awsQuery' | 'ec2Query' | 'restXml';

export interface OperationContext {
  requestId: string;
  region: string;
  accountId: string;
  /** Virtual epoch ms when the request arrived. */
  now: number;
}

export type Wire = Record<string, unknown>;

export type OperationHandler = (input: Wire, ctx: OperationContext) => Wire | Promise<Wire>;

export interface ServiceModule {
  readonly service: ServiceName;
  /** Operation name (as in X-Amz-Target or Action) → handler. */
  readonly operations: Readonly<Record<string, OperationHandler>>;
  /** Serialisable state, for the control API's world snapshot and for --state-dir. */
  snapshot(): unknown;
  /** Restores what `snapshot()` returned (the server calls it on start with --state-dir). */
  restore?(state: unknown): void;
}

/**
 * An AWS error in the shape each protocol encodes. `code` is the wire code (`ClusterNotFoundException`,
 * `ValidationError`, `InvalidVolume.NotFound`, `Throttling`, …), not the SDK class name.
 */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  /** Sender (client) or Receiver (server) fault; used by awsQuery and CloudWatch's query-compat header. */
  readonly fault: 'Sender' | 'Receiver';

  constructor(code: string, message: string, opts: { status?: number; fault?: 'Sender' | 'Receiver' } = {}) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = opts.status ?? 400;
    this.fault = opts.fault ?? (this.status >= 500 ? 'Receiver' : 'Sender');
  }
}

/**
 * The seam for the Neo4j twin (and anything else that runs "inside" a task). The ECS simulation calls
 * these when a task's containers start and when they stop. Listeners must not throw; a listener's
 * failure to start (e.g. a Neo4j member refusing to start) is reported back through `markUnhealthy`.
 */
export interface AttachedVolumeInfo {
  volumeId: string;
  /** Device name given to AttachVolume, e.g. /dev/xvdf. */
  device: string;
  availabilityZone: string;
  tags: Record<string, string>;
  /**
   * The volume's contents: a key-value store that lives with the volume in the EBS simulation, so
   * whatever a member writes survives task and instance replacement, and travels with the volume.
   * A volume created from a snapshot starts with a copy of the snapshot's data.
   */
  data: Map<string, string>;
}

export interface TaskContainerInfo {
  name: string;
  image: string;
  environment: Record<string, string>;
  /** Secrets resolved from Secrets Manager (valueFrom ARN → value), by env var name. */
  secrets: Record<string, string>;
  portMappings: { containerPort: number; hostPort?: number }[];
  mountPoints: { sourceVolume: string; containerPath: string }[];
}

export interface TaskRuntimeInfo {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  /** Task definition family and revision. */
  family: string;
  revision: number;
  /** The service that launched it (`service:<name>` group), if any. */
  group?: string;
  startedBy?: string;
  containerInstanceArn: string;
  ec2InstanceId: string;
  availabilityZone: string;
  /** The task's own loopback address; a member listens here. */
  address: string;
  containers: TaskContainerInfo[];
  /** Task definition volumes: name → host source path (bind mounts). */
  volumes: Record<string, { hostSourcePath?: string }>;
  /** EBS volumes attached to the task's instance right now (the host agent mounts them). */
  attachedVolumes: AttachedVolumeInfo[];
}

export interface TaskLifecycleHooks {
  /** Containers start (task about to go RUNNING). */
  onTaskStarted?(task: TaskRuntimeInfo, control: TaskControl): void | Promise<void>;
  /** Containers stopped (task going STOPPED); `reason` is the stoppedReason. */
  onTaskStopped?(task: TaskRuntimeInfo, reason: string): void | Promise<void>;
}

/** What a task listener may tell the ECS simulation about the task it runs. */
export interface TaskControl {
  /** Container health as the health check would report it. */
  setHealth(status: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN'): void;
  /** The essential container exited on its own (e.g. the process refused to start). */
  exit(exitCode: number, reason: string): void;
}
