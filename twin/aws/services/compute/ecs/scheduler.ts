/**
 * The ECS service scheduler, per service on every tick (and whenever something changes):
 * - maximumPercent (rounded down) caps RUNNING + PENDING + still-stopping tasks; minimumHealthyPercent
 *   (rounded up) is the floor of healthy tasks while old tasks are stopped;
 * - the PRIMARY deployment gets new tasks (placed with its constraints and strategies) up to the cap;
 *   tasks of older deployments, on DRAINING instances or UNHEALTHY are replaced within the two limits
 *   (start first when the cap allows, else stop first when the floor allows), or the service stays
 *   stuck and says so in its events, as ECS does;
 * - scale-in keeps AZs balanced; deployments complete, or fail via the circuit breaker (with rollback).
 */
import type { Sim } from '../sim.js';
import type { Deployment, Service, Task, TaskDefinition } from '../state.js';
import type { Tasks } from './tasks.js';
import { taskNeeds } from './placement.js';

export class Scheduler {
  constructor(
    private readonly sim: Sim,
    private readonly tasks: Tasks,
  ) {}

  start(): void {
    this.sim.every('ecs.scheduler', this.sim.params.schedulerIntervalMs, () => this.reconcileAll());
  }

  reconcileAll(): void {
    for (const svc of [...this.sim.state.services.values()])
      if (svc.status !== 'INACTIVE') this.sim.guard(`ecs service ${svc.name}`, () => this.reconcile(svc));
  }

  // ---------------------------------------------------------------------------------------------
  // Events and deployments

  /** Records a service event; `throttled` ones (placement failures) are not repeated within serviceEventRepeatMs. */
  addEvent(svc: Service, message: string, throttled = false): boolean {
    const now = this.sim.now();
    if (throttled) {
      const last = svc.lastEventAt[message];
      if (last !== undefined && now - last < this.sim.params.serviceEventRepeatMs) return false;
      svc.lastEventAt[message] = now;
    }
    svc.events.unshift({ id: this.sim.uuid(), createdAt: now, message });
    if (svc.events.length > this.sim.params.maxServiceEvents)
      svc.events.length = this.sim.params.maxServiceEvents;
    this.sim.log('ecs.service.event', { service: svc.arn, message });
    return true;
  }

  newDeployment(svc: Service, taskDefinition: string, reason: string): Deployment {
    const now = this.sim.now();
    for (const d of svc.deployments)
      if (d.status === 'PRIMARY') {
        d.status = 'ACTIVE';
        d.updatedAt = now;
        this.logDeployment(svc, d, 'superseded');
      }
    const digits =
      String(this.sim.nextCounter()).padStart(6, '0') +
      String(Math.floor(this.sim.deps.rng.next() * 1e13)).padStart(13, '0');
    const d: Deployment = {
      id: `ecs-svc/${digits}`,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: svc.desiredCount,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: reason,
      placementConstraints: svc.placementConstraints,
      placementStrategy: svc.placementStrategy,
    };
    svc.deployments.unshift(d);
    svc.steady = false;
    this.logDeployment(svc, d, 'created');
    this.sim.ecs.kickScheduler();
    return d;
  }

  private logDeployment(svc: Service, d: Deployment, event: string): void {
    this.sim.log('ecs.deployment', {
      service: svc.arn,
      id: d.id,
      status: d.status,
      rolloutState: d.rolloutState,
      taskDefinition: d.taskDefinition,
      desiredCount: d.desiredCount,
      minimumHealthyPercent: svc.minimumHealthyPercent,
      maximumPercent: svc.maximumPercent,
      event,
    });
  }

  /** Healthy for minimumHealthyPercent: RUNNING and HEALTHY (or, without health checks, RUNNING long enough). */
  isHealthy(t: Task): boolean {
    if (t.desiredStatus !== 'RUNNING' || t.lastStatus !== 'RUNNING') return false;
    if (t.containers.some((c) => c.hasHealthCheck && c.essential)) return t.healthStatus === 'HEALTHY';
    return this.sim.now() - (t.startedAt ?? Infinity) >= this.sim.params.taskHealthyWithoutCheckMs;
  }

  /** Circuit breaker accounting when a service task is told to stop. */
  onTaskStopping(t: Task): void {
    const svc = t.serviceArn ? this.sim.state.services.get(t.serviceArn) : undefined;
    if (!svc) return;
    const failed =
      t.stopCode === 'TaskFailedToStart' ||
      t.stopCode === 'EssentialContainerExited' ||
      t.stoppedReason === 'Task failed container health checks';
    if (!failed) return;
    const d = svc.deployments.find((x) => x.id === t.deploymentId);
    if (!d || d.status !== 'PRIMARY' || d.rolloutState !== 'IN_PROGRESS') return;
    d.failedTasks += 1;
    d.updatedAt = this.sim.now();
    if (!svc.circuitBreaker.enable) return;
    const threshold = Math.min(200, Math.max(3, Math.ceil(0.5 * svc.desiredCount)));
    if (d.failedTasks < threshold) return;
    d.rolloutState = 'FAILED';
    d.rolloutStateReason = `ECS deployment circuit breaker: tasks failed to start.`;
    this.logDeployment(svc, d, 'failed');
    this.addEvent(
      svc,
      `(service ${svc.name}) (deployment ${d.id}) deployment failed: tasks failed to start.`,
    );
    if (
      svc.circuitBreaker.rollback &&
      svc.lastCompletedTaskDefinition &&
      svc.lastCompletedTaskDefinition !== d.taskDefinition
    ) {
      svc.taskDefinition = svc.lastCompletedTaskDefinition;
      this.newDeployment(
        svc,
        svc.lastCompletedTaskDefinition,
        `ECS deployment circuit breaker: rolling back to deploymentId ${d.id}.`,
      );
    }
  }

  onTaskHealthy(t: Task): void {
    const svc = t.serviceArn ? this.sim.state.services.get(t.serviceArn) : undefined;
    const d = svc?.deployments.find((x) => x.id === t.deploymentId);
    if (d && d.rolloutState === 'IN_PROGRESS') d.failedTasks = 0;
  }

  // ---------------------------------------------------------------------------------------------
  // The loop

  private taskDef(arn: string): TaskDefinition | undefined {
    return [...this.sim.state.taskDefinitions.values()].find((t) => t.arn === arn);
  }

  private stopTask(svc: Service, t: Task, reason: string, stopped: string[]): void {
    this.tasks.stop(t, 'ServiceSchedulerInitiated', reason);
    stopped.push(t.id);
    this.sim.log('ecs.scheduler.stop', {
      service: svc.arn,
      taskArn: t.arn,
      reason,
      instanceId: t.ec2InstanceId,
    });
  }

  reconcile(svc: Service): void {
    const s = this.sim.state;
    const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
    const D = svc.status === 'ACTIVE' ? svc.desiredCount : 0;
    const maxTasks = Math.floor((D * svc.maximumPercent) / 100);
    const minHealthy = Math.ceil((D * svc.minimumHealthyPercent) / 100);
    const mine = (): Task[] =>
      [...s.tasks.values()].filter((t) => t.serviceArn === svc.arn && t.lastStatus !== 'STOPPED');
    const onDraining = (t: Task): boolean =>
      s.containerInstances.get(t.containerInstanceArn)?.status === 'DRAINING';
    const schedReason = `Scaling activity initiated by (deployment ${primary?.id ?? 'unknown'})`;
    const stopped: string[] = [];
    const started: string[] = [];

    // Service tasks that have not started yet on a DRAINING instance are stopped at once.
    for (const t of mine())
      if (t.desiredStatus === 'RUNNING' && onDraining(t) && t.lastStatus !== 'RUNNING')
        this.stopTask(svc, t, schedReason, stopped);

    const isKeeper = (t: Task): boolean =>
      primary !== undefined &&
      t.deploymentId === primary.id &&
      !onDraining(t) &&
      t.healthStatus !== 'UNHEALTHY';
    let all = mine();
    let live = all.filter((t) => t.desiredStatus === 'RUNNING');
    const keepers = live.filter(isKeeper);
    let total = all.length;

    // 1. Start tasks for the primary deployment, up to maximumPercent.
    const td = primary ? this.taskDef(primary.taskDefinition) : undefined;
    if (primary && td && primary.rolloutState !== 'FAILED' && svc.status === 'ACTIVE') {
      let need = D - keepers.length;
      let room = maxTasks - total;
      while (need > 0 && room > 0) {
        const res = this.tasks.placement.place({
          clusterArn: svc.clusterArn,
          group: `service:${svc.name}`,
          needs: taskNeeds(td),
          constraints: [
            ...td.placementConstraints.map((c) => ({
              type: 'memberOf' as const,
              ...(c.expression !== undefined ? { expression: c.expression } : {}),
            })),
            ...primary.placementConstraints,
          ],
          strategies: primary.placementStrategy.length
            ? primary.placementStrategy
            : [
                { type: 'spread', field: 'attribute:ecs.availability-zone' },
                { type: 'spread', field: 'instanceId' },
              ],
        });
        if (!res.ok) {
          const tail =
            'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';
          const recorded = this.addEvent(
            svc,
            res.closest
              ? `(service ${svc.name}) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance ${res.closest.ci.id}) ${res.closest.why}. ${tail}`
              : `(service ${svc.name}) was unable to place a task because no container instance met all of its requirements. Reason: ${res.reason === 'no container instance met all of its requirements' ? 'No Container Instances were available.' : res.reason} ${tail}`,
            true,
          );
          if (recorded)
            this.sim.log('ecs.scheduler.unplaced', {
              service: svc.arn,
              reason: res.closest?.why ?? res.reason,
            });
          break;
        }
        const t = this.tasks.create({
          td,
          ci: res.ci,
          group: `service:${svc.name}`,
          startedBy: primary.id,
          serviceArn: svc.arn,
          deploymentId: primary.id,
          ...(svc.networkConfiguration ? { network: svc.networkConfiguration } : {}),
          tags:
            svc.propagateTags === 'SERVICE'
              ? { ...svc.tags }
              : svc.propagateTags === 'TASK_DEFINITION'
                ? { ...td.tags }
                : {},
        });
        started.push(t.id);
        keepers.push(t);
        need--;
        room--;
        total++;
      }
    }

    // 2. Stop what must go, within minimumHealthyPercent.
    all = mine();
    live = all.filter((t) => t.desiredStatus === 'RUNNING');
    total = all.length;
    let healthy = live.filter((t) => this.isHealthy(t)).length;
    const rank = (t: Task): number =>
      t.healthStatus === 'UNHEALTHY' ? 0 : !this.isHealthy(t) ? 1 : t.deploymentId !== primary?.id ? 2 : 3;
    const obsolete = live
      .filter((t) => !isKeeper(t))
      .sort((a, b) => rank(a) - rank(b) || a.createdAt - b.createdAt);
    const liveKeepers = live.filter(isKeeper);
    for (const t of obsolete) {
      if (t.healthStatus === 'UNHEALTHY') {
        // Replacement first if the cap allowed one; otherwise free capacity for it.
        if (liveKeepers.length >= D || total >= maxTasks)
          this.stopTask(svc, t, 'Task failed container health checks', stopped);
        continue;
      }
      if (!this.isHealthy(t)) {
        this.stopTask(svc, t, schedReason, stopped);
        continue;
      }
      if (healthy - 1 >= minHealthy) {
        this.stopTask(svc, t, schedReason, stopped);
        healthy--;
      }
    }

    // 3. Scale in: too many tasks of the primary deployment; keep AZs balanced.
    let excess = liveKeepers.length - D;
    if (excess > 0) {
      const pool = [...liveKeepers];
      while (excess > 0 && pool.length) {
        const notHealthy = pool.filter((t) => !this.isHealthy(t));
        let victim: Task | undefined;
        if (notHealthy.length) victim = notHealthy.sort((a, b) => b.createdAt - a.createdAt)[0];
        else {
          const perAz = new Map<string, number>();
          for (const t of pool) perAz.set(t.az, (perAz.get(t.az) ?? 0) + 1);
          const most = Math.max(...perAz.values());
          const azs = [...perAz.entries()]
            .filter(([, n]) => n === most)
            .map(([az]) => az)
            .sort();
          const az = this.sim.deps.rng.pick(azs);
          victim = this.sim.deps.rng.pick(pool.filter((t) => t.az === az));
        }
        if (!victim) break;
        pool.splice(pool.indexOf(victim), 1);
        const wasHealthy = this.isHealthy(victim);
        if (wasHealthy && healthy - 1 < minHealthy) break;
        this.stopTask(svc, victim, schedReason, stopped);
        if (wasHealthy) healthy--;
        excess--;
      }
    }

    if (started.length)
      this.addEvent(
        svc,
        `(service ${svc.name}) has started ${started.length} tasks: ${started.map((id) => `(task ${id})`).join(' ')}.`,
      );
    if (stopped.length)
      this.addEvent(
        svc,
        `(service ${svc.name}) has stopped ${stopped.length} running tasks: ${stopped.map((id) => `(task ${id})`).join(' ')}.`,
      );
    this.bookkeeping(svc, D);
  }

  private bookkeeping(svc: Service, D: number): void {
    const s = this.sim.state;
    const now = this.sim.now();
    const all = [...s.tasks.values()].filter((t) => t.serviceArn === svc.arn && t.lastStatus !== 'STOPPED');
    for (const d of [...svc.deployments]) {
      if (d.status === 'PRIMARY') {
        if (d.desiredCount !== D) {
          d.desiredCount = D;
          d.updatedAt = now;
        }
        continue;
      }
      const left = all.filter((t) => t.deploymentId === d.id).length;
      d.desiredCount = all.filter((t) => t.deploymentId === d.id && t.desiredStatus === 'RUNNING').length;
      if (left === 0) {
        d.status = 'INACTIVE';
        d.updatedAt = now;
        svc.deployments = svc.deployments.filter((x) => x !== d);
        this.logDeployment(svc, d, 'drained');
      }
    }
    const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
    const healthyPrimary = all.filter((t) => t.deploymentId === primary?.id && this.isHealthy(t)).length;
    const settled = svc.deployments.length === 1 && all.length === healthyPrimary && healthyPrimary === D;
    if (primary && settled && primary.rolloutState === 'IN_PROGRESS') {
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
      primary.updatedAt = now;
      svc.lastCompletedTaskDefinition = primary.taskDefinition;
      this.logDeployment(svc, primary, 'completed');
      this.addEvent(svc, `(service ${svc.name}) (deployment ${primary.id}) deployment completed.`);
    }
    if (settled && !svc.steady) {
      svc.steady = true;
      this.addEvent(svc, `(service ${svc.name}) has reached a steady state.`);
    } else if (!settled) svc.steady = false;
    if (svc.status === 'DRAINING' && all.length === 0) {
      svc.status = 'INACTIVE';
      svc.inactiveAt = now;
      svc.deployments = [];
      this.sim.log('ecs.service', { service: svc.arn, event: 'inactive' });
    }
  }
}
