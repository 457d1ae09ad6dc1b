import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSource,
  FileSource,
  GitSource,
  parseGitUrl,
  S3Source,
  sourceKind,
} from '../../src/controller/sources/index.js';
import type { PollResult, SourceSnapshot } from '../../src/controller/sources/index.js';
import { makeRepo } from './git-helpers.js';
import type { TestRepo } from './git-helpers.js';
import { MemoryStore } from './memory-store.js';

function snapshotOf(r: PollResult): SourceSnapshot {
  if (!r.changed) throw new Error(`expected a change, got unchanged ${r.revision}`);
  return r.snapshot;
}

describe('source URLs', () => {
  it('tells the kinds apart and refuses unknown schemes', () => {
    expect(sourceKind('s3://b/k.yaml')).toBe('s3');
    expect(sourceKind('git+https://h/r.git#main:x')).toBe('git');
    expect(sourceKind('./clusters')).toBe('file');
    expect(sourceKind('file:///tmp/x.yaml')).toBe('file');
    expect(() => sourceKind('https://user:pw@host/x')).toThrow(
      /unsupported source "https:\/\/\*\*\*@host\/x"/,
    );
  });

  it('parses git sources: ref, path, defaults, and refuses bad refs and paths', () => {
    expect(parseGitUrl('git+https://h/r.git#release/1.2:clusters/prod.yaml')).toEqual({
      url: 'https://h/r.git',
      ref: 'release/1.2',
      path: 'clusters/prod.yaml',
    });
    expect(parseGitUrl('git+file:///tmp/r.git')).toEqual({ url: 'file:///tmp/r.git', ref: 'HEAD', path: '' });
    expect(parseGitUrl('git+ssh://git@h/r.git#main:/dir/')).toMatchObject({ ref: 'main', path: 'dir' });
    expect(() => parseGitUrl('git+https://h/r.git#ma..in:x')).toThrow(/git ref/);
    expect(() => parseGitUrl('git+https://h/r.git#main:../etc')).toThrow(/may not contain/);
    expect(() => parseGitUrl('git+')).toThrow(/expected a git source/);
  });

  it('refuses an S3 URL with a bad bucket name', () => {
    expect(() =>
      createSource('s3://Bad_Bucket/x.yaml', { store: new MemoryStore(), gitCacheDir: tmpdir() }),
    ).toThrow(/bucket name/);
  });

  it('never shows credentials of a git URL', () => {
    const s = createSource('git+https://user:s3cr3tpass@h/r.git#main:x.yaml', { gitCacheDir: tmpdir() });
    expect(s.display).toBe('git+https://***@h/r.git#main:x.yaml');
  });
});

describe('FileSource', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'neo4j-ecs-file-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, reports unchanged content as unchanged, and a change with a new revision', async () => {
    const f = join(dir, 'c.yaml');
    writeFileSync(f, 'a: 1\n');
    const s = new FileSource(f);
    const first = snapshotOf(await s.poll());
    expect(first.documents).toEqual([
      { origin: f, revision: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), text: 'a: 1\n' },
    ]);
    expect(await s.poll()).toEqual({ changed: false, revision: first.revision });
    writeFileSync(f, 'a: 2\n');
    expect(snapshotOf(await s.poll()).documents[0]?.revision).not.toBe(first.documents[0]?.revision);
  });

  it('reads the yaml/yml/json files of a directory, not deeper ones', async () => {
    writeFileSync(join(dir, 'b.yaml'), 'b');
    writeFileSync(join(dir, 'a.json'), '{}');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'c.yaml'), 'c');
    const docs = snapshotOf(await new FileSource(dir).poll()).documents;
    expect(docs.map((d) => d.origin)).toEqual([join(dir, 'a.json'), join(dir, 'b.yaml')]);
  });

  it('fails clearly when the path does not exist', async () => {
    await expect(new FileSource(join(dir, 'nope.yaml')).poll()).rejects.toThrow(
      /cannot read .*nope.yaml: ENOENT/,
    );
  });
});

describe('S3Source (in-memory store)', () => {
  it('reads one object, and an unchanged poll is a conditional GET answered "not modified"', async () => {
    const store = new MemoryStore();
    store.set('bkt', 'envs/prod/cluster.yaml', 'x: 1');
    const s = new S3Source(store, 'bkt', 'envs/prod/cluster.yaml');
    expect(s.folder).toBe('envs/prod/');
    const first = snapshotOf(await s.poll());
    expect(first.documents[0]?.origin).toBe('s3://bkt/envs/prod/cluster.yaml');
    expect((await s.poll()).changed).toBe(false);
    expect(store.calls.map((c) => `${c.op}:${c.result}`)).toEqual(['get:ok', 'get:not-modified']);
    store.set('bkt', 'envs/prod/cluster.yaml', 'x: 2');
    expect(snapshotOf(await s.poll()).documents[0]?.text).toBe('x: 2');
  });

  it('reports a deleted object as a snapshot without documents, once', async () => {
    const store = new MemoryStore();
    store.set('bkt', 'c.yaml', 'x');
    const s = new S3Source(store, 'bkt', 'c.yaml');
    await s.poll();
    await store.delete('bkt', 'c.yaml');
    expect(snapshotOf(await s.poll()).documents).toEqual([]);
    expect((await s.poll()).changed).toBe(false);
  });

  it('reads a prefix with one listing per poll and fetches only changed objects, never status/ or lease files', async () => {
    const store = new MemoryStore();
    store.set('bkt', 'p/a.yaml', 'a');
    store.set('bkt', 'p/b.yml', 'b');
    store.set('bkt', 'p/status/a.json', '{}');
    store.set('bkt', 'p/readme.md', '#');
    const s = new S3Source(store, 'bkt', 'p/');
    expect(s.folder).toBe('p/');
    expect(snapshotOf(await s.poll()).documents.map((d) => d.origin)).toEqual([
      's3://bkt/p/a.yaml',
      's3://bkt/p/b.yml',
    ]);
    store.calls.length = 0;
    expect((await s.poll()).changed).toBe(false);
    expect(store.calls.map((c) => c.op)).toEqual(['list']);
    store.set('bkt', 'p/b.yml', 'b2');
    store.calls.length = 0;
    const snap = snapshotOf(await s.poll());
    expect(snap.documents.map((d) => d.text)).toEqual(['a', 'b2']);
    expect(store.calls.map((c) => `${c.op}:${c.key}`)).toEqual(['list:p/', 'get:p/b.yml']);
  });
});

describe('GitSource', () => {
  let repo: TestRepo;
  let cache: string;
  beforeEach(() => {
    repo = makeRepo();
    cache = mkdtempSync(join(tmpdir(), 'neo4j-ecs-gitcache-'));
  });
  afterEach(() => {
    repo.cleanup();
    rmSync(cache, { recursive: true, force: true });
  });

  it('fetches a file at a ref, reports the commit SHA as the revision, and sees new commits', async () => {
    const sha1 = repo.commit({ 'clusters/prod.yaml': 'v: 1\n', 'README.md': 'x' });
    const s = new GitSource(parseGitUrl(`git+${repo.url}#main:clusters/prod.yaml`), {
      cacheDir: cache,
      timeoutMs: 20_000,
    });
    const first = snapshotOf(await s.poll());
    expect(first.revision).toBe(`main@sha1:${sha1}`);
    expect(first.documents).toEqual([
      { origin: `${repo.url}#main:clusters/prod.yaml`, revision: `main@sha1:${sha1}`, text: 'v: 1\n' },
    ]);
    expect(await s.poll()).toEqual({ changed: false, revision: `main@sha1:${sha1}` });
    const sha2 = repo.commit({ 'clusters/prod.yaml': 'v: 2\n' });
    const second = snapshotOf(await s.poll());
    expect(second.revision).toBe(`main@sha1:${sha2}`);
    expect(second.documents[0]?.text).toBe('v: 2\n');
  });

  it('reads the documents of a directory and reports a removed path as no documents', async () => {
    repo.commit({ 'c/a.yaml': 'a', 'c/b.json': '{}', 'c/x.txt': 'no', 'c/deep/d.yaml': 'no' });
    const s = new GitSource(parseGitUrl(`git+${repo.url}#main:c`), { cacheDir: cache });
    expect(snapshotOf(await s.poll()).documents.map((d) => d.text)).toEqual(['a', '{}']);
    repo.commit({
      'c/a.yaml': null,
      'c/b.json': null,
      'c/x.txt': null,
      'c/deep/d.yaml': null,
      'other.yaml': 'o',
    });
    expect(snapshotOf(await s.poll()).documents).toEqual([]);
  });

  it('fails with a clear, bounded error for a repository that does not exist', async () => {
    const s = new GitSource(parseGitUrl(`git+file://${repo.root}/missing.git#main`), {
      cacheDir: cache,
      timeoutMs: 20_000,
    });
    await expect(s.poll()).rejects.toThrow(/git fetch failed for git\+file:.*missing\.git#main/);
  });
});
