/**
 * Decodes an `aws-chunked` request body (S3 streaming uploads: `Content-Encoding: aws-chunked`, or
 * `x-amz-content-sha256: STREAMING-…`): `<hex-size>[;chunk-signature=…]\r\n<data>\r\n` repeated, a
 * zero-size chunk, then optional trailer headers (`x-amz-checksum-crc32:…`). Chunk signatures are not
 * verified (the twin accepts any credentials). Returns the payload and the trailers.
 */

export class ChunkedDecodeError extends Error {}

export function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', pos);
    if (eol < 0) throw new ChunkedDecodeError('aws-chunked body ends inside a chunk header');
    const header = body.subarray(pos, eol).toString('latin1');
    const sizeHex = header.split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeHex))
      throw new ChunkedDecodeError(`invalid aws-chunked chunk size: ${sizeHex}`);
    const size = parseInt(sizeHex, 16);
    pos = eol + 2;
    if (size === 0) break;
    if (pos + size > body.length) throw new ChunkedDecodeError('aws-chunked chunk longer than the body');
    parts.push(body.subarray(pos, pos + size));
    pos += size;
    if (body.subarray(pos, pos + 2).toString('latin1') !== '\r\n')
      throw new ChunkedDecodeError('aws-chunked chunk not followed by CRLF');
    pos += 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of body.subarray(pos).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(parts), trailers };
}
