/**
 * Table tests of the drain planner: an instance in Terminating:Wait hosting a primary, drained the
 * planned way step by step (replacement → leadership move → quorum → stop → volume released → complete),
 * the urgent spot path, secondaries only, an empty instance, quorum at risk, heartbeat cadence, the
 * near-timeout warning, and a controller restarted mid-drain (state only from the world).
 */
import type { Neo4jCluster } from '../../../src/model/cluster.js';
import type { ObservedCluster, ObservedTask } from '../../../src/model/observed.js';
import type { DrainInput, HookTrack } from '../../../src/reconcilers/drain/index.js';
import { drainingMembers, planDrain } from '../../../src/reconcilers/drain/index.js';
import type { FakeMember } from '../neo4j-fixtures.js';
import { neo4jWorld } from '../neo4j-fixtures.js';
import { asg, ASGS, brief, cluster, instance, member, volume, world } from '../topology/fixtures.js';

const HB = 300_000;
const NOW = 1_000_000_000;
const SEC_ASG = 'neo4j-minimal-secondaries';

interface Opts {
  /** Lifecycle state of i-a (member 1's instance). */
  state?: string;
  /** An InService replacement i-a2 in us-east-1a. */
  replacement?: boolean;
  leads?: Record<number, string[]>;
  readOnly?: boolean;
  down?: number[];
  spot?: boolean;
  /** Member 1's service desiredCount. */
  desired1?: number;
  /** Member 1's task: running (default), stopping, gone. */
  task1?: 'running' | 'stopping' | 'gone';
  /** Member 1's volume: attached on i-a (default), detaching, moved (attached to i-a2). */
  volume1?: 'attached' | 'detaching' | 'moved';
  ciStatus?: string;
}

const members = (o: Opts): FakeMember[] =>
  [1, 2, 3].map((n) => ({
    service: member(n),
    serverId: `s${n}`,
    leads: o.leads?.[n] ?? (n === 1 ? ['movies', 'neo4j', 'system'] : []),
    ...(n === 1 && o.readOnly ? { readOnly: true } : {}),
    ...(o.down?.includes(n) ? { up: false } : {}),
  }));

function drainWorld(o: Opts = {}): ObservedCluster {
  const w = world();
  const topo = w.topology!;
  topo.asgs[ASGS[0]] = asg(ASGS[0], 'us-east-1a', [
    { id: 'i-a', state: o.state ?? 'Terminating:Wait', protected: true },
    ...(o.replacement ? [{ id: 'i-a2' }] : []),
  ]);
  topo.instances = [
    instance('i-a', 'us-east-1a', {}, o.ciStatus ?? 'ACTIVE'),
    ...(o.replacement ? [instance('i-a2', 'us-east-1a')] : []),
    instance('i-b', 'us-east-1b'),
    instance('i-c', 'us-east-1c'),
  ];
  topo.spot = { 'i-a': o.spot ?? false, 'i-a2': false, 'i-b': false, 'i-c': false };
  const n = neo4jWorld(members(o));
  const ci = ['arn:ci/i-a', 'arn:ci/i-b', 'arn:ci/i-c'];
  const tasks: ObservedTask[] = n.tasks.map((t) => {
    const k = Number(t.group?.slice(-1));
    return { ...t, containerInstanceArn: ci[k - 1]! };
  });
  const t1 = tasks.find((t) => t.group === `service:${member(1)}`);
  w.tasks = tasks.filter((t) => t !== t1 || (o.task1 ?? 'running') === 'running');
  if (t1 && o.task1 === 'stopping') topo.stoppingTasks = [{ ...t1, desiredStatus: 'STOPPED' }];
  w.neo4j = n.neo4j!;
  const v1 = o.volume1 ?? 'attached';
  w.volumes = [
    v1 === 'moved'
      ? volume(1, { attachedTo: 'i-a2' })
      : volume(1, { attachedTo: 'i-a', attachState: v1 === 'detaching' ? 'detaching' : 'attached' }),
    volume(2, { attachedTo: 'i-b' }),
    volume(3, { attachedTo: 'i-c' }),
  ];
  for (const k of [1, 2, 3])
    w.services[member(k)] = {
      name: member(k),
      status: 'ACTIVE',
      desiredCount: k === 1 ? (o.desired1 ?? 1) : 1,
      runningCount: 1,
      pendingCount: 0,
      taskDefinition: `arn:td/${member(k)}:1`,
      deployments: 1,
    };
  return w;
}

const input = (tracks: Record<string, HookTrack> = {}, now = NOW): DrainInput => ({
  now,
  hooks: new Map(Object.entries(tracks)),
});
const seen = (over: Partial<HookTrack> = {}): Record<string, HookTrack> => ({
  'i-a': { firstSeenAt: NOW - 10_000, lastHeartbeatAt: NOW - 10_000, ...over },
});

describe('planDrain: a primary on a planned termination', () => {
  it('heartbeats at first sight and waits for a replacement instance in the AZ', () => {
    const plan = planDrain(cluster(), drainWorld(), input());
    expect(brief(plan.steps)).toEqual([
      'act:RecordLifecycleActionHeartbeat',
      `wait:ReplacementPending:${member(1)}`,
    ]);
    expect(plan.steps[0]).toMatchObject({
      autoScalingGroupName: ASGS[0],
      lifecycleHookName: 'neo4j-ecs-drain',
      instanceId: 'i-a',
    });
    expect(plan.instances).toEqual([
      expect.objectContaining({ instanceId: 'i-a', urgent: false, primaries: [member(1)], heartbeat: true }),
    ]);
  });

  it('moves the leaderships away once a replacement is there, then waits for them to move', () => {
    const plan = planDrain(cluster(), drainWorld({ replacement: true }), input(seen()));
    expect(brief(plan.steps)).toEqual([
      `act:MoveLeaderships:${member(1)}`,
      `wait:LeadershipTransferInProgress:${member(1)}`,
    ]);
    expect(plan.instances[0]!.moving).toBe(true);
  });

  it('waits within the bound while the member is read-only and still leads', () => {
    const w = drainWorld({ replacement: true, readOnly: true });
    const plan = planDrain(cluster(), w, input(seen({ moveStartedAt: NOW - 60_000 })));
    expect(brief(plan.steps)).toEqual([`wait:LeadershipTransferInProgress:${member(1)}`]);
  });

  it('stops the member once its user-database leaderships moved (system costs one election)', () => {
    const w = drainWorld({
      replacement: true,
      readOnly: true,
      leads: { 1: ['system'], 2: ['movies', 'neo4j'] },
    });
    const plan = planDrain(cluster(), w, input(seen({ moveStartedAt: NOW - 20_000 })));
    expect(brief(plan.steps)).toEqual([`act:UpdateService:${member(1)}`]);
    expect(plan.steps[0]).toMatchObject({
      reason: 'InstanceTerminating',
      service: member(1),
      changes: { desiredCount: 0 },
    });
    expect(plan.steps[0]!.message).toContain('accepting one election for system');
  });

  it('is blocked while stopping the member would cost a majority, and keeps heartbeating', () => {
    const w = drainWorld({
      replacement: true,
      leads: { 1: [], 2: ['movies', 'neo4j', 'system'] },
      down: [3],
    });
    const plan = planDrain(cluster(), w, input(seen({ lastHeartbeatAt: NOW - 120_000 })));
    expect(brief(plan.steps)).toEqual([
      'act:RecordLifecycleActionHeartbeat',
      `blocked:QuorumAtRisk:${member(1)}`,
    ]);
    expect(plan.steps[1]!.message).toContain('movies');
  });

  it('waits for the task to stop, then for the volume to leave, then completes with CONTINUE', () => {
    const leads = { 1: [], 2: ['movies', 'neo4j', 'system'] };
    const stopping = planDrain(
      cluster(),
      drainWorld({ replacement: true, leads, desired1: 0, task1: 'stopping' }),
      input(seen()),
    );
    expect(brief(stopping.steps)).toEqual([`wait:MemberStopping:${member(1)}`]);
    const detaching = planDrain(
      cluster(),
      drainWorld({ replacement: true, leads, desired1: 0, task1: 'gone', volume1: 'detaching' }),
      input(seen()),
    );
    expect(brief(detaching.steps)).toEqual([`wait:VolumeReleasing:${member(1)}`]);
    const moved = planDrain(
      cluster(),
      drainWorld({ replacement: true, leads, desired1: 0, task1: 'gone', volume1: 'moved' }),
      input(seen()),
    );
    expect(brief(moved.steps)).toEqual(['act:CompleteLifecycleAction']);
    expect(moved.steps[0]).toMatchObject({
      reason: 'InstanceDrained',
      result: 'CONTINUE',
      instanceId: 'i-a',
    });
  });

  it('a restarted controller (nothing remembered) heartbeats and goes on from the world, without stopping twice', () => {
    const leads = { 1: [], 2: ['movies', 'neo4j', 'system'] };
    const plan = planDrain(
      cluster(),
      drainWorld({ replacement: true, leads, desired1: 0, task1: 'stopping' }),
      input(),
    );
    expect(brief(plan.steps)).toEqual([
      'act:RecordLifecycleActionHeartbeat',
      `wait:MemberStopping:${member(1)}`,
    ]);
    // Read-only already set before the restart: no second MoveLeaderships, the bound starts afresh.
    const moving = planDrain(cluster(), drainWorld({ replacement: true, readOnly: true }), input());
    expect(brief(moving.steps)).toEqual([
      'act:RecordLifecycleActionHeartbeat',
      `wait:LeadershipTransferInProgress:${member(1)}`,
    ]);
  });

  it('accepts the elections when leadership transfer is off, and says so', () => {
    const c = cluster((s) => (s['upgrade'] = { leadershipTransfer: false }));
    const plan = planDrain(c, drainWorld({ replacement: true }), input(seen()));
    expect(brief(plan.steps)).toEqual([`act:UpdateService:${member(1)}`]);
    expect(plan.steps[0]!.message).toContain('accepting one election for movies, neo4j, system');
  });
});

describe('planDrain: urgent (spot) path', () => {
  it('does not wait for a replacement, moves the leaderships within a short bound', () => {
    const plan = planDrain(cluster(), drainWorld({ spot: true }), input(seen()));
    expect(brief(plan.steps)).toEqual([
      `act:MoveLeaderships:${member(1)}`,
      `wait:LeadershipTransferInProgress:${member(1)}`,
    ]);
    expect(plan.instances[0]!.urgent).toBe(true);
    const waiting = planDrain(
      cluster(),
      drainWorld({ spot: true, readOnly: true }),
      input(seen({ moveStartedAt: NOW - 10_000 })),
    );
    expect(waiting.steps[0]!.message).toContain('(10s of 30s)');
  });

  it('stops after the short bound even if leaderships did not move', () => {
    const plan = planDrain(
      cluster(),
      drainWorld({ spot: true, readOnly: true }),
      input(seen({ moveStartedAt: NOW - 31_000 })),
    );
    expect(brief(plan.steps)).toEqual([
      `act:UpdateService:${member(1)}`,
      `refused:LeadershipTransferTimedOut:${member(1)}`,
    ]);
    expect(plan.steps[0]).toMatchObject({ reason: 'UrgentDrain', changes: { desiredCount: 0 } });
  });

  it('proceeds with a Warning when quorum is at risk: the instance is reclaimed anyway', () => {
    const w = drainWorld({ spot: true, leads: { 1: [], 2: ['movies', 'neo4j', 'system'] }, down: [3] });
    const plan = planDrain(cluster(), w, input(seen()));
    expect(brief(plan.steps)).toEqual([
      `act:UpdateService:${member(1)}`,
      `refused:QuorumAtRisk:${member(1)}`,
    ]);
  });

  it('treats a container instance ECS drains without us as urgent', () => {
    const plan = planDrain(cluster(), drainWorld({ ciStatus: 'DRAINING' }), input(seen()));
    expect(plan.instances[0]!.urgent).toBe(true);
    expect(brief(plan.steps)[0]).toBe(`act:MoveLeaderships:${member(1)}`);
  });
});

describe('planDrain: secondaries, empty instances, heartbeats and deadlines', () => {
  function secondariesWorld(ciStatus: string, tasks: number): { c: Neo4jCluster; w: ObservedCluster } {
    const c = cluster((s) => {
      s['secondaries'] = { count: 2 };
      (s['capacity'] as Record<string, unknown>)['secondaryAutoScalingGroup'] = SEC_ASG;
    });
    const w = drainWorld({ state: 'InService' });
    w.topology!.asgs[SEC_ASG] = asg(SEC_ASG, 'us-east-1b', [
      { id: 'i-s1', state: 'Terminating:Wait' },
      { id: 'i-s2' },
    ]);
    w.topology!.instances.push(instance('i-s1', 'us-east-1b', {}, ciStatus), instance('i-s2', 'us-east-1b'));
    for (let k = 0; k < tasks; k++)
      w.tasks.push({
        taskArn: `arn:task/sec/${k}`,
        group: 'service:graph-minimal-secondaries',
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        taskDefinitionArn: 'arn:td/sec:1',
        containerInstanceArn: 'arn:ci/i-s1',
      });
    return { c, w };
  }

  it('sets an instance hosting only secondaries to DRAINING and waits for ECS to move them', () => {
    const { c, w } = secondariesWorld('ACTIVE', 1);
    const plan = planDrain(c, w, input());
    expect(brief(plan.steps)).toEqual([
      'act:RecordLifecycleActionHeartbeat',
      'act:UpdateContainerInstancesState',
      'wait:SecondariesDraining',
    ]);
    expect(plan.steps[1]).toMatchObject({ containerInstanceArns: ['arn:ci/i-s1'], status: 'DRAINING' });
    const draining = secondariesWorld('DRAINING', 1);
    expect(
      brief(
        planDrain(draining.c, draining.w, input({ 'i-s1': { firstSeenAt: NOW, lastHeartbeatAt: NOW } }))
          .steps,
      ),
    ).toEqual(['wait:SecondariesDraining']);
    const done = secondariesWorld('DRAINING', 0);
    expect(brief(planDrain(done.c, done.w, input()).steps)).toEqual(['act:CompleteLifecycleAction']);
  });

  it('completes an instance that holds nothing of the cluster at once', () => {
    const w = drainWorld({ state: 'InService' });
    w.topology!.asgs[ASGS[1]] = asg(ASGS[1], 'us-east-1b', [
      { id: 'i-b' },
      { id: 'i-b9', state: 'Terminating:Wait' },
    ]);
    const plan = planDrain(cluster(), w, input());
    expect(brief(plan.steps)).toEqual(['act:CompleteLifecycleAction']);
    expect(plan.steps[0]).toMatchObject({
      reason: 'InstanceHoldsNothing',
      instanceId: 'i-b9',
      autoScalingGroupName: ASGS[1],
    });
    expect(drainingMembers(cluster(), w).size).toBe(0);
  });

  it('lets an instance of a lost AZ go at once: nothing can be drained there, and the volume stays', () => {
    const w = drainWorld();
    w.topology!.instances = w.topology!.instances.map((i) =>
      i.availabilityZone === 'us-east-1a' ? { ...i, agentConnected: false } : i,
    );
    const plan = planDrain(cluster(), w, input(seen()));
    expect(brief(plan.steps)).toEqual(['act:CompleteLifecycleAction']);
    expect(plan.steps[0]).toMatchObject({ reason: 'ZoneLost', instanceId: 'i-a', result: 'CONTINUE' });
    expect(plan.steps[0]!.message).toContain(member(1));
    // EC2's own state of the AZ says the same once no instance is left to lose its agent.
    const gone = drainWorld();
    gone.topology!.zoneStates = { 'us-east-1a': 'impaired' };
    expect(planDrain(cluster(), gone, input(seen())).steps[0]).toMatchObject({ reason: 'ZoneLost' });
    // A healthy AZ is drained the usual way.
    expect(brief(planDrain(cluster(), drainWorld(), input(seen())).steps)).not.toContain(
      'act:CompleteLifecycleAction',
    );
  });

  it('heartbeats every heartbeatTimeout / 3 while the work goes on', () => {
    const w = drainWorld();
    const steps = (ago: number) =>
      brief(planDrain(cluster(), w, input(seen({ lastHeartbeatAt: NOW - ago }))).steps);
    expect(steps(HB / 3 - 1)).toEqual([`wait:ReplacementPending:${member(1)}`]);
    expect(steps(HB / 3)).toEqual([
      'act:RecordLifecycleActionHeartbeat',
      `wait:ReplacementPending:${member(1)}`,
    ]);
    expect(drainingMembers(cluster(), w)).toEqual(new Set([member(1)]));
  });

  it('warns before the hook times out into ABANDON: heartbeats failing, or the global timeout near', () => {
    const w = drainWorld();
    const late = planDrain(
      cluster(),
      w,
      input(seen({ firstSeenAt: NOW - 200_000, lastHeartbeatAt: NOW - 200_000 })),
    );
    expect(brief(late.steps)).toEqual([
      'act:RecordLifecycleActionHeartbeat',
      'refused:LifecycleHookNearTimeout',
      `wait:ReplacementPending:${member(1)}`,
    ]);
    expect(late.steps[1]!.message).toContain('in 100s');
    // 100 × 300 s global timeout, 60 s left: heartbeats no longer help.
    const global = planDrain(
      cluster(),
      w,
      input(seen({ firstSeenAt: NOW - (100 * HB - 60_000), lastHeartbeatAt: NOW - 1_000 })),
    );
    expect(brief(global.steps)).toContain('refused:LifecycleHookNearTimeout');
    expect(global.instances[0]!.deadlineAt).toBe(NOW + 60_000);
    // Far from both deadlines: no warning.
    expect(brief(planDrain(cluster(), w, input(seen())).steps)).not.toContain(
      'refused:LifecycleHookNearTimeout',
    );
  });
});
