/**
 * `--state-dir` persistence: the twin writes every module's `snapshot()` (and the virtual time) to one
 * JSON file in the directory, on stop and periodically, and restores it on start. Writes are atomic
 * (temp file + rename), so a crash leaves the previous state intact. What survives depends on each
 * module's snapshot/restore: the data services keep everything; the compute simulation re-arms its own
 * timers in `restore` (see docs/twin/compute.md).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STATE_FILE = 'aws-twin-state.json';
export const STATE_FORMAT = 'neo4j-ecs-operator/aws-twin-state';

export interface PersistedState {
  format: typeof STATE_FORMAT;
  version: 1;
  /** Virtual epoch ms when saved; the clock resumes from here. */
  savedAt: number;
  region: string;
  accountId: string;
  /** Data service snapshots by service name (s3, monitoring, logs, secretsmanager). */
  services: Record<string, unknown>;
  compute: unknown;
}

export class StateFileError extends Error {}

export function loadState(dir: string): PersistedState | undefined {
  const file = join(dir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw new StateFileError(`cannot read twin state ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new StateFileError(`twin state ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const s = parsed as Partial<PersistedState> | null;
  if (typeof s !== 'object' || s === null || s.format !== STATE_FORMAT || s.version !== 1) {
    throw new StateFileError(`${file} is not a twin state file (format ${STATE_FORMAT}, version 1)`);
  }
  if (typeof s.savedAt !== 'number' || typeof s.services !== 'object' || s.services === null) {
    throw new StateFileError(`twin state ${file} is incomplete (savedAt, services)`);
  }
  return s as PersistedState;
}

export function saveState(dir: string, state: PersistedState): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}

/** Saves periodically (real time) and on demand. */
export class Persister {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly collect: () => PersistedState,
    private readonly onError: (e: unknown) => void = (e) =>
      console.error('[aws-twin] saving state failed:', e),
  ) {}

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      try {
        this.saveNow();
      } catch (e) {
        this.onError(e);
      }
    }, intervalMs);
    this.timer.unref();
  }

  saveNow(): void {
    saveState(this.dir, this.collect());
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
