/**
 * The Auto Scaling API of the twin: request validation and the wire views of groups, instances and
 * activities, over the group machinery in autoscaling.ts (launch configurations too).
 */
import { AwsError, type OperationHandler, type Wire } from '../../contract.js';
import type { AsgSim } from './autoscaling.js';
import { asgBadToken, asgInvalid, asgReader } from './errors.js';
import { instanceSize } from './instance-types.js';
import type { Sim } from './sim.js';
import {
  ACTIVE_STATES,
  type AsgInstance,
  type AutoScalingGroup,
  type LaunchConfiguration,
  type ScalingActivity,
} from './state.js';
import { compact, matchesFilters, paginate, type Reader } from './util.js';

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

export class AsgApi {
  constructor(
    private readonly sim: Sim,
    private readonly asg: AsgSim,
  ) {}

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

  private setProcesses(r: Reader, suspend: boolean): Wire {
    const g = this.asg.group(r.reqStr('AutoScalingGroupName'));
    const list = r.strList('ScalingProcesses');
    for (const p of list) if (!PROCESSES.includes(p)) throw asgInvalid(`Invalid scaling process: ${p}`);
    const which = list.length ? list : PROCESSES;
    g.suspendedProcesses = suspend
      ? [...new Set([...g.suspendedProcesses, ...which])]
      : g.suspendedProcesses.filter((p) => !which.includes(p));
    this.sim.log('asg.processes', { asg: g.name, suspended: g.suspendedProcesses });
    this.asg.kickReconcile();
    return {};
  }

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
      const hooks = r
        .objList('LifecycleHookSpecificationList')
        .map((h) => this.asg.lifecycle.readHook(h, name));
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
      this.asg.kickReconcile();
      return {};
    },
    UpdateAutoScalingGroup: (input) => {
      const r = asgReader(input);
      const g = this.asg.group(r.reqStr('AutoScalingGroupName'));
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
      this.asg.kickReconcile();
      return {};
    },
    DeleteAutoScalingGroup: (input) => {
      const r = asgReader(input);
      const g = this.asg.group(r.reqStr('AutoScalingGroupName'));
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
        this.asg.lifecycle.cancel(inst);
        inst.terminationCause = 'group deleted';
        this.asg.setLifecycle(g, inst, 'Terminating', { cause: 'force-delete' });
        this.asg.proceedTerminate(g, inst);
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
      const g = this.asg.group(r.reqStr('AutoScalingGroupName'));
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
      this.asg.kickReconcile();
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
      const found = this.asg.findInstance(id);
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
      this.asg.beginTerminate(g, inst, cause, 'user-request');
      const a = g.activities.find((x) => x.description === `Terminating EC2 instance: ${id}`);
      this.asg.kickReconcile();
      return {
        Activity: a
          ? this.activityWire(g, a)
          : this.activityWire(g, this.asg.activity(g, `Terminating EC2 instance: ${id}`, cause)),
      };
    },
    SetInstanceProtection: (input) => {
      const r = asgReader(input);
      const g = this.asg.group(r.reqStr('AutoScalingGroupName'));
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
      return {};
    },
    SetInstanceHealth: (input) => {
      const r = asgReader(input);
      const id = r.reqStr('InstanceId');
      const status = r.reqStr('HealthStatus');
      if (status !== 'Healthy' && status !== 'Unhealthy')
        throw asgInvalid(`Invalid HealthStatus: ${status}. Valid values: Healthy, Unhealthy`);
      const found = this.asg.findInstance(id);
      if (!found)
        throw asgInvalid(`Instance Id not found - No managed instance found for instance ID: ${id}`);
      found.inst.healthStatus = status;
      this.sim.log('asg.health', {
        asg: found.g.name,
        instanceId: id,
        healthStatus: status,
        source: 'SetInstanceHealth',
      });
      this.asg.kickReconcile();
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
}
