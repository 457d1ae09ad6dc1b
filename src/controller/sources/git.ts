/**
 * A git source: `git+<url>#<ref>:<path>`, fetched with the system git into a bare cache repository
 * (shallow, one ref, no work tree). `<path>` is one file or a directory whose `*.yaml`, `*.yml` and
 * `*.json` files (not recursive) hold documents; empty means the repository root. A document's
 * revision is `<ref>@sha1:<commit>`, as Flux reports it. Git never prompts (GIT_TERMINAL_PROMPT=0),
 * and credentials in the URL never appear in messages.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { redactor } from '../redact.js';
import { sha256 } from './file.js';
import type { PollResult, Source, SourceDocument } from './types.js';
import { DOCUMENT_RE } from './types.js';

export interface GitLocation {
  /** The repository URL as git takes it (https://, ssh://, file://, a path). */
  url: string;
  ref: string;
  /** Path inside the repository, without leading or trailing slashes; '' is the root. */
  path: string;
}

/** Parses `git+<url>[#<ref>[:<path>]]`; ref defaults to HEAD, path to the root. */
export function parseGitUrl(source: string): GitLocation {
  const m = /^git\+([^#]+)(?:#([^:]*)(?::(.*))?)?$/.exec(source);
  if (!m || !m[1])
    throw new Error(
      `expected a git source such as git+https://host/repo.git#main:clusters/prod.yaml, found ${JSON.stringify(redactor.text(source))}`,
    );
  const ref = m[2] === undefined || m[2] === '' ? 'HEAD' : m[2];
  if (!/^[^\s~^:?*[\\]+$/.test(ref) || ref.includes('..') || ref.startsWith('-'))
    throw new Error(`expected a git ref (branch, tag or commit) after "#", found ${JSON.stringify(ref)}`);
  const path = (m[3] ?? '').replace(/^\/+|\/+$/g, '');
  if (path.split('/').includes('..'))
    throw new Error(`the path in a git source may not contain "..": ${path}`);
  return { url: m[1], ref, path };
}

export interface GitSourceOptions {
  /** Where bare cache repositories live. */
  cacheDir: string;
  /** Bound on each git command, ms. Default 60 s (Flux's default timeout). */
  timeoutMs?: number;
  /** The git executable. Default `git`. */
  git?: string;
}

export class GitSource implements Source {
  readonly kind = 'git' as const;
  readonly defaultIntervalMs = 60_000;
  private readonly repoDir: string;
  private lastSha: string | undefined;

  constructor(
    readonly location: GitLocation,
    private readonly opts: GitSourceOptions,
  ) {
    this.repoDir = join(opts.cacheDir, sha256(location.url).slice(0, 16));
  }

  get display(): string {
    const l = this.location;
    return redactor.text(`git+${l.url}#${l.ref}${l.path ? `:${l.path}` : ''}`);
  }

  async poll(signal?: AbortSignal): Promise<PollResult> {
    await this.ensureRepo(signal);
    await this.git(
      ['fetch', '--quiet', '--no-tags', '--depth', '1', '--force', this.location.url, this.location.ref],
      signal,
    );
    const sha = (await this.git(['rev-parse', '--verify', 'FETCH_HEAD^{commit}'], signal)).trim();
    const revision = `${this.location.ref}@sha1:${sha}`;
    if (sha === this.lastSha) return { changed: false, revision };
    const documents = await this.read(sha, revision, signal);
    this.lastSha = sha;
    return { changed: true, snapshot: { revision, documents } };
  }

  private async read(sha: string, revision: string, signal?: AbortSignal): Promise<SourceDocument[]> {
    const { path } = this.location;
    const origin = (p: string): string => redactor.text(`${this.location.url}#${this.location.ref}:${p}`);
    const type = path === '' ? 'tree' : await this.objectType(`${sha}:${path}`, signal);
    if (type === undefined) return [];
    if (type === 'blob')
      return [
        {
          origin: origin(path),
          revision,
          text: await this.git(['cat-file', 'blob', `${sha}:${path}`], signal),
        },
      ];
    const listing = await this.git(['ls-tree', '-z', path === '' ? sha : `${sha}:${path}`], signal);
    const names = listing
      .split('\0')
      .map((line) => /^\d+ (\w+) [0-9a-f]+\t(.+)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && m[1] === 'blob' && DOCUMENT_RE.test(m[2] as string))
      .map((m) => m[2] as string)
      .sort();
    const docs: SourceDocument[] = [];
    for (const name of names) {
      const p = path === '' ? name : `${path}/${name}`;
      docs.push({
        origin: origin(p),
        revision,
        text: await this.git(['cat-file', 'blob', `${sha}:${p}`], signal),
      });
    }
    return docs;
  }

  private async objectType(spec: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      return (await this.git(['cat-file', '-t', spec], signal)).trim();
    } catch {
      return undefined; // the path does not exist at this commit
    }
  }

  private async ensureRepo(signal?: AbortSignal): Promise<void> {
    if (existsSync(join(this.repoDir, 'HEAD'))) return;
    await mkdir(this.repoDir, { recursive: true });
    await this.git(['init', '--bare', '--quiet'], signal);
  }

  private git(args: string[], signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.opts.git ?? 'git',
        ['-C', this.repoDir, ...args],
        {
          timeout: this.opts.timeoutMs ?? 60_000,
          maxBuffer: 64 * 1024 * 1024,
          encoding: 'utf8',
          env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', LC_ALL: 'C' },
          ...(signal ? { signal } : {}),
        },
        (err, stdout, stderr) => {
          if (!err) {
            resolve(stdout);
            return;
          }
          const why = (stderr || err.message).trim().split('\n').slice(-3).join(' ');
          reject(
            new Error(redactor.text(`git ${args[0] ?? ''} failed for ${this.display}: ${why}`), {
              cause: err,
            }),
          );
        },
      );
    });
  }
}
