/**
 * EC2 in the twin: availability zones (which can fail), the default VPC with one default subnet per
 * AZ, launch templates with versions, and instances with their state machine
 * (pending → running → shutting-down → terminated, stopping → stopped) and named delays. Instance
 * state changes are fanned out to EBS (detach on termination), ECS (agent and tasks) and Auto Scaling.
 */
import { AwsError, type OperationHandler, type Wire } from '../../contract.js';
import { ec2BadToken, ec2Invalid, ec2Reader, ec2UnknownFilter } from './errors.js';
import { instanceSize } from './instance-types.js';
import type { Sim } from './sim.js';
import {
  INSTANCE_STATE_CODES,
  type Instance,
  type InstanceStateName,
  type LaunchTemplate,
  type LaunchTemplateData,
  type Subnet,
} from './state.js';
import {
  compact,
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

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return NaN;
  return (((parts[0] ?? 0) << 24) >>> 0) + ((parts[1] ?? 0) << 16) + ((parts[2] ?? 0) << 8) + (parts[3] ?? 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): { base: number; prefix: number } | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const base = ipToInt(m[1] ?? '');
  const prefix = Number(m[2]);
  if (Number.isNaN(base) || prefix < 0 || prefix > 32) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) return undefined;
  return { base, prefix };
}

export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

export class Ec2Sim {
  constructor(private readonly sim: Sim) {
    sim.on('ec2.boot', (a) => this.onBoot(String(a['instanceId'])));
    sim.on('ec2.terminated', (a) => this.onTerminated(String(a['instanceId'])));
    sim.on('ec2.stopped', (a) => this.onStopped(String(a['instanceId'])));
    sim.on('ec2.purge', (a) => this.sim.state.instances.delete(String(a['instanceId'])));
  }

  /** Creates the region's AZs and the default VPC with a default subnet per AZ. */
  init(): void {
    const s = this.sim.state;
    const region = this.sim.region;
    const short = region.replace(/^(\w\w)-(\w)\w*-(\d+)$/, '$1$2$3');
    ['a', 'b', 'c'].forEach((suffix, i) => {
      const name = `${region}${suffix}`;
      s.azs.set(name, { name, zoneId: `${short}-az${i + 1}`, state: 'available' });
    });
    const vpcId = this.sim.ec2Id('vpc');
    s.vpcs.set(vpcId, { vpcId, cidrBlock: '172.31.0.0/16', isDefault: true, tags: {} });
    [...s.azs.values()].forEach((az, i) => {
      const subnetId = this.sim.ec2Id('subnet');
      s.subnets.set(subnetId, {
        subnetId,
        vpcId,
        az: az.name,
        cidrBlock: `172.31.${i * 16}.0/20`,
        defaultForAz: true,
        nextHost: 0,
        tags: {},
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Lookups used by the other parts

  instance(id: string): Instance {
    const inst = this.sim.state.instances.get(id);
    if (!inst) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return inst;
  }

  azNames(): string[] {
    return [...this.sim.state.azs.keys()];
  }

  azAvailable(az: string): boolean {
    return this.sim.state.azs.get(az)?.state === 'available';
  }

  subnet(id: string): Subnet {
    const sn = this.sim.state.subnets.get(id);
    if (!sn) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    return sn;
  }

  defaultSubnet(az: string): Subnet | undefined {
    return [...this.sim.state.subnets.values()].find((s) => s.az === az && s.defaultForAz);
  }

  /** Resolves a launch template spec to the template and the version data. */
  resolveTemplate(spec: { id?: string; name?: string; version?: string }): {
    lt: LaunchTemplate;
    data: LaunchTemplateData;
    version: number;
  } {
    const lt = this.findTemplate(spec.id, spec.name);
    const v = spec.version ?? '$Default';
    const num = v === '$Latest' ? lt.latestVersion : v === '$Default' ? lt.defaultVersion : Number(v);
    const ver = lt.versions.find((x) => x.versionNumber === num);
    if (!ver)
      throw new AwsError(
        'InvalidLaunchTemplateId.VersionNotFound',
        `Could not find launch template version ${v} for launch template ${lt.id}`,
      );
    return { lt, data: ver.data, version: num };
  }

  findTemplate(id?: string, name?: string): LaunchTemplate {
    const all = [...this.sim.state.launchTemplates.values()];
    if (id !== undefined) {
      const lt = all.find((x) => x.id === id);
      if (!lt)
        throw new AwsError(
          'InvalidLaunchTemplateId.NotFound',
          `The specified launch template, with template ID ${id}, does not exist.`,
        );
      return lt;
    }
    if (name !== undefined) {
      const lt = all.find((x) => x.name === name);
      if (!lt)
        throw new AwsError(
          'InvalidLaunchTemplateName.NotFoundException',
          `The specified launch template, with template name ${name}, does not exist.`,
        );
      return lt;
    }
    throw new AwsError(
      'MissingParameter',
      'The request must contain the parameter LaunchTemplateName or LaunchTemplateId',
    );
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
      groupSet: inst.securityGroupIds.map((groupId) => ({ groupId, groupName: groupId })),
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

  private templateWire(lt: LaunchTemplate): Wire {
    return {
      launchTemplateId: lt.id,
      launchTemplateName: lt.name,
      createTime: new Date(lt.createTime),
      createdBy: `arn:aws:iam::${this.sim.accountId}:root`,
      defaultVersionNumber: lt.defaultVersion,
      latestVersionNumber: lt.latestVersion,
      tagSet: ec2TagSet(lt.tags),
    };
  }

  private templateDataWire(d: LaunchTemplateData): Wire {
    return compact({
      imageId: d.ImageId,
      instanceType: d.InstanceType,
      userData: d.UserData,
      keyName: d.KeyName,
      iamInstanceProfile: d.IamInstanceProfile
        ? compact({ arn: d.IamInstanceProfile.Arn, name: d.IamInstanceProfile.Name })
        : undefined,
      securityGroupIdSet: d.SecurityGroupIds,
      tagSpecificationSet: d.TagSpecifications?.map((t) => ({
        resourceType: t.ResourceType,
        tagSet: ec2TagSet(t.Tags),
      })),
      blockDeviceMappingSet: d.BlockDeviceMappings?.map((b) =>
        compact({
          deviceName: b.DeviceName,
          ebs: b.Ebs
            ? compact({
                volumeSize: b.Ebs.VolumeSize,
                volumeType: b.Ebs.VolumeType,
                deleteOnTermination: b.Ebs.DeleteOnTermination,
                encrypted: b.Ebs.Encrypted,
              })
            : undefined,
        }),
      ),
      instanceMarketOptions: d.MarketType ? { marketType: d.MarketType } : undefined,
    });
  }

  private readTemplateData(r: Reader): LaunchTemplateData {
    const d: LaunchTemplateData = {};
    const imageId = r.str('ImageId');
    if (imageId !== undefined) d.ImageId = imageId;
    const type = r.str('InstanceType');
    if (type !== undefined) {
      if (!instanceSize(type)) throw ec2Invalid(`Invalid value '${type}' for InstanceType.`);
      d.InstanceType = type;
    }
    const ud = r.str('UserData');
    if (ud !== undefined) {
      if (!isBase64(ud))
        throw new AwsError('InvalidUserData.Malformed', 'Invalid BASE64 encoding of user data.');
      d.UserData = ud;
    }
    const key = r.str('KeyName');
    if (key !== undefined) d.KeyName = key;
    const prof = r.obj('IamInstanceProfile');
    if (prof) {
      const p: { Arn?: string; Name?: string } = {};
      const arn = prof.str('Arn');
      const name = prof.str('Name');
      if (arn !== undefined) p.Arn = arn;
      if (name !== undefined) p.Name = name;
      d.IamInstanceProfile = p;
    }
    const sgs = r.strList('SecurityGroupId');
    if (sgs.length) d.SecurityGroupIds = sgs;
    const specs = r.objList('TagSpecification').map((s) => ({
      ResourceType: s.reqStr('ResourceType'),
      Tags: Object.fromEntries(s.objList('Tag').map((t) => [t.reqStr('Key'), t.str('Value') ?? ''])),
    }));
    if (specs.length) d.TagSpecifications = specs;
    const bdm = r.objList('BlockDeviceMapping').map((b) => {
      const ebs = b.obj('Ebs');
      const out: NonNullable<LaunchTemplateData['BlockDeviceMappings']>[number] = {
        DeviceName: b.reqStr('DeviceName'),
      };
      if (ebs) {
        const e: NonNullable<typeof out.Ebs> = {};
        const size = ebs.int('VolumeSize', { min: 1, max: 65536 });
        const vt = ebs.str('VolumeType');
        const dot = ebs.bool('DeleteOnTermination');
        const enc = ebs.bool('Encrypted');
        if (size !== undefined) e.VolumeSize = size;
        if (vt !== undefined) e.VolumeType = vt;
        if (dot !== undefined) e.DeleteOnTermination = dot;
        if (enc !== undefined) e.Encrypted = enc;
        out.Ebs = e;
      }
      return out;
    });
    if (bdm.length) d.BlockDeviceMappings = bdm;
    const market = r.obj('InstanceMarketOptions')?.str('MarketType');
    if (market !== undefined) {
      if (market !== 'spot' && market !== 'capacity-block')
        throw ec2Invalid(`Invalid value '${market}' for MarketType.`);
      d.MarketType = market;
    }
    return d;
  }

  /** Where an instance launched from a template (plus overrides) goes and what it is. */
  launchSpecFromTemplate(data: LaunchTemplateData): {
    imageId?: string;
    instanceType?: string;
    userData?: string;
    tags: Tags;
    spot: boolean;
    securityGroupIds: string[];
    rootVolumeSize?: number;
    rootVolumeType?: string;
  } {
    const root = data.BlockDeviceMappings?.find((b) => b.DeviceName === '/dev/xvda')?.Ebs;
    return compact({
      imageId: data.ImageId,
      instanceType: data.InstanceType,
      userData: data.UserData,
      tags: Object.assign(
        {},
        ...(data.TagSpecifications ?? []).filter((t) => t.ResourceType === 'instance').map((t) => t.Tags),
      ) as Tags,
      spot: data.MarketType === 'spot',
      securityGroupIds: data.SecurityGroupIds ?? [],
      rootVolumeSize: root?.VolumeSize,
      rootVolumeType: root?.VolumeType,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  readonly operations: Record<string, OperationHandler> = {
    DescribeAvailabilityZones: (input) => {
      const r = ec2Reader(input);
      const names = r.strList('ZoneName');
      const ids = r.strList('ZoneId');
      const filters = readFilters(r);
      const zones = [...this.sim.state.azs.values()].filter((z) => {
        if (names.length && !names.includes(z.name)) return false;
        if (ids.length && !ids.includes(z.zoneId)) return false;
        return matchesFilters(
          filters,
          (n) =>
            ({
              'zone-name': [z.name],
              'zone-id': [z.zoneId],
              state: [z.state],
              'region-name': [this.sim.region],
              'zone-type': ['availability-zone'],
              'opt-in-status': ['opt-in-not-required'],
            })[n],
          ec2UnknownFilter,
        );
      });
      for (const n of names)
        if (!this.sim.state.azs.has(n)) throw ec2Invalid(`The zone '${n}' does not exist in your account.`);
      return {
        availabilityZoneInfo: zones.map((z) => ({
          zoneName: z.name,
          zoneId: z.zoneId,
          zoneState: z.state,
          regionName: this.sim.region,
          zoneType: 'availability-zone',
          optInStatus: 'opt-in-not-required',
          groupName: this.sim.region,
          networkBorderGroup: this.sim.region,
          messageSet: z.state === 'impaired' ? [{ message: 'This Availability Zone is impaired.' }] : [],
        })),
      };
    },

    DescribeRegions: () => ({
      regionInfo: [
        {
          regionName: this.sim.region,
          regionEndpoint: `ec2.${this.sim.region}.amazonaws.com`,
          optInStatus: 'opt-in-not-required',
        },
      ],
    }),

    DescribeVpcs: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('VpcId');
      const filters = readFilters(r);
      for (const id of ids)
        if (!this.sim.state.vpcs.has(id))
          throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);
      const vpcs = [...this.sim.state.vpcs.values()].filter(
        (v) =>
          (!ids.length || ids.includes(v.vpcId)) &&
          matchesFilters(
            filters,
            (n) =>
              tagFilterValues(n, v.tags) ??
              {
                'vpc-id': [v.vpcId],
                'is-default': [String(v.isDefault)],
                'cidr-block': [v.cidrBlock],
                state: ['available'],
              }[n],
            ec2UnknownFilter,
          ),
      );
      return {
        vpcSet: vpcs.map((v) => ({
          vpcId: v.vpcId,
          state: 'available',
          cidrBlock: v.cidrBlock,
          dhcpOptionsId: 'dopt-0123456789abcdef0',
          instanceTenancy: 'default',
          isDefault: v.isDefault,
          ownerId: this.sim.accountId,
          tagSet: ec2TagSet(v.tags),
        })),
      };
    },

    DescribeSubnets: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('SubnetId');
      const filters = readFilters(r);
      for (const id of ids) this.subnet(id);
      const list = [...this.sim.state.subnets.values()].filter(
        (s) =>
          (!ids.length || ids.includes(s.subnetId)) &&
          matchesFilters(
            filters,
            (n) =>
              tagFilterValues(n, s.tags) ??
              {
                'subnet-id': [s.subnetId],
                'vpc-id': [s.vpcId],
                'availability-zone': [s.az],
                availabilityZone: [s.az],
                'availability-zone-id': [this.sim.state.azs.get(s.az)?.zoneId ?? ''],
                'default-for-az': [String(s.defaultForAz)],
                defaultForAz: [String(s.defaultForAz)],
                'cidr-block': [s.cidrBlock],
                state: ['available'],
              }[n],
            ec2UnknownFilter,
          ),
      );
      return { subnetSet: list.map((s) => this.subnetWire(s)) };
    },

    CreateSubnet: (input) => {
      const r = ec2Reader(input);
      const vpcId = r.reqStr('VpcId');
      const vpc = this.sim.state.vpcs.get(vpcId);
      if (!vpc) throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
      const cidrBlock = r.reqStr('CidrBlock');
      const c = parseCidr(cidrBlock);
      if (!c)
        throw ec2Invalid(
          `Value (${cidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
        );
      if (c.prefix < 16 || c.prefix > 28)
        throw new AwsError('InvalidSubnet.Range', `The CIDR '${cidrBlock}' is invalid.`);
      const v = parseCidr(vpc.cidrBlock);
      const size = 2 ** (32 - c.prefix);
      if (v && (c.base < v.base || c.base + size > v.base + 2 ** (32 - v.prefix)))
        throw new AwsError('InvalidSubnet.Range', `The CIDR '${cidrBlock}' is invalid.`);
      for (const other of this.sim.state.subnets.values()) {
        const o = parseCidr(other.cidrBlock);
        if (o && other.vpcId === vpcId && c.base < o.base + 2 ** (32 - o.prefix) && o.base < c.base + size)
          throw new AwsError(
            'InvalidSubnet.Conflict',
            `The CIDR '${cidrBlock}' conflicts with another subnet`,
          );
      }
      const az = r.str('AvailabilityZone') ?? this.sim.deps.rng.pick(this.azNames());
      if (!this.sim.state.azs.has(az))
        throw ec2Invalid(
          `Value (${az}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${this.azNames().join(', ')}.`,
        );
      const sn: Subnet = {
        subnetId: this.sim.ec2Id('subnet'),
        vpcId,
        az,
        cidrBlock,
        defaultForAz: false,
        nextHost: 0,
        tags: readTagSpecs(r, 'subnet'),
      };
      this.sim.state.subnets.set(sn.subnetId, sn);
      return { subnet: this.subnetWire(sn) };
    },

    DeleteSubnet: (input) => {
      const r = ec2Reader(input);
      const sn = this.subnet(r.reqStr('SubnetId'));
      const used = [...this.sim.state.instances.values()].some(
        (i) => i.subnetId === sn.subnetId && i.state !== 'terminated',
      );
      if (used)
        throw new AwsError(
          'DependencyViolation',
          `The subnet '${sn.subnetId}' has dependencies and cannot be deleted.`,
        );
      this.sim.state.subnets.delete(sn.subnetId);
      return { return: true };
    },

    CreateLaunchTemplate: (input) => {
      const r = ec2Reader(input);
      const name = r.reqStr('LaunchTemplateName');
      if (!/^[a-zA-Z0-9().\-/_]{3,128}$/.test(name))
        throw ec2Invalid(
          `Launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'`,
        );
      if ([...this.sim.state.launchTemplates.values()].some((x) => x.name === name))
        throw new AwsError(
          'InvalidLaunchTemplateName.AlreadyExistsException',
          `Launch template name already in use.`,
        );
      const dataR = r.obj('LaunchTemplateData');
      if (!dataR)
        throw new AwsError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
      const data = this.readTemplateData(dataR);
      const now = this.sim.now();
      const desc = r.str('VersionDescription');
      const lt: LaunchTemplate = {
        id: this.sim.ec2Id('lt'),
        name,
        createTime: now,
        defaultVersion: 1,
        latestVersion: 1,
        versions: [
          { versionNumber: 1, createTime: now, data, ...(desc !== undefined ? { description: desc } : {}) },
        ],
        tags: readTagSpecs(r, 'launch-template'),
      };
      this.sim.state.launchTemplates.set(lt.id, lt);
      return { launchTemplate: this.templateWire(lt) };
    },

    CreateLaunchTemplateVersion: (input) => {
      const r = ec2Reader(input);
      const lt = this.findTemplate(r.str('LaunchTemplateId'), r.str('LaunchTemplateName'));
      const dataR = r.obj('LaunchTemplateData');
      if (!dataR)
        throw new AwsError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
      const source = r.str('SourceVersion');
      let base: LaunchTemplateData = {};
      if (source !== undefined) base = this.resolveTemplate({ id: lt.id, version: source }).data;
      const data = { ...base, ...this.readTemplateData(dataR) };
      const versionNumber = lt.latestVersion + 1;
      const desc = r.str('VersionDescription');
      lt.versions.push({
        versionNumber,
        createTime: this.sim.now(),
        data,
        ...(desc !== undefined ? { description: desc } : {}),
      });
      lt.latestVersion = versionNumber;
      return {
        launchTemplateVersion: this.versionWire(lt, versionNumber),
      };
    },

    ModifyLaunchTemplate: (input) => {
      const r = ec2Reader(input);
      const lt = this.findTemplate(r.str('LaunchTemplateId'), r.str('LaunchTemplateName'));
      const def = r.str('SetDefaultVersion');
      if (def !== undefined) lt.defaultVersion = this.resolveTemplate({ id: lt.id, version: def }).version;
      return { launchTemplate: this.templateWire(lt) };
    },

    DeleteLaunchTemplate: (input) => {
      const r = ec2Reader(input);
      const lt = this.findTemplate(r.str('LaunchTemplateId'), r.str('LaunchTemplateName'));
      this.sim.state.launchTemplates.delete(lt.id);
      return { launchTemplate: this.templateWire(lt) };
    },

    DescribeLaunchTemplates: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('LaunchTemplateId');
      const names = r.strList('LaunchTemplateName');
      const filters = readFilters(r);
      for (const id of ids) this.findTemplate(id);
      for (const n of names) this.findTemplate(undefined, n);
      const all = [...this.sim.state.launchTemplates.values()].filter(
        (lt) =>
          (!ids.length || ids.includes(lt.id)) &&
          (!names.length || names.includes(lt.name)) &&
          matchesFilters(
            filters,
            (n) => tagFilterValues(n, lt.tags) ?? { 'launch-template-name': [lt.name] }[n],
            ec2UnknownFilter,
          ),
      );
      const { page, next } = paginate(
        all,
        r.str('NextToken'),
        r.int('MaxResults', { min: 1, max: 200 }) ?? 200,
        'lt',
        ec2BadToken,
      );
      return compact({ launchTemplates: page.map((lt) => this.templateWire(lt)), nextToken: next });
    },

    DescribeLaunchTemplateVersions: (input) => {
      const r = ec2Reader(input);
      const lt = this.findTemplate(r.str('LaunchTemplateId'), r.str('LaunchTemplateName'));
      const wanted = r.strList('LaunchTemplateVersion');
      const min = r.int('MinVersion');
      const max = r.int('MaxVersion');
      let versions: number[];
      if (wanted.length) {
        versions = wanted.map((v) => this.resolveTemplate({ id: lt.id, version: v }).version);
      } else {
        versions = lt.versions
          .map((v) => v.versionNumber)
          .filter((n) => (min === undefined || n >= min) && (max === undefined || n <= max));
      }
      const { page, next } = paginate(
        versions,
        r.str('NextToken'),
        r.int('MaxResults', { min: 1, max: 200 }) ?? 200,
        `ltv:${lt.id}`,
        ec2BadToken,
      );
      return compact({ launchTemplateVersionSet: page.map((n) => this.versionWire(lt, n)), nextToken: next });
    },

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

    TerminateInstances: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('InstanceId');
      if (!ids.length)
        throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceId');
      const insts = ids.map((id) => this.instance(id));
      return {
        instancesSet: insts.map((i) => {
          const prev = i.state;
          this.terminate(i, `User initiated (${new Date(this.sim.now()).toISOString()})`);
          return this.stateChange(i, prev);
        }),
      };
    },

    StopInstances: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('InstanceId');
      if (!ids.length)
        throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceId');
      const insts = ids.map((id) => this.instance(id));
      for (const i of insts)
        if (i.state === 'terminated' || i.state === 'shutting-down')
          throw new AwsError(
            'IncorrectInstanceState',
            `This instance '${i.instanceId}' is not in a state from which it can be stopped.`,
          );
      return {
        instancesSet: insts.map((i) => {
          const prev = i.state;
          this.stop(i, `User initiated (${new Date(this.sim.now()).toISOString()})`);
          return this.stateChange(i, prev);
        }),
      };
    },

    StartInstances: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('InstanceId');
      if (!ids.length)
        throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceId');
      const insts = ids.map((id) => this.instance(id));
      for (const i of insts)
        if (i.state !== 'stopped' && i.state !== 'running' && i.state !== 'pending')
          throw new AwsError(
            'IncorrectInstanceState',
            `The instance '${i.instanceId}' is not in a state from which it can be started.`,
          );
      return {
        instancesSet: insts.map((i) => {
          const prev = i.state;
          this.start(i);
          return this.stateChange(i, prev);
        }),
      };
    },

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

  private versionWire(lt: LaunchTemplate, n: number): Wire {
    const v = lt.versions.find((x) => x.versionNumber === n);
    if (!v)
      throw new AwsError(
        'InvalidLaunchTemplateId.VersionNotFound',
        `Could not find launch template version ${n}`,
      );
    return compact({
      launchTemplateId: lt.id,
      launchTemplateName: lt.name,
      versionNumber: n,
      versionDescription: v.description,
      createTime: new Date(v.createTime),
      createdBy: `arn:aws:iam::${this.sim.accountId}:root`,
      defaultVersion: lt.defaultVersion === n,
      launchTemplateData: this.templateDataWire(v.data),
    });
  }

  private subnetWire(s: Subnet): Wire {
    const c = parseCidr(s.cidrBlock);
    const total = c ? 2 ** (32 - c.prefix) - 5 : 0;
    return {
      subnetId: s.subnetId,
      subnetArn: `arn:aws:ec2:${this.sim.region}:${this.sim.accountId}:subnet/${s.subnetId}`,
      state: 'available',
      vpcId: s.vpcId,
      cidrBlock: s.cidrBlock,
      availableIpAddressCount: Math.max(0, total - s.nextHost),
      availabilityZone: s.az,
      availabilityZoneId: this.sim.state.azs.get(s.az)?.zoneId,
      defaultForAz: s.defaultForAz,
      mapPublicIpOnLaunch: s.defaultForAz,
      ownerId: this.sim.accountId,
      tagSet: ec2TagSet(s.tags),
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
      (id.startsWith('vpc-') && s.vpcs.get(id));
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
    let fromTemplate: ReturnType<Ec2Sim['launchSpecFromTemplate']> | undefined;
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
