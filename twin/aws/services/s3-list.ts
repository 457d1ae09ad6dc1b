/**
 * S3 listing: ListObjectsV2 (Prefix, Delimiter/CommonPrefixes, MaxKeys, ContinuationToken,
 * StartAfter, EncodingType=url), ListObjects (v1, Marker/NextMarker) and ListObjectVersions
 * (KeyMarker/VersionIdMarker, versions newest first, delete markers). Keys and common prefixes both
 * count against MaxKeys, as in S3.
 */
import type { Wire } from '../contract.js';
import { type Bucket, type ObjectVersion, type S3Store, compareKeys, invalidArgument } from './s3-store.js';
import { decodeToken, encodeToken } from './tokens.js';

const OWNER = { ID: '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a', DisplayName: 'twin' };

function maxKeys(v: unknown): number {
  if (v === undefined) return 1000;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n))
    throw invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', show(v));
  return Math.min(n, 1000);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
}

interface Entry {
  kind: 'key' | 'prefix';
  value: string;
}

/** Walks live keys after `after` (a key, or a common prefix to skip wholly), grouping by delimiter. */
function walk(
  keys: string[],
  prefix: string,
  delimiter: string | undefined,
  after: string | undefined,
  limit: number,
): { entries: Entry[]; truncated: boolean } {
  const entries: Entry[] = [];
  let lastPrefix: string | undefined;
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    if (after !== undefined) {
      if (compareKeys(key, after) <= 0) continue;
      if (delimiter && after.endsWith(delimiter) && key.startsWith(after)) continue;
    }
    let entry: Entry = { kind: 'key', value: key };
    if (delimiter) {
      const i = key.indexOf(delimiter, prefix.length);
      if (i >= 0) {
        const cp = key.slice(0, i + delimiter.length);
        if (cp === lastPrefix) continue;
        lastPrefix = cp;
        entry = { kind: 'prefix', value: cp };
      }
    }
    if (entries.length >= limit) return { entries, truncated: true };
    entries.push(entry);
  }
  return { entries, truncated: false };
}

function urlEncode(s: string, on: boolean): string {
  return on ? encodeURIComponent(s).replace(/%2F/g, '/') : s;
}

function contents(v: ObjectVersion, key: string, enc: boolean, owner: boolean): Wire {
  return {
    Key: urlEncode(key, enc),
    LastModified: new Date(v.lastModified),
    ETag: v.etag,
    Size: v.body.length,
    StorageClass: v.storageClass,
    ...(owner ? { Owner: OWNER } : {}),
  };
}

export function listObjectsV2(store: S3Store, input: Wire): Wire {
  const b = store.bucket(input['Bucket']);
  const prefix = str(input['Prefix']) ?? '';
  const delimiter = str(input['Delimiter']) || undefined;
  const limit = maxKeys(input['MaxKeys']);
  const enc = input['EncodingType'] === 'url';
  if (input['EncodingType'] !== undefined && !enc)
    throw invalidArgument(
      'Invalid Encoding Method specified in Request',
      'encoding-type',
      show(input['EncodingType']),
    );
  const token = str(input['ContinuationToken']);
  let after = str(input['StartAfter']);
  if (token !== undefined) {
    const t = decodeToken(token, 'InvalidArgument', 'The continuation token provided is incorrect');
    if (typeof t['a'] !== 'string')
      throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
    after = t['a'];
  }
  const { entries, truncated } = walk(store.liveKeys(b), prefix, delimiter, after, limit);
  const last = entries[entries.length - 1];
  return {
    Name: b.name,
    Prefix: urlEncode(prefix, enc),
    Delimiter: delimiter !== undefined ? urlEncode(delimiter, enc) : undefined,
    MaxKeys: limit,
    KeyCount: entries.length,
    IsTruncated: truncated,
    EncodingType: enc ? 'url' : undefined,
    ContinuationToken: token,
    NextContinuationToken: truncated && last ? encodeToken({ a: last.value }) : undefined,
    StartAfter: input['StartAfter'] !== undefined ? urlEncode(show(input['StartAfter']), enc) : undefined,
    Contents: entries
      .filter((e) => e.kind === 'key')
      .map((e) =>
        contents(store.current(b, e.value) as ObjectVersion, e.value, enc, input['FetchOwner'] === 'true'),
      ),
    CommonPrefixes: entries
      .filter((e) => e.kind === 'prefix')
      .map((e) => ({ Prefix: urlEncode(e.value, enc) })),
  };
}

export function listObjects(store: S3Store, input: Wire): Wire {
  const b = store.bucket(input['Bucket']);
  const prefix = str(input['Prefix']) ?? '';
  const delimiter = str(input['Delimiter']) || undefined;
  const limit = maxKeys(input['MaxKeys']);
  const enc = input['EncodingType'] === 'url';
  const marker = str(input['Marker']);
  const { entries, truncated } = walk(store.liveKeys(b), prefix, delimiter, marker || undefined, limit);
  const last = entries[entries.length - 1];
  return {
    Name: b.name,
    Prefix: urlEncode(prefix, enc),
    Marker: urlEncode(marker ?? '', enc),
    Delimiter: delimiter !== undefined ? urlEncode(delimiter, enc) : undefined,
    MaxKeys: limit,
    IsTruncated: truncated,
    EncodingType: enc ? 'url' : undefined,
    NextMarker: truncated && delimiter && last ? urlEncode(last.value, enc) : undefined,
    Contents: entries
      .filter((e) => e.kind === 'key')
      .map((e) => contents(store.current(b, e.value) as ObjectVersion, e.value, enc, true)),
    CommonPrefixes: entries
      .filter((e) => e.kind === 'prefix')
      .map((e) => ({ Prefix: urlEncode(e.value, enc) })),
  };
}

export function listObjectVersions(store: S3Store, input: Wire): Wire {
  const b = store.bucket(input['Bucket']);
  const prefix = str(input['Prefix']) ?? '';
  const limit = maxKeys(input['MaxKeys']);
  const enc = input['EncodingType'] === 'url';
  const keyMarker = str(input['KeyMarker']) ?? '';
  const versionMarker = str(input['VersionIdMarker']) ?? '';
  const all: { key: string; v: ObjectVersion; latest: boolean }[] = [];
  for (const key of [...b.objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys)) {
    const versions = b.objects.get(key) ?? [];
    versions
      .slice()
      .reverse()
      .forEach((v, i) => all.push({ key, v, latest: i === 0 }));
  }
  let start = 0;
  if (keyMarker !== '') {
    const idx =
      versionMarker !== ''
        ? all.findIndex((x) => x.key === keyMarker && x.v.versionId === versionMarker)
        : -1;
    start = idx >= 0 ? idx + 1 : all.findIndex((x) => compareKeys(x.key, keyMarker) > 0);
    if (start < 0) start = all.length;
  }
  const slice = all.slice(start, start + limit);
  const truncated = start + limit < all.length;
  const last = slice[slice.length - 1];
  const entry = (x: { key: string; v: ObjectVersion; latest: boolean }): Wire => ({
    Key: urlEncode(x.key, enc),
    VersionId: x.v.versionId,
    IsLatest: x.latest,
    LastModified: new Date(x.v.lastModified),
    ...(x.v.deleteMarker ? {} : { ETag: x.v.etag, Size: x.v.body.length, StorageClass: x.v.storageClass }),
    Owner: OWNER,
  });
  return {
    Name: b.name,
    Prefix: urlEncode(prefix, enc),
    KeyMarker: urlEncode(keyMarker, enc),
    VersionIdMarker: versionMarker,
    MaxKeys: limit,
    IsTruncated: truncated,
    EncodingType: enc ? 'url' : undefined,
    NextKeyMarker: truncated && last ? urlEncode(last.key, enc) : undefined,
    NextVersionIdMarker: truncated && last ? last.v.versionId : undefined,
    Version: slice.filter((x) => !x.v.deleteMarker).map(entry),
    DeleteMarker: slice.filter((x) => x.v.deleteMarker).map(entry),
  };
}

export function listBuckets(store: S3Store, input: Wire): Wire {
  const prefix = str(input['Prefix']) ?? '';
  const max = input['MaxBuckets'] !== undefined ? Number(input['MaxBuckets']) : 10_000;
  if (!Number.isInteger(max) || max < 1 || max > 10_000)
    throw invalidArgument(
      'max-buckets must be between 1 and 10000',
      'max-buckets',
      show(input['MaxBuckets']),
    );
  const token = str(input['ContinuationToken']);
  let after = '';
  if (token !== undefined) {
    const t = decodeToken(token, 'InvalidArgument', 'The continuation token provided is incorrect');
    after = typeof t['a'] === 'string' ? t['a'] : '';
  }
  const all: Bucket[] = [...store.buckets.values()]
    .filter((b) => b.name.startsWith(prefix) && b.name > after)
    .sort((a, b) => compareKeys(a.name, b.name));
  const slice = all.slice(0, max);
  const truncated = all.length > max;
  return {
    Buckets: {
      Bucket: slice.map((b) => ({ Name: b.name, CreationDate: new Date(b.created), BucketRegion: b.region })),
    },
    Owner: OWNER,
    ContinuationToken: truncated ? encodeToken({ a: slice[slice.length - 1]?.name ?? '' }) : undefined,
    Prefix: input['Prefix'],
  };
}
