import { FatalError, RetryableError, WaitError } from '../../src/model/errors.js';
import type { ReconcileContext, Reconciler } from '../../src/reconcilers/types.js';
import { parseStatus } from '../../src/controller/status.js';
import { clusterYaml, invalidClusterYaml } from './fixtures.js';
import { harness, world } from './harness.js';
import type { Harness } from './harness.js';
import { flush } from './helpers.js';

function recording(
  fn: (ctx: ReconcileContext, n: number) => Promise<void> | void = () => undefined,
): Reconciler & { calls: ReconcileContext[] } {
  const calls: ReconcileContext[] = [];
  return {
    name: 'fake',
    calls,
    async reconcile(ctx) {
      calls.push(ctx);
      await fn(ctx, calls.length);
      return { actions: [], drift: 0, holds: [] };
    },
  };
}

/** Awaits a pass and lets the queue settle its outcome. */
async function done<T>(p: Promise<T>): Promise<T> {
  const r = await p;
  await flush();
  return r;
}

const statusOf = (h: Harness, name: string) =>
  parseStatus(h.store.body('bkt', `p/status/${name}.json`) ?? '');
const reasons = (h: Harness) => h.sink.events.map((e) => `${e.cluster}:${e.reason}`);

describe('Controller', () => {
  let h: ReturnType<typeof harness> | undefined;
  afterEach(async () => {
    await h?.controller.stop(1000);
    h?.cleanup();
    h = undefined;
  });

  it('applies a revision: lease, observation, reconcilers, status in S3 and events', async () => {
    const r = recording();
    h = harness({ reconcilers: [r] });
    h.write(clusterYaml('alpha'));
    const next = h.controller.nextPass('alpha');
    await h.controller.pollOnce();
    const pass = await done(next);
    expect(pass).toMatchObject({
      cluster: 'alpha',
      result: 'success',
      lease: { held: true, generation: 1 },
      statusWritten: true,
    });
    expect(pass.outcome).toEqual({ kind: 'done', requeueAfterMs: 60_000 });
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]?.generation).toBe(1);
    expect(h.observed[0]?.[0]).toMatchObject({
      name: 'alpha',
      ecsCluster: 'neo4j-minimal',
      logGroup: '/neo4j-ecs/alpha',
    });
    expect(h.observed[0]?.[0]?.services).toEqual(['alpha-primary-1', 'alpha-primary-2', 'alpha-primary-3']);
    const status = statusOf(h, 'alpha');
    expect(status).toMatchObject({
      cluster: 'alpha',
      phase: 'Ready',
      observedGeneration: 1,
      lastAttemptedRevision: pass.revision,
      lastAppliedRevision: pass.revision,
      lease: { holder: 'ctl-a', generation: 1 },
    });
    expect(status?.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Ready=True/ReconciliationSucceeded',
      'Progressing=False/ReconciliationSucceeded',
      'Degraded=False/AsExpected',
    ]);
    expect(status?.members.map((m) => [m.name, m.zone, m.state])).toEqual([
      ['alpha-primary-1', 'us-east-1a', 'missing'],
      ['alpha-primary-2', 'us-east-1b', 'missing'],
      ['alpha-primary-3', 'us-east-1c', 'missing'],
    ]);
    expect(h.store.objects.get('bkt/p/status/alpha.json')?.metadata).toEqual({
      holder: 'ctl-a',
      generation: '1',
    });
    expect(reasons(h)).toEqual(['alpha:NewRevision', 'alpha:LeaseAcquired', 'alpha:ReconciliationSucceeded']);
  });

  it('writes status only when it changes', async () => {
    h = harness({ reconcilers: [recording()] });
    h.write(clusterYaml('alpha'));
    let next = h.controller.nextPass('alpha');
    await h.controller.pollOnce();
    await done(next);
    next = h.controller.nextPass('alpha');
    await h.vc.advance(60_000);
    const second = await done(next);
    expect(second.statusWritten).toBe(false);
    expect(h.store.calls.filter((c) => c.op === 'put' && c.key === 'p/status/alpha.json')).toHaveLength(1);
  });

  it('keeps the last valid revision in force for an invalid one, and status tells both revisions apart', async () => {
    const r = recording();
    h = harness({ reconcilers: [r] });
    h.write(clusterYaml('alpha'));
    let next = h.controller.nextPass('alpha');
    await h.controller.pollOnce();
    const good = (await done(next)).revision;
    h.write(invalidClusterYaml('alpha'));
    next = h.controller.nextPass('alpha');
    await h.controller.pollOnce();
    const pass = await done(next);
    expect(pass.revision).toBe(good);
    expect(r.calls.at(-1)?.revision).toBe(good);
    expect(r.calls.at(-1)?.cluster.spec.primaries.count).toBe(3);
    const invalid = h.sink.events.find((e) => e.reason === 'InvalidRevision');
    const bad = h.controller.desired.attempted('alpha')?.revision as string;
    expect(invalid).toMatchObject({ cluster: 'alpha', type: 'Warning', revision: bad });
    expect(invalid?.message).toContain(bad);
    const status = statusOf(h, 'alpha');
    expect(status).toMatchObject({
      phase: 'Degraded',
      lastAttemptedRevision: bad,
      lastAppliedRevision: good,
    });
    expect(status?.conditions.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'InvalidRevision',
    });
  });

  it('reports a cluster that never had a valid revision as Invalid, without reconciling it', async () => {
    const r = recording();
    h = harness({ reconcilers: [r] });
    h.write(invalidClusterYaml('alpha'));
    const next = h.controller.nextPass('alpha');
    await h.controller.pollOnce();
    const pass = await done(next);
    expect(pass.outcome).toEqual({ kind: 'stop' });
    expect(r.calls).toHaveLength(0);
    expect(statusOf(h, 'alpha')).toMatchObject({ phase: 'Invalid' });
  });

  it('maps errors to what happens next: retry with backoff, wait without, fatal stops', async () => {
    const errors = [
      new RetryableError('Flaky', 'try again'),
      new RetryableError('Flaky', 'try again'),
      new WaitError('VolumeAttaching', 'volume vol-1 is attaching', 7000, { member: 'alpha-primary-1' }),
      new FatalError('QuorumAtRisk', 'acting would lose quorum'),
    ];
    const r = recording(() => {
      const e = errors.shift();
      if (e) throw e;
    });
    h = harness({ reconcilers: [r] });
    h.write(clusterYaml('alpha'));
    let next = h.controller.nextPass('alpha');
    await h.controller.pollOnce();
    expect((await done(next)).outcome).toEqual({ kind: 'retry' });
    expect(h.controller.queue.dueAt('alpha')).toBe(h.vc.now() + 1000);
    next = h.controller.nextPass('alpha');
    await h.vc.advance(1000);
    expect((await done(next)).outcome).toEqual({ kind: 'retry' });
    expect(h.controller.queue.dueAt('alpha')).toBe(h.vc.now() + 2000);
    next = h.controller.nextPass('alpha');
    await h.vc.advance(2000);
    const waited = await done(next);
    expect(waited.outcome).toEqual({ kind: 'wait', requeueAfterMs: 7000 });
    expect(waited.result).toBe('requeue_after');
    expect(h.sink.events.find((e) => e.reason === 'VolumeAttaching')).toMatchObject({
      type: 'Normal',
      member: 'alpha-primary-1',
    });
    next = h.controller.nextPass('alpha');
    await h.vc.advance(7000);
    const fatal = await done(next);
    expect(fatal.outcome).toEqual({ kind: 'stop' });
    expect(statusOf(h, 'alpha')).toMatchObject({
      phase: 'Failed',
      lastError: { kind: 'fatal', reason: 'QuorumAtRisk' },
    });
    expect(h.controller.queue.dueAt('alpha')).toBeUndefined();
    const flaky = h.sink.events.filter((e) => e.reason === 'Flaky');
    expect(flaky.at(-1)?.type).toBe('Warning');
    expect(flaky.at(-1)?.message).toContain('revision');
  });

  it('lets only the lease holder act when two controllers share a bucket, and the other takes over after the TTL', async () => {
    const a = recording();
    const b = recording();
    h = harness({ reconcilers: [a], holderId: 'ctl-a' });
    const other = harness({
      reconcilers: [b],
      holderId: 'ctl-b',
      store: h.store,
      clock: {
        vc: h.vc,
        clock: {
          now: () => h!.vc.now(),
          setTimer: (fn, ms) => {
            const t = h!.vc.setTimeout(fn, ms);
            return { cancel: () => h!.vc.clearTimeout(t) };
          },
        },
      },
      dir: h.dir,
    });
    try {
      h.write(clusterYaml('alpha'));
      const pa = h.controller.nextPass('alpha');
      await h.controller.pollOnce();
      await done(pa);
      const pb = other.controller.nextPass('alpha');
      await other.controller.pollOnce();
      const passB = await done(pb);
      expect(passB.lease).toMatchObject({ held: false, holder: 'ctl-a' });
      expect(passB.outcome.kind).toBe('wait');
      expect(b.calls).toHaveLength(0);
      // a stops without releasing (killed): b takes over after the TTL
      await h.controller.queue.shutDown(0);
      let passes = 0;
      for (let i = 0; i < 10 && b.calls.length === 0; i++) {
        await h.vc.advance(5000);
        await flush();
        passes++;
      }
      expect(b.calls.length).toBeGreaterThan(0);
      expect(b.calls[0]?.generation).toBe(2);
      expect(h.vc.now()).toBeGreaterThanOrEqual(15_000);
      expect(statusOf(h, 'alpha')?.lease).toEqual({ holder: 'ctl-b', generation: 2 });
      expect(other.sink.events.some((e) => e.reason === 'LeaseAcquired' && e.generation === 2)).toBe(true);
      expect(a.calls).toHaveLength(1);
      expect(passes).toBeGreaterThan(1);
    } finally {
      await other.controller.stop(1000);
    }
  });

  it('releases its leases and flushes on stop', async () => {
    h = harness({ reconcilers: [recording()] });
    h.write(`${clusterYaml('alpha')}\n---\n${clusterYaml('beta')}`);
    const both = Promise.all([h.controller.nextPass('alpha'), h.controller.nextPass('beta')]);
    await h.controller.pollOnce();
    await done(both);
    const report = await h.controller.stop(2000);
    expect(report).toMatchObject({ released: ['alpha', 'beta'], abandoned: [], timedOut: false });
    const lease = JSON.parse(h.store.body('bkt', 'p/leases/alpha.json') ?? '{}') as { holder: unknown };
    expect(lease.holder).toBeNull();
    expect(h.sink.events.filter((e) => e.reason === 'LeaseReleased').map((e) => e.cluster)).toEqual([
      'alpha',
      'beta',
    ]);
    expect(h.controller.ready()).toBe(false);
  });

  it('observes the clusters of one pass group in one batched observation', async () => {
    h = harness({ reconcilers: [recording()] });
    h.write(['alpha', 'beta', 'gamma'].map((n) => clusterYaml(n)).join('\n---\n'));
    const all = Promise.all(['alpha', 'beta', 'gamma'].map((n) => h!.controller.nextPass(n)));
    await h.controller.pollOnce();
    const passes = await done(all);
    expect(h.observed).toHaveLength(1);
    expect(h.observed[0]?.map((t) => t.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(passes.map((p) => p.observation?.groupSize)).toEqual([3, 3, 3]);
  });

  it('says Degraded with the reason when a plan is blocked', async () => {
    h = harness({ observe: (t) => world(t.name, { ecsClusterFound: false }) });
    // The real log-group concern: blocked on the missing ECS cluster.
    const { planLogGroup } = await import('../../src/reconcilers/log-group/plan.js');
    const { runPlan } = await import('../../src/reconcilers/run.js');
    const blocked: Reconciler = {
      name: 'lg',
      reconcile: (ctx) => runPlan(ctx, planLogGroup(ctx.cluster, ctx.observed), () => Promise.resolve()),
    };
    (h.controller as unknown as { o: { reconcilers: Reconciler[] } }).o.reconcilers.push(blocked);
    h.write(clusterYaml('alpha'));
    const next = h.controller.nextPass('alpha');
    await h.controller.pollOnce();
    const pass = await done(next);
    expect(pass.outcome).toEqual({ kind: 'done', requeueAfterMs: 60_000 });
    expect(statusOf(h, 'alpha')).toMatchObject({ phase: 'Degraded' });
    expect(statusOf(h, 'alpha')?.conditions[2]).toMatchObject({
      type: 'Degraded',
      status: 'True',
      reason: 'EcsClusterNotFound',
    });
    expect(h.sink.events.find((e) => e.reason === 'EcsClusterNotFound')?.type).toBe('Warning');
  });

  it('reports health figures from the observation: members up from ECS tasks, or Neo4j once observed', async () => {
    h = harness({
      reconcilers: [recording()],
      observe: (t) =>
        world(t.name, {
          tasks: [
            {
              taskArn: 'arn:t/1',
              group: `service:${t.name}-primary-1`,
              lastStatus: 'RUNNING',
              desiredStatus: 'RUNNING',
              taskDefinitionArn: 'td:1',
            },
          ],
          ...(t.name === 'beta' ? { neo4j: { membersUp: 3, databasesWithLeader: 2, databases: 3 } } : {}),
        }),
    });
    h.write(`${clusterYaml('alpha')}\n---\n${clusterYaml('beta')}`);
    const both = Promise.all([h.controller.nextPass('alpha'), h.controller.nextPass('beta')]);
    await h.controller.pollOnce();
    const [alpha, beta] = await done(both);
    expect(alpha.health).toEqual({ membersUp: 1 });
    expect(beta.health).toEqual({ membersUp: 3, databasesWithLeader: 2 });
    const text = await h.metrics.text();
    expect(text).toContain('neo4j_ecs_members_up{cluster="alpha"} 1');
    expect(text).toContain('neo4j_ecs_databases_with_leader{cluster="beta"} 2');
  });
});
