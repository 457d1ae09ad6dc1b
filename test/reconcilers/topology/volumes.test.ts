/** Table tests of the volume planner: create per member in its AZ, grow, never shrink, duplicates, orphans. */
import { planVolumes } from '../../../src/reconcilers/topology/volumes.js';
import type { CreateVolume, ModifyVolume } from '../../../src/reconcilers/topology/volumes.js';
import { brief, cluster, member, volume, world } from './fixtures.js';

describe('planVolumes', () => {
  it('creates one volume per primary in its AZ, tagged as the ledger, from the snapshot when named', () => {
    const c = cluster((s) => {
      (s['volume'] as Record<string, unknown>)['snapshotId'] = 'snap-0123456789abcdef0';
    });
    const steps = planVolumes(c, world());
    expect(brief(steps)).toEqual([
      `act:CreateVolume:${member(1)}`,
      `act:CreateVolume:${member(2)}`,
      `act:CreateVolume:${member(3)}`,
    ]);
    const first = steps[0] as CreateVolume;
    expect(first).toMatchObject({
      zone: 'us-east-1a',
      sizeGiB: 20,
      volumeType: 'gp3',
      encrypted: true,
      snapshotId: 'snap-0123456789abcdef0',
    });
    expect(first.tags).toEqual({
      'neo4j-ecs:cluster': 'graph-minimal',
      'neo4j-ecs:member': member(1),
      'neo4j-ecs:role': 'primary',
      'managed-by': 'neo4j-ecs-operator',
      Name: `${member(1)}-data`,
    });
    expect((steps[2] as CreateVolume).zone).toBe('us-east-1c');
  });

  it('does nothing once every member has its volume', () => {
    expect(planVolumes(cluster(), world({ volumes: [volume(1), volume(2), volume(3)] }))).toEqual([]);
  });

  it('grows size but refuses to shrink', () => {
    const grown = planVolumes(
      cluster((s) => ((s['volume'] as Record<string, unknown>)['sizeGiB'] = 30)),
      world({ volumes: [volume(1), volume(2), volume(3)] }),
    );
    expect(brief(grown)).toEqual([
      `act:ModifyVolume:${member(1)}`,
      `act:ModifyVolume:${member(2)}`,
      `act:ModifyVolume:${member(3)}`,
    ]);
    expect((grown[0] as ModifyVolume).sizeGiB).toBe(30);
    const shrunk = planVolumes(
      cluster((s) => ((s['volume'] as Record<string, unknown>)['sizeGiB'] = 10)),
      world({ volumes: [volume(1), volume(2), volume(3)] }),
    );
    expect(brief(shrunk)).toEqual([
      `refused:VolumeShrinkRefused:${member(1)}`,
      `refused:VolumeShrinkRefused:${member(2)}`,
      `refused:VolumeShrinkRefused:${member(3)}`,
    ]);
  });

  it('waits (last, so the others proceed) instead of growing a volume whose previous modification is still in progress', () => {
    const c = cluster((s) => ((s['volume'] as Record<string, unknown>)['sizeGiB'] = 40));
    const vols = [
      volume(1, { modificationState: 'optimizing' }),
      volume(2, { modificationState: 'completed' }),
      volume(3),
    ];
    expect(brief(planVolumes(c, world({ volumes: vols })))).toEqual([
      `act:ModifyVolume:${member(2)}`,
      `act:ModifyVolume:${member(3)}`,
      `wait:VolumeModifying:${member(1)}`,
    ]);
  });

  it('reports duplicates and volumes in the wrong AZ, and never creates a second one', () => {
    const dup = volume(1, { volumeId: 'vol-1b' });
    const wrong = volume(2, { volumeId: 'vol-2x', availabilityZone: 'us-east-1a' });
    const steps = planVolumes(cluster(), world({ volumes: [volume(1), dup, wrong, volume(2), volume(3)] }));
    expect(brief(steps)).toEqual([
      `refused:DuplicateVolume:${member(1)}`,
      `refused:VolumeInWrongZone:${member(2)}`,
    ]);
  });

  it('keeps orphans under Retain and deletes a detached one only under Delete', () => {
    const orphan = volume(4, { availabilityZone: 'us-east-1a' });
    const vols = [volume(1), volume(2), volume(3), orphan];
    expect(brief(planVolumes(cluster(), world({ volumes: vols })))).toEqual([
      `refused:OrphanVolume:${member(4)}`,
    ]);
    const del = cluster((s) => ((s['volume'] as Record<string, unknown>)['retention'] = 'Delete'));
    expect(brief(planVolumes(del, world({ volumes: vols })))).toEqual([`act:DeleteVolume:${member(4)}`]);
    const attached = volume(4, { availabilityZone: 'us-east-1a', attachedTo: 'i-a' });
    expect(brief(planVolumes(del, world({ volumes: [volume(1), volume(2), volume(3), attached] })))).toEqual([
      `refused:OrphanVolume:${member(4)}`,
    ]);
  });
});
