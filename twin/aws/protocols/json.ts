/**
 * AWS JSON 1.0 / 1.1 (ECS, CloudWatch Logs, Secrets Manager, Cloud Map; CloudWatch with awsQueryCompatible).
 * The operation comes from `X-Amz-Target: <prefix>.<Op>`, the body is a JSON object. Results are JSON
 * with `Date` as epoch seconds and `Buffer` as base64. Errors are `{"__type": code, "message": …}`
 * with `x-amzn-ErrorType`; in query-compatible mode (CloudWatch) the body's `__type` is the modelled
 * shape name and the header `x-amzn-query-error: <QueryCode>;<Sender|Receiver>` carries the wire code.
 */
import { AwsError, type ServiceName, type Wire } from '../contract.js';
import type { Codec, DecodedCall, EncodeMeta, HttpReply, RawRequest } from './types.js';
import { DetailedAwsError, headerValue } from './types.js';

export interface JsonCodecOptions {
  service: ServiceName;
  version: '1.0' | '1.1';
  targetPrefix: string;
  /** Error message member: `message` for most services, `Message` for Secrets Manager. */
  messageKey?: 'message' | 'Message';
  /** CloudWatch: wire (query) code → modelled shape name; presence turns on query-compat errors. */
  queryCompatShapes?: Readonly<Record<string, string>>;
}

/** Recursively turns `Date` into epoch seconds and `Buffer`/`Uint8Array` into base64. */
export function toJsonWire(v: unknown): unknown {
  if (v instanceof Date) return v.getTime() / 1000;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(toJsonWire);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJsonWire(x);
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}

export function jsonCodec(opts: JsonCodecOptions): Codec {
  const contentType = `application/x-amz-json-${opts.version}`;
  const messageKey = opts.messageKey ?? 'message';
  const protocol = opts.version === '1.0' ? 'awsJson1_0' : 'awsJson1_1';

  const reply = (
    status: number,
    body: unknown,
    meta: EncodeMeta,
    extra: Record<string, string> = {},
  ): HttpReply => ({
    status,
    headers: { 'content-type': contentType, 'x-amzn-requestid': meta.requestId, ...extra },
    body: JSON.stringify(body),
  });

  return {
    service: opts.service,
    protocol,
    decode(req: RawRequest): DecodedCall {
      const target = headerValue(req.headers, 'x-amz-target') ?? '';
      const dot = target.lastIndexOf('.');
      const prefix = dot >= 0 ? target.slice(0, dot) : '';
      const operation = dot >= 0 ? target.slice(dot + 1) : '';
      if (prefix !== opts.targetPrefix || operation === '') {
        throw new AwsError('UnknownOperationException', `Unrecognized target: ${target || '(none)'}`);
      }
      const text = req.body.toString('utf8').trim();
      if (text === '') return { operation, input: {} };
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
      }
      return { operation, input: parsed as Wire };
    },
    encodeResult(_operation: string, result: Wire, meta: EncodeMeta): HttpReply {
      return reply(200, toJsonWire(result) ?? {}, meta);
    },
    encodeError(err: AwsError, _operation: string | undefined, meta: EncodeMeta): HttpReply {
      if (opts.queryCompatShapes) {
        const shape = opts.queryCompatShapes[err.code] ?? err.code;
        return reply(err.status, { __type: shape, [messageKey]: err.message }, meta, {
          'x-amzn-errortype': shape,
          'x-amzn-query-error': `${err.code};${err.fault}`,
        });
      }
      // Modelled error members besides the message (Cloud Map's NamespaceId, DuplicateOperationId, …).
      const details = err instanceof DetailedAwsError ? err.details : {};
      return reply(err.status, { ...details, __type: err.code, [messageKey]: err.message }, meta, {
        'x-amzn-errortype': err.code,
      });
    },
    unknownOperation(operation: string): AwsError {
      return new AwsError(
        'UnknownOperationException',
        `The operation ${operation} is not supported by this service.`,
      );
    },
  };
}
