/**
 * Status per cluster: computed from a pass (pure `computeStatus`), written to S3 beside the spec
 * (`<folder>status/<cluster>.json`) only when it changed, with conditional writes so two writers cannot
 * silently overwrite each other, and kept in memory for `/status`.
 */
import type { ObjectStore } from '../aws/object-store.js';
import { RetryableError } from '../model/errors.js';
import type { ReconcileError } from '../model/errors.js';
import type {
  Condition,
  ConditionStatus,
  ConditionType,
  ClusterStatus,
  MemberStatus,
  Phase,
  RollStatus,
} from '../model/status.js';
import { STATUS_API_VERSION, STATUS_KIND } from '../model/status.js';
import type { ExecutedAction, Hold } from '../reconcilers/types.js';
import type { Attempt, DesiredCluster } from './desired.js';
import { canonicalJson } from './desired.js';

export interface PassSummary {
  actions: ExecutedAction[];
  holds: Hold[];
  /** Undefined when the pass did not get as far as observing. */
  members?: MemberStatus[];
  /** The roll in progress, when the topology concern saw one (src/reconcilers/roll). */
  roll?: RollStatus;
  error?: ReconcileError;
}

export interface StatusInput {
  name: string;
  prev: ClusterStatus | undefined;
  desired: DesiredCluster | undefined;
  attempt: Attempt | undefined;
  pass: PassSummary;
  holder: string;
  generation: number;
  now: number;
}

type Cond = Omit<Condition, 'lastTransitionTime'>;

const cond = (type: ConditionType, status: ConditionStatus, reason: string, message: string): Cond => ({
  type,
  status,
  reason,
  message,
});

function conditionsFor(i: StatusInput): { phase: Phase; conditions: Cond[] } {
  const { desired, attempt, pass } = i;
  const err = pass.error;
  const invalidLatest = attempt !== undefined && !attempt.valid;
  const invalidMsg = invalidLatest
    ? `revision ${attempt.revision} is invalid: ${attempt.problems.filter((p) => p.includes(' error ')).join('; ') || attempt.problems.join('; ')}`
    : '';
  if (!desired)
    return {
      phase: 'Invalid',
      conditions: [
        cond(
          'Ready',
          'False',
          'InvalidRevision',
          invalidMsg || 'no valid revision of this cluster has been seen',
        ),
        cond('Progressing', 'False', 'InvalidRevision', 'nothing to apply until a valid revision arrives'),
        cond('Degraded', 'True', 'InvalidRevision', invalidMsg || 'no valid revision'),
      ],
    };
  if (err) {
    const terminal = err.kind === 'fatal' || err.kind === 'invalid';
    return {
      phase: err.kind === 'fatal' ? 'Failed' : err.kind === 'invalid' ? 'Invalid' : 'Degraded',
      conditions: [
        cond('Ready', 'False', err.reason, err.message),
        terminal
          ? cond('Progressing', 'False', err.reason, 'stopped until the input changes')
          : cond('Progressing', 'True', 'ProgressingWithRetry', `retrying after: ${err.message}`),
        cond('Degraded', 'True', err.reason, err.message),
      ],
    };
  }
  const stuck = pass.holds.find((h) => h.kind === 'blocked' || h.kind === 'refused');
  const waiting = pass.holds.find((h) => h.kind === 'wait');
  const acted = pass.actions[0];
  const progressing = acted
    ? cond(
        'Progressing',
        'True',
        acted.reason,
        `${pass.actions.length} action(s) taken: ${pass.actions.map((a) => a.type).join(', ')}`,
      )
    : waiting
      ? cond('Progressing', 'True', waiting.reason, waiting.message)
      : cond('Progressing', 'False', 'ReconciliationSucceeded', `revision ${desired.revision} is applied`);
  const degraded = invalidLatest
    ? cond(
        'Degraded',
        'True',
        'InvalidRevision',
        `${invalidMsg}; revision ${desired.revision} stays in force`,
      )
    : stuck
      ? cond('Degraded', 'True', stuck.reason, stuck.message)
      : cond('Degraded', 'False', 'AsExpected', 'no problem found');
  const ready =
    degraded.status === 'True'
      ? cond('Ready', 'False', degraded.reason, degraded.message)
      : progressing.status === 'True'
        ? cond('Ready', 'False', 'Progressing', progressing.message)
        : cond(
            'Ready',
            'True',
            'ReconciliationSucceeded',
            `revision ${desired.revision} is applied and the world matches it`,
          );
  const phase: Phase =
    ready.status === 'True' ? 'Ready' : degraded.status === 'True' ? 'Degraded' : 'Reconciling';
  return { phase, conditions: [ready, progressing, degraded] };
}

/** Generation, digest, source and revisions of a new status. */
function revisions(
  i: StatusInput,
): Pick<
  ClusterStatus,
  'observedGeneration' | 'specDigest' | 'source' | 'lastAttemptedRevision' | 'lastAppliedRevision'
> {
  const prevGen = i.prev?.observedGeneration ?? 0;
  const digest = i.desired?.digest ?? i.prev?.specDigest;
  const changed = i.desired !== undefined && i.desired.digest !== i.prev?.specDigest;
  const appliedNow = i.desired !== undefined && i.pass.error === undefined;
  const lastApplied = appliedNow ? i.desired?.revision : i.prev?.lastAppliedRevision;
  const source = i.desired?.origin ?? i.attempt?.origin;
  const out: Pick<
    ClusterStatus,
    'observedGeneration' | 'specDigest' | 'source' | 'lastAttemptedRevision' | 'lastAppliedRevision'
  > = {
    observedGeneration: changed ? prevGen + 1 : prevGen,
  };
  if (digest !== undefined) out.specDigest = digest;
  if (source !== undefined) out.source = source;
  if (i.attempt) out.lastAttemptedRevision = i.attempt.revision;
  if (lastApplied !== undefined) out.lastAppliedRevision = lastApplied;
  return out;
}

/** The status after a pass. Transition times carry over from `prev` for conditions that did not change. */
export function computeStatus(i: StatusInput): ClusterStatus {
  const { phase, conditions } = conditionsFor(i);
  const nowIso = new Date(i.now).toISOString();
  const stamped: Condition[] = conditions.map((c) => {
    const before = i.prev?.conditions.find((p) => p.type === c.type);
    const same =
      before && before.status === c.status && before.reason === c.reason && before.message === c.message;
    return { ...c, lastTransitionTime: same ? before.lastTransitionTime : nowIso };
  });
  const err = i.pass.error;
  return {
    apiVersion: STATUS_API_VERSION,
    kind: STATUS_KIND,
    cluster: i.name,
    phase,
    ...revisions(i),
    conditions: stamped,
    members: i.pass.members ?? i.prev?.members ?? [],
    lease: { holder: i.holder, generation: i.generation },
    ...(err ? { lastError: { kind: err.kind, reason: err.reason, message: err.message } } : {}),
    // A pass that failed before the roll was planned keeps the last roll section; a finished pass
    // without one means no roll is in progress.
    ...(i.pass.roll ? { roll: i.pass.roll } : err && i.prev?.roll ? { roll: i.prev.roll } : {}),
    updatedAt: nowIso,
  };
}

/** The part of a status that decides whether it changed (everything but updatedAt). */
export function statusFingerprint(s: ClusterStatus): string {
  const { updatedAt: _u, ...rest } = s;
  return canonicalJson(rest);
}

interface Written {
  etag?: string;
  fingerprint?: string;
  status?: ClusterStatus;
  loaded: boolean;
}

export interface StatusStoreOptions {
  store: ObjectStore;
  bucket: string;
  folder: string;
}

/** Status in S3, written only when it changes; an in-memory board when there is no bucket. */
export class StatusBoard {
  private readonly written = new Map<string, Written>();
  /** Latest status per cluster, for HTTP. */
  private readonly latest = new Map<string, ClusterStatus>();

  constructor(private readonly s3?: StatusStoreOptions) {}

  key(cluster: string): string {
    return `${this.s3?.folder ?? ''}status/${cluster}.json`;
  }

  get(cluster: string): ClusterStatus | undefined {
    return this.latest.get(cluster) ?? this.written.get(cluster)?.status;
  }

  all(): ClusterStatus[] {
    return [...this.latest.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
  }

  /** The status last written (by anyone) for `cluster`: read once from S3, then remembered. */
  async previous(cluster: string, signal?: AbortSignal): Promise<ClusterStatus | undefined> {
    const w = this.written.get(cluster);
    if (w?.loaded || !this.s3) return w?.status;
    const res = await this.s3.store.get(this.s3.bucket, this.key(cluster), signal ? { signal } : {});
    const entry: Written = { loaded: true };
    if (res.status === 'ok') {
      entry.etag = res.etag;
      const parsed = parseStatus(res.body);
      if (parsed) {
        entry.status = parsed;
        entry.fingerprint = statusFingerprint(parsed);
      }
    }
    this.written.set(cluster, entry);
    return entry.status;
  }

  /** Forgets what was read, so the next `previous` reads S3 again (after a lease changes hands). */
  invalidate(cluster: string): void {
    this.written.delete(cluster);
  }

  /** Records the status; writes it to S3 when it differs from the last written. Returns whether it wrote. */
  async put(status: ClusterStatus, meta: Record<string, string>, signal?: AbortSignal): Promise<boolean> {
    this.latest.set(status.cluster, status);
    const fingerprint = statusFingerprint(status);
    const w = this.written.get(status.cluster) ?? { loaded: false };
    if (w.fingerprint === fingerprint) return false;
    if (!this.s3) {
      this.written.set(status.cluster, { ...w, fingerprint, status });
      return true;
    }
    const res = await this.s3.store.put(
      this.s3.bucket,
      this.key(status.cluster),
      `${JSON.stringify(status, null, 2)}\n`,
      {
        ...(w.etag !== undefined ? { ifMatch: w.etag } : w.loaded ? { ifNoneMatch: '*' as const } : {}),
        metadata: meta,
        contentType: 'application/json',
        ...(signal ? { signal } : {}),
      },
    );
    if (res.status !== 'ok') {
      this.invalidate(status.cluster);
      throw new RetryableError(
        'StatusConflict',
        `status/${status.cluster}.json changed under us (${res.status}); re-reading it`,
      );
    }
    this.written.set(status.cluster, { etag: res.etag, fingerprint, status, loaded: true });
    return true;
  }
}

export function parseStatus(text: string): ClusterStatus | undefined {
  try {
    const v = JSON.parse(text) as Partial<ClusterStatus>;
    if (v.kind !== STATUS_KIND || typeof v.cluster !== 'string' || !Array.isArray(v.conditions))
      return undefined;
    return v as ClusterStatus;
  } catch {
    return undefined;
  }
}
