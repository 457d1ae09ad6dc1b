/**
 * The typed result of probing a Neo4j cluster over Bolt: one {@link ClusterView} per probe pass.
 * Reaching a member is a fact recorded here (`reachable`, `error`), never an exception that ends the
 * pass.
 */

export type ProbeErrorKind =
  /** Nothing answered Bolt at that address (refused, DNS, connection timeout, TLS). */
  | 'unreachable'
  /** Wrong user or password (Neo.ClientError.Security.Unauthorized) or rate-limited logins. */
  | 'auth'
  /** The server runs Community Edition, which cannot form a cluster. */
  | 'community-edition'
  /** The server or the call did not answer within the timeout. */
  | 'timeout'
  /** A Neo4j version the probe has no dialect for (before 4.4). */
  | 'unsupported-version'
  /** An Enterprise-only command or procedure was refused (Community). */
  | 'enterprise-only'
  /** Any other failure of a query. */
  | 'query';

export interface ProbeProblem {
  kind: ProbeErrorKind;
  message: string;
  /** The Neo4j status code, when the server gave one. */
  code?: string;
}

/** Roles as the operator reasons about them, the same for every Neo4j version. */
export type DatabaseRole = 'leader' | 'follower' | 'secondary' | 'unknown';

export interface MemberDatabase {
  role: DatabaseRole;
  currentStatus: string;
  requestedStatus: string;
  statusMessage: string;
  /** Null when the copy is not online (or on Community). */
  lastCommittedTxn: number | null;
  /** 0 when caught up, negative when behind the most advanced copy; null when not online. */
  replicationLag: number | null;
  databaseId: string | null;
}

export interface StoreState {
  /** The member's data is gone (it came back as a new server, or a database was re-created). */
  lost: boolean;
  /** Why the probe thinks so. */
  reason?: string;
}

export interface MemberView {
  /** The seed URL as given, e.g. `bolt://10.0.1.12:7687`. */
  url: string;
  /** host:port of the seed. */
  address: string;
  reachable: boolean;
  error?: ProbeProblem;
  /** `Neo4j/5.26.0` */
  agent?: string;
  /** Negotiated Bolt version, e.g. `5.8`. */
  protocol?: string;
  version?: string;
  edition?: 'enterprise' | 'community';
  /** The server id the cluster knows this member by (matched by address). */
  serverId?: string;
  serverName?: string;
  /** SHOW SERVERS state: Free, Enabled, Cordoned, Deallocating, Deallocated, Dropped. */
  serverState?: string;
  /** SHOW SERVERS health as the cluster sees it: Available or Unavailable. */
  health?: string;
  /** Primary if it hosts any database as a primary. */
  mode?: 'primary' | 'secondary';
  /** Role per database it hosts. */
  roles: Record<string, DatabaseRole>;
  databases: Record<string, MemberDatabase>;
  /** Every hosted copy online with no replication lag (null when unknown). */
  caughtUp: boolean | null;
  /** Reachable, Enabled and Available, and every hosted copy in its requested status. */
  healthy: boolean;
  /** server.databases.default_to_read_only on this member, when readable. */
  readOnly?: boolean;
  store: StoreState;
}

export interface DatabaseHost {
  serverId: string | null;
  /** Advertised Bolt address; null when the hosting server is unavailable. */
  address: string | null;
  /** The seed URL of that member, when it was one of the seeds. */
  member: string | null;
  role: DatabaseRole;
  currentStatus: string;
  requestedStatus: string;
}

export interface DatabaseView {
  name: string;
  /** Leader's advertised address, or null while the database has no leader. */
  leader: string | null;
  leaderServerId: string | null;
  /** The leader's seed URL when it is one of the seeds. */
  leaderMember: string | null;
  hosts: DatabaseHost[];
  databaseId: string | null;
}

export interface ServerView {
  serverId: string;
  name: string;
  address: string | null;
  state: string;
  health: string;
  hosting: string[];
  requestedHosting: string[];
  modeConstraint: string | null;
  version: string | null;
}

export interface HealthGate {
  /** False when no member could answer the gate queries. */
  evaluated: boolean;
  /** Neo4j's own rolling-upgrade gate: no server with requestedHosting ≠ hosting, no database copy with currentStatus ≠ requestedStatus. */
  ok: boolean;
  serversNotSettled: { name: string; serverId: string; hosting: string[]; requestedHosting: string[] }[];
  databasesNotSettled: {
    name: string;
    address: string | null;
    currentStatus: string;
    requestedStatus: string;
    statusMessage: string;
  }[];
  /** Human-readable reasons when not ok (or not evaluated). */
  reasons: string[];
}

export interface ClusterView {
  /** ISO time the probe started. */
  probedAt: string;
  seeds: string[];
  /** '5.x' covers 5.x and 2025.x+; '4.4' uses dbms.cluster.role / overview. */
  dialect: '5.x' | '4.4' | null;
  /** The member whose cluster-wide answers (SHOW DATABASES / SHOW SERVERS) the view uses. */
  source: string | null;
  members: MemberView[];
  databases: DatabaseView[];
  /** Leader address per database (null while it has none). */
  leaders: Record<string, string | null>;
  /** SHOW SERVERS (5.x only). */
  servers: ServerView[];
  healthGate: HealthGate;
  /** Seeds that could not be reached (their errors are on the members). */
  unreachable: string[];
  /** Cluster-level problems: Community edition, bad credentials everywhere, mixed dialects, ... */
  problems: ProbeProblem[];
  /** Every member reachable and healthy, every database led, and the health gate ok. */
  healthy: boolean;
}
