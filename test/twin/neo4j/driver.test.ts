/**
 * neo4j-driver 6.x against one simulated member: the handshake (manifest), auth, auto-commit and
 * explicit transactions, value types, errors with real codes, and recovery after a failure.
 */
import neo4j from 'neo4j-driver';
import type { Driver, Node } from 'neo4j-driver';
import { VirtualClock } from '../../../twin/core/clock.js';
import { startCluster } from '../../../twin/neo4j/index.js';
import type { SimCluster } from '../../../twin/neo4j/index.js';

const PASSWORD = 'sim-secret-1';

/** The number in a neo4j Integer (the driver's default integer type). */
function num(v: unknown): number {
  if (!neo4j.isInt(v)) throw new Error(`not an Integer: ${typeof v}`);
  return v.toNumber();
}

describe('neo4j-driver against a simulated member', () => {
  let cluster: SimCluster;
  let driver: Driver;
  let url: string;

  beforeAll(async () => {
    cluster = await startCluster({
      primaries: 1,
      password: PASSWORD,
      port: 0,
      clock: new VirtualClock({ mode: 'manual' }),
    });
    url = (cluster.members[0] as { boltUrl: string }).boltUrl;
    driver = neo4j.driver(url, neo4j.auth.basic('neo4j', PASSWORD), { connectionTimeout: 3000 });
  });

  afterAll(async () => {
    await driver?.close();
    await cluster?.stop();
  });

  it('negotiates Bolt 5.8 through the manifest and reports the server agent', async () => {
    const info = await driver.getServerInfo();
    expect(info.agent).toBe('Neo4j/5.26.0');
    expect(info.protocolVersion).toEqual({ major: 5, minor: 8 });
  });

  it('fails cleanly with a wrong password', async () => {
    const bad = neo4j.driver(url, neo4j.auth.basic('neo4j', 'wrong-password'), { connectionTimeout: 3000 });
    try {
      await expect(bad.verifyConnectivity()).rejects.toMatchObject({
        code: 'Neo.ClientError.Security.Unauthorized',
      });
    } finally {
      await bad.close();
    }
  });

  it('answers dbms.components with the real columns and types', async () => {
    const r = await driver.executeQuery('CALL dbms.components()', {}, { database: 'system' });
    expect(r.keys).toEqual(['name', 'versions', 'edition']);
    expect(r.records[0]?.toObject()).toEqual({
      name: 'Neo4j Kernel',
      versions: ['5.26.0'],
      edition: 'enterprise',
    });
  });

  it('writes then reads in auto-commit transactions, keeping Integer and Float apart', async () => {
    const session = driver.session({ database: 'neo4j' });
    try {
      const w = await session.run('CREATE (n:Probe {i: $i, f: $f, s: $s}) RETURN n.i AS i, n.f AS f, n', {
        i: neo4j.int(42),
        f: 1.5,
        s: 'x',
      });
      const rec = w.records[0]!;
      expect(neo4j.isInt(rec.get('i'))).toBe(true);
      expect(num(rec.get('i'))).toBe(42);
      expect(rec.get('f')).toBe(1.5);
      const node = rec.get('n') as Node;
      expect(node.labels).toEqual(['Probe']);
      expect(node.properties.s).toBe('x');
      expect(typeof node.elementId).toBe('string');
      expect(w.summary.counters.updates().nodesCreated).toBe(1);
      expect(w.summary.queryType).toBe('rw');
      const r = await session.run('MATCH (n:Probe) RETURN count(n) AS c');
      expect(num(r.records[0]?.get('c'))).toBe(1);
    } finally {
      await session.close();
    }
  });

  it('runs explicit transactions: rollback discards, commit keeps, reads see own writes', async () => {
    const session = driver.session({ database: 'neo4j' });
    try {
      const tx1 = await session.beginTransaction();
      await tx1.run('CREATE (:Tx {k: 1})');
      const inside = await tx1.run('MATCH (n:Tx) RETURN count(n) AS c');
      expect(num(inside.records[0]?.get('c'))).toBe(1);
      await tx1.rollback();
      const afterRollback = await session.run('MATCH (n:Tx) RETURN count(n) AS c');
      expect(num(afterRollback.records[0]?.get('c'))).toBe(0);

      const written = await session.executeWrite(async (tx) => {
        await tx.run('CREATE (:Tx {k: 2})');
        await tx.run('CREATE (:Tx {k: 3})');
        return (await tx.run('MATCH (n:Tx) RETURN n.k AS k ORDER BY k')).records.map((r) => num(r.get('k')));
      });
      expect(written).toEqual([2, 3]);
      const read = await session.executeRead((tx) => tx.run('MATCH (n:Tx) WHERE n.k > 2 RETURN n.k AS k'));
      expect(read.records.map((r) => num(r.get('k')))).toEqual([3]);
    } finally {
      await session.close();
    }
  });

  it('reports a syntax error with the real code and recovers on the same driver', async () => {
    await expect(driver.executeQuery('THIS IS NOT CYPHER')).rejects.toMatchObject({
      code: 'Neo.ClientError.Statement.SyntaxError',
    });
    const r = await driver.executeQuery('RETURN 1 AS one');
    expect(num(r.records[0]?.get('one'))).toBe(1);
  });

  it('says ProcedureNotFound for the 4.4 procedures removed in 5.0', async () => {
    await expect(
      driver.executeQuery("CALL dbms.cluster.role('neo4j')", {}, { database: 'system' }),
    ).rejects.toMatchObject({
      code: 'Neo.ClientError.Procedure.ProcedureNotFound',
    });
  });

  it('refuses writes in a read session with an access-mode error', async () => {
    const session = driver.session({ database: 'neo4j', defaultAccessMode: neo4j.session.READ });
    try {
      await expect(session.run('CREATE (:Nope)')).rejects.toMatchObject({
        code: 'Neo.ClientError.Statement.AccessMode',
      });
    } finally {
      await session.close();
    }
  });

  it('streams large results in batches (PULL n with has_more)', async () => {
    const small = neo4j.driver(url, neo4j.auth.basic('neo4j', PASSWORD), { fetchSize: 7 });
    try {
      const r = await small.executeQuery('UNWIND range(1, 50) AS i RETURN i');
      expect(r.records.map((x) => num(x.get('i')))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    } finally {
      await small.close();
    }
  });

  it('answers SHOW DATABASES with the leader as writer', async () => {
    const r = await driver.executeQuery(
      'SHOW DATABASES YIELD name, address, serverID, role, writer, currentStatus, requestedStatus',
      {},
      { database: 'system' },
    );
    const rows = r.records.map((x) => x.toObject() as Record<string, unknown>);
    expect(rows.map((x) => x.name as string)).toEqual(['neo4j', 'system']);
    for (const row of rows) {
      expect(row).toMatchObject({
        role: 'primary',
        writer: true,
        currentStatus: 'online',
        requestedStatus: 'online',
      });
      expect(row.address).toBe(url.replace('bolt://', ''));
      expect(row.serverID).toBe(cluster.members[0]?.serverId);
    }
  });
});
