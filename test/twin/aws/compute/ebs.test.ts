import type { Wire } from '../../../../twin/aws/contract.js';
import { harness, type Harness } from './harness.js';

type Vol = {
  volumeId: string;
  status: string;
  size: number;
  availabilityZone: string;
  iops?: number;
  throughput?: number;
  snapshotId: string;
  attachmentSet: { instanceId: string; device: string; status: string }[];
  tagSet: { key: string; value: string }[];
};

describe('EBS in the twin', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.stop());

  async function instanceIn(az: string): Promise<string> {
    const out = await h.call('ec2', 'RunInstances', {
      ImageId: 'ami-1',
      MinCount: '1',
      MaxCount: '1',
      Placement: { AvailabilityZone: az },
    });
    await h.advance(2_000);
    return ((out['instancesSet'] as { instanceId: string }[])[0] as { instanceId: string }).instanceId;
  }

  async function vol(id: string): Promise<Vol> {
    const out = await h.call('ec2', 'DescribeVolumes', { VolumeId: [id] });
    return (out['volumeSet'] as Vol[])[0] as Vol;
  }

  async function newVolume(az: string, extra: Wire = {}): Promise<string> {
    const out = await h.call('ec2', 'CreateVolume', {
      AvailabilityZone: az,
      Size: '20',
      VolumeType: 'gp3',
      ...extra,
    });
    await h.advance(1_000);
    return out['volumeId'] as string;
  }

  it('creates volumes bound to one AZ (creating → available) with per-type defaults and validation', async () => {
    const out = await h.call('ec2', 'CreateVolume', {
      AvailabilityZone: 'us-east-1b',
      Size: '100',
      VolumeType: 'gp3',
      Iops: '4000',
      Throughput: '250',
      Encrypted: 'true',
      TagSpecification: [{ ResourceType: 'volume', Tag: [{ Key: 'neo4j/member', Value: 'core-1' }] }],
    });
    expect(out).toMatchObject({
      status: 'creating',
      availabilityZone: 'us-east-1b',
      size: 100,
      iops: 4000,
      throughput: 250,
      encrypted: true,
    });
    expect(out['volumeId']).toMatch(/^vol-[0-9a-f]{17}$/);
    await h.advance(999);
    expect((await vol(out['volumeId'] as string)).status).toBe('creating');
    await h.advance(1);
    const v = await vol(out['volumeId'] as string);
    expect(v.status).toBe('available');
    expect(v.tagSet).toEqual([{ key: 'neo4j/member', value: 'core-1' }]);
    const gp2 = await h.call('ec2', 'CreateVolume', { AvailabilityZone: 'us-east-1a', Size: '10' });
    expect(gp2).toMatchObject({ volumeType: 'gp2', iops: 100 });
    const base = { AvailabilityZone: 'us-east-1a', Size: '10' };
    await h.fails(
      'ec2',
      'CreateVolume',
      { ...base, VolumeType: 'gp2', Iops: '3000' },
      'InvalidParameterCombination',
    );
    await h.fails(
      'ec2',
      'CreateVolume',
      { ...base, VolumeType: 'gp3', Iops: '20000' },
      'InvalidParameterValue',
    );
    await h.fails(
      'ec2',
      'CreateVolume',
      { ...base, VolumeType: 'gp3', Throughput: '2000' },
      'InvalidParameterValue',
    );
    await h.fails('ec2', 'CreateVolume', { ...base, VolumeType: 'io2' }, 'MissingParameter');
    await h.fails(
      'ec2',
      'CreateVolume',
      { ...base, VolumeType: 'io1', Iops: '1000' },
      'InvalidParameterValue',
    );
    await h.fails('ec2', 'CreateVolume', { ...base, VolumeType: 'st1' }, 'InvalidParameterValue');
    await h.fails(
      'ec2',
      'CreateVolume',
      { ...base, VolumeType: 'sc1', Throughput: '200', Size: '500' },
      'InvalidParameterCombination',
    );
    await h.fails('ec2', 'CreateVolume', { ...base, VolumeType: 'magnetic' }, 'InvalidParameterValue');
    await h.fails(
      'ec2',
      'CreateVolume',
      { AvailabilityZone: 'us-east-1z', Size: '10' },
      'InvalidParameterValue',
    );
    await h.fails('ec2', 'CreateVolume', { AvailabilityZone: 'us-east-1a' }, 'MissingParameter');
    await h.fails('ec2', 'CreateVolume', { ...base, KmsKeyId: 'k' }, 'InvalidParameterDependency');
    await h.fails('ec2', 'CreateVolume', { ...base, Size: 'ten' }, 'InvalidParameterValue');
  });

  it('attaches only in the same AZ, one instance at a time, on a free device; attaching → attached', async () => {
    const iA = await instanceIn('us-east-1a');
    const iA2 = await instanceIn('us-east-1a');
    const iB = await instanceIn('us-east-1b');
    const v = await newVolume('us-east-1a');
    const mismatch = await h.fails(
      'ec2',
      'AttachVolume',
      { VolumeId: v, InstanceId: iB, Device: '/dev/sdf' },
      'InvalidVolume.ZoneMismatch',
    );
    expect(mismatch.message).toContain(v);
    await h.fails(
      'ec2',
      'AttachVolume',
      { VolumeId: v, InstanceId: iA, Device: '/dev/xvda' },
      'InvalidParameterValue',
    );
    await h.fails(
      'ec2',
      'AttachVolume',
      { VolumeId: v, InstanceId: iA, Device: 'floppy' },
      'InvalidParameterValue',
    );
    const att = await h.call('ec2', 'AttachVolume', { VolumeId: v, InstanceId: iA, Device: '/dev/sdf' });
    expect(att).toMatchObject({ volumeId: v, instanceId: iA, device: '/dev/sdf', status: 'attaching' });
    expect((await vol(v)).status).toBe('in-use');
    await h.fails('ec2', 'AttachVolume', { VolumeId: v, InstanceId: iA2, Device: '/dev/sdf' }, 'VolumeInUse');
    await h.advance(1_000);
    expect((await vol(v)).attachmentSet).toEqual([
      expect.objectContaining({ instanceId: iA, device: '/dev/sdf', status: 'attached' }),
    ]);
    const v2 = await newVolume('us-east-1a');
    await h.fails(
      'ec2',
      'AttachVolume',
      { VolumeId: v2, InstanceId: iA, Device: '/dev/sdf' },
      'InvalidParameterValue',
    );
    const filtered = await h.call('ec2', 'DescribeVolumes', {
      Filter: [
        { Name: 'attachment.instance-id', Value: [iA] },
        { Name: 'attachment.status', Value: ['attached'] },
      ],
    });
    // The root volume and the data volume.
    expect((filtered['volumeSet'] as Vol[]).map((x) => x.attachmentSet[0]?.device).sort()).toEqual([
      '/dev/sdf',
      '/dev/xvda',
    ]);
    const states = h
      .events('ebs.attachment.state')
      .filter((e) => e['volumeId'] === v)
      .map((e) => e['to']);
    expect(states).toEqual(['attaching', 'attached']);
    await h.fails(
      'ec2',
      'AttachVolume',
      { VolumeId: 'vol-00000000000000000', InstanceId: iA, Device: '/dev/sdg' },
      'InvalidVolume.NotFound',
    );
    await h.fails(
      'ec2',
      'AttachVolume',
      { VolumeId: v2, InstanceId: 'i-00000000000000000', Device: '/dev/sdg' },
      'InvalidInstanceID.NotFound',
    );
  });

  it('detaches (detaching → detached → available) and deletes only available volumes', async () => {
    const i = await instanceIn('us-east-1c');
    const v = await newVolume('us-east-1c');
    await h.fails('ec2', 'DetachVolume', { VolumeId: v }, 'IncorrectState');
    await h.call('ec2', 'AttachVolume', { VolumeId: v, InstanceId: i, Device: 'xvdf' });
    await h.fails('ec2', 'DeleteVolume', { VolumeId: v }, 'VolumeInUse');
    await h.advance(1_000);
    await h.fails(
      'ec2',
      'DetachVolume',
      { VolumeId: v, InstanceId: 'i-00000000000000000' },
      'InvalidAttachment.NotFound',
    );
    const d = await h.call('ec2', 'DetachVolume', { VolumeId: v, InstanceId: i });
    expect(d).toMatchObject({ status: 'detaching', device: '/dev/xvdf' });
    expect((await vol(v)).status).toBe('in-use');
    await h.advance(1_000);
    const after = await vol(v);
    expect(after.status).toBe('available');
    expect(after.attachmentSet).toEqual([]);
    await h.call('ec2', 'DeleteVolume', { VolumeId: v });
    expect((await vol(v)).status).toBe('deleting');
    await h.advance(500);
    await h.fails('ec2', 'DescribeVolumes', { VolumeId: [v] }, 'InvalidVolume.NotFound');
    const creating = await h.call('ec2', 'CreateVolume', { AvailabilityZone: 'us-east-1a', Size: '5' });
    await h.fails('ec2', 'DeleteVolume', { VolumeId: creating['volumeId'] }, 'IncorrectState');
    expect(
      h
        .events('ebs.volume.state')
        .filter((e) => e['volumeId'] === v)
        .map((e) => e['to']),
    ).toEqual(['creating', 'available', 'in-use', 'available', 'deleting', 'deleted']);
  });

  it('detaches data volumes and deletes the root volume when the instance terminates', async () => {
    const i = await instanceIn('us-east-1a');
    const v = await newVolume('us-east-1a');
    await h.call('ec2', 'AttachVolume', { VolumeId: v, InstanceId: i, Device: '/dev/sdf' });
    await h.advance(1_000);
    const root =
      (
        (
          await h.call('ec2', 'DescribeVolumes', {
            Filter: [
              { Name: 'attachment.device', Value: ['/dev/xvda'] },
              { Name: 'attachment.instance-id', Value: [i] },
            ],
          })
        )['volumeSet'] as Vol[]
      )[0]?.volumeId ?? '';
    await h.call('ec2', 'TerminateInstances', { InstanceId: [i] });
    await h.advance(2_000);
    expect((await vol(v)).status).toBe('available');
    expect((await vol(root)).status).toBe('deleting');
  });

  it('grows volumes with ModifyVolume (never shrinks) and reports the modification', async () => {
    const v = await newVolume('us-east-1a');
    await h.fails('ec2', 'ModifyVolume', { VolumeId: v, Size: '10' }, 'InvalidParameterValue');
    const m = await h.call('ec2', 'ModifyVolume', { VolumeId: v, Size: '50', Iops: '6000' });
    expect(m['volumeModification']).toMatchObject({
      modificationState: 'modifying',
      targetSize: 50,
      originalSize: 20,
      targetIops: 6000,
    });
    await h.fails('ec2', 'ModifyVolume', { VolumeId: v, Size: '60' }, 'IncorrectModificationState');
    await h.advance(1_000);
    expect((await vol(v)).size).toBe(50);
    await h.advance(1_000);
    const mods = await h.call('ec2', 'DescribeVolumesModifications', { VolumeId: [v] });
    expect(
      (mods['volumeModificationSet'] as { modificationState: string }[]).map((x) => x.modificationState),
    ).toEqual(['completed']);
    await h.fails('ec2', 'ModifyVolume', { VolumeId: v, Size: '80' }, 'VolumeModificationRateExceeded');
    await h.advance(60_000);
    await h.call('ec2', 'ModifyVolume', { VolumeId: v, Size: '80' });
  });

  it('snapshots copy the volume data; a volume from a snapshot starts with a copy, in any AZ', async () => {
    const i = await instanceIn('us-east-1a');
    const v = await newVolume('us-east-1a', {
      TagSpecification: [{ ResourceType: 'volume', Tag: [{ Key: 'm', Value: '1' }] }],
    });
    await h.call('ec2', 'AttachVolume', { VolumeId: v, InstanceId: i, Device: '/dev/sdf' });
    await h.advance(1_000);
    // Write through the task seam's view of the volume.
    let data: Map<string, string> | undefined;
    const off = h.sim.addTaskListener({
      onTaskStarted: (t) => {
        data = t.attachedVolumes.find((x) => x.volumeId === v)?.data;
      },
    });
    await h.call('ecs', 'CreateCluster', { clusterName: 'default' });
    await h.advance(1_000);
    await h.call('ecs', 'RegisterTaskDefinition', {
      family: 'w',
      containerDefinitions: [{ name: 'c', image: 'x', memory: 128 }],
    });
    await h.call('ecs', 'RunTask', { taskDefinition: 'w' });
    await h.until(() => data !== undefined);
    off();
    data?.set('graph', 'v1');
    const snap = await h.call('ec2', 'CreateSnapshot', {
      VolumeId: v,
      Description: 'backup',
      TagSpecification: [{ ResourceType: 'snapshot', Tag: [{ Key: 'k', Value: 'v' }] }],
    });
    expect(snap).toMatchObject({ status: 'pending', volumeId: v, volumeSize: 20 });
    data?.set('graph', 'v2');
    await h.fails(
      'ec2',
      'CreateVolume',
      { AvailabilityZone: 'us-east-1b', SnapshotId: snap['snapshotId'] },
      'IncorrectState',
    );
    await h.advance(2_000);
    const snaps = await h.call('ec2', 'DescribeSnapshots', {
      Owner: ['self'],
      Filter: [{ Name: 'tag:k', Value: ['v'] }],
    });
    expect((snaps['snapshotSet'] as { status: string }[]).map((s) => s.status)).toEqual(['completed']);
    const nv = await h.call('ec2', 'CreateVolume', {
      AvailabilityZone: 'us-east-1b',
      SnapshotId: snap['snapshotId'] as string,
    });
    expect(nv).toMatchObject({ size: 20, availabilityZone: 'us-east-1b', snapshotId: snap['snapshotId'] });
    await h.fails(
      'ec2',
      'CreateVolume',
      { AvailabilityZone: 'us-east-1b', SnapshotId: snap['snapshotId'], Size: '5' },
      'InvalidParameterValue',
    );
    const world = await h.control('describeWorld');
    const nvw = (world['volumes'] as { volumeId: string; dataKeys: number }[]).find(
      (x) => x.volumeId === nv['volumeId'],
    );
    expect(nvw?.dataKeys).toBe(1);
    // The copy holds the snapshot-time value, not the later write.
    const state = h.sim.snapshot() as {
      state: { volumes: { $map: Record<string, { data: { $map: Record<string, string> } }> } };
    };
    expect(state.state.volumes.$map[nv['volumeId'] as string]?.data.$map['graph']).toBe('v1');
    await h.call('ec2', 'DeleteSnapshot', { SnapshotId: snap['snapshotId'] as string });
    await h.fails(
      'ec2',
      'DescribeSnapshots',
      { SnapshotId: [snap['snapshotId'] as string] },
      'InvalidSnapshot.NotFound',
    );
  });

  it('filters DescribeVolumes by tag, tag-key, AZ, status and volume-id, and paginates', async () => {
    for (let n = 0; n < 7; n++)
      await h.call('ec2', 'CreateVolume', {
        AvailabilityZone: n % 2 ? 'us-east-1a' : 'us-east-1b',
        Size: '10',
        TagSpecification: [
          {
            ResourceType: 'volume',
            Tag: [{ Key: 'idx', Value: String(n) }, ...(n < 3 ? [{ Key: 'low', Value: 'y' }] : [])],
          },
        ],
      });
    await h.advance(1_000);
    await h.call('ec2', 'CreateVolume', { AvailabilityZone: 'us-east-1c', Size: '10' });
    const q = async (f: Wire[]): Promise<Vol[]> =>
      (await h.call('ec2', 'DescribeVolumes', { Filter: f }))['volumeSet'] as Vol[];
    expect(await q([{ Name: 'tag:idx', Value: ['3', '4'] }])).toHaveLength(2);
    expect(await q([{ Name: 'tag-key', Value: ['low'] }])).toHaveLength(3);
    expect(await q([{ Name: 'availability-zone', Value: ['us-east-1a'] }])).toHaveLength(3);
    expect(await q([{ Name: 'status', Value: ['creating'] }])).toHaveLength(1);
    expect(
      await q([
        { Name: 'status', Value: ['available'] },
        { Name: 'availability-zone', Value: ['us-east-1b'] },
      ]),
    ).toHaveLength(4);
    const one = (await q([{ Name: 'tag:idx', Value: ['0'] }]))[0]?.volumeId ?? '';
    expect((await q([{ Name: 'volume-id', Value: [one] }])).map((x) => x.volumeId)).toEqual([one]);
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await h.call('ec2', 'DescribeVolumes', {
        MaxResults: '5',
        ...(token ? { NextToken: token } : {}),
      });
      ids.push(...(out['volumeSet'] as Vol[]).map((x) => x.volumeId));
      token = out['nextToken'] as string | undefined;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(new Set(ids).size).toBe(8);
    await h.fails('ec2', 'DescribeVolumes', { MaxResults: '2' }, 'InvalidParameterValue');
  });

  it('injected attach faults fail (or hang) the next attaches, then clear', async () => {
    const i = await instanceIn('us-east-1a');
    const v = await newVolume('us-east-1a');
    await h.control('failVolumeAttach', { volumeId: v, count: 1 });
    await h.call('ec2', 'AttachVolume', { VolumeId: v, InstanceId: i, Device: '/dev/sdf' });
    await h.advance(1_000);
    expect((await vol(v)).status).toBe('available');
    expect(h.events('ebs.attachment.state').some((e) => e['volumeId'] === v && e['failed'] === true)).toBe(
      true,
    );
    await h.call('ec2', 'AttachVolume', { VolumeId: v, InstanceId: i, Device: '/dev/sdf' });
    await h.advance(1_000);
    expect((await vol(v)).attachmentSet[0]?.status).toBe('attached');
    const v2 = await newVolume('us-east-1a');
    await h.control('failVolumeAttach', { volumeId: v2, mode: 'stuck' });
    await h.call('ec2', 'AttachVolume', { VolumeId: v2, InstanceId: i, Device: '/dev/sdg' });
    await h.advance(60_000);
    expect((await vol(v2)).attachmentSet[0]?.status).toBe('attaching');
    await h.call('ec2', 'DetachVolume', { VolumeId: v2, Force: 'true' });
    await h.advance(1_000);
    expect((await vol(v2)).status).toBe('available');
  });
});
