/**
 * Secrets Manager (awsJson1_1): CreateSecret, GetSecretValue (by name, full or partial ARN; by
 * VersionId or VersionStage), PutSecretValue (with AWSCURRENT/AWSPREVIOUS staging and idempotent
 * ClientRequestToken), DescribeSecret, ListSecrets (Filters, NextToken/MaxResults), DeleteSecret
 * (recovery window or forced) and RestoreSecret. ARNs carry the real random 6-character suffix.
 * `resolveSecret` gives the ECS simulation the value behind a container secret's `valueFrom`,
 * including the `:json-key:version-stage:version-id` suffix form.
 */
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import { AwsError, type OperationContext, type ServiceModule, type Wire } from '../contract.js';
import { alnum, uuid } from '../protocols/ids.js';
import { decodeToken, encodeToken, page } from './tokens.js';
import { type ValidationStyle, parseInput } from './validation.js';

const STYLE: ValidationStyle = { kind: 'coral', code: 'ValidationException' };
const DAY = 86_400_000;

interface SecretVersion {
  versionId: string;
  string?: string;
  /** base64 */
  binary?: string;
  stages: string[];
  created: number;
}

interface Secret {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  created: number;
  lastChanged: number;
  lastAccessed?: number;
  deletionDate?: number;
  versions: SecretVersion[];
}

export interface SecretsManagerModule extends ServiceModule {
  /** The value a container secret's `valueFrom` names (ARN, optionally with `:json-key:stage:version`, or a name). */
  resolveSecret(ref: string): string | undefined;
}

const nameRe = /^[A-Za-z0-9/_+=.@!-]+$/;
const tag = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) });
const token = z.string().min(32).max(64);
const secretId = z.string().min(1).max(2048);

const createSchema = z.object({
  Name: z.string().min(1).max(512),
  ClientRequestToken: token.optional(),
  Description: z.string().max(2048).optional(),
  KmsKeyId: z.string().max(2048).optional(),
  SecretBinary: z.string().optional(),
  SecretString: z.string().max(65536).optional(),
  Tags: z.array(tag).max(50).optional(),
});
const getSchema = z.object({
  SecretId: secretId,
  VersionId: token.optional(),
  VersionStage: z.string().min(1).max(256).optional(),
});
const putSchema = z.object({
  SecretId: secretId,
  ClientRequestToken: token.optional(),
  SecretBinary: z.string().optional(),
  SecretString: z.string().max(65536).optional(),
  VersionStages: z.array(z.string().min(1).max(256)).min(1).max(20).optional(),
});
const describeSchema = z.object({ SecretId: secretId });
const listSchema = z.object({
  MaxResults: z.number().int().min(1).max(100).optional(),
  NextToken: z.string().min(1).optional(),
  IncludePlannedDeletion: z.boolean().optional(),
  SortOrder: z.enum(['asc', 'desc']).optional(),
  Filters: z
    .array(
      z.object({
        Key: z.enum([
          'description',
          'name',
          'tag-key',
          'tag-value',
          'primary-region',
          'owning-service',
          'all',
        ]),
        Values: z.array(z.string().min(1).max(512)).min(1).max(10),
      }),
    )
    .max(10)
    .optional(),
});
const deleteSchema = z.object({
  SecretId: secretId,
  RecoveryWindowInDays: z.number().int().optional(),
  ForceDeleteWithoutRecovery: z.boolean().optional(),
});

function notFound(): AwsError {
  return new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
}

function decodeBinary(b64: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64))
    throw new AwsError('SerializationException', 'SecretBinary is not valid base64.');
  if (Buffer.from(b64, 'base64').length > 65536)
    throw new AwsError(
      'ValidationException',
      "1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to 65536",
    );
  return b64;
}

export function createSecretsManager(deps: {
  rng: Rng;
  clock: Clock;
  region: string;
  accountId: string;
}): SecretsManagerModule {
  let secrets = new Map<string, Secret>();

  /** Drops secrets whose scheduled deletion date passed. */
  function purge(now: number): void {
    for (const [name, s] of secrets)
      if (s.deletionDate !== undefined && s.deletionDate <= now) secrets.delete(name);
  }

  function find(id: string, now: number): Secret | undefined {
    purge(now);
    const byName = secrets.get(id);
    if (byName) return byName;
    if (!id.startsWith('arn:')) return undefined;
    for (const s of secrets.values()) {
      if (s.arn === id) return s;
      // A partial ARN omits the 6-character suffix.
      if (`${s.arn.slice(0, s.arn.length - 7)}` === id) return s;
    }
    return undefined;
  }

  function mustFind(id: string, now: number): Secret {
    const s = find(id, now);
    if (!s) throw notFound();
    return s;
  }

  function live(s: Secret): Secret {
    if (s.deletionDate !== undefined) {
      throw new AwsError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    }
    return s;
  }

  function pickVersion(s: Secret, versionId: string | undefined, stage: string | undefined): SecretVersion {
    if (versionId !== undefined) {
      const v = s.versions.find((x) => x.versionId === versionId);
      if (!v || (stage !== undefined && !v.stages.includes(stage))) {
        throw new AwsError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
        );
      }
      return v;
    }
    const label = stage ?? 'AWSCURRENT';
    const v = s.versions.find((x) => x.stages.includes(label));
    if (!v)
      throw new AwsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${label}`,
      );
    return v;
  }

  /** Adds a version carrying `stages`, moving them off older versions; AWSCURRENT's old holder becomes AWSPREVIOUS. */
  function addVersion(s: Secret, v: SecretVersion): void {
    if (v.stages.includes('AWSCURRENT')) {
      const current = s.versions.find((x) => x.stages.includes('AWSCURRENT'));
      for (const x of s.versions) x.stages = x.stages.filter((st) => st !== 'AWSPREVIOUS');
      if (current) current.stages = [...current.stages.filter((st) => st !== 'AWSCURRENT'), 'AWSPREVIOUS'];
    }
    for (const x of s.versions)
      x.stages = x.stages.filter((st) => st === 'AWSPREVIOUS' || !v.stages.includes(st));
    s.versions.push(v);
  }

  function sameValue(v: SecretVersion, str: string | undefined, bin: string | undefined): boolean {
    return v.string === str && v.binary === bin;
  }

  function versionsToStages(s: Secret): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const v of s.versions) if (v.stages.length > 0) out[v.versionId] = [...v.stages];
    return out;
  }

  function describe(s: Secret): Wire {
    return {
      ARN: s.arn,
      Name: s.name,
      Description: s.description,
      KmsKeyId: s.kmsKeyId,
      RotationEnabled: false,
      LastChangedDate: new Date(s.lastChanged),
      LastAccessedDate: s.lastAccessed !== undefined ? new Date(s.lastAccessed) : undefined,
      DeletedDate: s.deletionDate !== undefined ? new Date(s.deletionDate) : undefined,
      Tags: s.tags.map((t) => ({ ...t })),
      VersionIdsToStages: versionsToStages(s),
      SecretVersionsToStages: versionsToStages(s),
      CreatedDate: new Date(s.created),
    };
  }

  const operations = {
    CreateSecret(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(createSchema, input, STYLE);
      if (!nameRe.test(p.Name)) {
        throw new AwsError(
          'InvalidParameterException',
          'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        );
      }
      if (p.SecretString !== undefined && p.SecretBinary !== undefined) {
        throw new AwsError(
          'InvalidParameterException',
          "You can't specify both a binary secret value and a string secret value in the same secret.",
        );
      }
      const binary = p.SecretBinary !== undefined ? decodeBinary(p.SecretBinary) : undefined;
      const existing = find(p.Name, ctx.now);
      if (existing) {
        if (existing.deletionDate !== undefined) {
          throw new AwsError(
            'InvalidRequestException',
            "You can't create this secret because a secret with this name is already scheduled for deletion.",
          );
        }
        const v =
          p.ClientRequestToken !== undefined
            ? existing.versions.find((x) => x.versionId === p.ClientRequestToken)
            : undefined;
        if (v && sameValue(v, p.SecretString, binary))
          return { ARN: existing.arn, Name: existing.name, VersionId: v.versionId };
        throw new AwsError(
          'ResourceExistsException',
          `The operation failed because the secret ${p.Name} already exists.`,
        );
      }
      const s: Secret = {
        arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${p.Name}-${alnum(deps.rng, 6)}`,
        name: p.Name,
        tags: p.Tags ?? [],
        created: ctx.now,
        lastChanged: ctx.now,
        versions: [],
        ...(p.Description !== undefined ? { description: p.Description } : {}),
        ...(p.KmsKeyId !== undefined ? { kmsKeyId: p.KmsKeyId } : {}),
      };
      secrets.set(s.name, s);
      if (p.SecretString === undefined && binary === undefined) return { ARN: s.arn, Name: s.name };
      const versionId = p.ClientRequestToken ?? uuid(deps.rng);
      addVersion(s, {
        versionId,
        stages: ['AWSCURRENT'],
        created: ctx.now,
        ...(p.SecretString !== undefined ? { string: p.SecretString } : {}),
        ...(binary !== undefined ? { binary } : {}),
      });
      return { ARN: s.arn, Name: s.name, VersionId: versionId };
    },

    GetSecretValue(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(getSchema, input, STYLE);
      const s = live(mustFind(p.SecretId, ctx.now));
      const v = pickVersion(s, p.VersionId, p.VersionStage);
      s.lastAccessed = Math.floor(ctx.now / DAY) * DAY;
      return {
        ARN: s.arn,
        Name: s.name,
        VersionId: v.versionId,
        SecretString: v.string,
        SecretBinary: v.binary !== undefined ? Buffer.from(v.binary, 'base64') : undefined,
        VersionStages: [...v.stages],
        CreatedDate: new Date(v.created),
      };
    },

    PutSecretValue(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(putSchema, input, STYLE);
      if (p.SecretString !== undefined && p.SecretBinary !== undefined) {
        throw new AwsError(
          'InvalidParameterException',
          "You can't specify both a binary secret value and a string secret value in the same secret.",
        );
      }
      if (p.SecretString === undefined && p.SecretBinary === undefined) {
        throw new AwsError(
          'InvalidParameterException',
          'You must provide either SecretString or SecretBinary.',
        );
      }
      const binary = p.SecretBinary !== undefined ? decodeBinary(p.SecretBinary) : undefined;
      const s = live(mustFind(p.SecretId, ctx.now));
      const versionId = p.ClientRequestToken ?? uuid(deps.rng);
      const existing = s.versions.find((x) => x.versionId === versionId);
      if (existing) {
        if (sameValue(existing, p.SecretString, binary))
          return { ARN: s.arn, Name: s.name, VersionId: versionId, VersionStages: [...existing.stages] };
        throw new AwsError(
          'ResourceExistsException',
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      const stages = p.VersionStages ?? ['AWSCURRENT'];
      addVersion(s, {
        versionId,
        stages: [...stages],
        created: ctx.now,
        ...(p.SecretString !== undefined ? { string: p.SecretString } : {}),
        ...(binary !== undefined ? { binary } : {}),
      });
      s.lastChanged = ctx.now;
      return { ARN: s.arn, Name: s.name, VersionId: versionId, VersionStages: [...stages] };
    },

    DescribeSecret(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(describeSchema, input, STYLE);
      return describe(mustFind(p.SecretId, ctx.now));
    },

    ListSecrets(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(listSchema, input, STYLE);
      purge(ctx.now);
      let list = [...secrets.values()].filter(
        (s) => p.IncludePlannedDeletion === true || s.deletionDate === undefined,
      );
      for (const f of p.Filters ?? []) list = list.filter((s) => filterMatches(s, f.Key, f.Values));
      list.sort((a, b) => a.created - b.created || a.name.localeCompare(b.name));
      if (p.SortOrder === 'desc') list.reverse();
      const start =
        p.NextToken !== undefined
          ? Number(
              decodeToken(p.NextToken, 'InvalidNextTokenException', 'The NextToken value is invalid.')['o'],
            )
          : 0;
      if (!Number.isInteger(start) || start < 0)
        throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');
      const pg = page(list, start, p.MaxResults ?? 100);
      return {
        SecretList: pg.items.map(describe),
        NextToken: pg.next !== undefined ? encodeToken({ o: pg.next }) : undefined,
      };
    },

    DeleteSecret(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(deleteSchema, input, STYLE);
      if (p.ForceDeleteWithoutRecovery === true && p.RecoveryWindowInDays !== undefined) {
        throw new AwsError(
          'InvalidParameterException',
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      const days = p.RecoveryWindowInDays ?? 30;
      if (p.ForceDeleteWithoutRecovery !== true && (days < 7 || days > 30)) {
        throw new AwsError(
          'InvalidParameterException',
          'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
        );
      }
      const s = mustFind(p.SecretId, ctx.now);
      if (p.ForceDeleteWithoutRecovery === true) {
        secrets.delete(s.name);
        return { ARN: s.arn, Name: s.name, DeletionDate: new Date(ctx.now) };
      }
      if (s.deletionDate === undefined) s.deletionDate = ctx.now + days * DAY;
      return { ARN: s.arn, Name: s.name, DeletionDate: new Date(s.deletionDate) };
    },

    RestoreSecret(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(describeSchema, input, STYLE);
      const s = mustFind(p.SecretId, ctx.now);
      delete s.deletionDate;
      return { ARN: s.arn, Name: s.name };
    },
  };

  function filterMatches(s: Secret, key: string, values: string[]): boolean {
    const candidates = (): string[] => {
      switch (key) {
        case 'name':
          return [s.name];
        case 'description':
          return [s.description ?? ''];
        case 'tag-key':
          return s.tags.map((t) => t.Key);
        case 'tag-value':
          return s.tags.map((t) => t.Value);
        case 'primary-region':
          return [deps.region];
        case 'owning-service':
          return [];
        default:
          return [s.name, s.description ?? '', ...s.tags.flatMap((t) => [t.Key, t.Value])];
      }
    };
    const c = candidates();
    return values.some((v) => {
      const negate = v.startsWith('!');
      const prefix = negate ? v.slice(1) : v;
      const hit = c.some((x) => x.toLowerCase().startsWith(prefix.toLowerCase()));
      return negate ? !hit : hit;
    });
  }

  return {
    service: 'secretsmanager',
    operations,
    snapshot: () => ({ secrets: [...secrets.values()].map((s) => structuredClone(s)) }),
    restore(state: unknown) {
      const list = (state as { secrets?: Secret[] } | undefined)?.secrets ?? [];
      secrets = new Map(list.map((s) => [s.name, structuredClone(s)]));
    },
    resolveSecret(ref: string): string | undefined {
      let id = ref;
      let jsonKey: string | undefined;
      let stage: string | undefined;
      let versionId: string | undefined;
      if (ref.startsWith('arn:')) {
        const parts = ref.split(':');
        id = parts.slice(0, 7).join(':');
        jsonKey = parts[7] || undefined;
        stage = parts[8] || undefined;
        versionId = parts[9] || undefined;
      }
      const s = find(id, deps.clock.now());
      if (!s || s.deletionDate !== undefined) return undefined;
      let v: SecretVersion;
      try {
        v = pickVersion(s, versionId, stage);
      } catch {
        return undefined;
      }
      const value =
        v.string ?? (v.binary !== undefined ? Buffer.from(v.binary, 'base64').toString('utf8') : undefined);
      if (value === undefined || jsonKey === undefined) return value;
      try {
        const obj = JSON.parse(value) as Record<string, unknown>;
        const x = obj[jsonKey];
        return x === undefined ? undefined : typeof x === 'string' ? x : JSON.stringify(x);
      } catch {
        return undefined;
      }
    },
  };
}
