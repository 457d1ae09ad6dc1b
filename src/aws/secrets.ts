/**
 * The Secrets Manager implementation of the Neo4j adapter's SecretReader port, and a cache in front of
 * any SecretReader. The client comes from the standard AWS configuration (AWS_REGION,
 * AWS_ENDPOINT_URL, ...), so it reads the twin's Secrets Manager the same way it reads AWS.
 *
 * The operator reads the credentials secret every pass; `CachedSecretReader` keeps each value for a
 * TTL (default 5 minutes) so a steady-state pass makes no GetSecretValue call, and `invalidate` drops a
 * value at once (after a Bolt authentication failure: the password may have been rotated). Values are
 * kept in memory only and never logged.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretReader } from '../neo4j/secrets.js';

export class AwsSecretReader implements SecretReader {
  constructor(private readonly client: SecretsManagerClient = new SecretsManagerClient({})) {}

  async getSecretString(secretId: string): Promise<string> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (typeof out.SecretString === 'string') return out.SecretString;
    if (out.SecretBinary) return Buffer.from(out.SecretBinary).toString('utf8');
    throw new Error(`secret ${secretId} has no value`);
  }
}

/** How long a secret value is kept by default: 5 minutes. */
export const SECRET_TTL_MS = 5 * 60_000;

export interface SecretCacheOptions {
  /** How long a value is reused. Default SECRET_TTL_MS. */
  ttlMs?: number;
  /** The injected clock (epoch ms). */
  now: () => number;
}

/**
 * A SecretReader that reuses each secret's value for `ttlMs` (concurrent reads of one secret share one
 * call; a failed read is not kept). `invalidate(secretId)` forgets a value so the next read fetches it.
 */
export class CachedSecretReader implements SecretReader {
  private readonly values = new Map<string, { at: number; value: Promise<string> }>();
  private readonly ttlMs: number;

  constructor(
    private readonly inner: SecretReader,
    private readonly opts: SecretCacheOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? SECRET_TTL_MS;
  }

  getSecretString(secretId: string): Promise<string> {
    const now = this.opts.now();
    const hit = this.values.get(secretId);
    if (hit && now - hit.at < this.ttlMs && now >= hit.at) return hit.value;
    const value = this.inner.getSecretString(secretId);
    const entry = { at: now, value };
    this.values.set(secretId, entry);
    value.catch(() => {
      if (this.values.get(secretId) === entry) this.values.delete(secretId);
    });
    return value;
  }

  /** Forgets the value of `secretId` (e.g. after an authentication failure): the next read fetches it. */
  invalidate(secretId: string): void {
    this.values.delete(secretId);
  }
}
