/**
 * EC2 in the twin: availability zones (which can fail), the default VPC with one default subnet per
 * AZ (network.ts), launch templates with versions (launch-templates.ts), and instances with their state machine
 * (pending → running → shutting-down → terminated, stopping → stopped) and named delays. Instance
 * state changes are fanned out to EBS (detach on termination), ECS (agent and tasks) and Auto Scaling.
 */
import { AwsError, type OperationHandler, type Wire } from '../../contract.js';
import { ec2BadToken, ec2Invalid, ec2Reader, ec2UnknownFilter } from './errors.js';
import { instanceSize } from './instance-types.js';
import { LaunchTemplates } from './launch-templates.js';
import { Network, intToIp, parseCidr } from './network.js';
import { SecurityGroups } from './security-groups.js';
import type { Sim } from './sim.js';
import {
  INSTANCE_STATE_CODES,
  type Instance,
  type InstanceStateName,
  type LaunchTemplateData,
  type Subnet,
} from './state.js';
import {
  compact,
  isBase64,
  ec2TagSet,
  matchesFilters,
  paginate,
  parseEcsConfig,
  readFilters,
  readTagSpecs,
  tagFilterValues,
  type Reader,
  type Tags,
} from './util.js';

export interface LaunchRequest {
  imageId: string;
  instanceType: string;
  subnet: Subnet;
  userData?: string;
  tags: Tags;
  launchTemplate?: { id: string; name: string; version: string };
  launchConfigurationName?: string;
  asgName?: string;
  spot: boolean;
  securityGroupIds: string[];
  rootVolumeSize?: number;
  rootVolumeType?: string;
  reservationId?: string;
}

export class Ec2Sim {
  readonly network: Network;
  readonly securityGroups: SecurityGroups;
  readonly templates: LaunchTemplates;
  readonly operations: Record<string, OperationHandler>;

  constructor(private readonly sim: Sim) {
    this.network = new Network(sim);
    this.securityGroups = new SecurityGroups(sim);
    this.templates = new LaunchTemplates(sim);
    this.operations = {
      ...this.network.operations,
      ...this.securityGroups.operations,
      ...this.templates.operations,
      ...this.instanceOps,
    };
    sim.on('ec2.boot', (a) => this.onBoot(String(a['instanceId'])));
    sim.on('ec2.terminated', (a) => this.onTerminated(String(a['instanceId'])));
    sim.on('ec2.stopped', (a) => this.onStopped(String(a['instanceId'])));
    sim.on('ec2.purge', (a) => this.sim.state.instances.delete(String(a['instanceId'])));
  }
  init(): void {
    this.network.init();
    this.securityGroups.ensureDefaults();
  }

  azNames(): string[] {
    return this.network.azNames();
  }

  azAvailable(az: string): boolean {
    return this.network.azAvailable(az);
  }

  subnet(id: string): Subnet {
    return this.network.subnet(id);
  }

  defaultSubnet(az: string): Subnet | undefined {
    return this.network.defaultSubnet(az);
  }

  resolveTemplate(spec: {
    id?: string;
    name?: string;
    version?: string;
  }): ReturnType<LaunchTemplates['resolveTemplate']> {
    return this.templates.resolveTemplate(spec);
  }

  launchSpecFromTemplate(data: LaunchTemplateData): ReturnType<LaunchTemplates['launchSpecFromTemplate']> {
    return this.templates.launchSpecFromTemplate(data);
  }

  // ---------------------------------------------------------------------------------------------
  // Lookups used by the other parts

  instance(id: string): Instance {
    const inst = this.sim.state.instances.get(id);
    if (!inst) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return inst;
  }

  // ---------------------------------------------------------------------------------------------
  // Instance lifecycle

  /** Launches one instance (pending). Throws InsufficientInstanceCapacity in a failed AZ. */
  launch(req: LaunchRequest): Instance {
    const sn = req.subnet;
    if (!this.azAvailable(sn.az))
      throw new AwsError(
        'InsufficientInstanceCapacity',
        `We currently do not have sufficient ${req.instanceType} capacity in the Availability Zone you requested (${sn.az}). Our system will be working on provisioning additional capacity.`,
        { status: 500 },
      );
    const cidr = parseCidr(sn.cidrBlock);
    const host = (cidr?.base ?? 0) + 4 + sn.nextHost++;
    const instanceId = this.sim.ec2Id('i');
    const inst: Instance = {
      instanceId,
      reservationId: req.reservationId ?? this.sim.ec2Id('r'),
      imageId: req.imageId,
      instanceType: req.instanceType,
      az: sn.az,
      subnetId: sn.subnetId,
      vpcId: sn.vpcId,
      privateIp: intToIp(host),
      state: 'pending',
      stateTransitionReason: '',
      launchTime: this.sim.now(),
      tags: { ...req.tags },
      ecsConfig: parseEcsConfig(req.userData),
      spot: req.spot,
      impaired: false,
      rootDeviceName: '/dev/xvda',
      securityGroupIds: req.securityGroupIds,
      ...(req.userData !== undefined ? { userData: req.userData } : {}),
      ...(req.launchTemplate ? { launchTemplate: req.launchTemplate } : {}),
      ...(req.launchConfigurationName ? { launchConfigurationName: req.launchConfigurationName } : {}),
      ...(req.asgName ? { asgName: req.asgName } : {}),
    };
    this.sim.state.instances.set(instanceId, inst);
    this.sim.log('ec2.instance.state', {
      instanceId,
      from: null,
      to: 'pending',
      az: inst.az,
      instanceType: inst.instanceType,
      asg: req.asgName,
    });
    this.sim.ebs.createRootVolume(inst, req.rootVolumeSize ?? 30, req.rootVolumeType ?? 'gp3');
    this.sim.schedule('ec2.boot', { instanceId }, this.sim.params.instanceBootMs);
    return inst;
  }

  setState(inst: Instance, to: InstanceStateName, reason?: string): void {
    const from = inst.state;
    if (from === to) return;
    inst.state = to;
    if (reason !== undefined) inst.stateTransitionReason = reason;
    this.sim.log('ec2.instance.state', {
      instanceId: inst.instanceId,
      from,
      to,
      az: inst.az,
      reason: reason ?? null,
      asg: inst.asgName ?? null,
    });
    this.sim.ebs.onInstanceState(inst, from, to);
    this.sim.ecs.onInstanceState(inst, from, to);
    this.sim.asg.onInstanceState(inst, from, to);
  }

  private onBoot(id: string): void {
    const inst = this.sim.state.instances.get(id);
    if (inst?.state === 'pending') this.setState(inst, 'running');
  }

  /** Begins termination (shutting-down → terminated after instanceTerminateMs). */
  terminate(inst: Instance, reason: string, stateReason?: { code: string; message: string }): void {
    if (inst.state === 'shutting-down' || inst.state === 'terminated') return;
    inst.stateReason = stateReason ?? {
      code: 'Client.UserInitiatedShutdown',
      message: 'Client.UserInitiatedShutdown: User initiated shutdown',
    };
    this.setState(inst, 'shutting-down', reason);
    this.sim.schedule('ec2.terminated', { instanceId: inst.instanceId }, this.sim.params.instanceTerminateMs);
  }

  private onTerminated(id: string): void {
    const inst = this.sim.state.instances.get(id);
    if (!inst || inst.state === 'terminated') return;
    inst.terminatedAt = this.sim.now();
    this.setState(inst, 'terminated');
    this.sim.state.interruptions.delete(id);
    this.sim.schedule('ec2.purge', { instanceId: id }, this.sim.params.terminatedInstanceRetentionMs);
  }

  stop(inst: Instance, reason: string): void {
    if (inst.state !== 'running' && inst.state !== 'pending') return;
    inst.stateReason = {
      code: 'Client.UserInitiatedShutdown',
      message: 'Client.UserInitiatedShutdown: User initiated shutdown',
    };
    this.setState(inst, 'stopping', reason);
    this.sim.schedule('ec2.stopped', { instanceId: inst.instanceId }, this.sim.params.instanceStopMs);
  }

  private onStopped(id: string): void {
    const inst = this.sim.state.instances.get(id);
    if (inst?.state === 'stopping') this.setState(inst, 'stopped');
  }

  start(inst: Instance): void {
    if (inst.state !== 'stopped') return;
    if (!this.azAvailable(inst.az))
      throw new AwsError('InsufficientInstanceCapacity', `Insufficient capacity in ${inst.az}.`, {
        status: 500,
      });
    delete inst.stateReason;
    this.setState(inst, 'pending', '');
    this.sim.schedule('ec2.boot', { instanceId: inst.instanceId }, this.sim.params.instanceBootMs);
  }

  /** AZ failure: instances there become impaired and no launches succeed there. */
  setAzState(az: string, state: 'available' | 'impaired'): void {
    const z = this.sim.state.azs.get(az);
    if (!z) throw ec2Invalid(`Invalid availability zone: [${az}]`);
    if (z.state === state) return;
    z.state = state;
    this.sim.log('ec2.az.state', { az, state });
    for (const inst of this.sim.state.instances.values()) {
      if (inst.az !== az || inst.state === 'terminated') continue;
      inst.impaired = state === 'impaired';
      this.sim.log('ec2.instance.status', { instanceId: inst.instanceId, az, impaired: inst.impaired });
      this.sim.ecs.onInstanceImpaired(inst);
    }
    this.sim.asg.kickReconcile();
  }

  size(inst: Instance): { cpu: number; memory: number } {
    const s = instanceSize(inst.instanceType) ?? { vcpu: 2, memory: 3906 };
    return { cpu: s.vcpu * 1024, memory: s.memory };
  }

  // ---------------------------------------------------------------------------------------------
  // Wire views

  /**
   * Terminate/Stop/StartInstances: the instances named by InstanceId.N, every one checked by `refuse`
   * (a reason means IncorrectInstanceState, and nothing changes), then each changed, with its
   * previous and current state in the answer.
   */
  private changeStates(
    input: Wire,
    refuse: (i: Instance) => string | undefined,
    change: (i: Instance) => void,
  ): Wire {
    const ids = ec2Reader(input).strList('InstanceId');
    if (!ids.length)
      throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceId');
    const insts = ids.map((id) => this.instance(id));
    for (const i of insts) {
      const why = refuse(i);
      if (why !== undefined) throw new AwsError('IncorrectInstanceState', why);
    }
    return {
      instancesSet: insts.map((i) => {
        const prev = i.state;
        change(i);
        return this.stateChange(i, prev);
      }),
    };
  }

  instanceWire(inst: Instance): Wire {
    const ip = inst.privateIp.replace(/\./g, '-');
    const devices = this.sim.ebs.attachmentsOf(inst.instanceId).map(({ volume, attachment }) => ({
      deviceName: attachment.device,
      ebs: {
        volumeId: volume.volumeId,
        status: attachment.state,
        attachTime: new Date(attachment.attachTime),
        deleteOnTermination: attachment.deleteOnTermination,
      },
    }));
    return compact({
      instanceId: inst.instanceId,
      imageId: inst.imageId,
      instanceState: { code: INSTANCE_STATE_CODES[inst.state], name: inst.state },
      privateDnsName: inst.state === 'terminated' ? '' : `ip-${ip}.ec2.internal`,
      dnsName: '',
      reason: inst.stateTransitionReason,
      amiLaunchIndex: 0,
      productCodes: [],
      instanceType: inst.instanceType,
      launchTime: new Date(inst.launchTime),
      placement: { availabilityZone: inst.az, groupName: '', tenancy: 'default' },
      monitoring: { state: 'disabled' },
      subnetId: inst.state === 'terminated' ? undefined : inst.subnetId,
      vpcId: inst.state === 'terminated' ? undefined : inst.vpcId,
      privateIpAddress: inst.state === 'terminated' ? undefined : inst.privateIp,
      groupSet: inst.securityGroupIds.map((groupId) => ({
        groupId,
        groupName: this.sim.state.securityGroups.get(groupId)?.groupName ?? groupId,
      })),
      stateReason: inst.stateReason,
      architecture: 'x86_64',
      rootDeviceType: 'ebs',
      rootDeviceName: inst.rootDeviceName,
      blockDeviceMapping: devices,
      virtualizationType: 'hvm',
      instanceLifecycle: inst.spot ? 'spot' : undefined,
      tagSet: ec2TagSet(inst.tags),
      hypervisor: 'xen',
      ebsOptimized: false,
      enaSupport: true,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  private readonly instanceOps: Record<string, OperationHandler> = {
    RunInstances: (input) => this.runInstances(ec2Reader(input)),

    DescribeInstances: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('InstanceId');
      const filters = readFilters(r);
      const maxResults = r.int('MaxResults', { min: 5, max: 1000 });
      if (ids.length && maxResults !== undefined)
        throw new AwsError(
          'InvalidParameterCombination',
          'The parameter instancesSet cannot be used with the parameter maxResults',
        );
      for (const id of ids) this.instance(id);
      const list = [...this.sim.state.instances.values()].filter(
        (i) =>
          (!ids.length || ids.includes(i.instanceId)) &&
          matchesFilters(filters, (n) => this.instanceFilter(i, n), ec2UnknownFilter),
      );
      const { page, next } = paginate(list, r.str('NextToken'), maxResults ?? 1000, 'instances', ec2BadToken);
      const byReservation = new Map<string, Instance[]>();
      for (const i of page)
        byReservation.set(i.reservationId, [...(byReservation.get(i.reservationId) ?? []), i]);
      return compact({
        reservationSet: [...byReservation.entries()].map(([reservationId, insts]) => ({
          reservationId,
          ownerId: this.sim.accountId,
          groupSet: [],
          instancesSet: insts.map((i) => this.instanceWire(i)),
        })),
        nextToken: next,
      });
    },

    DescribeInstanceStatus: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('InstanceId');
      const all = r.bool('IncludeAllInstances') ?? false;
      const filters = readFilters(r);
      for (const id of ids) this.instance(id);
      const list = [...this.sim.state.instances.values()].filter(
        (i) =>
          (!ids.length || ids.includes(i.instanceId)) &&
          (all || i.state === 'running') &&
          matchesFilters(
            filters,
            (n) =>
              ({
                'availability-zone': [i.az],
                'instance-state-name': [i.state],
                'instance-state-code': [String(INSTANCE_STATE_CODES[i.state])],
                'instance-status.status': [this.statusOf(i)],
                'system-status.status': [this.statusOf(i)],
              })[n],
            ec2UnknownFilter,
          ),
      );
      const { page, next } = paginate(
        list,
        r.str('NextToken'),
        r.int('MaxResults', { min: 5, max: 1000 }) ?? 1000,
        'status',
        ec2BadToken,
      );
      return compact({
        instanceStatusSet: page.map((i) => {
          const st = this.statusOf(i);
          const detail = {
            name: 'reachability',
            status: st === 'ok' ? 'passed' : st === 'impaired' ? 'failed' : 'initializing',
          };
          return {
            instanceId: i.instanceId,
            availabilityZone: i.az,
            instanceState: { code: INSTANCE_STATE_CODES[i.state], name: i.state },
            instanceStatus: { status: st, details: [detail] },
            systemStatus: { status: st, details: [detail] },
            eventsSet: this.sim.state.interruptions.has(i.instanceId)
              ? [{ code: 'instance-stop', description: 'Spot instance interruption notice' }]
              : [],
          };
        }),
        nextToken: next,
      });
    },

    TerminateInstances: (input) =>
      this.changeStates(
        input,
        () => undefined,
        (i) => this.terminate(i, `User initiated (${new Date(this.sim.now()).toISOString()})`),
      ),

    StopInstances: (input) =>
      this.changeStates(
        input,
        (i) =>
          i.state === 'terminated' || i.state === 'shutting-down'
            ? `This instance '${i.instanceId}' is not in a state from which it can be stopped.`
            : undefined,
        (i) => this.stop(i, `User initiated (${new Date(this.sim.now()).toISOString()})`),
      ),

    StartInstances: (input) =>
      this.changeStates(
        input,
        (i) =>
          i.state !== 'stopped' && i.state !== 'running' && i.state !== 'pending'
            ? `The instance '${i.instanceId}' is not in a state from which it can be started.`
            : undefined,
        (i) => this.start(i),
      ),

    CreateTags: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('ResourceId');
      if (!ids.length)
        throw new AwsError('MissingParameter', 'The request must contain the parameter ResourceId');
      const tags = r.objList('Tag').map((t) => ({ key: t.reqStr('Key'), value: t.str('Value') ?? '' }));
      for (const t of tags) {
        if (t.key.length > 128 || t.key.length === 0)
          throw ec2Invalid(`Tag key must be between 1 and 128 characters: '${t.key}'`);
        if (t.key.toLowerCase().startsWith('aws:'))
          throw ec2Invalid(`Tag keys starting with 'aws:' are reserved for internal use`);
        if (t.value.length > 256) throw ec2Invalid(`Tag value exceeds the maximum length of 256 characters`);
      }
      const targets = ids.map((id) => this.taggable(id));
      for (const { tags: have } of targets) {
        const keys = new Set([...Object.keys(have), ...tags.map((t) => t.key)]);
        if (keys.size > 50)
          throw new AwsError(
            'TagLimitExceeded',
            'The maximum number of Tags for a resource has been reached.',
          );
      }
      for (const { id, tags: have } of targets) {
        for (const t of tags) have[t.key] = t.value;
        this.sim.log('ec2.tags', {
          resourceId: id,
          set: Object.fromEntries(tags.map((t) => [t.key, t.value])),
        });
      }
      return { return: true };
    },

    DeleteTags: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('ResourceId');
      if (!ids.length)
        throw new AwsError('MissingParameter', 'The request must contain the parameter ResourceId');
      const tags = r.objList('Tag').map((t) => ({ key: t.reqStr('Key'), value: t.str('Value') }));
      const targets = ids.map((id) => this.taggable(id));
      for (const { id, tags: have } of targets) {
        const removed: string[] = [];
        const keys = tags.length ? tags : Object.keys(have).map((key) => ({ key, value: undefined }));
        for (const t of keys) {
          if (!(t.key in have)) continue;
          if (t.value !== undefined && have[t.key] !== t.value) continue;
          delete have[t.key];
          removed.push(t.key);
        }
        this.sim.log('ec2.tags', { resourceId: id, removed });
      }
      return { return: true };
    },

    DescribeTags: (input) => {
      const r = ec2Reader(input);
      const filters = readFilters(r);
      const rows: { resourceId: string; resourceType: string; key: string; value: string }[] = [];
      const add = (resourceId: string, resourceType: string, tags: Tags): void => {
        for (const [key, value] of Object.entries(tags)) rows.push({ resourceId, resourceType, key, value });
      };
      const s = this.sim.state;
      for (const i of s.instances.values()) add(i.instanceId, 'instance', i.tags);
      for (const v of s.volumes.values()) add(v.volumeId, 'volume', v.tags);
      for (const x of s.snapshots.values()) add(x.snapshotId, 'snapshot', x.tags);
      for (const lt of s.launchTemplates.values()) add(lt.id, 'launch-template', lt.tags);
      for (const sn of s.subnets.values()) add(sn.subnetId, 'subnet', sn.tags);
      for (const v of s.vpcs.values()) add(v.vpcId, 'vpc', v.tags);
      for (const g of s.securityGroups.values()) add(g.groupId, 'security-group', g.tags);
      const list = rows.filter((row) =>
        matchesFilters(
          filters,
          (n) =>
            ({
              key: [row.key],
              value: [row.value],
              'resource-id': [row.resourceId],
              'resource-type': [row.resourceType],
              'tag-key': [row.key],
              'tag-value': [row.value],
            })[n] ?? (n.startsWith('tag:') ? (row.key === n.slice(4) ? [row.value] : []) : undefined),
          ec2UnknownFilter,
        ),
      );
      const { page, next } = paginate(
        list,
        r.str('NextToken'),
        r.int('MaxResults', { min: 5, max: 1000 }) ?? 1000,
        'tags',
        ec2BadToken,
      );
      return compact({ tagSet: page, nextToken: next });
    },
  };

  private statusOf(i: Instance): 'ok' | 'impaired' | 'initializing' | 'not-applicable' {
    if (i.state !== 'running') return 'not-applicable';
    if (i.impaired) return 'impaired';
    return 'ok';
  }

  private stateChange(i: Instance, prev: InstanceStateName): Wire {
    return {
      instanceId: i.instanceId,
      currentState: { code: INSTANCE_STATE_CODES[i.state], name: i.state },
      previousState: { code: INSTANCE_STATE_CODES[prev], name: prev },
    };
  }

  private instanceFilter(i: Instance, n: string): string[] | undefined {
    const tag = tagFilterValues(n, i.tags);
    if (tag) return tag;
    switch (n) {
      case 'instance-id':
        return [i.instanceId];
      case 'availability-zone':
        return [i.az];
      case 'instance-state-name':
        return [i.state];
      case 'instance-state-code':
        return [String(INSTANCE_STATE_CODES[i.state])];
      case 'instance-type':
        return [i.instanceType];
      case 'image-id':
        return [i.imageId];
      case 'subnet-id':
        return [i.subnetId];
      case 'vpc-id':
        return [i.vpcId];
      case 'private-ip-address':
        return [i.privateIp];
      case 'reservation-id':
        return [i.reservationId];
      case 'instance-lifecycle':
        return i.spot ? ['spot'] : [];
      case 'launch-template-id':
        return i.launchTemplate ? [i.launchTemplate.id] : [];
      default:
        return undefined;
    }
  }

  /** The tag map of any taggable EC2 resource. */
  taggable(id: string): { id: string; tags: Tags } {
    const s = this.sim.state;
    const found =
      (id.startsWith('i-') && s.instances.get(id)) ||
      (id.startsWith('vol-') && s.volumes.get(id)) ||
      (id.startsWith('snap-') && s.snapshots.get(id)) ||
      (id.startsWith('lt-') && s.launchTemplates.get(id)) ||
      (id.startsWith('subnet-') && s.subnets.get(id)) ||
      (id.startsWith('vpc-') && s.vpcs.get(id)) ||
      (id.startsWith('sg-') && s.securityGroups.get(id));
    if (found) return { id, tags: found.tags };
    const kind = id.split('-')[0];
    const code =
      kind === 'i'
        ? 'InvalidInstanceID.NotFound'
        : kind === 'vol'
          ? 'InvalidVolume.NotFound'
          : kind === 'snap'
            ? 'InvalidSnapshot.NotFound'
            : kind === 'lt'
              ? 'InvalidLaunchTemplateId.NotFound'
              : kind === 'subnet'
                ? 'InvalidSubnetID.NotFound'
                : kind === 'vpc'
                  ? 'InvalidVpcID.NotFound'
                  : kind === 'sg'
                    ? 'InvalidGroup.NotFound'
                    : 'InvalidID';
    throw new AwsError(
      code,
      code === 'InvalidID' ? `The ID '${id}' is not valid` : `The ID '${id}' does not exist`,
    );
  }

  private runInstances(r: Reader): Wire {
    const min = r.reqInt('MinCount', { min: 1 });
    const max = r.reqInt('MaxCount', { min: 1 });
    if (min > max) throw ec2Invalid(`MinCount (${min}) must be less than or equal to MaxCount (${max})`);
    const ltSpec = r.obj('LaunchTemplate');
    let fromTemplate: ReturnType<LaunchTemplates['launchSpecFromTemplate']> | undefined;
    let ltRef: { id: string; name: string; version: string } | undefined;
    if (ltSpec) {
      const res = this.resolveTemplate({
        ...(ltSpec.str('LaunchTemplateId') !== undefined ? { id: ltSpec.str('LaunchTemplateId') } : {}),
        ...(ltSpec.str('LaunchTemplateName') !== undefined ? { name: ltSpec.str('LaunchTemplateName') } : {}),
        ...(ltSpec.str('Version') !== undefined ? { version: ltSpec.str('Version') } : {}),
      } as { id?: string; name?: string; version?: string });
      fromTemplate = this.launchSpecFromTemplate(res.data);
      ltRef = { id: res.lt.id, name: res.lt.name, version: String(res.version) };
    }
    const imageId = r.str('ImageId') ?? fromTemplate?.imageId;
    if (!imageId) throw new AwsError('MissingParameter', 'The request must contain the parameter ImageId');
    const instanceType = r.str('InstanceType') ?? fromTemplate?.instanceType ?? 'm1.small';
    if (!instanceSize(instanceType)) throw ec2Invalid(`Invalid value '${instanceType}' for InstanceType.`);
    const userData = r.str('UserData') ?? fromTemplate?.userData;
    if (userData !== undefined && !isBase64(userData))
      throw new AwsError('InvalidUserData.Malformed', 'Invalid BASE64 encoding of user data.');
    const subnetId = r.str('SubnetId');
    const az = r.obj('Placement')?.str('AvailabilityZone');
    let subnet: Subnet | undefined;
    if (subnetId) {
      subnet = this.subnet(subnetId);
      if (az && az !== subnet.az)
        throw ec2Invalid(`The specified subnet ${subnetId} is not in the availability zone ${az}`);
    } else {
      const zone = az ?? this.sim.deps.rng.pick(this.azNames());
      if (!this.sim.state.azs.has(zone)) throw ec2Invalid(`Invalid availability zone: [${zone}]`);
      subnet = this.defaultSubnet(zone);
      if (!subnet) throw new AwsError('MissingInput', `No default subnet for availability zone: '${zone}'.`);
    }
    const market = r.obj('InstanceMarketOptions')?.str('MarketType');
    const tags = { ...(fromTemplate?.tags ?? {}), ...readTagSpecs(r, 'instance') };
    const reservationId = this.sim.ec2Id('r');
    const sgs = r.strList('SecurityGroupId');
    const insts: Instance[] = [];
    for (let n = 0; n < max; n++) {
      insts.push(
        this.launch({
          imageId,
          instanceType,
          subnet,
          tags,
          spot: market === 'spot' || (fromTemplate?.spot ?? false),
          securityGroupIds: sgs.length ? sgs : (fromTemplate?.securityGroupIds ?? []),
          reservationId,
          ...(userData !== undefined ? { userData } : {}),
          ...(ltRef ? { launchTemplate: ltRef } : {}),
          ...(fromTemplate?.rootVolumeSize !== undefined
            ? { rootVolumeSize: fromTemplate.rootVolumeSize }
            : {}),
          ...(fromTemplate?.rootVolumeType !== undefined
            ? { rootVolumeType: fromTemplate.rootVolumeType }
            : {}),
        }),
      );
    }
    return {
      reservationId,
      ownerId: this.sim.accountId,
      groupSet: [],
      instancesSet: insts.map((i) => this.instanceWire(i)),
    };
  }
}
