/**
 * EC2 and EBS through the real @aws-sdk/client-ec2 against the twin's HTTP endpoint (ec2Query).
 * The twin runs on a manual clock, so every state transition is driven by the test.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  AttachVolumeCommand,
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteLaunchTemplateCommand,
  DeleteSnapshotCommand,
  DeleteSubnetCommand,
  DeleteTagsCommand,
  DeleteVolumeCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeRegionsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  DescribeVolumesModificationsCommand,
  DescribeVpcsCommand,
  DetachVolumeCommand,
  ModifyLaunchTemplateCommand,
  ModifyVolumeCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
  paginateDescribeVolumes,
} from '@aws-sdk/client-ec2';
import { VirtualClock } from '../../../../twin/core/clock.js';
import {
  type AwsTwin,
  destroyClients,
  startTestTwin,
  twinClients,
  type TwinClients,
} from '../../../helpers/twin.js';
import { FAST } from './harness.js';

let twin: AwsTwin;
let clients: TwinClients;
let ec2: EC2Client;
const clock = new VirtualClock({ mode: 'manual' });

beforeAll(async () => {
  twin = await startTestTwin({ clock, params: FAST });
  clients = twinClients(twin, { maxAttempts: 1 });
  ec2 = clients.ec2;
});
afterAll(async () => {
  destroyClients(clients);
  await twin.stop();
  clock.stop();
});

describe('EC2 through the AWS SDK', () => {
  it('describes AZs, regions, the default VPC and subnets; creates and deletes a subnet', async () => {
    const azs = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    expect(azs.AvailabilityZones?.map((z) => [z.ZoneName, z.State])).toEqual([
      ['us-east-1a', 'available'],
      ['us-east-1b', 'available'],
      ['us-east-1c', 'available'],
    ]);
    expect((await ec2.send(new DescribeRegionsCommand({}))).Regions?.[0]?.RegionName).toBe('us-east-1');
    const vpc = (
      await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))
    ).Vpcs?.[0];
    expect(vpc?.IsDefault).toBe(true);
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc?.VpcId ?? ''] }] }),
    );
    expect(subnets.Subnets?.map((s) => s.DefaultForAz)).toEqual([true, true, true]);
    const created = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc?.VpcId,
        CidrBlock: '172.31.64.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    expect(created.Subnet?.AvailableIpAddressCount).toBe(251);
    await ec2.send(new DeleteSubnetCommand({ SubnetId: created.Subnet?.SubnetId }));
    await expect(
      ec2.send(new DeleteSubnetCommand({ SubnetId: created.Subnet?.SubnetId })),
    ).rejects.toMatchObject({ name: 'InvalidSubnetID.NotFound' });
  });

  it('manages launch templates and runs, stops, starts and terminates instances', async () => {
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'sdk-lt',
        LaunchTemplateData: {
          ImageId: 'ami-sdk',
          InstanceType: 't3.large',
          UserData: Buffer.from('ECS_CLUSTER=sdk').toString('base64'),
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'from', Value: 'template' }] }],
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 40, VolumeType: 'gp3' } }],
        },
      }),
    );
    const id = lt.LaunchTemplate?.LaunchTemplateId ?? '';
    await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        SourceVersion: '1',
        LaunchTemplateData: { InstanceType: 'm5.large' },
      }),
    );
    await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: '2' }));
    const lts = await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] }));
    expect(lts.LaunchTemplates?.[0]).toMatchObject({
      LaunchTemplateName: 'sdk-lt',
      DefaultVersionNumber: 2,
      LatestVersionNumber: 2,
    });
    const vers = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['$Default'] }),
    );
    expect(vers.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.InstanceType).toBe('m5.large');
    expect(vers.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.TagSpecifications?.[0]?.Tags).toEqual([
      { Key: 'from', Value: 'template' },
    ]);
    const run = await ec2.send(
      new RunInstancesCommand({ MinCount: 3, MaxCount: 3, LaunchTemplate: { LaunchTemplateId: id } }),
    );
    const ids = run.Instances?.map((i) => i.InstanceId ?? '') ?? [];
    expect(run.Instances?.[0]).toMatchObject({
      InstanceType: 'm5.large',
      ImageId: 'ami-sdk',
      State: { Name: 'pending', Code: 0 },
    });
    await clock.advance(2_000);
    const pages: string[] = [];
    for await (const page of paginateDescribeInstances(
      { client: ec2, pageSize: 5 },
      { Filters: [{ Name: 'tag:from', Values: ['template'] }] },
    ))
      for (const r of page.Reservations ?? [])
        for (const i of r.Instances ?? []) pages.push(`${i.InstanceId}:${i.State?.Name}`);
    expect(pages.sort()).toEqual(ids.map((i) => `${i}:running`).sort());
    const desc = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids[0] ?? ''] }));
    const inst = desc.Reservations?.[0]?.Instances?.[0];
    expect(inst?.BlockDeviceMappings?.[0]).toMatchObject({
      DeviceName: '/dev/xvda',
      Ebs: { Status: 'attached', DeleteOnTermination: true },
    });
    expect(inst?.Placement?.AvailabilityZone).toMatch(/^us-east-1[abc]$/);
    expect(inst?.LaunchTime).toBeInstanceOf(Date);
    const status = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ids }));
    expect(status.InstanceStatuses?.map((s) => s.InstanceStatus?.Status)).toEqual(['ok', 'ok', 'ok']);
    const stopped = await ec2.send(new StopInstancesCommand({ InstanceIds: [ids[0] ?? ''] }));
    expect(stopped.StoppingInstances?.[0]?.CurrentState?.Name).toBe('stopping');
    await clock.advance(2_000);
    const started = await ec2.send(new StartInstancesCommand({ InstanceIds: [ids[0] ?? ''] }));
    expect(started.StartingInstances?.[0]?.PreviousState?.Name).toBe('stopped');
    const term = await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    expect(term.TerminatingInstances?.map((t) => t.CurrentState?.Name)).toEqual([
      'shutting-down',
      'shutting-down',
      'shutting-down',
    ]);
    await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id }));
    await expect(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })),
    ).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
  });

  it('creates, attaches (same AZ only), detaches, modifies, snapshots and deletes volumes', async () => {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-1',
        MinCount: 1,
        MaxCount: 1,
        Placement: { AvailabilityZone: 'us-east-1b' },
      }),
    );
    const instanceId = run.Instances?.[0]?.InstanceId ?? '';
    await clock.advance(2_000);
    const vol = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: 'us-east-1b',
        Size: 20,
        VolumeType: 'gp3',
        Iops: 3000,
        Throughput: 125,
        TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'member', Value: 'm1' }] }],
      }),
    );
    expect(vol).toMatchObject({
      State: 'creating',
      Size: 20,
      AvailabilityZone: 'us-east-1b',
      VolumeType: 'gp3',
    });
    const other = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 20 }));
    await clock.advance(1_000);
    await expect(
      ec2.send(
        new AttachVolumeCommand({ VolumeId: other.VolumeId, InstanceId: instanceId, Device: '/dev/sdf' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidVolume.ZoneMismatch' });
    const att = await ec2.send(
      new AttachVolumeCommand({ VolumeId: vol.VolumeId, InstanceId: instanceId, Device: '/dev/sdf' }),
    );
    expect(att).toMatchObject({
      State: 'attaching',
      InstanceId: instanceId,
      Device: '/dev/sdf',
      VolumeId: vol.VolumeId,
    });
    await expect(ec2.send(new DeleteVolumeCommand({ VolumeId: vol.VolumeId }))).rejects.toMatchObject({
      name: 'VolumeInUse',
    });
    await clock.advance(1_000);
    const d = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'tag:member', Values: ['m1'] }] }),
    );
    expect(d.Volumes?.[0]?.Attachments?.[0]).toMatchObject({ State: 'attached', InstanceId: instanceId });
    const mod = await ec2.send(new ModifyVolumeCommand({ VolumeId: vol.VolumeId, Size: 40 }));
    expect(mod.VolumeModification).toMatchObject({
      ModificationState: 'modifying',
      TargetSize: 40,
      OriginalSize: 20,
    });
    await clock.advance(2_000);
    const mods = await ec2.send(new DescribeVolumesModificationsCommand({ VolumeIds: [vol.VolumeId ?? ''] }));
    expect(mods.VolumesModifications?.[0]?.ModificationState).toBe('completed');
    const snap = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: vol.VolumeId,
        Description: 'sdk',
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'member', Value: 'm1' }] }],
      }),
    );
    expect(snap).toMatchObject({ State: 'pending', VolumeSize: 40 });
    await clock.advance(2_000);
    const snaps = await ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [{ Name: 'volume-id', Values: [vol.VolumeId ?? ''] }],
      }),
    );
    expect(snaps.Snapshots?.map((s) => s.State)).toEqual(['completed']);
    const det = await ec2.send(new DetachVolumeCommand({ VolumeId: vol.VolumeId }));
    expect(det.State).toBe('detaching');
    await clock.advance(1_000);
    await ec2.send(new DeleteVolumeCommand({ VolumeId: vol.VolumeId }));
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap.SnapshotId }));
    await clock.advance(500);
    await expect(
      ec2.send(new DescribeVolumesCommand({ VolumeIds: [vol.VolumeId ?? ''] })),
    ).rejects.toMatchObject({ name: 'InvalidVolume.NotFound' });
    let n = 0;
    for await (const page of paginateDescribeVolumes({ client: ec2, pageSize: 5 }, {}))
      n += page.Volumes?.length ?? 0;
    expect(n).toBeGreaterThanOrEqual(2);
    await expect(
      ec2.send(
        new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 10, VolumeType: 'gp2', Iops: 500 }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  });

  it('creates, describes and deletes tags', async () => {
    const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1c', Size: 5 }));
    await ec2.send(
      new CreateTagsCommand({
        Resources: [vol.VolumeId ?? ''],
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      }),
    );
    await ec2.send(new DeleteTagsCommand({ Resources: [vol.VolumeId ?? ''], Tags: [{ Key: 'a' }] }));
    const tags = await ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [vol.VolumeId ?? ''] }] }),
    );
    expect(tags.Tags).toEqual([{ Key: 'b', Value: '2', ResourceId: vol.VolumeId, ResourceType: 'volume' }]);
  });
});
