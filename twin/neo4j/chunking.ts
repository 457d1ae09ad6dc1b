/**
 * Bolt message framing: each message is sent as chunks (2-byte big-endian length, 1..65535 bytes of
 * data) and ends with a zero-length chunk. A zero-length chunk between messages is a NOOP keep-alive
 * (Bolt 4.1+) and is skipped.
 */

const MAX_CHUNK = 0xffff;

/** Frames one encoded message as chunks plus the end marker. */
export function chunk(message: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let off = 0; off < message.length; off += MAX_CHUNK) {
    const piece = message.subarray(off, Math.min(off + MAX_CHUNK, message.length));
    const header = Buffer.allocUnsafe(2);
    header.writeUInt16BE(piece.length, 0);
    parts.push(header, piece);
  }
  parts.push(Buffer.from([0, 0]));
  return Buffer.concat(parts);
}

export class ChunkingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChunkingError';
  }
}

/**
 * Reassembles messages from a byte stream. `feed` returns the messages completed by the new bytes.
 * A message larger than `maxMessageBytes` is refused, so a peer cannot make it grow without bound.
 */
export class Dechunker {
  private pending: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsLen = 0;

  constructor(private readonly maxMessageBytes = 64 * 1024 * 1024) {}

  feed(data: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    const out: Buffer[] = [];
    let pos = 0;
    while (this.pending.length - pos >= 2) {
      const size = this.pending.readUInt16BE(pos);
      if (size === 0) {
        pos += 2;
        if (this.parts.length > 0) {
          out.push(Buffer.concat(this.parts, this.partsLen));
          this.parts = [];
          this.partsLen = 0;
        }
        continue;
      }
      if (this.pending.length - pos - 2 < size) break;
      this.partsLen += size;
      if (this.partsLen > this.maxMessageBytes) {
        throw new ChunkingError(`message larger than ${this.maxMessageBytes} bytes`);
      }
      this.parts.push(Buffer.from(this.pending.subarray(pos + 2, pos + 2 + size)));
      pos += 2 + size;
    }
    this.pending = this.pending.subarray(pos);
    return out;
  }
}
