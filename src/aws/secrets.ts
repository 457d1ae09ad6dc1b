/**
 * The Secrets Manager implementation of the Neo4j adapter's SecretReader port. The client comes from
 * the standard AWS configuration (AWS_REGION, AWS_ENDPOINT_URL, ...), so it reads the twin's Secrets
 * Manager the same way it reads AWS.
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
