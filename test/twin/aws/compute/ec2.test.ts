import type { Wire } from '../../../../twin/aws/contract.js';
import { b64, defaultSubnets, harness, type Harness, userData } from './harness.js';

type Inst = {
  instanceId: string;
  instanceState: { name: string; code: number };
  placement: { availabilityZone: string };
  privateIpAddress?: string;
  tagSet: { key: string; value: string }[];
};

function instances(out: Wire): Inst[] {
  return (out['reservationSet'] as { instancesSet: Inst[] }[]).flatMap((r) => r.instancesSet);
}

describe('EC2 in the twin', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.stop());

  it('has three available AZs and a default VPC with one default subnet per AZ', async () => {
    const azs = await h.call('ec2', 'DescribeAvailabilityZones');
    const info = azs['availabilityZoneInfo'] as { zoneName: string; zoneState: string; zoneId: string }[];
    expect(info.map((z) => z.zoneName)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(info.every((z) => z.zoneState === 'available' && /^use1-az\d$/.test(z.zoneId))).toBe(true);
    const vpcs = (await h.call('ec2', 'DescribeVpcs', { Filter: [{ Name: 'is-default', Value: ['true'] }] }))[
      'vpcSet'
    ] as { vpcId: string; cidrBlock: string }[];
    expect(vpcs).toHaveLength(1);
    expect(vpcs[0]?.cidrBlock).toBe('172.31.0.0/16');
    const subnets = await defaultSubnets(h);
    expect(subnets.map((s) => s.az)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const inB = await h.call('ec2', 'DescribeSubnets', {
      Filter: [{ Name: 'availability-zone', Value: ['us-east-1b'] }],
    });
    expect((inB['subnetSet'] as unknown[]).length).toBe(1);
  });

  it('creates subnets in the VPC and refuses overlapping or out-of-range CIDRs', async () => {
    const vpcId = ((await h.call('ec2', 'DescribeVpcs'))['vpcSet'] as { vpcId: string }[])[0]?.vpcId ?? '';
    const out = await h.call('ec2', 'CreateSubnet', {
      VpcId: vpcId,
      CidrBlock: '172.31.100.0/24',
      AvailabilityZone: 'us-east-1c',
    });
    const sn = out['subnet'] as { subnetId: string; availabilityZone: string; defaultForAz: boolean };
    expect(sn.availabilityZone).toBe('us-east-1c');
    expect(sn.defaultForAz).toBe(false);
    await h.fails(
      'ec2',
      'CreateSubnet',
      { VpcId: vpcId, CidrBlock: '172.31.100.128/25' },
      'InvalidSubnet.Conflict',
    );
    await h.fails('ec2', 'CreateSubnet', { VpcId: vpcId, CidrBlock: '10.0.0.0/24' }, 'InvalidSubnet.Range');
    await h.fails('ec2', 'CreateSubnet', { VpcId: vpcId, CidrBlock: 'nonsense' }, 'InvalidParameterValue');
    await h.fails(
      'ec2',
      'CreateSubnet',
      { VpcId: 'vpc-nope', CidrBlock: '172.31.200.0/24' },
      'InvalidVpcID.NotFound',
    );
  });

  it('keeps launch template versions and resolves $Latest and $Default', async () => {
    const created = await h.call('ec2', 'CreateLaunchTemplate', {
      LaunchTemplateName: 'ecs-lt',
      LaunchTemplateData: { ImageId: 'ami-1', InstanceType: 't3.medium', UserData: userData('c1') },
    });
    const lt = created['launchTemplate'] as { launchTemplateId: string; latestVersionNumber: number };
    expect(lt.launchTemplateId).toMatch(/^lt-[0-9a-f]{17}$/);
    await h.call('ec2', 'CreateLaunchTemplateVersion', {
      LaunchTemplateId: lt.launchTemplateId,
      SourceVersion: '1',
      LaunchTemplateData: { InstanceType: 'r6i.large' },
    });
    const latest = await h.call('ec2', 'DescribeLaunchTemplateVersions', {
      LaunchTemplateName: 'ecs-lt',
      LaunchTemplateVersion: ['$Latest', '$Default'],
    });
    const versions = latest['launchTemplateVersionSet'] as {
      versionNumber: number;
      defaultVersion: boolean;
      launchTemplateData: { instanceType: string; imageId: string; userData: string };
    }[];
    expect(
      versions.map((v) => [v.versionNumber, v.defaultVersion, v.launchTemplateData.instanceType]),
    ).toEqual([
      [2, false, 'r6i.large'],
      [1, true, 't3.medium'],
    ]);
    expect(versions[0]?.launchTemplateData.imageId).toBe('ami-1');
    expect(Buffer.from(versions[0]?.launchTemplateData.userData ?? '', 'base64').toString()).toContain(
      'ECS_CLUSTER=c1',
    );
    await h.fails(
      'ec2',
      'CreateLaunchTemplate',
      { LaunchTemplateName: 'ecs-lt', LaunchTemplateData: { ImageId: 'x' } },
      'InvalidLaunchTemplateName.AlreadyExistsException',
    );
    await h.fails(
      'ec2',
      'CreateLaunchTemplate',
      { LaunchTemplateName: 'bad-ud', LaunchTemplateData: { UserData: 'not base64!' } },
      'InvalidUserData.Malformed',
    );
    await h.fails(
      'ec2',
      'DescribeLaunchTemplateVersions',
      { LaunchTemplateName: 'ecs-lt', LaunchTemplateVersion: ['9'] },
      'InvalidLaunchTemplateId.VersionNotFound',
    );
    await h.fails(
      'ec2',
      'DescribeLaunchTemplates',
      { LaunchTemplateName: ['missing'] },
      'InvalidLaunchTemplateName.NotFoundException',
    );
  });

  it('runs instances through pending → running with ids, AZ, private IP and tags', async () => {
    const out = await h.call('ec2', 'RunInstances', {
      ImageId: 'ami-1',
      InstanceType: 't3.small',
      MinCount: '2',
      MaxCount: '2',
      Placement: { AvailabilityZone: 'us-east-1b' },
      TagSpecification: [{ ResourceType: 'instance', Tag: [{ Key: 'role', Value: 'db' }] }],
      UserData: b64('ECS_CLUSTER=x'),
    });
    const launched = out['instancesSet'] as Inst[];
    expect(launched).toHaveLength(2);
    for (const i of launched) {
      expect(i.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
      expect(i.instanceState).toEqual({ code: 0, name: 'pending' });
      expect(i.placement.availabilityZone).toBe('us-east-1b');
      expect(i.privateIpAddress).toMatch(/^172\.31\.1[6-9]\./);
    }
    expect(new Set(launched.map((i) => i.privateIpAddress)).size).toBe(2);
    await h.advance(1_999);
    let d = instances(
      await h.call('ec2', 'DescribeInstances', { InstanceId: launched.map((i) => i.instanceId) }),
    );
    expect(d.map((i) => i.instanceState.name)).toEqual(['pending', 'pending']);
    await h.advance(1);
    d = instances(
      await h.call('ec2', 'DescribeInstances', { InstanceId: launched.map((i) => i.instanceId) }),
    );
    expect(d.map((i) => i.instanceState.name)).toEqual(['running', 'running']);
    expect(d[0]?.tagSet).toEqual([{ key: 'role', value: 'db' }]);
  });

  it('filters DescribeInstances by id, AZ, state, tag and tag-key, and paginates', async () => {
    for (const az of ['us-east-1a', 'us-east-1b', 'us-east-1c'])
      await h.call('ec2', 'RunInstances', {
        ImageId: 'ami-1',
        MinCount: '2',
        MaxCount: '2',
        Placement: { AvailabilityZone: az },
        TagSpecification: [{ ResourceType: 'instance', Tag: [{ Key: 'az', Value: az }] }],
      });
    await h.advance(5_000);
    const all = instances(await h.call('ec2', 'DescribeInstances'));
    expect(all).toHaveLength(6);
    const first = all[0]?.instanceId ?? '';
    await h.call('ec2', 'TerminateInstances', { InstanceId: [first] });
    const byAz = instances(
      await h.call('ec2', 'DescribeInstances', {
        Filter: [{ Name: 'availability-zone', Value: ['us-east-1c'] }],
      }),
    );
    expect(byAz.every((i) => i.placement.availabilityZone === 'us-east-1c')).toBe(true);
    expect(byAz).toHaveLength(2);
    const running = instances(
      await h.call('ec2', 'DescribeInstances', {
        Filter: [{ Name: 'instance-state-name', Value: ['running'] }],
      }),
    );
    expect(running).toHaveLength(5);
    const shutting = instances(
      await h.call('ec2', 'DescribeInstances', {
        Filter: [{ Name: 'instance-state-name', Value: ['shutting-down'] }],
      }),
    );
    expect(shutting.map((i) => i.instanceId)).toEqual([first]);
    const tagged = instances(
      await h.call('ec2', 'DescribeInstances', {
        Filter: [{ Name: 'tag:az', Value: ['us-east-1a', 'us-east-1b'] }],
      }),
    );
    expect(tagged).toHaveLength(4);
    const wild = instances(
      await h.call('ec2', 'DescribeInstances', { Filter: [{ Name: 'tag:az', Value: ['*-1a'] }] }),
    );
    expect(wild).toHaveLength(2);
    const keyed = instances(
      await h.call('ec2', 'DescribeInstances', { Filter: [{ Name: 'tag-key', Value: ['nope'] }] }),
    );
    expect(keyed).toHaveLength(0);
    const byId = instances(
      await h.call('ec2', 'DescribeInstances', { Filter: [{ Name: 'instance-id', Value: [first] }] }),
    );
    expect(byId.map((i) => i.instanceId)).toEqual([first]);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await h.call('ec2', 'DescribeInstances', {
        MaxResults: '5',
        ...(token ? { NextToken: token } : {}),
      });
      seen.push(...instances(page).map((i) => i.instanceId));
      token = page['nextToken'] as string | undefined;
    } while (token);
    expect(seen.sort()).toEqual(all.map((i) => i.instanceId).sort());
    await h.fails(
      'ec2',
      'DescribeInstances',
      { Filter: [{ Name: 'bogus-filter', Value: ['x'] }] },
      'InvalidParameterValue',
    );
    await h.fails(
      'ec2',
      'DescribeInstances',
      { InstanceId: ['i-00000000000000000'] },
      'InvalidInstanceID.NotFound',
    );
    await h.fails('ec2', 'DescribeInstances', { NextToken: 'garbage' }, 'InvalidNextToken');
  });

  it('terminates (shutting-down → terminated) and stops (stopping → stopped) with delays, logging each state', async () => {
    const out = await h.call('ec2', 'RunInstances', { ImageId: 'ami-1', MinCount: '2', MaxCount: '2' });
    const [a, b] = (out['instancesSet'] as Inst[]).map((i) => i.instanceId);
    await h.advance(2_000);
    const t = await h.call('ec2', 'TerminateInstances', { InstanceId: [a] });
    expect(t['instancesSet']).toEqual([
      {
        instanceId: a,
        currentState: { code: 32, name: 'shutting-down' },
        previousState: { code: 16, name: 'running' },
      },
    ]);
    await h.call('ec2', 'StopInstances', { InstanceId: [b] });
    await h.advance(2_000);
    const states = instances(await h.call('ec2', 'DescribeInstances', { InstanceId: [a, b] })).map((i) => [
      i.instanceId,
      i.instanceState.name,
    ]);
    expect(states).toContainEqual([a, 'terminated']);
    expect(states).toContainEqual([b, 'stopped']);
    const log = h
      .events('ec2.instance.state')
      .filter((e) => e['instanceId'] === a)
      .map((e) => e['to']);
    expect(log).toEqual(['pending', 'running', 'shutting-down', 'terminated']);
    await h.fails('ec2', 'StopInstances', { InstanceId: [a] }, 'IncorrectInstanceState');
    await h.call('ec2', 'StartInstances', { InstanceId: [b] });
    await h.advance(2_000);
    const again = instances(await h.call('ec2', 'DescribeInstances', { InstanceId: [b] }));
    expect(again[0]?.instanceState.name).toBe('running');
  });

  it('creates, deletes and describes tags across resource types', async () => {
    const out = await h.call('ec2', 'RunInstances', { ImageId: 'ami-1', MinCount: '1', MaxCount: '1' });
    const id = (out['instancesSet'] as Inst[])[0]?.instanceId ?? '';
    const vol = await h.call('ec2', 'CreateVolume', { AvailabilityZone: 'us-east-1a', Size: '10' });
    const volId = vol['volumeId'] as string;
    await h.call('ec2', 'CreateTags', {
      ResourceId: [id, volId],
      Tag: [
        { Key: 'team', Value: 'db' },
        { Key: 'env', Value: 'test' },
      ],
    });
    const tags = await h.call('ec2', 'DescribeTags', { Filter: [{ Name: 'key', Value: ['team'] }] });
    expect(
      (tags['tagSet'] as { resourceId: string; resourceType: string }[])
        .map((t) => [t.resourceId, t.resourceType])
        .sort(),
    ).toEqual(
      [
        [id, 'instance'],
        [volId, 'volume'],
      ].sort(),
    );
    await h.call('ec2', 'DeleteTags', { ResourceId: [volId], Tag: [{ Key: 'team' }] });
    await h.call('ec2', 'DeleteTags', { ResourceId: [id], Tag: [{ Key: 'env', Value: 'other' }] });
    const left = await h.call('ec2', 'DescribeTags', {
      Filter: [{ Name: 'resource-id', Value: [id, volId] }],
    });
    expect(
      (left['tagSet'] as { resourceId: string; key: string }[]).map((t) => `${t.resourceId}:${t.key}`).sort(),
    ).toEqual([`${id}:env`, `${id}:team`, `${volId}:env`].sort());
    await h.fails(
      'ec2',
      'CreateTags',
      { ResourceId: ['vol-00000000000000000'], Tag: [{ Key: 'a', Value: 'b' }] },
      'InvalidVolume.NotFound',
    );
    await h.fails(
      'ec2',
      'CreateTags',
      { ResourceId: [id], Tag: [{ Key: 'aws:x', Value: 'b' }] },
      'InvalidParameterValue',
    );
    await h.fails('ec2', 'CreateTags', { Tag: [{ Key: 'a', Value: 'b' }] }, 'MissingParameter');
  });

  it('refuses launches in a failed AZ and reports its instances impaired', async () => {
    const out = await h.call('ec2', 'RunInstances', {
      ImageId: 'ami-1',
      MinCount: '1',
      MaxCount: '1',
      Placement: { AvailabilityZone: 'us-east-1a' },
    });
    const id = (out['instancesSet'] as Inst[])[0]?.instanceId ?? '';
    await h.advance(2_000);
    await h.control('failAz', { az: 'us-east-1a' });
    await h.fails(
      'ec2',
      'RunInstances',
      { ImageId: 'ami-1', MinCount: '1', MaxCount: '1', Placement: { AvailabilityZone: 'us-east-1a' } },
      'InsufficientInstanceCapacity',
    );
    const zones = (await h.call('ec2', 'DescribeAvailabilityZones', { ZoneName: ['us-east-1a'] }))[
      'availabilityZoneInfo'
    ] as { zoneState: string }[];
    expect(zones[0]?.zoneState).toBe('impaired');
    const st = (await h.call('ec2', 'DescribeInstanceStatus', { InstanceId: [id] }))['instanceStatusSet'] as {
      instanceStatus: { status: string };
    }[];
    expect(st[0]?.instanceStatus.status).toBe('impaired');
    await h.control('restoreAz', { az: 'us-east-1a' });
    const ok = (await h.call('ec2', 'DescribeInstanceStatus', { InstanceId: [id] }))['instanceStatusSet'] as {
      instanceStatus: { status: string };
    }[];
    expect(ok[0]?.instanceStatus.status).toBe('ok');
  });
});
