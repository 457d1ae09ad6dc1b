/**
 * Types shared by the twin's protocol codecs: the raw HTTP request a codec decodes, the reply it
 * encodes, and `DetailedAwsError`, an `AwsError` that carries extra error fields and headers (S3's
 * `<Key>`, `<Condition>`, an ETag on 304, …).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AwsError, type Protocol, type ServiceName, type Wire } from '../contract.js';

export interface RawRequest {
  method: string;
  /** The URL path, still percent-encoded. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The body after gunzip / aws-chunked decoding. */
  body: Buffer;
  /** The Host header, without the port. */
  hostname: string;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

export interface DecodedCall {
  operation: string;
  input: Wire;
}

/** Extra context an encoder needs. */
export interface EncodeMeta {
  requestId: string;
  /** The request method; HEAD replies carry no body. */
  method: string;
}

export interface Codec {
  readonly service: ServiceName;
  readonly protocol: Protocol;
  /** Decodes the operation and its input; throws `AwsError` for malformed requests. */
  decode(req: RawRequest): DecodedCall;
  encodeResult(operation: string, result: Wire, meta: EncodeMeta): HttpReply;
  encodeError(err: AwsError, operation: string | undefined, meta: EncodeMeta): HttpReply;
  /** The error for an operation this service does not serve. */
  unknownOperation(operation: string): AwsError;
}

export class DetailedAwsError extends AwsError {
  /** Extra members of the error body (S3: Key, BucketName, Condition, …). */
  readonly details: Record<string, string>;
  /** Extra response headers (S3 304: ETag, Last-Modified). */
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    message: string,
    opts: {
      status?: number;
      fault?: 'Sender' | 'Receiver';
      details?: Record<string, string>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(code, message, opts);
    this.details = opts.details ?? {};
    this.headers = opts.headers ?? {};
  }
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  if (Array.isArray(v)) return v.join(',');
  return v;
}

/** An internal error in the protocol's own code, as AWS reports an unexpected server failure. */
export function internalFailure(): AwsError {
  return new AwsError(
    'InternalFailure',
    'The request processing has failed because of an unknown error, exception or failure.',
    {
      status: 500,
    },
  );
}
