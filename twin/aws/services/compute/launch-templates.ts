/**
 * EC2 launch templates with versions: create, add versions (from a source version), set the default,
 * describe (templates and versions, `$Latest`/`$Default`), delete; and the launch spec an instance
 * gets from a template version (image, type, user data, instance tags, market, root volume).
 */
import { AwsError, type OperationHandler, type Wire } from '../../contract.js';
import { ec2BadToken, ec2Invalid, ec2Reader, ec2UnknownFilter } from './errors.js';
import { instanceSize } from './instance-types.js';
import type { Sim } from './sim.js';
import type { LaunchTemplate, LaunchTemplateData } from './state.js';
import {
  compact,
  isBase64,
  ec2TagSet,
  matchesFilters,
  paginate,
  readFilters,
  readTagSpecs,
  tagFilterValues,
  type Reader,
  type Tags,
} from './util.js';

export class LaunchTemplates {
  constructor(private readonly sim: Sim) {}

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

  readonly operations: Record<string, OperationHandler> = {
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
  };
}
