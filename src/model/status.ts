/**
 * The status of a cluster, as the controller writes it to S3 (`status/<cluster>.json` beside the spec)
 * and serves it over HTTP: a phase, kstatus-style conditions (Ready, Progressing, Degraded) each with a
 * reason and message, Flux's lastAttemptedRevision/lastAppliedRevision, the observed spec generation,
 * and one row per member (role, AZ, instance, volume, task, version; filled as observers learn them).
 */

export const STATUS_API_VERSION = 'neo4j-ecs.io/v1alpha1';
export const STATUS_KIND = 'Neo4jClusterStatus';

export type Phase = 'Pending' | 'Reconciling' | 'Ready' | 'Degraded' | 'Invalid' | 'Failed';

export type ConditionType = 'Ready' | 'Progressing' | 'Degraded';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  /** UpperCamelCase. */
  reason: string;
  message: string;
  /** ISO time the status last changed. */
  lastTransitionTime: string;
}

export interface MemberStatus {
  name: string;
  role: 'primary' | 'secondary';
  /** The AZ the member is pinned to (primaries) or runs in. */
  zone?: string;
  /** ECS service of the member. */
  service?: string;
  instanceId?: string;
  volumeId?: string;
  taskArn?: string;
  /** Neo4j version the member runs (from Bolt), when known. */
  version?: string;
  /** Databases this member leads (from Bolt), when known. */
  leads?: string[];
  /** e.g. RUNNING, PENDING, missing. */
  state: string;
}

export interface ClusterStatus {
  apiVersion: typeof STATUS_API_VERSION;
  kind: typeof STATUS_KIND;
  cluster: string;
  phase: Phase;
  /** Grows by one each time the applied spec (with defaults) changes. */
  observedGeneration: number;
  /** SHA-256 of the applied spec. */
  specDigest?: string;
  source?: string;
  lastAttemptedRevision?: string;
  lastAppliedRevision?: string;
  conditions: Condition[];
  members: MemberStatus[];
  /** The controller that wrote this and the lease generation it held. */
  lease: { holder: string; generation: number };
  lastError?: { kind: string; reason: string; message: string };
  /** ISO time this status was written (not part of change detection). */
  updatedAt: string;
}
