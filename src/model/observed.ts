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
  tags: Record<string, string>;
  attachments: { instanceId: string; state: string; device: string }[];
}

export interface ObservedLogGroup {
  name: string;
  /** Present when the observer read them. */
  tags?: Record<string, string>;
}

export interface ObservedNeo4j {
  membersUp: number;
  databasesWithLeader: number;
  databases: number;
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
}

/** Tags the operator puts on what it creates, and reads to find what it owns. */
export const TAGS = {
  cluster: 'neo4j-ecs:cluster',
  member: 'neo4j-ecs:member',
  role: 'neo4j-ecs:role',
  managedBy: 'managed-by',
} as const;

export const MANAGED_BY = 'neo4j-ecs-operator';
