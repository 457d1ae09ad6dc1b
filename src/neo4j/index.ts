/**
 * The operator's Bolt adapter (neo4j-driver 6.x): probe a cluster into a typed ClusterView, run the
 * server-management commands, read credentials from a secret store. See types.ts for the view.
 */
export { probeCluster } from './probe.js';
export type { ProbeOptions } from './probe.js';
export { MemberConnection, parseMemberUrl } from './connection.js';
export type { ConnectionOptions, Credentials, Row } from './connection.js';
export { ProbeError, TimeoutError, classify, withTimeout } from './errors.js';
export { evaluateHealthGate } from './health-gate.js';
export { dialectFor, readComponents, readMember } from './dialects.js';
export type { DatabaseRow, Dialect, MemberFacts, ServerRow } from './dialects.js';
export {
  cordonServer,
  deallocateDatabases,
  dropServer,
  enableServer,
  reallocateDatabases,
  setDefaultToReadOnly,
  withMember,
} from './admin.js';
export type { DeallocationMove, EnableServerOptions } from './admin.js';
export { credentialsFromSecret, parseCredentials } from './secrets.js';
export type { SecretReader } from './secrets.js';
export type * from './types.js';
