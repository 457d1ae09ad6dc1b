/**
 * The raft-like behaviour of a simulated 3-primary / 2-secondary cluster with two user databases,
 * observed only through Bolt, on a manual virtual clock: per-database leaders, elections after the
 * failure-detection delay, quorum, read-only leadership transfer, catch-up, and data on volumes.
 */
import { VirtualClock } from '../../../twin/core/clock.js';
import { startCluster } from '../../../twin/neo4j/index.js';
import type { SimCluster } from '../../../twin/neo4j/index.js';
import { Drivers } from './helpers/drivers.js';

const ELECTION_MS = 5000;

describe('a simulated 3P+2S cluster', () => {
  let clock: VirtualClock;
  let cluster: SimCluster;
  let d: Drivers;
  const url = (name: string): string => cluster.member(name).boltUrl;
  const leaderRows = async (via: string): Promise<Record<string, string>> => {
    const rows = await d.rows(
      url(via),
      'SHOW DATABASES YIELD name, address, writer WHERE writer = true RETURN name, address',
    );
    return Object.fromEntries(rows.map((r) => [r.name as string, r.address as string]));
  };
  const nameOfAddress = (address: string): string =>
    cluster.members.find((m) => `${m.host}:${m.port}` === address)?.name ?? '?';

  beforeEach(async () => {
    clock = new VirtualClock({ mode: 'manual' });
    cluster = await startCluster({
      primaries: 3,
      secondaries: 2,
      databases: ['movies', 'social'],
      password: 'cluster-secret',
      port: 0,
      clock,
      electionTimeoutMs: ELECTION_MS,
      leaderTransferMs: 500,
      startDelayMs: 1000,
      catchUpPerTxMs: 100,
      storeCopyMs: 2000,
      seed: 42,
    });
    d = new Drivers('neo4j', 'cluster-secret');
  });

  afterEach(async () => {
    await d.closeAll();
    await cluster.stop();
  });

  it('has one leader per database, among the primaries, seen the same from every member', async () => {
    const leaders = cluster.leaders();
    expect(Object.keys(leaders).sort()).toEqual(['movies', 'neo4j', 'social', 'system']);
    for (const l of Object.values(leaders)) expect(l).toMatch(/^primary-/);
    for (const m of cluster.members) {
      const seen = await leaderRows(m.name);
      expect(Object.fromEntries(Object.entries(seen).map(([db, a]) => [db, nameOfAddress(a)]))).toEqual(
        leaders,
      );
    }
    const rows = await d.rows(
      url('secondary-1'),
      'SHOW DATABASES YIELD name, role, address WHERE name = "movies" RETURN role, address',
    );
    expect(rows).toHaveLength(5);
    expect(rows.filter((r) => r.role === 'secondary')).toHaveLength(2);
    expect(rows.filter((r) => r.role === 'primary')).toHaveLength(3);
  });

  it('spreads leaderships over the primaries', () => {
    const counts = new Map<string, number>();
    for (const l of Object.values(cluster.leaders()))
      counts.set(l as string, (counts.get(l as string) ?? 0) + 1);
    expect(counts.size).toBe(3);
  });

  it('elects a new leader only after the failure-detection delay when the leader stops', async () => {
    const old = cluster.leaders().movies as string;
    await cluster.stopMember(old);
    const witness = cluster.members.find((m) => m.mode === 'primary' && m.name !== old)!.name;
    const rowsDuring = await d.rows(
      url(witness),
      "SHOW DATABASES YIELD name, serverID, address, currentStatus, statusMessage, writer WHERE name = 'movies'",
    );
    const down = rowsDuring.find((r) => r.serverID === cluster.member(old).serverId)!;
    expect(down).toMatchObject({
      address: null,
      currentStatus: 'unknown',
      statusMessage: 'Server is unavailable',
      writer: false,
    });
    expect(rowsDuring.some((r) => r.writer === true)).toBe(false);
    await clock.advance(ELECTION_MS - 1);
    expect(cluster.leaders().movies).toBeNull();
    await clock.advance(1);
    const next = cluster.leaders().movies;
    expect(next).toMatch(/^primary-/);
    expect(next).not.toBe(old);
    expect(nameOfAddress((await leaderRows(witness)).movies as string)).toBe(next);
  });

  it('needs a majority: with 2 of 3 primaries down there is no leader and no write', async () => {
    const [a, b] = ['primary-1', 'primary-2'];
    await cluster.stopMember(a);
    await cluster.stopMember(b);
    await clock.advance(ELECTION_MS);
    expect(cluster.leaders().social).toBeNull();
    const s = d.get(url('primary-3')).session({ database: 'social' });
    try {
      await expect(s.run('CREATE (:X)')).rejects.toMatchObject({
        code: expect.stringMatching(/NotALeader|ReplicationFailure/),
      });
    } finally {
      await s.close();
    }
    await cluster.startMember(a);
    await clock.advance(1000 + ELECTION_MS);
    expect(cluster.leaders().social).toMatch(/^primary-[13]$/);
  });

  it('refuses writes on a follower with NotALeader and on a secondary too', async () => {
    const leader = cluster.leaders().movies as string;
    const follower = cluster.members.find((m) => m.mode === 'primary' && m.name !== leader)!.name;
    for (const who of [follower, 'secondary-2']) {
      const s = d.get(url(who)).session({ database: 'movies' });
      try {
        await expect(s.run('CREATE (:X)')).rejects.toMatchObject({
          code: 'Neo.ClientError.Cluster.NotALeader',
        });
      } finally {
        await s.close();
      }
    }
  });

  it('moves leadership away from a server whose databases were made read-only', async () => {
    const leader = cluster.leaders().movies as string;
    await d.rows(url(leader), "CALL dbms.setConfigValue('server.databases.default_to_read_only', 'true')");
    const s = d.get(url(leader)).session({ database: 'movies' });
    try {
      await expect(s.run('CREATE (:X)')).rejects.toMatchObject({
        code: 'Neo.ClientError.General.ForbiddenOnReadOnlyDatabase',
      });
    } finally {
      await s.close();
    }
    await clock.advance(500);
    const after = cluster.leaders();
    expect(after.movies).not.toBe(leader);
    for (const [db, l] of Object.entries(after)) if (db !== 'system') expect(l).not.toBe(leader);
    const conf = await d.rows(url(leader), "CALL dbms.listConfig('default_to_read_only') YIELD name, value");
    expect(conf).toEqual([{ name: 'server.databases.default_to_read_only', value: 'true' }]);
  });

  it('keeps committed data on the volumes and catches a restarted follower up after a delay that grows with what it missed', async () => {
    const leader = cluster.leaders().movies as string;
    const follower = cluster.members.find((m) => m.mode === 'primary' && m.name !== leader)!.name;
    await cluster.stopMember(follower);
    const s = d.get(url(leader)).session({ database: 'movies' });
    try {
      for (let i = 0; i < 20; i++) await s.run('CREATE (:Movie {i: $i})', { i: i });
    } finally {
      await s.close();
    }
    await cluster.startMember(follower);
    const status = async (): Promise<Record<string, unknown>> =>
      (
        await d.rows(
          url(follower),
          "SHOW DATABASES YIELD name, serverID, currentStatus, lastCommittedTxn, replicationLag WHERE name = 'movies'",
        )
      ).find((r) => r.serverID === cluster.member(follower).serverId)!;
    expect(await status()).toMatchObject({ currentStatus: 'starting', lastCommittedTxn: null });
    await clock.advance(1000 + 20 * 100 - 1);
    expect((await status()).currentStatus).toBe('starting');
    await clock.advance(1);
    const caughtUp = await status();
    expect(caughtUp).toMatchObject({ currentStatus: 'online', replicationLag: 0 });
    const count = await d.rows(url(follower), 'MATCH (n:Movie) RETURN count(n) AS c', {}, 'movies');
    expect(count).toEqual([{ c: 20 }]);
  });

  it('a member started on an empty volume comes back as a new, Free server with no store', async () => {
    const before = cluster.member('primary-2').serverId;
    await cluster.stopMember('primary-2');
    await cluster.startMember('primary-2', { emptyVolume: true });
    const after = cluster.member('primary-2').serverId;
    expect(after).not.toBe(before);
    await clock.advance(10_000); // its copy of `system` is store-copied from the others
    const servers = await d.rows(
      url('primary-1'),
      'SHOW SERVERS YIELD serverId, address, state, health, hosting, requestedHosting',
    );
    const mine = servers.find((r) => r.serverId === after)!;
    expect(mine).toMatchObject({
      state: 'Free',
      health: 'Available',
      hosting: ['system'],
      requestedHosting: [],
    });
    const old = servers.find((r) => r.serverId === before)!;
    expect(old).toMatchObject({ state: 'Enabled', health: 'Unavailable', hosting: [] });
    expect(old.requestedHosting).toEqual(['movies', 'neo4j', 'social', 'system']);
    const s = d.get(url('primary-2')).session({ database: 'movies' });
    try {
      await expect(s.run('MATCH (n) RETURN count(n)')).rejects.toMatchObject({
        code: 'Neo.ClientError.Database.DatabaseNotFound',
      });
    } finally {
      await s.close();
    }
    expect(cluster.log.list('neo4j.member.started').at(-1)).toMatchObject({
      member: 'primary-2',
      storeEmpty: true,
    });
  });

  it('replaces a lost server: ENABLE the new one, DEALLOCATE and DROP the old one', async () => {
    const old = cluster.member('primary-2').serverId;
    await cluster.stopMember('primary-2');
    await cluster.startMember('primary-2', { emptyVolume: true });
    const fresh = cluster.member('primary-2').serverId;
    const admin = url('primary-1');
    await d.rows(admin, `ENABLE SERVER '${fresh}'`);
    const plan = await d.rows(admin, `DRYRUN DEALLOCATE DATABASES FROM SERVER '${old}'`);
    expect(plan.map((r) => r.database).sort()).toEqual(['movies', 'neo4j', 'social']);
    for (const r of plan) expect(r).toMatchObject({ fromServerId: old, toServerId: fresh, mode: 'primary' });
    await expect(d.rows(admin, `DROP SERVER '${old}'`)).rejects.toMatchObject({
      code: 'Neo.ClientError.General.InvalidArguments',
    });
    await d.rows(admin, `DEALLOCATE DATABASES FROM SERVER '${old}'`);
    const state = async (): Promise<string[]> =>
      (await d.rows(admin, 'SHOW SERVERS YIELD serverId, state'))
        .filter((r) => r.serverId === old)
        .map((r) => r.state as string);
    expect(await state()).toEqual(['Deallocating']);
    const gate =
      'SHOW SERVERS YIELD name, hosting, requestedHosting, serverId WHERE requestedHosting <> hosting RETURN name';
    expect((await d.rows(admin, gate)).length).toBeGreaterThan(0);
    await clock.advance(2000 + 100 * 10);
    expect(await state()).toEqual(['Deallocated']);
    await d.rows(admin, `DROP SERVER '${old}'`);
    expect(await state()).toEqual([]);
    expect(await d.rows(admin, gate)).toEqual([]);
    const dbGate =
      'SHOW DATABASES YIELD name, address, currentStatus, requestedStatus, statusMessage WHERE currentStatus <> requestedStatus RETURN name, address, currentStatus, requestedStatus, statusMessage';
    expect(await d.rows(admin, dbGate)).toEqual([]);
  });

  it('refuses to deallocate when the topology could not be kept', async () => {
    const target = cluster.member('primary-3').serverId;
    await expect(
      d.rows(url('primary-1'), `DEALLOCATE DATABASES FROM SERVER '${target}'`),
    ).rejects.toMatchObject({
      code: 'Neo.ClientError.General.InvalidArguments',
      message: expect.stringContaining('not enough servers'),
    });
    const rows = await d.rows(url('primary-1'), 'SHOW SERVERS YIELD serverId, state');
    expect(rows.find((r) => r.serverId === target)?.state).toBe('Enabled');
  });

  it('refuses a member of an incompatible version and allows a rolling upgrade, but no downgrade after it', async () => {
    await cluster.stopMember('secondary-1');
    await expect(cluster.startMember('secondary-1', { version: '4.4.30' })).rejects.toThrow(/migration/);
    expect(cluster.member('secondary-1').state).toBe('refused');
    for (const m of cluster.members.map((x) => x.name)) {
      if (cluster.member(m).state === 'running') await cluster.stopMember(m);
      await cluster.startMember(m, { version: '2025.01.0' });
      await clock.advance(1000 + ELECTION_MS);
    }
    const versions = await d.rows(url('primary-1'), 'SHOW SERVERS YIELD version RETURN DISTINCT version');
    expect(versions).toEqual([{ version: '2025.01.0' }]);
    await cluster.stopMember('secondary-2');
    await expect(cluster.startMember('secondary-2', { version: '5.26.0' })).rejects.toThrow(/downgrade/);
  });
});
