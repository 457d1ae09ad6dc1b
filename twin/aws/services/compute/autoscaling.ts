/**
 * Auto Scaling in the twin: groups over AZs/subnets with min/max/desired, a timer-driven reconcile
 * loop that launches balanced across AZs (skipping failed AZs), scales in per the termination policy
 * (AZ balance first, never protected instances), replaces unhealthy instances, and moves instances
 * through the lifecycle states (with hooks, see lifecycle.ts), recording scaling activities. The API
 * (validation, wire views, launch configurations) is in autoscaling-api.ts.
 */
import { AwsError } from '../../contract.js';
import { AsgApi } from './autoscaling-api.js';
import { asgInvalid } from './errors.js';
import type { LaunchRequest } from './ec2.js';
import { LAUNCHING, Lifecycle, TERMINATING } from './lifecycle.js';
import type { Sim } from './sim.js';
import type { AutoScalingGroup, Instance, InstanceStateName, ScalingActivity } from './state.js';
import { ACTIVE_STATES, type AsgInstance, type AsgLifecycleState } from './state.js';
import { sortBy } from './util.js';

const MAX_ACTIVITIES = 100;

export class AsgSim {
  readonly lifecycle: Lifecycle;
  readonly api: AsgApi;

  constructor(private readonly sim: Sim) {
    this.api = new AsgApi(sim, this);
    this.lifecycle = new Lifecycle(
      sim,
      (n) => this.group(n),
      (g, i, t, abandoned) => this.onHooksDone(g, i, t, abandoned),
    );
  }

  start(): void {
    this.sim.every('asg.reconcile', this.sim.params.asgReconcileIntervalMs, () => this.reconcileAll());
  }

  kickReconcile(): void {
    this.sim.kick('asg.reconcile', () => this.reconcileAll());
  }

  group(name: string): AutoScalingGroup {
    const g = this.sim.state.groups.get(name);
    if (!g) throw asgInvalid(`AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    return g;
  }

  findInstance(instanceId: string): { g: AutoScalingGroup; inst: AsgInstance } | undefined {
    for (const g of this.sim.state.groups.values()) {
      const inst = g.instances.find((i) => i.instanceId === instanceId);
      if (inst) return { g, inst };
    }
    return undefined;
  }

  setLifecycle(
    g: AutoScalingGroup,
    inst: AsgInstance,
    to: AsgLifecycleState,
    extra: Record<string, unknown> = {},
  ): void {
    const from = inst.lifecycleState;
    if (from === to) return;
    inst.lifecycleState = to;
    this.sim.log('asg.lifecycle', {
      asg: g.name,
      instanceId: inst.instanceId,
      az: inst.az,
      from,
      to,
      ...extra,
    });
  }

  activity(
    g: AutoScalingGroup,
    description: string,
    cause: string,
    status: ScalingActivity['statusCode'] = 'InProgress',
  ): ScalingActivity {
    const a: ScalingActivity = {
      activityId: this.sim.uuid(),
      description,
      cause: `At ${new Date(this.sim.now()).toISOString()} ${cause}`,
      startTime: this.sim.now(),
      statusCode: status,
      progress: status === 'InProgress' ? 0 : 100,
      details: JSON.stringify({ 'Subnet ID': g.subnetIds[0] ?? '', 'Availability Zone': g.azs[0] ?? '' }),
      ...(status !== 'InProgress' ? { endTime: this.sim.now() } : {}),
    };
    g.activities.unshift(a);
    if (g.activities.length > MAX_ACTIVITIES) g.activities.length = MAX_ACTIVITIES;
    this.sim.log('asg.activity', { asg: g.name, description, status });
    return a;
  }

  finishActivity(
    g: AutoScalingGroup,
    match: string,
    status: ScalingActivity['statusCode'],
    message?: string,
  ): void {
    const a = g.activities.find((x) => x.statusCode === 'InProgress' && x.description.includes(match));
    if (!a) return;
    a.statusCode = status;
    a.progress = 100;
    a.endTime = this.sim.now();
    if (message !== undefined) a.statusMessage = message;
  }

  // ---------------------------------------------------------------------------------------------
  // Reconcile

  reconcileAll(): void {
    for (const g of [...this.sim.state.groups.values()])
      this.sim.guard(`asg ${g.name}`, () => this.reconcile(g));
  }

  private suspended(g: AutoScalingGroup, p: string): boolean {
    return g.suspendedProcesses.includes(p);
  }

  reconcile(g: AutoScalingGroup): void {
    if (g.status === 'Delete in progress') {
      if (g.instances.length === 0) {
        this.sim.state.groups.delete(g.name);
        this.sim.log('asg.group', { asg: g.name, event: 'deleted' });
      }
      return;
    }
    // Health checks.
    if (!this.suspended(g, 'HealthCheck')) {
      for (const inst of g.instances) {
        if (!ACTIVE_STATES.includes(inst.lifecycleState)) continue;
        const ec2 = this.sim.state.instances.get(inst.instanceId);
        const bad =
          !ec2 ||
          ec2.state === 'stopped' ||
          ec2.state === 'stopping' ||
          ec2.state === 'terminated' ||
          ec2.state === 'shutting-down' ||
          (ec2.state === 'running' && ec2.impaired);
        if (bad && inst.healthStatus === 'Healthy') {
          inst.healthStatus = 'Unhealthy';
          this.sim.log('asg.health', {
            asg: g.name,
            instanceId: inst.instanceId,
            healthStatus: 'Unhealthy',
            ec2State: ec2?.state ?? 'missing',
            impaired: ec2?.impaired ?? false,
          });
        }
      }
    }
    if (!this.suspended(g, 'ReplaceUnhealthy')) {
      for (const inst of [...g.instances]) {
        if (inst.healthStatus !== 'Unhealthy' || !ACTIVE_STATES.includes(inst.lifecycleState)) continue;
        this.beginTerminate(
          g,
          inst,
          'an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.',
          'health',
        );
      }
    }
    const active = g.instances.filter((i) => ACTIVE_STATES.includes(i.lifecycleState));
    if (active.length < g.desiredCapacity && !this.suspended(g, 'Launch')) {
      for (let n = active.length; n < g.desiredCapacity; n++) if (!this.launchOne(g)) break;
    } else if (active.length > g.desiredCapacity && !this.suspended(g, 'Terminate')) {
      const victims = this.chooseVictims(g, active.length - g.desiredCapacity);
      for (const v of victims)
        this.beginTerminate(
          g,
          v,
          `a user request update of AutoScalingGroup constraints to min: ${g.minSize}, max: ${g.maxSize}, desired: ${g.desiredCapacity} changing the desired capacity from ${active.length} to ${g.desiredCapacity}.`,
          'scale-in',
        );
    }
  }

  private subnetFor(g: AutoScalingGroup, az: string): LaunchRequest['subnet'] | undefined {
    for (const id of g.subnetIds) {
      const sn = this.sim.state.subnets.get(id);
      if (sn?.az === az) return sn;
    }
    return g.subnetIds.length ? undefined : this.sim.ec2.defaultSubnet(az);
  }

  /** Launches one instance in the AZ with the fewest, skipping AZs where launching fails. */
  private launchOne(g: AutoScalingGroup): boolean {
    const counts = new Map(g.azs.map((az) => [az, 0]));
    for (const i of g.instances)
      if (ACTIVE_STATES.includes(i.lifecycleState)) counts.set(i.az, (counts.get(i.az) ?? 0) + 1);
    const order = sortBy(
      g.azs.map((az, idx) => ({ az, idx, n: counts.get(az) ?? 0, r: this.sim.deps.rng.next() })),
      (x) => x.n,
      (x) => x.r,
    );
    let lastError = '';
    for (const { az } of order) {
      const subnet = this.subnetFor(g, az);
      if (!subnet) continue;
      try {
        const spec = this.launchSpec(g);
        const inst = this.sim.ec2.launch({ ...spec, subnet, asgName: g.name });
        const ai: AsgInstance = {
          instanceId: inst.instanceId,
          az,
          lifecycleState: 'Pending',
          healthStatus: 'Healthy',
          protectedFromScaleIn: g.newInstancesProtectedFromScaleIn,
          instanceType: inst.instanceType,
          launchedAt: this.sim.now(),
          actions: [],
          ...(g.launchTemplate && spec.launchTemplate ? { launchTemplate: spec.launchTemplate } : {}),
          ...(g.launchConfigurationName ? { launchConfigurationName: g.launchConfigurationName } : {}),
        };
        g.instances.push(ai);
        this.sim.log('asg.lifecycle', {
          asg: g.name,
          instanceId: inst.instanceId,
          az,
          from: null,
          to: 'Pending',
        });
        this.activity(
          g,
          `Launching a new EC2 instance: ${inst.instanceId}`,
          `an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${this.activeCount(g) - 1} to ${g.desiredCapacity}.`,
        );
        return true;
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        lastError = err.message;
      }
    }
    this.activity(
      g,
      'Launching a new EC2 instance.  Status Reason: ' + (lastError || 'No subnet available.'),
      'an instance was started in response to a difference between desired and actual capacity.',
      'Failed',
    ).statusMessage = lastError || "No subnet available in the group's Availability Zones.";
    return false;
  }

  private activeCount(g: AutoScalingGroup): number {
    return g.instances.filter((i) => ACTIVE_STATES.includes(i.lifecycleState)).length;
  }

  private launchSpec(g: AutoScalingGroup): Omit<LaunchRequest, 'subnet' | 'asgName'> {
    const tags: Record<string, string> = {};
    for (const t of g.tags) if (t.propagateAtLaunch) tags[t.key] = t.value;
    tags['aws:autoscaling:groupName'] = g.name;
    if (g.launchTemplate) {
      const res = this.sim.ec2.resolveTemplate({
        id: g.launchTemplate.id,
        version: g.launchTemplate.version,
      });
      const spec = this.sim.ec2.launchSpecFromTemplate(res.data);
      if (!spec.imageId)
        throw new AwsError('InvalidParameterValue', 'The launch template does not specify an AMI.');
      return {
        imageId: spec.imageId,
        instanceType: spec.instanceType ?? 't3.medium',
        tags: { ...spec.tags, ...tags },
        spot: spec.spot,
        securityGroupIds: spec.securityGroupIds,
        launchTemplate: { id: res.lt.id, name: res.lt.name, version: String(res.version) },
        ...(spec.userData !== undefined ? { userData: spec.userData } : {}),
        ...(spec.rootVolumeSize !== undefined ? { rootVolumeSize: spec.rootVolumeSize } : {}),
        ...(spec.rootVolumeType !== undefined ? { rootVolumeType: spec.rootVolumeType } : {}),
      };
    }
    const lc = this.sim.state.launchConfigurations.get(g.launchConfigurationName ?? '');
    if (!lc)
      throw new AwsError(
        'ValidationError',
        `Launch configuration ${g.launchConfigurationName ?? ''} not found`,
      );
    return {
      imageId: lc.imageId,
      instanceType: lc.instanceType,
      tags,
      spot: lc.spotPrice !== undefined,
      securityGroupIds: lc.securityGroups,
      launchConfigurationName: lc.name,
      ...(lc.userData !== undefined ? { userData: lc.userData } : {}),
    };
  }

  /** Default termination policy: AZ balance first, then the group's policies, never protected instances. */
  private chooseVictims(g: AutoScalingGroup, n: number): AsgInstance[] {
    const chosen: AsgInstance[] = [];
    for (let k = 0; k < n; k++) {
      const active = g.instances.filter(
        (i) => ACTIVE_STATES.includes(i.lifecycleState) && !chosen.includes(i),
      );
      const candidates = active.filter((i) => !i.protectedFromScaleIn);
      if (!candidates.length) break;
      const perAz = new Map<string, number>();
      for (const i of active) perAz.set(i.az, (perAz.get(i.az) ?? 0) + 1);
      const azs = [...new Set(candidates.map((c) => c.az))];
      const most = Math.max(...azs.map((az) => perAz.get(az) ?? 0));
      const az = this.sim.deps.rng.pick(azs.filter((x) => (perAz.get(x) ?? 0) === most));
      let pool = candidates.filter((c) => c.az === az);
      for (const policy of [...g.terminationPolicies, 'Default']) {
        pool = this.applyPolicy(g, policy, pool);
        if (pool.length <= 1) break;
        if (policy === 'Default') break;
      }
      chosen.push(this.sim.deps.rng.pick(pool));
    }
    return chosen;
  }

  private applyPolicy(g: AutoScalingGroup, policy: string, pool: AsgInstance[]): AsgInstance[] {
    const keepMin = (key: (i: AsgInstance) => number): AsgInstance[] => {
      const best = Math.min(...pool.map(key));
      return pool.filter((i) => key(i) === best);
    };
    const now = this.sim.now();
    const templateAge = (i: AsgInstance): number => {
      // Instances on a launch configuration go first, then older template versions.
      if (i.launchConfigurationName !== undefined && g.launchTemplate) return -1e9;
      if (i.launchTemplate && g.launchTemplate) {
        const v = Number(i.launchTemplate.version);
        return Number.isFinite(v) ? v : 0;
      }
      return 0;
    };
    switch (policy) {
      case 'OldestInstance':
        return keepMin((i) => i.launchedAt);
      case 'NewestInstance':
        return keepMin((i) => -i.launchedAt);
      case 'OldestLaunchTemplate':
      case 'OldestLaunchConfiguration':
        return keepMin(templateAge);
      case 'ClosestToNextInstanceHour':
        return keepMin((i) => 3_600_000 - ((now - i.launchedAt) % 3_600_000));
      case 'Default': {
        const byTemplate = this.applyPolicy(g, 'OldestLaunchTemplate', pool);
        if (byTemplate.length <= 1) return byTemplate;
        return this.applyPolicy(g, 'ClosestToNextInstanceHour', byTemplate);
      }
      default:
        return pool;
    }
  }

  /** InService (or pending) → Terminating → (hooks) → Terminating:Proceed → EC2 termination. */
  beginTerminate(g: AutoScalingGroup, inst: AsgInstance, cause: string, why: string): void {
    if (!ACTIVE_STATES.includes(inst.lifecycleState)) return;
    this.lifecycle.cancel(inst);
    inst.terminationCause = why;
    this.setLifecycle(g, inst, 'Terminating', { cause: why });
    this.activity(g, `Terminating EC2 instance: ${inst.instanceId}`, cause);
    const ec2 = this.sim.state.instances.get(inst.instanceId);
    if (!ec2 || ec2.state === 'terminated' || ec2.state === 'shutting-down') {
      this.setLifecycle(g, inst, 'Terminating:Proceed');
      if (!ec2 || ec2.state === 'terminated') this.removeInstance(g, inst);
      return;
    }
    if (this.lifecycle.begin(g, inst, TERMINATING)) {
      this.setLifecycle(g, inst, 'Terminating:Wait');
      return;
    }
    this.proceedTerminate(g, inst);
  }

  proceedTerminate(g: AutoScalingGroup, inst: AsgInstance, result?: string): void {
    this.setLifecycle(g, inst, 'Terminating:Proceed', result ? { result } : {});
    // A spot-interrupted instance is reclaimed by EC2 at the notice deadline, whatever the group does.
    if (this.sim.state.interruptions.has(inst.instanceId)) return;
    const ec2 = this.sim.state.instances.get(inst.instanceId);
    if (ec2)
      this.sim.ec2.terminate(ec2, `Auto Scaling: ${inst.terminationCause ?? 'terminated'}`, {
        code: 'Client.UserInitiatedShutdown',
        message: 'Client.UserInitiatedShutdown: User initiated shutdown',
      });
    else this.removeInstance(g, inst);
  }

  removeInstance(g: AutoScalingGroup, inst: AsgInstance): void {
    this.lifecycle.cancel(inst);
    this.setLifecycle(g, inst, 'Terminated');
    g.instances = g.instances.filter((i) => i !== inst);
    this.finishActivity(g, `Terminating EC2 instance: ${inst.instanceId}`, 'Successful');
    this.kickReconcile();
  }

  private onHooksDone(g: AutoScalingGroup, inst: AsgInstance, transition: string, abandoned: boolean): void {
    if (transition === LAUNCHING) {
      if (abandoned) {
        this.setLifecycle(g, inst, 'Terminating', { cause: 'launch-abandoned', result: 'ABANDON' });
        inst.terminationCause = 'launch lifecycle action abandoned';
        this.finishActivity(
          g,
          `Launching a new EC2 instance: ${inst.instanceId}`,
          'Cancelled',
          "Instance failed to complete user's Lifecycle Action: Lifecycle Action with token was abandoned",
        );
        this.proceedTerminate(g, inst, 'ABANDON');
      } else {
        this.setLifecycle(g, inst, 'Pending:Proceed', { result: 'CONTINUE' });
        this.inService(g, inst);
      }
      return;
    }
    // Terminating: CONTINUE and ABANDON both terminate; the world log records which one it was.
    this.proceedTerminate(g, inst, abandoned ? 'ABANDON' : 'CONTINUE');
  }

  private inService(g: AutoScalingGroup, inst: AsgInstance): void {
    this.setLifecycle(g, inst, 'InService');
    this.finishActivity(g, `Launching a new EC2 instance: ${inst.instanceId}`, 'Successful');
  }

  /** EC2 instance state changes. */
  onInstanceState(ec2: Instance, _from: InstanceStateName, to: InstanceStateName): void {
    const found = this.findInstance(ec2.instanceId);
    if (!found) return;
    const { g, inst } = found;
    if (to === 'running' && inst.lifecycleState === 'Pending') {
      if (this.lifecycle.begin(g, inst, LAUNCHING)) this.setLifecycle(g, inst, 'Pending:Wait');
      else {
        this.setLifecycle(g, inst, 'Pending:Proceed');
        this.inService(g, inst);
      }
      return;
    }
    if (to === 'terminated') {
      if (
        ACTIVE_STATES.includes(inst.lifecycleState) ||
        inst.lifecycleState === 'Terminating:Wait' ||
        inst.lifecycleState === 'Terminating'
      ) {
        // Terminated from outside the group's own flow (EC2 API, spot reclaim, fault).
        inst.healthStatus = 'Unhealthy';
        if (ACTIVE_STATES.includes(inst.lifecycleState))
          this.activity(
            g,
            `Terminating EC2 instance: ${inst.instanceId}`,
            `an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.`,
          );
      }
      this.removeInstance(g, inst);
      return;
    }
    if (to === 'stopping' || to === 'shutting-down' || to === 'stopped') this.kickReconcile();
  }

  /** A spot interruption notice: the group starts terminating the instance (its hooks run). */
  onInterruptionNotice(instanceId: string): void {
    const found = this.findInstance(instanceId);
    if (!found) return;
    this.beginTerminate(
      found.g,
      found.inst,
      'an EC2 Spot instance interruption notice was received.',
      'spot-interruption',
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Wire views

  // ---------------------------------------------------------------------------------------------
  // Input readers

  // ---------------------------------------------------------------------------------------------
  // Operations
}
