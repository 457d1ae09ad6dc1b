/**
 * A file source: one YAML/JSON file (which may hold several documents), or a directory whose
 * `*.yaml`, `*.yml` and `*.json` files (not recursive) each hold documents. The revision of a file is
 * the SHA-256 of its contents.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PollResult, Source, SourceDocument } from './types.js';
import { DOCUMENT_RE } from './types.js';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A digest of the documents' origins and revisions: the revision of a multi-document source. */
export function digestOf(docs: readonly { origin: string; revision: string }[]): string {
  return `sha256:${sha256(docs.map((d) => `${d.origin}\u0000${d.revision}`).join('\n'))}`;
}

export class FileSource implements Source {
  readonly kind = 'file' as const;
  readonly defaultIntervalMs = 5000;
  private last: string | undefined;

  constructor(private readonly path: string) {}

  get display(): string {
    return this.path;
  }

  async poll(): Promise<PollResult> {
    const docs = await this.read();
    const revision = digestOf(docs);
    if (revision === this.last) return { changed: false, revision };
    this.last = revision;
    return { changed: true, snapshot: { revision, documents: docs } };
  }

  private async read(): Promise<SourceDocument[]> {
    let isDir: boolean;
    try {
      isDir = (await stat(this.path)).isDirectory();
    } catch (e) {
      throw new Error(`cannot read ${this.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        cause: e,
      });
    }
    const files = isDir
      ? (await readdir(this.path, { withFileTypes: true }))
          .filter((d) => d.isFile() && DOCUMENT_RE.test(d.name))
          .map((d) => join(this.path, d.name))
          .sort()
      : [this.path];
    const docs: SourceDocument[] = [];
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      docs.push({ origin: f, revision: `sha256:${sha256(text)}`, text });
    }
    return docs;
  }
}
