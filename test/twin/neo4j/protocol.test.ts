/**
 * The Bolt wire protocol of a simulated member, byte by byte with a raw client: both handshake forms,
 * FAILURE then IGNORED until RESET, the FAILURE shapes per version, and robustness against garbage.
 */
import net from 'node:net';
import { VirtualClock } from '../../../twin/core/clock.js';
import { startCluster } from '../../../twin/neo4j/index.js';
import type { SimCluster } from '../../../twin/neo4j/index.js';
import { chunk, Dechunker } from '../../../twin/neo4j/chunking.js';
import { PackStreamError, Structure, pack, psMap, unpack } from '../../../twin/neo4j/packstream.js';
import type { PsValue } from '../../../twin/neo4j/packstream.js';
import { MSG, RawBoltClient } from './helpers/raw-bolt.js';

describe('PackStream', () => {
  const roundTrip = (v: PsValue): PsValue => unpack(pack(v));

  it('keeps Integer (bigint) and Float (number) apart across every size', () => {
    for (const i of [
      0n,
      -1n,
      -16n,
      -17n,
      127n,
      128n,
      -128n,
      -129n,
      32767n,
      32768n,
      -2147483648n,
      2147483648n,
      -(2n ** 63n),
      2n ** 63n - 1n,
    ]) {
      expect(roundTrip(i)).toBe(i);
    }
    for (const f of [0, 1, -1.5, 1e300, Number.MIN_VALUE]) expect(roundTrip(f)).toBe(f);
    expect(pack(1n)).toEqual(Buffer.from([0x01]));
    expect(pack(1)).toEqual(Buffer.from([0xc1, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]));
    expect(() => pack(2n ** 63n)).toThrow(PackStreamError);
  });

  it('encodes strings, lists, maps, bytes and structures of every size class', () => {
    const long = 'x'.repeat(70_000);
    expect(roundTrip(long)).toBe(long);
    expect(roundTrip('é ✓')).toBe('é ✓');
    const list = Array.from({ length: 300 }, (_, i) => BigInt(i));
    expect(roundTrip(list)).toEqual(list);
    const map = psMap(
      Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i % 2 ? null : true])),
    );
    expect(roundTrip(map)).toEqual(map);
    expect(roundTrip(new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([1, 2, 3]));
    const s = roundTrip(new Structure(0x4e, [1n, ['L'], psMap({ a: 'b' }), '4:x:1'])) as Structure;
    expect(s).toBeInstanceOf(Structure);
    expect(s.tag).toBe(0x4e);
    expect(s.fields[3]).toBe('4:x:1');
  });

  it('treats __proto__ as a plain key and refuses malformed input', () => {
    const m = unpack(pack(psMap({ ['__proto__']: 'x' }))) as Record<string, PsValue>;
    expect(Object.keys(m)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(m)).toBeNull();
    expect(() => unpack(Buffer.from([0xd0, 0x05, 0x61]))).toThrow(/truncated/);
    expect(() => unpack(Buffer.from([0xd6, 0xff, 0xff, 0xff, 0xff]))).toThrow(/exceeds/);
    expect(() => unpack(Buffer.from([0xe0]))).toThrow(/unknown PackStream marker/);
    expect(() => unpack(Buffer.from([0x01, 0x02]))).toThrow(/trailing/);
    expect(() => unpack(Buffer.from([0xa1, 0x01, 0x01]))).toThrow(/map keys/);
  });
});

describe('chunking', () => {
  it('splits large messages, reassembles across arbitrary boundaries and skips NOOPs', () => {
    const msg = Buffer.alloc(150_000, 7);
    const framed = Buffer.concat([Buffer.from([0, 0]), chunk(msg), chunk(Buffer.from([1, 2, 3]))]);
    const d = new Dechunker();
    const out: Buffer[] = [];
    for (let i = 0; i < framed.length; i += 997) out.push(...d.feed(framed.subarray(i, i + 997)));
    expect(out).toHaveLength(2);
    expect(out[0]!.equals(msg)).toBe(true);
    expect([...out[1]!]).toEqual([1, 2, 3]);
  });

  it('refuses a message larger than its bound', () => {
    const d = new Dechunker(10);
    expect(() => d.feed(chunk(Buffer.alloc(11)))).toThrow(/larger than 10 bytes/);
  });
});

describe('the Bolt server of a simulated member', () => {
  let cluster: SimCluster;
  let host: string;
  let port: number;
  const clients: RawBoltClient[] = [];
  const connect = async (): Promise<RawBoltClient> => {
    const c = await RawBoltClient.connect(host, port);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await startCluster({
      primaries: 1,
      password: 'raw-secret',
      port: 0,
      clock: new VirtualClock({ mode: 'manual' }),
    });
    ({ host, port } = cluster.members[0]!);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
  });

  it('answers the manifest v1 handshake with 5.26’s ranges and takes the client’s choice', async () => {
    const c = await connect();
    const answer = await c.handshake(
      [
        [0, 0, 1, 0xff],
        [0, 8, 8, 5],
        [0, 2, 4, 4],
        [0, 0, 0, 3],
      ],
      18,
    );
    expect(answer.toString('hex')).toBe('000001ff0300040404000404050002080500');
    c.writeRaw(Buffer.from([0, 0, 8, 5, 0]));
    c.startMessages();
    const hello = await c.hello('neo4j', 'raw-secret');
    expect(hello.tag).toBe(MSG.SUCCESS);
    expect(hello.fields[0]).toMatchObject({ server: 'Neo4j/5.26.0', protocol_version: '5.8' });
  });

  it('answers the legacy handshake with one version, and 0 when nothing matches', async () => {
    const c = await connect();
    expect(
      (
        await c.handshake([
          [0, 2, 4, 5],
          [0, 0, 0, 3],
        ])
      ).toString('hex'),
    ).toBe('00000405');
    const none = await connect();
    expect(
      (
        await none.handshake([
          [0, 0, 0, 3],
          [0, 0, 0, 2],
        ])
      ).toString('hex'),
    ).toBe('00000000');
  });

  it('answers IGNORED to everything after a FAILURE until RESET (Bolt 5.4 legacy FAILURE shape)', async () => {
    const c = await connect();
    await c.handshake([[0, 0, 4, 5]]);
    c.startMessages();
    expect((await c.hello('neo4j', 'raw-secret')).tag).toBe(MSG.SUCCESS);
    c.send(MSG.RUN, 'NOT CYPHER', psMap(), psMap());
    c.send(MSG.PULL, psMap({ n: -1n }));
    c.send(MSG.RUN, 'RETURN 1', psMap(), psMap());
    const failure = await c.next();
    expect(failure.tag).toBe(MSG.FAILURE);
    expect(Object.keys(failure.fields[0] as object).sort()).toEqual(['code', 'message']);
    expect((await c.next()).tag).toBe(MSG.IGNORED);
    expect((await c.next()).tag).toBe(MSG.IGNORED);
    c.send(MSG.RESET);
    expect((await c.next()).tag).toBe(MSG.SUCCESS);
    const ok = await c.run('RETURN 1 AS x');
    expect(ok.records).toEqual([[1n]]);
    expect(ok.summary.fields[0]).toMatchObject({ type: 'r', db: 'neo4j' });
  });

  it('sends the GQL FAILURE shape from Bolt 5.7 on, and closes after an authentication failure', async () => {
    const c = await connect();
    await c.handshake([[0, 0, 8, 5]]);
    c.startMessages();
    const bad = await c.hello('neo4j', 'wrong');
    expect(bad.tag).toBe(MSG.FAILURE);
    expect(bad.fields[0]).toMatchObject({
      neo4j_code: 'Neo.ClientError.Security.Unauthorized',
      message: 'The client is unauthorized due to authentication failure.',
      gql_status: '50N42',
    });
    await expect(c.next(2000)).rejects.toThrow(/closed/);
  });

  it('takes credentials in HELLO on Bolt 4.4 and sends 4.x values', async () => {
    const c = await connect();
    await c.handshake([[0, 0, 4, 4]]);
    c.startMessages();
    expect((await c.hello('neo4j', 'raw-secret', { logon: false })).tag).toBe(MSG.SUCCESS);
    const r = await c.run('CREATE (n:Old {a: 1}) RETURN n', psMap(), psMap({ db: 'neo4j' }));
    const node = r.records[0]![0] as Structure;
    expect(node.fields).toHaveLength(3);
    const dbs = await c.run('SHOW DATABASES YIELD creationTime', psMap(), psMap({ db: 'system' }));
    expect((dbs.records[0]![0] as Structure).tag).toBe(0x46);
  });

  it('serves ROUTE and explicit transactions with qids', async () => {
    const c = await connect();
    await c.handshake([[0, 0, 8, 5]]);
    c.writeRaw(Buffer.alloc(0));
    c.startMessages();
    await c.hello('neo4j', 'raw-secret');
    c.send(MSG.ROUTE, psMap({ address: `${host}:${port}` }), [], psMap({ db: 'neo4j' }));
    const route = await c.next();
    expect(route.fields[0]).toMatchObject({ rt: { ttl: 300n, db: 'neo4j' } });
    c.send(MSG.BEGIN, psMap({ db: 'neo4j' }));
    expect((await c.next()).tag).toBe(MSG.SUCCESS);
    c.send(MSG.RUN, 'RETURN 1 AS a', psMap(), psMap());
    c.send(MSG.RUN, 'RETURN 2 AS b', psMap(), psMap());
    expect((await c.next()).fields[0]).toMatchObject({ qid: 0n, fields: ['a'] });
    expect((await c.next()).fields[0]).toMatchObject({ qid: 1n, fields: ['b'] });
    c.send(MSG.PULL, psMap({ n: -1n, qid: 0n }));
    expect((await c.result()).records).toEqual([[1n]]);
    c.send(MSG.DISCARD, psMap({ n: -1n, qid: 1n }));
    expect((await c.result()).records).toEqual([]);
    c.send(MSG.COMMIT);
    expect((await c.next()).fields[0]).toMatchObject({ bookmark: expect.stringMatching(/^FB:/) });
  });

  it('closes a connection that does not start with the Bolt magic, and survives garbage messages', async () => {
    const s = net.connect({ host, port });
    clients.push({ close: () => Promise.resolve(s.destroy()) } as unknown as RawBoltClient);
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;

    const c = await connect();
    await c.handshake([[0, 0, 4, 5]]);
    c.startMessages();
    c.writeRaw(chunk(Buffer.from([0xe0, 0x01])));
    const f = await c.next();
    expect(f.tag).toBe(MSG.FAILURE);
    expect(f.fields[0]).toMatchObject({ code: 'Neo.ClientError.Request.Invalid' });

    // The member still serves others.
    const ok = await connect();
    await ok.handshake([[0, 0, 4, 5]]);
    ok.startMessages();
    expect((await ok.hello('neo4j', 'raw-secret')).tag).toBe(MSG.SUCCESS);
  });

  it('refuses a message out of order with a FAILURE instead of crashing', async () => {
    const c = await connect();
    await c.handshake([[0, 0, 4, 5]]);
    c.startMessages();
    c.send(MSG.RUN, 'RETURN 1', psMap(), psMap());
    const f = await c.next();
    expect(f.tag).toBe(MSG.FAILURE);
    expect(f.fields[0]).toMatchObject({ code: 'Neo.ClientError.Request.Invalid' });
  });
});
