/** The log-group concern: plan (pure) and its executor. */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { createLogGroup } from '../../aws/log-groups.js';
import { runPlan } from '../run.js';
import type { Reconciler } from '../types.js';
import { planLogGroup } from './plan.js';

export { logGroupName, planLogGroup } from './plan.js';
export type { CreateLogGroup, LogGroupAction } from './plan.js';

export function logGroupReconciler(logs: CloudWatchLogsClient): Reconciler {
  return {
    name: 'log-group',
    reconcile: (ctx) =>
      runPlan(ctx, planLogGroup(ctx.cluster, ctx.observed), async (action, signal) => {
        await createLogGroup(logs, action.logGroup, action.tags, signal);
      }),
  };
}
