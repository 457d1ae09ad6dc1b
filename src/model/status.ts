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

/** One step of a roll: the secondaries (through ECS) or one primary. */
export interface RollStepStatus {
  /** 1-based position in the roll. */
  position: number;
  /** The primary member, or the secondaries' service. */
  member: string;
  role: 'primary' | 'secondaries';
  /** done; restarting (updated, not back yet); next (the candidate); pending. */
  state: 'done' | 'restarting' | 'next' | 'pending';
  /** Databases it leads now. */
  leads: string[];
  /** What differs: image, neo4j.conf, resources, secret, restart requested, task definition. */
  changes: string[];
}

/** A leadership change the rest of the roll is expected to cause. */
export interface LeadershipChange {
  database: string;
  /** The member whose leadership it is now. */
  member: string;
  /** `transfer` (moved by the read-only lever before the stop) or `election` (one election). */
  how: 'transfer' | 'election';
}

/** The roll section of the status (src/reconcilers/roll, docs/roll.md). */
export interface RollStatus {
  /** True while some member does not run what the spec asks for. */
  active: boolean;
  /** Members counted by the roll (secondaries + primaries). */
  total: number;
  /** The ordered plan. */
  steps: RollStepStatus[];
  /** The current step, e.g. "Rolling 3/5: restarting graph-primary-1 (hosts leaderships: none)". */
  current?: string;
  /** Why the roll waits, when it does. */
  waiting?: { reason: string; message: string };
  /** Expected leadership changes of the rest of the roll, per database. */
  expectedLeadershipChanges: LeadershipChange[];
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
  /** The roll in progress (absent when every member runs what the spec asks for). */
  roll?: RollStatus;
  /** ISO time this status was written (not part of change detection). */
  updatedAt: string;
}
