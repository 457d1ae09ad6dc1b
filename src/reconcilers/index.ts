/** The concerns the loop runs, in order: the log group, then the topology (issue 6). Rolling restarts come with issue 7. */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { logGroupReconciler } from './log-group/index.js';
import type { TopologyDeps } from './topology/index.js';
import { topologyReconciler } from './topology/index.js';
import type { Reconciler } from './types.js';

export type * from './types.js';
export { mergeResults, runPlan } from './run.js';
export { memberServices, memberStatuses, membersUp } from './members.js';
export { logGroupName, planLogGroup } from './log-group/index.js';

export { topologyReconciler } from './topology/index.js';
export type { TopologyDeps } from './topology/index.js';

/**
 * The log group first, then the topology (volumes, placement, task definitions, services, capacity,
 * membership). The topology concern runs only when the EC2, ECS and Auto Scaling clients are given.
 */
export function defaultReconcilers(
  clients: {
    logs: CloudWatchLogsClient;
    ecs?: ECSClient;
    ec2?: EC2Client;
    autoscaling?: AutoScalingClient;
    servicediscovery?: ServiceDiscoveryClient;
  },
  topology: Omit<TopologyDeps, 'ecs' | 'ec2' | 'autoscaling' | 'servicediscovery'> = {},
): Reconciler[] {
  const out = [logGroupReconciler(clients.logs)];
  if (clients.ecs && clients.ec2 && clients.autoscaling)
    out.push(
      topologyReconciler({
        ecs: clients.ecs,
        ec2: clients.ec2,
        autoscaling: clients.autoscaling,
        ...(clients.servicediscovery ? { servicediscovery: clients.servicediscovery } : {}),
        ...topology,
      }),
    );
  return out;
}
