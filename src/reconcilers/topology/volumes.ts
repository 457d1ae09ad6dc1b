/**
 * Volumes, one per primary (docs/topology.md): CreateVolume in the member's AZ for each primary that
 * has none, from spec.volume (and its snapshot), tagged with the ledger tags; ModifyVolume when the spec
 * grows size, iops or throughput (never shrinks); duplicates, volumes in the wrong AZ and orphans
 * (a member the spec no longer has) are reported with a Warning hold and left alone, unless retention
 * is Delete and the orphan is detached (then DeleteVolume).
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import { TAGS } from '../../model/observed.js';
import { primaryPlacement } from '../../model/placement.js';
import type { Action, Step } from '../types.js';
import { TOPOLOGY_RECHECK_MS, volumesOf, volumeTags } from './names.js';

export interface CreateVolume extends Action {
  type: 'CreateVolume';
  member: string;
  zone: string;
  sizeGiB: number;
  volumeType: string;
  iops?: number;
  throughput?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  snapshotId?: string;
  tags: Record<string, string>;
}

export interface ModifyVolume extends Action {
  type: 'ModifyVolume';
  volumeId: string;
  sizeGiB?: number;
  iops?: number;
  throughput?: number;
}

export interface DeleteVolume extends Action {
  type: 'DeleteVolume';
  volumeId: string;
}

export type VolumeAction = CreateVolume | ModifyVolume | DeleteVolume;

export function planVolumes(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'volumes'>,
): Step<VolumeAction>[] {
  const steps: Step<VolumeAction>[] = [];
  const name = desired.metadata.name;
  const spec = desired.spec.volume;
  const slots = primaryPlacement(desired);
  const members = new Set(slots.map((s) => s.member));
  for (const slot of slots) {
    const all = volumesOf(observed, slot.member);
    const mine = all.filter((v) => v.availabilityZone === slot.zone);
    for (const v of all.filter((x) => x.availabilityZone !== slot.zone))
      steps.push({
        kind: 'refused',
        reason: 'VolumeInWrongZone',
        message: `volume ${v.volumeId} claims ${slot.member} but is in ${v.availabilityZone}, not ${slot.zone}: left alone (EBS cannot move it)`,
        member: slot.member,
      });
    const [first, ...extra] = mine;
    if (extra.length > 0)
      steps.push({
        kind: 'refused',
        reason: 'DuplicateVolume',
        message: `${slot.member} has ${mine.length} volumes (${mine.map((v) => v.volumeId).join(', ')}): using ${first?.volumeId}, the others are left alone`,
        member: slot.member,
      });
    if (!first) {
      steps.push({
        kind: 'act',
        type: 'CreateVolume',
        reason: 'VolumeMissing',
        message: `${slot.member} has no volume: creating ${spec.sizeGiB} GiB ${spec.type} in ${slot.zone}${spec.snapshotId ? ` from ${spec.snapshotId}` : ''}`,
        member: slot.member,
        zone: slot.zone,
        sizeGiB: spec.sizeGiB,
        volumeType: spec.type,
        ...(spec.iops !== undefined ? { iops: spec.iops } : {}),
        ...(spec.throughput !== undefined ? { throughput: spec.throughput } : {}),
        encrypted: spec.encrypted,
        ...(spec.kmsKeyId !== undefined ? { kmsKeyId: spec.kmsKeyId } : {}),
        ...(spec.snapshotId !== undefined ? { snapshotId: spec.snapshotId } : {}),
        tags: volumeTags(name, slot.member),
      });
      continue;
    }
    if (first.state === 'creating') continue;
    const grow: Partial<Pick<ModifyVolume, 'sizeGiB' | 'iops' | 'throughput'>> = {};
    if (spec.sizeGiB > first.sizeGiB) grow.sizeGiB = spec.sizeGiB;
    if (spec.iops !== undefined && first.iops !== undefined && spec.iops > first.iops) grow.iops = spec.iops;
    if (spec.throughput !== undefined && first.throughput !== undefined && spec.throughput > first.throughput)
      grow.throughput = spec.throughput;
    if (Object.keys(grow).length > 0 && ['modifying', 'optimizing'].includes(first.modificationState ?? ''))
      steps.push({
        kind: 'wait',
        reason: 'VolumeModifying',
        message: `${slot.member}'s volume ${first.volumeId} is still ${first.modificationState} from an earlier change; growing it again after that`,
        member: slot.member,
        requeueAfterMs: TOPOLOGY_RECHECK_MS,
      });
    else if (Object.keys(grow).length > 0)
      steps.push({
        kind: 'act',
        type: 'ModifyVolume',
        reason: 'VolumeGrown',
        message: `growing ${first.volumeId} of ${slot.member}: ${Object.entries(grow)
          .map(([k, v]) => `${k} ${String(v)}`)
          .join(', ')}`,
        member: slot.member,
        volumeId: first.volumeId,
        ...grow,
      });
    if (spec.sizeGiB < first.sizeGiB)
      steps.push({
        kind: 'refused',
        reason: 'VolumeShrinkRefused',
        message: `${slot.member}'s volume ${first.volumeId} is ${first.sizeGiB} GiB; EBS volumes cannot shrink, so spec.volume.sizeGiB ${spec.sizeGiB} is not applied`,
        member: slot.member,
      });
  }
  const orphans = observed.volumes.filter((v) => {
    const m = v.tags[TAGS.member];
    return m !== undefined && v.tags[TAGS.role] === 'primary' && !members.has(m) && v.state !== 'deleting';
  });
  for (const v of orphans) {
    const member = v.tags[TAGS.member] as string;
    if (spec.retention === 'Delete' && v.state === 'available')
      steps.push({
        kind: 'act',
        type: 'DeleteVolume',
        reason: 'MemberRemoved',
        message: `${member} is no longer in the spec and retention is Delete: deleting its volume ${v.volumeId}`,
        member,
        volumeId: v.volumeId,
      });
    else
      steps.push({
        kind: 'refused',
        reason: 'OrphanVolume',
        message: `volume ${v.volumeId} belongs to ${member}, which the spec no longer has: kept (retention ${spec.retention}${v.state !== 'available' ? `, ${v.state}` : ''})`,
        member,
      });
  }
  return steps;
}
