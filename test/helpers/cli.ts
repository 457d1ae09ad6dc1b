/**
 * Runs the built CLI (dist/src/cli/main.js) as a child process, the way a user runs it. The first call
 * in a test process builds dist/ with tsc when it is missing or older than the sources, so
 * `npm ci && npm test` works on a fresh clone.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const CLI = join(REPO, 'dist/src/cli/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

let built = false;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` holding a lock directory, so parallel jest workers never run tsc over dist/ at once. */
function withBuildLock(fn: () => void): void {
  const lock = join(REPO, 'dist.build-lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the deadline is a crashed worker's: take it over.
      if (Date.now() > deadline) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      sleepSync(200);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function isStale(): boolean {
  return (
    !existsSync(CLI) ||
    statSync(CLI).mtimeMs < Math.max(newestMtime(join(REPO, 'src')), newestMtime(join(REPO, 'twin')))
  );
}

/** Builds dist/ if it is missing or stale. Type errors do not stop the emit; `npm run typecheck` gates them. */
export function ensureBuilt(): void {
  if (built) return;
  if (isStale()) {
    withBuildLock(() => {
      if (!isStale()) return; // another worker built it while we waited
      try {
        execFileSync(
          process.execPath,
          [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
          {
            cwd: REPO,
            stdio: 'pipe',
          },
        );
      } catch {
        // tsc exits non-zero on type errors but still emits; the check below decides.
      }
    });
  }
  if (!existsSync(CLI)) throw new Error(`build did not produce ${CLI}`);
  built = true;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `neo4j-ecs ...args`, bounded by `timeoutMs` (killed after it). */
export function runCli(
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  ensureBuilt();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}
