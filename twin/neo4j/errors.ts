/**
 * Neo4j errors as the simulated members raise them: the real legacy status codes
 * (docs-status-codes, errors/all-errors.adoc) with the messages a 5.26 server gives where they were
 * observed against a real server (noted "[real]"); others follow the documented wording.
 *
 * The Bolt layer turns a {@link Neo4jError} into a FAILURE message: `{code, message}` up to Bolt 5.6
 * and the GQL form (`neo4j_code`, `gql_status`, `description`, ...) from 5.7.
 */

export class Neo4jError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** GQLSTATUS; 5.26 answers the generic 50N42 for most legacy errors [real]. */
    readonly gqlStatus = '50N42',
    readonly gqlDescription = 'error: general processing exception - unexpected error. Unexpected error has occurred. See debug log for details.',
    readonly gqlCause?: { message: string; gqlStatus: string; description: string },
  ) {
    super(message);
    this.name = 'Neo4jError';
  }

  get classification(): 'CLIENT_ERROR' | 'TRANSIENT_ERROR' | 'DATABASE_ERROR' {
    if (this.code.startsWith('Neo.TransientError')) return 'TRANSIENT_ERROR';
    if (this.code.startsWith('Neo.DatabaseError')) return 'DATABASE_ERROR';
    return 'CLIENT_ERROR';
  }
}

export const errors = {
  /** [real] Wrong user or password; the server closes the connection after it. */
  unauthorized: (): Neo4jError =>
    new Neo4jError(
      'Neo.ClientError.Security.Unauthorized',
      'The client is unauthorized due to authentication failure.',
    ),

  syntax: (query: string, detail: string): Neo4jError =>
    new Neo4jError(
      'Neo.ClientError.Statement.SyntaxError',
      `${detail} (line 1, column 1 (offset: 0))\n"${query.length > 200 ? query.slice(0, 200) + '…' : query}"\n ^`,
    ),

  /** [real] The wording of 5.26 for an unknown procedure, with its GQL cause. */
  procedureNotFound: (name: string): Neo4jError =>
    new Neo4jError(
      'Neo.ClientError.Procedure.ProcedureNotFound',
      `There is no procedure with the name \`${name}\` registered for this database instance. Please ensure you've spelled the procedure name correctly and that the procedure is properly deployed.`,
      '42001',
      'error: syntax error or access rule violation - invalid syntax',
      {
        message: `42N08: The procedure or function ${name}() was not registered for this database instance. Verify that the spelling is correct.`,
        gqlStatus: '42N08',
        description: `error: syntax error or access rule violation - no such procedure or function. The procedure or function ${name}() was not registered for this database instance. Verify that the spelling is correct.`,
      },
    ),

  /** [real] Community's answer to ENABLE / DEALLOCATE / DROP SERVER and other Enterprise commands. */
  unsupportedAdministration: (query: string): Neo4jError =>
    new Neo4jError(
      'Neo.ClientError.Statement.UnsupportedAdministrationCommand',
      `Unsupported administration command: ${query}`,
    ),

  /** [real] Community's answer to SHOW SERVERS (a different code from the other commands). */
  unsupportedShowServers: (query: string): Neo4jError =>
    new Neo4jError(
      'Neo.ClientError.Statement.NotSystemDatabaseError',
      `Unsupported administration command: ${query}`,
    ),

  notSystemDatabase: (what: string): Neo4jError =>
    new Neo4jError(
      'Neo.ClientError.Statement.NotSystemDatabaseError',
      `This is an administration command and it should be executed against the system database: ${what}`,
    ),

  notALeader: (role: 'FOLLOWER' | 'SECONDARY' | 'CANDIDATE'): Neo4jError =>
    new Neo4jError(
      'Neo.ClientError.Cluster.NotALeader',
      `No write operations are allowed directly on this database. Writes must pass through the leader. The role of this server is: ${role}`,
    ),

  replicationFailure: (db: string): Neo4jError =>
    new Neo4jError(
      'Neo.TransientError.Cluster.ReplicationFailure',
      `Replication failure: database '${db}' cannot reach a majority of its primaries.`,
    ),

  leaderSwitch: (): Neo4jError =>
    new Neo4jError(
      'Neo.TransientError.Transaction.LeaderSwitch',
      'The request could not be completed due to cluster leader switch.',
    ),

  readOnly: (db: string): Neo4jError =>
    new Neo4jError(
      'Neo.ClientError.General.ForbiddenOnReadOnlyDatabase',
      `Database '${db}' is read-only on this server, writing or modifying the database is not allowed.`,
    ),

  accessMode: (): Neo4jError =>
    new Neo4jError('Neo.ClientError.Statement.AccessMode', 'Writing in read access mode not allowed.'),

  databaseNotFound: (db: string): Neo4jError =>
    new Neo4jError('Neo.ClientError.Database.DatabaseNotFound', `Graph not found: ${db}`),

  databaseUnavailable: (db: string, why = 'is unavailable'): Neo4jError =>
    new Neo4jError('Neo.TransientError.General.DatabaseUnavailable', `Database '${db}' ${why}.`),

  existingDatabase: (db: string): Neo4jError =>
    new Neo4jError(
      'Neo.ClientError.Database.ExistingDatabaseFound',
      `Failed to create the specified database '${db}': Database already exists.`,
    ),

  invalidArguments: (message: string): Neo4jError =>
    new Neo4jError('Neo.ClientError.General.InvalidArguments', message),

  parameterMissing: (name: string): Neo4jError =>
    new Neo4jError('Neo.ClientError.Statement.ParameterMissing', `Expected parameter(s): ${name}`),

  typeError: (message: string): Neo4jError => new Neo4jError('Neo.ClientError.Statement.TypeError', message),

  argumentError: (message: string): Neo4jError =>
    new Neo4jError('Neo.ClientError.Statement.ArgumentError', message),

  procedureCallFailed: (message: string): Neo4jError =>
    new Neo4jError('Neo.ClientError.Procedure.ProcedureCallFailed', message),

  requestInvalid: (message: string): Neo4jError => new Neo4jError('Neo.ClientError.Request.Invalid', message),

  transactionNotFound: (): Neo4jError =>
    new Neo4jError('Neo.ClientError.Transaction.TransactionNotFound', 'No transaction is open.'),

  bookmarkTimeout: (): Neo4jError =>
    new Neo4jError(
      'Neo.TransientError.Transaction.BookmarkTimeout',
      'Database has not reached the specified version.',
    ),
} as const;
