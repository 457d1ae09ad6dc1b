/**
 * Observed Neo4j worlds for the planner tables of the roll and the drain (no I/O): member tasks with
 * addresses, and what the Bolt observation would make of them (members, SHOW SERVERS rows, databases
 * with leaders and copies, the health gate).
 */
import type {
  ObservedCluster,
  ObservedNeo4j,
  ObservedNeo4jCopy,
  ObservedTask,
} from '../../src/model/observed.js';

export interface FakeMember {
  /** The service (member) name: `graph-minimal-primary-1`, or the secondaries' service. */
  service: string;
  serverId: string;
  /** Default primary. */
  mode?: 'primary' | 'secondary';
  /** Databases it leads. */
  leads?: string[];
  /** Default true: a RUNNING task that answers over Bolt. */
  up?: boolean;
  /** A RUNNING task whose member does not answer. */
  unreachable?: boolean;
  readOnly?: boolean;
  version?: string;
  /** Default Enabled / Available (Unavailable when down). */
  state?: string;
  health?: string;
  txBehind?: number;
  /** Task definition the task runs (default `arn:td/<service>:1`). */
  taskDefinition?: string;
  /** Status of its copies (default online when up). */
  copyStatus?: string;
  /** hosting ≠ requestedHosting on its server. */
  hostingUnsettled?: boolean;
}

export const DATABASES = ['movies', 'neo4j', 'system'] as const;

let ip = 0;
export function addressOf(serverId: string): string {
  return `10.0.0.${serverId.replace(/\D/g, '') || String(++ip)}`;
}

export function task(m: FakeMember, n = 0): ObservedTask {
  return {
    taskArn: `arn:task/${m.service}/${m.serverId}/${n}`,
    group: `service:${m.service}`,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    taskDefinitionArn: m.taskDefinition ?? `arn:td/${m.service}:1`,
    address: addressOf(m.serverId),
  };
}

/** Tasks of the members that run, and the Neo4j observation they give. */
export function neo4jWorld(
  members: FakeMember[],
  databases: readonly string[] = DATABASES,
): Pick<ObservedCluster, 'tasks' | 'neo4j'> {
  const tasks = members.filter((m) => m.up !== false).map((m) => task(m));
  const running = (m: FakeMember): boolean => m.up !== false && m.unreachable !== true;
  const health = (m: FakeMember): string => m.health ?? (running(m) ? 'Available' : 'Unavailable');
  const neo4j: ObservedNeo4j = {
    membersUp: members.filter(running).length,
    databasesWithLeader: databases.filter((d) => members.some((m) => m.leads?.includes(d))).length,
    databases: databases.length,
    servers: members.map((m) => ({
      id: m.serverId,
      name: m.serverId,
      address: `${addressOf(m.serverId)}:7687`,
      state: m.state ?? 'Enabled',
      health: health(m),
      ...(m.version !== undefined ? { version: m.version } : {}),
      ...(m.leads ? { leads: m.leads } : {}),
      hosting: running(m) ? [...databases] : [],
      requestedHosting: m.hostingUnsettled ? [...databases, 'extra'] : running(m) ? [...databases] : [],
      modeConstraint: (m.mode ?? 'primary') === 'primary' ? 'PRIMARY' : 'SECONDARY',
    })),
    unreachable: members
      .filter((m) => m.up !== false && m.unreachable)
      .map((m) => `${addressOf(m.serverId)}:7687`),
    members: members
      .filter((m) => m.up !== false)
      .map((m) => ({
        address: `${addressOf(m.serverId)}:7687`,
        reachable: m.unreachable !== true,
        ...(m.unreachable
          ? {}
          : {
              serverId: m.serverId,
              serverState: m.state ?? 'Enabled',
              health: health(m),
              version: m.version ?? '5.26.12',
              readOnly: m.readOnly ?? false,
              mode: m.mode ?? 'primary',
              caughtUp: (m.txBehind ?? 0) === 0 && (m.copyStatus ?? 'online') === 'online',
              txBehind: m.txBehind ?? 0,
            }),
        ...(m.unreachable ? { caughtUp: null } : {}),
      })) as NonNullable<ObservedNeo4j['members']>,
    databaseViews: databases.map((name) => {
      const leader = members.find((m) => m.leads?.includes(name) && running(m));
      const copy = (m: FakeMember): ObservedNeo4jCopy => ({
        serverId: m.serverId,
        address: running(m) ? `${addressOf(m.serverId)}:7687` : null,
        role: !running(m)
          ? 'unknown'
          : m.mode === 'secondary'
            ? 'secondary'
            : leader === m
              ? 'leader'
              : 'follower',
        currentStatus: running(m) ? (m.copyStatus ?? 'online') : 'unknown',
        requestedStatus: 'online',
      });
      return {
        name,
        leaderServerId: leader?.serverId ?? null,
        primaries: members.filter((m) => (m.mode ?? 'primary') === 'primary').map(copy),
        secondaries: members.filter((m) => m.mode === 'secondary').map(copy),
      };
    }),
  };
  const unsettledDb = members.filter((m) => running(m) && (m.copyStatus ?? 'online') !== 'online');
  const down = members.filter((m) => !running(m));
  const unsettledServers = members.filter((m) => m.hostingUnsettled);
  const reasons = [
    ...unsettledServers.map((m) => `server ${m.serverId} hosts [..] but should host [..]`),
    ...[...unsettledDb, ...down].flatMap((m) =>
      databases.map(
        (d) =>
          `database ${d} on ${running(m) ? addressOf(m.serverId) : 'an unavailable server'} is not online`,
      ),
    ),
  ];
  neo4j.gate = { evaluated: true, ok: reasons.length === 0, reasons };
  return { tasks, neo4j };
}
