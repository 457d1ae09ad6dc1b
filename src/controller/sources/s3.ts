/**
 * An S3 source: `s3://bucket/key` (one object) or `s3://bucket/prefix/` (every `*.yaml`, `*.yml` and
 * `*.json` object directly under the prefix; deeper keys such as `status/…` are not read).
 *
 * One object is read with GetObject and If-None-Match on the last ETag, so an unchanged object costs a
 * 304 and no body. A prefix costs one ListObjectsV2 per poll; only objects whose ETag changed are
 * fetched. A document's revision is its versionId on a versioned bucket, else its ETag.
 */
import type { ObjectStore } from '../../aws/object-store.js';
import { digestOf } from './file.js';
import type { PollResult, Source, SourceDocument } from './types.js';
import { DOCUMENT_RE } from './types.js';

interface Cached {
  etag: string;
  doc: SourceDocument;
}

export class S3Source implements Source {
  readonly kind = 's3' as const;
  readonly defaultIntervalMs = 15_000;
  readonly isPrefix: boolean;
  private readonly cache = new Map<string, Cached>();
  private lastRevision: string | undefined;

  constructor(
    private readonly store: ObjectStore,
    readonly bucket: string,
    readonly key: string,
  ) {
    this.isPrefix = key === '' || key.endsWith('/');
  }

  get display(): string {
    return `s3://${this.bucket}/${this.key}`;
  }

  /** Where status and leases go by default: beside the spec (the key's folder, or the prefix). */
  get folder(): string {
    if (this.isPrefix) return this.key;
    const i = this.key.lastIndexOf('/');
    return i < 0 ? '' : this.key.slice(0, i + 1);
  }

  poll(signal?: AbortSignal): Promise<PollResult> {
    return this.isPrefix ? this.pollPrefix(signal) : this.pollObject(signal);
  }

  private async pollObject(signal?: AbortSignal): Promise<PollResult> {
    const cached = this.cache.get(this.key);
    const res = await this.store.get(this.bucket, this.key, {
      ...(cached ? { ifNoneMatch: cached.etag } : {}),
      ...(signal ? { signal } : {}),
    });
    if (res.status === 'not-modified' && cached) return { changed: false, revision: cached.doc.revision };
    if (res.status === 'not-modified') throw new Error(`${this.display}: 304 without a cached copy`);
    if (res.status === 'missing') {
      this.cache.clear();
      const revision = 'missing';
      if (this.lastRevision === revision) return { changed: false, revision };
      this.lastRevision = revision;
      return { changed: true, snapshot: { revision, documents: [] } };
    }
    const doc: SourceDocument = { origin: this.display, revision: res.versionId ?? res.etag, text: res.body };
    this.cache.set(this.key, { etag: res.etag, doc });
    this.lastRevision = doc.revision;
    return { changed: true, snapshot: { revision: doc.revision, documents: [doc] } };
  }

  private async pollPrefix(signal?: AbortSignal): Promise<PollResult> {
    const listed = (
      await this.store.list(this.bucket, this.key, { delimiter: '/', ...(signal ? { signal } : {}) })
    ).filter((o) => DOCUMENT_RE.test(o.key) && !o.key.slice(this.key.length).includes('/'));
    const listedRevision = digestOf(listed.map((o) => ({ origin: o.key, revision: o.etag })));
    if (listedRevision === this.lastRevision) return { changed: false, revision: listedRevision };
    const docs: SourceDocument[] = [];
    const next = new Map<string, Cached>();
    let complete = true;
    for (const o of listed) {
      const cached = this.cache.get(o.key);
      if (cached && cached.etag === o.etag) {
        docs.push(cached.doc);
        next.set(o.key, cached);
        continue;
      }
      const res = await this.store.get(this.bucket, o.key, signal ? { signal } : {});
      if (res.status !== 'ok') {
        complete = false; // deleted (or replaced) between list and get: look again next poll
        continue;
      }
      const doc: SourceDocument = {
        origin: `s3://${this.bucket}/${o.key}`,
        revision: res.versionId ?? res.etag,
        text: res.body,
      };
      docs.push(doc);
      next.set(o.key, { etag: res.etag, doc });
    }
    this.cache.clear();
    for (const [k, v] of next) this.cache.set(k, v);
    this.lastRevision = complete ? listedRevision : undefined;
    return { changed: true, snapshot: { revision: listedRevision, documents: docs } };
  }
}
