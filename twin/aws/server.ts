/**
 * The twin's one HTTP endpoint. It reads each request (with a size limit, gunzipping compressed
 * bodies), routes it to a protocol codec and a service module, applies server-level faults, runs the
 * operation and answers in the protocol's own format. Every request gets a reply: unknown operations,
 * malformed bodies and handler failures become the protocol's real errors (500 InternalFailure-style for
 * crashes and for handlers that take too long), and every call lands in the call log. Paths under
 * `/_twin` go to the control API instead.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { VirtualClock } from '../core/clock.js';
import { type CallLog, parseSdkRequest, redact } from './call-log.js';
import { AwsError, type ServiceModule, type ServiceName, type Wire } from './contract.js';
import { type FaultControl, serverErrorCode } from './faults.js';
import { type Codec, type HttpReply, type RawRequest, headerValue } from './protocols/types.js';
import { type Codecs, createCodecs, route, signingName } from './protocols/route.js';
import { XML_DECL, escapeXml } from './protocols/xml.js';

export interface TwinServerOptions {
  host: string;
  port: number;
  clock: VirtualClock;
  region: string;
  accountId: string;
  modules: readonly ServiceModule[];
  calls: CallLog;
  faults: FaultControl;
  /** A new request id. */
  requestId: () => string;
  /** Serves `/_twin/*`; gets the request, its body and the response. */
  control?: (req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse) => Promise<void>;
  /** Largest request body accepted (after gunzip too). Default 64 MiB. */
  maxBodyBytes?: number;
  /** Real milliseconds a handler may take before the call fails with a 500. Default 30 s. */
  handlerTimeoutMs?: number;
  /** Called with unexpected handler failures (default: printed to stderr). */
  onInternalError?: (err: unknown, where: { service: string; operation: string; requestId: string }) => void;
}

export interface TwinServer {
  readonly host: string;
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}
class HandlerTimeout extends Error {}

const DEFAULT_MAX_BODY = 64 * 1024 * 1024;

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, method: string, reply: HttpReply, close = false): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = { ...reply.headers };
  if (method !== 'HEAD') headers['content-length'] = String(Buffer.byteLength(reply.body));
  else headers['content-length'] ??= '0';
  if (close) headers['connection'] = 'close';
  res.writeHead(reply.status, headers);
  res.end(method === 'HEAD' ? undefined : reply.body);
}

function unroutableReply(style: 'json' | 'query', message: string, requestId: string): HttpReply {
  if (style === 'json') {
    return {
      status: 400,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': 'UnknownOperationException',
      },
      body: JSON.stringify({ __type: 'UnknownOperationException', message }),
    };
  }
  return {
    status: 400,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `${XML_DECL}<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandlerTimeout()), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function malformedCode(codec: Codec): string {
  if (codec.protocol === 'restXml') return 'MalformedXML';
  if (codec.protocol === 'awsQuery' || codec.protocol === 'ec2Query') return 'MalformedQueryString';
  return 'SerializationException';
}

export async function startTwinServer(opts: TwinServerOptions): Promise<TwinServer> {
  const codecs: Codecs = createCodecs();
  const modules = new Map<ServiceName, ServiceModule>();
  for (const m of opts.modules) modules.set(m.service, m);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const handlerTimeout = opts.handlerTimeoutMs ?? 30_000;
  const onInternalError =
    opts.onInternalError ??
    ((err: unknown, where: { service: string; operation: string; requestId: string }) => {
      console.error(`[aws-twin] ${where.service}.${where.operation} (${where.requestId}) failed:`, err);
    });

  /** Reads and unwraps the body into `raw`; returns the error to answer with, if any. */
  async function readApiBody(req: IncomingMessage, raw: RawRequest): Promise<AwsError | 'gzip' | undefined> {
    const tooLarge = () =>
      new AwsError('RequestEntityTooLarge', `Request body larger than ${maxBody} bytes.`, { status: 413 });
    try {
      raw.body = await readBody(req, maxBody);
    } catch (e) {
      if (e instanceof BodyTooLarge) return tooLarge();
      throw e;
    }
    // Only RPC bodies are gunzipped: for S3, Content-Encoding is object metadata.
    const enc = (headerValue(req.headers, 'content-encoding') ?? '').toLowerCase();
    const rpc =
      headerValue(req.headers, 'x-amz-target') !== undefined ||
      (headerValue(req.headers, 'content-type') ?? '').includes('x-www-form-urlencoded');
    if (signingName(raw) === 's3' || !rpc || !enc.includes('gzip')) return undefined;
    try {
      raw.body = gunzipSync(raw.body, { maxOutputLength: maxBody });
      return undefined;
    } catch (e) {
      return (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? tooLarge() : 'gzip';
    }
  }

  interface Outcome {
    reply: HttpReply;
    operation?: string;
    input: Wire;
    errorCode?: string;
    applied: string[];
  }

  /** Decodes, applies faults, runs the operation and encodes the reply (or the error). */
  async function dispatch(
    codec: Codec,
    raw: RawRequest,
    bodyError: AwsError | 'gzip' | undefined,
    requestId: string,
  ): Promise<Outcome> {
    const meta = { requestId, method: raw.method };
    const out: Outcome = { reply: { status: 500, headers: {}, body: '' }, input: {}, applied: [] };
    try {
      if (bodyError === 'gzip')
        throw new AwsError(malformedCode(codec), 'The request body is not valid gzip.');
      if (bodyError) {
        throw codec.service === 's3'
          ? new AwsError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.')
          : bodyError;
      }
      const decoded = codec.decode(raw);
      out.operation = decoded.operation;
      out.input = decoded.input;
      const module = modules.get(codec.service);
      const handler =
        module && Object.hasOwn(module.operations, decoded.operation)
          ? module.operations[decoded.operation]
          : undefined;
      if (!handler) throw codec.unknownOperation(decoded.operation);
      const decision = opts.faults.decide(codec.service, decoded.operation);
      out.applied = decision.applied;
      if (decision.error) throw decision.error;
      const ctx = { requestId, region: opts.region, accountId: opts.accountId, now: opts.clock.now() };
      const result = await withTimeout(Promise.resolve(handler(decoded.input, ctx)), handlerTimeout);
      if (decision.lagMs > 0) await opts.clock.sleep(decision.lagMs);
      out.reply = codec.encodeResult(
        decoded.operation,
        typeof result === 'object' && result !== null ? result : {},
        meta,
      );
    } catch (e) {
      const err = asAwsError(e, codec, out.operation, requestId);
      out.errorCode = err.code;
      try {
        out.reply = codec.encodeError(err, out.operation, meta);
      } catch (encodeErr) {
        onInternalError(encodeErr, { service: codec.service, operation: out.operation ?? '?', requestId });
        out.reply = { status: 500, headers: { 'content-type': 'text/plain' }, body: 'Internal error' };
      }
    }
    return out;
  }

  function asAwsError(e: unknown, codec: Codec, operation: string | undefined, requestId: string): AwsError {
    if (e instanceof AwsError) return e;
    onInternalError(e, { service: codec.service, operation: operation ?? '?', requestId });
    const message =
      e instanceof HandlerTimeout
        ? 'The request timed out inside the twin.'
        : 'We encountered an internal error. Please try again.';
    return new AwsError(serverErrorCode(codec.service, 500), message, { status: 500 });
  }

  async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    requestId: string,
  ): Promise<void> {
    const t = opts.clock.now();
    const method = req.method ?? 'GET';
    const sdk = parseSdkRequest(headerValue(req.headers, 'amz-sdk-request'));
    const invocationId = headerValue(req.headers, 'amz-sdk-invocation-id');
    const userAgent = headerValue(req.headers, 'x-amz-user-agent') ?? headerValue(req.headers, 'user-agent');
    const raw: RawRequest = {
      method,
      rawPath: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.alloc(0),
      hostname: (headerValue(req.headers, 'host') ?? '').replace(/:\d+$/, ''),
    };
    const log = (
      service: ServiceName | 'unknown',
      operation: string,
      params: Wire,
      reply: HttpReply,
      error?: string,
      faults?: string[],
    ) => {
      opts.calls.record({
        t,
        requestId,
        service,
        operation,
        params: redact(params) as Record<string, unknown>,
        status: reply.status,
        ...(error !== undefined ? { error } : {}),
        ...(sdk.attempt !== undefined ? { attempt: sdk.attempt } : {}),
        ...(sdk.max !== undefined ? { maxAttempts: sdk.max } : {}),
        ...(invocationId !== undefined ? { invocationId } : {}),
        ...(faults && faults.length > 0 ? { faults } : {}),
        ...(userAgent !== undefined ? { userAgent } : {}),
      });
    };
    const bodyError = await readApiBody(req, raw);
    const closeAfter = bodyError instanceof AwsError;
    const r = route(raw, codecs);
    if (r.kind === 'unroutable') {
      const reply = unroutableReply(r.style, r.message, requestId);
      log(
        'unknown',
        '(unroutable)',
        {},
        reply,
        r.style === 'json' ? 'UnknownOperationException' : 'InvalidAction',
      );
      send(res, method, reply, closeAfter);
      return;
    }
    const out = await dispatch(r.codec, raw, bodyError, requestId);
    log(r.codec.service, out.operation ?? '(malformed)', out.input, out.reply, out.errorCode, out.applied);
    send(res, method, out.reply, closeAfter);
  }

  const server: Server = createServer((req, res) => {
    const requestId = opts.requestId();
    let url: URL;
    try {
      // A proxy request names the absolute URL (`POST http://data-127.0.0.1:4566/`, what the AWS CLI
      // sends through HTTP_PROXY for host-prefixed operations); only its path and query matter here.
      const target = (req.url ?? '/').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '') || '/';
      url = new URL(target, 'http://twin.invalid');
    } catch {
      send(res, req.method ?? 'GET', {
        status: 400,
        headers: { 'content-type': 'text/plain' },
        body: 'Bad request URL',
      });
      return;
    }
    const done = (e: unknown) => {
      onInternalError(e, { service: 'server', operation: req.method ?? '?', requestId });
      send(
        res,
        req.method ?? 'GET',
        { status: 500, headers: { 'content-type': 'text/plain' }, body: 'Internal error' },
        true,
      );
    };
    if (url.pathname === '/_twin' || url.pathname.startsWith('/_twin/')) {
      if (!opts.control) {
        send(res, req.method ?? 'GET', {
          status: 404,
          headers: { 'content-type': 'application/json' },
          body: '{"error":"no control API"}',
        });
        return;
      }
      const control = opts.control;
      readBody(req, 1024 * 1024)
        .then((body) => control(req, url, body, res))
        .catch((e: unknown) => {
          if (e instanceof BodyTooLarge) {
            send(
              res,
              req.method ?? 'GET',
              {
                status: 413,
                headers: { 'content-type': 'application/json' },
                body: '{"error":{"code":"TooLarge","message":"control request body over 1 MiB"}}',
              },
              true,
            );
          } else done(e);
        });
      return;
    }
    handleApi(req, res, url, requestId).catch(done);
  });
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    host: opts.host,
    port,
    endpoint: `http://${hostForUrl}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
