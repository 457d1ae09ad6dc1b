/**
 * Task definitions generated from the spec (docs/topology.md): one family per primary (its member name,
 * its volume id and bind path in it) and one for the secondaries. RegisterTaskDefinition only when the
 * normalized content differs from the newest ACTIVE revision's (content, not revision, is compared).
 *
 * Credentials: `secrets: [{name: 'NEO4J_AUTH', valueFrom: spec.credentials.secretArn}]`, so the secret
 * must hold the official image's NEO4J_AUTH form `neo4j/<password>` (the operator's own Bolt client
 * reads the same form, src/neo4j/secrets.ts).
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import { primaryPlacement } from '../../model/placement.js';
import { formatNeo4jMemory, parseMemoryMiB } from '../../model/quantities.js';
import { parseVersion } from '../../model/version.js';
import { logGroupName } from '../log-group/plan.js';
import type { Action, Hold, Step } from '../types.js';
import { recheck, bindPath, executionRoleArn, memberVolume, secondaryFamily } from './names.js';

export const CONTAINER = 'neo4j';
export const PORTS = [7687, 7474, 6000, 7000, 7688] as const;

/** The parts of a task definition the operator sets, in the shape RegisterTaskDefinition takes. */
export interface TaskDefinitionSpec {
  family: string;
  networkMode: 'awsvpc';
  requiresCompatibilities: ['EC2'];
  cpu: string;
  memory: string;
  executionRoleArn: string;
  volumes: { name: string; host: { sourcePath: string } }[];
  containerDefinitions: {
    name: string;
    image: string;
    essential: true;
    environment: { name: string; value: string }[];
    secrets: { name: string; valueFrom: string }[];
    portMappings: { containerPort: number; protocol: 'tcp' }[];
    mountPoints: { sourceVolume: string; containerPath: string; readOnly: false }[];
    healthCheck: {
      command: string[];
      interval: number;
      timeout: number;
      retries: number;
      startPeriod: number;
    };
    logConfiguration: { logDriver: 'awslogs'; options: Record<string, string> };
  }[];
}

export interface RegisterTaskDefinition extends Action {
  type: 'RegisterTaskDefinition';
  definition: TaskDefinitionSpec;
}

/** The environment variable carrying spec.upgrade.restartToken. */
export const RESTART_TOKEN_ENV = 'NEO4J_ECS_RESTART_TOKEN';

/** neo4j.conf key → the official image's environment name: `.` → `_`, `_` → `__`, prefixed NEO4J_. */
export function neo4jEnvName(key: string): string {
  return `NEO4J_${key.replace(/_/g, '__').replace(/\./g, '_')}`;
}

export function imageOf(cluster: Neo4jCluster): string {
  const n = cluster.spec.neo4j;
  return n.image ?? `neo4j:${n.version}-${n.edition}`;
}

function environment(
  cluster: Neo4jCluster,
  mode: 'PRIMARY' | 'SECONDARY',
  member?: { name: string; volumeId: string },
) {
  const s = cluster.spec;
  const conf: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.neo4j.config)) conf[k] = String(v);
  const heap = formatNeo4jMemory(parseMemoryMiB(s.resources.heap) ?? 512);
  conf['server.memory.heap.initial_size'] = heap;
  conf['server.memory.heap.max_size'] = heap;
  conf['server.memory.pagecache.size'] = formatNeo4jMemory(parseMemoryMiB(s.resources.pageCache) ?? 512);
  conf['initial.server.mode_constraint'] = mode;
  conf['server.cluster.system_database_mode'] = mode;
  conf['dbms.cluster.discovery.resolver_type'] = 'DNS';
  const endpoints = `${cluster.metadata.name}.${s.discovery.namespace}:6000`;
  if (parseVersion(s.neo4j.version)?.line === 'calver') conf['dbms.cluster.endpoints'] = endpoints;
  else {
    conf['dbms.cluster.discovery.version'] = 'V2_ONLY';
    conf['dbms.cluster.discovery.v2.endpoints'] = endpoints;
  }
  conf['dbms.cluster.minimum_initial_system_primaries_count'] = String(s.primaries.count);
  const env: Record<string, string> = { NEO4J_ACCEPT_LICENSE_AGREEMENT: s.neo4j.acceptLicenseAgreement };
  for (const [k, v] of Object.entries(conf)) env[neo4jEnvName(k)] = v;
  env['NEO4J_ECS_CLUSTER'] = cluster.metadata.name;
  // The explicit restart request: a new token is new content, so every member rolls (src/reconcilers/roll).
  if (s.upgrade.restartToken !== undefined) env[RESTART_TOKEN_ENV] = s.upgrade.restartToken;
  if (member) {
    env['NEO4J_ECS_MEMBER'] = member.name;
    env['NEO4J_ECS_VOLUME_ID'] = member.volumeId;
  }
  return Object.entries(env)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => ({ name, value }));
}

/** The task definition of one family: a primary (with its volume) or the secondaries (no volume). */
export function taskDefinitionFor(
  cluster: Neo4jCluster,
  role: { kind: 'primary'; member: string; volumeId: string } | { kind: 'secondary' },
): TaskDefinitionSpec {
  const s = cluster.spec;
  const family = role.kind === 'primary' ? role.member : secondaryFamily(cluster.metadata.name);
  const primary = role.kind === 'primary';
  return {
    family,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['EC2'],
    cpu: String(s.resources.cpu),
    memory: String(s.resources.memoryMiB),
    executionRoleArn: executionRoleArn(cluster),
    volumes: primary ? [{ name: 'data', host: { sourcePath: bindPath(role.member) } }] : [],
    containerDefinitions: [
      {
        name: CONTAINER,
        image: imageOf(cluster),
        essential: true,
        environment: environment(
          cluster,
          primary ? 'PRIMARY' : 'SECONDARY',
          primary ? { name: role.member, volumeId: role.volumeId } : undefined,
        ),
        secrets: [{ name: 'NEO4J_AUTH', valueFrom: s.credentials.secretArn }],
        portMappings: PORTS.map((p) => ({ containerPort: p, protocol: 'tcp' as const })),
        mountPoints: primary ? [{ sourceVolume: 'data', containerPath: '/data', readOnly: false }] : [],
        healthCheck: {
          command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost:7474/ || exit 1'],
          interval: 10,
          timeout: 5,
          retries: 3,
          startPeriod: 120,
        },
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': logGroupName(cluster),
            'awslogs-region': s.credentials.secretArn.split(':')[3] ?? 'us-east-1',
            'awslogs-stream-prefix': family,
          },
        },
      },
    ],
  };
}

/**
 * Read by Neo4j only when the cluster first forms, so it is not compared: growing the primaries must
 * not restart the running ones (members that join later are Free and get ENABLE SERVER).
 */
export const FORMATION_COUNT = neo4jEnvName('dbms.cluster.minimum_initial_system_primaries_count');

type Rec = Record<string, unknown>;
const str = (x: unknown): string | undefined =>
  typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? String(x) : undefined;
const arr = (x: unknown): Rec[] => (Array.isArray(x) ? (x as Rec[]) : []);
const byName = (a: Rec, b: Rec): number => (String(a['name']) < String(b['name']) ? -1 : 1);

/** The comparable content of a task definition (as registered, or as described by ECS), without FORMATION_COUNT. */
export function normalizeTaskDefinition(td: unknown): unknown {
  const t = (td ?? {}) as Rec;
  return {
    family: t['family'],
    networkMode: t['networkMode'],
    cpu: str(t['cpu']),
    memory: str(t['memory']),
    executionRoleArn: t['executionRoleArn'],
    volumes: arr(t['volumes'])
      .map((v) => ({ name: v['name'], sourcePath: (v['host'] as Rec | undefined)?.['sourcePath'] }))
      .sort(byName),
    containers: arr(t['containerDefinitions'])
      .map((c) => ({
        name: c['name'],
        image: c['image'],
        environment: arr(c['environment'])
          .filter((e) => e['name'] !== FORMATION_COUNT)
          .map((e) => [e['name'], e['value']])
          .sort(),
        secrets: arr(c['secrets'])
          .map((e) => [e['name'], e['valueFrom']])
          .sort(),
        ports: arr(c['portMappings'])
          .map((p) => `${String(p['containerPort'])}/${str(p['protocol']) ?? 'tcp'}`)
          .sort(),
        mounts: arr(c['mountPoints'])
          .map((m) => `${String(m['sourceVolume'])}:${String(m['containerPath'])}:${m['readOnly'] === true}`)
          .sort(),
        healthCheck: (c['healthCheck'] as Rec | undefined)?.['command'],
        log: c['logConfiguration'],
      }))
      .sort(byName),
  };
}

export function sameContent(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalizeTaskDefinition(a)) === JSON.stringify(normalizeTaskDefinition(b));
}

/** The families the cluster needs now, primaries first (the secondaries' only while it has any). */
export function families(cluster: Neo4jCluster): string[] {
  const out = primaryPlacement(cluster).map((s) => s.member);
  if (cluster.spec.secondaries.count > 0) out.push(secondaryFamily(cluster.metadata.name));
  return out;
}

/** The generated definitions that can be generated now (a primary needs its volume id). */
export function desiredTaskDefinitions(
  cluster: Neo4jCluster,
  observed: Pick<ObservedCluster, 'volumes'>,
): Map<string, TaskDefinitionSpec> {
  const out = new Map<string, TaskDefinitionSpec>();
  for (const slot of primaryPlacement(cluster)) {
    const v = memberVolume(observed, slot.member, slot.zone);
    if (v)
      out.set(
        slot.member,
        taskDefinitionFor(cluster, { kind: 'primary', member: slot.member, volumeId: v.volumeId }),
      );
  }
  if (cluster.spec.secondaries.count > 0)
    out.set(secondaryFamily(cluster.metadata.name), taskDefinitionFor(cluster, { kind: 'secondary' }));
  return out;
}

export function planTaskDefinitions(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'volumes' | 'topology'>,
): Step<RegisterTaskDefinition>[] {
  if (!observed.topology) return [];
  const steps: Step<RegisterTaskDefinition>[] = [];
  const waits: Hold[] = [];
  const want = desiredTaskDefinitions(desired, observed);
  for (const slot of primaryPlacement(desired))
    if (!want.has(slot.member))
      waits.push(
        recheck('VolumeMissing', `${slot.member}'s task definition waits for its volume id`, slot.member),
      );
  for (const [family, def] of want) {
    const current = observed.topology.taskDefinitions[family];
    if (current && sameContent(current.content, def)) continue;
    steps.push({
      kind: 'act',
      type: 'RegisterTaskDefinition',
      reason: current ? 'TaskDefinitionChanged' : 'TaskDefinitionMissing',
      message: current
        ? `${family}: the spec changed the task definition (revision ${current.revision} differs): registering a new revision`
        : `${family} has no ACTIVE task definition: registering it`,
      ...(family !== secondaryFamily(desired.metadata.name) ? { member: family } : {}),
      definition: def,
    });
  }
  return [...steps, ...waits];
}
