/**
 * Volumes, one per primary (docs/topology.md): CreateVolume in the member's AZ for each primary that
 * has none, from spec.volume (and its snapshot), tagged with the ledger tags; ModifyVolume when the spec
 * grows size, iops or throughput (never shrinks); duplicates, volumes in the wrong AZ and orphans
 * (a member the spec no longer has) are reported with a Warning hold and left alone, unless retention
 * is Delete and the orphan is detached (then DeleteVolume).
 */
import type { VolumeRequest } from '../../aws/topology-executors.js';
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import { TAGS } from '../../model/observed.js';
import { primaryPlacement } from '../../model/placement.js';
import type { Action, Step } from '../types.js';
import { recheck, volumesOf, volumeTags } from './names.js';

/** CreateVolume carries exactly what its executor sends (VolumeRequest), plus the member it is for. */
export interface CreateVolume extends Action, VolumeRequest {
  type: 'CreateVolume';
  member: string;
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

type Slot = ReturnType<typeof primaryPlacement>[number];
type Volume = ObservedCluster['volumes'][number];
type VolumeSpec = Neo4jCluster['spec']['volume'];

function createVolume(desired: Neo4jCluster, slot: Slot): CreateVolume {
  const spec = desired.spec.volume;
  return {
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
    tags: volumeTags(desired.metadata.name, slot.member),
  };
}

/** Grow (never shrink) size, iops and throughput; wait while an earlier modification is in flight. */
function resize(spec: VolumeSpec, member: string, v: Volume): Step<VolumeAction>[] {
  const steps: Step<VolumeAction>[] = [];
  const grow: Partial<Pick<ModifyVolume, 'sizeGiB' | 'iops' | 'throughput'>> = {};
  if (spec.sizeGiB > v.sizeGiB) grow.sizeGiB = spec.sizeGiB;
  if (spec.iops !== undefined && v.iops !== undefined && spec.iops > v.iops) grow.iops = spec.iops;
  if (spec.throughput !== undefined && v.throughput !== undefined && spec.throughput > v.throughput)
    grow.throughput = spec.throughput;
  const growing = Object.keys(grow).length > 0;
  if (growing && ['modifying', 'optimizing'].includes(v.modificationState ?? ''))
    steps.push(
      recheck(
        'VolumeModifying',
        `${member}'s volume ${v.volumeId} is still ${v.modificationState} from an earlier change; growing it again after that`,
        member,
      ),
    );
  else if (growing)
    steps.push({
      kind: 'act',
      type: 'ModifyVolume',
      reason: 'VolumeGrown',
      message: `growing ${v.volumeId} of ${member}: ${Object.entries(grow)
        .map(([k, x]) => `${k} ${String(x)}`)
        .join(', ')}`,
      member,
      volumeId: v.volumeId,
      ...grow,
    });
  if (spec.sizeGiB < v.sizeGiB)
    steps.push({
      kind: 'refused',
      reason: 'VolumeShrinkRefused',
      message: `${member}'s volume ${v.volumeId} is ${v.sizeGiB} GiB; EBS volumes cannot shrink, so spec.volume.sizeGiB ${spec.sizeGiB} is not applied`,
      member,
    });
  return steps;
}

/** One member's volumes: wrong-AZ and duplicate reports, then create or resize its own. */
function memberSteps(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'volumes'>,
  slot: Slot,
): Step<VolumeAction>[] {
  const steps: Step<VolumeAction>[] = [];
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
  if (!first) steps.push(createVolume(desired, slot));
  else if (first.state !== 'creating') steps.push(...resize(desired.spec.volume, slot.member, first));
  return steps;
}

/** Volumes of members the spec no longer has: deleted only under retention Delete and once detached. */
function orphanSteps(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'volumes'>,
  members: ReadonlySet<string>,
): Step<VolumeAction>[] {
  const retention = desired.spec.volume.retention;
  return observed.volumes
    .filter((v) => {
      const m = v.tags[TAGS.member];
      return m !== undefined && v.tags[TAGS.role] === 'primary' && !members.has(m) && v.state !== 'deleting';
    })
    .map((v): Step<VolumeAction> => {
      const member = v.tags[TAGS.member] as string;
      return retention === 'Delete' && v.state === 'available'
        ? {
            kind: 'act',
            type: 'DeleteVolume',
            reason: 'MemberRemoved',
            message: `${member} is no longer in the spec and retention is Delete: deleting its volume ${v.volumeId}`,
            member,
            volumeId: v.volumeId,
          }
        : {
            kind: 'refused',
            reason: 'OrphanVolume',
            message: `volume ${v.volumeId} belongs to ${member}, which the spec no longer has: kept (retention ${retention}${v.state !== 'available' ? `, ${v.state}` : ''})`,
            member,
          };
    });
}

export function planVolumes(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'volumes'>,
): Step<VolumeAction>[] {
  const slots = primaryPlacement(desired);
  const members = new Set(slots.map((s) => s.member));
  const steps = [
    ...slots.flatMap((slot) => memberSteps(desired, observed, slot)),
    ...orphanSteps(desired, observed, members),
  ];
  // Waits last: a wait ends the plan, and the other members' volumes need not wait for it.
  return [...steps.filter((x) => x.kind !== 'wait'), ...steps.filter((x) => x.kind === 'wait')];
}
