/**
 * The names the topology concerns agree on with the deploy templates and the host (docs/topology.md):
 * attributes, devices, bind paths, task-definition families, the execution role convention, and how a
 * member's volume is picked from the tag ledger.
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster, ObservedVolume } from '../../model/observed.js';
import { MANAGED_BY, TAGS } from '../../model/observed.js';
import { secondaryServiceName } from '../../model/placement.js';
import type { Hold } from '../types.js';

/** ECS custom attribute naming the member whose volume is attached: `neo4j-ecs.member.<member>`. */
export const memberAttribute = (member: string): string => `neo4j-ecs.member.${member}`;
/** ECS custom attribute on the secondaries' container instances. */
export const POOL_ATTRIBUTE = 'neo4j-ecs.pool';
export const POOL_SECONDARIES = 'secondaries';

/** Devices the operator attaches member volumes at, in order. */
export const DEVICES: readonly string[] = 'fghijklmnop'.split('').map((c) => `/dev/xvd${c}`);

/** Where the host mounts a member's volume; the task bind-mounts it at /data. */
export const bindPath = (member: string): string => `/var/lib/neo4j-ecs/${member}`;

/** Task-definition families: one per primary (the member's name) and one for the secondaries. */
export const secondaryFamily = (cluster: string): string => secondaryServiceName(cluster);

/**
 * The task execution role (it lets ECS read the credentials secret). The spec has no field for it;
 * the convention is `arn:aws:iam::<account of the secret>:role/neo4j-ecs-<cluster>-execution`,
 * which the infrastructure template creates.
 */
export function executionRoleArn(cluster: Neo4jCluster): string {
  const parts = cluster.spec.credentials.secretArn.split(':');
  const partition = parts[1] ?? 'aws';
  const account = parts[4] ?? '000000000000';
  return `arn:${partition}:iam::${account}:role/neo4j-ecs-${cluster.metadata.name}-execution`;
}

/** Live volumes (not deleting or in error) of a member, attached ones first, then by id. */
export function volumesOf(observed: Pick<ObservedCluster, 'volumes'>, member: string): ObservedVolume[] {
  return observed.volumes
    .filter((v) => v.tags[TAGS.member] === member && ['creating', 'available', 'in-use'].includes(v.state))
    .sort((a, b) => {
      const aa = a.attachments.length > 0 ? 0 : 1;
      const bb = b.attachments.length > 0 ? 0 : 1;
      return aa - bb || (a.volumeId < b.volumeId ? -1 : 1);
    });
}

/** The member's volume: its only live one in its AZ, or the first of duplicates (reported by volumes.ts). */
export function memberVolume(
  observed: Pick<ObservedCluster, 'volumes'>,
  member: string,
  zone: string,
): ObservedVolume | undefined {
  return volumesOf(observed, member).find((v) => v.availabilityZone === zone);
}

/** The attachment that counts (not detached). */
export function liveAttachment(v: ObservedVolume): ObservedVolume['attachments'][number] | undefined {
  return v.attachments.find((a) => a.state !== 'detached');
}

export function volumeTags(cluster: string, member: string): Record<string, string> {
  return {
    [TAGS.cluster]: cluster,
    [TAGS.member]: member,
    [TAGS.role]: 'primary',
    [TAGS.managedBy]: MANAGED_BY,
    Name: `${member}-data`,
  };
}

/** How long to wait before looking again while AWS works (attach, create, register). */
export const TOPOLOGY_RECHECK_MS = 5_000;

/** A `wait` hold of the topology concern: look again after TOPOLOGY_RECHECK_MS. */
export function recheck(reason: string, message: string, member?: string): Hold {
  return {
    kind: 'wait',
    reason,
    message,
    ...(member !== undefined ? { member } : {}),
    requeueAfterMs: TOPOLOGY_RECHECK_MS,
  };
}
