/**
 * A `neo4j://` routing driver against the simulated cluster: it learns the routing table through
 * the ROUTE message, sends writes to each database's leader, follows a leader change, and the
 * workload records write availability across a leader failure.
 */
import neo4j from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';
import { VirtualClock } from '../../../twin/core/clock.js';
import { startCluster, startWorkload } from '../../../twin/neo4j/index.js';
import type { SimCluster } from '../../../twin/neo4j/index.js';
import { summarise } from '../../../twin/neo4j/workload.js';
import { Drivers } from './helpers/drivers.js';

/** The number in a neo4j Integer (the driver's default integer type). */
function num(v: unknown): number {
  if (!neo4j.isInt(v)) throw new Error(`not an Integer: ${typeof v}`);
  return v.toNumber();
}

describe('routing against a simulated cluster', () => {
  let cluster: SimCluster;
  let clock: VirtualClock;
  let routing: Driver;
  let d: Drivers;

  beforeEach(async () => {
    // Scaled time: 1 real ms = 20 virtual ms, so a 2 s election takes 100 real ms.
    clock = new VirtualClock({ timeScale: 20 });
    cluster = await startCluster({
      primaries: 3,
      secondaries: 1,
      databases: ['movies'],
      password: 'route-secret',
      port: 0,
      clock,
      electionTimeoutMs: 2000,
      startDelayMs: 200,
    });
    const seed = cluster.members.find((m) => m.name === 'primary-1')!;
    routing = neo4j.driver(`neo4j://${seed.host}:${seed.port}`, neo4j.auth.basic('neo4j', 'route-secret'), {
      connectionTimeout: 2000,
      logging: { level: 'error', logger: () => undefined },
    });
    d = new Drivers('neo4j', 'route-secret');
  });

  afterEach(async () => {
    await routing.close();
    await d.closeAll();
    await cluster.stop();
    clock.stop();
  });

  it('serves the routing table: the leader writes, the others read', async () => {
    const leader = cluster.member(cluster.leaders().movies as string);
    const rows = await d.rows(
      cluster.member('primary-2').boltUrl,
      "CALL dbms.routing.getRoutingTable({}, 'movies')",
    );
    const servers = rows[0]!.servers as { role: string; addresses: string[] }[];
    expect(servers.find((s) => s.role === 'WRITE')?.addresses).toEqual([leader.address]);
    const readers = servers.find((s) => s.role === 'READ')?.addresses ?? [];
    expect(readers).toHaveLength(3);
    expect(readers).not.toContain(leader.address);
    expect(servers.find((s) => s.role === 'ROUTE')?.addresses).toHaveLength(3);
  });

  it('sends writes to the leader of each database and reads them back', async () => {
    for (const db of ['movies', 'neo4j']) {
      await routing.executeQuery('CREATE (:Routed {db: $db})', { db }, { database: db });
      const r = await routing.executeQuery(
        'MATCH (n:Routed) RETURN n.db AS db',
        {},
        { database: db, routing: neo4j.routing.READ },
      );
      expect(r.records.map((x) => x.get('db') as string)).toEqual([db]);
    }
    const leaderRows = await d.rows(
      cluster.member(cluster.leaders().movies as string).boltUrl,
      'MATCH (n:Routed) RETURN count(n) AS c',
      {},
      'movies',
    );
    expect(leaderRows).toEqual([{ c: 1 }]);
  });

  it('follows the new leader after the old one stops', async () => {
    await routing.executeQuery('CREATE (:Before)', {}, { database: 'movies' });
    const old = cluster.leaders().movies as string;
    await cluster.stopMember(old);
    await cluster.waitUntil(() => cluster.leaders().movies !== null, 5000);
    const session = routing.session({ database: 'movies' });
    try {
      await session.executeWrite((tx) => tx.run('CREATE (:After)'));
    } finally {
      await session.close();
    }
    const r = await routing.executeQuery('MATCH (n) RETURN count(n) AS c', {}, { database: 'movies' });
    expect(num(r.records[0]?.get('c'))).toBe(2);
  });

  it('records write availability with the workload across a leader failure', async () => {
    const seed = cluster.members.find((m) => m.name === 'primary-1')!;
    const w = startWorkload({
      url: `neo4j://${seed.host}:${seed.port}`,
      user: 'neo4j',
      password: 'route-secret',
      databases: ['movies', 'neo4j'],
      clock,
      intervalMs: 100,
      writeTimeoutMs: 1000,
    });
    await cluster.waitUntil(() => w.samples.filter((s) => s.db === 'movies' && s.ok).length >= 3, 5000);
    const leader = cluster.leaders().movies as string;
    await cluster.stopMember(leader);
    await cluster.waitUntil(() => w.samples.some((s) => s.db === 'movies' && !s.ok), 5000);
    await cluster.waitUntil(() => cluster.leaders().movies !== null, 5000);
    const recovered = w.samples.length;
    await cluster.waitUntil(() => w.samples.slice(recovered).some((s) => s.db === 'movies' && s.ok), 5000);
    const report = await w.stop();
    const movies = report.databases.movies!;
    expect(movies.attempts).toBeGreaterThan(movies.successes);
    expect(movies.availability).toBeGreaterThan(0);
    expect(movies.availability).toBeLessThan(1);
    expect(movies.outages.length).toBeGreaterThanOrEqual(1);
    expect(movies.outages[0]!.to).not.toBeNull();
    expect(movies.longestOutageMs).toBeGreaterThan(0);
  });
});

describe('workload summary', () => {
  it('computes availability and outages from samples', () => {
    const r = summarise(
      [
        { t: 0, db: 'a', ok: true },
        { t: 100, db: 'a', ok: false, error: 'X' },
        { t: 200, db: 'a', ok: false, error: 'X' },
        { t: 300, db: 'a', ok: true },
        { t: 400, db: 'a', ok: false, error: 'Y' },
      ],
      ['a', 'b'],
      0,
      1000,
    );
    expect(r.databases.a).toEqual({
      attempts: 5,
      successes: 2,
      availability: 0.4,
      outages: [
        { from: 100, to: 300 },
        { from: 400, to: null },
      ],
      longestOutageMs: 600,
    });
    expect(r.databases.b).toMatchObject({ attempts: 0, availability: 1, longestOutageMs: 0 });
  });

  it('rejects a non-routing URL', () => {
    expect(() =>
      startWorkload({
        url: 'bolt://127.0.0.1:1',
        user: 'u',
        password: 'p',
        databases: ['x'],
        clock: new VirtualClock(),
      }),
    ).toThrow(/routing URL/);
  });
});
