/**
 * Runs the drain plan inside the topology concern (after services, before capacity): one thin executor
 * per action, and what the drain remembers between passes on the injected clock — per instance in
 * Terminating:Wait, when it was first seen, the last successful heartbeat and when a leadership move
 * began. That memory only paces heartbeats and bounds; a restarted controller heartbeats at first sight
 * and starts the bounds afresh (docs/drain.md).
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { ECSClient } from '@aws-sdk/client-ecs';
import * as exec from '../../aws/topology-executors.js';
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import type { SecretReader } from '../../neo4j/secrets.js';
import { executeLeadershipAction } from '../leadership-executor.js';
import { runPlan } from '../run.js';
import type { ReconcileContext, ReconcileResult } from '../types.js';
import type { DrainAction, HookTrack } from './plan.js';
import { planDrain } from './plan.js';

export interface DrainDeps {
  ecs: ECSClient;
  autoscaling: AutoScalingClient;
  secrets?: SecretReader;
  onSecret?: (value: string) => void;
  probeTimeoutMs?: number;
}

/** CompleteLifecycleAction / heartbeat of an instance whose action is already over (completed, timed out). */
function noActiveAction(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; message?: string };
  return (
    (err.name === 'ValidationError' || err.Code === 'ValidationError') &&
    /No active Lifecycle Action/i.test(err.message ?? '')
  );
}

export function drainRunner(
  deps: DrainDeps,
): (ctx: ReconcileContext, cluster: Neo4jCluster, observed: ObservedCluster) => Promise<ReconcileResult> {
  /** `<cluster>/<instance id>` → what this controller remembers of that wait. */
  const tracks = new Map<string, HookTrack>();
  return async (ctx, cluster, observed) => {
    const now = ctx.clock.now();
    const key = (id: string): string => `${cluster.metadata.name}/${id}`;
    const mine = new Map<string, HookTrack>();
    for (const [k, t] of tracks)
      if (k.startsWith(`${cluster.metadata.name}/`)) mine.set(k.slice(cluster.metadata.name.length + 1), t);
    const plan = planDrain(cluster, observed, { now, hooks: mine });
    // Remember the waits seen now; forget the others (completed, terminated, or back in service).
    const seen = new Set(plan.instances.map((v) => v.instanceId));
    for (const id of mine.keys()) if (!seen.has(id)) tracks.delete(key(id));
    for (const v of plan.instances) {
      if (v.completing) continue;
      let t = tracks.get(key(v.instanceId));
      if (!t) {
        t = { firstSeenAt: now };
        tracks.set(key(v.instanceId), t);
        const what = [
          ...(v.primaries.length > 0 ? [`primaries ${v.primaries.join(', ')}`] : []),
          ...(v.secondaries > 0 ? [`${v.secondaries} secondaries' task(s)`] : []),
        ].join(' and ');
        ctx.events.normal(
          'DrainStarted',
          `${v.instanceId} of ${v.autoScalingGroupName} waits on the ${cluster.spec.drain.lifecycleHookName} hook and hosts ${what}: ${
            v.urgent ? 'urgent drain (spot interruption or ECS draining it)' : 'planned drain'
          }`,
        );
      }
      if (v.moving && t.moveStartedAt === undefined) t.moveStartedAt = now;
    }
    const ecsCluster = cluster.spec.ecs.cluster;
    const s = ctx.signal;
    const result = await runPlan<DrainAction>(ctx, plan.steps, async (a) => {
      switch (a.type) {
        case 'CompleteLifecycleAction':
          try {
            await exec.completeLifecycleAction(deps.autoscaling, a, s);
          } catch (e) {
            if (!noActiveAction(e)) throw e;
            ctx.events.normal(
              'LifecycleActionGone',
              `${a.instanceId} no longer waits on ${a.lifecycleHookName}`,
            );
          }
          tracks.delete(key(a.instanceId));
          return;
        case 'RecordLifecycleActionHeartbeat':
          try {
            await exec.recordLifecycleActionHeartbeat(deps.autoscaling, a, s);
            const t = tracks.get(key(a.instanceId));
            if (t) t.lastHeartbeatAt = now;
          } catch (e) {
            if (s.aborted) throw e;
            // The drain goes on; the deadline of the hook then comes closer (LifecycleHookNearTimeout).
            ctx.events.warning(
              'LifecycleHeartbeatFailed',
              `heartbeat on ${a.lifecycleHookName} for ${a.instanceId} failed: ${e instanceof Error ? e.message : String(e)}; the hook ABANDONs at its deadline unless a later heartbeat succeeds`,
            );
          }
          return;
        case 'UpdateContainerInstancesState':
          await exec.updateContainerInstancesState(deps.ecs, ecsCluster, a, s);
          return;
        case 'UpdateService':
          await exec.updateService(deps.ecs, ecsCluster, a.service, a.changes, s);
          return;
        case 'MoveLeaderships':
        case 'ClearReadOnly':
          await executeLeadershipAction(deps, cluster.spec.credentials.secretArn, a);
          return;
      }
    });
    const waiting = plan.instances.filter((v) => !v.completing);
    if (waiting.length > 0)
      result.lifecycleHooks = waiting.map((v) => {
        const t = tracks.get(key(v.instanceId));
        const beat = !v.heartbeat || t?.lastHeartbeatAt === now;
        const deadline = beat ? v.deadlineAt : v.deadlineUnlessHeartbeatAt;
        return {
          instanceId: v.instanceId,
          autoScalingGroupName: v.autoScalingGroupName,
          secondsLeft: Math.max(0, Math.round((deadline - now) / 1000)),
        };
      });
    return result;
  };
}
