/**
 * Runs simulated Neo4j members inside the AWS twin's ECS tasks (implements TaskLifecycleHooks).
 *
 * When a task whose container image is `neo4j:*` starts, a member starts on the task's own address,
 * configured the way the official image reads its environment:
 * - image tag → version and edition (`neo4j:5.26.0-enterprise`; no `-enterprise` = Community);
 *   Enterprise needs `NEO4J_ACCEPT_LICENSE_AGREEMENT=yes`, or the container exits;
 * - `NEO4J_AUTH` (`neo4j/<password>`, from the environment or a resolved secret);
 * - `NEO4J_initial_server_mode__constraint` / `NEO4J_server_cluster_system__database__mode`
 *   (PRIMARY or SECONDARY) → the member's mode;
 * - `NEO4J_dbms_cluster_minimum__initial__system__primaries__count` (default 3) → when the cluster forms;
 * - `NEO4J_server_bolt_listen__address` / the 7687 port mapping → the Bolt port;
 * - `NEO4J_ECS_MEMBER` → the member's name (default: from the /data bind path
 *   `/var/lib/neo4j-ecs/<member>`, else the service group and task id);
 * - discovery, as Neo4j does it: `NEO4J_dbms_cluster_discovery_resolver__type` (LIST, DNS or SRV) and
 *   the endpoints `NEO4J_dbms_cluster_endpoints` / `..._discovery_v2_endpoints` /
 *   `..._discovery_endpoints`. A member finds its peers only by resolving its endpoints through the
 *   twin's DNS (`resolve`, the Cloud Map records), at start and every `discoveryRetryMs` until it has
 *   found somebody; it joins the cluster of the running members at the addresses it resolved (or the
 *   one its volume's server id belongs to, or a new one). A member that resolves nobody waits for
 *   discovery, as real Neo4j waits for its initial primaries: no Bolt, health UNKNOWN, and the world
 *   log and its own log say so. No endpoints at all means a standalone server.
 *
 * Its data lives on an attached EBS volume: the one `NEO4J_ECS_VOLUME_ID` names (the entry point
 * refuses to start without it, docs/topology.md), else the one whose id or device appears in the host
 * path mounted at /data, else the one tagged `neo4j-ecs:member` = the member, else the only one
 * attached. Without a volume it runs on the container's writable layer, which is lost when the task
 * stops (a world-log event says so): secondaries run that way.
 *
 * Health: UNKNOWN while starting, HEALTHY once every database allocated to it is online, UNHEALTHY
 * if it stops being part of the cluster. A refused start (incompatible version, dropped server,
 * missing licence) makes the container exit with code 1.
 */
import type { VirtualClock, TimerHandle } from '../core/clock.js';
import { Rng } from '../core/rng.js';
import type { WorldLog } from '../core/world-log.js';
import type { TaskContainerInfo, TaskControl, TaskLifecycleHooks, TaskRuntimeInfo } from '../aws/contract.js';
import { ClusterModel } from './cluster.js';
import type { ClusterParams, Mode } from './cluster.js';
import { MemberRefusedError, SimMember } from './member.js';
import { MemberVolume } from './store.js';

export interface EcsNeo4jRuntimeOptions {
  clock: VirtualClock;
  log: WorldLog;
  seed?: number;
  electionTimeoutMs?: number;
  leaderTransferMs?: number;
  startDelayMs?: number;
  catchUpPerTxMs?: number;
  storeCopyMs?: number;
  /** User databases created when a cluster first forms (the operator may create them instead). */
  databases?: string[];
  /** Which container runs Neo4j. Default: an image named `neo4j` (any registry, any tag). */
  isNeo4jContainer?: (c: TaskContainerInfo) => boolean;
  /** Virtual ms between health evaluations. Default 1000. */
  healthIntervalMs?: number;
  /**
   * The DNS a task's resolver answers from (A records): the twin's Cloud Map records. Without it only
   * IP literals in the endpoints resolve.
   */
  resolve?: (name: string) => string[];
  /** SRV records, for `resolver_type=SRV`. */
  resolveSrv?: (name: string) => { target: string; port: number }[];
  /** Virtual ms between two discovery attempts of a member that has not found its peers. Default 5000. */
  discoveryRetryMs?: number;
}

export interface EcsMemberInfo {
  taskArn: string;
  clusterArn: string;
  /** The Neo4j cluster it belongs to: its discovery endpoints, or the ECS cluster ARN. */
  cluster: string;
  name: string;
  mode: Mode;
  boltUrl: string;
  /** Empty while it is still discovering (and has never run on its volume). */
  serverId: string;
  volumeId: string | null;
  /** `discovering`: running in its task, but it has not found its peers yet (no Bolt). */
  state: SimMember['state'] | 'discovering';
}

export interface EcsNeo4jRuntime extends TaskLifecycleHooks {
  /** The Neo4j cluster model by key: the members' discovery endpoints, else the ECS cluster ARN. */
  cluster(key: string): ClusterModel | undefined;
  members(): EcsMemberInfo[];
  memberForTask(taskArn: string): SimMember | undefined;
  /** The member's own log lines (what neo4j.log would say about discovery), oldest first. */
  memberLog(taskArn: string): string[];
  /** Stops every member and timer. */
  stop(): Promise<void>;
}

export function parseImage(image: string): { version: string; edition: 'enterprise' | 'community' } | null {
  const m = /(?:^|\/)neo4j:([0-9][^\s@]*)$/.exec(image.trim());
  if (!m) return null;
  const tag = m[1] as string;
  const edition = /-enterprise\b/.test(tag) ? 'enterprise' : 'community';
  const version = tag.replace(/-(enterprise|community).*$/, '');
  if (!/^\d+\.\d+(\.\d+)?$/.test(version)) return null;
  return { version: version.split('.').length === 2 ? `${version}.0` : version, edition };
}

function envOf(c: TaskContainerInfo): Record<string, string> {
  return { ...c.environment, ...c.secrets };
}

function modeOf(env: Record<string, string>): Mode {
  const constraint = (env.NEO4J_initial_server_mode__constraint ?? '').toUpperCase();
  const systemMode = (env.NEO4J_server_cluster_system__database__mode ?? '').toUpperCase();
  return constraint === 'SECONDARY' || systemMode === 'SECONDARY' ? 'secondary' : 'primary';
}

/** The Bolt port: the listen address's port (`:0` picks a free one, a twin-only convenience for tests), else 7687, mapped. */
function boltPort(c: TaskContainerInfo, env: Record<string, string>): number {
  const listen = env.NEO4J_server_bolt_listen__address;
  const fromEnv = listen ? Number(/:(\d+)$/.exec(listen)?.[1]) : NaN;
  if (fromEnv === 0) return 0;
  const containerPort = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 7687;
  const mapping = c.portMappings.find((p) => p.containerPort === containerPort);
  return mapping?.hostPort && mapping.hostPort > 0 ? mapping.hostPort : containerPort;
}

/** The host path bind-mounted at /data, if any (docs/topology.md: `/var/lib/neo4j-ecs/<member>`). */
function dataHostPath(task: TaskRuntimeInfo, c: TaskContainerInfo): string | undefined {
  const mount = c.mountPoints.find(
    (m) => m.containerPath === '/data' || m.containerPath.startsWith('/data/'),
  );
  return mount ? task.volumes[mount.sourceVolume]?.hostSourcePath : undefined;
}

function pickVolume(
  task: TaskRuntimeInfo,
  c: TaskContainerInfo,
  memberName: string,
  expectedVolumeId: string | undefined,
): TaskRuntimeInfo['attachedVolumes'][number] | null {
  if (expectedVolumeId) return task.attachedVolumes.find((v) => v.volumeId === expectedVolumeId) ?? null;
  const hostPath = dataHostPath(task, c);
  if (hostPath) {
    const byPath = task.attachedVolumes.find(
      (v) =>
        hostPath.includes(v.volumeId) ||
        hostPath.includes(v.device) ||
        hostPath.includes(v.device.replace('/dev/', '')),
    );
    if (byPath) return byPath;
  }
  const tagged = task.attachedVolumes.find((v) => v.tags['neo4j-ecs:member'] === memberName);
  if (tagged) return tagged;
  return task.attachedVolumes.length === 1 ? (task.attachedVolumes[0] ?? null) : null;
}

/** How a member finds its peers (dbms.cluster.discovery.resolver_type and the endpoints). */
export interface DiscoveryConfig {
  resolver: 'LIST' | 'DNS' | 'SRV' | 'K8S';
  endpoints: { host: string; port: number }[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function discoveryConfig(env: Record<string, string>): DiscoveryConfig {
  const raw = (
    env.NEO4J_dbms_cluster_discovery_resolver__type ??
    env.NEO4J_dbms_cluster_discovery_type ??
    'LIST'
  ).toUpperCase();
  const resolver = raw === 'DNS' || raw === 'SRV' || raw === 'K8S' ? raw : 'LIST';
  const list =
    env.NEO4J_dbms_cluster_endpoints ??
    env.NEO4J_dbms_cluster_discovery_v2_endpoints ??
    env.NEO4J_dbms_cluster_discovery_endpoints ??
    '';
  const endpoints = list
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((e) => {
      const m = /^(.*?)(?::(\d+))?$/.exec(e);
      return { host: (m?.[1] ?? e).replace(/^\[|\]$/g, ''), port: Number(m?.[2] ?? 6000) };
    });
  return { resolver, endpoints };
}

interface Running {
  task: TaskRuntimeInfo;
  name: string;
  env: Record<string, string>;
  container: TaskContainerInfo;
  /** The Neo4j cluster this member discovered (empty while discovering). */
  key: string;
  member: SimMember | null;
  control: TaskControl;
  volumeId: string | null;
  health: TimerHandle | null;
  lastHealth: string;
  /** The next discovery attempt, while it has not found its peers. */
  discovery: TimerHandle | null;
  attempts: number;
  log: string[];
}

export function createEcsNeo4jRuntime(opts: EcsNeo4jRuntimeOptions): EcsNeo4jRuntime {
  const rng = new Rng(opts.seed ?? 7);
  const clusters = new Map<string, ClusterModel>();
  const running = new Map<string, Running>();
  const isNeo4j = opts.isNeo4jContainer ?? ((c: TaskContainerInfo) => parseImage(c.image) !== null);
  const healthEvery = opts.healthIntervalMs ?? 1000;

  const clusterFor = (
    arn: string,
    env: Record<string, string>,
    edition: 'enterprise' | 'community',
  ): ClusterModel => {
    let c = clusters.get(arn);
    if (c) return c;
    const minPrimaries = Number(env.NEO4J_dbms_cluster_minimum__initial__system__primaries__count ?? '3');
    const electionTimeoutMs = opts.electionTimeoutMs ?? 20_000;
    const params: ClusterParams = {
      clock: opts.clock,
      rng,
      log: opts.log,
      edition,
      electionTimeoutMs,
      leaderTransferMs: opts.leaderTransferMs ?? Math.min(1000, electionTimeoutMs),
      startDelayMs: opts.startDelayMs ?? 2000,
      catchUpPerTxMs: opts.catchUpPerTxMs ?? 5,
      storeCopyMs: opts.storeCopyMs ?? 5000,
      minimumInitialPrimaries: Number.isInteger(minPrimaries) && minPrimaries > 0 ? minPrimaries : 3,
      initialDatabases: opts.databases ?? [],
      initialTopology: 'all',
      defaultTopology: {
        primaries: Number(env.NEO4J_initial_dbms_default__primaries__count ?? '1') || 1,
        secondaries: Number(env.NEO4J_initial_dbms_default__secondaries__count ?? '0') || 0,
      },
      autoEnableFreeServers:
        (env.NEO4J_initial_dbms_automatically__enable__free__servers ?? '').toLowerCase() === 'true',
    };
    c = new ClusterModel(params);
    clusters.set(arn, c);
    return c;
  };

  const checkHealth = (r: Running): void => {
    r.health = null;
    if (running.get(r.task.taskArn) !== r || !r.member || r.member.state !== 'running') return;
    const c = clusters.get(r.key);
    let status: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN' = 'UNKNOWN';
    const s = c?.servers.get(r.member.serverId);
    if (c && s) {
      if (s.state === 'Dropped') status = 'UNHEALTHY';
      else if (c.formed) {
        const mine = [...c.dbs.values()].filter((d) => c.isAllocated(d, s.serverId) || d.type === 'system');
        status = mine.every((d) => d.replicas.get(s.serverId)?.status === 'online') ? 'HEALTHY' : 'UNKNOWN';
      }
    }
    // Reported on every check, not only on change: the ECS side ignores reports until the task is
    // RUNNING, and repeating one is harmless.
    r.lastHealth = status;
    r.control.setHealth(status);
    r.health = opts.clock.setTimeout(() => checkHealth(r), healthEvery);
  };

  const memberName = (task: TaskRuntimeInfo, c: TaskContainerInfo, env: Record<string, string>): string => {
    if (env.NEO4J_ECS_MEMBER) return env.NEO4J_ECS_MEMBER;
    const fromPath = /\/var\/lib\/neo4j-ecs\/([^/]+)\/?$/.exec(dataHostPath(task, c) ?? '')?.[1];
    if (fromPath) return fromPath;
    return (
      (task.group ? task.group.replace(/^service:/, '') + '/' : '') +
      (task.taskArn.split('/').pop() ?? task.taskArn)
    );
  };

  const retryMs = opts.discoveryRetryMs ?? 5000;
  const memberLine = (r: Running, level: string, text: string): void => {
    r.log.push(`${new Date(opts.clock.now()).toISOString()} ${level} ${text}`);
    if (r.log.length > 500) r.log.splice(0, r.log.length - 500);
  };

  /** The addresses a member's endpoints resolve to, as its resolver does it. */
  const resolveEndpoints = (d: DiscoveryConfig): string[] => {
    const a = (host: string): string[] => (IPV4.test(host) ? [host] : (opts.resolve?.(host) ?? []));
    const out: string[] = [];
    for (const e of d.endpoints) {
      if (d.resolver === 'SRV') for (const srv of opts.resolveSrv?.(e.host) ?? []) out.push(...a(srv.target));
      else if (d.resolver !== 'K8S') out.push(...a(e.host));
    }
    return [...new Set(out)];
  };

  /** A key for a new cluster model: its endpoints, made unique. */
  const newKey = (base: string): string => {
    if (!clusters.has(base)) return base;
    let n = 2;
    while (clusters.has(`${base}#${n}`)) n++;
    return `${base}#${n}`;
  };

  /**
   * Which cluster a member joins, from the addresses it resolved: that of the running members there
   * (a formed one first, then the largest), else the one its volume's server id belongs to (the
   * system database on its store), else a new one. Undefined: nobody is there, keep discovering.
   */
  const pickCluster = (r: Running, addresses: string[], serverId: string | undefined): string | undefined => {
    const peers = [...running.values()].filter(
      (o) => o !== r && o.key !== '' && addresses.includes(o.task.address),
    );
    const self = addresses.includes(r.task.address);
    if (!peers.length && !self) return undefined;
    const keys = [...new Set(peers.map((p) => p.key))].filter((k) => clusters.has(k));
    keys.sort((x, y) => {
      const cx = clusters.get(x);
      const cy = clusters.get(y);
      const fx = cx?.formed ? 1 : 0;
      const fy = cy?.formed ? 1 : 0;
      if (fx !== fy) return fy - fx;
      const sx = peers.filter((p) => p.key === x).length;
      const sy = peers.filter((p) => p.key === y).length;
      return sy - sx;
    });
    if (keys[0] !== undefined) return keys[0];
    if (serverId !== undefined) for (const [k, c] of clusters) if (c.servers.has(serverId)) return k;
    return '';
  };

  return {
    async onTaskStarted(task, control) {
      const container = task.containers.find(isNeo4j);
      if (!container) return;
      const env = envOf(container);
      const image = parseImage(container.image);
      const name = memberName(task, container, env);
      if (!image) {
        control.exit(1, `cannot tell the Neo4j version from image '${container.image}'`);
        return;
      }
      if (image.edition === 'enterprise' && !/^(yes|eval)$/i.test(env.NEO4J_ACCEPT_LICENSE_AGREEMENT ?? '')) {
        opts.log.append('neo4j.member.refused', {
          member: name,
          taskArn: task.taskArn,
          reason: 'licence agreement not accepted',
        });
        control.exit(1, 'Neo4j Enterprise requires NEO4J_ACCEPT_LICENSE_AGREEMENT=yes');
        return;
      }
      const auth = env.NEO4J_AUTH ?? 'neo4j/neo4j';
      const slash = auth.indexOf('/');
      const [user, password] =
        auth === 'none'
          ? ['neo4j', '']
          : slash > 0
            ? [auth.slice(0, slash), auth.slice(slash + 1)]
            : ['neo4j', auth];
      const discovery = discoveryConfig(env);
      const expectedVolume = env.NEO4J_ECS_VOLUME_ID;
      const vol = pickVolume(task, container, name, expectedVolume);
      if (expectedVolume && !vol) {
        // The image's entry point refuses to start Neo4j on anything but the expected volume.
        opts.log.append('neo4j.member.refused', {
          member: name,
          taskArn: task.taskArn,
          reason: `volume ${expectedVolume} is not mounted`,
        });
        control.exit(
          1,
          `data volume ${expectedVolume} is not mounted at /data; refusing to start Neo4j on an empty store`,
        );
        return;
      }
      if (!vol) opts.log.append('neo4j.member.no-volume', { member: name, taskArn: task.taskArn });
      const data = vol ? vol.data : new Map<string, string>();
      const r: Running = {
        task,
        name,
        env,
        container,
        key: '',
        member: null,
        control,
        volumeId: vol?.volumeId ?? null,
        health: null,
        lastHealth: '',
        discovery: null,
        attempts: 0,
        log: [],
      };
      running.set(task.taskArn, r);
      control.setHealth('UNKNOWN');
      const endpointsText = discovery.endpoints.map((e) => `${e.host}:${e.port}`).join(',');

      const start = async (key: string, standalone: boolean): Promise<void> => {
        r.key = key;
        const cluster =
          clusters.get(key) ??
          clusterFor(
            key,
            standalone ? { ...env, NEO4J_dbms_cluster_minimum__initial__system__primaries__count: '1' } : env,
            image.edition,
          );
        const member = new SimMember({
          name,
          mode: modeOf(env),
          host: task.address,
          port: boltPort(container, env),
          version: image.version,
          edition: image.edition,
          user,
          password,
          volume: data,
          cluster,
          log: opts.log,
        });
        r.member = member;
        try {
          await member.start();
        } catch (e) {
          running.delete(task.taskArn);
          const reason = e instanceof MemberRefusedError ? e.message : `failed to start: ${String(e)}`;
          memberLine(r, 'ERROR', reason);
          control.exit(1, reason);
          return;
        }
        if (running.get(task.taskArn) !== r) {
          // The task stopped while the member was starting.
          await member.stop('task stopped');
          return;
        }
        memberLine(r, 'INFO', `Started (Bolt on ${member.address}, cluster ${key}).`);
        r.control.setHealth('UNKNOWN');
        r.health = opts.clock.setTimeout(() => checkHealth(r), healthEvery);
      };

      const attempt = async (): Promise<void> => {
        r.discovery = null;
        if (running.get(task.taskArn) !== r) return;
        r.attempts += 1;
        const addresses = resolveEndpoints(discovery);
        memberLine(
          r,
          'INFO',
          `Resolved endpoints with ${discovery.resolver}{endpoints:'[${endpointsText}]'} to '[${addresses.map((a) => `${a}:6000`).join(', ')}]'`,
        );
        const key = pickCluster(r, addresses, new MemberVolume(data).serverId());
        if (key === undefined) {
          if (r.attempts === 1) {
            memberLine(
              r,
              'INFO',
              `Waiting for server discovery: no member found at ${endpointsText} (resolver ${discovery.resolver}).`,
            );
            opts.log.append('neo4j.member.discovering', {
              member: name,
              taskArn: task.taskArn,
              resolver: discovery.resolver,
              endpoints: endpointsText,
              address: task.address,
            });
          }
          r.discovery = opts.clock.setTimeout(() => void attempt(), retryMs);
          return;
        }
        opts.log.append('neo4j.member.discovered', {
          member: name,
          taskArn: task.taskArn,
          resolver: discovery.resolver,
          endpoints: endpointsText,
          addresses,
          attempts: r.attempts,
          cluster: key || null,
        });
        await start(key || newKey(endpointsText), false);
      };

      if (!discovery.endpoints.length) {
        // No endpoints with LIST: a standalone server (minimum_initial_system_primaries_count is ignored).
        memberLine(r, 'INFO', 'No discovery endpoints: running as a standalone server.');
        await start(newKey(`standalone:${task.taskArn}`), true);
        return;
      }
      await attempt();
    },

    async onTaskStopped(task, reason) {
      const r = running.get(task.taskArn);
      if (!r) return;
      running.delete(task.taskArn);
      opts.clock.clearTimeout(r.health ?? undefined);
      opts.clock.clearTimeout(r.discovery ?? undefined);
      if (!r.member)
        opts.log.append('neo4j.member.stopped', {
          member: r.name,
          taskArn: task.taskArn,
          reason,
          discovered: false,
        });
      await r.member?.stop(reason);
    },

    cluster: (key) => clusters.get(key),

    members: () =>
      [...running.values()].map((r) => ({
        taskArn: r.task.taskArn,
        clusterArn: r.task.clusterArn,
        cluster: r.key,
        name: r.name,
        mode: r.member?.mode ?? modeOf(r.env),
        boltUrl: r.member?.boltUrl ?? `bolt://${r.task.address}:${boltPort(r.container, r.env)}`,
        serverId: r.member?.serverId ?? '',
        volumeId: r.volumeId,
        state: r.member?.state ?? 'discovering',
      })),

    memberForTask: (arn) => running.get(arn)?.member ?? undefined,

    memberLog: (arn) => [...(running.get(arn)?.log ?? [])],

    async stop() {
      for (const r of [...running.values()]) {
        opts.clock.clearTimeout(r.health ?? undefined);
        opts.clock.clearTimeout(r.discovery ?? undefined);
        await r.member?.stop('twin stopped');
      }
      running.clear();
      for (const c of clusters.values()) c.shutdown();
    },
  };
}
