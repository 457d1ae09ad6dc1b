/**
 * The launcher of the real Neo4j test server (test/neo4j-server), run directly: bad input is refused
 * with a clear message and exit code 2; the READY line carries the bound Bolt address; Bolt accepts only
 * the password from the environment; and the server exits, removing the temp home it made, when its
 * stdin closes, so it never outlives the process that started it.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import neo4j from 'neo4j-driver';
import {
  describeWithRealNeo4j,
  freeLoopbackPort,
  javaCommand,
  READY_PREFIX,
  REAL_NEO4J_JAR,
} from '../helpers/real-neo4j.js';

const JVM = ['-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-jar', REAL_NEO4J_JAR];

function runLauncher(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stderr: string } {
  const r = spawnSync(javaCommand(), [...JVM, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NEO4J_TEST_PASSWORD: 'long-enough-password', ...env },
    input: '',
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describeWithRealNeo4j('the Neo4j test server launcher', () => {
  it.each([
    [['--bolt-host', '10.1.2.3'], {}, /must be a loopback address, got 10\.1\.2\.3/],
    [['--bolt-port', 'seventy'], {}, /not a valid port: seventy/],
    [['--bolt-port', '70000'], {}, /not a valid port: 70000/],
    [['--bolt-port'], {}, /--bolt-port needs a value/],
    [['--frobnicate'], {}, /unknown argument: --frobnicate/],
    [[], { NEO4J_TEST_PASSWORD: 'short' }, /NEO4J_TEST_PASSWORD must have at least 8 characters/],
  ])('refuses %j %j with a clear message and exit code 2', (args, env, message) => {
    const { status, stderr } = runLauncher(args, env);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('exits with code 3 and a PORT_IN_USE line when the Bolt port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res));
    const { port } = blocker.address() as AddressInfo;
    try {
      const { status, stderr } = runLauncher(['--bolt-port', String(port)]);
      expect(status).toBe(3);
      expect(stderr.trimEnd().split('\n').at(-1)).toMatch(
        /^neo4j-test-server: PORT_IN_USE .*Address already in use/,
      );
    } finally {
      await new Promise((res) => blocker.close(res));
    }
  }, 90_000);

  describe('a running launcher', () => {
    const password = 'launcher-test-password';
    let child: ChildProcessWithoutNullStreams | undefined;
    let exited: Promise<number | null> | undefined;
    let ready: Record<string, unknown> = {};
    let port = 0;

    beforeAll(async () => {
      port = await freeLoopbackPort();
      child = spawn(javaCommand(), [...JVM, '--bolt-host', '127.0.0.1', '--bolt-port', String(port)], {
        env: { ...process.env, NEO4J_TEST_PASSWORD: password },
      });
      const proc = child;
      exited = new Promise((res) => proc.once('exit', (code) => res(code)));
      const stderr: string[] = [];
      createInterface({ input: proc.stderr }).on('line', (l) => stderr.push(l));
      ready = await new Promise((res, rej) => {
        const timer = setTimeout(
          () => rej(new Error(`no READY line in 120 s:\n${stderr.join('\n')}`)),
          120_000,
        );
        proc.once('exit', () => {
          clearTimeout(timer);
          rej(new Error(`launcher exited before READY:\n${stderr.join('\n')}`));
        });
        createInterface({ input: proc.stdout }).on('line', (line) => {
          if (!line.startsWith(READY_PREFIX)) return;
          clearTimeout(timer);
          res(JSON.parse(line.slice(READY_PREFIX.length)) as Record<string, unknown>);
        });
      });
    }, 150_000);

    afterAll(async () => {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }, 30_000);

    it('prints one READY line with the bound Bolt address, version and edition, never the password', () => {
      expect(ready).toMatchObject({
        bolt: `bolt://127.0.0.1:${port}`,
        host: '127.0.0.1',
        port,
        edition: 'community',
        user: 'neo4j',
      });
      expect(ready['version']).toMatch(/^5\.26\.\d+$/);
      expect(ready['boltProtocol']).toMatch(/^5\.\d+$/);
      expect(JSON.stringify(ready)).not.toContain(password);
    });

    it('accepts the password from the environment, and only that one', async () => {
      const good = neo4j.driver(`bolt://127.0.0.1:${port}`, neo4j.auth.basic('neo4j', password));
      const bad = neo4j.driver(`bolt://127.0.0.1:${port}`, neo4j.auth.basic('neo4j', 'neo4j'));
      try {
        await expect(good.getServerInfo()).resolves.toMatchObject({
          agent: expect.stringMatching(/^Neo4j\/5\.26\./),
        });
        await expect(bad.verifyConnectivity()).rejects.toMatchObject({
          code: 'Neo.ClientError.Security.Unauthorized',
        });
      } finally {
        await good.close();
        await bad.close();
      }
    });

    it('exits with code 0 when its stdin closes, removing the temp home it made', async () => {
      const home = String(ready['home']);
      expect(existsSync(home)).toBe(true);
      child!.stdin.end();
      let timer: NodeJS.Timeout | undefined;
      const bounded = new Promise<string>(
        (res) => (timer = setTimeout(() => res('still running after 30 s'), 30_000)),
      );
      const outcome = await Promise.race([exited!, bounded]);
      clearTimeout(timer);
      expect(outcome).toBe(0);
      expect(existsSync(home)).toBe(false);
    }, 40_000);
  });
});
