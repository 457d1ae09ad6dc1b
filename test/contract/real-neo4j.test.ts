/**
 * Fixtures first: runs every probe of probes.ts with the real neo4j-driver against a real, embedded
 * Neo4j 5.26 Community server and asserts it still answers exactly as recorded in
 * test/fixtures/neo4j-5.26-community/ (column names in order, value types, values with run-specific
 * parts blanked, summary, or the exact error). `UPDATE_FIXTURES=1` rewrites the fixtures instead.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import neo4j from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';
import { describeWithRealNeo4j, startRealNeo4j } from '../helpers/real-neo4j.js';
import type { RealNeo4j } from '../helpers/real-neo4j.js';
import { fixtureNames, readFixture, updatingFixtures, writeFixture } from './fixtures.js';
import type { AuthFailureFixture, ServerFixture } from './fixtures.js';
import { errorObservation, observeProbe } from './observe.js';
import { PROBES } from './probes.js';

describeWithRealNeo4j('real Neo4j 5.26 Community answers the probes as recorded', () => {
  let server: RealNeo4j | undefined;
  let driver: Driver | undefined;

  beforeAll(async () => {
    server = await startRealNeo4j();
    driver = neo4j.driver(server.boltUrl, neo4j.auth.basic(server.user, server.password));
  }, 180_000);

  afterAll(async () => {
    await driver?.close();
    await server?.stop();
  }, 30_000);

  /** Checks `observed` against the fixture `name`, or records it when updating. */
  function matchesFixture(name: string, observed: unknown): void {
    if (updatingFixtures()) writeFixture(name, observed);
    expect(observed).toEqual(readFixture(name));
  }

  it('is a 5.26 Community server speaking Bolt 5.x', async () => {
    const info = await driver!.getServerInfo();
    const observed: ServerFixture = {
      agent: info.agent ?? '',
      protocolVersion: String(info.protocolVersion),
      edition: server!.edition,
      version: server!.version,
    };
    expect(observed.edition).toBe('community');
    expect(observed.agent).toMatch(/^Neo4j\/5\.26\.\d+$/);
    expect(observed.protocolVersion).toMatch(/^5\.\d+$/);
    matchesFixture('server', observed);
  });

  it('refuses a wrong password with Neo.ClientError.Security.Unauthorized', async () => {
    const wrong = neo4j.driver(server!.boltUrl, neo4j.auth.basic(server!.user, `${server!.password}-wrong`));
    let caught: unknown;
    try {
      await wrong.verifyConnectivity();
    } catch (e) {
      caught = e;
    } finally {
      await wrong.close();
    }
    const { code, message, gqlStatus } = errorObservation(caught).error;
    const observed: AuthFailureFixture = { code, message, gqlStatus };
    expect(observed.code).toBe('Neo.ClientError.Security.Unauthorized');
    matchesFixture('auth-failure', observed);
  });

  // In catalogue order: the reads come after the writes they read back.
  for (const probe of PROBES) {
    const expected = probe.communitySupported ? 'answers' : 'fails';
    it(`${probe.id}: ${expected} (${probe.purpose})`, async () => {
      const observed = await observeProbe(driver!, probe, server!.address);
      expect(observed.observation.outcome).toBe(probe.communitySupported ? 'records' : 'error');
      matchesFixture(probe.id, observed);
    });
  }

  it('stops on SIGTERM, frees its port and removes its data directory; stop() is idempotent', async () => {
    const { address, dataDir } = server!;
    const [host, port] = address.split(':');
    expect(await acceptsConnections(host!, Number(port))).toBe(true);
    await driver!.close();
    await server!.stop();
    await server!.stop();
    expect(await acceptsConnections(host!, Number(port))).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('every probe has a fixture and every fixture a probe', () => {
    const expected = [...PROBES.map((p) => p.id), 'server', 'auth-failure'].sort();
    expect(fixtureNames()).toEqual(expected);
  });
});

function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (ok: boolean): void => {
      socket.destroy();
      res(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
