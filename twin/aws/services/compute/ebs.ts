/**
 * EBS in the twin: volumes bound to one AZ (creating → available → in-use → deleting), attachments
 * (attaching → attached → detaching → detached) to one instance at a time in the same AZ, type-specific
 * validation of size/iops/throughput, ModifyVolume, and snapshots. Each volume carries its contents
 * (`data`), which snapshots copy; that is what the task seam hands to whatever runs in a task.
 */
import { AwsError, type OperationHandler, type Wire } from '../../contract.js';
import { ec2BadToken, ec2Invalid, ec2Reader, ec2UnknownFilter } from './errors.js';
import type { Sim } from './sim.js';
import type {
  Attachment,
  AttachmentStateName,
  Instance,
  InstanceStateName,
  Snapshot,
  Volume,
  VolumeStateName,
} from './state.js';
import {
  compact,
  ec2TagSet,
  matchesFilters,
  paginate,
  readFilters,
  readTagSpecs,
  type Reader,
} from './util.js';

const VOLUME_TYPES = ['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard'] as const;

interface VolumeConfig {
  volumeType: string;
  size: number;
  iops?: number;
  throughput?: number;
}

/** Validates a volume's type/size/iops/throughput as EC2 does; fills in type defaults. */
export function validateVolumeConfig(
  c: VolumeConfig,
  explicit: { iops: boolean; throughput: boolean },
): VolumeConfig {
  const { volumeType: t, size } = c;
  if (!(VOLUME_TYPES as readonly string[]).includes(t))
    throw ec2Invalid(
      `Value (${t}) for parameter volumeType is invalid. Valid values: ${VOLUME_TYPES.join(', ')}.`,
    );
  const sizeRange: Record<string, [number, number]> = {
    gp2: [1, 16384],
    gp3: [1, 16384],
    io1: [4, 16384],
    io2: [4, 65536],
    st1: [125, 16384],
    sc1: [125, 16384],
    standard: [1, 1024],
  };
  const [lo, hi] = sizeRange[t] ?? [1, 16384];
  if (size < lo || size > hi)
    throw ec2Invalid(
      `Volume of ${size}GiB is too ${size < lo ? 'small' : 'large'}; minimum is ${lo}GiB, maximum is ${hi}GiB for ${t}.`,
    );
  const out: VolumeConfig = { volumeType: t, size };
  if (explicit.throughput && t !== 'gp3')
    throw new AwsError(
      'InvalidParameterCombination',
      `The parameter throughput is not supported for ${t} volumes.`,
    );
  switch (t) {
    case 'gp3': {
      const iops = c.iops ?? 3000;
      const tp = c.throughput ?? 125;
      if (iops < 3000 || iops > 16000)
        throw ec2Invalid(`Volume iops of ${iops} is out of range for gp3; must be between 3000 and 16000.`);
      if (iops > size * 500 && explicit.iops)
        throw ec2Invalid(
          `Iops to volume size ratio of ${(iops / size).toFixed(1)} is too high; maximum is 500.`,
        );
      if (tp < 125 || tp > 1000)
        throw ec2Invalid(`Throughput of ${tp} MiB/s is out of range for gp3; must be between 125 and 1000.`);
      if (tp > iops / 4)
        throw ec2Invalid(
          `Throughput (MiBps) to iops ratio of ${(tp / iops).toFixed(3)} is too high; maximum is 0.25 MiBps per iops.`,
        );
      out.iops = iops;
      out.throughput = tp;
      break;
    }
    case 'gp2':
      if (explicit.iops)
        throw new AwsError(
          'InvalidParameterCombination',
          'The parameter iops is not supported for gp2 volumes.',
        );
      out.iops = Math.max(100, Math.min(16000, size * 3));
      break;
    case 'io1':
    case 'io2': {
      if (c.iops === undefined)
        throw new AwsError('MissingParameter', `The parameter iops must be specified for ${t} volumes.`);
      const max = t === 'io1' ? 64000 : 256000;
      const ratio = t === 'io1' ? 50 : 1000;
      if (c.iops < 100 || c.iops > max)
        throw ec2Invalid(
          `Volume iops of ${c.iops} is out of range for ${t}; must be between 100 and ${max}.`,
        );
      if (c.iops > size * ratio)
        throw ec2Invalid(
          `Iops to volume size ratio of ${(c.iops / size).toFixed(1)} is too high; maximum is ${ratio}.`,
        );
      out.iops = c.iops;
      break;
    }
    case 'st1':
    case 'sc1':
    case 'standard':
      if (explicit.iops)
        throw new AwsError(
          'InvalidParameterCombination',
          `The parameter iops is not supported for ${t} volumes.`,
        );
      break;
    default:
      break;
  }
  return out;
}

const DEVICE_RE = /^(\/dev\/)?(sd[a-z]\d{0,2}|xvd[a-z]{1,2}\d{0,2}|xvdb[a-z])$/;

export class EbsSim {
  constructor(private readonly sim: Sim) {
    sim.on('ebs.created', (a) => {
      const v = sim.state.volumes.get(String(a['volumeId']));
      if (v?.state === 'creating') this.setVolumeState(v, 'available');
    });
    sim.on('ebs.deleted', (a) => {
      const v = sim.state.volumes.get(String(a['volumeId']));
      if (v?.state !== 'deleting') return;
      this.setVolumeState(v, 'deleted');
      sim.state.volumes.delete(v.volumeId);
      sim.state.attachFaults.delete(v.volumeId);
    });
    sim.on('ebs.attached', (a) =>
      this.onAttachDone(String(a['volumeId']), String(a['instanceId']), a['fail'] === true),
    );
    sim.on('ebs.detached', (a) => this.onDetachDone(String(a['volumeId']), String(a['instanceId'])));
    sim.on('ebs.modify.optimizing', (a) => this.onModifyStep(String(a['volumeId']), 'optimizing'));
    sim.on('ebs.modify.completed', (a) => this.onModifyStep(String(a['volumeId']), 'completed'));
    sim.on('ebs.snapshot.completed', (a) => {
      const s = sim.state.snapshots.get(String(a['snapshotId']));
      if (s?.state !== 'pending') return;
      s.state = 'completed';
      s.progress = '100%';
      sim.log('ebs.snapshot.state', {
        snapshotId: s.snapshotId,
        volumeId: s.volumeId,
        from: 'pending',
        to: 'completed',
      });
    });
  }

  volume(id: string): Volume {
    const v = this.sim.state.volumes.get(id);
    if (!v) throw new AwsError('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
    return v;
  }

  snapshot(id: string): Snapshot {
    const s = this.sim.state.snapshots.get(id);
    if (!s) throw new AwsError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
    return s;
  }

  /** Volumes attached (attaching, attached or detaching) to an instance, with their attachment. */
  attachmentsOf(instanceId: string): { volume: Volume; attachment: Attachment }[] {
    const out: { volume: Volume; attachment: Attachment }[] = [];
    for (const volume of this.sim.state.volumes.values())
      for (const attachment of volume.attachments)
        if (attachment.instanceId === instanceId && attachment.state !== 'detached')
          out.push({ volume, attachment });
    return out;
  }

  private setVolumeState(v: Volume, to: VolumeStateName): void {
    const from = v.state;
    if (from === to) return;
    v.state = to;
    this.sim.log('ebs.volume.state', { volumeId: v.volumeId, from, to, az: v.az });
  }

  private setAttachmentState(
    v: Volume,
    a: Attachment,
    to: AttachmentStateName,
    extra: Record<string, unknown> = {},
  ): void {
    const from = a.state;
    a.state = to;
    this.sim.log('ebs.attachment.state', {
      volumeId: v.volumeId,
      instanceId: a.instanceId,
      device: a.device,
      from,
      to,
      az: v.az,
      instanceAz: this.sim.state.instances.get(a.instanceId)?.az ?? null,
      tags: { ...v.tags },
      ...extra,
    });
  }

  createRootVolume(inst: Instance, size: number, type: string): void {
    const v = this.newVolume({ az: inst.az, size, volumeType: type, encrypted: false, tags: {} });
    v.state = 'in-use';
    v.attachments.push({
      instanceId: inst.instanceId,
      device: inst.rootDeviceName,
      state: 'attached',
      attachTime: this.sim.now(),
      deleteOnTermination: true,
    });
    this.sim.log('ebs.volume.state', {
      volumeId: v.volumeId,
      from: null,
      to: 'in-use',
      az: v.az,
      root: true,
    });
    this.sim.log('ebs.attachment.state', {
      volumeId: v.volumeId,
      instanceId: inst.instanceId,
      device: inst.rootDeviceName,
      from: null,
      to: 'attached',
      az: v.az,
      instanceAz: inst.az,
      root: true,
    });
  }

  private newVolume(o: {
    az: string;
    size: number;
    volumeType: string;
    iops?: number;
    throughput?: number;
    encrypted: boolean;
    kmsKeyId?: string;
    snapshotId?: string;
    tags: Record<string, string>;
    data?: Map<string, string>;
    multiAttachEnabled?: boolean;
    clientToken?: string;
  }): Volume {
    const v: Volume = {
      volumeId: this.sim.ec2Id('vol'),
      size: o.size,
      volumeType: o.volumeType,
      encrypted: o.encrypted,
      az: o.az,
      state: 'creating',
      createTime: this.sim.now(),
      tags: { ...o.tags },
      attachments: [],
      data: new Map<string, string>(o.data ?? []),
      modifications: [],
      multiAttachEnabled: o.multiAttachEnabled ?? false,
      ...(o.iops !== undefined ? { iops: o.iops } : {}),
      ...(o.throughput !== undefined ? { throughput: o.throughput } : {}),
      ...(o.kmsKeyId !== undefined ? { kmsKeyId: o.kmsKeyId } : {}),
      ...(o.snapshotId !== undefined ? { snapshotId: o.snapshotId } : {}),
      ...(o.clientToken !== undefined ? { clientToken: o.clientToken } : {}),
    };
    this.sim.state.volumes.set(v.volumeId, v);
    return v;
  }

  /** Instance state changes: on termination every attachment goes; DeleteOnTermination volumes are deleted. */
  onInstanceState(inst: Instance, _from: InstanceStateName, to: InstanceStateName): void {
    if (to !== 'terminated') return;
    for (const { volume, attachment } of this.attachmentsOf(inst.instanceId)) {
      this.sim.cancel(attachment.job);
      this.setAttachmentState(volume, attachment, 'detached', { reason: 'instance terminated' });
      volume.attachments = volume.attachments.filter((a) => a !== attachment);
      if (attachment.deleteOnTermination) {
        this.setVolumeState(volume, 'deleting');
        this.sim.schedule('ebs.deleted', { volumeId: volume.volumeId }, this.sim.params.volumeDeleteMs);
      } else if (volume.attachments.length === 0) {
        this.setVolumeState(volume, 'available');
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Attach / detach

  attach(volumeId: string, instanceId: string, deviceIn: string): Wire {
    const v = this.volume(volumeId);
    const inst = this.sim.ec2.instance(instanceId);
    if (!DEVICE_RE.test(deviceIn))
      throw ec2Invalid(
        `Value (${deviceIn}) for parameter device is invalid. ${deviceIn} is not a valid EBS device name.`,
      );
    const device = deviceIn.startsWith('/dev/') ? deviceIn : `/dev/${deviceIn}`;
    if (inst.state !== 'running' && inst.state !== 'stopped')
      throw new AwsError('IncorrectState', `Instance '${instanceId}' is not 'running'.`);
    if (v.state === 'in-use' && !v.multiAttachEnabled) {
      const a = v.attachments[0];
      throw new AwsError(
        'VolumeInUse',
        `${volumeId} is already attached to an instance${a ? ` (${a.instanceId})` : ''}`,
      );
    }
    if (v.state !== 'available' && v.state !== 'in-use')
      throw new AwsError('IncorrectState', `Volume '${volumeId}' is in the '${v.state}' state.`);
    if (v.az !== inst.az)
      throw new AwsError(
        'InvalidVolume.ZoneMismatch',
        `The volume '${volumeId}' is not in the same availability zone as instance '${instanceId}'`,
      );
    if (v.attachments.some((a) => a.instanceId === instanceId))
      throw new AwsError('VolumeInUse', `${volumeId} is already attached to ${instanceId}`);
    if (v.multiAttachEnabled && v.attachments.length >= 16)
      throw new AwsError('AttachmentLimitExceeded', `Volume ${volumeId} has reached its attachment limit.`);
    const used = this.attachmentsOf(instanceId).map((x) => x.attachment.device);
    if (used.includes(device)) throw ec2Invalid(`Attachment point ${device} is already in use`);
    if (used.length >= 27)
      throw new AwsError(
        'AttachmentLimitExceeded',
        `Instance ${instanceId} has reached its volume attachment limit.`,
      );
    const a: Attachment = {
      instanceId,
      device,
      state: 'attaching',
      attachTime: this.sim.now(),
      deleteOnTermination: false,
    };
    v.attachments.push(a);
    this.setAttachmentState(v, a, 'attaching', { from: 'detached' });
    this.setVolumeState(v, 'in-use');
    const fault = this.sim.state.attachFaults.get(volumeId);
    if (fault && fault.remaining > 0) {
      fault.remaining -= 1;
      if (fault.remaining === 0) this.sim.state.attachFaults.delete(volumeId);
      this.sim.log('ebs.fault', { volumeId, instanceId, fault: fault.mode });
      if (fault.mode === 'stuck') return this.attachmentWire(v, a);
      a.job = this.sim.schedule(
        'ebs.attached',
        { volumeId, instanceId, fail: true },
        this.sim.params.volumeAttachMs,
      );
      return this.attachmentWire(v, a);
    }
    a.job = this.sim.schedule('ebs.attached', { volumeId, instanceId }, this.sim.params.volumeAttachMs);
    return this.attachmentWire(v, a);
  }

  private onAttachDone(volumeId: string, instanceId: string, failed: boolean): void {
    const v = this.sim.state.volumes.get(volumeId);
    const a = v?.attachments.find((x) => x.instanceId === instanceId);
    if (!v || !a || a.state !== 'attaching') return;
    delete a.job;
    if (failed) {
      this.setAttachmentState(v, a, 'detached', {
        failed: true,
        reason: 'attachment failed (injected fault)',
      });
      v.attachments = v.attachments.filter((x) => x !== a);
      if (v.attachments.length === 0) this.setVolumeState(v, 'available');
      return;
    }
    this.setAttachmentState(v, a, 'attached');
  }

  detach(volumeId: string, instanceId: string | undefined, device: string | undefined, force: boolean): Wire {
    const v = this.volume(volumeId);
    if (v.state !== 'in-use')
      throw new AwsError('IncorrectState', `Volume '${volumeId}' is in the '${v.state}' state.`);
    const a = v.attachments.find(
      (x) =>
        x.state !== 'detached' &&
        (instanceId === undefined || x.instanceId === instanceId) &&
        (device === undefined || x.device === device || x.device === `/dev/${device}`),
    );
    if (!a)
      throw new AwsError(
        'InvalidAttachment.NotFound',
        `Volume '${volumeId}' is not attached to instance '${instanceId ?? '?'}'${device ? ` at ${device}` : ''}.`,
      );
    if (v.attachments.length > 1 && instanceId === undefined)
      throw new AwsError(
        'InvalidParameterCombination',
        'The instance ID must be specified for a multi-attach volume.',
      );
    const inst = this.sim.state.instances.get(a.instanceId);
    if (inst && a.device === inst.rootDeviceName && inst.state !== 'stopped' && inst.state !== 'terminated')
      throw new AwsError(
        'IncorrectState',
        `Unable to detach root volume '${volumeId}' from instance '${a.instanceId}'`,
      );
    if (a.state === 'detaching') {
      if (!force) throw new AwsError('IncorrectState', `Volume '${volumeId}' is in the 'detaching' state.`);
      return this.attachmentWire(v, a);
    }
    this.sim.cancel(a.job);
    this.setAttachmentState(v, a, 'detaching', { force });
    a.job = this.sim.schedule(
      'ebs.detached',
      { volumeId, instanceId: a.instanceId },
      this.sim.params.volumeDetachMs,
    );
    return this.attachmentWire(v, a);
  }

  private onDetachDone(volumeId: string, instanceId: string): void {
    const v = this.sim.state.volumes.get(volumeId);
    const a = v?.attachments.find((x) => x.instanceId === instanceId);
    if (!v || !a || a.state !== 'detaching') return;
    this.setAttachmentState(v, a, 'detached');
    v.attachments = v.attachments.filter((x) => x !== a);
    if (v.attachments.length === 0) this.setVolumeState(v, 'available');
  }

  private attachmentWire(v: Volume, a: Attachment): Wire {
    return {
      attachTime: new Date(a.attachTime),
      device: a.device,
      instanceId: a.instanceId,
      status: a.state,
      volumeId: v.volumeId,
      deleteOnTermination: a.deleteOnTermination,
    };
  }

  volumeWire(v: Volume): Wire {
    return compact({
      volumeId: v.volumeId,
      size: v.size,
      snapshotId: v.snapshotId ?? '',
      availabilityZone: v.az,
      availabilityZoneId: this.sim.state.azs.get(v.az)?.zoneId,
      status: v.state,
      createTime: new Date(v.createTime),
      attachmentSet: v.attachments.map((a) => this.attachmentWire(v, a)),
      volumeType: v.volumeType,
      iops: v.iops,
      throughput: v.throughput,
      encrypted: v.encrypted,
      kmsKeyId: v.kmsKeyId,
      multiAttachEnabled: v.multiAttachEnabled,
      tagSet: ec2TagSet(v.tags),
    });
  }

  private snapshotWire(s: Snapshot): Wire {
    return compact({
      snapshotId: s.snapshotId,
      volumeId: s.volumeId,
      status: s.state,
      startTime: new Date(s.startTime),
      progress: s.progress,
      ownerId: this.sim.accountId,
      description: s.description,
      volumeSize: s.volumeSize,
      encrypted: s.encrypted,
      kmsKeyId: s.kmsKeyId,
      storageTier: 'standard',
      tagSet: ec2TagSet(s.tags),
    });
  }

  private modificationWire(v: Volume, m: Volume['modifications'][number]): Wire {
    return compact({
      volumeId: v.volumeId,
      modificationState: m.modificationState,
      targetSize: m.targetSize,
      targetIops: m.targetIops,
      targetVolumeType: m.targetVolumeType,
      targetThroughput: m.targetThroughput,
      originalSize: m.originalSize,
      originalIops: m.originalIops,
      originalVolumeType: m.originalVolumeType,
      originalThroughput: m.originalThroughput,
      progress: m.progress,
      startTime: new Date(m.startTime),
      endTime: m.endTime !== undefined ? new Date(m.endTime) : undefined,
    });
  }

  private onModifyStep(volumeId: string, to: 'optimizing' | 'completed'): void {
    const v = this.sim.state.volumes.get(volumeId);
    const m = v?.modifications[v.modifications.length - 1];
    if (!v || !m) return;
    if (to === 'optimizing' && m.modificationState === 'modifying') {
      m.modificationState = 'optimizing';
      m.progress = 50;
      v.size = m.targetSize;
      v.volumeType = m.targetVolumeType;
      if (m.targetIops !== undefined) v.iops = m.targetIops;
      if (m.targetThroughput !== undefined) v.throughput = m.targetThroughput;
      this.sim.schedule('ebs.modify.completed', { volumeId }, this.sim.params.volumeModifyMs / 2);
    } else if (to === 'completed' && m.modificationState === 'optimizing') {
      m.modificationState = 'completed';
      m.progress = 100;
      m.endTime = this.sim.now();
    } else return;
    this.sim.log('ebs.volume.modification', { volumeId, state: m.modificationState, size: v.size });
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  readonly operations: Record<string, OperationHandler> = {
    CreateVolume: (input) => this.createVolume(ec2Reader(input)),

    DeleteVolume: (input) => {
      const r = ec2Reader(input);
      const v = this.volume(r.reqStr('VolumeId'));
      if (v.state === 'in-use') {
        const a = v.attachments[0];
        throw new AwsError(
          'VolumeInUse',
          `Volume ${v.volumeId} is currently attached to ${a?.instanceId ?? 'an instance'}`,
        );
      }
      if (v.state !== 'available')
        throw new AwsError('IncorrectState', `The volume '${v.volumeId}' is '${v.state}'`);
      this.setVolumeState(v, 'deleting');
      this.sim.schedule('ebs.deleted', { volumeId: v.volumeId }, this.sim.params.volumeDeleteMs);
      return { return: true };
    },

    DescribeVolumes: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('VolumeId');
      const maxResults = r.int('MaxResults', { min: 5, max: 500 });
      if (ids.length && maxResults !== undefined)
        throw new AwsError(
          'InvalidParameterCombination',
          'The parameter volumeSet cannot be used with the parameter maxResults',
        );
      for (const id of ids) this.volume(id);
      const filters = readFilters(r);
      const list = [...this.sim.state.volumes.values()].filter(
        (v) =>
          (!ids.length || ids.includes(v.volumeId)) &&
          matchesFilters(filters, (n) => this.volumeFilter(v, n), ec2UnknownFilter),
      );
      const { page, next } = paginate(list, r.str('NextToken'), maxResults ?? 500, 'volumes', ec2BadToken);
      return compact({ volumeSet: page.map((v) => this.volumeWire(v)), nextToken: next });
    },

    AttachVolume: (input) => {
      const r = ec2Reader(input);
      return this.attach(r.reqStr('VolumeId'), r.reqStr('InstanceId'), r.reqStr('Device'));
    },

    DetachVolume: (input) => {
      const r = ec2Reader(input);
      return this.detach(
        r.reqStr('VolumeId'),
        r.str('InstanceId'),
        r.str('Device'),
        r.bool('Force') ?? false,
      );
    },

    ModifyVolume: (input) => this.modifyVolume(ec2Reader(input)),

    DescribeVolumesModifications: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('VolumeId');
      const filters = readFilters(r);
      for (const id of ids) {
        const v = this.volume(id);
        if (!v.modifications.length)
          throw new AwsError(
            'InvalidVolumeModification.NotFound',
            `Modification for volume '${id}' does not exist.`,
          );
      }
      const rows: Wire[] = [];
      for (const v of this.sim.state.volumes.values()) {
        if (ids.length && !ids.includes(v.volumeId)) continue;
        for (const m of v.modifications)
          if (
            matchesFilters(
              filters,
              (n) =>
                ({
                  'volume-id': [v.volumeId],
                  'modification-state': [m.modificationState],
                  'target-size': [String(m.targetSize)],
                  'target-volume-type': [m.targetVolumeType],
                  'original-size': [String(m.originalSize)],
                })[n],
              ec2UnknownFilter,
            )
          )
            rows.push(this.modificationWire(v, m));
      }
      const { page, next } = paginate(
        rows,
        r.str('NextToken'),
        r.int('MaxResults', { min: 1, max: 500 }) ?? 500,
        'mods',
        ec2BadToken,
      );
      return compact({ volumeModificationSet: page, nextToken: next });
    },

    CreateSnapshot: (input) => {
      const r = ec2Reader(input);
      const v = this.volume(r.reqStr('VolumeId'));
      if (v.state !== 'available' && v.state !== 'in-use')
        throw new AwsError('IncorrectState', `The volume '${v.volumeId}' is in the '${v.state}' state.`);
      const s: Snapshot = {
        snapshotId: this.sim.ec2Id('snap'),
        volumeId: v.volumeId,
        volumeSize: v.size,
        state: 'pending',
        progress: '0%',
        startTime: this.sim.now(),
        description: r.str('Description') ?? '',
        encrypted: v.encrypted,
        tags: readTagSpecs(r, 'snapshot'),
        data: new Map(v.data),
        ...(v.kmsKeyId !== undefined ? { kmsKeyId: v.kmsKeyId } : {}),
      };
      this.sim.state.snapshots.set(s.snapshotId, s);
      this.sim.log('ebs.snapshot.state', {
        snapshotId: s.snapshotId,
        volumeId: v.volumeId,
        from: null,
        to: 'pending',
        keys: v.data.size,
      });
      this.sim.schedule('ebs.snapshot.completed', { snapshotId: s.snapshotId }, this.sim.params.snapshotMs);
      return this.snapshotWire(s);
    },

    DescribeSnapshots: (input) => {
      const r = ec2Reader(input);
      const ids = r.strList('SnapshotId');
      const owners = r.strList('Owner');
      for (const id of ids) this.snapshot(id);
      const filters = readFilters(r);
      const mine = owners.length === 0 || owners.some((o) => o === 'self' || o === this.sim.accountId);
      const list = [...this.sim.state.snapshots.values()].filter(
        (s) =>
          mine &&
          (!ids.length || ids.includes(s.snapshotId)) &&
          matchesFilters(
            filters,
            (n) => {
              if (n.startsWith('tag') && (n.startsWith('tag:') || n === 'tag-key' || n === 'tag-value'))
                return n === 'tag-key'
                  ? Object.keys(s.tags)
                  : n === 'tag-value'
                    ? Object.values(s.tags)
                    : s.tags[n.slice(4)] !== undefined
                      ? [s.tags[n.slice(4)] ?? '']
                      : [];
              return {
                'snapshot-id': [s.snapshotId],
                'volume-id': [s.volumeId],
                status: [s.state],
                'owner-id': [this.sim.accountId],
                description: [s.description],
                'volume-size': [String(s.volumeSize)],
                encrypted: [String(s.encrypted)],
              }[n];
            },
            ec2UnknownFilter,
          ),
      );
      const { page, next } = paginate(
        list,
        r.str('NextToken'),
        r.int('MaxResults', { min: 5, max: 1000 }) ?? 1000,
        'snaps',
        ec2BadToken,
      );
      return compact({ snapshotSet: page.map((s) => this.snapshotWire(s)), nextToken: next });
    },

    DeleteSnapshot: (input) => {
      const r = ec2Reader(input);
      const s = this.snapshot(r.reqStr('SnapshotId'));
      this.sim.state.snapshots.delete(s.snapshotId);
      this.sim.log('ebs.snapshot.state', {
        snapshotId: s.snapshotId,
        volumeId: s.volumeId,
        from: s.state,
        to: 'deleted',
      });
      return { return: true };
    },
  };

  private volumeFilter(v: Volume, n: string): string[] | undefined {
    if (n.startsWith('tag:')) {
      const t = v.tags[n.slice(4)];
      return t === undefined ? [] : [t];
    }
    const att = v.attachments;
    switch (n) {
      case 'tag-key':
        return Object.keys(v.tags);
      case 'tag-value':
        return Object.values(v.tags);
      case 'volume-id':
        return [v.volumeId];
      case 'availability-zone':
        return [v.az];
      case 'availability-zone-id':
        return [this.sim.state.azs.get(v.az)?.zoneId ?? ''];
      case 'status':
        return [v.state];
      case 'volume-type':
        return [v.volumeType];
      case 'size':
        return [String(v.size)];
      case 'snapshot-id':
        return [v.snapshotId ?? ''];
      case 'encrypted':
        return [String(v.encrypted)];
      case 'multi-attach-enabled':
        return [String(v.multiAttachEnabled)];
      case 'create-time':
        return [new Date(v.createTime).toISOString()];
      case 'attachment.instance-id':
        return att.map((a) => a.instanceId);
      case 'attachment.device':
        return att.map((a) => a.device);
      case 'attachment.status':
        return att.map((a) => a.state);
      case 'attachment.delete-on-termination':
        return att.map((a) => String(a.deleteOnTermination));
      case 'attachment.attach-time':
        return att.map((a) => new Date(a.attachTime).toISOString());
      default:
        return undefined;
    }
  }

  private createVolume(r: Reader): Wire {
    const token = r.str('ClientToken');
    if (token !== undefined) {
      const existing = [...this.sim.state.volumes.values()].find((v) => v.clientToken === token);
      if (existing) return this.volumeWire(existing);
    }
    let az = r.str('AvailabilityZone');
    const azId = r.str('AvailabilityZoneId');
    if (az !== undefined && azId !== undefined)
      throw new AwsError(
        'InvalidParameterCombination',
        'Only one of AvailabilityZone or AvailabilityZoneId can be specified.',
      );
    if (azId !== undefined) {
      az = [...this.sim.state.azs.values()].find((z) => z.zoneId === azId)?.name;
      if (!az) throw ec2Invalid(`Invalid availability zone ID: [${azId}]`);
    }
    if (az === undefined)
      throw new AwsError('MissingParameter', 'The request must contain the parameter AvailabilityZone');
    if (!this.sim.state.azs.has(az)) throw ec2Invalid(`Invalid availability zone: [${az}]`);
    const snapshotId = r.str('SnapshotId');
    const snap = snapshotId !== undefined ? this.snapshot(snapshotId) : undefined;
    if (snap && snap.state !== 'completed')
      throw new AwsError('IncorrectState', `Snapshot is in invalid state - ${snap.state}`);
    const sizeIn = r.int('Size');
    if (sizeIn === undefined && !snap)
      throw new AwsError('MissingParameter', 'The request must contain the parameter size or snapshotId');
    const size = sizeIn ?? snap?.volumeSize ?? 0;
    if (snap && size < snap.volumeSize)
      throw ec2Invalid(
        `The volume size is invalid for the given snapshot. Volume size must be at least ${snap.volumeSize} GiB.`,
      );
    const iops = r.int('Iops');
    const throughput = r.int('Throughput');
    const cfg = validateVolumeConfig(
      {
        volumeType: r.str('VolumeType') ?? 'gp2',
        size,
        ...(iops !== undefined ? { iops } : {}),
        ...(throughput !== undefined ? { throughput } : {}),
      },
      { iops: iops !== undefined, throughput: throughput !== undefined },
    );
    const encrypted = (r.bool('Encrypted') ?? false) || (snap?.encrypted ?? false);
    const kmsKeyId = r.str('KmsKeyId') ?? snap?.kmsKeyId;
    if (r.str('KmsKeyId') !== undefined && !encrypted)
      throw new AwsError(
        'InvalidParameterDependency',
        'The parameter KmsKeyId requires the parameter Encrypted to be set.',
      );
    const multi = r.bool('MultiAttachEnabled') ?? false;
    if (multi && cfg.volumeType !== 'io1' && cfg.volumeType !== 'io2')
      throw new AwsError(
        'InvalidParameterCombination',
        'Multi-Attach is supported only for io1 and io2 volumes.',
      );
    const v = this.newVolume({
      az,
      size: cfg.size,
      volumeType: cfg.volumeType,
      encrypted,
      tags: readTagSpecs(r, 'volume'),
      multiAttachEnabled: multi,
      ...(cfg.iops !== undefined ? { iops: cfg.iops } : {}),
      ...(cfg.throughput !== undefined ? { throughput: cfg.throughput } : {}),
      ...(encrypted
        ? { kmsKeyId: kmsKeyId ?? `arn:aws:kms:${this.sim.region}:${this.sim.accountId}:alias/aws/ebs` }
        : {}),
      ...(snap ? { snapshotId: snap.snapshotId, data: snap.data } : {}),
      ...(token !== undefined ? { clientToken: token } : {}),
    });
    this.sim.log('ebs.volume.state', {
      volumeId: v.volumeId,
      from: null,
      to: 'creating',
      az,
      size: v.size,
      snapshotId: v.snapshotId ?? null,
      tags: { ...v.tags },
    });
    this.sim.schedule('ebs.created', { volumeId: v.volumeId }, this.sim.params.volumeCreateMs);
    return this.volumeWire(v);
  }

  private modifyVolume(r: Reader): Wire {
    const v = this.volume(r.reqStr('VolumeId'));
    if (v.state !== 'available' && v.state !== 'in-use')
      throw new AwsError('IncorrectState', `The volume '${v.volumeId}' is in the '${v.state}' state.`);
    const last = v.modifications[v.modifications.length - 1];
    if (last && (last.modificationState === 'modifying' || last.modificationState === 'optimizing'))
      throw new AwsError(
        'IncorrectModificationState',
        `Cannot modify volume ${v.volumeId}: a modification is in progress.`,
      );
    if (
      v.lastModifiedAt !== undefined &&
      this.sim.now() - v.lastModifiedAt < this.sim.params.volumeModificationCooldownMs
    )
      throw new AwsError(
        'VolumeModificationRateExceeded',
        "You've reached the maximum modification rate per volume limit. Wait at least 6 hours between modifications per EBS volume.",
      );
    const size = r.int('Size');
    const type = r.str('VolumeType');
    const iops = r.int('Iops');
    const throughput = r.int('Throughput');
    if (size === undefined && type === undefined && iops === undefined && throughput === undefined)
      throw new AwsError(
        'MissingParameter',
        'At least one of size, volumeType, iops or throughput must be specified.',
      );
    if (size !== undefined && size < v.size)
      throw ec2Invalid(`New size cannot be smaller than existing size`);
    const targetType = type ?? v.volumeType;
    const cfg = validateVolumeConfig(
      {
        volumeType: targetType,
        size: size ?? v.size,
        ...((iops ?? (targetType === v.volumeType && targetType !== 'gp2' ? v.iops : undefined)) !== undefined
          ? { iops: (iops ?? v.iops) as number }
          : {}),
        ...((throughput ?? (targetType === 'gp3' ? v.throughput : undefined)) !== undefined
          ? { throughput: (throughput ?? v.throughput) as number }
          : {}),
      },
      { iops: iops !== undefined, throughput: throughput !== undefined },
    );
    if (
      cfg.size === v.size &&
      cfg.volumeType === v.volumeType &&
      cfg.iops === v.iops &&
      cfg.throughput === v.throughput
    )
      throw new AwsError(
        'InvalidParameterCombination',
        'New size, IOPS, throughput or volume type must differ from the current values.',
      );
    const m = compact({
      modificationState: 'modifying' as const,
      targetSize: cfg.size,
      targetIops: cfg.iops,
      targetThroughput: cfg.throughput,
      targetVolumeType: cfg.volumeType,
      originalSize: v.size,
      originalIops: v.iops,
      originalThroughput: v.throughput,
      originalVolumeType: v.volumeType,
      progress: 0,
      startTime: this.sim.now(),
    }) as Volume['modifications'][number];
    v.modifications.push(m);
    v.lastModifiedAt = this.sim.now();
    this.sim.log('ebs.volume.modification', {
      volumeId: v.volumeId,
      state: 'modifying',
      targetSize: cfg.size,
    });
    this.sim.schedule('ebs.modify.optimizing', { volumeId: v.volumeId }, this.sim.params.volumeModifyMs / 2);
    return { volumeModification: this.modificationWire(v, m) };
  }

  /** Injected fault: the next `count` attaches of a volume fail (or stay attaching). */
  failAttach(volumeId: string, count: number, mode: 'fail' | 'stuck'): void {
    this.volume(volumeId);
    this.sim.state.attachFaults.set(volumeId, { volumeId, remaining: count, mode });
    this.sim.log('ebs.fault.armed', { volumeId, count, mode });
  }
}
