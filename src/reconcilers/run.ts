/**
 * Runs a plan: steps in order; an event for each (actions Normal with the lease generation, waits
 * Normal, blocked and refused Warning); the lease checked before each action; a `wait` or `blocked`
 * hold stops the rest of the plan and sets when to look again. A failing executor gets an
 * `ActionFailed` Warning event naming the action, and its error goes up to the loop.
 */
import type { ObservedNeo4j } from '../model/observed.js';
import type { RollStatus } from '../model/status.js';
import type { Action, ExecutedAction, ReconcileContext, ReconcileResult, Step } from './types.js';

export async function runPlan<A extends Action>(
  ctx: ReconcileContext,
  steps: readonly Step<A>[],
  execute: (action: A, signal: AbortSignal) => Promise<void>,
): Promise<ReconcileResult> {
  const result: ReconcileResult = {
    actions: [],
    drift: steps.filter((s) => s.kind === 'act').length,
    holds: [],
  };
  for (const step of steps) {
    if (step.kind !== 'act') {
      const extra = step.member !== undefined ? { member: step.member } : {};
      if (step.kind === 'wait') ctx.events.normal(step.reason, step.message, extra);
      else ctx.events.warning(step.reason, step.message, extra);
      result.holds.push(step);
      if (step.requeueAfterMs !== undefined)
        result.requeueAfterMs = Math.min(
          result.requeueAfterMs ?? Number.POSITIVE_INFINITY,
          step.requeueAfterMs,
        );
      if (step.kind === 'refused') continue;
      break;
    }
    ctx.signal.throwIfAborted();
    ctx.assertLease();
    const extra = {
      action: step.type,
      generation: ctx.generation,
      ...(step.member !== undefined ? { member: step.member } : {}),
    };
    ctx.events.normal(step.reason, step.message, extra);
    try {
      await execute(step, ctx.signal);
    } catch (e) {
      ctx.events.warning(
        'ActionFailed',
        `${step.type} failed: ${e instanceof Error ? e.message : String(e)}`,
        extra,
      );
      throw e;
    }
    const done: ExecutedAction = { type: step.type, reason: step.reason };
    if (step.member !== undefined) done.member = step.member;
    result.actions.push(done);
  }
  return result;
}

/** Adds one concern's result into the pass's. */
export function mergeResults(a: ReconcileResult, b: ReconcileResult): ReconcileResult {
  const requeue = [a.requeueAfterMs, b.requeueAfterMs].filter((x): x is number => x !== undefined);
  return {
    actions: [...a.actions, ...b.actions],
    drift: a.drift + b.drift,
    holds: [...a.holds, ...b.holds],
    ...(requeue.length > 0 ? { requeueAfterMs: Math.min(...requeue) } : {}),
    ...((b.neo4j ?? a.neo4j) ? { neo4j: (b.neo4j ?? a.neo4j) as ObservedNeo4j } : {}),
    ...((b.roll ?? a.roll) ? { roll: (b.roll ?? a.roll) as RollStatus } : {}),
    ...(a.lifecycleHooks || b.lifecycleHooks
      ? { lifecycleHooks: [...(a.lifecycleHooks ?? []), ...(b.lifecycleHooks ?? [])] }
      : {}),
  };
}
