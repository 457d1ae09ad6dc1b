/**
 * The S3 simulation's data model: buckets (with versioning state) holding, per key, a stack of object
 * versions and delete markers (newest last). Shared by the object operations (s3.ts) and the list
 * operations (s3-list.ts); also snapshot/restore (bodies as base64).
 */
import type { AwsError } from '../contract.js';
import { DetailedAwsError } from '../protocols/types.js';

export interface ObjectVersion {
  /** 'null' for objects written while versioning was never enabled or is suspended. */
  versionId: string;
  deleteMarker: boolean;
  body: Buffer;
  /** Quoted MD5 hex, as S3 returns it. */
  etag: string;
  lastModified: number;
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
  storageClass: string;
  metadata: Record<string, string>;
}

export type VersioningStatus = 'Unversioned' | 'Enabled' | 'Suspended';

export interface Bucket {
  name: string;
  created: number;
  region: string;
  versioning: VersioningStatus;
  objects: Map<string, ObjectVersion[]>;
}

export class S3Store {
  buckets = new Map<string, Bucket>();

  bucket(name: unknown): Bucket {
    const b = typeof name === 'string' ? this.buckets.get(name) : undefined;
    if (!b) {
      throw new DetailedAwsError('NoSuchBucket', 'The specified bucket does not exist', {
        status: 404,
        details: { BucketName: String(name) },
      });
    }
    return b;
  }

  /** The newest version of `key`, or undefined; may be a delete marker. */
  latest(b: Bucket, key: string): ObjectVersion | undefined {
    const versions = b.objects.get(key);
    return versions?.[versions.length - 1];
  }

  /** The current object (latest version unless it is a delete marker). */
  current(b: Bucket, key: string): ObjectVersion | undefined {
    const v = this.latest(b, key);
    return v && !v.deleteMarker ? v : undefined;
  }

  /** Keys whose latest version is a live object, sorted in UTF-8 binary order. */
  liveKeys(b: Bucket): string[] {
    const keys: string[] = [];
    for (const [k, versions] of b.objects) {
      const last = versions[versions.length - 1];
      if (last && !last.deleteMarker) keys.push(k);
    }
    return keys.sort(compareKeys);
  }

  /** Adds a version. Unversioned and suspended buckets replace the 'null' version. */
  put(b: Bucket, key: string, v: ObjectVersion): void {
    const versions = b.objects.get(key) ?? [];
    const kept = v.versionId === 'null' ? versions.filter((x) => x.versionId !== 'null') : versions;
    kept.push(v);
    b.objects.set(key, kept);
  }

  removeVersion(b: Bucket, key: string, versionId: string): ObjectVersion | undefined {
    const versions = b.objects.get(key);
    if (!versions) return undefined;
    const i = versions.findIndex((x) => x.versionId === versionId);
    if (i < 0) return undefined;
    const [removed] = versions.splice(i, 1);
    if (versions.length === 0) b.objects.delete(key);
    return removed;
  }

  snapshot(): unknown {
    return {
      buckets: [...this.buckets.values()].map((b) => ({
        name: b.name,
        created: b.created,
        region: b.region,
        versioning: b.versioning,
        objects: [...b.objects.entries()].map(([key, versions]) => ({
          key,
          versions: versions.map((v) => ({ ...v, body: v.body.toString('base64') })),
        })),
      })),
    };
  }

  restore(state: unknown): void {
    const s = state as {
      buckets?: (Omit<Bucket, 'objects'> & {
        objects: { key: string; versions: (Omit<ObjectVersion, 'body'> & { body: string })[] }[];
      })[];
    };
    this.buckets = new Map();
    for (const b of s.buckets ?? []) {
      const objects = new Map<string, ObjectVersion[]>();
      for (const o of b.objects)
        objects.set(
          o.key,
          o.versions.map((v) => ({ ...v, body: Buffer.from(v.body, 'base64') })),
        );
      this.buckets.set(b.name, {
        name: b.name,
        created: b.created,
        region: b.region,
        versioning: b.versioning,
        objects,
      });
    }
  }
}

/** S3 lists keys in UTF-8 binary order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function noSuchKey(key: string, headers: Record<string, string> = {}): AwsError {
  return new DetailedAwsError('NoSuchKey', 'The specified key does not exist.', {
    status: 404,
    details: { Key: key },
    headers,
  });
}

export function invalidArgument(message: string, name?: string, value?: string): AwsError {
  const details: Record<string, string> = {};
  if (name !== undefined) details['ArgumentName'] = name;
  if (value !== undefined) details['ArgumentValue'] = value;
  return new DetailedAwsError('InvalidArgument', message, { status: 400, details });
}
