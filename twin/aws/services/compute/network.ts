/**
 * The twin's EC2 network: the region's availability zones (which a fault can impair), the default VPC
 * with one default subnet per AZ, and CreateSubnet/DeleteSubnet with CIDR checks.
 */
import { AwsError, type OperationHandler, type Wire } from '../../contract.js';
import { ec2Invalid, ec2Reader, ec2UnknownFilter } from './errors.js';
import type { Sim } from './sim.js';
import type { Subnet } from './state.js';
import { ec2TagSet, matchesFilters, readFilters, readTagSpecs, tagFilterValues } from './util.js';

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return NaN;
  return (((parts[0] ?? 0) << 24) >>> 0) + ((parts[1] ?? 0) << 16) + ((parts[2] ?? 0) << 8) + (parts[3] ?? 0);
}

export function intToIp(n: number): string {
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

export class Network {
  constructor(private readonly sim: Sim) {}

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
  };
}
