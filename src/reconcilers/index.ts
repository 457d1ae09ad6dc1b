/** The concerns the loop runs, in order. Issue 6 adds volumes, services, capacity and rolling restarts. */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { logGroupReconciler } from './log-group/index.js';
import type { Reconciler } from './types.js';

export type * from './types.js';
export { mergeResults, runPlan } from './run.js';
export { memberServices, memberStatuses, membersUp } from './members.js';
export { logGroupName, planLogGroup } from './log-group/index.js';

export function defaultReconcilers(clients: { logs: CloudWatchLogsClient }): Reconciler[] {
  return [logGroupReconciler(clients.logs)];
}
