/**
 * The adapter's administration commands against a simulated cluster, and their clean failure on
 * Community; plus the pure helpers (URLs, credentials, the health gate, error classification).
 */
import { VirtualClock } from '../../twin/core/clock.js';
import { startCluster } from '../../twin/neo4j/index.js';
import type { SimCluster } from '../../twin/neo4j/index.js';
import {
  MemberConnection,
  ProbeError,
  classify,
  credentialsFromSecret,
  deallocateDatabases,
  dropServer,
  enableServer,
  evaluateHealthGate,
  parseCredentials,
  parseMemberUrl,
  probeCluster,
  reallocateDatabases,
  setDefaultToReadOnly,
  cordonServer,
} from '../../src/neo4j/index.js';

const AUTH = { user: 'neo4j', password: 'admin-secret' };

describe('administration commands', () => {
  let clock: VirtualClock;
  let cluster: SimCluster;
  let conn: MemberConnection;

  beforeEach(async () => {
    clock = new VirtualClock({ mode: 'manual' });
    cluster = await startCluster({
      primaries: 3,
      databases: ['movies'],
      password: AUTH.password,
      port: 0,
      clock,
      storeCopyMs: 1000,
      catchUpPerTxMs: 10,
    });
    conn = new MemberConnection(cluster.member('primary-1').boltUrl, AUTH, { timeoutMs: 3000 });
  });
  afterEach(async () => {
    await conn.close();
    await cluster.stop();
  });

  it('replaces a member: enable the new server, dry-run and run the deallocation, then drop the old one', async () => {
    const old = cluster.member('primary-3').serverId;
    await cluster.stopMember('primary-3');
    await cluster.startMember('primary-3', { emptyVolume: true });
    const fresh = cluster.member('primary-3').serverId;
    await enableServer(conn, fresh, { modeConstraint: 'PRIMARY', tags: ['az-a'] });
    const plan = await deallocateDatabases(conn, [old], { dryRun: true });
    expect(plan.map((p) => p.database).sort()).toEqual(['movies', 'neo4j']);
    expect(plan.every((p) => p.fromServerId === old && p.toServerId === fresh && p.mode === 'primary')).toBe(
      true,
    );
    await expect(dropServer(conn, old)).rejects.toMatchObject({
      kind: 'query',
      code: 'Neo.ClientError.General.InvalidArguments',
    });
    expect(await deallocateDatabases(conn, [old], { dryRun: false })).toEqual([]);
    await clock.advance(25_000); // store copies, and the election for what primary-3 used to lead
    await dropServer(conn, old);
    const view = await probeCluster(
      cluster.members.map((m) => m.boltUrl),
      AUTH,
      { timeoutMs: 3000 },
    );
    expect(view.servers.map((s) => s.serverId)).not.toContain(old);
    expect(view.servers.find((s) => s.serverId === fresh)).toMatchObject({
      state: 'Enabled',
      hosting: ['movies', 'neo4j', 'system'],
    });
    expect(view.healthGate.ok).toBe(true);
    expect(view.healthy).toBe(true);
  });

  it('cordons a server and dry-runs a reallocation', async () => {
    const id = cluster.member('primary-2').serverId;
    await cordonServer(conn, id);
    const rows = await conn.rows('SHOW SERVERS YIELD serverId, state WHERE serverId = $id', { id });
    expect(rows).toEqual([{ serverId: id, state: 'Cordoned' }]);
    await enableServer(conn, id);
    expect(await reallocateDatabases(conn, { dryRun: true })).toEqual([]);
  });

  it('rejects bad names and options before sending anything', async () => {
    await expect(enableServer(conn, '')).rejects.toThrow(/invalid server name/);
    await expect(
      enableServer(conn, 'x', { allowedDatabases: ['a'], deniedDatabases: ['b'] }),
    ).rejects.toThrow(/mutually exclusive/);
    await expect(deallocateDatabases(conn, [], { dryRun: true })).rejects.toThrow(/at least one server/);
  });

  it('passes names safely even with quotes in them', async () => {
    await expect(enableServer(conn, "no'such\\server")).rejects.toMatchObject({
      message: expect.stringContaining('does not exist'),
    });
  });
});

describe('administration on Community', () => {
  it('fails with enterprise-only errors the caller can report', async () => {
    const c = await startCluster({
      primaries: 1,
      edition: 'community',
      password: AUTH.password,
      port: 0,
      clock: new VirtualClock({ mode: 'manual' }),
    });
    const conn = new MemberConnection(c.members[0]!.boltUrl, AUTH);
    try {
      await expect(setDefaultToReadOnly(conn, true)).rejects.toMatchObject({
        kind: 'enterprise-only',
        code: 'Neo.ClientError.Procedure.ProcedureNotFound',
      });
      await expect(enableServer(conn, 'x')).rejects.toMatchObject({
        kind: 'enterprise-only',
        code: 'Neo.ClientError.Statement.UnsupportedAdministrationCommand',
      });
      await expect(conn.rows('SHOW SERVERS')).rejects.toMatchObject({
        kind: 'enterprise-only',
        code: 'Neo.ClientError.Statement.NotSystemDatabaseError',
      });
    } finally {
      await conn.close();
      await c.stop();
    }
  });
});

describe('adapter helpers', () => {
  it('parses member URLs', () => {
    expect(parseMemberUrl('bolt://10.0.0.5:7687')).toEqual({
      url: 'bolt://10.0.0.5:7687',
      address: '10.0.0.5:7687',
    });
    expect(parseMemberUrl('bolt+s://db.example.com')).toEqual({
      url: 'bolt+s://db.example.com:7687',
      address: 'db.example.com:7687',
    });
    expect(() => parseMemberUrl('neo4j://a:7687')).toThrow(/routing URL/);
    expect(() => parseMemberUrl('bolt://')).toThrow();
    expect(() => parseMemberUrl('bolt://a:7687/path')).toThrow(/not a bolt/);
  });

  it('parses credentials from JSON and the NEO4J_AUTH form, never echoing the password', async () => {
    expect(parseCredentials('{"username":"neo4j","password":"s3cret"}')).toEqual({
      user: 'neo4j',
      password: 's3cret',
    });
    expect(parseCredentials('{"password":"s3cret"}')).toEqual({ user: 'neo4j', password: 's3cret' });
    expect(parseCredentials('neo4j/pa/ss')).toEqual({ user: 'neo4j', password: 'pa/ss' });
    expect(() => parseCredentials('{"username":"neo4j"}')).toThrow(/must hold/);
    expect(() => parseCredentials('justapassword')).toThrow(/NEO4J_AUTH/);
    try {
      parseCredentials('{"user": 1, "password": "hunter2"');
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
    const reader = {
      getSecretString: (id: string) =>
        Promise.resolve(id === 'arn:ok' ? 'neo4j/x' : Promise.reject(new Error('ResourceNotFoundException'))),
    };
    await expect(credentialsFromSecret(reader, 'arn:ok')).resolves.toEqual({ user: 'neo4j', password: 'x' });
    await expect(credentialsFromSecret(reader, 'arn:missing')).rejects.toThrow(
      /cannot read secret arn:missing/,
    );
  });

  it('evaluates the health gate like Neo4j', () => {
    const online = {
      name: 'a',
      address: 'h:1',
      serverId: 's',
      role: 'leader' as const,
      currentStatus: 'online',
      requestedStatus: 'online',
      statusMessage: '',
      lastCommittedTxn: 1,
      replicationLag: 0,
      databaseId: 'x',
    };
    const server = {
      serverId: 's',
      name: 's',
      address: 'h:1',
      state: 'Enabled',
      health: 'Available',
      hosting: ['system', 'a'],
      requestedHosting: ['a', 'system'],
      modeConstraint: 'NONE',
      version: '5.26.0',
    };
    expect(evaluateHealthGate([online], [server])).toMatchObject({ evaluated: true, ok: true, reasons: [] });
    const g = evaluateHealthGate(
      [{ ...online, currentStatus: 'starting' }],
      [{ ...server, hosting: ['system'] }],
    );
    expect(g.ok).toBe(false);
    expect(g.reasons).toHaveLength(2);
    expect(evaluateHealthGate(null, null)).toMatchObject({ evaluated: false, ok: false });
  });

  it('classifies driver errors into operator-readable kinds', () => {
    expect(
      classify(
        Object.assign(new Error('x'), { code: 'Neo.ClientError.Security.Unauthorized' }),
        'h:1',
        'neo4j',
      ).kind,
    ).toBe('auth');
    expect(
      classify(
        Object.assign(new Error('connect ECONNREFUSED 1.2.3.4:7687'), { code: 'ServiceUnavailable' }),
        'h:1',
        'neo4j',
      ),
    ).toMatchObject({
      kind: 'unreachable',
      message: 'cannot reach Neo4j at h:1: connection refused',
    });
    expect(classify(new Error('boom'), 'h:1', 'neo4j').kind).toBe('query');
    expect(classify(new ProbeError('timeout', 't'), 'h:1', 'neo4j').kind).toBe('timeout');
  });
});
