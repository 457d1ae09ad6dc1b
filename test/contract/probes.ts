/**
 * The catalogue of probe queries the contract tests run against the real Neo4j 5.26 Community server
 * (recorded as fixtures in test/fixtures/neo4j-5.26-community/) and against the simulated members.
 *
 * Each probe says where it runs (database, auto-commit or explicit transaction), which answer columns
 * carry run-specific values (ids, times) that the fixtures blank out, and whether Community can answer
 * it at all. Probes that Community supports are compared with the simulator (`compareWithSim`); the
 * enterprise-only ones record the exact Community error.
 */

export type TransactionKind = 'auto-commit' | 'explicit';

export interface Probe {
  /** Also the fixture's file name (`<id>.json`). */
  id: string;
  query: string;
  params?: Record<string, unknown>;
  database: 'system' | 'neo4j';
  transaction: TransactionKind;
  /** Columns whose values differ from run to run; the fixture keeps their types, not their values. */
  volatileColumns?: string[];
  /** Community 5.26 answers with records (true) or an error (false). */
  communitySupported: boolean;
  /** Compared with the simulated members (column names and value types). */
  compareWithSim: boolean;
  /** Runs on the writer (leader) of its database: writes, and reads that must see them at once. */
  onWriter?: boolean;
  /** Why the probe is here, for the fixture and for the reader. */
  purpose: string;
}

const SYSTEM_READ = { database: 'system', transaction: 'auto-commit' } as const;

export const PROBES: readonly Probe[] = [
  {
    id: 'dbms-components',
    query: 'CALL dbms.components()',
    ...SYSTEM_READ,
    communitySupported: true,
    compareWithSim: true,
    purpose: 'server version and edition',
  },
  {
    id: 'show-databases-roles',
    query: 'SHOW DATABASES YIELD name, address, role, writer, currentStatus, requestedStatus',
    ...SYSTEM_READ,
    communitySupported: true,
    compareWithSim: true,
    purpose: 'per-database roles and the writer (leader) of each database',
  },
  {
    id: 'show-databases-roles-serverid',
    query: 'SHOW DATABASES YIELD name, address, serverID, role, writer, currentStatus, requestedStatus',
    ...SYSTEM_READ,
    volatileColumns: ['serverID'],
    communitySupported: true,
    compareWithSim: true,
    purpose: 'the role query the operator runs on 5.x (serverID is yieldable on Community too)',
  },
  {
    id: 'show-databases-member-view',
    query:
      'SHOW DATABASES YIELD name, address, serverID, role, writer, currentStatus, requestedStatus, statusMessage, replicationLag',
    ...SYSTEM_READ,
    volatileColumns: ['serverID'],
    communitySupported: true,
    compareWithSim: true,
    purpose: 'the per-member view suggested in neo4j-ops.md §1.2, with statusMessage and replicationLag',
  },
  {
    id: 'show-databases',
    query: 'SHOW DATABASES',
    ...SYSTEM_READ,
    communitySupported: true,
    compareWithSim: true,
    purpose: 'the default columns of SHOW DATABASES',
  },
  {
    id: 'show-databases-yield-star',
    query: 'SHOW DATABASES YIELD *',
    ...SYSTEM_READ,
    volatileColumns: ['databaseID', 'serverID', 'creationTime', 'lastStartTime'],
    communitySupported: true,
    compareWithSim: true,
    purpose: 'every column of SHOW DATABASES, in order',
  },
  {
    id: 'health-gate-databases',
    query:
      'SHOW DATABASES YIELD name, address, currentStatus, requestedStatus, statusMessage WHERE currentStatus <> requestedStatus RETURN name, address, currentStatus, requestedStatus, statusMessage',
    ...SYSTEM_READ,
    communitySupported: true,
    compareWithSim: true,
    purpose: "Neo4j's rolling-upgrade health gate on databases (0 rows when healthy)",
  },
  {
    id: 'routing-table',
    query: "CALL dbms.routing.getRoutingTable({}, 'neo4j')",
    ...SYSTEM_READ,
    communitySupported: true,
    compareWithSim: true,
    purpose: 'the routing table a neo4j:// driver reads',
  },
  {
    id: 'write-auto-commit',
    query: 'CREATE (n:Probe {id: $id}) RETURN n.id AS id',
    params: { id: 'contract-auto-commit' },
    database: 'neo4j',
    transaction: 'auto-commit',
    communitySupported: true,
    compareWithSim: true,
    onWriter: true,
    purpose: 'a write in an auto-commit transaction',
  },
  {
    id: 'read-auto-commit',
    query: 'MATCH (n:Probe {id: $id}) RETURN n.id AS id',
    params: { id: 'contract-auto-commit' },
    database: 'neo4j',
    transaction: 'auto-commit',
    communitySupported: true,
    compareWithSim: true,
    onWriter: true,
    purpose: 'reads back the auto-commit write (on the writer, so it is there at once)',
  },
  {
    id: 'write-explicit',
    query: 'CREATE (n:Probe {id: $id}) RETURN n.id AS id',
    params: { id: 'contract-explicit' },
    database: 'neo4j',
    transaction: 'explicit',
    communitySupported: true,
    compareWithSim: true,
    onWriter: true,
    purpose: 'a write in an explicit (BEGIN/COMMIT) transaction',
  },
  {
    id: 'read-explicit',
    query: 'MATCH (n:Probe {id: $id}) RETURN n.id AS id',
    params: { id: 'contract-explicit' },
    database: 'neo4j',
    transaction: 'explicit',
    communitySupported: true,
    compareWithSim: true,
    onWriter: true,
    purpose: 'reads back the explicit write in an explicit transaction',
  },
  {
    id: 'show-servers-yield-star',
    query: 'SHOW SERVERS YIELD *',
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: 'servers (Enterprise only)',
  },
  {
    id: 'show-servers',
    query: 'SHOW SERVERS',
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: 'servers, default columns (Enterprise only)',
  },
  {
    id: 'health-gate-servers',
    query:
      'SHOW SERVERS YIELD name, hosting, requestedHosting, serverId WHERE requestedHosting <> hosting RETURN name, hosting, requestedHosting, serverId',
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: "Neo4j's rolling-upgrade health gate on servers (Enterprise only)",
  },
  {
    id: 'enable-server',
    query: "ENABLE SERVER 'x'",
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: 'admin command (Enterprise only)',
  },
  {
    id: 'deallocate-databases',
    query: "DEALLOCATE DATABASES FROM SERVER 'x'",
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: 'admin command (Enterprise only)',
  },
  {
    id: 'dryrun-deallocate-databases',
    query: "DRYRUN DEALLOCATE DATABASES FROM SERVER 'x'",
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: 'admin command (Enterprise only)',
  },
  {
    id: 'drop-server',
    query: "DROP SERVER 'x'",
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: 'admin command (Enterprise only)',
  },
  {
    id: 'set-config-read-only',
    query: "CALL dbms.setConfigValue('server.databases.default_to_read_only', 'true')",
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: 'the leadership-moving lever (Enterprise only)',
  },
  {
    id: 'cluster-role-4x',
    query: "CALL dbms.cluster.role('neo4j')",
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: 'the 4.4 role procedure, removed in 5.0 (what a 5.x server says when asked the 4.4 dialect)',
  },
  {
    id: 'cluster-overview-4x',
    query: 'CALL dbms.cluster.overview()',
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: 'the 4.4 topology procedure, removed in 5.0',
  },
  {
    id: 'cluster-status-check',
    query: 'CALL dbms.cluster.statusCheck([])',
    ...SYSTEM_READ,
    communitySupported: false,
    compareWithSim: false,
    purpose: 'the 5.24+ replication check (Enterprise only)',
  },
];
