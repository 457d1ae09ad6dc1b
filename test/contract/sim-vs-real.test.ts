/**
 * The contract test: the simulated Neo4j members (twin/neo4j) answer the operator's probe queries with
 * the same column names, value types and summaries as a real Neo4j 5.26 server, and the operator's Bolt
 * probe (src/neo4j) reports a real Community server cleanly.
 *
 * A real Community server is a single standalone server; the simulated cluster has several primaries
 * and a secondary. So the test compares per-row shapes, not row counts or values. What necessarily
 * differs between the two is listed in STANDALONE_VS_CLUSTER below, and only that is let through.
 */
import neo4j from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';
import {
  deallocateDatabases,
  dropServer,
  enableServer,
  MemberConnection,
  ProbeError,
  probeCluster,
  setDefaultToReadOnly,
} from '../../src/neo4j/index.js';
import { startCluster } from '../../twin/neo4j/index.js';
import type { SimCluster, SimMemberInfo } from '../../twin/neo4j/index.js';
import { describeWithRealNeo4j, startRealNeo4j } from '../helpers/real-neo4j.js';
import type { RealNeo4j } from '../helpers/real-neo4j.js';
import { readFixture } from './fixtures.js';
import type { AuthFailureFixture } from './fixtures.js';
import { errorObservation, observeProbe } from './observe.js';
import type { ObservedProbe, RecordsObservation } from './observe.js';
import { PROBES } from './probes.js';

type SimMember = SimMemberInfo;

/**
 * What a standalone Community server and an Enterprise cluster necessarily answer differently. Values
 * and row counts are never compared; column types are, except for these columns, where the cluster may
 * answer with any of `simMay` (a union over its rows) while Community answers with `real`.
 */
const STANDALONE_VS_CLUSTER: Record<
  string,
  Record<string, { real: string; simMay: string[]; why: string }>
> = {
  'show-databases-yield-star': {
    requestedPrimariesCount: {
      real: 'Null',
      simMay: ['Integer', 'Integer | Null', 'Null'],
      why: 'Community has no topology; in a cluster user databases carry their requested primaries (system has none)',
    },
    requestedSecondariesCount: {
      real: 'Null',
      simMay: ['Integer', 'Integer | Null', 'Null'],
      why: 'as requestedPrimariesCount',
    },
    lastCommittedTxn: {
      real: 'Null',
      simMay: ['Integer', 'Integer | Null', 'Null'],
      why: 'Community does not report it; a cluster member reports its last committed transaction id',
    },
    lastStopTime: {
      real: 'Null',
      simMay: ['DateTime', 'DateTime | Null', 'Null'],
      why: 'a fresh standalone server has never stopped a database; a simulated member may have',
    },
  },
};
/*
 * Other differences, not type differences, so not checked at all:
 * - row counts: SHOW DATABASES has one row per database on Community and one per (database, hosting
 *   server) in a cluster;
 * - role is always `primary` and writer always true on Community; in the cluster followers have
 *   writer = false and secondaries role = `secondary`;
 * - address/serverID: one server on Community, one per member in the cluster;
 * - currentPrimariesCount / currentSecondariesCount values; statusMessage values;
 * - the routing table lists one address per role on Community, several in the cluster (and READ
 *   excludes the writer there);
 * - dbms.components: the version string is the simulated member's own.
 */

function expectSameShape(real: ObservedProbe, sim: ObservedProbe, member: string): void {
  const where = `${real.probe} on ${member}`;
  expect({ where, outcome: sim.observation.outcome }).toEqual({ where, outcome: 'records' });
  const r = real.observation as RecordsObservation;
  const s = sim.observation as RecordsObservation;
  expect({ where, columns: s.columns }).toEqual({ where, columns: r.columns });
  expect({ where, queryType: s.summary.queryType }).toEqual({ where, queryType: r.summary.queryType });
  expect({ where, updates: Object.keys(s.summary.updates).sort() }).toEqual({
    where,
    updates: Object.keys(r.summary.updates).sort(),
  });
  if (r.rowCount === 0 || s.rowCount === 0) {
    // Shapes come from rows; a health gate that finds nothing has only its column names.
    expect({ where, rows: s.rowCount }).toEqual({ where, rows: r.rowCount });
    return;
  }
  const allowed = STANDALONE_VS_CLUSTER[real.probe] ?? {};
  for (const column of r.columns) {
    const difference = allowed[column];
    const simType = s.columnTypes[column];
    if (difference !== undefined) {
      expect(r.columnTypes[column]).toBe(difference.real);
      expect({ where, column, simType, allowed: difference.simMay.includes(simType ?? '') }).toEqual({
        where,
        column,
        simType,
        allowed: true,
      });
    } else {
      expect({ where, column, type: simType }).toEqual({ where, column, type: r.columnTypes[column] });
    }
  }
}

describeWithRealNeo4j('simulated Neo4j members answer like a real Neo4j 5.26 server', () => {
  const password = 'contract-test-password';
  let real: RealNeo4j | undefined;
  let realDriver: Driver | undefined;
  let cluster: SimCluster | undefined;
  const simDrivers = new Map<string, Driver>();

  const simDriver = (m: SimMember): Driver => {
    let d = simDrivers.get(m.name);
    if (d === undefined) {
      d = neo4j.driver(m.boltUrl, neo4j.auth.basic('neo4j', password));
      simDrivers.set(m.name, d);
    }
    return d;
  };
  const addressOf = (m: SimMember): string => `${m.host}:${m.port}`;

  /** The member that is the writer (leader) of `database`, as the cluster itself reports it. */
  async function writerOf(database: string): Promise<SimMember> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      for (const m of cluster!.members) {
        const session = simDriver(m).session({ database: 'system' });
        try {
          const rows = await session.run(
            'SHOW DATABASES YIELD name, address, writer, currentStatus WHERE name = $name AND writer AND currentStatus = "online" RETURN address',
            { name: database },
          );
          const address = rows.records[0]?.get('address') as unknown;
          const writer = cluster!.members.find((x) => addressOf(x) === address);
          if (writer !== undefined) return writer;
        } catch {
          // The cluster may still be forming; ask again.
        } finally {
          await session.close();
        }
      }
      if (Date.now() > deadline)
        throw new Error(`no writer of ${database} in the simulated cluster after 30 s`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  beforeAll(async () => {
    [real, cluster] = await Promise.all([
      startRealNeo4j({ password }),
      startCluster({ primaries: 3, secondaries: 1, password }),
    ]);
    realDriver = neo4j.driver(real.boltUrl, neo4j.auth.basic(real.user, real.password));
    await writerOf('neo4j');
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...simDrivers.values()].map((d) => d.close()));
    await realDriver?.close();
    await cluster?.stop();
    await real?.stop();
  }, 60_000);

  const comparable = PROBES.filter((p) => p.compareWithSim);

  for (const probe of comparable) {
    const scope = probe.onWriter === true ? 'the writer of its database' : 'every simulated member';
    it(`${probe.id}: same columns, value types and summary on ${scope}`, async () => {
      const fromReal = await observeProbe(realDriver!, probe, real!.address);
      expect(fromReal.observation.outcome).toBe('records');
      const members = probe.onWriter === true ? [await writerOf(probe.database)] : cluster!.members;
      for (const m of members) {
        const fromSim = await observeProbe(simDriver(m), probe, addressOf(m));
        expectSameShape(fromReal, fromSim, m.name);
      }
    });
  }

  it('the simulated cluster has the members it was asked for, each on its own loopback address', () => {
    expect(cluster!.members.filter((m) => m.mode === 'primary')).toHaveLength(3);
    expect(cluster!.members.filter((m) => m.mode === 'secondary')).toHaveLength(1);
    const addresses = cluster!.members.map(addressOf);
    expect(new Set(addresses).size).toBe(addresses.length);
    for (const m of cluster!.members) expect(m.host).toMatch(/^127\./);
  });

  it('a simulated member refuses a wrong password exactly like the real server', async () => {
    const recorded = readFixture<AuthFailureFixture>('auth-failure');
    const m = cluster!.members[0]!;
    const wrong = neo4j.driver(m.boltUrl, neo4j.auth.basic('neo4j', `${password}-wrong`));
    let caught: unknown;
    try {
      await wrong.verifyConnectivity();
    } catch (e) {
      caught = e;
    } finally {
      await wrong.close();
    }
    const { code, message, gqlStatus } = errorObservation(caught).error;
    expect({ code, message, gqlStatus }).toEqual(recorded);
  });

  it.each(['cluster-role-4x', 'cluster-overview-4x'])(
    '%s: a simulated 5.x member fails exactly like the real 5.26 server (removed in 5.0)',
    async (id) => {
      const probe = PROBES.find((p) => p.id === id)!;
      const fromReal = await observeProbe(realDriver!, probe, real!.address);
      const fromSim = await observeProbe(
        simDriver(cluster!.members[0]!),
        probe,
        addressOf(cluster!.members[0]!),
      );
      expect(fromReal.observation.outcome).toBe('error');
      expect(fromSim.observation).toEqual(fromReal.observation);
    },
  );

  it('the probe reads the simulated cluster: the leader of neo4j is the writer the cluster names', async () => {
    const leader = await writerOf('neo4j');
    const view = await probeCluster(
      cluster!.members.map((m) => m.boltUrl),
      { user: 'neo4j', password },
    );
    expect(view.dialect).toBe('5.x');
    expect(view.problems).toEqual([]);
    expect(view.unreachable).toEqual([]);
    expect(view.leaders['neo4j']).toBe(addressOf(leader));
    expect(view.members.every((m) => m.edition === 'enterprise' && m.reachable)).toBe(true);
  });

  it('the probe reports the real Community server cleanly: clustering needs Enterprise', async () => {
    const view = await probeCluster([real!.boltUrl], { user: real!.user, password: real!.password });
    const member = view.members[0]!;
    expect(member).toMatchObject({ reachable: true, edition: 'community', version: real!.version });
    expect(member.error?.kind).toBe('community-edition');
    expect(view.problems.map((p) => p.kind)).toContain('community-edition');
    const problem = view.problems.find((p) => p.kind === 'community-edition')!;
    expect(problem.message).toMatch(/Community Edition: clustering needs Enterprise/);
    expect(problem.message).toContain(real!.address);
    expect(view.healthy).toBe(false);
    expect(JSON.stringify(view)).not.toContain(real!.password);
  });

  it('the probe reports a wrong password on the real server as an auth problem, without the password', async () => {
    const wrong = `${real!.password}-not-it`;
    const view = await probeCluster([real!.boltUrl], { user: real!.user, password: wrong });
    expect(view.members[0]).toMatchObject({ reachable: true, error: { kind: 'auth' } });
    const problem = view.problems.find((p) => p.kind === 'auth');
    expect(problem?.message).toMatch(/wrong user or password/);
    expect(problem?.code).toBe('Neo.ClientError.Security.Unauthorized');
    expect(JSON.stringify(view)).not.toContain(wrong);
  });

  it.each([
    ['ENABLE SERVER', (c: MemberConnection) => enableServer(c, 'x')],
    ['DEALLOCATE DATABASES', (c: MemberConnection) => deallocateDatabases(c, ['x'], { dryRun: false })],
    ['DRYRUN DEALLOCATE DATABASES', (c: MemberConnection) => deallocateDatabases(c, ['x'], { dryRun: true })],
    ['DROP SERVER', (c: MemberConnection) => dropServer(c, 'x')],
    ['dbms.setConfigValue read-only', (c: MemberConnection) => setDefaultToReadOnly(c, true)],
  ])('the adapter reports %s on Community as enterprise-only', async (_what, command) => {
    const conn = new MemberConnection(real!.boltUrl, { user: real!.user, password: real!.password });
    try {
      const outcome: unknown = await command(conn).then(
        () => 'succeeded',
        (e: unknown) => e,
      );
      expect(outcome).toBeInstanceOf(ProbeError);
      expect((outcome as ProbeError).kind).toBe('enterprise-only');
      expect((outcome as ProbeError).message).toMatch(/Community Edition/);
    } finally {
      await conn.close();
    }
  });
});
