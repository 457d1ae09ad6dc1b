/**
 * Members inside ECS tasks through the TaskLifecycleHooks seam: configuration from the container
 * environment, identity and stores on the attached EBS volume's data map, health reports, and exits.
 */
import { VirtualClock } from '../../../twin/core/clock.js';
import { WorldLog } from '../../../twin/core/world-log.js';
import type { AttachedVolumeInfo, TaskControl, TaskRuntimeInfo } from '../../../twin/aws/contract.js';
import { createEcsNeo4jRuntime } from '../../../twin/neo4j/index.js';
import type { EcsNeo4jRuntime } from '../../../twin/neo4j/index.js';
import { parseImage } from '../../../twin/neo4j/ecs-runtime.js';
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

describe('the ECS runtime of simulated members', () => {
  let clock: VirtualClock;
  let runtime: EcsNeo4jRuntime;
  let d: Drivers;

  beforeEach(() => {
    clock = new VirtualClock({ mode: 'manual' });
    runtime = createEcsNeo4jRuntime({
      clock,
      log: new WorldLog(() => clock.now()),
      databases: ['movies'],
      electionTimeoutMs: 3000,
      startDelayMs: 500,
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

  it('forms a cluster from three tasks, keeps identity on the volumes and reports health', async () => {
    const vols = ['a', 'b', 'c'].map((x) => volume(`vol-${x}`, `primary-${x}`));
    const ctls = vols.map(() => control());
    const tasks = vols.map((v, i) => task(`primary-${['a', 'b', 'c'][i]}`, v));
    for (let i = 0; i < 3; i++) await runtime.onTaskStarted!(tasks[i]!, ctls[i]!);
    expect(runtime.members()).toHaveLength(3);
    for (const v of vols) expect(v.data.get('neo4j/server_id')).toMatch(/^[0-9a-f-]{36}$/);
    await clock.advance(1000);
    for (const c of ctls) expect(c.health.at(-1)).toBe('HEALTHY');

    const first = runtime.members()[0]!;
    const rows = await d.rows(first.boltUrl, 'SHOW DATABASES YIELD name, writer WHERE writer RETURN name');
    expect(rows.map((r) => r.name).sort()).toEqual(['movies', 'neo4j', 'system']);

    // The task is replaced; the new task gets the same volume and comes back with the same identity.
    const serverId = first.serverId;
    await runtime.onTaskStopped!(tasks[0]!, 'Task stopped by the operator');
    const replacement = task('primary-a', vols[0]!);
    const ctl = control();
    await runtime.onTaskStarted!(replacement, ctl);
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

    const ok = [0, 1, 2].map((i) => task(`q${i}`, volume(`vol-q${i}`, `q${i}`)));
    for (const t of ok) await runtime.onTaskStarted!(t, control());
    const old = control();
    await runtime.onTaskStarted!(
      task('legacy', volume('vol-l', 'legacy'), {}, 'neo4j:4.4.30-enterprise'),
      old,
    );
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

  it('names members from the /data bind path and groups them by discovery endpoints', async () => {
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
    await runtime.onTaskStarted!(make('a-primary-1', 'a.neo4j.internal:6000'), control());
    await runtime.onTaskStarted!(make('b-primary-1', 'b.neo4j.internal:6000'), control());
    const members = runtime.members();
    expect(members.map((m) => m.name).sort()).toEqual(['a-primary-1', 'b-primary-1']);
    expect(new Set(members.map((m) => m.cluster)).size).toBe(2);
    expect(runtime.cluster('a.neo4j.internal:6000')?.formed).toBe(true);
    expect(runtime.cluster('b.neo4j.internal:6000')?.servers.size).toBe(1);
  });

  it('ignores tasks that do not run Neo4j', async () => {
    const ctl = control();
    const t = task('web', null, {}, 'nginx:1.25');
    await runtime.onTaskStarted!(t, ctl);
    expect(runtime.members()).toEqual([]);
    expect(ctl.exits).toEqual([]);
  });
});
