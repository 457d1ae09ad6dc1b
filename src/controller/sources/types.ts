/**
 * What a source of desired state gives the loop: documents with their revisions. A source is polled;
 * an unchanged poll says so cheaply (an S3 304, the same commit SHA, the same file hashes).
 */

/** Names of documents a source reads from a directory or prefix. */
export const DOCUMENT_RE = /\.(ya?ml|json)$/i;

export interface SourceDocument {
  /** Where the document lives, for messages: `s3://b/k`, a file path, `<repo>#<ref>:<path>`. */
  origin: string;
  /**
   * The document's revision: the S3 versionId (or the ETag when the bucket is not versioned),
   * `<ref>@sha1:<commit>` for git, `sha256:<hex>` for a file.
   */
  revision: string;
  text: string;
}

export interface SourceSnapshot {
  /** The revision of the source as a whole (a digest of its documents' revisions, or the commit). */
  revision: string;
  documents: SourceDocument[];
}

export type PollResult = { changed: false; revision: string } | { changed: true; snapshot: SourceSnapshot };

export interface Source {
  readonly kind: 'file' | 's3' | 'git';
  /** The source URL with any credentials removed. */
  readonly display: string;
  /** Poll interval when none is configured: 15 s for S3, 60 s for git, 5 s for files. */
  readonly defaultIntervalMs: number;
  /** Reads the source; `changed: false` when nothing changed since the last successful poll. */
  poll(signal?: AbortSignal): Promise<PollResult>;
}
