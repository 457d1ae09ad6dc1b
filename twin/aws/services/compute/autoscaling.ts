/**
 * Auto Scaling in the twin: groups over AZs/subnets with min/max/desired, a timer-driven reconcile
 * loop that launches balanced across AZs (skipping failed AZs), scales in per the termination policy
 * (AZ balance first, never protected instances), replaces unhealthy instances, and moves instances
 * through the lifecycle states (with hooks, see lifecycle.ts). Also launch configurations and
 * scaling activities.
 */
import { AwsError, type OperationHandler, type Wire } from '../../contract.js';
import { asgBadToken, asgInvalid, asgReader } from './errors.js';
import type { LaunchRequest } from './ec2.js';
import { instanceSize } from './instance-types.js';
import { LAUNCHING, Lifecycle, TERMINATING } from './lifecycle.js';
import type { Sim } from './sim.js';
import type {
  AsgInstance,
  AsgLifecycleState,
  AutoScalingGroup,
  Instance,
  InstanceStateName,
  LaunchConfiguration,
  ScalingActivity,
} from './state.js';
import { compact, emptyQueryResult, matchesFilters, paginate, sortBy, type Reader } from './util.js';

const MAX_ACTIVITIES = 100;
const ACTIVE_STATES: AsgLifecycleState[] = ['Pending', 'Pending:Wait', 'Pending:Proceed', 'InService'];
const PROCESSES = [
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'AlarmNotification',
  'AZRebalance',
  'HealthCheck',
  'InstanceRefresh',
  'ReplaceUnhealthy',
  'ScheduledActions',
];

export class AsgSim {
  readonly lifecycle: Lifecycle;

  constructor(private readonly sim: Sim) {
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

  private findInstance(instanceId: string): { g: AutoScalingGroup; inst: AsgInstance } | undefined {
    for (const g of this.sim.state.groups.values()) {
      const inst = g.instances.find((i) => i.instanceId === instanceId);
      if (inst) return { g, inst };
    }
    return undefined;
  }

  private setLifecycle(
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

  private activity(
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

  private finishActivity(
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

  private proceedTerminate(g: AutoScalingGroup, inst: AsgInstance, result?: string): void {
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

  private removeInstance(g: AutoScalingGroup, inst: AsgInstance): void {
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

  private instanceRef(g: AutoScalingGroup, i: AsgInstance, withGroup: boolean): Wire {
    return compact({
      InstanceId: i.instanceId,
      InstanceType: i.instanceType,
      AutoScalingGroupName: withGroup ? g.name : undefined,
      AvailabilityZone: i.az,
      LifecycleState: i.lifecycleState,
      HealthStatus: withGroup ? i.healthStatus.toUpperCase() : i.healthStatus,
      LaunchTemplate: i.launchTemplate
        ? {
            LaunchTemplateId: i.launchTemplate.id,
            LaunchTemplateName: i.launchTemplate.name,
            Version: i.launchTemplate.version,
          }
        : undefined,
      LaunchConfigurationName: i.launchConfigurationName,
      ProtectedFromScaleIn: i.protectedFromScaleIn,
    });
  }

  groupWire(g: AutoScalingGroup): Wire {
    return compact({
      AutoScalingGroupName: g.name,
      AutoScalingGroupARN: g.arn,
      LaunchTemplate: g.launchTemplate
        ? {
            LaunchTemplateId: g.launchTemplate.id,
            LaunchTemplateName: g.launchTemplate.name,
            Version: g.launchTemplate.version,
          }
        : undefined,
      LaunchConfigurationName: g.launchConfigurationName,
      MinSize: g.minSize,
      MaxSize: g.maxSize,
      DesiredCapacity: g.desiredCapacity,
      DefaultCooldown: g.defaultCooldown,
      AvailabilityZones: g.azs,
      LoadBalancerNames: [],
      TargetGroupARNs: [],
      HealthCheckType: g.healthCheckType,
      HealthCheckGracePeriod: g.healthCheckGracePeriod,
      Instances: g.instances.map((i) => this.instanceRef(g, i, false)),
      CreatedTime: new Date(g.createdTime),
      SuspendedProcesses: g.suspendedProcesses.map((p) => ({
        ProcessName: p,
        SuspensionReason: 'User suspended at ' + new Date(g.createdTime).toISOString(),
      })),
      VPCZoneIdentifier: g.subnetIds.join(','),
      EnabledMetrics: [],
      Status: g.status,
      Tags: g.tags.map((t) => ({
        ResourceId: g.name,
        ResourceType: 'auto-scaling-group',
        Key: t.key,
        Value: t.value,
        PropagateAtLaunch: t.propagateAtLaunch,
      })),
      TerminationPolicies: g.terminationPolicies,
      NewInstancesProtectedFromScaleIn: g.newInstancesProtectedFromScaleIn,
      ServiceLinkedRoleARN: `arn:aws:iam::${this.sim.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
      CapacityRebalance: g.capacityRebalance,
    });
  }

  private activityWire(g: AutoScalingGroup, a: ScalingActivity): Wire {
    return compact({
      ActivityId: a.activityId,
      AutoScalingGroupName: g.name,
      AutoScalingGroupARN: g.arn,
      Description: a.description,
      Cause: a.cause,
      StartTime: new Date(a.startTime),
      EndTime: a.endTime !== undefined ? new Date(a.endTime) : undefined,
      StatusCode: a.statusCode,
      StatusMessage: a.statusMessage,
      Progress: a.progress,
      Details: a.details,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Input readers

  private readPlacement(r: Reader, current?: AutoScalingGroup): { azs: string[]; subnetIds: string[] } {
    const vzi = r.str('VPCZoneIdentifier');
    const azsIn = r.strList('AvailabilityZones');
    let subnetIds = current?.subnetIds ?? [];
    let azs = current?.azs ?? [];
    if (vzi !== undefined) {
      subnetIds = vzi
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (!subnetIds.length) throw asgInvalid('The VPCZoneIdentifier is empty.');
      for (const id of subnetIds)
        if (!this.sim.state.subnets.has(id)) throw asgInvalid(`The subnet ID '${id}' does not exist`);
      azs = [...new Set(subnetIds.map((id) => this.sim.state.subnets.get(id)?.az ?? ''))];
      if (azsIn.length && azsIn.some((az) => !azs.includes(az)))
        throw asgInvalid(
          'The availability zones of the specified subnets and the Auto Scaling group do not match',
        );
    } else if (azsIn.length) {
      for (const az of azsIn)
        if (!this.sim.state.azs.has(az))
          throw asgInvalid(`The availability zone '${az}' is not legally formatted or does not exist`);
      azs = [...new Set(azsIn)];
      subnetIds = [];
    }
    if (!azs.length) throw asgInvalid('At least one Availability Zone or VPC Subnet is required.');
    return { azs, subnetIds };
  }

  private readTemplateRef(r: Reader): { id: string; name: string; version: string } | undefined {
    const lt = r.obj('LaunchTemplate');
    if (!lt) return undefined;
    const id = lt.str('LaunchTemplateId');
    const name = lt.str('LaunchTemplateName');
    if (id !== undefined && name !== undefined)
      throw asgInvalid('Specify either LaunchTemplateId or LaunchTemplateName, not both.');
    const version = lt.str('Version') ?? '$Default';
    try {
      const res = this.sim.ec2.resolveTemplate({
        ...(id !== undefined ? { id } : {}),
        ...(name !== undefined ? { name } : {}),
        version,
      });
      return { id: res.lt.id, name: res.lt.name, version };
    } catch (err) {
      if (err instanceof AwsError)
        throw asgInvalid(`You must use a valid fully-formed launch template. ${err.message}`);
      throw err;
    }
  }

  private readTags(r: Reader, name: string): AutoScalingGroup['tags'] {
    return r.objList('Tags').map((t) => {
      const rid = t.str('ResourceId');
      if (rid !== undefined && rid !== name)
        throw asgInvalid(`Tag ResourceId ${rid} does not match the group ${name}`);
      return {
        key: t.reqStr('Key'),
        value: t.str('Value') ?? '',
        propagateAtLaunch: t.bool('PropagateAtLaunch') ?? false,
      };
    });
  }

  private checkSizes(min: number, max: number, desired: number): void {
    if (min > max) throw asgInvalid(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
    if (desired < min || desired > max)
      throw asgInvalid(
        `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`,
      );
  }

  private terminationPolicies(r: Reader): string[] | undefined {
    const list = r.strList('TerminationPolicies');
    if (!list.length) return undefined;
    const ok = [
      'Default',
      'OldestInstance',
      'NewestInstance',
      'OldestLaunchConfiguration',
      'OldestLaunchTemplate',
      'ClosestToNextInstanceHour',
      'AllocationStrategy',
    ];
    for (const p of list)
      if (!ok.includes(p) && !p.startsWith('arn:aws:lambda:'))
        throw asgInvalid(`Invalid termination policy: ${p}`);
    return list;
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  readonly operations: Record<string, OperationHandler> = {
    CreateAutoScalingGroup: (input) => {
      const r = asgReader(input);
      const name = r.reqStr('AutoScalingGroupName');
      if (name.length > 255) throw asgInvalid('AutoScalingGroupName must be at most 255 characters');
      if (this.sim.state.groups.has(name))
        throw new AwsError(
          'AlreadyExists',
          `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`,
        );
      if (r.has('MixedInstancesPolicy'))
        throw asgInvalid('MixedInstancesPolicy is not supported by the twin; use LaunchTemplate.');
      if (r.has('InstanceId'))
        throw asgInvalid(
          'Creating a group from an InstanceId is not supported by the twin; use LaunchTemplate.',
        );
      const lt = this.readTemplateRef(r);
      const lcName = r.str('LaunchConfigurationName');
      if (lt && lcName !== undefined)
        throw asgInvalid(
          'Valid requests must contain either LaunchTemplate or LaunchConfigurationName, not both.',
        );
      if (!lt && lcName === undefined)
        throw asgInvalid(
          'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.',
        );
      if (lcName !== undefined && !this.sim.state.launchConfigurations.has(lcName))
        throw asgInvalid(`Launch configuration name not found - Launch configuration ${lcName} not found`);
      const minSize = r.reqInt('MinSize', { min: 0 });
      const maxSize = r.reqInt('MaxSize', { min: 0 });
      const desired = r.int('DesiredCapacity', { min: 0 }) ?? minSize;
      this.checkSizes(minSize, maxSize, desired);
      const { azs, subnetIds } = this.readPlacement(r);
      const hc = r.str('HealthCheckType') ?? 'EC2';
      if (!['EC2', 'ELB', 'EBS', 'VPC_LATTICE'].includes(hc))
        throw asgInvalid(`Invalid HealthCheckType: ${hc}`);
      const g: AutoScalingGroup = {
        name,
        arn: `arn:aws:autoscaling:${this.sim.region}:${this.sim.accountId}:autoScalingGroup:${this.sim.uuid()}:autoScalingGroupName/${name}`,
        minSize,
        maxSize,
        desiredCapacity: desired,
        defaultCooldown: r.int('DefaultCooldown', { min: 0 }) ?? 300,
        azs,
        subnetIds,
        healthCheckType: hc,
        healthCheckGracePeriod: r.int('HealthCheckGracePeriod', { min: 0 }) ?? 0,
        createdTime: this.sim.now(),
        newInstancesProtectedFromScaleIn: r.bool('NewInstancesProtectedFromScaleIn') ?? false,
        terminationPolicies: this.terminationPolicies(r) ?? ['Default'],
        tags: this.readTags(r, name),
        hooks: [],
        instances: [],
        activities: [],
        capacityRebalance: r.bool('CapacityRebalance') ?? false,
        suspendedProcesses: [],
        ...(lt ? { launchTemplate: lt } : {}),
        ...(lcName !== undefined ? { launchConfigurationName: lcName } : {}),
      };
      const hooks = r.objList('LifecycleHookSpecificationList').map((h) => this.lifecycle.readHook(h, name));
      if (new Set(hooks.map((h) => h.name)).size !== hooks.length)
        throw asgInvalid('Lifecycle hook names must be unique.');
      g.hooks = hooks;
      this.sim.state.groups.set(name, g);
      this.sim.log('asg.group', {
        asg: name,
        event: 'created',
        minSize,
        maxSize,
        desiredCapacity: desired,
        azs,
      });
      this.kickReconcile();
      return {};
    },

    UpdateAutoScalingGroup: (input) => {
      const r = asgReader(input);
      const g = this.group(r.reqStr('AutoScalingGroupName'));
      if (g.status === 'Delete in progress')
        throw new AwsError('ScalingActivityInProgress', `The group ${g.name} is being deleted.`);
      const lt = this.readTemplateRef(r);
      const lcName = r.str('LaunchConfigurationName');
      if (lcName !== undefined && !this.sim.state.launchConfigurations.has(lcName))
        throw asgInvalid(`Launch configuration name not found - Launch configuration ${lcName} not found`);
      const min = r.int('MinSize', { min: 0 });
      const max = r.int('MaxSize', { min: 0 });
      let desired = r.int('DesiredCapacity', { min: 0 });
      const newMin = min ?? g.minSize;
      const newMax = max ?? g.maxSize;
      if (desired === undefined) desired = Math.min(Math.max(g.desiredCapacity, newMin), newMax);
      this.checkSizes(newMin, newMax, desired);
      const placement =
        r.has('VPCZoneIdentifier') || r.list('AvailabilityZones').length
          ? this.readPlacement(r, g)
          : undefined;
      const policies = this.terminationPolicies(r);
      const hc = r.str('HealthCheckType');
      g.minSize = newMin;
      g.maxSize = newMax;
      g.desiredCapacity = desired;
      if (lt) {
        g.launchTemplate = lt;
        delete g.launchConfigurationName;
      }
      if (lcName !== undefined) {
        g.launchConfigurationName = lcName;
        delete g.launchTemplate;
      }
      if (placement) Object.assign(g, placement);
      if (policies) g.terminationPolicies = policies;
      if (hc !== undefined) g.healthCheckType = hc;
      const grace = r.int('HealthCheckGracePeriod', { min: 0 });
      if (grace !== undefined) g.healthCheckGracePeriod = grace;
      const cooldown = r.int('DefaultCooldown', { min: 0 });
      if (cooldown !== undefined) g.defaultCooldown = cooldown;
      const prot = r.bool('NewInstancesProtectedFromScaleIn');
      if (prot !== undefined) g.newInstancesProtectedFromScaleIn = prot;
      const cr = r.bool('CapacityRebalance');
      if (cr !== undefined) g.capacityRebalance = cr;
      this.sim.log('asg.group', {
        asg: g.name,
        event: 'updated',
        minSize: g.minSize,
        maxSize: g.maxSize,
        desiredCapacity: g.desiredCapacity,
      });
      this.kickReconcile();
      return {};
    },

    DeleteAutoScalingGroup: (input) => {
      const r = asgReader(input);
      const g = this.group(r.reqStr('AutoScalingGroupName'));
      const force = r.bool('ForceDelete') ?? false;
      if (!force && (g.instances.length > 0 || (g.desiredCapacity > 0 && g.instances.length > 0)))
        throw new AwsError(
          'ResourceInUse',
          'You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.',
        );
      if (g.instances.some((i) => i.lifecycleState.startsWith('Terminating')) && !force)
        throw new AwsError(
          'ScalingActivityInProgress',
          'You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.',
        );
      g.status = 'Delete in progress';
      g.desiredCapacity = 0;
      g.minSize = 0;
      this.sim.log('asg.group', { asg: g.name, event: 'deleting', force });
      // ForceDelete terminates without running lifecycle hooks.
      for (const inst of [...g.instances]) {
        this.lifecycle.cancel(inst);
        inst.terminationCause = 'group deleted';
        this.setLifecycle(g, inst, 'Terminating', { cause: 'force-delete' });
        this.proceedTerminate(g, inst);
      }
      if (g.instances.length === 0) {
        this.sim.state.groups.delete(g.name);
        this.sim.log('asg.group', { asg: g.name, event: 'deleted' });
      }
      return {};
    },

    DescribeAutoScalingGroups: (input) => {
      const r = asgReader(input);
      const names = r.strList('AutoScalingGroupNames');
      const filters = r
        .objList('Filters')
        .map((f) => ({ name: f.reqStr('Name'), values: f.strList('Values') }));
      const list = [...this.sim.state.groups.values()].filter((g) => {
        if (names.length && !names.includes(g.name)) return false;
        return matchesFilters(
          filters,
          (n) => {
            const tags = Object.fromEntries(g.tags.map((t) => [t.key, t.value]));
            if (n.startsWith('tag:')) return tags[n.slice(4)] !== undefined ? [tags[n.slice(4)] ?? ''] : [];
            if (n === 'tag-key') return Object.keys(tags);
            if (n === 'tag-value') return Object.values(tags);
            return undefined;
          },
          (n) => asgInvalid(`Filter name '${n}' is invalid.`),
        );
      });
      const { page, next } = paginate(
        list,
        r.str('NextToken'),
        r.int('MaxRecords', { min: 1, max: 100 }) ?? 50,
        'asgs',
        asgBadToken,
      );
      return compact({ AutoScalingGroups: page.map((g) => this.groupWire(g)), NextToken: next });
    },

    DescribeAutoScalingInstances: (input) => {
      const r = asgReader(input);
      const ids = r.strList('InstanceIds');
      if (ids.length > 50)
        throw asgInvalid('The number of instance ids specified exceeds the maximum of 50.');
      const rows: Wire[] = [];
      for (const g of this.sim.state.groups.values())
        for (const i of g.instances)
          if (!ids.length || ids.includes(i.instanceId)) rows.push(this.instanceRef(g, i, true));
      const { page, next } = paginate(
        rows,
        r.str('NextToken'),
        r.int('MaxRecords', { min: 1, max: 50 }) ?? 50,
        'asgi',
        asgBadToken,
      );
      return compact({ AutoScalingInstances: page, NextToken: next });
    },

    DescribeScalingActivities: (input) => {
      const r = asgReader(input);
      const name = r.str('AutoScalingGroupName');
      const ids = r.strList('ActivityIds');
      const groups =
        name !== undefined
          ? [this.sim.state.groups.get(name)].filter((g): g is AutoScalingGroup => !!g)
          : [...this.sim.state.groups.values()];
      const rows = groups
        .flatMap((g) => g.activities.map((a) => ({ g, a })))
        .filter(({ a }) => !ids.length || ids.includes(a.activityId))
        .sort((x, y) => y.a.startTime - x.a.startTime);
      const { page, next } = paginate(
        rows,
        r.str('NextToken'),
        r.int('MaxRecords', { min: 1, max: 100 }) ?? 100,
        `act:${name ?? ''}`,
        asgBadToken,
      );
      return compact({ Activities: page.map(({ g, a }) => this.activityWire(g, a)), NextToken: next });
    },

    SetDesiredCapacity: (input) => {
      const r = asgReader(input);
      const g = this.group(r.reqStr('AutoScalingGroupName'));
      const d = r.reqInt('DesiredCapacity', { min: 0 });
      if (d > g.maxSize)
        throw asgInvalid(
          `New SetDesiredCapacity value ${d} is above max value ${g.maxSize} for the AutoScalingGroup.`,
        );
      if (d < g.minSize)
        throw asgInvalid(
          `New SetDesiredCapacity value ${d} is below min value ${g.minSize} for the AutoScalingGroup.`,
        );
      g.desiredCapacity = d;
      this.sim.log('asg.group', { asg: g.name, event: 'desired', desiredCapacity: d });
      this.kickReconcile();
      return {};
    },

    TerminateInstanceInAutoScalingGroup: (input) => {
      const r = asgReader(input);
      const id = r.reqStr('InstanceId');
      const decrement = r.bool('ShouldDecrementDesiredCapacity');
      if (decrement === undefined)
        throw asgInvalid(
          "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null",
        );
      const found = this.findInstance(id);
      if (!found)
        throw asgInvalid(`Instance Id not found - No managed instance found for instance ID: ${id}`);
      const { g, inst } = found;
      if (decrement && ACTIVE_STATES.includes(inst.lifecycleState)) {
        if (g.desiredCapacity <= g.minSize)
          throw asgInvalid(
            `Currently, desiredSize equals minSize (${g.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
          );
        g.desiredCapacity -= 1;
      }
      const cause = decrement
        ? `an instance was taken out of service in response to a user request, shrinking the capacity from ${g.desiredCapacity + 1} to ${g.desiredCapacity}.`
        : 'an instance was taken out of service in response to a user request.';
      this.beginTerminate(g, inst, cause, 'user-request');
      const a = g.activities.find((x) => x.description === `Terminating EC2 instance: ${id}`);
      this.kickReconcile();
      return {
        Activity: a
          ? this.activityWire(g, a)
          : this.activityWire(g, this.activity(g, `Terminating EC2 instance: ${id}`, cause)),
      };
    },

    SetInstanceProtection: (input) => {
      const r = asgReader(input);
      const g = this.group(r.reqStr('AutoScalingGroupName'));
      const ids = r.strList('InstanceIds');
      if (!ids.length)
        throw asgInvalid(
          "1 validation error detected: Value null at 'instanceIds' failed to satisfy constraint: Member must not be null",
        );
      if (ids.length > 50)
        throw asgInvalid('The number of instance ids specified exceeds the maximum of 50.');
      const prot = r.bool('ProtectedFromScaleIn');
      if (prot === undefined)
        throw asgInvalid(
          "1 validation error detected: Value null at 'protectedFromScaleIn' failed to satisfy constraint: Member must not be null",
        );
      const insts = ids.map((id) => {
        const i = g.instances.find((x) => x.instanceId === id);
        if (!i) throw asgInvalid(`The instance ${id} is not part of Auto Scaling group ${g.name}.`);
        return i;
      });
      for (const i of insts) {
        i.protectedFromScaleIn = prot;
        this.sim.log('asg.protection', { asg: g.name, instanceId: i.instanceId, protectedFromScaleIn: prot });
      }
      return emptyQueryResult();
    },

    SetInstanceHealth: (input) => {
      const r = asgReader(input);
      const id = r.reqStr('InstanceId');
      const status = r.reqStr('HealthStatus');
      if (status !== 'Healthy' && status !== 'Unhealthy')
        throw asgInvalid(`Invalid HealthStatus: ${status}. Valid values: Healthy, Unhealthy`);
      const found = this.findInstance(id);
      if (!found)
        throw asgInvalid(`Instance Id not found - No managed instance found for instance ID: ${id}`);
      found.inst.healthStatus = status;
      this.sim.log('asg.health', {
        asg: found.g.name,
        instanceId: id,
        healthStatus: status,
        source: 'SetInstanceHealth',
      });
      this.kickReconcile();
      return {};
    },

    SuspendProcesses: (input) => this.setProcesses(asgReader(input), true),
    ResumeProcesses: (input) => this.setProcesses(asgReader(input), false),

    CreateLaunchConfiguration: (input) => {
      const r = asgReader(input);
      const name = r.reqStr('LaunchConfigurationName');
      if (this.sim.state.launchConfigurations.has(name))
        throw new AwsError(
          'AlreadyExists',
          `Launch Configuration by this name already exists - A launch configuration already exists with the name ${name}`,
        );
      const imageId = r.reqStr('ImageId');
      const instanceType = r.reqStr('InstanceType');
      if (!instanceSize(instanceType)) throw asgInvalid(`Invalid instance type: ${instanceType}`);
      const ud = r.str('UserData');
      const profile = r.str('IamInstanceProfile');
      const key = r.str('KeyName');
      const spot = r.str('SpotPrice');
      const lc: LaunchConfiguration = {
        name,
        arn: `arn:aws:autoscaling:${this.sim.region}:${this.sim.accountId}:launchConfiguration:${this.sim.uuid()}:launchConfigurationName/${name}`,
        imageId,
        instanceType,
        securityGroups: r.strList('SecurityGroups'),
        createdTime: this.sim.now(),
        ...(ud !== undefined ? { userData: ud } : {}),
        ...(profile !== undefined ? { iamInstanceProfile: profile } : {}),
        ...(key !== undefined ? { keyName: key } : {}),
        ...(spot !== undefined ? { spotPrice: spot } : {}),
      };
      this.sim.state.launchConfigurations.set(name, lc);
      return {};
    },

    DescribeLaunchConfigurations: (input) => {
      const r = asgReader(input);
      const names = r.strList('LaunchConfigurationNames');
      const list = [...this.sim.state.launchConfigurations.values()].filter(
        (lc) => !names.length || names.includes(lc.name),
      );
      const { page, next } = paginate(
        list,
        r.str('NextToken'),
        r.int('MaxRecords', { min: 1, max: 100 }) ?? 50,
        'lcs',
        asgBadToken,
      );
      return compact({
        LaunchConfigurations: page.map((lc) =>
          compact({
            LaunchConfigurationName: lc.name,
            LaunchConfigurationARN: lc.arn,
            ImageId: lc.imageId,
            InstanceType: lc.instanceType,
            UserData: lc.userData,
            SecurityGroups: lc.securityGroups,
            IamInstanceProfile: lc.iamInstanceProfile,
            KeyName: lc.keyName,
            SpotPrice: lc.spotPrice,
            CreatedTime: new Date(lc.createdTime),
            BlockDeviceMappings: [],
            KernelId: '',
            RamdiskId: '',
            ClassicLinkVPCSecurityGroups: [],
          }),
        ),
        NextToken: next,
      });
    },

    DeleteLaunchConfiguration: (input) => {
      const r = asgReader(input);
      const name = r.reqStr('LaunchConfigurationName');
      if (!this.sim.state.launchConfigurations.has(name))
        throw asgInvalid(`Launch configuration name not found - Launch configuration ${name} not found`);
      if ([...this.sim.state.groups.values()].some((g) => g.launchConfigurationName === name))
        throw new AwsError(
          'ResourceInUse',
          `Cannot delete launch configuration ${name} because it is attached to AutoScalingGroup`,
        );
      this.sim.state.launchConfigurations.delete(name);
      return {};
    },
  };

  private setProcesses(r: Reader, suspend: boolean): Wire {
    const g = this.group(r.reqStr('AutoScalingGroupName'));
    const list = r.strList('ScalingProcesses');
    for (const p of list) if (!PROCESSES.includes(p)) throw asgInvalid(`Invalid scaling process: ${p}`);
    const which = list.length ? list : PROCESSES;
    g.suspendedProcesses = suspend
      ? [...new Set([...g.suspendedProcesses, ...which])]
      : g.suspendedProcesses.filter((p) => !which.includes(p));
    this.sim.log('asg.processes', { asg: g.name, suspended: g.suspendedProcesses });
    this.kickReconcile();
    return {};
  }
}
