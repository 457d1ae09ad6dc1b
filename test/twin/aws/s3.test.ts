import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import {
  type AwsTwin,
  awsCli,
  awsCliRaw,
  destroyClients,
  sdkConfig,
  startTestTwin,
  twinClients,
  type TwinClients,
} from '../../helpers/twin.js';

let twin: AwsTwin;
let c: TwinClients;
let s3: S3Client;
let dir: string;

const md5 = (s: string) => `"${createHash('md5').update(s).digest('hex')}"`;

beforeAll(async () => {
  twin = await startTestTwin();
  c = twinClients(twin);
  s3 = c.s3;
  dir = mkdtempSync(join(tmpdir(), 'twin-s3-'));
  await s3.send(new CreateBucketCommand({ Bucket: 'desired' }));
});
afterAll(async () => {
  destroyClients(c);
  await twin.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('S3 buckets', () => {
  it('creates, heads, lists and deletes buckets', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'tmp-bucket' }));
    const head = await s3.send(new HeadBucketCommand({ Bucket: 'tmp-bucket' }));
    expect(head.BucketRegion).toBe('us-east-1');
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining(['desired', 'tmp-bucket']));
    expect(list.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    await s3.send(new PutObjectCommand({ Bucket: 'tmp-bucket', Key: 'k', Body: 'x' }));
    await expect(s3.send(new DeleteBucketCommand({ Bucket: 'tmp-bucket' }))).rejects.toMatchObject({
      name: 'BucketNotEmpty',
      $metadata: { httpStatusCode: 409 },
    });
    await s3.send(new DeleteObjectCommand({ Bucket: 'tmp-bucket', Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'tmp-bucket' }));
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'tmp-bucket' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('rejects invalid bucket names and unknown buckets with the real codes', async () => {
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))).rejects.toMatchObject({
      name: 'InvalidBucketName',
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: 'nobucket', Key: 'k' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe('S3 objects', () => {
  it('puts and gets an object with a quoted-MD5 ETag, content type and metadata', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'desired',
        Key: 'cluster.yaml',
        Body: 'members: 3\n',
        ContentType: 'application/yaml',
        Metadata: { revision: 'r1' },
      }),
    );
    expect(put.ETag).toBe(md5('members: 3\n'));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'desired', Key: 'cluster.yaml' }));
    expect(await got.Body!.transformToString()).toBe('members: 3\n');
    expect(got.ETag).toBe(put.ETag);
    expect(got.ContentType).toBe('application/yaml');
    expect(got.Metadata).toEqual({ revision: 'r1' });
    expect(got.LastModified).toBeInstanceOf(Date);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'desired', Key: 'cluster.yaml' }));
    expect(head.ContentLength).toBe(11);
    expect(head.ETag).toBe(put.ETag);
  });

  it('answers GET If-None-Match with 304 and an empty body, and If-Match mismatch with 412', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'desired', Key: 'watch', Body: 'v1' }));
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'desired', Key: 'watch', IfNoneMatch: put.ETag })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 304 },
    });
    const changed = await s3.send(
      new GetObjectCommand({ Bucket: 'desired', Key: 'watch', IfNoneMatch: '"0000"' }),
    );
    expect(await changed.Body!.transformToString()).toBe('v1');
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'desired', Key: 'watch', IfMatch: '"0000"' })),
    ).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
  });

  it('makes conditional PUTs: If-None-Match * and If-Match answer 412 on mismatch', async () => {
    const first = await s3.send(
      new PutObjectCommand({
        Bucket: 'desired',
        Key: 'lease.json',
        Body: '{"holder":"a"}',
        IfNoneMatch: '*',
      }),
    );
    await expect(
      s3.send(
        new PutObjectCommand({
          Bucket: 'desired',
          Key: 'lease.json',
          Body: '{"holder":"b"}',
          IfNoneMatch: '*',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    const renewed = await s3.send(
      new PutObjectCommand({
        Bucket: 'desired',
        Key: 'lease.json',
        Body: '{"holder":"a","n":2}',
        IfMatch: first.ETag,
      }),
    );
    await expect(
      s3.send(
        new PutObjectCommand({
          Bucket: 'desired',
          Key: 'lease.json',
          Body: '{"holder":"b"}',
          IfMatch: first.ETag,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'PreconditionFailed',
    });
    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'desired', Key: 'no-lease', Body: 'x', IfMatch: renewed.ETag })),
    ).rejects.toBeInstanceOf(NoSuchKey);
  });

  it('lets exactly one of many concurrent If-None-Match: * writers win (atomic compare-and-set)', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        s3.send(
          new PutObjectCommand({ Bucket: 'desired', Key: 'race', Body: `writer-${i}`, IfNoneMatch: '*' }),
        ),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as Error).name).toBe('PreconditionFailed');
  });

  it('accepts streamed uploads (aws-chunked with a trailing checksum)', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'desired',
        Key: 'streamed',
        Body: Readable.from([Buffer.from('hello '), Buffer.from('world')]),
        ContentLength: 11,
      }),
    );
    expect(put.ETag).toBe(md5('hello world'));
    const [logged] = twin.calls
      .list({ service: 's3', operation: 'PutObject' })
      .filter((x) => x.params['Key'] === 'streamed');
    expect(logged!.params['ChecksumCRC32']).toEqual(expect.any(String));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'desired', Key: 'streamed' }));
    expect(await got.Body!.transformToString()).toBe('hello world');
  });

  it('serves byte ranges with 206', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'desired', Key: 'range', Body: '0123456789' }));
    const r = await s3.send(new GetObjectCommand({ Bucket: 'desired', Key: 'range', Range: 'bytes=2-4' }));
    expect(await r.Body!.transformToString()).toBe('234');
    expect(r.ContentRange).toBe('bytes 2-4/10');
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'desired', Key: 'range', Range: 'bytes=50-' })),
    ).rejects.toMatchObject({ name: 'InvalidRange' });
  });

  it('copies objects and deletes several at once', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'desired', Key: 'src', Body: 'copy me' }));
    const copy = await s3.send(
      new CopyObjectCommand({ Bucket: 'desired', Key: 'dst', CopySource: 'desired/src' }),
    );
    expect(copy.CopyObjectResult?.ETag).toBe(md5('copy me'));
    const del = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'desired', Delete: { Objects: [{ Key: 'src' }, { Key: 'dst' }] } }),
    );
    expect(del.Deleted?.map((d) => d.Key).sort()).toEqual(['dst', 'src']);
    await expect(s3.send(new GetObjectCommand({ Bucket: 'desired', Key: 'src' }))).rejects.toBeInstanceOf(
      NoSuchKey,
    );
  });

  it('lists with prefix, delimiter, MaxKeys and continuation tokens', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = ['a/1', 'a/2', 'a/sub/3', 'b/1', 'c', 'd', 'e'];
    for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: k, Body: k }));
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/']);
    expect(top.Contents?.map((o) => o.Key)).toEqual(['c', 'd', 'e']);
    expect(top.KeyCount).toBe(5);
    const inA = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'a/', Delimiter: '/' }));
    expect(inA.Contents?.map((o) => o.Key)).toEqual(['a/1', 'a/2']);
    expect(inA.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/sub/']);
    expect(inA.Contents?.[0]?.ETag).toBe(md5('a/1'));
    expect(inA.Contents?.[0]?.Size).toBe(3);
    const pages: string[][] = [];
    for await (const p of paginateListObjectsV2({ client: s3, pageSize: 3 }, { Bucket: 'listing' })) {
      pages.push((p.Contents ?? []).map((o) => o.Key!));
    }
    expect(pages).toEqual([['a/1', 'a/2', 'a/sub/3'], ['b/1', 'c', 'd'], ['e']]);
    const delimited: string[] = [];
    for await (const p of paginateListObjectsV2(
      { client: s3, pageSize: 1 },
      { Bucket: 'listing', Delimiter: '/' },
    )) {
      delimited.push(
        ...(p.CommonPrefixes ?? []).map((x) => x.Prefix!),
        ...(p.Contents ?? []).map((o) => o.Key!),
      );
    }
    expect(delimited).toEqual(['a/', 'b/', 'c', 'd', 'e']);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'c' }));
    expect(after.Contents?.map((o) => o.Key)).toEqual(['d', 'e']);
    await expect(
      s3.send(new ListObjectsV2Command({ Bucket: 'listing', ContinuationToken: '!!bogus' })),
    ).rejects.toMatchObject({ name: 'InvalidArgument' });
  });

  it('versions objects: versionId on put and get, old versions readable, delete markers', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'versioned' }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: 'versioned', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'versioned' }))).Status).toBe('Enabled');
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'doc', Body: 'one' }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'doc', Body: 'two' }));
    expect(v1.VersionId).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(v2.VersionId).not.toBe(v1.VersionId);
    const latest = await s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'doc' }));
    expect(latest.VersionId).toBe(v2.VersionId);
    const old = await s3.send(
      new GetObjectCommand({ Bucket: 'versioned', Key: 'doc', VersionId: v1.VersionId }),
    );
    expect(await old.Body!.transformToString()).toBe('one');
    const del = await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'doc' }));
    expect(del.DeleteMarker).toBe(true);
    await expect(s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'doc' }))).rejects.toBeInstanceOf(
      NoSuchKey,
    );
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'versioned' }));
    expect(versions.Versions?.map((v) => v.VersionId)).toEqual([v2.VersionId, v1.VersionId]);
    expect(versions.DeleteMarkers?.[0]?.IsLatest).toBe(true);
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'doc', VersionId: 'nosuchversion' })),
    ).rejects.toMatchObject({ name: 'NoSuchVersion' });
  });

  it('works for a client configured only by AWS_ENDPOINT_URL (IP host → path style)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: twin.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    });
    const plain = new S3Client({});
    try {
      await plain.send(new PutObjectCommand({ Bucket: 'desired', Key: 'env', Body: 'via env' }));
      const got = await plain.send(new GetObjectCommand({ Bucket: 'desired', Key: 'env' }));
      expect(await got.Body!.transformToString()).toBe('via env');
    } finally {
      plain.destroy();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

describe('S3 bad requests', () => {
  it('answers malformed XML, unsupported sub-resources and bad checksums in S3 error XML', async () => {
    const bad = await fetch(`${twin.endpoint}/desired?versioning`, {
      method: 'PUT',
      body: '<VersioningConfiguration><Status>Enabled',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/<Error><Code>MalformedXML<\/Code>/);
    const unsupported = await fetch(`${twin.endpoint}/desired?acl`, { method: 'GET' });
    expect(unsupported.status).toBe(501);
    expect(await unsupported.text()).toContain('<Code>NotImplemented</Code>');
    const digest = await fetch(`${twin.endpoint}/desired/x`, {
      method: 'PUT',
      body: 'abc',
      headers: { 'content-md5': Buffer.alloc(16).toString('base64') },
    });
    expect(digest.status).toBe(400);
    expect(await digest.text()).toContain('<Code>BadDigest</Code>');
    const fast = new S3Client(sdkConfig(twin, { maxAttempts: 1 }));
    try {
      await expect(
        fast.send(
          new PutBucketVersioningCommand({
            Bucket: 'desired',
            VersioningConfiguration: { Status: 'Maybe' as 'Enabled' },
          }),
        ),
      ).rejects.toMatchObject({
        name: 'MalformedXML',
      });
    } finally {
      fast.destroy();
    }
  });
});

describe('S3 through the AWS CLI', () => {
  it('s3api create-bucket, put-object, head-object, get-object, list-objects-v2, delete-object', async () => {
    await awsCli(twin, ['s3api', 'create-bucket', '--bucket', 'cli-bucket']);
    const file = join(dir, 'body.txt');
    writeFileSync(file, 'from the cli');
    const put = (await awsCli(twin, [
      's3api',
      'put-object',
      '--bucket',
      'cli-bucket',
      '--key',
      'dir/a b.txt',
      '--body',
      file,
    ])) as { ETag: string };
    expect(put.ETag).toBe(md5('from the cli'));
    const head = (await awsCli(twin, [
      's3api',
      'head-object',
      '--bucket',
      'cli-bucket',
      '--key',
      'dir/a b.txt',
    ])) as { ContentLength: number };
    expect(head.ContentLength).toBe(12);
    const out = join(dir, 'out.txt');
    await awsCli(twin, ['s3api', 'get-object', '--bucket', 'cli-bucket', '--key', 'dir/a b.txt', out]);
    expect(readFileSync(out, 'utf8')).toBe('from the cli');
    const list = (await awsCli(twin, [
      's3api',
      'list-objects-v2',
      '--bucket',
      'cli-bucket',
      '--prefix',
      'dir/',
      '--delimiter',
      '/',
    ])) as { Contents: { Key: string }[] };
    expect(list.Contents.map((o) => o.Key)).toEqual(['dir/a b.txt']);
    const notModified = await awsCliRaw(twin, [
      's3api',
      'get-object',
      '--bucket',
      'cli-bucket',
      '--key',
      'dir/a b.txt',
      '--if-none-match',
      put.ETag,
      out,
    ]);
    expect(notModified.exitCode).not.toBe(0);
    expect(notModified.errorCode).toBe('304');
    const conditional = await awsCliRaw(twin, [
      's3api',
      'put-object',
      '--bucket',
      'cli-bucket',
      '--key',
      'dir/a b.txt',
      '--body',
      file,
      '--if-none-match',
      '*',
    ]);
    if (/Unknown options: --if-none-match/.test(conditional.stderr)) {
      // Debian's awscli 2.9 predates S3 conditional writes (2024): it refuses the flag before sending
      // anything. The SDK suite above covers If-None-Match/If-Match on PUT against the twin.
      expect(conditional.exitCode).not.toBe(0);
      console.warn(
        `this AWS CLI has no put-object --if-none-match; conditional PUT checked through the SDK only`,
      );
    } else {
      expect(conditional.errorCode).toBe('PreconditionFailed');
    }
    await awsCli(twin, ['s3api', 'delete-object', '--bucket', 'cli-bucket', '--key', 'dir/a b.txt']);
    const missing = await awsCliRaw(twin, [
      's3api',
      'get-object',
      '--bucket',
      'cli-bucket',
      '--key',
      'dir/a b.txt',
      out,
    ]);
    expect(missing.errorCode).toBe('NoSuchKey');
  });

  it('s3api versioning, list-buckets, and the high-level s3 cp / ls', async () => {
    await awsCli(twin, ['s3api', 'create-bucket', '--bucket', 'cli-versioned']);
    await awsCli(twin, [
      's3api',
      'put-bucket-versioning',
      '--bucket',
      'cli-versioned',
      '--versioning-configuration',
      'Status=Enabled',
    ]);
    const v = (await awsCli(twin, ['s3api', 'get-bucket-versioning', '--bucket', 'cli-versioned'])) as {
      Status: string;
    };
    expect(v.Status).toBe('Enabled');
    const file = join(dir, 'v.txt');
    writeFileSync(file, 'v');
    const put = (await awsCli(twin, [
      's3api',
      'put-object',
      '--bucket',
      'cli-versioned',
      '--key',
      'k',
      '--body',
      file,
    ])) as { VersionId: string };
    expect(put.VersionId).toMatch(/^[A-Za-z0-9]{32}$/);
    const buckets = (await awsCli(twin, ['s3api', 'list-buckets'])) as { Buckets: { Name: string }[] };
    expect(buckets.Buckets.map((b) => b.Name)).toContain('cli-versioned');
    const cp = await awsCliRaw(twin, ['s3', 'cp', file, 's3://cli-versioned/copied/v.txt']);
    expect(cp.exitCode).toBe(0);
    const ls = await awsCliRaw(twin, ['s3', 'ls', 's3://cli-versioned/copied/']);
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout).toContain('v.txt');
  });
});
