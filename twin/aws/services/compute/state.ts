/**
 * The world model of the compute simulation: plain data for every simulated resource (EC2, EBS,
 * Auto Scaling, ECS) plus the pending timed transitions ("jobs"). Everything here is serialisable, so
 * a snapshot can be taken and restored; times are virtual epoch milliseconds.
 */
import type { Tags } from './util.js';

export type InstanceStateName =
  'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface AzState {
  name: string;
  zoneId: string;
  state: 'available' | 'impaired';
}

export interface Vpc {
  vpcId: string;
  cidrBlock: string;
  isDefault: boolean;
  tags: Tags;
}

/** One ingress/egress rule: a protocol (`-1` = all), a port range and its peers. */
export interface SecurityGroupRule {
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
  /** Peer security group ids. */
  groups: string[];
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ingress: SecurityGroupRule[];
  egress: SecurityGroupRule[];
  tags: Tags;
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  az: string;
  cidrBlock: string;
  defaultForAz: boolean;
  nextHost: number;
  tags: Tags;
}

/** Launch template data, kept in the request's wire member names (PascalCase, EC2 query). */
export interface LaunchTemplateData {
  ImageId?: string;
  InstanceType?: string;
  UserData?: string;
  KeyName?: string;
  IamInstanceProfile?: { Arn?: string; Name?: string };
  SecurityGroupIds?: string[];
  TagSpecifications?: { ResourceType: string; Tags: Tags }[];
  BlockDeviceMappings?: {
    DeviceName: string;
    Ebs?: { VolumeSize?: number; VolumeType?: string; DeleteOnTermination?: boolean; Encrypted?: boolean };
  }[];
  MarketType?: string;
}

export interface LaunchTemplateVersion {
  versionNumber: number;
  description?: string;
  createTime: number;
  data: LaunchTemplateData;
}

export interface LaunchTemplate {
  id: string;
  name: string;
  createTime: number;
  defaultVersion: number;
  latestVersion: number;
  versions: LaunchTemplateVersion[];
  tags: Tags;
}

export interface Instance {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  az: string;
  subnetId: string;
  vpcId: string;
  privateIp: string;
  state: InstanceStateName;
  stateTransitionReason: string;
  stateReason?: { code: string; message: string };
  launchTime: number;
  tags: Tags;
  userData?: string;
  /** The ECS agent's configuration parsed from user data. */
  ecsConfig: Record<string, string>;
  launchTemplate?: { id: string; name: string; version: string };
  launchConfigurationName?: string;
  asgName?: string;
  spot: boolean;
  /** System status check failing (its AZ failed). */
  impaired: boolean;
  rootDeviceName: string;
  securityGroupIds: string[];
  /** When the instance reached terminated (for retention). */
  terminatedAt?: number;
}

export type VolumeStateName = 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted' | 'error';
export type AttachmentStateName = 'attaching' | 'attached' | 'detaching' | 'detached' | 'busy';

export interface Attachment {
  instanceId: string;
  device: string;
  state: AttachmentStateName;
  attachTime: number;
  deleteOnTermination: boolean;
  /** Pending job that moves this attachment to its next state. */
  job?: number;
}

export interface VolumeModification {
  modificationState: 'modifying' | 'optimizing' | 'completed' | 'failed';
  targetSize: number;
  targetIops?: number;
  targetThroughput?: number;
  targetVolumeType: string;
  originalSize: number;
  originalIops?: number;
  originalThroughput?: number;
  originalVolumeType: string;
  progress: number;
  startTime: number;
  endTime?: number;
}

export interface Volume {
  volumeId: string;
  size: number;
  volumeType: string;
  iops?: number;
  throughput?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  snapshotId?: string;
  az: string;
  state: VolumeStateName;
  createTime: number;
  tags: Tags;
  attachments: Attachment[];
  /** The volume's contents (the task seam's AttachedVolumeInfo.data). */
  data: Map<string, string>;
  modifications: VolumeModification[];
  multiAttachEnabled: boolean;
  clientToken?: string;
  /** Last ModifyVolume request (for the modification rate limit). */
  lastModifiedAt?: number;
}

export interface Snapshot {
  snapshotId: string;
  volumeId: string;
  volumeSize: number;
  state: 'pending' | 'completed' | 'error';
  progress: string;
  startTime: number;
  description: string;
  encrypted: boolean;
  kmsKeyId?: string;
  tags: Tags;
  data: Map<string, string>;
}

// ------------------------------------------------------------------------------------------------
// Auto Scaling

export type AsgLifecycleState =
  | 'Pending'
  | 'Pending:Wait'
  | 'Pending:Proceed'
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'Terminating:Proceed'
  | 'Terminated';

/** Lifecycle states that count towards a group's desired capacity. */
export const ACTIVE_STATES: AsgLifecycleState[] = ['Pending', 'Pending:Wait', 'Pending:Proceed', 'InService'];

export interface LifecycleHook {
  name: string;
  transition: 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';
  heartbeatTimeout: number;
  defaultResult: 'CONTINUE' | 'ABANDON';
  notificationMetadata?: string;
  notificationTargetArn?: string;
  roleArn?: string;
}

/** A hook waiting on one instance. */
export interface PendingAction {
  hook: string;
  token: string;
  startedAt: number;
  /** Absolute deadlines. */
  heartbeatDeadline: number;
  globalDeadline: number;
  job: number;
  result?: 'CONTINUE' | 'ABANDON';
}

export interface AsgInstance {
  instanceId: string;
  az: string;
  lifecycleState: AsgLifecycleState;
  healthStatus: 'Healthy' | 'Unhealthy';
  protectedFromScaleIn: boolean;
  launchTemplate?: { id: string; name: string; version: string };
  launchConfigurationName?: string;
  instanceType: string;
  launchedAt: number;
  /** Hooks currently waiting on this instance (the transition in progress). */
  actions: PendingAction[];
  /** The first ABANDON result seen during the current transition. */
  abandoned?: boolean;
  /** Why this instance is leaving the group (scale-in, health, manual, spot). */
  terminationCause?: string;
}

export interface ScalingActivity {
  activityId: string;
  description: string;
  cause: string;
  startTime: number;
  endTime?: number;
  statusCode: 'InProgress' | 'Successful' | 'Failed' | 'Cancelled' | 'WaitingForInstanceWarmup';
  statusMessage?: string;
  progress: number;
  details: string;
}

export interface LaunchConfiguration {
  name: string;
  arn: string;
  imageId: string;
  instanceType: string;
  userData?: string;
  securityGroups: string[];
  iamInstanceProfile?: string;
  keyName?: string;
  spotPrice?: string;
  createdTime: number;
}

export interface AutoScalingGroup {
  name: string;
  arn: string;
  launchTemplate?: { id: string; name: string; version: string };
  launchConfigurationName?: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  defaultCooldown: number;
  azs: string[];
  subnetIds: string[];
  healthCheckType: string;
  healthCheckGracePeriod: number;
  createdTime: number;
  newInstancesProtectedFromScaleIn: boolean;
  terminationPolicies: string[];
  tags: { key: string; value: string; propagateAtLaunch: boolean }[];
  hooks: LifecycleHook[];
  instances: AsgInstance[];
  activities: ScalingActivity[];
  capacityRebalance: boolean;
  status?: 'Delete in progress';
  suspendedProcesses: string[];
}

// ------------------------------------------------------------------------------------------------
// ECS

export interface Cluster {
  name: string;
  arn: string;
  status: 'ACTIVE' | 'INACTIVE';
  tags: Tags;
  settings: { name: string; value: string }[];
  createdAt: number;
}

export interface Attribute {
  name: string;
  value?: string;
}

export interface ContainerInstance {
  arn: string;
  id: string;
  clusterArn: string;
  ec2InstanceId: string;
  status: 'REGISTERING' | 'REGISTRATION_FAILED' | 'ACTIVE' | 'DRAINING' | 'DEREGISTERING' | 'INACTIVE';
  statusReason?: string;
  agentConnected: boolean;
  cpu: number;
  memory: number;
  /** Ports reserved by the host (SSH, agent, docker). */
  reservedPorts: number[];
  attributes: Attribute[];
  registeredAt: number;
  version: number;
  tags: Tags;
  deregisteredAt?: number;
}

export interface HealthCheck {
  command: string[];
  interval: number;
  timeout: number;
  retries: number;
  startPeriod?: number;
}

/** A container definition as registered (ECS wire names, normalised). */
export interface ContainerDefinition {
  name: string;
  image: string;
  cpu: number;
  memory?: number;
  memoryReservation?: number;
  essential: boolean;
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  portMappings: { containerPort: number; hostPort?: number; protocol: string; name?: string }[];
  mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  healthCheck?: HealthCheck;
  logConfiguration?: { logDriver: string; options?: Record<string, string> };
  command?: string[];
  entryPoint?: string[];
  stopTimeout?: number;
  ulimits?: unknown[];
  dockerLabels?: Record<string, string>;
  /** Everything else the client sent, echoed back on describe. */
  extra: Record<string, unknown>;
}

export interface TaskDefinition {
  arn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';
  containerDefinitions: ContainerDefinition[];
  volumes: { name: string; host?: { sourcePath?: string }; extra: Record<string, unknown> }[];
  networkMode: 'bridge' | 'host' | 'awsvpc' | 'none';
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  placementConstraints: { type: string; expression?: string }[];
  requiresCompatibilities: string[];
  tags: Tags;
  registeredAt: number;
  deregisteredAt?: number;
}

export interface PlacementConstraint {
  type: 'distinctInstance' | 'memberOf';
  expression?: string;
}

export interface PlacementStrategy {
  type: 'random' | 'spread' | 'binpack';
  field?: string;
}

export interface ServiceRegistry {
  registryArn: string;
  port?: number;
  containerName?: string;
  containerPort?: number;
}

export interface AwsvpcConfiguration {
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: 'ENABLED' | 'DISABLED';
}

export interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  /** Placement in force for this deployment's tasks. */
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

export interface Service {
  arn: string;
  name: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinition: string;
  minimumHealthyPercent: number;
  maximumPercent: number;
  circuitBreaker: { enable: boolean; rollback: boolean };
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  deployments: Deployment[];
  events: ServiceEvent[];
  createdAt: number;
  availabilityZoneRebalancing: 'ENABLED' | 'DISABLED';
  propagateTags: string;
  enableECSManagedTags: boolean;
  healthCheckGracePeriodSeconds?: number;
  tags: Tags;
  /** Cloud Map registries its tasks are registered in (at most one). */
  serviceRegistries?: ServiceRegistry[];
  /** awsvpc: the subnets and security groups its tasks' ENIs get. */
  networkConfiguration?: AwsvpcConfiguration;
  /** The task definition of the last COMPLETED deployment (for circuit-breaker rollback). */
  lastCompletedTaskDefinition?: string;
  /** When each event message was last recorded (to throttle repeats). */
  lastEventAt: Record<string, number>;
  steady: boolean;
  inactiveAt?: number;
}

export type TaskStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export interface TaskContainer {
  name: string;
  containerArn: string;
  image: string;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  exitCode?: number;
  reason?: string;
  healthStatus: HealthStatus;
  essential: boolean;
  hasHealthCheck: boolean;
  environment: Record<string, string>;
  cpu: number;
  memory?: number;
  memoryReservation?: number;
  networkBindings: { containerPort: number; hostPort: number; protocol: string; bindIP: string }[];
}

export interface Task {
  arn: string;
  id: string;
  clusterArn: string;
  taskDefinitionArn: string;
  containerInstanceArn: string;
  ec2InstanceId: string;
  az: string;
  group: string;
  startedBy?: string;
  serviceArn?: string;
  deploymentId?: string;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: HealthStatus;
  containers: TaskContainer[];
  cpu: number;
  memory: number;
  /** Host ports reserved on the instance while the task is not STOPPED. */
  hostPorts: number[];
  address: string;
  createdAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  version: number;
  tags: Tags;
  overrides: { containerOverrides: { name: string; environment?: { name: string; value: string }[] }[] };
  /** Health is being reported by a task listener (no automatic health). */
  healthFromListener: boolean;
  /** Did the containers reach RUNNING (listeners were told it started)? */
  started: boolean;
  /** awsvpc: its ENI's subnet and security groups. */
  subnetId?: string;
  securityGroups?: string[];
  /** Cloud Map instances ECS registered for it (deregistered when it starts stopping). */
  registrations?: { registryArn: string; instanceId: string }[];
  /** Pending job moving the task along. */
  job?: number;
}

// ------------------------------------------------------------------------------------------------
// Jobs: timed transitions, kept in the state so a snapshot can be restored with its timers.

export interface Job {
  id: number;
  kind: string;
  args: Record<string, string | number | boolean>;
  dueAt: number;
}

export interface InterruptionNotice {
  instanceId: string;
  noticeAt: number;
  actionAt: number;
  action: 'terminate';
}

export interface AttachFault {
  volumeId: string;
  remaining: number;
  mode: 'fail' | 'stuck';
}

export interface WorldState {
  azs: Map<string, AzState>;
  vpcs: Map<string, Vpc>;
  subnets: Map<string, Subnet>;
  securityGroups: Map<string, SecurityGroup>;
  launchTemplates: Map<string, LaunchTemplate>;
  instances: Map<string, Instance>;
  volumes: Map<string, Volume>;
  snapshots: Map<string, Snapshot>;
  launchConfigurations: Map<string, LaunchConfiguration>;
  groups: Map<string, AutoScalingGroup>;
  clusters: Map<string, Cluster>;
  containerInstances: Map<string, ContainerInstance>;
  taskDefinitions: Map<string, TaskDefinition>;
  services: Map<string, Service>;
  tasks: Map<string, Task>;
  jobs: Map<number, Job>;
  nextJobId: number;
  interruptions: Map<string, InterruptionNotice>;
  attachFaults: Map<string, AttachFault>;
  /** Monotonic counter behind ECS deployment ids and service event ids. */
  counter: number;
}

export function emptyState(): WorldState {
  return {
    azs: new Map(),
    vpcs: new Map(),
    subnets: new Map(),
    securityGroups: new Map(),
    launchTemplates: new Map(),
    instances: new Map(),
    volumes: new Map(),
    snapshots: new Map(),
    launchConfigurations: new Map(),
    groups: new Map(),
    clusters: new Map(),
    containerInstances: new Map(),
    taskDefinitions: new Map(),
    services: new Map(),
    tasks: new Map(),
    jobs: new Map(),
    nextJobId: 1,
    interruptions: new Map(),
    attachFaults: new Map(),
    counter: 0,
  };
}

/** JSON-safe encoding of the state: Maps become `{"$map": {...}}`. */
export function encodeState(v: unknown): unknown {
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[String(k)] = encodeState(x);
    return { $map: o };
  }
  if (Array.isArray(v)) return v.map(encodeState);
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = encodeState(x);
    return o;
  }
  return v;
}

export function decodeState(v: unknown, numericKeys = false): unknown {
  if (Array.isArray(v)) return v.map((x) => decodeState(x));
  if (typeof v === 'object' && v !== null) {
    const rec = v as Record<string, unknown>;
    const m = rec['$map'];
    if (m !== undefined && typeof m === 'object' && m !== null && Object.keys(rec).length === 1) {
      const out = new Map<string | number, unknown>();
      for (const [k, x] of Object.entries(m)) out.set(numericKeys ? Number(k) : k, decodeState(x));
      return out;
    }
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(rec)) o[k] = decodeState(x, k === 'jobs');
    return o;
  }
  return v;
}
