/**
 * Picks the source for a `--source` value: `s3://bucket/key-or-prefix/`, `git+<url>#<ref>:<path>`, or a
 * file or directory path (optionally `file://`).
 */
import type { ObjectStore } from '../../aws/object-store.js';
import { parseS3Url } from '../../aws/object-store.js';
import { FileSource } from './file.js';
import { GitSource, parseGitUrl } from './git.js';
import { S3Source } from './s3.js';
import type { Source } from './types.js';

export type { PollResult, Source, SourceDocument, SourceSnapshot } from './types.js';
export { FileSource } from './file.js';
export { GitSource, parseGitUrl } from './git.js';
export { S3Source } from './s3.js';

export type SourceKind = Source['kind'];

/** The kind of a source URL, without creating it. */
export function sourceKind(url: string): SourceKind {
  if (url.startsWith('s3://')) return 's3';
  if (url.startsWith('git+')) return 'git';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://'))
    throw new Error(
      `unsupported source ${JSON.stringify(url.replace(/\/\/[^/@]*@/, '//***@'))}: expected s3://bucket/key, git+<url>#<ref>:<path>, or a file path`,
    );
  return 'file';
}

export interface SourceDeps {
  /** Needed for s3:// sources. */
  store?: ObjectStore;
  /** Where git sources keep their cache repositories. */
  gitCacheDir: string;
  gitTimeoutMs?: number;
}

export function createSource(url: string, deps: SourceDeps): Source {
  switch (sourceKind(url)) {
    case 's3': {
      const { bucket, key } = parseS3Url(url);
      if (!deps.store) throw new Error('an s3:// source needs an S3 client');
      return new S3Source(deps.store, bucket, key);
    }
    case 'git':
      return new GitSource(parseGitUrl(url), {
        cacheDir: deps.gitCacheDir,
        ...(deps.gitTimeoutMs !== undefined ? { timeoutMs: deps.gitTimeoutMs } : {}),
      });
    case 'file':
      return new FileSource(url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url);
  }
}
