/**
 * A tiny raw Bolt client for protocol-level tests: it speaks the handshake and sends hand-built
 * messages, so tests can check what the simulated member answers byte for byte (IGNORED until RESET,
 * FAILURE shapes, the manifest handshake) where neo4j-driver would hide it.
 */
import net from 'node:net';
import { chunk, Dechunker } from '../../../../twin/neo4j/chunking.js';
import { pack, Structure, unpack, psMap } from '../../../../twin/neo4j/packstream.js';
import type { PsValue, PsMap } from '../../../../twin/neo4j/packstream.js';
import { MSG } from '../../../../twin/neo4j/messages.js';

export { MSG };

export interface Reply {
  tag: number;
  fields: PsValue[];
}

export class RawBoltClient {
  private readonly dechunker = new Dechunker();
  private readonly queue: Reply[] = [];
  private waiters: (() => void)[] = [];
  private raw = Buffer.alloc(0);
  private handshakeDone = false;
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(host: string, port: number): Promise<RawBoltClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new RawBoltClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private onData(d: Buffer): void {
    if (!this.handshakeDone) {
      this.raw = Buffer.concat([this.raw, d]);
      this.wake();
      return;
    }
    for (const m of this.dechunker.feed(d)) {
      const s = unpack(m);
      if (!(s instanceof Structure)) throw new Error('reply is not a structure');
      this.queue.push({ tag: s.tag, fields: s.fields });
    }
    this.wake();
  }

  private async waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for the server');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends the magic and four version slots (each 4 bytes); returns the server's raw answer bytes. */
  async handshake(slots: number[][], answerBytes = 4, timeoutMs = 5000): Promise<Buffer> {
    const out = [Buffer.from([0x60, 0x60, 0xb0, 0x17])];
    for (let i = 0; i < 4; i++) out.push(Buffer.from(slots[i] ?? [0, 0, 0, 0]));
    this.socket.write(Buffer.concat(out));
    await this.waitFor(() => this.raw.length >= answerBytes, timeoutMs);
    const answer = this.raw.subarray(0, answerBytes);
    const rest = this.raw.subarray(answerBytes);
    this.raw = Buffer.alloc(0);
    return Buffer.concat([answer, rest]);
  }

  /** Call once the handshake bytes are consumed (after `handshake`, or after writing a manifest reply). */
  startMessages(extra?: Buffer): void {
    this.handshakeDone = true;
    if (extra && extra.length) this.onData(extra);
  }

  writeRaw(b: Buffer): void {
    this.socket.write(b);
  }

  send(tag: number, ...fields: PsValue[]): void {
    this.socket.write(chunk(pack(new Structure(tag, fields))));
  }

  async next(timeoutMs = 5000): Promise<Reply> {
    await this.waitFor(() => this.queue.length > 0, timeoutMs);
    return this.queue.shift() as Reply;
  }

  /** Reads replies until a summary (SUCCESS / FAILURE / IGNORED); returns the records and the summary. */
  async result(timeoutMs = 5000): Promise<{ records: PsValue[][]; summary: Reply }> {
    const records: PsValue[][] = [];
    for (;;) {
      const r = await this.next(timeoutMs);
      if (r.tag === MSG.RECORD) records.push(r.fields[0] as PsValue[]);
      else return { records, summary: r };
    }
  }

  async hello(user: string, password: string, opts: { logon?: boolean } = {}): Promise<Reply> {
    const extra = psMap({ user_agent: 'raw-test/1.0', bolt_agent: psMap({ product: 'raw-test/1.0' }) });
    if (opts.logon === false) {
      extra.scheme = 'basic';
      extra.principal = user;
      extra.credentials = password;
      this.send(MSG.HELLO, extra);
      return this.next();
    }
    this.send(MSG.HELLO, extra);
    const h = await this.next();
    if (h.tag !== MSG.SUCCESS) return h;
    this.send(MSG.LOGON, psMap({ scheme: 'basic', principal: user, credentials: password }));
    const l = await this.next();
    return l.tag === MSG.SUCCESS ? h : l;
  }

  async run(
    query: string,
    params: PsMap = psMap(),
    extra: PsMap = psMap(),
  ): Promise<{ fields: Reply; records: PsValue[][]; summary: Reply }> {
    this.send(MSG.RUN, query, params, extra);
    this.send(MSG.PULL, psMap({ n: -1n }));
    const fields = await this.next();
    const { records, summary } = await this.result();
    return { fields, records, summary };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 1000).unref();
    });
  }
}
