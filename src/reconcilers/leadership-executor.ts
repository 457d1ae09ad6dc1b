/**
 * The executor of the leadership actions (src/reconcilers/leadership.ts): MoveLeaderships sets
 * `server.databases.default_to_read_only` to true on the member itself (over its own Bolt address),
 * ClearReadOnly sets it back to false. One Bolt call each; the password comes from the cluster's
 * secret and is handed to `onSecret` so events and logs redact it.
 */
import { setDefaultToReadOnly, withMember } from '../neo4j/admin.js';
import type { SecretReader } from '../neo4j/secrets.js';
import { credentialsFromSecret } from '../neo4j/secrets.js';
import type { LeadershipAction } from './leadership.js';

export interface LeadershipExecutorDeps {
  secrets: SecretReader;
  /** spec.credentials.secretArn. */
  secretArn: string;
  onSecret?: (value: string) => void;
  /** Bound on the Bolt call. Default 3000 ms. */
  timeoutMs?: number;
}

export async function executeLeadershipAction(
  deps: LeadershipExecutorDeps,
  a: LeadershipAction,
): Promise<void> {
  const creds = await credentialsFromSecret(deps.secrets, deps.secretArn);
  deps.onSecret?.(creds.password);
  await withMember(a.address, creds, deps.timeoutMs ?? 3000, (c) =>
    setDefaultToReadOnly(c, a.type === 'MoveLeaderships'),
  );
}
