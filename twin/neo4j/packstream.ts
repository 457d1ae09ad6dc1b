/**
 * PackStream v1, the value encoding inside Bolt messages (docs-bolt packstream/index.adoc).
 *
 * The JS mapping keeps PackStream's types apart, since tests compare them with a real server:
 * - Integer ⇄ `bigint` (never a JS number, so Integer and Float stay distinct);
 * - Float ⇄ `number` (as neo4j-driver does: it sends every JS number as a Float);
 * - String ⇄ `string`, Boolean ⇄ `boolean`, Null ⇄ `null`, Bytes ⇄ `Uint8Array`;
 * - List ⇄ array; Map ⇄ a null-prototype object with string keys;
 * - Structure ⇄ {@link Structure} (tag byte + fields), e.g. Node, DateTime, and every Bolt message.
 *
 * Decoding is strict: truncated input, unknown markers and oversized declarations raise
 * {@link PackStreamError} instead of crashing or allocating without bound.
 */

export type PsValue = null | boolean | bigint | number | string | Uint8Array | PsValue[] | PsMap | Structure;

export interface PsMap {
  [key: string]: PsValue;
}

export class Structure {
  constructor(
    readonly tag: number,
    readonly fields: PsValue[],
  ) {}
}

export class PackStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackStreamError';
  }
}

/** A map with no prototype, so keys such as `__proto__` are plain data. */
export function psMap(entries: Record<string, PsValue> = {}): PsMap {
  const m = Object.create(null) as PsMap;
  for (const [k, v] of Object.entries(entries)) m[k] = v;
  return m;
}

export function isPsMap(v: PsValue | undefined): v is PsMap {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Structure) &&
    !(v instanceof Uint8Array)
  );
}

const INT8_MIN = -128n;
const INT16_MIN = -32768n;
const INT16_MAX = 32767n;
const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

/** Grows as needed; the encoder writes into it. */
class ByteWriter {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.len);
    this.len += 4;
  }
  i8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.len);
    this.len += 1;
  }
  i16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.len);
    this.len += 2;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.len);
    this.len += 4;
  }
  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.len);
    this.len += 8;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.len);
    this.len += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

function writeSize(
  w: ByteWriter,
  size: number,
  tiny: number | null,
  m8: number,
  m16: number,
  m32: number,
): void {
  if (tiny !== null && size < 16) w.u8(tiny | size);
  else if (size <= 0xff) {
    w.u8(m8);
    w.u8(size);
  } else if (size <= 0xffff) {
    w.u8(m16);
    w.u16(size);
  } else if (size <= 0xffffffff) {
    w.u8(m32);
    w.u32(size);
  } else throw new PackStreamError(`value too large for PackStream (${size})`);
}

function writeInt(w: ByteWriter, v: bigint): void {
  if (v < INT64_MIN || v > INT64_MAX) throw new PackStreamError(`integer out of 64-bit range: ${v}`);
  if (v >= -16n && v <= 127n) w.i8(Number(v));
  else if (v >= INT8_MIN && v < -16n) {
    w.u8(0xc8);
    w.i8(Number(v));
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    w.u8(0xc9);
    w.i16(Number(v));
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    w.u8(0xca);
    w.i32(Number(v));
  } else {
    w.u8(0xcb);
    w.i64(v);
  }
}

function writeValue(w: ByteWriter, v: PsValue, depth: number): void {
  if (depth > 64) throw new PackStreamError('value nested too deeply');
  if (v === null) return w.u8(0xc0);
  switch (typeof v) {
    case 'boolean':
      return w.u8(v ? 0xc3 : 0xc2);
    case 'bigint':
      return writeInt(w, v);
    case 'number':
      w.u8(0xc1);
      return w.f64(v);
    case 'string': {
      const b = Buffer.from(v, 'utf8');
      writeSize(w, b.length, 0x80, 0xd0, 0xd1, 0xd2);
      return w.bytes(b);
    }
    case 'object':
      break;
    case 'function':
    case 'symbol':
    case 'undefined':
      throw new PackStreamError(`cannot encode a ${typeof v}`);
  }
  if (v instanceof Uint8Array) {
    writeSize(w, v.length, null, 0xcc, 0xcd, 0xce);
    return w.bytes(v);
  }
  if (Array.isArray(v)) {
    writeSize(w, v.length, 0x90, 0xd4, 0xd5, 0xd6);
    for (const item of v) writeValue(w, item, depth + 1);
    return;
  }
  if (v instanceof Structure) {
    if (v.fields.length > 15) throw new PackStreamError('a structure has at most 15 fields');
    w.u8(0xb0 | v.fields.length);
    w.u8(v.tag);
    for (const f of v.fields) writeValue(w, f, depth + 1);
    return;
  }
  const keys = Object.keys(v);
  writeSize(w, keys.length, 0xa0, 0xd8, 0xd9, 0xda);
  for (const k of keys) {
    writeValue(w, k, depth + 1);
    writeValue(w, v[k] ?? null, depth + 1);
  }
}

export function pack(v: PsValue): Buffer {
  const w = new ByteWriter();
  writeValue(w, v, 0);
  return w.result();
}

/** Reads values from one complete buffer (one dechunked Bolt message). */
export class Unpacker {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new PackStreamError('truncated PackStream value');
  }
  private u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }
  private u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  private u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  private size(marker: number, tinyBase: number | null, m8: number, m16: number, m32: number): number | null {
    if (tinyBase !== null && marker >= tinyBase && marker <= tinyBase + 0x0f) return marker - tinyBase;
    if (marker === m8) return this.u8();
    if (marker === m16) return this.u16();
    if (marker === m32) return this.u32();
    return null;
  }

  private checkCount(n: number): number {
    // Every element takes at least one byte, so a count beyond the bytes left is a lie.
    if (n > this.remaining) throw new PackStreamError(`declared size ${n} exceeds the message`);
    return n;
  }

  unpack(depth = 0): PsValue {
    if (depth > 64) throw new PackStreamError('value nested too deeply');
    const m = this.u8();
    if (m <= 0x7f) return BigInt(m);
    if (m >= 0xf0) return BigInt(m - 0x100);
    switch (m) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc1: {
        this.need(8);
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case 0xc8: {
        this.need(1);
        return BigInt(this.buf.readInt8(this.pos++));
      }
      case 0xc9: {
        this.need(2);
        const v = this.buf.readInt16BE(this.pos);
        this.pos += 2;
        return BigInt(v);
      }
      case 0xca: {
        this.need(4);
        const v = this.buf.readInt32BE(this.pos);
        this.pos += 4;
        return BigInt(v);
      }
      case 0xcb: {
        this.need(8);
        const v = this.buf.readBigInt64BE(this.pos);
        this.pos += 8;
        return v;
      }
      default:
        break;
    }
    const bytesLen = this.size(m, null, 0xcc, 0xcd, 0xce);
    if (bytesLen !== null) {
      this.need(bytesLen);
      const b = new Uint8Array(this.buf.subarray(this.pos, this.pos + bytesLen));
      this.pos += bytesLen;
      return b;
    }
    const strLen = this.size(m, 0x80, 0xd0, 0xd1, 0xd2);
    if (strLen !== null) {
      this.need(strLen);
      const s = this.buf.toString('utf8', this.pos, this.pos + strLen);
      this.pos += strLen;
      return s;
    }
    const listLen = this.size(m, 0x90, 0xd4, 0xd5, 0xd6);
    if (listLen !== null) {
      const n = this.checkCount(listLen);
      const out: PsValue[] = [];
      for (let i = 0; i < n; i++) out.push(this.unpack(depth + 1));
      return out;
    }
    const mapLen = this.size(m, 0xa0, 0xd8, 0xd9, 0xda);
    if (mapLen !== null) {
      const n = this.checkCount(mapLen);
      const out = psMap();
      for (let i = 0; i < n; i++) {
        const k = this.unpack(depth + 1);
        if (typeof k !== 'string') throw new PackStreamError('map keys must be strings');
        out[k] = this.unpack(depth + 1);
      }
      return out;
    }
    if (m >= 0xb0 && m <= 0xbf) {
      const n = m - 0xb0;
      const tag = this.u8();
      const fields: PsValue[] = [];
      for (let i = 0; i < n; i++) fields.push(this.unpack(depth + 1));
      return new Structure(tag, fields);
    }
    throw new PackStreamError(`unknown PackStream marker 0x${m.toString(16).padStart(2, '0')}`);
  }
}

/** Decodes exactly one value; trailing bytes are an error. */
export function unpack(buf: Buffer): PsValue {
  const u = new Unpacker(buf);
  const v = u.unpack();
  if (u.remaining !== 0) throw new PackStreamError(`${u.remaining} trailing bytes after a PackStream value`);
  return v;
}
