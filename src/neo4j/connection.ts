/**
 * A direct Bolt connection to one member (`bolt://` or `bolt+s://`, never routed), on neo4j-driver
 * 6.x: plain JS numbers for integers, no driver retries, and a timeout on every call (the driver's
 * connection timeout, the server-side transaction timeout, and a client-side bound as a last resort).
 */
import neo4j from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';
import { ProbeError, classify, withTimeout } from './errors.js';

export interface Credentials {
  user: string;
  password: string;
}

export interface ConnectionOptions {
  /** Bound on each call, ms. Default 5000. */
  timeoutMs?: number;
}

export type Row = Record<string, unknown>;

const SCHEMES = /^(bolt|bolt\+s|bolt\+ssc):\/\/[^/]+$/;

/** Validates a member URL; the probe talks to each member directly, so routing URLs are refused. */
export function parseMemberUrl(url: string): { url: string; address: string } {
  const trimmed = url.trim().replace(/\/+$/, '');
  if (/^neo4j(\+s|\+ssc)?:\/\//.test(trimmed)) {
    throw new ProbeError(
      'query',
      `'${url}' is a routing URL; give each member's bolt:// (or bolt+s://) address instead`,
    );
  }
  if (!SCHEMES.test(trimmed)) throw new ProbeError('query', `'${url}' is not a bolt:// or bolt+s:// URL`);
  let parsed: URL;
  try {
    parsed = new URL(trimmed.replace(/^bolt(\+s|\+ssc)?:/, 'http:'));
  } catch {
    throw new ProbeError('query', `'${url}' is not a valid URL`);
  }
  if (!parsed.hostname) throw new ProbeError('query', `'${url}' has no host`);
  const port = parsed.port || '7687';
  const withPort = parsed.port ? trimmed : `${trimmed}:7687`;
  return { url: withPort, address: `${parsed.hostname.replace(/^\[|\]$/g, '')}:${port}` };
}

export class MemberConnection {
  private readonly driver: Driver;
  readonly timeoutMs: number;
  readonly address: string;

  constructor(
    readonly url: string,
    private readonly creds: Credentials,
    opts: ConnectionOptions = {},
  ) {
    const parsed = parseMemberUrl(url);
    this.address = parsed.address;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.driver = neo4j.driver(parsed.url, neo4j.auth.basic(creds.user, creds.password), {
      connectionTimeout: this.timeoutMs,
      connectionAcquisitionTimeout: this.timeoutMs,
      maxConnectionPoolSize: 2,
      maxTransactionRetryTime: 0,
      disableLosslessIntegers: true,
      userAgent: 'neo4j-ecs-operator',
      logging: { level: 'error', logger: () => undefined },
    });
  }

  /** HELLO/LOGON: the server's agent (`Neo4j/5.26.0`) and the negotiated Bolt version. */
  async serverInfo(): Promise<{ agent: string; protocol: string }> {
    try {
      const info = await withTimeout(
        this.driver.getServerInfo(),
        this.timeoutMs,
        `${this.address} (connect)`,
      );
      const pv = info.protocolVersion as unknown;
      const protocol =
        pv && typeof pv === 'object' && 'major' in pv && 'minor' in pv
          ? `${String((pv as { major: number }).major)}.${String((pv as { minor: number }).minor)}`
          : String(pv);
      return { agent: info.agent ?? 'unknown', protocol };
    } catch (e) {
      throw classify(e, this.address, this.creds.user);
    }
  }

  /** Runs one auto-commit query against `database` (default `system`) and returns plain rows. */
  async rows(query: string, params: Record<string, unknown> = {}, database = 'system'): Promise<Row[]> {
    const session = this.driver.session({ database, defaultAccessMode: neo4j.session.WRITE });
    try {
      const run = session.run(query, params, { timeout: this.timeoutMs });
      const result = await withTimeout(
        run,
        this.timeoutMs + 1000,
        `${this.address} (${query.split(/\s+/).slice(0, 3).join(' ')})`,
      );
      return result.records.map((r) => r.toObject());
    } catch (e) {
      throw classify(e, this.address, this.creds.user);
    } finally {
      await session.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.driver.close().catch(() => undefined);
  }
}

/** Cypher string literal of `s` (for commands that take names, not parameters, on every version). */
export function cypherString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
