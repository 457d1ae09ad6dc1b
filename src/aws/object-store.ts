/**
 * The S3 adapter the runtime uses for sources, status and leases: conditional reads (If-None-Match →
 * 304, no body), conditional writes (If-None-Match: * and If-Match → 412/409), listings. Results are
 * plain unions, so callers branch on outcomes instead of catching SDK errors; other failures throw.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';

export type GetResult =
  | { status: 'ok'; body: string; etag: string; versionId?: string; metadata: Record<string, string> }
  | { status: 'not-modified' }
  | { status: 'missing' };

export type PutResult =
  | { status: 'ok'; etag: string; versionId?: string }
  /** 412: the precondition did not hold (someone else wrote first). */
  | { status: 'precondition-failed' }
  /** 409: a concurrent conditional write; re-read and retry. 404 on If-Match to a missing key lands here too. */
  | { status: 'conflict' }
  | { status: 'missing' };

export interface PutOptions {
  /** Write only if the current ETag is this one. */
  ifMatch?: string;
  /** `*`: write only if the key does not exist. */
  ifNoneMatch?: '*';
  metadata?: Record<string, string>;
  contentType?: string;
  signal?: AbortSignal;
}

export interface ListedObject {
  key: string;
  etag: string;
}

/** The object-store port: implemented for S3 here, and in memory by tests. */
export interface ObjectStore {
  get(bucket: string, key: string, opts?: { ifNoneMatch?: string; signal?: AbortSignal }): Promise<GetResult>;
  put(bucket: string, key: string, body: string, opts?: PutOptions): Promise<PutResult>;
  /** Objects directly under `prefix` (with `delimiter: '/'`) or below it, in key order. */
  list(
    bucket: string,
    prefix: string,
    opts?: { delimiter?: string; signal?: AbortSignal },
  ): Promise<ListedObject[]>;
  delete(bucket: string, key: string, opts?: { signal?: AbortSignal }): Promise<void>;
}

/** An `s3://bucket/key` location. */
export interface S3Location {
  bucket: string;
  key: string;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket/key…`; the key may be empty or end in `/` (a prefix). */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m)
    throw new Error(`expected an S3 URL such as s3://bucket/path/cluster.yaml, found ${JSON.stringify(url)}`);
  const bucket = m[1] as string;
  if (!BUCKET_RE.test(bucket))
    throw new Error(
      `expected an S3 bucket name (3-63 lowercase letters, digits, "." or "-"), found ${JSON.stringify(bucket)}`,
    );
  return { bucket, key: m[2] ?? '' };
}

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(e: unknown): number | undefined {
  return (e as SdkError | undefined)?.$metadata?.httpStatusCode;
}

/** ETags arrive quoted in headers; the store speaks them unquoted and quotes them for conditions. */
const unquote = (etag: string | undefined): string => (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
const quote = (etag: string): string => `"${unquote(etag)}"`;

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  async get(
    bucket: string,
    key: string,
    opts: { ifNoneMatch?: string; signal?: AbortSignal } = {},
  ): Promise<GetResult> {
    try {
      const res = await this.s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(opts.ifNoneMatch !== undefined ? { IfNoneMatch: quote(opts.ifNoneMatch) } : {}),
        }),
        opts.signal ? { abortSignal: opts.signal } : {},
      );
      const body = res.Body ? await res.Body.transformToString('utf8') : '';
      return {
        status: 'ok',
        body,
        etag: unquote(res.ETag),
        ...(res.VersionId !== undefined && res.VersionId !== 'null' ? { versionId: res.VersionId } : {}),
        metadata: res.Metadata ?? {},
      };
    } catch (e) {
      // A 304 has no body, so the SDK cannot name it: test the status, not the name.
      const status = statusOf(e);
      if (status === 304) return { status: 'not-modified' };
      if (status === 404 || (e as SdkError).name === 'NoSuchKey') return { status: 'missing' };
      throw e;
    }
  }

  async put(bucket: string, key: string, body: string, opts: PutOptions = {}): Promise<PutResult> {
    try {
      const res = await this.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: opts.contentType ?? 'application/json',
          ...(opts.ifMatch !== undefined ? { IfMatch: quote(opts.ifMatch) } : {}),
          ...(opts.ifNoneMatch !== undefined ? { IfNoneMatch: opts.ifNoneMatch } : {}),
          ...(opts.metadata ? { Metadata: opts.metadata } : {}),
        }),
        opts.signal ? { abortSignal: opts.signal } : {},
      );
      return {
        status: 'ok',
        etag: unquote(res.ETag),
        ...(res.VersionId !== undefined && res.VersionId !== 'null' ? { versionId: res.VersionId } : {}),
      };
    } catch (e) {
      const status = statusOf(e);
      if (status === 412) return { status: 'precondition-failed' };
      if (status === 409) return { status: 'conflict' };
      if (status === 404) return { status: 'missing' };
      throw e;
    }
  }

  async list(
    bucket: string,
    prefix: string,
    opts: { delimiter?: string; signal?: AbortSignal } = {},
  ): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      const res = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ...(opts.delimiter !== undefined ? { Delimiter: opts.delimiter } : {}),
          ...(token !== undefined ? { ContinuationToken: token } : {}),
        }),
        opts.signal ? { abortSignal: opts.signal } : {},
      );
      for (const o of res.Contents ?? [])
        if (o.Key !== undefined) out.push({ key: o.Key, etag: unquote(o.ETag) });
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(bucket: string, key: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.s3.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: key }),
      opts.signal ? { abortSignal: opts.signal } : {},
    );
  }
}
