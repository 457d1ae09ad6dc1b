/**
 * S3 (path-style REST): buckets (CreateBucket, HeadBucket, ListBuckets, DeleteBucket, Get/PutBucketVersioning,
 * GetBucketLocation) and objects (PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects,
 * CopyObject; listing in s3-list.ts). ETags are quoted MD5s. GET honours If-Match / If-None-Match /
 * If-Modified-Since / If-Unmodified-Since (304 with an empty body, 412) and single byte ranges.
 * Conditional PUT (If-None-Match: *, If-Match: etag) answers 412 on mismatch and is atomic: each
 * handler runs synchronously from check to write, so no other request interleaves. Content-MD5 and
 * the SDK's flexible checksums (CRC32, SHA1, SHA256) are verified; no checksum header is returned.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Clock } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import { AwsError, type OperationContext, type ServiceModule, type Wire } from '../contract.js';
import { alnum } from '../protocols/ids.js';
import { DetailedAwsError } from '../protocols/types.js';
import { listBuckets, listObjectVersions, listObjects, listObjectsV2 } from './s3-list.js';
import { type Bucket, type ObjectVersion, S3Store, invalidArgument, noSuchKey } from './s3-store.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function validBucketName(name: string): boolean {
  return (
    BUCKET_NAME.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.endsWith('-s3alias')
  );
}

/** Strips quotes and a weak prefix from an ETag in a header. */
function bareEtag(s: string): string {
  return s
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
}

function etagMatches(header: string, etag: string): boolean {
  const mine = bareEtag(etag);
  return header.split(',').some((h) => h.trim() === '*' || bareEtag(h) === mine);
}

function preconditionFailed(condition: string): AwsError {
  return new DetailedAwsError(
    'PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold',
    {
      status: 412,
      details: { Condition: condition },
    },
  );
}

function badDigest(what: string): AwsError {
  return new AwsError('BadDigest', `The ${what} you specified did not match the calculated checksum.`);
}

function verifyIntegrity(input: Wire, body: Buffer): void {
  const md5 = str(input['ContentMD5']);
  if (md5 !== undefined) {
    const given = Buffer.from(md5, 'base64');
    if (given.length !== 16)
      throw new AwsError('InvalidDigest', 'The Content-MD5 you specified is not valid.');
    if (!given.equals(createHash('md5').update(body).digest())) {
      throw new AwsError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
  }
  const crc = str(input['ChecksumCRC32']);
  if (crc !== undefined) {
    const want = Buffer.alloc(4);
    want.writeUInt32BE(crc32(body) >>> 0);
    if (want.toString('base64') !== crc) throw badDigest('CRC32');
  }
  const sha1 = str(input['ChecksumSHA1']);
  if (sha1 !== undefined && createHash('sha1').update(body).digest('base64') !== sha1)
    throw badDigest('SHA1');
  const sha256 = str(input['ChecksumSHA256']);
  if (sha256 !== undefined && createHash('sha256').update(body).digest('base64') !== sha256)
    throw badDigest('SHA256');
}

function parseHttpDate(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Evaluates GET/HEAD conditional headers in S3's order; throws 412 or 304. */
function checkReadConditions(input: Wire, v: ObjectVersion): void {
  const lastModifiedSec = Math.floor(v.lastModified / 1000) * 1000;
  const notModified = () =>
    new DetailedAwsError('NotModified', 'Not Modified', {
      status: 304,
      headers: { etag: v.etag, 'last-modified': new Date(v.lastModified).toUTCString() },
    });
  const ifMatch = str(input['IfMatch']);
  const ifNoneMatch = str(input['IfNoneMatch']);
  const ifModifiedSince = parseHttpDate(input['IfModifiedSince']);
  const ifUnmodifiedSince = parseHttpDate(input['IfUnmodifiedSince']);
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, v.etag)) throw preconditionFailed('If-Match');
  } else if (ifUnmodifiedSince !== undefined && lastModifiedSec > ifUnmodifiedSince) {
    throw preconditionFailed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, v.etag)) throw notModified();
  } else if (ifModifiedSince !== undefined && lastModifiedSec <= ifModifiedSince) {
    throw notModified();
  }
}

/** Parses a single `bytes=` range against `size`; undefined means the whole object. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined; // S3 ignores ranges it does not understand (including multiple ranges)
  const [, a = '', b = ''] = m;
  let start: number;
  let end: number;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0) throw invalidRange(header, size);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return undefined;
  }
  if (start >= size) throw invalidRange(header, size);
  return { start, end };
}

function invalidRange(range: string, size: number): AwsError {
  return new DetailedAwsError('InvalidRange', 'The requested range is not satisfiable', {
    status: 416,
    details: { RangeRequested: range, ActualObjectSize: String(size) },
  });
}

export function createS3(deps: { rng: Rng; clock: Clock; region: string }): ServiceModule {
  const store = new S3Store();

  const newVersionId = (b: Bucket): string => (b.versioning === 'Enabled' ? alnum(deps.rng, 32) : 'null');

  function objectHeaders(b: Bucket, v: ObjectVersion): Wire {
    return {
      ETag: v.etag,
      LastModified: new Date(v.lastModified),
      ContentType: v.contentType ?? 'binary/octet-stream',
      CacheControl: v.cacheControl,
      ContentDisposition: v.contentDisposition,
      ContentEncoding: v.contentEncoding,
      ContentLanguage: v.contentLanguage,
      Expires: v.expires,
      Metadata: v.metadata,
      AcceptRanges: 'bytes',
      VersionId: b.versioning !== 'Unversioned' ? v.versionId : undefined,
      StorageClass: v.storageClass !== 'STANDARD' ? v.storageClass : undefined,
    };
  }

  /** The version GET/HEAD/Copy read: `VersionId` or the current one; 404/405 as S3 does for delete markers. */
  function readable(b: Bucket, key: string, versionId: string | undefined): ObjectVersion {
    if (versionId !== undefined) {
      const v = b.objects.get(key)?.find((x) => x.versionId === versionId);
      if (!v) {
        if (versionId !== 'null' && !/^[A-Za-z0-9._]{1,1024}$/.test(versionId))
          throw invalidArgument('Invalid version id specified', 'versionId', versionId);
        throw new DetailedAwsError('NoSuchVersion', 'The specified version does not exist.', {
          status: 404,
          details: { Key: key, VersionId: versionId },
        });
      }
      if (v.deleteMarker) {
        throw new DetailedAwsError(
          'MethodNotAllowed',
          'The specified method is not allowed against this resource.',
          {
            status: 405,
            headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': v.versionId },
          },
        );
      }
      return v;
    }
    const latest = store.latest(b, key);
    if (!latest) throw noSuchKey(key);
    if (latest.deleteMarker)
      throw noSuchKey(key, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': latest.versionId });
    return latest;
  }

  function keyOf(input: Wire): string {
    const key = str(input['Key']);
    if (key === undefined || key === '') throw invalidArgument('A key must be specified', 'key', '');
    if (Buffer.byteLength(key) > 1024) throw new AwsError('KeyTooLongError', 'Your key is too long');
    return key;
  }

  function getObject(input: Wire, withBody: boolean): Wire {
    const b = store.bucket(input['Bucket']);
    const key = keyOf(input);
    const v = readable(b, key, str(input['VersionId']));
    checkReadConditions(input, v);
    const range = withBody ? parseRange(str(input['Range']), v.body.length) : undefined;
    const body = range ? v.body.subarray(range.start, range.end + 1) : v.body;
    return {
      ...objectHeaders(b, v),
      ContentLength: v.body.length === 0 ? 0 : body.length,
      ...(range ? { $status: 206, ContentRange: `bytes ${range.start}-${range.end}/${v.body.length}` } : {}),
      ...(withBody ? { Body: body } : {}),
    };
  }

  function writeObject(
    b: Bucket,
    key: string,
    body: Buffer,
    input: Wire,
    now: number,
    base?: ObjectVersion,
  ): ObjectVersion {
    const v: ObjectVersion = {
      versionId: newVersionId(b),
      deleteMarker: false,
      body,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified: now,
      storageClass: str(input['StorageClass']) ?? base?.storageClass ?? 'STANDARD',
      metadata: (input['Metadata'] as Record<string, string> | undefined) ?? base?.metadata ?? {},
    };
    const fields = [
      'contentType',
      'cacheControl',
      'contentDisposition',
      'contentEncoding',
      'contentLanguage',
      'expires',
    ] as const;
    for (const f of fields) {
      const member = f.charAt(0).toUpperCase() + f.slice(1);
      const value = str(input[member]) ?? base?.[f];
      if (value !== undefined) v[f] = value;
    }
    store.put(b, key, v);
    return v;
  }

  const operations = {
    ListBuckets: (input: Wire): Wire => listBuckets(store, input),

    CreateBucket(input: Wire, ctx: OperationContext): Wire {
      const name = str(input['Bucket']) ?? '';
      if (!validBucketName(name))
        throw new DetailedAwsError('InvalidBucketName', 'The specified bucket is not valid.', {
          status: 400,
          details: { BucketName: name },
        });
      const conf = input['CreateBucketConfiguration'] as Record<string, unknown> | undefined;
      const constraint = str(conf?.['LocationConstraint']);
      if (constraint !== undefined && constraint !== '') {
        if (ctx.region === 'us-east-1' && constraint === 'us-east-1')
          throw new AwsError('InvalidLocationConstraint', 'The specified location-constraint is not valid');
        if (constraint !== ctx.region) {
          throw new AwsError(
            'IllegalLocationConstraintException',
            `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
          );
        }
      }
      if (store.buckets.has(name)) {
        // us-east-1 keeps the legacy behaviour: re-creating your own bucket succeeds.
        if (ctx.region === 'us-east-1') return { Location: `/${name}` };
        throw new DetailedAwsError(
          'BucketAlreadyOwnedByYou',
          'Your previous request to create the named bucket succeeded and you already own it.',
          {
            status: 409,
            details: { BucketName: name },
          },
        );
      }
      store.buckets.set(name, {
        name,
        created: ctx.now,
        region: ctx.region,
        versioning: 'Unversioned',
        objects: new Map(),
      });
      return { Location: `/${name}` };
    },

    HeadBucket(input: Wire): Wire {
      const b = store.bucket(input['Bucket']);
      return { BucketRegion: b.region };
    },

    DeleteBucket(input: Wire): Wire {
      const b = store.bucket(input['Bucket']);
      if (b.objects.size > 0) {
        throw new DetailedAwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', {
          status: 409,
          details: { BucketName: b.name },
        });
      }
      store.buckets.delete(b.name);
      return { $status: 204 };
    },

    GetBucketLocation(input: Wire): Wire {
      const b = store.bucket(input['Bucket']);
      return { LocationConstraint: b.region === 'us-east-1' ? '' : b.region };
    },

    PutBucketVersioning(input: Wire): Wire {
      const b = store.bucket(input['Bucket']);
      const status = (input['VersioningConfiguration'] as Record<string, unknown> | undefined)?.['Status'];
      if (status !== 'Enabled' && status !== 'Suspended') {
        throw new AwsError(
          'MalformedXML',
          'The XML you provided was not well-formed or did not validate against our published schema.',
        );
      }
      b.versioning = status;
      return {};
    },

    GetBucketVersioning(input: Wire): Wire {
      const b = store.bucket(input['Bucket']);
      return b.versioning === 'Unversioned' ? {} : { Status: b.versioning };
    },

    ListObjectsV2: (input: Wire): Wire => listObjectsV2(store, input),
    ListObjects: (input: Wire): Wire => listObjects(store, input),
    ListObjectVersions: (input: Wire): Wire => listObjectVersions(store, input),

    PutObject(input: Wire, ctx: OperationContext): Wire {
      const b = store.bucket(input['Bucket']);
      const key = keyOf(input);
      const body = Buffer.isBuffer(input['Body']) ? input['Body'] : Buffer.alloc(0);
      verifyIntegrity(input, body);
      // Check and write with no await in between: the conditional write is atomic.
      const current = store.current(b, key);
      const ifNoneMatch = str(input['IfNoneMatch']);
      const ifMatch = str(input['IfMatch']);
      if (ifNoneMatch !== undefined) {
        if (ifNoneMatch.trim() !== '*')
          throw new AwsError(
            'NotImplemented',
            'A header you provided implies functionality that is not implemented',
            { status: 501 },
          );
        if (current) throw preconditionFailed('If-None-Match');
      }
      if (ifMatch !== undefined) {
        if (!current) throw noSuchKey(key);
        if (!etagMatches(ifMatch, current.etag)) throw preconditionFailed('If-Match');
      }
      const v = writeObject(b, key, body, input, ctx.now);
      return { ETag: v.etag, VersionId: b.versioning !== 'Unversioned' ? v.versionId : undefined };
    },

    GetObject: (input: Wire): Wire => getObject(input, true),
    HeadObject: (input: Wire): Wire => getObject(input, false),

    CopyObject(input: Wire, ctx: OperationContext): Wire {
      const b = store.bucket(input['Bucket']);
      const key = keyOf(input);
      const source = str(input['CopySource']) ?? '';
      const m = /^\/?([^/]+)\/(.+?)(?:\?versionId=(.+))?$/.exec(decodeURIComponent(source));
      if (!m)
        throw invalidArgument(
          'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
          'x-amz-copy-source',
          source,
        );
      const [, srcBucket = '', srcKey = '', srcVersion] = m;
      const sb = store.bucket(srcBucket);
      const src = readable(sb, srcKey, srcVersion);
      const cim = str(input['CopySourceIfMatch']);
      if (cim !== undefined && !etagMatches(cim, src.etag))
        throw preconditionFailed('x-amz-copy-source-If-Match');
      const cinm = str(input['CopySourceIfNoneMatch']);
      if (cinm !== undefined && etagMatches(cinm, src.etag))
        throw preconditionFailed('x-amz-copy-source-If-None-Match');
      const replace = input['MetadataDirective'] === 'REPLACE';
      if (!replace && sb === b && srcKey === key && srcVersion === undefined) {
        throw new AwsError(
          'InvalidRequest',
          "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        );
      }
      const ifNoneMatch = str(input['IfNoneMatch']);
      if (ifNoneMatch !== undefined && store.current(b, key)) throw preconditionFailed('If-None-Match');
      const v = writeObject(
        b,
        key,
        Buffer.from(src.body),
        replace ? input : {},
        ctx.now,
        replace ? undefined : src,
      );
      return {
        ETag: v.etag,
        LastModified: new Date(v.lastModified),
        VersionId: b.versioning !== 'Unversioned' ? v.versionId : undefined,
        CopySourceVersionId: sb.versioning !== 'Unversioned' ? src.versionId : undefined,
      };
    },

    DeleteObject(input: Wire, ctx: OperationContext): Wire {
      const b = store.bucket(input['Bucket']);
      const key = keyOf(input);
      const ifMatch = str(input['IfMatch']);
      if (ifMatch !== undefined) {
        const current = store.current(b, key);
        if (!current) throw noSuchKey(key);
        if (!etagMatches(ifMatch, current.etag)) throw preconditionFailed('If-Match');
      }
      return { $status: 204, ...deleteOne(b, key, str(input['VersionId']), ctx.now) };
    },

    DeleteObjects(input: Wire, ctx: OperationContext): Wire {
      const b = store.bucket(input['Bucket']);
      const del = input['Delete'] as
        { Object?: { Key?: unknown; VersionId?: unknown }[]; Quiet?: unknown } | undefined;
      const objects = del?.Object ?? [];
      if (objects.length === 0 || objects.length > 1000) {
        throw new AwsError(
          'MalformedXML',
          'The XML you provided was not well-formed or did not validate against our published schema.',
        );
      }
      const quiet = del?.Quiet === 'true';
      const deleted: Wire[] = [];
      const errors: Wire[] = [];
      for (const o of objects) {
        const key = str(o.Key);
        if (key === undefined || key === '') {
          errors.push({ Key: '', Code: 'InvalidArgument', Message: 'A key must be specified' });
          continue;
        }
        const r = deleteOne(b, key, str(o.VersionId), ctx.now);
        if (!quiet) {
          deleted.push({
            Key: key,
            VersionId: str(o.VersionId),
            DeleteMarker: r.DeleteMarker,
            DeleteMarkerVersionId: o.VersionId === undefined && r.DeleteMarker ? r.VersionId : undefined,
          });
        }
      }
      return { Deleted: deleted, Error: errors };
    },
  };

  /** Deletes a version, or (no version given) the key: a delete marker when versioning is on. */
  function deleteOne(
    b: Bucket,
    key: string,
    versionId: string | undefined,
    now: number,
  ): { VersionId?: string; DeleteMarker?: boolean } {
    if (versionId !== undefined) {
      const removed = store.removeVersion(b, key, versionId);
      return { VersionId: versionId, ...(removed?.deleteMarker ? { DeleteMarker: true } : {}) };
    }
    if (b.versioning === 'Unversioned') {
      b.objects.delete(key);
      return {};
    }
    const marker: ObjectVersion = {
      versionId: newVersionId(b),
      deleteMarker: true,
      body: Buffer.alloc(0),
      etag: '',
      lastModified: now,
      storageClass: 'STANDARD',
      metadata: {},
    };
    store.put(b, key, marker);
    return { VersionId: marker.versionId, DeleteMarker: true };
  }

  return {
    service: 's3',
    operations,
    snapshot: () => store.snapshot(),
    restore: (state) => store.restore(state),
  };
}
