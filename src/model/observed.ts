/**
 * The observed world of one cluster, as one pass sees it: read fresh from AWS (and, later, Neo4j) at
 * the start of every pass, never remembered between passes. Planners read only this and the desired
 * document. Fields that a later observer fills (Neo4j over Bolt) are optional.
 */

export interface ObservedService {
  name: string;
  /** ACTIVE, DRAINING or INACTIVE. */
  status: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  taskDefinition: string;
  deployments: number;
  /** Placement constraints as the service holds them (filled by the batched observer). */
  placementConstraints?: { type: string; expression?: string }[];
  /** minimumHealthyPercent / maximumPercent of the service's deployment configuration. */
  deploymentConfiguration?: { minimumHealthyPercent?: number; maximumPercent?: number };
  /** Task definition of the PRIMARY (newest) deployment, and whether a rollout is in progress. */
  rolloutState?: string;
  /** Registry ARNs of the service's `serviceRegistries` (Cloud Map services). */
  serviceRegistries?: string[];
  /** awsvpc security groups and subnets of the service's network configuration. */
  securityGroups?: string[];
  subnets?: string[];
  /** The service's tags (DescribeServices include TAGS), e.g. the roll's approval. */
  tags?: Record<string, string>;
}

export interface ObservedTask {
  taskArn: string;
  /** `service:<name>` for service tasks. */
  group?: string;
  lastStatus: string;
  desiredStatus: string;
  taskDefinitionArn: string;
  containerInstanceArn?: string;
  availabilityZone?: string;
  healthStatus?: string;
  /** The task's private address (awsvpc), where its member listens for Bolt. */
  address?: string;
}

export interface ObservedContainerInstance {
  arn: string;
  ec2InstanceId: string;
  /** ACTIVE, DRAINING, … */
  status: string;
  availabilityZone?: string;
}

export interface ObservedVolume {
  volumeId: string;
  availabilityZone: string;
  state: string;
  sizeGiB: number;
  type: string;
  iops?: number;
  /** MiB/s (gp3). */
  throughput?: number;
  /** State of the latest ModifyVolume (modifying, optimizing, completed, failed), when read. */
  modificationState?: string;
  tags: Record<string, string>;
  attachments: { instanceId: string; state: string; device: string }[];
}

export interface ObservedLogGroup {
  name: string;
  /** Present when the observer read them. */
  tags?: Record<string, string>;
}

export interface ObservedNeo4jServer {
  /** Server id. */
  id: string;
  name?: string;
  /** Bolt address (host:port) the server advertises. */
  address: string;
  /** Free, Enabled, Cordoned, Deallocating, Deallocated, Dropped. */
  state: string;
  health?: string;
  version?: string;
  /** Databases this server leads. */
  leads?: string[];
  /** SHOW SERVERS `hosting` / `requestedHosting` (database names) and `modeConstraint` (PRIMARY, SECONDARY, NONE). */
  hosting?: string[];
  requestedHosting?: string[];
  modeConstraint?: string | null;
}

/** One probed member (a running task's Bolt address), as the roll and the drain read it. */
export interface ObservedNeo4jMember {
  /** host:port probed (the task's address, port 7687 unless given). */
  address: string;
  reachable: boolean;
  /** The server id the cluster knows it by (matched by address). */
  serverId?: string;
  /** SHOW SERVERS state and health of that server. */
  serverState?: string;
  health?: string;
  /** What the member itself reports (dbms.components). */
  version?: string;
  /** server.databases.default_to_read_only on the member, when readable. */
  readOnly?: boolean;
  mode?: 'primary' | 'secondary';
  /** Every hosted copy online with no replication lag (null when unknown). */
  caughtUp: boolean | null;
  /** Transactions behind the most advanced copy, the most over its databases (absent when unknown). */
  txBehind?: number;
}

/** One copy of a database on one server (a SHOW DATABASES row). */
export interface ObservedNeo4jCopy {
  serverId: string | null;
  /** Null while the server is unavailable. */
  address: string | null;
  role: 'leader' | 'follower' | 'secondary' | 'unknown';
  currentStatus: string;
  requestedStatus: string;
}

/**
 * One database across the cluster. A copy whose role is `unknown` (its server is unavailable) counts
 * as a primary unless its server is constrained to SECONDARY: a quorum check then errs on the safe side.
 */
export interface ObservedNeo4jDatabase {
  name: string;
  leaderServerId: string | null;
  primaries: ObservedNeo4jCopy[];
  secondaries: ObservedNeo4jCopy[];
}

export interface ObservedNeo4j {
  membersUp: number;
  databasesWithLeader: number;
  databases: number;
  /** SHOW SERVERS rows, when the observer reached a member. */
  servers?: ObservedNeo4jServer[];
  /** Members that could not be reached (addresses), a fact, not an error. */
  unreachable?: string[];
  /** A member refused the credentials (the password may have been rotated). */
  authFailed?: boolean;
  /** Every probed member (reachable or not). */
  members?: ObservedNeo4jMember[];
  /** Every database with its leader and copies (system included). */
  databaseViews?: ObservedNeo4jDatabase[];
  /** Neo4j's rolling-upgrade health gate (src/neo4j/health-gate.ts): not evaluated when nobody answered. */
  gate?: { evaluated: boolean; ok: boolean; reasons: string[] };
}

/** An Auto Scaling group the spec names (spec.capacity). */
export interface ObservedAsg {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  availabilityZones: string[];
  /** Subnets of VPCZoneIdentifier; the services placed on this group use them (awsvpc). */
  subnetIds?: string[];
  instances: {
    instanceId: string;
    availabilityZone: string;
    /** InService, Pending, Terminating, Terminating:Wait, … */
    lifecycleState: string;
    healthStatus: string;
    protectedFromScaleIn: boolean;
  }[];
  hooks: { name: string; transition: string; heartbeatTimeout: number; defaultResult: string }[];
}

/** A container instance of the ECS cluster with its attributes (custom and ecs.*). */
export interface ObservedEcsInstance {
  arn: string;
  ec2InstanceId: string;
  /** ACTIVE, DRAINING, INACTIVE, REGISTERING, … */
  status: string;
  agentConnected: boolean;
  availabilityZone?: string;
  attributes: Record<string, string>;
}

/** The newest ACTIVE revision of a task definition family the cluster owns. */
export interface ObservedTaskDefinition {
  family: string;
  arn: string;
  revision: number;
  /** The comparable content (see src/reconcilers/topology/task-definitions.ts `normalizeTaskDefinition`). */
  content: unknown;
}

/** What the topology concerns read besides the base observation. */
export interface ObservedTopology {
  /** ASGs named by spec.capacity, by name; missing groups are absent. */
  asgs: Record<string, ObservedAsg>;
  /** Every container instance of the ECS cluster. */
  instances: ObservedEcsInstance[];
  /** Newest ACTIVE revision per family; null when the family has none. */
  taskDefinitions: Record<string, ObservedTaskDefinition | null>;
  /** Services the base observation does not cover (the secondaries' service once count is 0). */
  services?: Record<string, ObservedService>;
  /**
   * EC2 state (`available`, `impaired`, `unavailable`, ...) of the primaries' AZs that have no ACTIVE
   * container instance with a connected agent; read only then (DescribeAvailabilityZones).
   */
  zoneStates?: Record<string, string>;
  /** The member services' Cloud Map registry and security groups (src/aws/network.ts); absent when missing. */
  network?: ObservedNetwork;
  /**
   * EC2 instance id → true for a spot instance (`InstanceLifecycle` of DescribeInstances), for the
   * instances of the managed ASGs. An instance's market never changes, so the observer caches it.
   */
  spot?: Record<string, boolean>;
  /**
   * Tasks of the cluster's services being stopped (desiredStatus STOPPED, lastStatus not yet STOPPED)
   * on instances in `Terminating:Wait`: the base observation lists only tasks meant to run, and the
   * drain completes a lifecycle hook only once these are gone too.
   */
  stoppingTasks?: ObservedTask[];
}

/** What the members' services attach: looked up in the world by convention (docs/topology.md, Discovery). */
export interface ObservedNetwork {
  /** ARN of the Cloud Map service `metadata.name` in the private DNS namespace `spec.discovery.namespace`. */
  registryArn?: string;
  /** Security groups tagged `neo4j-ecs:cluster` = the cluster name, sorted. */
  securityGroupIds: string[];
}

export interface ObservedCluster {
  name: string;
  /** Epoch ms when the observation started. */
  observedAt: number;
  /** False when the ECS cluster named by spec.ecs.cluster does not exist. */
  ecsClusterFound: boolean;
  /** The cluster's ECS services by name; services that do not exist are absent. */
  services: Record<string, ObservedService>;
  /** Tasks of the cluster's services. */
  tasks: ObservedTask[];
  /** Container instances hosting those tasks, by ARN. */
  containerInstances: Record<string, ObservedContainerInstance>;
  /** EBS volumes tagged `neo4j-ecs:cluster` = the cluster name. */
  volumes: ObservedVolume[];
  /** The cluster's log group, or null when it does not exist. */
  logGroup: ObservedLogGroup | null;
  neo4j?: ObservedNeo4j;
  /** Filled by the topology observer (src/aws/observe-topology.ts). */
  topology?: ObservedTopology;
}

/** A cluster as a pass sees it before anything is read: nothing found yet. */
export function emptyObservedCluster(name: string, now: number): ObservedCluster {
  return {
    name,
    observedAt: now,
    ecsClusterFound: true,
    services: {},
    tasks: [],
    containerInstances: {},
    volumes: [],
    logGroup: null,
  };
}

/** Tags the operator puts on what it creates, and reads to find what it owns. */
export const TAGS = {
  cluster: 'neo4j-ecs:cluster',
  member: 'neo4j-ecs:member',
  role: 'neo4j-ecs:role',
  /** On a member's service: the task definition ARN a supervised roll may restart it to (`neo4j-ecs approve`). */
  rollApproved: 'neo4j-ecs:roll-approved',
  managedBy: 'managed-by',
} as const;

export const MANAGED_BY = 'neo4j-ecs-operator';
