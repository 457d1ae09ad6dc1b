/**
 * The Neo4j task image's entry point (deploy/neo4j-image/entrypoint.sh), run with bash against a tiny
 * loopback HTTP server serving recorded-shape ECS task metadata v4 (test/fixtures/ecs-metadata) and a
 * stub in place of the official entry point that records its environment and arguments: a primary
 * waits for the volume marker naming its volume, the advertised addresses come from the metadata,
 * what the task definition set wins, and every failure is a clear exit 1 within its timeout.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, requireTool, shellcheck } from './cfn.js';

const ENTRY = join(REPO, 'deploy/neo4j-image/entrypoint.sh');
const FIXTURES = join(REPO, 'test/fixtures/ecs-metadata');
const VOL = 'vol-0123456789abcdef0';

let server: Server;
let base: string;
let dir: string;
let n = 0;
const served: string[] = [];

/** `/v4/<fixture>/task` answers test/fixtures/ecs-metadata/<fixture>.json; anything else 404. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'neo4j-entrypoint-'));
  server = createServer((req, res) => {
    served.push(req.url ?? '');
    const m = /^\/v4\/([\w-]+)\/task$/.exec(req.url ?? '');
    const file = m ? join(FIXTURES, `${m[1]}.json`) : '';
    if (!m || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

interface Case {
  data: string;
  out: string;
  env: Record<string, string>;
}

/** A data dir, a stub official entry point writing `env` and `$@` to `out`, and the environment. */
function setup(fixture: string, extra: Record<string, string> = {}): Case {
  const c = join(dir, `case-${++n}`);
  const data = join(c, 'data');
  mkdirSync(data, { recursive: true });
  const out = join(c, 'official.out');
  const official = join(c, 'official.sh');
  writeFileSync(
    official,
    `#!/usr/bin/env bash\n{ printf 'ARGS %s\\n' "$*"; env | grep '^NEO4J_' | sort; } > '${out}'\n`,
  );
  chmodSync(official, 0o755);
  return {
    data,
    out,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      ECS_CONTAINER_METADATA_URI_V4: `${base}/v4/${fixture}`,
      NEO4J_ECS_DATA_DIR: data,
      NEO4J_ECS_OFFICIAL_ENTRYPOINT: official,
      NEO4J_ECS_POLL_INTERVAL: '1',
      NEO4J_ECS_MARKER_TIMEOUT: '3',
      NEO4J_ECS_METADATA_TIMEOUT: '1',
      ...extra,
    },
  };
}

function run(c: Case, args: string[] = ['neo4j']): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [ENTRY, ...args], { env: c.env, timeout: 30_000 }, (err, _o, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }),
    );
  });
}

function officialEnv(c: Case): Record<string, string> {
  const lines = readFileSync(c.out, 'utf8').trim().split('\n');
  return Object.fromEntries(
    lines.slice(1).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

it('passes shellcheck', () => {
  const tool = requireTool('shellcheck', shellcheck());
  if (!tool) return;
  expect(() => execFileSync(tool, [ENTRY], { encoding: 'utf8' })).not.toThrow();
});

describe('a primary', () => {
  it('starts once the marker names its volume: advertised addresses from the task metadata, then the official entry point with the arguments', async () => {
    const c = setup('task-awsvpc-ec2', {
      NEO4J_ECS_VOLUME_ID: VOL,
      NEO4J_ECS_MEMBER: 'graph-minimal-primary-1',
    });
    writeFileSync(join(c.data, '.neo4j-ecs-mounted'), `${VOL}\n`);
    const r = await run(c, ['neo4j', 'console']);
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining('task address 10.0.1.57') as string]);
    expect(readFileSync(c.out, 'utf8').split('\n')[0]).toBe('ARGS neo4j console');
    expect(officialEnv(c)).toMatchObject({
      NEO4J_server_default__advertised__address: '10.0.1.57',
      NEO4J_server_default__listen__address: '0.0.0.0',
      NEO4J_server_cluster_advertised__address: '10.0.1.57:6000',
      NEO4J_server_cluster_raft_advertised__address: '10.0.1.57:7000',
      NEO4J_server_routing_advertised__address: '10.0.1.57:7688',
      NEO4J_server_bolt_advertised__address: '10.0.1.57:7687',
      NEO4J_server_backup_listen__address: '10.0.1.57:6362',
      NEO4J_ECS_VOLUME_ID: VOL,
    });
    expect(served).toContain('/v4/task-awsvpc-ec2/task');
  });

  it('waits for the marker the host agent writes after mounting', async () => {
    const c = setup('task-awsvpc-ec2', { NEO4J_ECS_VOLUME_ID: VOL });
    const pending = run(c);
    await new Promise((r) => setTimeout(r, 1200));
    expect(existsSync(c.out)).toBe(false);
    writeFileSync(join(c.data, '.neo4j-ecs-mounted'), `${VOL}\n`);
    const r = await pending;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`waiting for volume ${VOL}`);
    expect(existsSync(c.out)).toBe(true);
  });

  it('refuses to start on another volume', async () => {
    const c = setup('task-awsvpc-ec2', { NEO4J_ECS_VOLUME_ID: VOL, NEO4J_ECS_MARKER_TIMEOUT: '1' });
    writeFileSync(join(c.data, '.neo4j-ecs-mounted'), 'vol-0fffffffffffffff0\n');
    const r = await run(c);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `names vol-0fffffffffffffff0, not ${VOL}: refusing to start on another volume`,
    );
    expect(existsSync(c.out)).toBe(false);
  });

  it('fails clearly when the volume is never mounted', async () => {
    const c = setup('task-awsvpc-ec2', { NEO4J_ECS_VOLUME_ID: VOL, NEO4J_ECS_MARKER_TIMEOUT: '1' });
    const r = await run(c);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `volume ${VOL} not mounted at ${c.data} within 1s (is the host volume agent running?)`,
    );
    expect(existsSync(c.out)).toBe(false);
  });

  it('rejects a malformed volume id', async () => {
    const c = setup('task-awsvpc-ec2', { NEO4J_ECS_VOLUME_ID: '../etc' });
    const r = await run(c);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a volume id');
  });
});

describe('any member', () => {
  it('a secondary (no volume id) does not wait, and what the task definition set wins', async () => {
    const c = setup('task-awsvpc-ec2', {
      NEO4J_server_routing_advertised__address: 'graph.example.com:7688',
    });
    const r = await run(c);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('waiting for volume');
    expect(officialEnv(c)).toMatchObject({
      NEO4J_server_routing_advertised__address: 'graph.example.com:7688',
      NEO4J_server_cluster_advertised__address: '10.0.1.57:6000',
    });
  });

  it('fails clearly when the metadata has no address yet (after its timeout), or is not there', async () => {
    const pending = setup('task-pending-no-network');
    const a = await run(pending);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('no IPv4 address in the task metadata');
    const missing = setup('no-such-task');
    const b = await run(missing);
    expect(b.code).toBe(1);
    expect(existsSync(missing.out)).toBe(false);
  });

  it('fails clearly outside ECS', async () => {
    const c = setup('task-awsvpc-ec2');
    delete c.env['ECS_CONTAINER_METADATA_URI_V4'];
    const r = await run(c);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ECS_CONTAINER_METADATA_URI_V4 is not set');
  });
});
