/**
 * A simulated Community member (twin/neo4j `startCluster({edition: 'community'})`) answers every probe
 * exactly as the real Neo4j 5.26 Community server did when the fixtures were recorded
 * (test/fixtures/neo4j-5.26-community/): same columns, types, values (with the server's address and
 * run-specific values blanked), summaries, and the same errors for the Enterprise-only commands.
 *
 * Unlike sim-vs-real.test.ts, which compares an Enterprise cluster's shapes with a live server, this is
 * a like-for-like comparison of a standalone server, against the recorded answers; it needs no Java.
 */
import neo4j from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';
import { startCluster } from '../../twin/neo4j/index.js';
import type { SimCluster } from '../../twin/neo4j/index.js';
import { readFixture } from './fixtures.js';
import type { AuthFailureFixture, ServerFixture } from './fixtures.js';
import { errorObservation, observeProbe } from './observe.js';
import type { ObservedProbe } from './observe.js';
import { PROBES } from './probes.js';

describe('a simulated Community member answers like the recorded real Community server', () => {
  const password = 'contract-test-password';
  const recorded = readFixture<ServerFixture>('server');
  let cluster: SimCluster | undefined;
  let driver: Driver | undefined;
  let address = '';

  beforeAll(async () => {
    cluster = await startCluster({ primaries: 1, edition: 'community', version: recorded.version, password });
    const m = cluster.members[0]!;
    address = `${m.host}:${m.port}`;
    driver = neo4j.driver(m.boltUrl, neo4j.auth.basic('neo4j', password));
  }, 60_000);

  afterAll(async () => {
    await driver?.close();
    await cluster?.stop();
  }, 30_000);

  it('introduces itself with the recorded agent and Bolt version', async () => {
    const info = await driver!.getServerInfo();
    expect({ agent: info.agent, protocolVersion: String(info.protocolVersion) }).toEqual({
      agent: recorded.agent,
      protocolVersion: recorded.protocolVersion,
    });
  });

  it('refuses a wrong password with the recorded error', async () => {
    const wrong = neo4j.driver(cluster!.members[0]!.boltUrl, neo4j.auth.basic('neo4j', `${password}-wrong`));
    let caught: unknown;
    try {
      await wrong.verifyConnectivity();
    } catch (e) {
      caught = e;
    } finally {
      await wrong.close();
    }
    const { code, message, gqlStatus } = errorObservation(caught).error;
    expect({ code, message, gqlStatus }).toEqual(readFixture<AuthFailureFixture>('auth-failure'));
  });

  // In catalogue order: the reads come after the writes they read back.
  for (const probe of PROBES) {
    it(`${probe.id}: the recorded answer`, async () => {
      const observed = await observeProbe(driver!, probe, address);
      expect(observed).toEqual(readFixture<ObservedProbe>(probe.id));
    });
  }
});
