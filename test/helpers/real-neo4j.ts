/**
 * Starts and stops the real, embedded Neo4j 5.26 Community server (test/neo4j-server, built by
 * .ci/neo4j-server.sh) for the contract tests. The server listens for Bolt on a free 127.0.0.1 port,
 * has auth on with a known password, keeps its data in a temp dir, and never outlives the test process:
 * it exits when its stdin pipe closes.
 *
 * `describeWithRealNeo4j` is the guard every contract suite uses: without Java or the built jar it fails
 * loudly in CI (`CI=true`) and, on a developer machine, reports the reason in one visible test instead of
 * skipping silently.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in test/helpers/). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The launcher jar that .ci/neo4j-server.sh builds; its dependencies are in the sibling lib/. */
export const REAL_NEO4J_JAR = join(REPO_ROOT, 'test', 'neo4j-server', 'target', 'neo4j-test-server.jar');

/** The line prefix the launcher prints on stdout once Bolt accepts connections. */
export const READY_PREFIX = 'NEO4J_TEST_SERVER_READY ';

export interface RealNeo4j {
  /** `bolt://127.0.0.1:<port>` */
  boltUrl: string;
  /** `127.0.0.1:<port>`: what the server advertises, and so what SHOW DATABASES shows as `address`. */
  address: string;
  user: string;
  password: string;
  /** e.g. `5.26.30`, from `dbms.components()`. */
  version: string;
  /** `community`. */
  edition: string;
  /** The server's home and data directory (a temp dir, removed by `stop()`). */
  dataDir: string;
  /** Stops the server (SIGTERM, then SIGKILL after a bound) and removes its data directory. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRealNeo4jOptions {
  /** Initial password of `neo4j` (at least 8 characters). Default: a random one. */
  password?: string;
  /** How long to wait for the READY line. Default 120 s (a cold JVM on 2 busy cores). */
  startTimeoutMs?: number;
  /** JVM heap cap. Default `512m`. */
  heap?: string;
}

export interface Availability {
  available: boolean;
  why?: string;
}

/** Whether the real server can run here: Java on PATH and the launcher jar (default: the built one). */
export function realNeo4jAvailability(jar: string = REAL_NEO4J_JAR): Availability {
  const java = javaCommand();
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 20_000, env: process.env });
  if (probe.error !== undefined || probe.status !== 0) {
    const reason = probe.error !== undefined ? probe.error.message : `exit status ${String(probe.status)}`;
    return { available: false, why: `no usable Java (${java} -version failed: ${reason})` };
  }
  if (!existsSync(jar) || !existsSync(join(dirname(jar), 'lib'))) {
    return {
      available: false,
      why: 'the Neo4j test server is not built (run .ci/neo4j-server.sh, which needs Maven)',
    };
  }
  return { available: true };
}

/**
 * `describe` for suites that need the real server. When it is unavailable: in CI the suite has one
 * failing test naming the reason; elsewhere it prints one warning and has one passing test that records
 * the reason, so the skip is visible and never silent.
 */
export function describeWithRealNeo4j(title: string, body: () => void): void {
  const availability = realNeo4jAvailability();
  const mode = contractSuiteMode(availability, process.env);
  if (mode === 'run') {
    describe(title, body);
    return;
  }
  const why = availability.why ?? 'unknown reason';
  if (mode === 'fail') {
    describe(title, () => {
      it('needs the real Neo4j server, which CI must provide', () => {
        throw new Error(`real Neo4j is not available in CI: ${why}`);
      });
    });
    return;
  }
  console.warn(`[contract] ${title}: not run, ${why}`);
  describe(title, () => {
    it(`is not run on this machine: ${why}`, () => {
      expect(availability.available).toBe(false);
    });
  });
}

/** What a contract suite does: run; fail (unavailable in CI); or report why it cannot run here. */
export function contractSuiteMode(
  availability: Availability,
  env: Record<string, string | undefined>,
): 'run' | 'fail' | 'report' {
  if (availability.available) return 'run';
  return env['CI'] === 'true' ? 'fail' : 'report';
}

/** Starts the real server on a free loopback port and waits until Bolt accepts connections. */
export async function startRealNeo4j(opts: StartRealNeo4jOptions = {}): Promise<RealNeo4j> {
  const availability = realNeo4jAvailability();
  if (!availability.available) throw new Error(`cannot start real Neo4j: ${availability.why ?? ''}`);
  const password = opts.password ?? randomBytes(12).toString('base64url');
  if (password.length < 8) throw new Error('the Neo4j test server password needs at least 8 characters');
  // A free port can be taken between probing and binding (other suites run concurrently): retry then.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(await freeLoopbackPort(), password, opts);
    } catch (e) {
      if (!(e instanceof PortTakenError) || attempt >= 3) throw e;
    }
  }
}

class PortTakenError extends Error {}

const STDERR_TAIL_LINES = 40;
const STOP_GRACE_MS = 15_000;
const KILL_GRACE_MS = 5_000;

async function startOnce(port: number, password: string, opts: StartRealNeo4jOptions): Promise<RealNeo4j> {
  const home = mkdtempSync(join(tmpdir(), 'neo4j-contract-'));
  const host = '127.0.0.1';
  const child = spawn(
    javaCommand(),
    [
      `-Xmx${opts.heap ?? '512m'}`,
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-jar',
      REAL_NEO4J_JAR,
      '--bolt-host',
      host,
      '--bolt-port',
      String(port),
      '--data-dir',
      home,
    ],
    // The password travels in the environment, never on the command line.
    { env: { ...process.env, NEO4J_TEST_PASSWORD: password }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));

  let ready: Record<string, unknown>;
  try {
    ready = await waitForReady(child, opts.startTimeoutMs ?? 120_000, () => failureDetail(stderrTail, home));
  } catch (e) {
    await terminate(child, exited);
    rmSync(home, { recursive: true, force: true });
    // The launcher exits with 3 and says PORT_IN_USE when the Bolt port was taken meanwhile.
    const taken = child.exitCode === 3 || stderrTail.some((l) => l.includes('PORT_IN_USE'));
    if (taken) throw new PortTakenError(`port ${port} was taken`);
    throw e;
  }

  let stopping: Promise<void> | undefined;
  return {
    boltUrl: `bolt://${host}:${port}`,
    address: `${host}:${port}`,
    user: 'neo4j',
    password,
    version: typeof ready['version'] === 'string' ? ready['version'] : '',
    edition: typeof ready['edition'] === 'string' ? ready['edition'] : '',
    dataDir: home,
    stop(): Promise<void> {
      stopping ??= terminate(child, exited).then(() => rmSync(home, { recursive: true, force: true }));
      return stopping;
    },
  };
}

/** Resolves with the READY line's JSON; rejects on exit before it, or after the timeout. */
function waitForReady(
  child: ChildProcess,
  timeoutMs: number,
  detail: () => string,
): Promise<Record<string, unknown>> {
  return new Promise((res, rej) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      finish();
      rej(new Error(`the Neo4j test server was not ready within ${timeoutMs} ms${detail()}`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      finish();
      const how = signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
      rej(new Error(`the Neo4j test server exited (${how}) before it was ready${detail()}`));
    };
    const onError = (err: Error): void => {
      finish();
      rej(new Error(`could not run ${javaCommand()}: ${err.message}`));
    };
    const onLine = (line: string): void => {
      if (!line.startsWith(READY_PREFIX)) return;
      finish();
      try {
        res(JSON.parse(line.slice(READY_PREFIX.length)) as Record<string, unknown>);
      } catch {
        rej(new Error(`the Neo4j test server printed a malformed READY line: ${line}`));
      }
    };
    function finish(): void {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      lines.off('line', onLine);
    }
    child.on('exit', onExit);
    child.on('error', onError);
    lines.on('line', onLine);
  });
}

/** SIGTERM, then SIGKILL if it has not exited within a bound. */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await within(exited, STOP_GRACE_MS)) return;
  child.kill('SIGKILL');
  await within(exited, KILL_GRACE_MS);
}

async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function failureDetail(stderrTail: string[], home: string): string {
  let text = stderrTail.length > 0 ? `\n--- server stderr (tail) ---\n${stderrTail.join('\n')}` : '';
  const debugLog = join(home, 'logs', 'debug.log');
  if (existsSync(debugLog)) {
    const tail = readFileSync(debugLog, 'utf8').split('\n').slice(-20).join('\n');
    text += `\n--- debug.log (tail) ---\n${tail}`;
  }
  return text;
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? res(port) : rej(new Error('could not find a free loopback port'))));
    });
  });
}

/** `$JAVA_HOME/bin/java` when set, else `java` from PATH. */
export function javaCommand(): string {
  const home = process.env['JAVA_HOME'];
  if (home !== undefined && home !== '' && existsSync(join(home, 'bin', 'java')))
    return join(home, 'bin', 'java');
  return 'java';
}
