/**
 * EC2 security groups in the twin: every VPC has its `default` group (which cannot be deleted), and
 * CreateSecurityGroup, DescribeSecurityGroups (ids, names, filters with `tag:K`, MaxResults/NextToken),
 * AuthorizeSecurityGroupIngress and DeleteSecurityGroup (refused while an instance or an awsvpc task
 * uses the group). ECS validates `awsvpcConfiguration.securityGroups` against them. The rules are
 * stored and described; traffic is not filtered (docs/twin/compute.md).
 */
import { AwsError, type OperationHandler, type Wire } from '../../contract.js';
import { ec2BadToken, ec2Invalid, ec2Reader, ec2UnknownFilter } from './errors.js';
import type { Sim } from './sim.js';
import type { SecurityGroup, SecurityGroupRule } from './state.js';
import {
  compact,
  ec2TagSet,
  matchesFilters,
  paginate,
  readFilters,
  readTagSpecs,
  tagFilterValues,
} from './util.js';
import type { Reader } from './util.js';

const notFound = (id: string): AwsError =>
  new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);

function ruleWire(rule: SecurityGroupRule): Wire {
  return compact({
    ipProtocol: rule.ipProtocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort,
    ipRanges: rule.cidrs.map((cidrIp) => ({ cidrIp })),
    ipv6Ranges: [],
    prefixListIds: [],
    groups: rule.groups.map((groupId) => ({ groupId })),
  });
}

function sameRule(a: SecurityGroupRule, b: SecurityGroupRule): boolean {
  return a.ipProtocol === b.ipProtocol && a.fromPort === b.fromPort && a.toPort === b.toPort;
}

export class SecurityGroups {
  constructor(private readonly sim: Sim) {}

  /** Gives every VPC that has none its `default` group (at start, for new VPCs and restored states). */
  ensureDefaults(): void {
    const s = this.sim.state;
    for (const vpc of s.vpcs.values()) {
      const has = [...s.securityGroups.values()].some(
        (g) => g.vpcId === vpc.vpcId && g.groupName === 'default',
      );
      if (has) continue;
      const groupId = this.sim.ec2Id('sg');
      s.securityGroups.set(groupId, {
        groupId,
        groupName: 'default',
        description: 'default VPC security group',
        vpcId: vpc.vpcId,
        ingress: [{ ipProtocol: '-1', cidrs: [], groups: [groupId] }],
        egress: [{ ipProtocol: '-1', cidrs: ['0.0.0.0/0'], groups: [] }],
        tags: {},
      });
    }
  }

  get(id: string): SecurityGroup {
    const g = this.sim.state.securityGroups.get(id);
    if (!g) throw notFound(id);
    return g;
  }

  /** The `default` group of a VPC. */
  defaultOf(vpcId: string): SecurityGroup | undefined {
    return [...this.sim.state.securityGroups.values()].find(
      (g) => g.vpcId === vpcId && g.groupName === 'default',
    );
  }

  private wire(g: SecurityGroup): Wire {
    return {
      ownerId: this.sim.accountId,
      groupName: g.groupName,
      groupId: g.groupId,
      groupDescription: g.description,
      vpcId: g.vpcId,
      securityGroupArn: `arn:aws:ec2:${this.sim.region}:${this.sim.accountId}:security-group/${g.groupId}`,
      ipPermissions: g.ingress.map(ruleWire),
      ipPermissionsEgress: g.egress.map(ruleWire),
      tagSet: ec2TagSet(g.tags),
    };
  }

  private readRules(r: Reader): SecurityGroupRule[] {
    const list = r.objList('IpPermissions').map((p) => this.readRule(p));
    if (r.has('IpProtocol') || r.has('CidrIp')) list.push(this.readRule(r, true));
    if (!list.length) throw ec2Invalid('The request must contain the parameter IpPermissions');
    return list;
  }

  private readRule(p: Reader, flat = false): SecurityGroupRule {
    const raw = (p.str('IpProtocol') ?? '-1').toLowerCase();
    const names: Record<string, string> = {
      tcp: 'tcp',
      udp: 'udp',
      icmp: 'icmp',
      '6': 'tcp',
      '17': 'udp',
      '1': 'icmp',
    };
    const ipProtocol = raw === '-1' || raw === 'all' ? '-1' : names[raw];
    if (ipProtocol === undefined)
      throw ec2Invalid(`Invalid value '${raw}' for IP protocol. Unknown protocol.`);
    const fromPort = p.int('FromPort', { min: -1, max: 65535 });
    const toPort = p.int('ToPort', { min: -1, max: 65535 });
    if (ipProtocol !== '-1' && ipProtocol !== 'icmp' && (fromPort === undefined || toPort === undefined))
      throw new AwsError(
        'InvalidParameterValue',
        'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.',
      );
    if (fromPort !== undefined && toPort !== undefined && fromPort > toPort && ipProtocol !== 'icmp')
      throw ec2Invalid(
        `Invalid value for portRange. The from port (${fromPort}) must not be greater than the to port (${toPort}).`,
      );
    const cidrs = flat
      ? p.has('CidrIp')
        ? [p.reqStr('CidrIp')]
        : []
      : p.objList('IpRanges').map((x) => x.reqStr('CidrIp'));
    for (const c of cidrs)
      if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c)) throw ec2Invalid(`CIDR block ${c} is malformed`);
    const groups = flat
      ? []
      : p
          .objList('Groups')
          .concat(p.objList('UserIdGroupPairs'))
          .map((x) => x.reqStr('GroupId'));
    for (const g of groups) this.get(g);
    return {
      ipProtocol,
      ...(ipProtocol !== '-1' && fromPort !== undefined ? { fromPort } : {}),
      ...(ipProtocol !== '-1' && toPort !== undefined ? { toPort } : {}),
      cidrs,
      groups,
    };
  }

  /** What uses the group: a live instance, or an awsvpc task that is not STOPPED. */
  private inUse(g: SecurityGroup): string | undefined {
    for (const i of this.sim.state.instances.values())
      if (i.state !== 'terminated' && i.securityGroupIds.includes(g.groupId)) return i.instanceId;
    for (const t of this.sim.state.tasks.values())
      if (t.lastStatus !== 'STOPPED' && (t.securityGroups ?? []).includes(g.groupId)) return `${t.id}-eni`;
    return undefined;
  }

  readonly operations: Record<string, OperationHandler> = {
    CreateSecurityGroup: (input) => {
      const r = ec2Reader(input);
      const name = r.reqStr('GroupName');
      const description = r.reqStr('GroupDescription');
      if (name.length > 255 || description.length > 255)
        throw ec2Invalid('GroupName and GroupDescription can be at most 255 characters.');
      if (name.toLowerCase().startsWith('sg-'))
        throw ec2Invalid(`Group names may not be in the format sg-*.`);
      const vpcId = r.str('VpcId') ?? [...this.sim.state.vpcs.values()].find((v) => v.isDefault)?.vpcId ?? '';
      if (!this.sim.state.vpcs.has(vpcId))
        throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
      if (name === 'default') throw ec2Invalid('Cannot use reserved security group name: default');
      const dup = [...this.sim.state.securityGroups.values()].some(
        (g) => g.vpcId === vpcId && g.groupName === name,
      );
      if (dup)
        throw new AwsError(
          'InvalidGroup.Duplicate',
          `The security group '${name}' already exists for VPC '${vpcId}'`,
        );
      const groupId = this.sim.ec2Id('sg');
      const g: SecurityGroup = {
        groupId,
        groupName: name,
        description,
        vpcId,
        ingress: [],
        egress: [{ ipProtocol: '-1', cidrs: ['0.0.0.0/0'], groups: [] }],
        tags: readTagSpecs(r, 'security-group'),
      };
      this.sim.state.securityGroups.set(groupId, g);
      this.sim.log('ec2.securityGroup', { groupId, groupName: name, vpcId, event: 'created' });
      return {
        return: true,
        groupId,
        securityGroupArn: `arn:aws:ec2:${this.sim.region}:${this.sim.accountId}:security-group/${groupId}`,
        tagSet: ec2TagSet(g.tags),
      };
    },

    DescribeSecurityGroups: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('GroupId');
      const names = r.strList('GroupName');
      const filters = readFilters(r);
      for (const id of ids) this.get(id);
      const all = [...this.sim.state.securityGroups.values()];
      for (const n of names)
        if (!all.some((g) => g.groupName === n))
          throw new AwsError(
            'InvalidGroup.NotFound',
            `The security group '${n}' does not exist in default VPC`,
          );
      const list = all.filter(
        (g) =>
          (!ids.length || ids.includes(g.groupId)) &&
          (!names.length || names.includes(g.groupName)) &&
          matchesFilters(
            filters,
            (n) =>
              tagFilterValues(n, g.tags) ??
              {
                'group-id': [g.groupId],
                'group-name': [g.groupName],
                'vpc-id': [g.vpcId],
                description: [g.description],
                'owner-id': [this.sim.accountId],
                'ip-permission.protocol': g.ingress.map((x) => x.ipProtocol),
                'ip-permission.from-port': g.ingress.map((x) => String(x.fromPort ?? '')),
                'ip-permission.to-port': g.ingress.map((x) => String(x.toPort ?? '')),
                'ip-permission.cidr': g.ingress.flatMap((x) => x.cidrs),
                'ip-permission.group-id': g.ingress.flatMap((x) => x.groups),
              }[n],
            ec2UnknownFilter,
          ),
      );
      const size = r.int('MaxResults', { min: 5, max: 1000 });
      if (size !== undefined && (ids.length || names.length))
        throw ec2Invalid('The parameter MaxResults cannot be used with the parameter GroupId or GroupName');
      const { page, next } = paginate(list, r.str('NextToken'), size ?? 1000, 'sgs', ec2BadToken);
      return compact({ securityGroupInfo: page.map((g) => this.wire(g)), nextToken: next });
    },

    AuthorizeSecurityGroupIngress: (input) => {
      const r = ec2Reader(input);
      const g = r.has('GroupId')
        ? this.get(r.reqStr('GroupId'))
        : [...this.sim.state.securityGroups.values()].find((x) => x.groupName === r.reqStr('GroupName'));
      if (!g) throw notFound(r.str('GroupName') ?? '');
      const rules = this.readRules(r);
      for (const rule of rules) {
        const existing = g.ingress.find((x) => sameRule(x, rule));
        const dupCidr = rule.cidrs.find((c) => existing?.cidrs.includes(c));
        const dupGroup = rule.groups.find((x) => existing?.groups.includes(x));
        if (dupCidr !== undefined || dupGroup !== undefined)
          throw new AwsError(
            'InvalidPermission.Duplicate',
            `the specified rule "peer: ${dupCidr ?? dupGroup ?? ''}, ${rule.ipProtocol.toUpperCase()}, from port: ${rule.fromPort ?? ''}, to port: ${rule.toPort ?? ''}, ALLOW" already exists`,
          );
      }
      for (const rule of rules) {
        const existing = g.ingress.find((x) => sameRule(x, rule));
        if (existing) {
          existing.cidrs.push(...rule.cidrs);
          existing.groups.push(...rule.groups);
        } else g.ingress.push(rule);
      }
      this.sim.log('ec2.securityGroup', {
        groupId: g.groupId,
        event: 'ingress-authorized',
        rules: rules.length,
      });
      return {
        return: true,
        securityGroupRuleSet: rules.flatMap((rule) =>
          [
            ...rule.cidrs.map((c) => ({ cidrIpv4: c })),
            ...rule.groups.map((x) => ({ referencedGroupInfo: { groupId: x } })),
          ].map((peer) =>
            compact({
              securityGroupRuleId: this.sim.ec2Id('sgr'),
              groupId: g.groupId,
              groupOwnerId: this.sim.accountId,
              isEgress: false,
              ipProtocol: rule.ipProtocol,
              fromPort: rule.fromPort ?? -1,
              toPort: rule.toPort ?? -1,
              ...peer,
            }),
          ),
        ),
      };
    },

    DeleteSecurityGroup: (input) => {
      const r = ec2Reader(input);
      const g = r.has('GroupId')
        ? this.get(r.reqStr('GroupId'))
        : [...this.sim.state.securityGroups.values()].find((x) => x.groupName === r.reqStr('GroupName'));
      if (!g) throw notFound(r.str('GroupName') ?? '');
      if (g.groupName === 'default')
        throw new AwsError(
          'CannotDelete',
          `the specified group: "${g.groupId}" name: "default" cannot be deleted by a user`,
        );
      const user = this.inUse(g);
      if (user !== undefined)
        throw new AwsError('DependencyViolation', `resource ${g.groupId} has a dependent object (${user})`);
      const referenced = [...this.sim.state.securityGroups.values()].find(
        (x) => x.groupId !== g.groupId && x.ingress.some((rule) => rule.groups.includes(g.groupId)),
      );
      if (referenced)
        throw new AwsError(
          'DependencyViolation',
          `resource ${g.groupId} has a dependent object (${referenced.groupId})`,
        );
      this.sim.state.securityGroups.delete(g.groupId);
      this.sim.log('ec2.securityGroup', { groupId: g.groupId, event: 'deleted' });
      return { return: true, groupId: g.groupId };
    },
  };
}
