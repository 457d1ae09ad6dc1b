/**
 * Neo4j credentials from a secret store, behind a small port so src/neo4j does not depend on the AWS
 * SDK (src/aws/secrets.ts implements it with Secrets Manager). A secret holds either JSON
 * (`{"username": "neo4j", "password": "..."}`; `user` is accepted for `username`) or the official
 * image's NEO4J_AUTH form `neo4j/<password>`. The password is never put in an error message.
 */
import type { Credentials } from './connection.js';
import { ProbeError } from './errors.js';

export interface SecretReader {
  /** The secret's string value; rejects when it cannot be read. */
  getSecretString(secretId: string): Promise<string>;
  /** Forgets a cached value, if the reader caches (src/aws/secrets.ts `CachedSecretReader`). */
  invalidate?(secretId: string): void;
}

export function parseCredentials(secret: string, secretId = 'the secret'): Credentials {
  const text = secret.trim();
  if (text.startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new ProbeError('query', `${secretId} is not valid JSON`);
    }
    const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
    const user = o.username ?? o.user ?? 'neo4j';
    const password = o.password;
    if (typeof user !== 'string' || user === '' || typeof password !== 'string' || password === '') {
      throw new ProbeError('query', `${secretId} must hold {"username": ..., "password": ...}`);
    }
    return { user, password };
  }
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    throw new ProbeError(
      'query',
      `${secretId} must hold JSON {"username", "password"} or "user/password" (the NEO4J_AUTH form)`,
    );
  }
  return { user: text.slice(0, slash), password: text.slice(slash + 1) };
}

export async function credentialsFromSecret(reader: SecretReader, secretId: string): Promise<Credentials> {
  let value: string;
  try {
    value = await reader.getSecretString(secretId);
  } catch (e) {
    const why = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
    throw new ProbeError('query', `cannot read secret ${secretId}: ${why}`);
  }
  return parseCredentials(value, `secret ${secretId}`);
}
