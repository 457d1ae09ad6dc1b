/** An in-memory ObjectStore with S3's conditional semantics, and a log of calls, for unit tests. */
import { createHash } from 'node:crypto';
import type {
  GetResult,
  ListedObject,
  ObjectStore,
  PutOptions,
  PutResult,
} from '../../src/aws/object-store.js';

interface Obj {
  body: string;
  etag: string;
  metadata: Record<string, string>;
}

export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Obj>();
  readonly calls: { op: string; key: string; result: string }[] = [];

  private k(bucket: string, key: string): string {
    return `${bucket}/${key}`;
  }

  set(bucket: string, key: string, body: string): void {
    this.objects.set(this.k(bucket, key), {
      body,
      etag: createHash('md5').update(body).digest('hex'),
      metadata: {},
    });
  }

  body(bucket: string, key: string): string | undefined {
    return this.objects.get(this.k(bucket, key))?.body;
  }

  get(bucket: string, key: string, opts: { ifNoneMatch?: string } = {}): Promise<GetResult> {
    const o = this.objects.get(this.k(bucket, key));
    let r: GetResult;
    if (!o) r = { status: 'missing' };
    else if (opts.ifNoneMatch === o.etag) r = { status: 'not-modified' };
    else r = { status: 'ok', body: o.body, etag: o.etag, metadata: o.metadata };
    this.calls.push({ op: 'get', key, result: r.status });
    return Promise.resolve(r);
  }

  put(bucket: string, key: string, body: string, opts: PutOptions = {}): Promise<PutResult> {
    const o = this.objects.get(this.k(bucket, key));
    let r: PutResult;
    if (opts.ifNoneMatch === '*' && o) r = { status: 'precondition-failed' };
    else if (opts.ifMatch !== undefined && !o) r = { status: 'missing' };
    else if (opts.ifMatch !== undefined && o && o.etag !== opts.ifMatch)
      r = { status: 'precondition-failed' };
    else {
      const etag = createHash('md5').update(body).digest('hex');
      this.objects.set(this.k(bucket, key), { body, etag, metadata: opts.metadata ?? {} });
      r = { status: 'ok', etag };
    }
    this.calls.push({ op: 'put', key, result: r.status });
    return Promise.resolve(r);
  }

  list(bucket: string, prefix: string, opts: { delimiter?: string } = {}): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    for (const [k, o] of this.objects) {
      if (!k.startsWith(`${bucket}/${prefix}`)) continue;
      const key = k.slice(bucket.length + 1);
      if (opts.delimiter && key.slice(prefix.length).includes(opts.delimiter)) continue;
      out.push({ key, etag: o.etag });
    }
    this.calls.push({ op: 'list', key: prefix, result: 'ok' });
    return Promise.resolve(out.sort((a, b) => (a.key < b.key ? -1 : 1)));
  }

  delete(bucket: string, key: string): Promise<void> {
    this.objects.delete(this.k(bucket, key));
    this.calls.push({ op: 'delete', key, result: 'ok' });
    return Promise.resolve();
  }
}
