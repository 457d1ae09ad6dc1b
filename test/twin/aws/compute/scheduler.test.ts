import type { Wire } from '../../../../twin/aws/contract.js';
import {
  attr,
  clusterWithAsg,
  describeService,
  harness,
  type Harness,
  registerTd,
  serviceTasks,
  waitForInstances,
} from './harness.js';

type T = Wire & {
  taskArn: string;
  lastStatus: string;
  desiredStatus: string;
  containerInstanceArn: string;
  taskDefinitionArn: string;
  startedAt?: Date;
  availabilityZone: string;
  stopCode?: string;
  stoppedReason?: string;
};

/** Samples the service's task counts against maximumPercent (total) and minimumHealthyPercent (healthy). */
interface Sample {
  total: number;
  healthy: number;
}

describe('the ECS service scheduler in the twin', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.stop());

  const HEALTHY_AFTER = 2_000; // FAST.taskHealthyWithoutCheckMs

  async function sample(cluster: string, service: string): Promise<Sample> {
    const running = (await serviceTasks(h, cluster, service, 'RUNNING')) as T[];
    const stopping = ((await serviceTasks(h, cluster, service, 'STOPPED')) as T[]).filter(
      (t) => t.lastStatus !== 'STOPPED',
    );
    const now = h.clock.now();
    const healthy = running.filter(
      (t) => t.lastStatus === 'RUNNING' && t.startedAt && now - t.startedAt.getTime() >= HEALTHY_AFTER,
    ).length;
    return { total: running.length + stopping.length, healthy };
  }

  async function steady(cluster: string, service: string, count: number): Promise<void> {
    await h.until(
      async () => {
        const s = await describeService(h, cluster, service);
        const deps = s['deployments'] as Wire[];
        return (
          deps.length === 1 &&
          deps[0]?.['rolloutState'] === 'COMPLETED' &&
          s['runningCount'] === count &&
          s['pendingCount'] === 0
        );
      },
      300_000,
      250,
    );
  }

  /** Rolls the service to a new revision, checking the percent limits at every step. */
  async function rollWithInvariants(
    cluster: string,
    service: string,
    tdArn: string,
    D: number,
    min: number,
    max: number,
  ): Promise<Sample[]> {
    await h.call('ecs', 'UpdateService', { cluster, service, taskDefinition: tdArn });
    const samples: Sample[] = [];
    await h.until(
      async () => {
        const s = await sample(cluster, service);
        samples.push(s);
        expect(s.total).toBeLessThanOrEqual(Math.floor((D * max) / 100));
        expect(s.healthy).toBeGreaterThanOrEqual(Math.ceil((D * min) / 100));
        const svc = await describeService(h, cluster, service);
        const deps = svc['deployments'] as Wire[];
        return (
          deps.length === 1 &&
          deps[0]?.['taskDefinition'] === tdArn &&
          deps[0]?.['rolloutState'] === 'COMPLETED'
        );
      },
      300_000,
      100,
    );
    const tasks = (await serviceTasks(h, cluster, service)) as T[];
    expect(tasks).toHaveLength(D);
    expect(tasks.every((t) => t.taskDefinitionArn === tdArn && t.lastStatus === 'RUNNING')).toBe(true);
    return samples;
  }

  async function setup(
    o: { desired?: number; asg?: number; instanceType?: string } = {},
  ): Promise<{ cluster: string; td1: string; td2: string }> {
    const { cluster } = await clusterWithAsg(h, {
      desired: o.asg ?? 3,
      ...(o.instanceType ? { instanceType: o.instanceType } : {}),
    });
    await waitForInstances(h, cluster, o.asg ?? 3);
    const td1 = await registerTd(h, 'neo4j');
    const td2 = await registerTd(h, 'neo4j', {}, { environment: [{ name: 'REV', value: '2' }] });
    return { cluster, td1, td2 };
  }

  async function create(
    cluster: string,
    name: string,
    td: string,
    desiredCount: number,
    extra: Wire = {},
  ): Promise<Wire> {
    const out = await h.call('ecs', 'CreateService', {
      cluster,
      serviceName: name,
      taskDefinition: td,
      desiredCount,
      ...extra,
    });
    return out['service'] as Wire;
  }

  it('uses the real defaults (100/200) and rolls start-new-first, never below the healthy floor', async () => {
    const { cluster, td1, td2 } = await setup();
    const svc = await create(cluster, 'core', td1, 2);
    expect(svc['deploymentConfiguration']).toMatchObject({ minimumHealthyPercent: 100, maximumPercent: 200 });
    expect((svc['deployments'] as Wire[])[0]).toMatchObject({
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      desiredCount: 2,
    });
    await steady(cluster, 'core', 2);
    const samples = await rollWithInvariants(cluster, 'core', td2, 2, 100, 200);
    expect(Math.max(...samples.map((s) => s.total))).toBe(4);
    // The first old task was told to stop only after a new-revision task was RUNNING.
    const firstStop = h.events('ecs.task.stopping').find((e) => e['service'] !== null);
    const firstNewRunning = h
      .events('ecs.task.state')
      .find((e) => e['to'] === 'RUNNING' && e['taskDefinitionArn'] === td2);
    expect(firstNewRunning?.seq).toBeLessThan(firstStop?.seq ?? 0);
    const events = ((await describeService(h, cluster, 'core'))['events'] as { message: string }[]).map(
      (e) => e.message,
    );
    expect(events[0]).toBe('(service core) has reached a steady state.');
    expect(events.some((m) => /deployment ecs-svc\/\d+\) deployment completed\./.test(m))).toBe(true);
    expect(h.events('ecs.deployment').map((e) => e['event'])).toEqual([
      'created',
      'completed',
      'superseded',
      'created',
      'drained',
      'completed',
    ]);
  });

  it('with 0/100 it stops the old task before starting the new one (a volume-owning member)', async () => {
    const { cluster, td1, td2 } = await setup();
    await create(cluster, 'core-1', td1, 1, {
      deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 },
    });
    await steady(cluster, 'core-1', 1);
    const old = ((await serviceTasks(h, cluster, 'core-1')) as T[])[0] as T;
    await h.call('ecs', 'UpdateService', { cluster, service: 'core-1', taskDefinition: td2 });
    await h.until(
      async () => {
        const s = await sample(cluster, 'core-1');
        expect(s.total).toBeLessThanOrEqual(1);
        const deps = (await describeService(h, cluster, 'core-1'))['deployments'] as Wire[];
        return deps.length === 1 && deps[0]?.['rolloutState'] === 'COMPLETED';
      },
      300_000,
      100,
    );
    const oldStopped = h
      .events('ecs.task.state')
      .find((e) => e['taskArn'] === old.taskArn && e['to'] === 'STOPPED');
    const newCreated = h
      .events('ecs.task.state')
      .find((e) => e['to'] === 'PROVISIONING' && e['taskDefinitionArn'] === td2);
    expect(oldStopped?.seq).toBeLessThan(newCreated?.seq ?? 0);
    const oldNow = (await h.call('ecs', 'DescribeTasks', { cluster, tasks: [old.taskArn] }))['tasks'] as T[];
    expect(oldNow[0]).toMatchObject({ stopCode: 'ServiceSchedulerInitiated' });
    expect(oldNow[0]?.stoppedReason).toMatch(/^Scaling activity initiated by \(deployment ecs-svc\/\d+\)$/);
  });

  it('rounds minimumHealthyPercent up and maximumPercent down (3 tasks at 50/150: ≥ 2 healthy, ≤ 4 total)', async () => {
    const { cluster, td1, td2 } = await setup();
    await create(cluster, 'read', td1, 3, {
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 150 },
    });
    await steady(cluster, 'read', 3);
    const samples = await rollWithInvariants(cluster, 'read', td2, 3, 50, 150);
    expect(Math.max(...samples.map((s) => s.total))).toBe(4);
    expect(Math.min(...samples.map((s) => s.healthy))).toBe(2);
  });

  it('with 100/100 a deployment cannot make progress (no room to start, no slack to stop)', async () => {
    const { cluster, td1, td2 } = await setup();
    await create(cluster, 'stuck', td1, 1, {
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 100 },
    });
    await steady(cluster, 'stuck', 1);
    await h.call('ecs', 'UpdateService', { cluster, service: 'stuck', taskDefinition: td2 });
    await h.advance(60_000);
    const s = await describeService(h, cluster, 'stuck');
    expect(
      (s['deployments'] as Wire[]).map((d) => [d['status'], d['rolloutState'], d['runningCount']]),
    ).toEqual([
      ['PRIMARY', 'IN_PROGRESS', 0],
      ['ACTIVE', 'COMPLETED', 1],
    ]);
  });

  it('scales to 0, and DeleteService drains it to INACTIVE', async () => {
    const { cluster, td1 } = await setup();
    await create(cluster, 'tmp', td1, 3);
    await steady(cluster, 'tmp', 3);
    await h.fails('ecs', 'DeleteService', { cluster, service: 'tmp' }, 'InvalidParameterException');
    await h.call('ecs', 'UpdateService', { cluster, service: 'tmp', desiredCount: 0 });
    await h.until(
      async () =>
        (await serviceTasks(h, cluster, 'tmp')).length === 0 && (await sample(cluster, 'tmp')).total === 0,
    );
    const del = await h.call('ecs', 'DeleteService', { cluster, service: 'tmp' });
    expect((del['service'] as Wire)['status']).toBe('DRAINING');
    await h.advance(2_000);
    expect((await describeService(h, cluster, 'tmp'))['status']).toBe('INACTIVE');
    expect((await h.call('ecs', 'ListServices', { cluster }))['serviceArns']).toEqual([]);
    await h.fails(
      'ecs',
      'UpdateService',
      { cluster, service: 'tmp', desiredCount: 1 },
      'ServiceNotActiveException',
    );
    await h.fails(
      'ecs',
      'UpdateService',
      { cluster, service: 'ghost', desiredCount: 1 },
      'ServiceNotFoundException',
    );
    await h.fails(
      'ecs',
      'DescribeServices',
      { cluster, services: Array.from({ length: 11 }, (_, n) => `s${n}`) },
      'InvalidParameterException',
    );
    await h.fails(
      'ecs',
      'CreateService',
      { cluster, serviceName: 'x', taskDefinition: td1 },
      'InvalidParameterException',
    );
    await h.fails(
      'ecs',
      'CreateService',
      {
        cluster,
        serviceName: 'x',
        taskDefinition: td1,
        desiredCount: 1,
        deploymentConfiguration: { minimumHealthyPercent: 150 },
      },
      'InvalidParameterException',
    );
    await h.fails(
      'ecs',
      'CreateService',
      { cluster, serviceName: 'x', taskDefinition: 'ghost', desiredCount: 1 },
      'InvalidParameterException',
    );
  });

  it('draining moves a service task to another instance within the constraints, starting the replacement first', async () => {
    const { cluster, td1 } = await setup({ asg: 6 });
    const cis = await waitForInstances(h, cluster, 6);
    const az = 'us-east-1b';
    const inAz = cis.filter((c) => attr(c, 'ecs.availability-zone') === az);
    expect(inAz).toHaveLength(2);
    await create(cluster, 'core-2', td1, 1, {
      placementConstraints: [{ type: 'memberOf', expression: `attribute:ecs.availability-zone == ${az}` }],
    });
    await steady(cluster, 'core-2', 1);
    const old = ((await serviceTasks(h, cluster, 'core-2')) as T[])[0] as T;
    expect(old.availabilityZone).toBe(az);
    await h.call('ecs', 'UpdateContainerInstancesState', {
      cluster,
      containerInstances: [old.containerInstanceArn],
      status: 'DRAINING',
    });
    await h.until(
      async () => {
        const s = await sample(cluster, 'core-2');
        expect(s.healthy).toBeGreaterThanOrEqual(1);
        const tasks = (await serviceTasks(h, cluster, 'core-2')) as T[];
        return (
          tasks.length === 1 &&
          tasks[0]?.taskArn !== old.taskArn &&
          tasks[0]?.lastStatus === 'RUNNING' &&
          s.total === 1
        );
      },
      120_000,
      100,
    );
    const moved = ((await serviceTasks(h, cluster, 'core-2')) as T[])[0] as T;
    expect(moved.availabilityZone).toBe(az);
    expect(moved.containerInstanceArn).not.toBe(old.containerInstanceArn);
    expect(
      (await h.call('ecs', 'ListTasks', { cluster, containerInstance: old.containerInstanceArn }))[
        'taskArns'
      ],
    ).toEqual([]);
  });

  it('draining stays stuck when the constraints leave nowhere to go, and says so; min 0 then stops first', async () => {
    const { cluster, td1 } = await setup();
    const az = 'us-east-1c';
    await create(cluster, 'core-3', td1, 1, {
      placementConstraints: [{ type: 'memberOf', expression: `attribute:ecs.availability-zone == ${az}` }],
    });
    await steady(cluster, 'core-3', 1);
    const old = ((await serviceTasks(h, cluster, 'core-3')) as T[])[0] as T;
    await h.call('ecs', 'UpdateContainerInstancesState', {
      cluster,
      containerInstances: [old.containerInstanceArn],
      status: 'DRAINING',
    });
    await h.advance(120_000);
    const still = (await serviceTasks(h, cluster, 'core-3')) as T[];
    expect(still.map((t) => [t.taskArn, t.lastStatus])).toEqual([[old.taskArn, 'RUNNING']]);
    const events = ((await describeService(h, cluster, 'core-3'))['events'] as { message: string }[]).map(
      (e) => e.message,
    );
    expect(
      events.some(
        (m) =>
          m.startsWith(
            '(service core-3) was unable to place a task because no container instance met all of its requirements.',
          ) && m.includes('MemberOf placement constraint unsatisfied'),
      ),
    ).toBe(true);
    // Allowing 0 % healthy lets the scheduler stop the task to free the (only) place; it cannot start one either.
    await h.call('ecs', 'UpdateService', {
      cluster,
      service: 'core-3',
      deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 200 },
    });
    await h.until(async () => (await sample(cluster, 'core-3')).total === 0);
    await h.advance(10_000);
    expect(await serviceTasks(h, cluster, 'core-3')).toEqual([]);
    // Reactivating the instance lets the task come back.
    await h.call('ecs', 'UpdateContainerInstancesState', {
      cluster,
      containerInstances: [old.containerInstanceArn],
      status: 'ACTIVE',
    });
    await steady(cluster, 'core-3', 1);
  });

  it('standalone tasks are not stopped by draining', async () => {
    const { cluster, td1 } = await setup({ asg: 1 });
    const run = await h.call('ecs', 'RunTask', { cluster, taskDefinition: td1 });
    const t = (run['tasks'] as T[])[0] as T;
    await h.advance(5_000);
    await h.call('ecs', 'UpdateContainerInstancesState', {
      cluster,
      containerInstances: [t.containerInstanceArn],
      status: 'DRAINING',
    });
    await h.advance(60_000);
    const d = (await h.call('ecs', 'DescribeTasks', { cluster, tasks: [t.taskArn] }))['tasks'] as T[];
    expect(d[0]).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
  });

  it('places by memberOf on a custom attribute', async () => {
    const { cluster, td1 } = await setup();
    const cis = await waitForInstances(h, cluster, 3);
    const chosen = cis[1] as Wire;
    await h.call('ecs', 'PutAttributes', {
      cluster,
      attributes: [{ name: 'neo4j.slot', value: 'core-2', targetId: chosen['containerInstanceArn'] }],
    });
    await create(cluster, 'slot2', td1, 2, {
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:neo4j.slot == core-2' }],
    });
    await steady(cluster, 'slot2', 2);
    const tasks = (await serviceTasks(h, cluster, 'slot2')) as T[];
    expect(tasks.every((t) => t.containerInstanceArn === chosen['containerInstanceArn'])).toBe(true);
    await create(cluster, 'slot9', td1, 1, {
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:neo4j.slot == core-9' }],
    });
    await h.advance(5_000);
    expect(await serviceTasks(h, cluster, 'slot9')).toEqual([]);
    const ev = ((await describeService(h, cluster, 'slot9'))['events'] as { message: string }[]).map(
      (e) => e.message,
    );
    expect(ev.some((m) => m.includes('was unable to place a task'))).toBe(true);
    // The attribute appears on another instance: the pending placement succeeds.
    await h.call('ecs', 'PutAttributes', {
      cluster,
      attributes: [
        { name: 'neo4j.slot', value: 'core-9', targetId: (cis[2] as Wire)['containerInstanceArn'] },
      ],
    });
    await steady(cluster, 'slot9', 1);
  });

  it('spreads across AZs by default and honours distinctInstance', async () => {
    const { cluster, td1 } = await setup();
    await create(cluster, 'spread', td1, 3);
    await steady(cluster, 'spread', 3);
    const azs = ((await serviceTasks(h, cluster, 'spread')) as T[]).map((t) => t.availabilityZone).sort();
    expect(azs).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    await create(cluster, 'distinct', td1, 4, { placementConstraints: [{ type: 'distinctInstance' }] });
    await h.advance(20_000);
    const d = (await serviceTasks(h, cluster, 'distinct')) as T[];
    expect(d).toHaveLength(3);
    expect(new Set(d.map((t) => t.containerInstanceArn)).size).toBe(3);
    const ev = ((await describeService(h, cluster, 'distinct'))['events'] as { message: string }[]).map(
      (e) => e.message,
    );
    expect(ev.some((m) => m.includes('DistinctInstance placement constraint unsatisfied'))).toBe(true);
    await h.fails(
      'ecs',
      'CreateService',
      {
        cluster,
        serviceName: 'bad',
        taskDefinition: td1,
        desiredCount: 1,
        placementConstraints: [{ type: 'memberOf' }],
      },
      'InvalidParameterException',
    );
    await h.fails(
      'ecs',
      'CreateService',
      {
        cluster,
        serviceName: 'bad',
        taskDefinition: td1,
        desiredCount: 1,
        placementStrategy: [{ type: 'spread' }],
      },
      'InvalidParameterException',
    );
  });

  it('accounts CPU and memory: a full cluster reports insufficient memory', async () => {
    const { cluster } = await setup({ asg: 1, instanceType: 't3.medium' });
    const td = await registerTd(h, 'fat', {}, { memory: 1500 });
    await create(cluster, 'fat', td, 3);
    await h.advance(20_000);
    expect(await serviceTasks(h, cluster, 'fat')).toHaveLength(2);
    const ev = ((await describeService(h, cluster, 'fat'))['events'] as { message: string }[]).map(
      (e) => e.message,
    );
    expect(ev.some((m) => m.includes('has insufficient memory available'))).toBe(true);
    const ci = (
      await h.call('ecs', 'DescribeContainerInstances', {
        cluster,
        containerInstances: (await h.call('ecs', 'ListContainerInstances', { cluster }))[
          'containerInstanceArns'
        ],
      })
    )['containerInstances'] as Wire[];
    const remaining = (ci[0]?.['remainingResources'] as { name: string; integerValue: number }[]).find(
      (r) => r.name === 'MEMORY',
    );
    expect(remaining?.integerValue).toBe(3906 - 3000);
  });

  it('replaces unhealthy tasks (health checks pass after the start period without a listener)', async () => {
    const { cluster } = await setup();
    const td = await registerTd(
      h,
      'checked',
      {},
      { healthCheck: { command: ['CMD', 'true'], interval: 10, startPeriod: 30 } },
    );
    await create(cluster, 'checked', td, 1);
    await h.until(
      async () => ((await serviceTasks(h, cluster, 'checked')) as T[])[0]?.lastStatus === 'RUNNING',
    );
    const t = ((await serviceTasks(h, cluster, 'checked')) as T[])[0] as T;
    expect(t['healthStatus']).toBe('UNKNOWN');
    await h.advance(30_000);
    expect(((await serviceTasks(h, cluster, 'checked')) as T[])[0]?.['healthStatus']).toBe('HEALTHY');
    await steady(cluster, 'checked', 1);
    await h.control('setTaskHealth', { taskArn: t.taskArn, status: 'UNHEALTHY' });
    await h.until(async () => {
      const tasks = (await serviceTasks(h, cluster, 'checked')) as T[];
      return (
        tasks.length === 1 && tasks[0]?.taskArn !== t.taskArn && tasks[0]?.['healthStatus'] === 'HEALTHY'
      );
    }, 120_000);
    const old = ((await h.call('ecs', 'DescribeTasks', { cluster, tasks: [t.taskArn] }))['tasks'] as T[])[0];
    expect(old).toMatchObject({
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'Task failed container health checks',
    });
    const replacementCreated = h
      .events('ecs.task.state')
      .find((e) => e['to'] === 'PROVISIONING' && e['service'] !== null && e['taskArn'] !== t.taskArn);
    const oldStopping = h.events('ecs.task.stopping').find((e) => e['taskArn'] === t.taskArn);
    expect(replacementCreated?.seq).toBeLessThan(oldStopping?.seq ?? 0);
  });

  it('reschedules tasks of a terminated instance (TerminationNotice)', async () => {
    const { cluster, td1 } = await setup();
    await create(cluster, 'core', td1, 3);
    await steady(cluster, 'core', 3);
    const victim = ((await serviceTasks(h, cluster, 'core')) as T[])[0] as T;
    const instanceId = (
      await h.call('ecs', 'DescribeContainerInstances', {
        cluster,
        containerInstances: [victim.containerInstanceArn],
      })
    )['containerInstances'] as Wire[];
    const ec2Id = instanceId[0]?.['ec2InstanceId'] as string;
    await h.call('ec2', 'TerminateInstances', { InstanceId: [ec2Id] });
    const d = (
      (await h.call('ecs', 'DescribeTasks', { cluster, tasks: [victim.taskArn] }))['tasks'] as T[]
    )[0];
    expect(d).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'TerminationNotice',
      stoppedReason: `Host EC2 (instance ${ec2Id}) terminated.`,
    });
    const ciNow = async (): Promise<Wire | undefined> =>
      (
        (
          await h.call('ecs', 'DescribeContainerInstances', {
            cluster,
            containerInstances: [victim.containerInstanceArn],
          })
        )['containerInstances'] as Wire[]
      )[0];
    expect(await ciNow()).toMatchObject({ status: 'ACTIVE', agentConnected: false });
    await steady(cluster, 'core', 3);
    expect(
      ((await serviceTasks(h, cluster, 'core')) as T[]).some(
        (t) => t.containerInstanceArn === victim.containerInstanceArn,
      ),
    ).toBe(false);
    await h.advance(2_000);
    expect(await ciNow()).toMatchObject({ status: 'INACTIVE', agentConnected: false });
  });

  it('the circuit breaker fails a deployment whose tasks cannot start and rolls back', async () => {
    const { cluster, td1 } = await setup();
    const broken = await registerTd(
      h,
      'neo4j',
      { executionRoleArn: 'arn:aws:iam::123456789012:role/exec' },
      {
        secrets: [
          { name: 'NEO4J_AUTH', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing' },
        ],
      },
    );
    await create(cluster, 'cb', td1, 2, {
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    await steady(cluster, 'cb', 2);
    await h.call('ecs', 'UpdateService', { cluster, service: 'cb', taskDefinition: broken });
    await h.until(() => h.events('ecs.deployment').some((e) => e['event'] === 'failed'));
    const failed = h.events('ecs.task.stopping').filter((e) => e['stopCode'] === 'TaskFailedToStart');
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(String(failed[0]?.['stoppedReason'])).toContain('ResourceInitializationError');
    await h.until(async () => {
      const s = await describeService(h, cluster, 'cb');
      const deps = s['deployments'] as Wire[];
      return (
        deps.length === 1 && deps[0]?.['taskDefinition'] === td1 && deps[0]?.['rolloutState'] === 'COMPLETED'
      );
    });
    const ev = ((await describeService(h, cluster, 'cb'))['events'] as { message: string }[]).map(
      (e) => e.message,
    );
    expect(ev.some((m) => m.includes('deployment failed: tasks failed to start.'))).toBe(true);
    // A secret that resolves lets the same revision start.
    h.secrets.set('arn:aws:secretsmanager:us-east-1:123456789012:secret:missing', 'neo4j/secret');
    await h.call('ecs', 'UpdateService', { cluster, service: 'cb', taskDefinition: broken });
    await steady(cluster, 'cb', 2);
  });

  it('ListServices paginates (default page 10)', async () => {
    const { cluster, td1 } = await setup({ asg: 1 });
    for (let n = 0; n < 12; n++) await create(cluster, `s${n}`, td1, 0);
    const p1 = await h.call('ecs', 'ListServices', { cluster });
    expect((p1['serviceArns'] as string[]).length).toBe(10);
    const p2 = await h.call('ecs', 'ListServices', { cluster, nextToken: p1['nextToken'] });
    expect((p2['serviceArns'] as string[]).length).toBe(2);
    await h.fails('ecs', 'ListServices', { cluster, nextToken: 'nope' }, 'InvalidParameterException');
  });
});
