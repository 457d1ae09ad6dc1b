/**
 * `neo4j-ecs probe` and `neo4j-ecs twin neo4j` as command objects (commander parseAsync with an
 * injected output), against simulated clusters.
 */
import net from 'node:net';
import { VirtualClock } from '../../twin/core/clock.js';
import { startCluster } from '../../twin/neo4j/index.js';
import type { SimCluster } from '../../twin/neo4j/index.js';
import { probeCommand } from '../../src/cli/commands/probe.js';
import { twinNeo4jCommand } from '../../src/cli/commands/twin-neo4j.js';
import type { CliIo } from '../../src/cli/commands/cli-io.js';
import type { ClusterView } from '../../src/neo4j/index.js';

function capture(): CliIo & { stdout: string[]; stderr: string[]; code: number | null } {
  const io = {
    stdout: [] as string[],
    stderr: [] as string[],
    code: null as number | null,
    out: (l: string) => io.stdout.push(l),
    err: (l: string) => io.stderr.push(l),
    setExitCode: (c: number) => {
      io.code = c;
    },
  };
  return io;
}

async function runProbe(
  args: string[],
  deps: Parameters<typeof probeCommand>[0] = {},
): Promise<ReturnType<typeof capture>> {
  const io = capture();
  const cmd = probeCommand({ io, env: {}, ...deps });
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: () => undefined });
  await cmd.parseAsync(args, { from: 'user' });
  return io;
}

describe('neo4j-ecs probe', () => {
  let cluster: SimCluster;
  const PASSWORD = 'cli-secret';

  beforeAll(async () => {
    cluster = await startCluster({
      primaries: 3,
      secondaries: 1,
      databases: ['movies'],
      password: PASSWORD,
      port: 0,
      clock: new VirtualClock({ mode: 'manual' }),
    });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('prints the leaders, roles, versions and the health gate as a table', async () => {
    const io = await runProbe([
      ...cluster.members.map((m) => m.boltUrl),
      '--password',
      PASSWORD,
      '--timeout',
      '3000',
    ]);
    const text = io.stdout.join('\n');
    expect(io.code).toBe(0);
    expect(text).toMatch(/^MEMBER\s+ROLE\s+VERSION\s+HEALTH\s+STATE\s+CAUGHT-UP\s+NOTES$/m);
    const leader = cluster.member(cluster.leaders().movies as string);
    expect(text).toMatch(new RegExp(`^movies\\s+${leader.address.replace(/\./g, '\\.')}`, 'm'));
    expect(text).toMatch(
      new RegExp(
        `^${cluster.member('secondary-1').boltUrl.replace(/\./g, '\\.')}\\s+secondary\\s+5\\.26\\.0\\s+healthy`,
        'm',
      ),
    );
    expect(text).toContain('Health gate: ok');
    expect(text).toContain('Cluster: healthy');
    expect(text).not.toContain(PASSWORD);
  });

  it('prints the ClusterView as JSON', async () => {
    const io = await runProbe([cluster.members[0]!.boltUrl, '--password', PASSWORD, '--json']);
    const view = JSON.parse(io.stdout.join('\n')) as ClusterView;
    expect(view.leaders.movies).toBe(cluster.member(cluster.leaders().movies as string).address);
    expect(view.members).toHaveLength(1);
    expect(io.code).toBe(0);
  });

  it('says "wrong user or password" and exits 2', async () => {
    const io = await runProbe([cluster.members[0]!.boltUrl, '--password', 'nope-nope']);
    expect(io.code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(
      /error: authentication failed at .*: wrong user or password for 'neo4j'/,
    );
    expect(io.stdout.join('\n')).not.toContain('nope-nope');
  });

  it('reads the credentials from a secret', async () => {
    const seen: string[] = [];
    const io = await runProbe(
      [cluster.members[0]!.boltUrl, '--secret-arn', 'arn:aws:secretsmanager:us-east-1:1:secret:neo4j'],
      {
        secrets: () => ({
          getSecretString: (id) => {
            seen.push(id);
            return Promise.resolve(JSON.stringify({ username: 'neo4j', password: PASSWORD }));
          },
        }),
      },
    );
    expect(seen).toEqual(['arn:aws:secretsmanager:us-east-1:1:secret:neo4j']);
    expect(io.code).toBe(0);
  });

  it('reports an unreachable member and a missing password clearly', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const io = await runProbe([
      `bolt://127.0.0.1:${port}`,
      cluster.members[0]!.boltUrl,
      '--password',
      PASSWORD,
    ]);
    expect(io.code).toBe(1);
    expect(io.stdout.join('\n')).toMatch(
      new RegExp(
        `bolt://127\\.0\\.0\\.1:${port}: cannot reach Neo4j at 127\\.0\\.0\\.1:${port}: connection refused`,
      ),
    );
    const none = await runProbe([cluster.members[0]!.boltUrl]);
    expect(none.code).toBe(2);
    expect(none.stderr.join('\n')).toMatch(/no password/);
    const both = await runProbe([cluster.members[0]!.boltUrl, '--password', 'a', '--secret-arn', 'b']);
    expect(both.stderr.join('\n')).toMatch(/either --password or --secret-arn/);
  });

  it('rejects a bad timeout through commander', async () => {
    await expect(
      runProbe([cluster.members[0]!.boltUrl, '--password', PASSWORD, '--timeout', '-3']),
    ).rejects.toThrow(/positive whole number/);
  });
});

describe('neo4j-ecs probe against Community', () => {
  it('explains that clustering needs Enterprise and exits 2', async () => {
    const c = await startCluster({
      primaries: 1,
      edition: 'community',
      password: 'community-pw',
      port: 0,
      clock: new VirtualClock({ mode: 'manual' }),
    });
    try {
      const io = await runProbe([c.members[0]!.boltUrl, '--password', 'community-pw']);
      expect(io.code).toBe(2);
      expect(io.stderr.join('\n')).toMatch(/Community Edition: clustering needs Enterprise Edition/);
    } finally {
      await c.stop();
    }
  });
});

describe('neo4j-ecs twin neo4j', () => {
  it('starts a cluster, prints one line per member, and stops when told', async () => {
    const io = capture();
    let seen: SimCluster | null = null;
    const cmd = twinNeo4jCommand({
      io,
      env: {},
      until: async (c) => {
        seen = c;
        // While it runs, the printed URLs answer Bolt.
        const view = await runProbe([...c.members.map((m) => m.boltUrl), '--password', 'twin-pw', '--json']);
        expect(view.code).toBe(0);
      },
    });
    cmd.exitOverride();
    await cmd.parseAsync(
      [
        '--primaries',
        '3',
        '--secondaries',
        '2',
        '--databases',
        'movies,social',
        '--password',
        'twin-pw',
        '--seed',
        '3',
        '--port',
        '0',
      ],
      {
        from: 'user',
      },
    );
    expect(io.stdout).toHaveLength(5);
    for (const line of io.stdout)
      expect(line).toMatch(/^(primary|secondary)-\d (primary|secondary) bolt:\/\/127\.\d+\.\d+\.\d+:\d+$/);
    expect(io.stdout.filter((l) => / primary /.test(l))).toHaveLength(3);
    expect(seen).not.toBeNull();
    expect(seen!.member('primary-1').state).toBe('stopped');
  });

  it('refuses to start without a password', async () => {
    const io = capture();
    const cmd = twinNeo4jCommand({ io, env: {}, until: () => Promise.resolve() });
    cmd.exitOverride();
    await cmd.parseAsync(['--primaries', '1'], { from: 'user' });
    expect(io.code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--password/);
  });

  it('rejects nonsense counts', async () => {
    const cmd = twinNeo4jCommand({ io: capture(), env: {}, until: () => Promise.resolve() });
    cmd.exitOverride();
    cmd.configureOutput({ writeErr: () => undefined });
    await expect(
      cmd.parseAsync(['--primaries', 'three', '--password', 'x'], { from: 'user' }),
    ).rejects.toThrow(/whole number/);
  });
});
