/**
 * Members inside ECS tasks through the TaskLifecycleHooks seam: configuration from the container
 * environment, discovery only through the resolver (a fake DNS here), identity and stores on the
 * attached EBS volume's data map, health reports, and exits.
 */
import { VirtualClock } from '../../../twin/core/clock.js';
import { WorldLog } from '../../../twin/core/world-log.js';
import type { AttachedVolumeInfo, TaskControl, TaskRuntimeInfo } from '../../../twin/aws/contract.js';
import { createEcsNeo4jRuntime } from '../../../twin/neo4j/index.js';
import type { EcsNeo4jRuntime } from '../../../twin/neo4j/index.js';
import { discoveryConfig, parseImage } from '../../../twin/neo4j/ecs-runtime.js';
import { Drivers } from './helpers/drivers.js';

const base = 30 + Math.floor(Math.random() * 200);
let nextHost = 1;

function volume(id: string, member: string): AttachedVolumeInfo {
  return {
    volumeId: id,
    device: '/dev/xvdf',
    availabilityZone: 'us-east-1a',
    tags: { 'neo4j-ecs:member': member },
    data: new Map(),
  };
}

function task(
  member: string,
  vol: AttachedVolumeInfo | null,
  env: Record<string, string> = {},
  image = 'neo4j:5.26.0-enterprise',
): TaskRuntimeInfo {
  const id = `${member}-${nextHost}`;
  return {
    taskArn: `arn:aws:ecs:us-east-1:123456789012:task/prod/${id}`,
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/neo4j:1',
    family: 'neo4j',
    revision: 1,
    group: `service:${member}`,
    containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/prod/abc',
    ec2InstanceId: 'i-0123456789abcdef0',
    availabilityZone: 'us-east-1a',
    address: `127.${base}.9.${nextHost++}`,
    containers: [
      {
        name: 'neo4j',
        image,
        environment: {
          NEO4J_ACCEPT_LICENSE_AGREEMENT: 'yes',
          NEO4J_ECS_MEMBER: member,
          NEO4J_dbms_cluster_minimum__initial__system__primaries__count: '3',
          ...env,
        },
        secrets: { NEO4J_AUTH: 'neo4j/ecs-secret' },
        portMappings: [{ containerPort: 7687, hostPort: 0 }],
        mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
      },
    ],
    volumes: { data: { hostSourcePath: vol ? `/mnt/neo4j/${vol.volumeId}` : '/tmp/none' } },
    attachedVolumes: vol ? [vol] : [],
  };
}

function control(): TaskControl & { health: string[]; exits: { code: number; reason: string }[] } {
  const health: string[] = [];
  const exits: { code: number; reason: string }[] = [];
  return {
    health,
    exits,
    setHealth: (s) => health.push(s),
    exit: (code, reason) => exits.push({ code, reason }),
  };
}

const DNS_ENV = {
  NEO4J_dbms_cluster_discovery_resolver__type: 'DNS',
  NEO4J_dbms_cluster_discovery_v2_endpoints: 'graph.ns.internal:6000',
};

describe('the ECS runtime of simulated members', () => {
  let clock: VirtualClock;
  let world: WorldLog;
  let runtime: EcsNeo4jRuntime;
  let d: Drivers;
  /** The fake DNS: name → addresses. */
  let dns: Map<string, string[]>;
  const register = (name: string, t: TaskRuntimeInfo): void => {
    dns.set(name, [...(dns.get(name) ?? []), t.address]);
  };
  const deregister = (name: string, t: TaskRuntimeInfo): void => {
    dns.set(
      name,
      (dns.get(name) ?? []).filter((a) => a !== t.address),
    );
  };

  beforeEach(() => {
    clock = new VirtualClock({ mode: 'manual' });
    world = new WorldLog(() => clock.now());
    dns = new Map();
    runtime = createEcsNeo4jRuntime({
      clock,
      log: world,
      databases: ['movies'],
      electionTimeoutMs: 3000,
      startDelayMs: 500,
      discoveryRetryMs: 2000,
      resolve: (name) => dns.get(name) ?? [],
    });
    d = new Drivers('neo4j', 'ecs-secret');
  });

  afterEach(async () => {
    await d.closeAll();
    await runtime.stop();
  });

  it('parses the official image tags', () => {
    expect(parseImage('neo4j:5.26.0-enterprise')).toEqual({ version: '5.26.0', edition: 'enterprise' });
    expect(parseImage('public.ecr.aws/docker/library/neo4j:2025.01-enterprise')).toEqual({
      version: '2025.01.0',
      edition: 'enterprise',
    });
    expect(parseImage('neo4j:5.26.0')).toEqual({ version: '5.26.0', edition: 'community' });
    expect(parseImage('nginx:1.25')).toBeNull();
    expect(parseImage('neo4j:latest')).toBeNull();
  });

  it('reads the resolver type and endpoints as Neo4j does', () => {
    expect(discoveryConfig(DNS_ENV)).toEqual({
      resolver: 'DNS',
      endpoints: [{ host: 'graph.ns.internal', port: 6000 }],
    });
    expect(discoveryConfig({ NEO4J_dbms_cluster_endpoints: '10.0.0.1:6000, 10.0.0.2:6001' })).toEqual({
      resolver: 'LIST',
      endpoints: [
        { host: '10.0.0.1', port: 6000 },
        { host: '10.0.0.2', port: 6001 },
      ],
    });
    expect(discoveryConfig({ NEO4J_dbms_cluster_discovery_type: 'srv' }).resolver).toBe('SRV');
  });

  it('forms a cluster from three tasks found through DNS, keeps identity on the volumes and reports health', async () => {
    const vols = ['a', 'b', 'c'].map((x) => volume(`vol-${x}`, `primary-${x}`));
    const ctls = vols.map(() => control());
    const tasks = vols.map((v, i) => task(`primary-${['a', 'b', 'c'][i]}`, v, DNS_ENV));
    for (let i = 0; i < 3; i++) {
      register('graph.ns.internal', tasks[i]!);
      await runtime.onTaskStarted!(tasks[i]!, ctls[i]!);
    }
    expect(runtime.members()).toHaveLength(3);
    for (const v of vols) expect(v.data.get('neo4j/server_id')).toMatch(/^[0-9a-f-]{36}$/);
    await clock.advance(1000);
    for (const c of ctls) expect(c.health.at(-1)).toBe('HEALTHY');

    const first = runtime.members()[0]!;
    const rows = await d.rows(first.boltUrl, 'SHOW DATABASES YIELD name, writer WHERE writer RETURN name');
    expect(rows.map((r) => r.name).sort()).toEqual(['movies', 'neo4j', 'system']);

    // The task is replaced; the new task (new address, in DNS) gets the same volume and comes back
    // with the same identity, in the same cluster.
    const serverId = first.serverId;
    deregister('graph.ns.internal', tasks[0]!);
    await runtime.onTaskStopped!(tasks[0]!, 'Task stopped by the operator');
    const replacement = task('primary-a', vols[0]!, DNS_ENV);
    register('graph.ns.internal', replacement);
    const ctl = control();
    await runtime.onTaskStarted!(replacement, ctl);
    expect(runtime.members().find((m) => m.taskArn === replacement.taskArn)?.cluster).toBe(first.cluster);
    expect(runtime.memberForTask(replacement.taskArn)?.serverId).toBe(serverId);
    expect(ctl.health.at(-1)).toBe('UNKNOWN');
    await clock.advance(5000);
    expect(ctl.health.at(-1)).toBe('HEALTHY');
  });

  it('makes the container exit when the licence is not accepted or the version cannot join', async () => {
    const ctl = control();
    await runtime.onTaskStarted!(
      task('p', volume('vol-x', 'p'), { NEO4J_ACCEPT_LICENSE_AGREEMENT: 'no' }),
      ctl,
    );
    expect(ctl.exits).toEqual([
      { code: 1, reason: expect.stringContaining('NEO4J_ACCEPT_LICENSE_AGREEMENT') },
    ]);

    const ok = [0, 1, 2].map((i) => task(`q${i}`, volume(`vol-q${i}`, `q${i}`), DNS_ENV));
    for (const t of ok) {
      register('graph.ns.internal', t);
      await runtime.onTaskStarted!(t, control());
    }
    const old = control();
    const legacy = task('legacy', volume('vol-l', 'legacy'), DNS_ENV, 'neo4j:4.4.30-enterprise');
    register('graph.ns.internal', legacy);
    await runtime.onTaskStarted!(legacy, old);
    expect(old.exits[0]?.code).toBe(1);
    expect(old.exits[0]?.reason).toMatch(/migration/);
  });

  it('refuses to start on anything but the volume NEO4J_ECS_VOLUME_ID names, and finds it by id', async () => {
    const ctl = control();
    await runtime.onTaskStarted!(
      task('p1', volume('vol-other', 'p1'), { NEO4J_ECS_VOLUME_ID: 'vol-expected' }),
      ctl,
    );
    expect(ctl.exits).toEqual([{ code: 1, reason: expect.stringContaining('vol-expected is not mounted') }]);
    expect(runtime.members()).toEqual([]);
    const ok = control();
    const vol = volume('vol-expected', 'someone-else');
    await runtime.onTaskStarted!(task('p1', vol, { NEO4J_ECS_VOLUME_ID: 'vol-expected' }), ok);
    expect(ok.exits).toEqual([]);
    expect(runtime.members()[0]).toMatchObject({ volumeId: 'vol-expected' });
    expect(vol.data.get('neo4j/server_id')).toBeDefined();
  });

  it('names members from the /data bind path; members join whom their endpoints resolve to', async () => {
    const make = (member: string, endpoints: string): TaskRuntimeInfo => {
      const t = task(member, volume(`vol-${member}`, member), {
        NEO4J_ECS_MEMBER: '',
        NEO4J_dbms_cluster_discovery_v2_endpoints: endpoints,
        NEO4J_dbms_cluster_minimum__initial__system__primaries__count: '1',
      });
      delete t.containers[0]!.environment.NEO4J_ECS_MEMBER;
      t.volumes = { data: { hostSourcePath: `/var/lib/neo4j-ecs/${member}` } };
      return t;
    };
    const a = make('a-primary-1', 'a.neo4j.internal:6000');
    const b = make('b-primary-1', 'b.neo4j.internal:6000');
    register('a.neo4j.internal', a);
    register('b.neo4j.internal', b);
    await runtime.onTaskStarted!(a, control());
    await runtime.onTaskStarted!(b, control());
    const members = runtime.members();
    expect(members.map((m) => m.name).sort()).toEqual(['a-primary-1', 'b-primary-1']);
    expect(new Set(members.map((m) => m.cluster)).size).toBe(2);
    expect(runtime.cluster('a.neo4j.internal:6000')?.formed).toBe(true);
    expect(runtime.cluster('b.neo4j.internal:6000')?.servers.size).toBe(1);
  });

  it('keeps a member that resolves nobody waiting for discovery, and lets it join once DNS finds its peers', async () => {
    const tasks = ['x', 'y', 'z'].map((m) => task(`p-${m}`, volume(`vol-${m}`, `p-${m}`), DNS_ENV));
    const ctls = tasks.map(() => control());
    // Nobody is registered: every member waits, without Bolt, health UNKNOWN.
    for (let i = 0; i < 3; i++) await runtime.onTaskStarted!(tasks[i]!, ctls[i]!);
    await clock.advance(10_000);
    expect(runtime.members().map((m) => m.state)).toEqual(['discovering', 'discovering', 'discovering']);
    expect(world.list('neo4j.member.joined')).toEqual([]);
    expect(world.list('neo4j.member.discovering')).toHaveLength(3);
    for (const c of ctls) expect(new Set(c.health)).toEqual(new Set(['UNKNOWN']));
    const log = runtime.memberLog(tasks[0]!.taskArn);
    expect(
      log.some((l) =>
        l.includes("Resolved endpoints with DNS{endpoints:'[graph.ns.internal:6000]'} to '[]'"),
      ),
    ).toBe(true);
    expect(log.some((l) => l.includes('Waiting for server discovery'))).toBe(true);
    await expect(d.rows(runtime.members()[0]!.boltUrl, 'RETURN 1 AS x')).rejects.toThrow();

    // Registered in DNS: on their next attempt they find each other and form one cluster.
    for (const t of tasks) register('graph.ns.internal', t);
    await clock.advance(2_000);
    const members = runtime.members();
    expect(members.map((m) => m.state)).toEqual(['running', 'running', 'running']);
    expect(new Set(members.map((m) => m.cluster)).size).toBe(1);
    expect(world.list('neo4j.member.discovered')).toHaveLength(3);
    await clock.advance(2_000);
    expect(runtime.cluster(members[0]!.cluster)?.formed).toBe(true);
  });

  it('with LIST, finds its peers at literal addresses', async () => {
    const tasks = ['l1', 'l2', 'l3'].map((m) => task(m, volume(`vol-${m}`, m)));
    const list = tasks.map((t) => `${t.address}:6000`).join(',');
    for (const t of tasks) t.containers[0]!.environment.NEO4J_dbms_cluster_discovery_v2_endpoints = list;
    for (const t of tasks) await runtime.onTaskStarted!(t, control());
    const members = runtime.members();
    expect(new Set(members.map((m) => m.cluster)).size).toBe(1);
    expect(runtime.cluster(members[0]!.cluster)?.formed).toBe(true);
  });

  it('ignores tasks that do not run Neo4j', async () => {
    const ctl = control();
    const t = task('web', null, {}, 'nginx:1.25');
    await runtime.onTaskStarted!(t, ctl);
    expect(runtime.members()).toEqual([]);
    expect(ctl.exits).toEqual([]);
  });
});
