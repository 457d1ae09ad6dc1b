/**
 * The drain runner (src/reconcilers/drain/run.ts) with fake AWS clients: heartbeats paced on the
 * injected clock, a failing heartbeat gives a Warning (the drain goes on) and the seconds-left figure
 * stops moving forward, the hook completed once the instance holds nothing; and the controller metric
 * that carries those figures.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { ControllerMetrics } from '../../../src/controller/metrics.js';
import type { Clock } from '../../../src/controller/clock.js';
import type { ObservedCluster } from '../../../src/model/observed.js';
import { drainRunner } from '../../../src/reconcilers/drain/run.js';
import type { ReconcileContext } from '../../../src/reconcilers/types.js';
import { asg, cluster, instance, world } from '../topology/fixtures.js';

const SEC_ASG = 'neo4j-minimal-secondaries';
const c = cluster((s) => {
  s['secondaries'] = { count: 1 };
  (s['capacity'] as Record<string, unknown>)['secondaryAutoScalingGroup'] = SEC_ASG;
});

function secWorld(tasks: number): ObservedCluster {
  const w = world();
  w.topology!.asgs[SEC_ASG] = asg(SEC_ASG, 'us-east-1b', [{ id: 'i-s1', state: 'Terminating:Wait' }]);
  w.topology!.instances.push(instance('i-s1', 'us-east-1b', {}, 'DRAINING'));
  for (let k = 0; k < tasks; k++)
    w.tasks.push({
      taskArn: `t${k}`,
      group: 'service:graph-minimal-secondaries',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      taskDefinitionArn: 'td',
      containerInstanceArn: 'arn:ci/i-s1',
    });
  return w;
}

function harness(failHeartbeat: () => boolean) {
  let now = 1_000_000;
  const clock: Clock = { now: () => now, setTimer: () => ({ cancel: () => undefined }) };
  const sent: string[] = [];
  const autoscaling = {
    send: (cmd: { constructor: { name: string } }) => {
      const name = cmd.constructor.name.replace(/Command$/, '');
      sent.push(name);
      if (name === 'RecordLifecycleActionHeartbeat' && failHeartbeat())
        return Promise.reject(new Error('Throttling: Rate exceeded'));
      return Promise.resolve({});
    },
  } as unknown as AutoScalingClient;
  const events: string[] = [];
  const run = drainRunner({ ecs: {} as ECSClient, autoscaling });
  const pass = (observed: ObservedCluster) => {
    const ctx = {
      name: c.metadata.name,
      cluster: c,
      revision: 'r1',
      observed,
      clock,
      events: {
        normal: (reason: string) => events.push(`Normal ${reason}`),
        warning: (reason: string) => events.push(`Warning ${reason}`),
      },
      signal: new AbortController().signal,
      generation: 1,
      assertLease: () => undefined,
    } as ReconcileContext;
    return run(ctx, c, observed);
  };
  return { pass, sent, events, advance: (ms: number) => (now += ms) };
}

it('heartbeats at first sight and every heartbeatTimeout / 3, then completes once the instance holds nothing', async () => {
  const h = harness(() => false);
  const first = await h.pass(secWorld(1));
  expect(h.sent).toEqual(['RecordLifecycleActionHeartbeat']);
  expect(h.events).toContain('Normal DrainStarted');
  expect(first.lifecycleHooks).toEqual([
    { instanceId: 'i-s1', autoScalingGroupName: SEC_ASG, secondsLeft: 300 },
  ]);
  h.advance(60_000);
  const second = await h.pass(secWorld(1));
  expect(h.sent).toEqual(['RecordLifecycleActionHeartbeat']);
  expect(second.lifecycleHooks?.[0]?.secondsLeft).toBe(240);
  h.advance(40_000);
  await h.pass(secWorld(1));
  expect(h.sent).toEqual(['RecordLifecycleActionHeartbeat', 'RecordLifecycleActionHeartbeat']);
  const done = await h.pass(secWorld(0));
  expect(h.sent.at(-1)).toBe('CompleteLifecycleAction');
  expect(done.lifecycleHooks).toBeUndefined();
});

it('goes on when a heartbeat fails, with a Warning, and warns before the hook times out', async () => {
  const h = harness(() => true);
  const first = await h.pass(secWorld(1));
  expect(h.events).toContain('Warning LifecycleHeartbeatFailed');
  expect(first.actions.map((a) => a.type)).toEqual(['RecordLifecycleActionHeartbeat']);
  expect(first.holds.map((x) => x.reason)).toEqual(['SecondariesDraining']);
  h.advance(200_000);
  const later = await h.pass(secWorld(1));
  expect(later.lifecycleHooks?.[0]?.secondsLeft).toBe(100);
  expect(later.holds.map((x) => x.reason)).toContain('LifecycleHookNearTimeout');
  expect(h.events).toContain('Warning LifecycleHookNearTimeout');
});

it('exports the seconds left per instance being drained, and forgets instances no longer waiting', async () => {
  const clock = { now: () => 0, setTimer: () => ({ cancel: () => undefined }) } as unknown as Clock;
  const m = new ControllerMetrics({ clock, namespace: 'Neo4jEcs', processMetrics: false });
  const base = { cluster: 'g', result: 'success' as const, durationMs: 1, actions: 0, drift: 0, awsCalls: 0 };
  m.pass({ ...base, lifecycleHooks: [{ instanceId: 'i-1', autoScalingGroupName: 'a', secondsLeft: 120 }] });
  expect(await m.text()).toContain(
    'neo4j_ecs_lifecycle_hook_seconds_left{cluster="g",instance="i-1",asg="a"} 120',
  );
  m.pass({ ...base, lifecycleHooks: [] });
  expect(await m.text()).not.toContain('instance="i-1"');
});
