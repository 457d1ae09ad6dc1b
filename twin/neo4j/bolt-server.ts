/**
 * The Bolt server of a simulated member: TCP on the member's own loopback address, the handshake
 * (legacy version slots and the manifest v1 form that neo4j-driver 6.x offers first; 5.26 answers the
 * manifest with 4.0–4.4, 5.0–5.4, 5.6–5.8 [real]), chunked PackStream messages, and the Bolt
 * connection state machine:
 *
 *   HELLO [→ LOGON] → READY ─RUN→ STREAMING ─PULL/DISCARD→ READY
 *                      READY ─BEGIN→ TX_READY ─RUN→ TX_STREAMING ─COMMIT/ROLLBACK→ READY
 *   any FAILURE → FAILED: every message is IGNORED until RESET (→ READY); GOODBYE closes.
 *
 * FAILURE metadata is `{code, message}` up to Bolt 5.6 and the GQL form from 5.7, as 5.26 sends it.
 * An authentication failure closes the connection, as a real server does. Values are adapted to the
 * negotiated version (Bolt 4.x: Node without element id, legacy DateTime tag).
 */
import net from 'node:net';
import { chunk, Dechunker } from './chunking.js';
import { Neo4jError, errors } from './errors.js';
import { PackStreamError, Structure, isPsMap, pack, psMap, unpack } from './packstream.js';
import type { PsMap, PsValue } from './packstream.js';
import type { BoltVersion } from './versions.js';
import type { Outcome, QueryEngine, TxState } from './query-engine.js';
import type { RoutingTable } from './cluster-views.js';
import { MSG } from './messages.js';

const { SUCCESS, RECORD, IGNORED, FAILURE } = MSG;

export interface BoltBackend {
  /** `Neo4j/<version>` as HELLO SUCCESS `server`. */
  readonly agent: string;
  /** Offered versions, highest first. */
  readonly boltVersions: readonly BoltVersion[];
  /** Whether the server answers the manifest v1 handshake (5.7+ servers do). */
  readonly manifest: boolean;
  authenticate(scheme: unknown, principal: unknown, credentials: unknown): boolean;
  newEngine(): QueryEngine;
  route(db: string): RoutingTable;
  /** Called for every connection error that is not the client's fault, for the member's log. */
  onError?(e: unknown): void;
}

type State =
  | 'NEGOTIATION'
  | 'AUTHENTICATION'
  | 'READY'
  | 'STREAMING'
  | 'TX_READY'
  | 'TX_STREAMING'
  | 'FAILED'
  | 'DEFUNCT';

interface OpenResult {
  qid: number;
  outcome: Outcome;
  pos: number;
}

function readVarInt(buf: Buffer, pos: number): { value: number; next: number } | null {
  let value = 0;
  let shift = 0;
  for (let i = pos; i < buf.length && i < pos + 5; i++) {
    const b = buf[i] as number;
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    shift += 7;
  }
  return null;
}

function writeVarInt(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
}

/** Groups offered versions into manifest ranges: [0, range, minor, major]. */
function manifestRanges(versions: readonly BoltVersion[]): Buffer[] {
  const out: Buffer[] = [];
  const sorted = [...versions].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let i = 0;
  while (i < sorted.length) {
    const [major, lo] = sorted[i] as BoltVersion;
    let hi = lo;
    while (
      i + 1 < sorted.length &&
      (sorted[i + 1] as BoltVersion)[0] === major &&
      (sorted[i + 1] as BoltVersion)[1] === hi + 1
    ) {
      i++;
      hi++;
    }
    out.push(Buffer.from([0, hi - lo, hi, major]));
    i++;
  }
  return out;
}

class Connection {
  private state: State = 'NEGOTIATION';
  private version: BoltVersion = [0, 0];
  private handshake: Buffer = Buffer.alloc(0);
  private phase: 'magic' | 'manifest-reply' | 'messages' = 'magic';
  private readonly dechunker = new Dechunker();
  private queue: Promise<void> = Promise.resolve();
  private readonly engine: QueryEngine;
  private tx: TxState | null = null;
  private results: OpenResult[] = [];
  private nextQid = 0;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly backend: BoltBackend,
    private readonly id: number,
  ) {
    this.engine = backend.newEngine();
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'DEFUNCT';
    this.socket.destroy();
  }

  private get v5(): boolean {
    return this.version[0] >= 5;
  }
  private atLeast(major: number, minor: number): boolean {
    return this.version[0] > major || (this.version[0] === major && this.version[1] >= minor);
  }

  private onData(d: Buffer): void {
    if (this.closed) return;
    try {
      if (this.phase !== 'messages') {
        this.handshake = Buffer.concat([this.handshake, d]);
        if (this.handshake.length > 1024) return this.close();
        if (this.phase === 'magic') this.negotiate();
        if ((this.phase as string) === 'manifest-reply') this.readManifestReply();
        if ((this.phase as string) !== 'messages') return;
        d = this.handshake;
        this.handshake = Buffer.alloc(0);
        if (!d.length) return;
      }
      for (const m of this.dechunker.feed(d)) {
        this.queue = this.queue
          .then(() => this.handle(m))
          .catch((e: unknown) => {
            this.backend.onError?.(e);
            this.close();
          });
      }
    } catch (e) {
      this.backend.onError?.(e);
      this.close();
    }
  }

  private negotiate(): void {
    if (this.handshake.length < 20) return;
    const h = this.handshake;
    if (h.readUInt32BE(0) !== 0x6060b017) return this.close();
    const slots = [4, 8, 12, 16].map((o) => h.subarray(o, o + 4));
    this.handshake = h.subarray(20);
    const offered = this.backend.boltVersions;
    if (this.backend.manifest && slots.some((s) => s[2] === 1 && s[3] === 0xff)) {
      const ranges = manifestRanges(offered);
      this.socket.write(
        Buffer.concat([Buffer.from([0, 0, 1, 0xff]), writeVarInt(ranges.length), ...ranges, writeVarInt(0)]),
      );
      this.phase = 'manifest-reply';
      return;
    }
    for (const s of slots) {
      const major = s[3] as number;
      const minor = s[2] as number;
      const range = s[1] as number;
      if (major === 0xff || major === 0) continue;
      const hit = offered.find(([ma, mi]) => ma === major && mi <= minor && mi >= minor - range);
      if (hit) {
        this.version = hit;
        this.socket.write(Buffer.from([0, 0, hit[1], hit[0]]));
        this.phase = 'messages';
        return;
      }
    }
    this.socket.write(Buffer.from([0, 0, 0, 0]));
    this.socket.end();
    this.closed = true;
  }

  private readManifestReply(): void {
    if (this.handshake.length < 5) return;
    const h = this.handshake;
    const major = h[3] as number;
    const minor = h[2] as number;
    const caps = readVarInt(h, 4);
    if (!caps) return;
    const hit = this.backend.boltVersions.find(([ma, mi]) => ma === major && mi === minor);
    if (!hit) return this.close();
    this.version = hit;
    this.handshake = h.subarray(caps.next);
    this.phase = 'messages';
  }

  private send(tag: number, ...fields: PsValue[]): void {
    if (this.closed) return;
    this.socket.write(
      chunk(
        pack(
          new Structure(
            tag,
            fields.map((f) => this.adapt(f)),
          ),
        ),
      ),
    );
  }

  /** Adapts values to the negotiated version. */
  private adapt(v: PsValue): PsValue {
    if (this.v5) return v;
    if (v instanceof Structure) {
      if (v.tag === 0x4e)
        return new Structure(
          0x4e,
          v.fields.slice(0, 3).map((f) => this.adapt(f)),
        );
      if (v.tag === 0x49) return new Structure(0x46, v.fields);
      return new Structure(
        v.tag,
        v.fields.map((f) => this.adapt(f)),
      );
    }
    if (Array.isArray(v)) return v.map((x) => this.adapt(x));
    if (isPsMap(v)) {
      const m = psMap();
      for (const [k, x] of Object.entries(v)) m[k] = this.adapt(x);
      return m;
    }
    return v;
  }

  private success(meta: PsMap = psMap()): void {
    this.send(SUCCESS, meta);
  }

  private failure(e: Neo4jError): void {
    let meta: PsMap;
    if (this.atLeast(5, 7)) {
      meta = psMap({
        neo4j_code: e.code,
        message: e.message,
        gql_status: e.gqlStatus,
        description: e.gqlDescription,
      });
      if (e.gqlCause) {
        // 5.26 adds a diagnostic record and a GQL cause to the errors that have a specific GQL status [real].
        meta.diagnostic_record = psMap({ _classification: e.classification });
        meta.cause = psMap({
          message: e.gqlCause.message,
          gql_status: e.gqlCause.gqlStatus,
          description: e.gqlCause.description,
          diagnostic_record: psMap({ _classification: e.classification }),
        });
      }
    } else meta = psMap({ code: e.code, message: e.message });
    this.send(FAILURE, meta);
  }

  private handle(raw: Buffer): void {
    if (this.closed) return;
    let msg: PsValue;
    try {
      msg = unpack(raw);
    } catch (e) {
      if (e instanceof PackStreamError) return this.protocolError(`Malformed message: ${e.message}`);
      throw e;
    }
    if (!(msg instanceof Structure)) return this.protocolError('A Bolt message must be a structure');
    const tag = msg.tag;
    const f = msg.fields;
    if (tag === MSG.GOODBYE) return this.close();
    if (tag === MSG.RESET) return this.reset();
    if (this.state === 'FAILED') return this.send(IGNORED);
    try {
      this.dispatch(tag, f);
    } catch (e) {
      if (!(e instanceof Neo4jError)) throw e;
      this.failure(e);
      if (e.code === 'Neo.ClientError.Security.Unauthorized') {
        this.socket.end();
        this.closed = true;
        return;
      }
      if (this.tx) this.tx = null;
      this.results = [];
      this.state = 'FAILED';
    }
  }

  private protocolError(message: string): void {
    this.failure(errors.requestInvalid(message));
    this.socket.end();
    this.closed = true;
  }

  private reset(): void {
    this.tx = null;
    this.results = [];
    if (this.state === 'NEGOTIATION' || this.state === 'AUTHENTICATION') return this.success();
    this.state = 'READY';
    this.success();
  }

  private expectState(...allowed: State[]): void {
    if (!allowed.includes(this.state)) {
      throw errors.requestInvalid(`Message not allowed in state ${this.state}`);
    }
  }

  private dispatch(tag: number, f: PsValue[]): void {
    const map = (i: number): PsMap => {
      const v = f[i];
      return isPsMap(v) ? v : psMap();
    };
    switch (tag) {
      case MSG.HELLO:
        return this.hello(map(0));
      case MSG.LOGON:
        if (!this.atLeast(5, 1)) return this.invalid('LOGON');
        this.expectState('AUTHENTICATION');
        return this.logon(map(0));
      case MSG.LOGOFF:
        if (!this.atLeast(5, 1)) return this.invalid('LOGOFF');
        this.expectState('READY');
        this.state = 'AUTHENTICATION';
        return this.success();
      case MSG.TELEMETRY:
        this.expectState('READY');
        return this.success();
      case MSG.ROUTE:
        this.expectState('READY');
        return this.route(f);
      case MSG.RUN:
        return this.run(f);
      case MSG.PULL:
      case MSG.DISCARD:
        return this.pull(map(0), tag === MSG.DISCARD);
      case MSG.BEGIN:
        this.expectState('READY');
        return this.begin(map(0));
      case MSG.COMMIT:
        this.expectState('TX_READY', 'TX_STREAMING');
        return this.commit();
      case MSG.ROLLBACK:
        this.expectState('TX_READY', 'TX_STREAMING');
        this.tx = null;
        this.results = [];
        this.state = 'READY';
        return this.success();
      default:
        return this.invalid(`0x${tag.toString(16)}`);
    }
  }

  private invalid(what: string): void {
    throw errors.requestInvalid(
      `Message ${what} is not supported in Bolt ${this.version[0]}.${this.version[1]}`,
    );
  }

  private hello(extra: PsMap): void {
    this.expectState('NEGOTIATION');
    if (typeof extra.user_agent !== 'string') throw errors.requestInvalid('HELLO must carry a user_agent');
    if (!this.atLeast(5, 1)) {
      if (!this.backend.authenticate(extra.scheme, extra.principal, extra.credentials))
        throw errors.unauthorized();
      this.state = 'READY';
    } else this.state = 'AUTHENTICATION';
    const meta = psMap({ server: this.backend.agent, connection_id: `bolt-${this.id}` });
    if (this.atLeast(5, 7)) meta.protocol_version = `${this.version[0]}.${this.version[1]}`;
    meta.hints = psMap({ 'connection.recv_timeout_seconds': 120n });
    this.success(meta);
  }

  private logon(auth: PsMap): void {
    if (!this.backend.authenticate(auth.scheme, auth.principal, auth.credentials))
      throw errors.unauthorized();
    this.state = 'READY';
    this.success();
  }

  private dbOf(extra: PsMap): string {
    const db = extra.db;
    return typeof db === 'string' && db.length ? db.toLowerCase() : 'neo4j';
  }

  private modeOf(extra: PsMap): 'r' | 'w' {
    return extra.mode === 'r' ? 'r' : 'w';
  }

  private route(f: PsValue[]): void {
    let db: string | null = null;
    const third = f[2];
    if (typeof third === 'string') db = third;
    else if (isPsMap(third) && typeof third.db === 'string') db = third.db;
    const name = (db ?? 'neo4j').toLowerCase();
    const rt = this.backend.route(name);
    this.success(
      psMap({
        rt: psMap({
          servers: rt.servers.map((s) => psMap({ addresses: s.addresses, role: s.role })),
          ttl: rt.ttl,
          db: rt.db,
        }),
      }),
    );
  }

  private run(f: PsValue[]): void {
    const query = f[0];
    const params = isPsMap(f[1]) ? f[1] : psMap();
    const extra = isPsMap(f[2]) ? f[2] : psMap();
    if (typeof query !== 'string') throw errors.requestInvalid('RUN needs a query string');
    if (this.state === 'READY') {
      const outcome = this.engine.execute(query, params, this.dbOf(extra), this.modeOf(extra), null);
      this.results = [{ qid: -1, outcome, pos: 0 }];
      this.state = 'STREAMING';
      return this.success(psMap({ t_first: 0n, fields: outcome.fields }));
    }
    this.expectState('TX_READY', 'TX_STREAMING');
    const tx = this.tx as TxState;
    const outcome = this.engine.execute(query, params, tx.db, tx.mode, tx);
    const qid = this.nextQid++;
    this.results.push({ qid, outcome, pos: 0 });
    this.state = 'TX_STREAMING';
    this.success(psMap({ t_first: 0n, fields: outcome.fields, qid: BigInt(qid) }));
  }

  private pull(extra: PsMap, discard: boolean): void {
    this.expectState('STREAMING', 'TX_STREAMING');
    const n = typeof extra.n === 'bigint' ? Number(extra.n) : -1;
    const qidRaw = typeof extra.qid === 'bigint' ? Number(extra.qid) : -1;
    const res =
      qidRaw === -1 ? this.results[this.results.length - 1] : this.results.find((r) => r.qid === qidRaw);
    if (!res) throw errors.requestInvalid(`No open result with qid ${qidRaw}`);
    const records = res.outcome.records;
    const end = n < 0 || discard ? records.length : Math.min(records.length, res.pos + n);
    if (!discard) for (let i = res.pos; i < end; i++) this.send(RECORD, records[i] as PsValue[]);
    res.pos = end;
    if (res.pos < records.length) return this.success(psMap({ has_more: true }));
    this.results = this.results.filter((r) => r !== res);
    const meta = psMap();
    if (this.state === 'STREAMING' && res.outcome.bookmark) meta.bookmark = res.outcome.bookmark;
    if (Object.keys(res.outcome.stats).length) meta.stats = res.outcome.stats;
    if (this.atLeast(5, 6)) {
      meta.statuses = [psMap({ gql_status: '00000', status_description: 'note: successful completion' })];
    }
    meta.type = res.outcome.type;
    meta.t_last = 0n;
    meta.db = res.outcome.db;
    if (this.state === 'STREAMING') this.state = 'READY';
    else if (!this.results.length) this.state = 'TX_READY';
    this.success(meta);
  }

  private begin(extra: PsMap): void {
    this.tx = this.engine.begin(this.dbOf(extra), this.modeOf(extra));
    this.results = [];
    this.nextQid = 0;
    this.state = 'TX_READY';
    this.success();
  }

  private commit(): void {
    const tx = this.tx as TxState;
    const bookmark = this.engine.commit(tx);
    this.tx = null;
    this.results = [];
    this.state = 'READY';
    this.success(psMap({ bookmark }));
  }
}

/** A listening Bolt server; `close()` drops every connection at once (a process that stops). */
export class BoltServer {
  private readonly server: net.Server;
  private readonly conns = new Set<Connection>();
  private nextId = 1;

  private constructor(server: net.Server) {
    this.server = server;
  }

  static listen(host: string, port: number, backend: BoltBackend): Promise<BoltServer> {
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      const bs = new BoltServer(server);
      server.on('connection', (socket) => {
        const c = new Connection(socket, backend, bs.nextId++);
        bs.conns.add(c);
        socket.on('close', () => bs.conns.delete(c));
      });
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (e) => backend.onError?.(e));
        resolve(bs);
      });
    });
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  get connections(): number {
    return this.conns.size;
  }

  close(): Promise<void> {
    for (const c of this.conns) c.close();
    this.conns.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
