import { parseClusterText } from '../../src/model/index.js';
import type { Neo4jCluster } from '../../src/model/index.js';
import type { ObservedCluster } from '../../src/model/observed.js';
import { RetryableError } from '../../src/model/errors.js';
import { ECS_CLUSTER_RECHECK_MS, logGroupName, planLogGroup } from '../../src/reconcilers/log-group/plan.js';
import { memberServices, memberStatuses, membersUp } from '../../src/reconcilers/members.js';
import { mergeResults, runPlan } from '../../src/reconcilers/run.js';
import type { Action, ReconcileContext, Step } from '../../src/reconcilers/types.js';
import { clusterYaml } from './fixtures.js';
import { world } from './harness.js';
import { manualClock } from './helpers.js';

function cluster(name: string, extra = ''): Neo4jCluster {
  const r = parseClusterText(clusterYaml(name) + extra, 'test.yaml')[0];
  if (!r?.cluster) throw new Error(JSON.stringify(r?.problems));
  return r.cluster;
}

describe('planLogGroup (table)', () => {
  const alpha = cluster('alpha');
  const custom = cluster('beta', '  observability:\n    logGroup: /custom/beta\n');
  const cases: {
    name: string;
    desired: Neo4jCluster;
    observed: Pick<ObservedCluster, 'logGroup' | 'ecsClusterFound'>;
    want: string[];
  }[] = [
    {
      name: 'everything in place',
      desired: alpha,
      observed: { logGroup: { name: '/neo4j-ecs/alpha' }, ecsClusterFound: true },
      want: [],
    },
    {
      name: 'log group missing',
      desired: alpha,
      observed: { logGroup: null, ecsClusterFound: true },
      want: ['act CreateLogGroup LogGroupMissing /neo4j-ecs/alpha'],
    },
    {
      name: 'custom log group missing',
      desired: custom,
      observed: { logGroup: null, ecsClusterFound: true },
      want: ['act CreateLogGroup LogGroupMissing /custom/beta'],
    },
    {
      name: 'ECS cluster missing',
      desired: alpha,
      observed: { logGroup: { name: '/neo4j-ecs/alpha' }, ecsClusterFound: false },
      want: ['blocked EcsClusterNotFound'],
    },
    {
      name: 'both missing: the log group first, then blocked',
      desired: alpha,
      observed: { logGroup: null, ecsClusterFound: false },
      want: ['act CreateLogGroup LogGroupMissing /neo4j-ecs/alpha', 'blocked EcsClusterNotFound'],
    },
  ];
  it.each(cases)('$name', ({ desired, observed, want }) => {
    const steps = planLogGroup(desired, observed);
    expect(
      steps.map((s) =>
        s.kind === 'act' ? `act ${s.type} ${s.reason} ${s.logGroup}` : `${s.kind} ${s.reason}`,
      ),
    ).toEqual(want);
    for (const s of steps) expect(s.message.length).toBeGreaterThan(10);
  });

  it("tags what it creates as the operator's, for this cluster", () => {
    const [step] = planLogGroup(alpha, { logGroup: null, ecsClusterFound: true });
    expect(step).toMatchObject({
      tags: { 'managed-by': 'neo4j-ecs-operator', 'neo4j-ecs:cluster': 'alpha' },
    });
    expect(logGroupName(custom)).toBe('/custom/beta');
  });

  it('is pure: the same inputs give the same plan', () => {
    const o = { logGroup: null, ecsClusterFound: false };
    expect(planLogGroup(alpha, o)).toEqual(planLogGroup(alpha, o));
    const blocked = planLogGroup(alpha, o)[1];
    expect(blocked).toMatchObject({ kind: 'blocked', requeueAfterMs: ECS_CLUSTER_RECHECK_MS });
  });
});

describe('runPlan', () => {
  function ctx(opts: { leaseHeld?: () => boolean } = {}) {
    const events: string[] = [];
    const { clock } = manualClock();
    const c: ReconcileContext = {
      name: 'alpha',
      cluster: cluster('alpha'),
      revision: 'r1',
      observed: world('alpha'),
      clock,
      signal: new AbortController().signal,
      generation: 7,
      events: {
        normal: (reason, message, extra) =>
          events.push(`Normal ${reason} ${extra?.action ?? ''} ${extra?.generation ?? ''}`.trim()),
        warning: (reason, message, extra) => events.push(`Warning ${reason} ${extra?.action ?? ''}`.trim()),
      },
      assertLease: () => {
        if (opts.leaseHeld && !opts.leaseHeld()) throw new RetryableError('LeaseLost', 'lost');
      },
    };
    return { c, events };
  }
  const act = (type: string): Action => ({
    kind: 'act',
    type,
    reason: `${type}Needed`,
    message: `do ${type}`,
  });

  it('executes actions in order, with an event carrying the generation for each, and stops at a wait', async () => {
    const { c, events } = ctx();
    const done: string[] = [];
    const steps: Step[] = [
      act('First'),
      { kind: 'refused', reason: 'NotOurs', message: 'owned by someone else' },
      act('Second'),
      { kind: 'wait', reason: 'Attaching', message: 'attaching', requeueAfterMs: 5000 },
      act('Third'),
    ];
    const r = await runPlan(c, steps, (a) => {
      done.push(a.type);
      return Promise.resolve();
    });
    expect(done).toEqual(['First', 'Second']);
    expect(r).toMatchObject({
      drift: 3,
      requeueAfterMs: 5000,
      actions: [{ type: 'First' }, { type: 'Second' }],
    });
    expect(r.holds.map((h) => h.reason)).toEqual(['NotOurs', 'Attaching']);
    expect(events).toEqual([
      'Normal FirstNeeded First 7',
      'Warning NotOurs',
      'Normal SecondNeeded Second 7',
      'Normal Attaching',
    ]);
  });

  it('checks the lease before every action and stops when it is lost', async () => {
    let held = 1;
    const { c } = ctx({ leaseHeld: () => held-- > 0 });
    const done: string[] = [];
    await expect(
      runPlan(c, [act('A'), act('B')], (a) => (done.push(a.type), Promise.resolve())),
    ).rejects.toThrow(/lost/);
    expect(done).toEqual(['A']);
  });

  it('reports a failed action with an ActionFailed event and passes the error up', async () => {
    const { c, events } = ctx();
    await expect(runPlan(c, [act('A')], () => Promise.reject(new Error('AccessDenied')))).rejects.toThrow(
      'AccessDenied',
    );
    expect(events).toEqual(['Normal ANeeded A 7', 'Warning ActionFailed A']);
  });

  it('merges results of several concerns', () => {
    expect(
      mergeResults(
        { actions: [{ type: 'A', reason: 'X' }], drift: 1, holds: [], requeueAfterMs: 9000 },
        { actions: [], drift: 2, holds: [], requeueAfterMs: 4000 },
      ),
    ).toEqual({ actions: [{ type: 'A', reason: 'X' }], drift: 3, holds: [], requeueAfterMs: 4000 });
  });
});

describe('member rows (status-only observation)', () => {
  it('lists every desired member, filled from services, tasks, instances and volumes', () => {
    // one secondary needs the secondaries' Auto Scaling group too
    const text = clusterYaml('alpha')
      .replace('  ecs:', '  secondaries:\n    count: 1\n  ecs:')
      .replace(
        '      us-east-1c: neo4j-minimal-primary-c',
        '      us-east-1c: neo4j-minimal-primary-c\n    secondaryAutoScalingGroup: neo4j-minimal-secondary',
      );
    const withSecondary = parseClusterText(text, 't')[0]!.cluster!;
    expect(memberServices(withSecondary)).toEqual([
      'alpha-primary-1',
      'alpha-primary-2',
      'alpha-primary-3',
      'alpha-secondaries',
    ]);
    const observed = world('alpha', {
      services: {
        'alpha-primary-1': {
          name: 'alpha-primary-1',
          status: 'ACTIVE',
          desiredCount: 1,
          runningCount: 1,
          pendingCount: 0,
          taskDefinition: 'td:1',
          deployments: 1,
        },
        'alpha-primary-2': {
          name: 'alpha-primary-2',
          status: 'ACTIVE',
          desiredCount: 1,
          runningCount: 0,
          pendingCount: 1,
          taskDefinition: 'td:1',
          deployments: 1,
        },
      },
      tasks: [
        {
          taskArn: 'arn:task/1',
          group: 'service:alpha-primary-1',
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          taskDefinitionArn: 'td:1',
          containerInstanceArn: 'ci-1',
        },
        {
          taskArn: 'arn:task/9',
          group: 'service:alpha-secondaries',
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          taskDefinitionArn: 'td:2',
          containerInstanceArn: 'ci-1',
          availabilityZone: 'us-east-1b',
        },
      ],
      containerInstances: { 'ci-1': { arn: 'ci-1', ec2InstanceId: 'i-0abc', status: 'ACTIVE' } },
      volumes: [
        {
          volumeId: 'vol-1',
          availabilityZone: 'us-east-1a',
          state: 'in-use',
          sizeGiB: 20,
          type: 'gp3',
          tags: { 'neo4j-ecs:member': 'alpha-primary-1' },
          attachments: [],
        },
      ],
    });
    const rows = memberStatuses(withSecondary, observed);
    expect(rows).toEqual([
      {
        name: 'alpha-primary-1',
        role: 'primary',
        zone: 'us-east-1a',
        service: 'alpha-primary-1',
        state: 'RUNNING',
        volumeId: 'vol-1',
        taskArn: 'arn:task/1',
        instanceId: 'i-0abc',
      },
      {
        name: 'alpha-primary-2',
        role: 'primary',
        zone: 'us-east-1b',
        service: 'alpha-primary-2',
        state: 'PENDING',
      },
      {
        name: 'alpha-primary-3',
        role: 'primary',
        zone: 'us-east-1c',
        service: 'alpha-primary-3',
        state: 'missing',
      },
      {
        name: 'alpha-secondary-1',
        role: 'secondary',
        service: 'alpha-secondaries',
        state: 'RUNNING',
        taskArn: 'arn:task/9',
        instanceId: 'i-0abc',
        zone: 'us-east-1b',
      },
    ]);
    expect(membersUp(rows)).toBe(2);
  });
});
