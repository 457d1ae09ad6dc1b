/**
 * The roll (docs/roll.md), run inside the topology concern after the services, capacity and membership
 * planners: `planRoll` (pure) through `runPlan`, with one executor per action — RestartMember is an
 * UpdateService of the member's service to the new task definition, MoveLeaderships / ClearReadOnly a
 * `dbms.setConfigValue` on the member (src/reconcilers/leadership-executor.ts).
 *
 * The runner keeps two timers in memory, per cluster, on the injected clock: since when a member has
 * been read-only (the leadership-transfer bound) and since when the last step settled
 * (pauseBetweenSteps). A restarted controller starts both again: it waits longer, never less.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import * as exec from '../../aws/topology-executors.js';
import type { ObservedCluster } from '../../model/observed.js';
import { primaryPlacement } from '../../model/placement.js';
import type { SecretReader } from '../../neo4j/secrets.js';
import { executeLeadershipAction } from '../leadership-executor.js';
import { drainingMembers } from '../drain/index.js';
import { isLocated, memberServer } from '../leadership.js';
import { runPlan } from '../run.js';
import type { ReconcileContext, ReconcileResult } from '../types.js';
import { planRoll, targetRevisions } from './plan.js';

export { planRoll, targetRevisions } from './plan.js';
export type { RestartMember, RollAction, RollPlan, RollProgress, RollView } from './plan.js';
export { planVersionGuard } from './version-guard.js';
export { restartParts } from './needs-restart.js';
export type { RestartPart } from './needs-restart.js';

export interface RollDeps {
  ecs: ECSClient;
  /** Reads the credentials secret for MoveLeaderships / ClearReadOnly. */
  secrets?: SecretReader;
  onSecret?: (value: string) => void;
  /** Bound on each Bolt call. Default 3000 ms. */
  probeTimeoutMs?: number;
}

const STEP_IN_FLIGHT = new Set(['MemberRestarting', 'SecondariesRolling']);

export interface RollRunner {
  run(
    ctx: ReconcileContext,
    observed: ObservedCluster,
    contentOf: (arn: string) => unknown,
  ): Promise<ReconcileResult>;
}

export function rollRunner(deps: RollDeps): RollRunner {
  /** `<cluster>/<member>@<target>` → when the roll first saw the member read-only. */
  const readOnlySince = new Map<string, number>();
  /** cluster → when the roll first saw no step in flight (for pauseBetweenSteps). */
  const settledSince = new Map<string, number>();
  return {
    async run(ctx, observed, contentOf) {
      const cluster = ctx.cluster;
      const name = cluster.metadata.name;
      const now = ctx.clock.now();
      const members = primaryPlacement(cluster).map((s) => s.member);
      const targets = targetRevisions(cluster, observed);
      const transferElapsedMs: Record<string, number> = {};
      for (const member of members) {
        const key = `${name}/${member}@${targets.get(member) ?? ''}`;
        const at = memberServer(observed, member);
        if (isLocated(at) && at.view.readOnly === true) {
          const since = readOnlySince.get(key) ?? now;
          readOnlySince.set(key, since);
          transferElapsedMs[member] = now - since;
        } else readOnlySince.delete(key);
      }
      if (readOnlySince.size > 10_000) readOnlySince.clear();
      const since = settledSince.get(name);
      const plan = planRoll(cluster, observed, {
        transferElapsedMs,
        ...(since !== undefined ? { settledForMs: now - since } : {}),
        contentOf,
        leaving: drainingMembers(cluster, observed),
      });
      const restarts = plan.steps.some((s) => s.kind === 'act' && s.type === 'RestartMember');
      if (!plan.view.active || restarts || STEP_IN_FLIGHT.has(plan.view.waiting?.reason ?? ''))
        settledSince.delete(name);
      else if (since === undefined) settledSince.set(name, now);

      const result = await runPlan(ctx, plan.steps, async (a, signal) => {
        if (a.type === 'RestartMember')
          await exec.updateService(
            deps.ecs,
            cluster.spec.ecs.cluster,
            a.service,
            { taskDefinition: a.taskDefinition, ...a.network },
            signal,
          );
        else await executeLeadershipAction(deps, cluster.spec.credentials.secretArn, a);
      });
      return plan.view.active ? { ...result, roll: plan.view } : result;
    },
  };
}
export { previewRoll } from './preview.js';
export type { RollPreview } from './preview.js';
