/**
 * The Bolt side of the reconcilers' executors: every action that talks to a member over Bolt (the
 * leadership actions of src/reconcilers/leadership.ts, and ENABLE SERVER / DEALLOCATE / DROP SERVER of
 * the membership planner) connects through `withMemberAs`: the password comes from the cluster's
 * secret and is handed to `onSecret` so events and logs redact it; without a secret reader the action
 * fails with a FatalError that says so, never silently.
 *
 * MoveLeaderships sets `server.databases.default_to_read_only` to true on the member itself (over its
 * own Bolt address), ClearReadOnly sets it back to false. One Bolt call each.
 */
import { FatalError } from '../model/errors.js';
import type { MemberConnection } from '../neo4j/connection.js';
import { setDefaultToReadOnly, withMember } from '../neo4j/admin.js';
import type { SecretReader } from '../neo4j/secrets.js';
import { credentialsFromSecret } from '../neo4j/secrets.js';
import type { LeadershipAction } from './leadership.js';

export interface BoltDeps {
  /** Reads the credentials secret; without it no Bolt action can run. */
  secrets?: SecretReader;
  onSecret?: (value: string) => void;
  /** Bound on each Bolt call. Default 3000 ms. */
  probeTimeoutMs?: number;
}

/** Runs `fn` on a connection to the member at `address` (host:port), as the cluster's user. */
export async function withMemberAs<T>(
  deps: BoltDeps,
  secretArn: string,
  address: string,
  fn: (c: MemberConnection) => Promise<T>,
): Promise<T> {
  if (!deps.secrets)
    throw new FatalError(
      'NoSecretReader',
      `cannot reach ${address} over Bolt: the operator was started without a reader for the credentials secret`,
    );
  const creds = await credentialsFromSecret(deps.secrets, secretArn);
  deps.onSecret?.(creds.password);
  return withMember(address, creds, deps.probeTimeoutMs ?? 3000, fn);
}

export async function executeLeadershipAction(
  deps: BoltDeps,
  secretArn: string,
  a: LeadershipAction,
): Promise<void> {
  await withMemberAs(deps, secretArn, a.address, (c) =>
    setDefaultToReadOnly(c, a.type === 'MoveLeaderships'),
  );
}
