/**
 * The desired state in force, per cluster, built from source snapshots. A bad revision is never
 * applied: an invalid document leaves the last valid revision of its cluster in force and yields a
 * Warning finding that names the revision and every problem (Flux's lastAttemptedRevision vs
 * lastAppliedRevision). A cluster whose document disappears stays in force (deletion needs an explicit
 * spec field, a follow-up); a cluster defined by two documents is invalid until one goes.
 */
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import type { Neo4jCluster } from '../model/index.js';
import { formatProblem, parseClusterText } from '../model/index.js';
import type { SourceSnapshot } from './sources/types.js';

export interface DesiredCluster {
  name: string;
  cluster: Neo4jCluster;
  revision: string;
  origin: string;
  /** SHA-256 of the validated document (defaults applied), to tell real spec changes from new revisions. */
  digest: string;
}

export interface Attempt {
  revision: string;
  origin: string;
  valid: boolean;
  /** Formatted problems (errors and warnings), one per line. */
  problems: string[];
}

export interface Finding {
  /** '' when the document is too broken to name its cluster. */
  cluster: string;
  revision: string;
  type: 'Normal' | 'Warning';
  reason: 'NewRevision' | 'InvalidRevision' | 'DuplicateCluster' | 'SourceDocumentMissing' | 'SpecWarnings';
  message: string;
}

export interface ApplyResult {
  /** Clusters whose desired state or attempted revision changed: reconcile them. */
  changed: string[];
  findings: Finding[];
}

interface Entry {
  name: string | undefined;
  slot: string;
  origin: string;
  revision: string;
  cluster?: Neo4jCluster;
  problems: string[];
  errors: string[];
}

const MAX_PROBLEMS_IN_MESSAGE = 50;

export function specDigest(cluster: Neo4jCluster): string {
  return createHash('sha256').update(canonicalJson(cluster)).digest('hex');
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );
}

/** Best-effort name of the cluster in document `index` of `text`, for documents that fail validation. */
function guessName(text: string, index: number): string | undefined {
  try {
    const doc = parseAllDocuments(text)[index];
    if (!doc || !('toJS' in doc)) return undefined;
    const data = doc.toJS({ maxAliasCount: 100 }) as { metadata?: { name?: unknown } } | null;
    const name = data?.metadata?.name;
    return typeof name === 'string' && /^[a-z][-a-z0-9]{0,62}$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

function problemList(problems: readonly string[]): string {
  const shown = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE);
  const more = problems.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

export class DesiredState {
  private readonly applied = new Map<string, DesiredCluster>();
  private readonly attempts = new Map<string, Attempt>();
  /** `origin#index` → cluster name, to attribute a later invalid version of the same document. */
  private readonly slots = new Map<string, string>();
  /** Revision last reported invalid per slot, so an unchanged bad document is reported once. */
  private readonly reportedInvalid = new Map<string, string>();
  private readonly missing = new Set<string>();

  get(name: string): DesiredCluster | undefined {
    return this.applied.get(name);
  }

  attempted(name: string): Attempt | undefined {
    return this.attempts.get(name);
  }

  isMissing(name: string): boolean {
    return this.missing.has(name);
  }

  /** Every cluster known: in force, or only ever seen invalid. */
  names(): string[] {
    return [...new Set([...this.applied.keys(), ...this.attempts.keys()])].sort();
  }

  apply(snapshot: SourceSnapshot): ApplyResult {
    const entries = this.parse(snapshot);
    this.markDuplicates(entries);
    const changed = new Set<string>();
    const findings: Finding[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      if (e.name !== undefined) {
        seen.add(e.name);
        this.slots.set(e.slot, e.name);
      }
      if (e.cluster && e.name !== undefined && e.errors.length === 0)
        this.accept(e, e.cluster, changed, findings);
      else this.reject(e, changed, findings);
    }
    for (const name of this.names()) {
      if (seen.has(name)) {
        this.missing.delete(name);
        continue;
      }
      if (this.missing.has(name) || !this.applied.has(name)) continue;
      this.missing.add(name);
      const inForce = this.applied.get(name) as DesiredCluster;
      findings.push({
        cluster: name,
        revision: inForce.revision,
        type: 'Warning',
        reason: 'SourceDocumentMissing',
        message: `the document of cluster ${name} (${inForce.origin}) is gone from the source at revision ${snapshot.revision}; revision ${inForce.revision} stays in force (deleting a cluster needs an explicit spec field)`,
      });
    }
    return { changed: [...changed].sort(), findings };
  }

  private parse(snapshot: SourceSnapshot): Entry[] {
    const entries: Entry[] = [];
    for (const doc of snapshot.documents) {
      const results = parseClusterText(doc.text, doc.origin);
      for (const r of results) {
        const slot = `${doc.origin}#${r.index}`;
        const name = r.cluster?.metadata.name ?? guessName(doc.text, r.index) ?? this.slots.get(slot);
        const where = results.length > 1 ? `${doc.origin} (document ${r.index + 1})` : doc.origin;
        entries.push({
          name,
          slot,
          origin: where,
          revision: doc.revision,
          ...(r.cluster ? { cluster: r.cluster } : {}),
          problems: r.problems.map((p) => formatProblem(p, doc.origin)),
          errors: r.problems.filter((p) => p.severity === 'error').map((p) => formatProblem(p, doc.origin)),
        });
      }
    }
    return entries;
  }

  private markDuplicates(entries: Entry[]): void {
    const byName = new Map<string, Entry[]>();
    for (const e of entries) if (e.name !== undefined) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
    for (const [name, list] of byName) {
      if (list.length < 2) continue;
      const where = list.map((e) => e.origin).join(', ');
      for (const e of list) {
        const problem = `cluster ${name} is defined by ${list.length} documents (${where}); keep exactly one`;
        e.errors.push(problem);
        e.problems.push(problem);
      }
    }
  }

  private accept(e: Entry, cluster: Neo4jCluster, changed: Set<string>, findings: Finding[]): void {
    const name = e.name as string;
    const digest = specDigest(cluster);
    const prev = this.applied.get(name);
    const prevAttempt = this.attempts.get(name);
    this.attempts.set(name, { revision: e.revision, origin: e.origin, valid: true, problems: e.problems });
    this.reportedInvalid.delete(e.slot);
    if (prev && prev.revision === e.revision && prev.digest === digest && prevAttempt?.valid) return;
    this.applied.set(name, { name, cluster, revision: e.revision, origin: e.origin, digest });
    changed.add(name);
    const what = !prev ? 'new cluster' : prev.digest === digest ? 'spec unchanged' : 'spec changed';
    findings.push({
      cluster: name,
      revision: e.revision,
      type: 'Normal',
      reason: 'NewRevision',
      message: `revision ${e.revision} of ${e.origin} accepted (${what}${prev ? `; was ${prev.revision}` : ''})`,
    });
    if (e.problems.length > 0)
      findings.push({
        cluster: name,
        revision: e.revision,
        type: 'Warning',
        reason: 'SpecWarnings',
        message: `revision ${e.revision} of ${e.origin} has warnings: ${problemList(e.problems)}`,
      });
  }

  private reject(e: Entry, changed: Set<string>, findings: Finding[]): void {
    const alreadyReported =
      this.reportedInvalid.get(e.slot) === e.revision &&
      (e.name === undefined || this.attempts.get(e.name)?.revision === e.revision);
    if (alreadyReported) return;
    this.reportedInvalid.set(e.slot, e.revision);
    const duplicate = e.errors.some((p) => p.startsWith('cluster ') && p.includes(' is defined by '));
    if (e.name !== undefined) {
      this.attempts.set(e.name, {
        revision: e.revision,
        origin: e.origin,
        valid: false,
        problems: e.problems,
      });
      changed.add(e.name);
    }
    const inForce = e.name !== undefined ? this.applied.get(e.name) : undefined;
    const keeps = inForce
      ? `revision ${inForce.revision} stays in force`
      : 'no valid revision of this cluster has been seen, so nothing is applied';
    findings.push({
      cluster: e.name ?? '',
      revision: e.revision,
      type: 'Warning',
      reason: duplicate ? 'DuplicateCluster' : 'InvalidRevision',
      message: `revision ${e.revision} of ${e.origin} is invalid (${e.errors.length} problem${e.errors.length === 1 ? '' : 's'}); ${keeps}: ${problemList(e.errors)}`,
    });
  }
}
