/**
 * The controller's HTTP endpoint: `/healthz` (the process is alive), `/readyz` (the source has been
 * read and the controller is not stopping), `/metrics` (Prometheus text), `/status` (every cluster this
 * controller knows, with its lease) and `/status/<cluster>`. GET and HEAD only; everything it serves
 * has passed the redaction guard.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { ClusterStatus } from '../model/status.js';
import { redactor } from './redact.js';

export interface HttpSources {
  holderId: string;
  health(): { ready: boolean; stopping: boolean; sourceRevision?: string; lastPollError?: string };
  /** Clusters this controller knows (from the source). */
  clusters(): string[];
  /** The status this controller last computed or read for a cluster. */
  status(cluster: string): ClusterStatus | undefined;
  /** The lease generation this controller holds for a cluster, if it holds it. */
  leaseGeneration(cluster: string): number | undefined;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface HttpServerHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, code: number, type: string, body: string, head: boolean): void {
  res.writeHead(code, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  res.end(head ? undefined : body);
}

const json = (res: ServerResponse, code: number, value: unknown, head: boolean): void =>
  send(res, code, 'application/json', `${JSON.stringify(redactor.value(value), null, 2)}\n`, head);

function clusterView(s: HttpSources, cluster: string): Record<string, unknown> {
  const generation = s.leaseGeneration(cluster);
  return {
    cluster,
    leaseHeldHere: generation !== undefined,
    ...(generation !== undefined ? { leaseGeneration: generation } : {}),
    status: s.status(cluster) ?? null,
  };
}

async function handle(s: HttpSources, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'text/plain', 'method not allowed\n', false);
    return;
  }
  const path = new URL(req.url ?? '/', 'http://controller').pathname.replace(/\/+$/, '') || '/';
  if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n', head);
  if (path === '/readyz') {
    const h = s.health();
    return json(res, h.ready ? 200 : 503, h, head);
  }
  if (path === '/metrics') {
    const m = await s.metrics();
    return send(res, 200, m.contentType, m.body, head);
  }
  if (path === '/status')
    return json(
      res,
      200,
      { controller: s.holderId, ...s.health(), clusters: s.clusters().map((c) => clusterView(s, c)) },
      head,
    );
  const m = /^\/status\/([a-z][-a-z0-9]{0,62})$/.exec(path);
  if (m) {
    const cluster = m[1] as string;
    if (!s.clusters().includes(cluster))
      return json(res, 404, { error: `no cluster named ${cluster}` }, head);
    return json(res, 200, { controller: s.holderId, ...clusterView(s, cluster) }, head);
  }
  return json(
    res,
    404,
    { error: 'not found', paths: ['/healthz', '/readyz', '/metrics', '/status', '/status/<cluster>'] },
    head,
  );
}

export function startHttpServer(
  s: HttpSources,
  opts: { host: string; port: number },
): Promise<HttpServerHandle> {
  const server: Server = createServer((req, res) => {
    handle(s, req, res).catch((e: unknown) => {
      if (!res.headersSent)
        send(res, 500, 'text/plain', `internal error: ${redactor.text(String(e))}\n`, false);
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      resolve({
        url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
        port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
