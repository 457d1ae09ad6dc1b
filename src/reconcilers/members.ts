/**
 * Status-only observation of members (pure): one row per desired member, filled from what the pass
 * observed: its ECS service and task, the instance hosting it, its EBS volume (by the
 * `neo4j-ecs:member` tag), and, when a concern observed them over Bolt, its Neo4j version and the
 * databases it leads. The concerns act on members; this only reports them.
 */
import type { Neo4jCluster } from '../model/cluster.js';
import type { ObservedCluster, ObservedTask } from '../model/observed.js';
import { TAGS } from '../model/observed.js';
import { primaryPlacement, secondaryServiceName } from '../model/placement.js';
import type { MemberStatus } from '../model/status.js';

/** ECS service names of a cluster's members. */
export function memberServices(cluster: Neo4jCluster): string[] {
  const names = primaryPlacement(cluster).map((s) => s.member);
  if (cluster.spec.secondaries.count > 0) names.push(secondaryServiceName(cluster.metadata.name));
  return names;
}

function fill(row: MemberStatus, task: ObservedTask | undefined, observed: ObservedCluster): MemberStatus {
  if (!task) return row;
  const instance = task.containerInstanceArn
    ? observed.containerInstances[task.containerInstanceArn]
    : undefined;
  const server =
    task.address !== undefined
      ? observed.neo4j?.servers?.find((s) => s.address.replace(/:\d+$/, '') === task.address)
      : undefined;
  return {
    ...row,
    taskArn: task.taskArn,
    state: task.lastStatus,
    ...(instance ? { instanceId: instance.ec2InstanceId } : {}),
    ...(row.zone === undefined && task.availabilityZone !== undefined ? { zone: task.availabilityZone } : {}),
    ...(server?.version !== undefined ? { version: server.version } : {}),
    ...(server ? { leads: server.leads ?? [] } : {}),
  };
}

export function memberStatuses(cluster: Neo4jCluster, observed: ObservedCluster): MemberStatus[] {
  const name = cluster.metadata.name;
  const tasksOf = (service: string): ObservedTask[] =>
    observed.tasks
      .filter((t) => t.group === `service:${service}` && t.desiredStatus !== 'STOPPED')
      .sort((a, b) => (a.taskArn < b.taskArn ? -1 : 1));
  const volumeOf = (member: string): string | undefined =>
    observed.volumes.find((v) => v.tags[TAGS.member] === member)?.volumeId;
  const rows: MemberStatus[] = [];
  for (const slot of primaryPlacement(cluster)) {
    const service = observed.services[slot.member];
    const volumeId = volumeOf(slot.member);
    const row: MemberStatus = {
      name: slot.member,
      role: 'primary',
      zone: slot.zone,
      service: slot.member,
      state: service ? 'PENDING' : 'missing',
      ...(volumeId !== undefined ? { volumeId } : {}),
    };
    rows.push(fill(row, tasksOf(slot.member)[0], observed));
  }
  const secondaries = secondaryServiceName(name);
  const secTasks = tasksOf(secondaries);
  for (let i = 0; i < cluster.spec.secondaries.count; i++) {
    const member = `${name}-secondary-${i + 1}`;
    const volumeId = volumeOf(member);
    const row: MemberStatus = {
      name: member,
      role: 'secondary',
      service: secondaries,
      state: observed.services[secondaries] ? 'PENDING' : 'missing',
      ...(volumeId !== undefined ? { volumeId } : {}),
    };
    rows.push(fill(row, secTasks[i], observed));
  }
  return rows;
}

/** Members whose task is RUNNING. */
export function membersUp(rows: readonly MemberStatus[]): number {
  return rows.filter((r) => r.state === 'RUNNING').length;
}
