/**
 * probeCluster against simulated clusters (manual virtual clock, so elections happen exactly when
 * the test moves time): leaders per database, elections, store loss, health gate, and the errors an
 * operator must be able to read (wrong password, Community edition, unreachable, timeout).
 */
import net from 'node:net';
import { VirtualClock } from '../../twin/core/clock.js';
import { startCluster } from '../../twin/neo4j/index.js';
import type { SimCluster } from '../../twin/neo4j/index.js';
import { MemberConnection, probeCluster, setDefaultToReadOnly } from '../../src/neo4j/index.js';

const AUTH = { user: 'neo4j', password: 'probe-secret' };
const ELECTION_MS = 4000;

async function cluster3p2s(clock: VirtualClock): Promise<SimCluster> {
  return startCluster({
    primaries: 3,
    secondaries: 2,
    databases: ['movies', 'social'],
    password: AUTH.password,
    port: 0,
    clock,
    electionTimeoutMs: ELECTION_MS,
    leaderTransferMs: 300,
    startDelayMs: 1000,
    catchUpPerTxMs: 50,
    seed: 7,
  });
}

describe('probeCluster on a simulated 3P+2S cluster', () => {
  let clock: VirtualClock;
  let cluster: SimCluster;
  const seeds = (): string[] => cluster.members.map((m) => m.boltUrl);
  const addressOf = (name: string | null): string | null => (name ? cluster.member(name).address : null);

  beforeEach(async () => {
    clock = new VirtualClock({ mode: 'manual' });
    cluster = await cluster3p2s(clock);
  });
  afterEach(async () => {
    await cluster.stop();
  });

  it('returns the right leader of every database, and every member healthy', async () => {
    const view = await probeCluster(seeds(), AUTH, { timeoutMs: 3000 });
    expect(view.dialect).toBe('5.x');
    expect(view.unreachable).toEqual([]);
    expect(view.problems).toEqual([]);
    const expected = Object.fromEntries(
      Object.entries(cluster.leaders()).map(([db, m]) => [db, addressOf(m)]),
    );
    expect(view.leaders).toEqual(expected);
    expect(Object.keys(view.leaders).sort()).toEqual(['movies', 'neo4j', 'social', 'system']);
    for (const db of view.databases) {
      expect(db.leaderMember).toBe(cluster.member(cluster.leaders()[db.name] as string).boltUrl);
      expect(db.hosts).toHaveLength(5);
    }
    for (const m of view.members) {
      expect(m).toMatchObject({
        reachable: true,
        version: '5.26.0',
        edition: 'enterprise',
        serverState: 'Enabled',
        health: 'Available',
        healthy: true,
        caughtUp: true,
      });
      expect(m.store.lost).toBe(false);
      expect(m.readOnly).toBe(false);
    }
    const sec = view.members.find((m) => m.url === cluster.member('secondary-1').boltUrl)!;
    expect(sec.mode).toBe('secondary');
    expect(Object.values(sec.roles).every((r) => r === 'secondary')).toBe(true);
    const leaderOfMovies = view.members.find(
      (m) => m.url === view.databases.find((d) => d.name === 'movies')!.leaderMember,
    )!;
    expect(leaderOfMovies.roles.movies).toBe('leader');
    expect(view.healthGate).toMatchObject({ evaluated: true, ok: true });
    expect(view.healthy).toBe(true);
  });

  it('shows the new leader once the election time has passed after the leader stops', async () => {
    const old = cluster.leaders().social as string;
    await cluster.stopMember(old);
    const during = await probeCluster(seeds(), AUTH, { timeoutMs: 3000 });
    expect(during.leaders.social).toBeNull();
    expect(during.unreachable).toEqual([cluster.member(old).boltUrl]);
    const down = during.members.find((m) => m.url === cluster.member(old).boltUrl)!;
    expect(down).toMatchObject({ reachable: false, healthy: false, error: { kind: 'unreachable' } });
    expect(during.healthy).toBe(false);
    expect(during.healthGate.ok).toBe(false);
    await clock.advance(ELECTION_MS);
    const after = await probeCluster(seeds(), AUTH, { timeoutMs: 3000 });
    const next = cluster.leaders().social as string;
    expect(next).not.toBe(old);
    expect(after.leaders.social).toBe(cluster.member(next).address);
  });

  it('reports a member started on an empty volume as having lost its store', async () => {
    await cluster.stopMember('primary-3');
    await cluster.startMember('primary-3', { emptyVolume: true });
    await clock.advance(10_000);
    const view = await probeCluster(seeds(), AUTH, { timeoutMs: 3000 });
    const m = view.members.find((x) => x.url === cluster.member('primary-3').boltUrl)!;
    expect(m.reachable).toBe(true);
    expect(m.serverState).toBe('Free');
    expect(m.store.lost).toBe(true);
    expect(m.store.reason).toMatch(/empty data volume/);
    expect(view.healthy).toBe(false);
    for (const other of view.members.filter((x) => x !== m)) expect(other.store.lost).toBe(false);
  });

  it('detects a changed server id against the expected ids', async () => {
    const view = await probeCluster(seeds(), AUTH, {
      timeoutMs: 3000,
      expectedServerIds: { [cluster.member('primary-1').boltUrl]: '00000000-0000-4000-8000-000000000000' },
    });
    expect(view.members.find((m) => m.url === cluster.member('primary-1').boltUrl)?.store).toMatchObject({
      lost: true,
    });
  });

  it('holds the health gate closed while a restarted member catches up', async () => {
    const leader = cluster.leaders().movies as string;
    const follower = cluster.members.find((m) => m.mode === 'primary' && m.name !== leader)!.name;
    await cluster.stopMember(follower);
    const c = new MemberConnection(cluster.member(leader).boltUrl, AUTH);
    try {
      for (let i = 0; i < 10; i++) await c.rows('CREATE (:M {i: $i})', { i }, 'movies');
    } finally {
      await c.close();
    }
    await cluster.startMember(follower);
    const view = await probeCluster(seeds(), AUTH, { timeoutMs: 3000 });
    expect(view.healthGate.ok).toBe(false);
    expect(view.healthGate.databasesNotSettled.some((d) => d.currentStatus === 'starting')).toBe(true);
    const m = view.members.find((x) => x.url === cluster.member(follower).boltUrl)!;
    expect(m.caughtUp).toBe(false);
    await clock.advance(1000 + 10 * 50);
    const later = await probeCluster(seeds(), AUTH, { timeoutMs: 3000 });
    expect(later.healthGate.ok).toBe(true);
    expect(later.members.find((x) => x.url === m.url)?.caughtUp).toBe(true);
  });

  it('moves leaderships off a member made read-only (the lever) and shows it', async () => {
    const leader = cluster.leaders().movies as string;
    const c = new MemberConnection(cluster.member(leader).boltUrl, AUTH);
    try {
      await setDefaultToReadOnly(c, true);
    } finally {
      await c.close();
    }
    await clock.advance(300);
    const view = await probeCluster(seeds(), AUTH, { timeoutMs: 3000 });
    const m = view.members.find((x) => x.url === cluster.member(leader).boltUrl)!;
    expect(m.readOnly).toBe(true);
    for (const [db, role] of Object.entries(m.roles)) if (db !== 'system') expect(role).not.toBe('leader');
    expect(view.leaders.movies).not.toBe(cluster.member(leader).address);
  });

  it('records a wrong password on every member without throwing', async () => {
    const view = await probeCluster(
      seeds(),
      { user: 'neo4j', password: 'not-the-password' },
      { timeoutMs: 3000 },
    );
    for (const m of view.members) {
      expect(m.error).toMatchObject({ kind: 'auth', code: 'Neo.ClientError.Security.Unauthorized' });
      expect(m.error?.message).toMatch(/wrong user or password/);
      expect(m.error?.message).not.toContain('not-the-password');
    }
    expect(view.problems[0]?.kind).toBe('auth');
    expect(view.healthy).toBe(false);
  });
});

describe('probeCluster edge cases', () => {
  it('says clearly that Community Edition cannot cluster', async () => {
    const c = await startCluster({
      primaries: 1,
      edition: 'community',
      password: AUTH.password,
      port: 0,
      clock: new VirtualClock({ mode: 'manual' }),
    });
    try {
      const view = await probeCluster([c.members[0]!.boltUrl], AUTH, { timeoutMs: 3000 });
      expect(view.members[0]).toMatchObject({
        reachable: true,
        edition: 'community',
        error: { kind: 'community-edition' },
      });
      expect(view.problems[0]?.message).toMatch(/clustering needs Enterprise Edition/);
    } finally {
      await c.stop();
    }
  });

  it('marks an address where nothing listens as unreachable', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const view = await probeCluster([`bolt://127.0.0.1:${port}`], AUTH, { timeoutMs: 2000 });
    expect(view.unreachable).toEqual([`bolt://127.0.0.1:${port}`]);
    expect(view.members[0]?.error?.kind).toBe('unreachable');
    expect(view.members[0]?.error?.message).toMatch(/cannot reach Neo4j at 127\.0\.0\.1/);
  });

  it('bounds a member that accepts connections but never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const view = await probeCluster([`bolt://127.0.0.1:${port}`], AUTH, { timeoutMs: 500 });
      expect(['timeout', 'unreachable']).toContain(view.members[0]?.error?.kind);
      expect(view.members[0]?.reachable).toBe(false);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('speaks the 4.4 dialect to a 4.4 cluster', async () => {
    const c = await startCluster({
      primaries: 3,
      version: '4.4.30',
      password: AUTH.password,
      port: 0,
      clock: new VirtualClock({ mode: 'manual' }),
      databases: ['movies'],
    });
    try {
      const view = await probeCluster(
        c.members.map((m) => m.boltUrl),
        AUTH,
        { timeoutMs: 3000 },
      );
      expect(view.dialect).toBe('4.4');
      expect(view.members.every((m) => m.protocol === '4.4' && m.version === '4.4.30')).toBe(true);
      expect(view.leaders.movies).toBe(c.member(c.leaders().movies as string).address);
      const leader = view.members.find((m) => m.address === view.leaders.movies)!;
      expect(leader.roles.movies).toBe('leader');
      expect(view.servers).toEqual([]);
      expect(view.healthGate.evaluated).toBe(true);
    } finally {
      await c.stop();
    }
  });

  it('refuses bad input with clear errors', async () => {
    await expect(probeCluster([], AUTH)).rejects.toThrow(/at least one/);
    await expect(probeCluster(['neo4j://x:7687'], AUTH)).rejects.toThrow(/routing URL/);
    await expect(probeCluster(['http://x:7474'], AUTH)).rejects.toThrow(/not a bolt/);
    await expect(probeCluster(['bolt://x:7687'], { user: '', password: 'p' })).rejects.toThrow(
      /user and a password/,
    );
  });
});
