/**
 * The first concern, a small one that shows the shape every concern follows: the cluster's CloudWatch
 * Logs group (spec.observability.logGroup, default `/neo4j-ecs/<name>`) must exist, tagged as the
 * operator's, before members can ship logs to it. And nothing runs without the ECS cluster the spec
 * names (the infrastructure template creates it; the operator does not): if it is missing, the plan
 * is blocked and says so.
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import { MANAGED_BY, TAGS } from '../../model/observed.js';
import type { Action, Step } from '../types.js';

export interface CreateLogGroup extends Action {
  type: 'CreateLogGroup';
  logGroup: string;
  tags: Record<string, string>;
}

export type LogGroupAction = CreateLogGroup;

/** How long to wait before looking for a missing ECS cluster again. */
export const ECS_CLUSTER_RECHECK_MS = 60_000;

export function logGroupName(cluster: Neo4jCluster): string {
  return cluster.spec.observability.logGroup ?? `/neo4j-ecs/${cluster.metadata.name}`;
}

export function planLogGroup(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'logGroup' | 'ecsClusterFound'>,
): Step<LogGroupAction>[] {
  const steps: Step<LogGroupAction>[] = [];
  const name = logGroupName(desired);
  if (observed.logGroup === null)
    steps.push({
      kind: 'act',
      type: 'CreateLogGroup',
      reason: 'LogGroupMissing',
      message: `log group ${name} does not exist: creating it`,
      logGroup: name,
      tags: { [TAGS.managedBy]: MANAGED_BY, [TAGS.cluster]: desired.metadata.name },
    });
  if (!observed.ecsClusterFound)
    steps.push({
      kind: 'blocked',
      reason: 'EcsClusterNotFound',
      message: `ECS cluster ${desired.spec.ecs.cluster} does not exist; the infrastructure template creates it, the operator does not`,
      requeueAfterMs: ECS_CLUSTER_RECHECK_MS,
    });
  return steps;
}
