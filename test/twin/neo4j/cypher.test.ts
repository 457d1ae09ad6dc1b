/**
 * The Cypher subset of the simulated members: parsing, expression semantics (nulls, Integer vs
 * Float, aggregates), SHOW tails, and graph queries in transactions, driven through the query engine
 * of a member that is not listening (no network).
 */
import { VirtualClock } from '../../../twin/core/clock.js';
import { Rng } from '../../../twin/core/rng.js';
import { WorldLog } from '../../../twin/core/world-log.js';
import { ClusterModel } from '../../../twin/neo4j/cluster.js';
import type { Neo4jError } from '../../../twin/neo4j/errors.js';
import { QueryEngine } from '../../../twin/neo4j/query-engine.js';
import { MemberVolume } from '../../../twin/neo4j/store.js';
import { parseExpression, parseStatement } from '../../../twin/neo4j/cypher/parser.js';
import { Evaluator } from '../../../twin/neo4j/cypher/eval.js';
import { psMap } from '../../../twin/neo4j/packstream.js';
import type { PsValue } from '../../../twin/neo4j/packstream.js';
import { parseVersion } from '../../../twin/neo4j/versions.js';

function standalone(): { engine: QueryEngine; model: ClusterModel } {
  const clock = new VirtualClock({ mode: 'manual' });
  const model = new ClusterModel({
    clock,
    rng: new Rng(1),
    log: new WorldLog(() => clock.now()),
    edition: 'enterprise',
    electionTimeoutMs: 1000,
    leaderTransferMs: 100,
    startDelayMs: 0,
    catchUpPerTxMs: 0,
    storeCopyMs: 0,
    minimumInitialPrimaries: 1,
    initialDatabases: [],
    initialTopology: 'all',
    defaultTopology: { primaries: 1, secondaries: 0 },
    autoEnableFreeServers: false,
  });
  model.join({
    name: 'm',
    serverId: 'server-1',
    mode: 'primary',
    version: parseVersion('5.26.0'),
    address: '127.0.0.1:7687',
    httpAddress: '127.0.0.1:7474',
    volume: new MemberVolume(new Map()),
  });
  const engine = new QueryEngine({
    cluster: model,
    serverId: 'server-1',
    edition: 'enterprise',
    version: parseVersion('5.26.0'),
    now: () => clock.now(),
  });
  return { engine, model };
}

const ev = new Evaluator({
  params: psMap({ p: 5n, s: 'abc', l: [1n, 2n] }),
  elementId: () => 'x',
  now: () => 0,
});
const val = (src: string): unknown => ev.eval(parseExpression(src), new Map());

describe('Cypher expressions', () => {
  it('follows Cypher null and numeric semantics', () => {
    expect(val('1 + 2')).toBe(3n);
    expect(val('1 + 2.5')).toBe(3.5);
    expect(val('7 / 2')).toBe(3n);
    expect(val('7.0 / 2')).toBe(3.5);
    expect(val('1 = 1.0')).toBe(true);
    expect(val('null = null')).toBeNull();
    expect(val('null IS NULL')).toBe(true);
    expect(val('false AND null')).toBe(false);
    expect(val('true OR null')).toBe(true);
    expect(val('2 IN [1, null]')).toBeNull();
    expect(val("'ab' + 1")).toBe('ab1');
    expect(val('$l[1]')).toBe(2n);
    expect(val('$l[-1]')).toBe(2n);
    expect(val("$s STARTS WITH 'a' AND $s CONTAINS 'b'")).toBe(true);
    expect(val('[1, 2] = [1, 2]')).toBe(true);
    expect(val('size(range(1, $p))')).toBe(5n);
    expect(val("toInteger('42') + toFloat(1)")).toBe(43);
    expect(val("coalesce(null, 'x')")).toBe('x');
  });

  it('raises real error codes for bad expressions', () => {
    const code = (src: string): string => {
      try {
        val(src);
        return 'no error';
      } catch (e) {
        return (e as Neo4jError).code;
      }
    };
    expect(code('$missing')).toBe('Neo.ClientError.Statement.ParameterMissing');
    expect(code('1 / 0')).toBe('Neo.ClientError.Statement.ArgumentError');
    expect(code("1 - 'a'")).toBe('Neo.ClientError.Statement.TypeError');
    expect(code('9223372036854775807 + 1')).toBe('Neo.ClientError.Statement.ArgumentError');
    expect(code('nosuchfn(1)')).toBe('Neo.ClientError.Statement.SyntaxError');
  });

  it('parses the statements the operator sends and refuses the rest with SyntaxError', () => {
    expect(parseStatement('SHOW DATABASES YIELD name, address WHERE name = "x" RETURN name').k).toBe(
      'showDatabases',
    );
    expect(parseStatement('DRYRUN DEALLOCATE DATABASES FROM SERVERS $a, "b"')).toMatchObject({
      k: 'deallocate',
      dryRun: true,
    });
    expect(
      parseStatement('CREATE DATABASE foo IF NOT EXISTS TOPOLOGY 3 PRIMARIES 1 SECONDARY'),
    ).toMatchObject({
      k: 'createDatabase',
      ifNotExists: true,
      topology: { primaries: 3, secondaries: 1 },
    });
    expect(parseStatement("CALL dbms.setConfigValue('a', 'b')")).toMatchObject({
      k: 'call',
      proc: 'dbms.setConfigValue',
    });
    for (const bad of [
      '',
      'MATCH (a)-[:R]->(b) RETURN a',
      'MATCH (n)',
      'RETURN',
      "RETURN 'unterminated",
      'SHOW PROCEDURES',
    ]) {
      expect(() => parseStatement(bad)).toThrow(
        expect.objectContaining({ code: 'Neo.ClientError.Statement.SyntaxError' }) as Error,
      );
    }
  });
});

describe('the query engine', () => {
  const run = (engine: QueryEngine, q: string, params: Record<string, PsValue> = {}, db = 'neo4j') =>
    engine.execute(q, psMap(params), db, 'w', null);

  it('creates, matches, merges, updates and deletes nodes, with counters', () => {
    const { engine } = standalone();
    const c = run(
      engine,
      'UNWIND range(1, 3) AS i CREATE (n:P {i: i, even: i % 2 = 0}) RETURN count(n) AS c',
    );
    expect(c.records).toEqual([[3n]]);
    expect(c.stats).toMatchObject({ 'nodes-created': 3n, 'labels-added': 3n, 'properties-set': 6n });
    expect(run(engine, 'MATCH (n:P) WHERE n.even RETURN n.i AS i').records).toEqual([[2n]]);
    expect(run(engine, 'MATCH (n:P) RETURN n.even AS e, count(*) AS c ORDER BY e').records).toEqual([
      [false, 2n],
      [true, 1n],
    ]);
    expect(run(engine, 'MERGE (n:P {i: 1}) RETURN n.i AS i').stats).toEqual(psMap());
    expect(run(engine, 'MERGE (n:P {i: 9}) RETURN n.i AS i').stats).toMatchObject({ 'nodes-created': 1n });
    run(engine, 'MATCH (n:P {i: 9}) SET n.name = $name', { name: 'nine' });
    expect(run(engine, 'MATCH (n:P {i: 9}) RETURN n.name AS name').records).toEqual([['nine']]);
    const d = run(engine, 'MATCH (n:P) WHERE n.i > 2 DETACH DELETE n');
    expect(d.stats).toMatchObject({ 'nodes-deleted': 2n });
    expect(d.type).toBe('w');
    expect(
      run(engine, 'MATCH (n) RETURN collect(n.i) AS is, min(n.i) AS lo, max(n.i) AS hi, avg(n.i) AS mean')
        .records,
    ).toEqual([[[1n, 2n], 1n, 2n, 1.5]]);
    expect(run(engine, 'MATCH (n:Nothing) RETURN count(n) AS c').records).toEqual([[0n]]);
    expect(run(engine, 'OPTIONAL MATCH (n:Nothing) RETURN n').records).toEqual([[null]]);
  });

  it('applies SHOW tails: YIELD aliases, WHERE, ORDER BY, RETURN with aggregates', () => {
    const { engine } = standalone();
    const r = run(
      engine,
      'SHOW DATABASES YIELD name AS db, writer ORDER BY db DESC WHERE writer RETURN collect(db) AS dbs',
      {},
      'system',
    );
    expect(r.fields).toEqual(['dbs']);
    expect(r.records).toEqual([[['system', 'neo4j']]]);
    expect(r.type).toBe('s');
    expect(run(engine, 'SHOW DEFAULT DATABASE', {}, 'system').fields).not.toContain('default');
    expect(() => run(engine, 'SHOW DATABASES YIELD nope', {}, 'system')).toThrow(
      expect.objectContaining({ code: 'Neo.ClientError.Statement.SyntaxError' }) as Error,
    );
  });

  it('creates and drops databases, refusing duplicates and bad names', () => {
    const { engine, model } = standalone();
    run(engine, 'CREATE DATABASE movies', {}, 'system');
    expect(model.dbs.get('movies')?.replicas.get('server-1')?.status).toBe('online');
    expect(() => run(engine, 'CREATE DATABASE movies', {}, 'system')).toThrow(
      expect.objectContaining({ code: 'Neo.ClientError.Database.ExistingDatabaseFound' }) as Error,
    );
    run(engine, 'CREATE DATABASE movies IF NOT EXISTS', {}, 'system');
    expect(() => run(engine, 'CREATE DATABASE `1bad`', {}, 'system')).toThrow(
      expect.objectContaining({ code: 'Neo.ClientError.General.InvalidArguments' }) as Error,
    );
    run(engine, 'CREATE (:M)', {}, 'movies');
    expect(run(engine, 'MATCH (n) RETURN count(n) AS c', {}, 'movies').records).toEqual([[1n]]);
    run(engine, 'DROP DATABASE movies', {}, 'system');
    expect(() => run(engine, 'MATCH (n) RETURN n', {}, 'movies')).toThrow(
      expect.objectContaining({ code: 'Neo.ClientError.Database.DatabaseNotFound' }) as Error,
    );
  });

  it('keeps explicit transactions isolated until commit', () => {
    const { engine } = standalone();
    const tx = engine.begin('neo4j', 'w');
    engine.execute('CREATE (:T)', psMap(), 'neo4j', 'w', tx);
    expect(engine.execute('MATCH (n:T) RETURN count(n) AS c', psMap(), 'neo4j', 'w', tx).records).toEqual([
      [1n],
    ]);
    expect(run(engine, 'MATCH (n:T) RETURN count(n) AS c').records).toEqual([[0n]]);
    expect(engine.commit(tx)).toMatch(/^FB:/);
    expect(run(engine, 'MATCH (n:T) RETURN count(n) AS c').records).toEqual([[1n]]);
  });
});
