/**
 * Needs-rollout checks (CloudNativePG style, pure): what differs between the task definition a
 * member's service runs and the one the spec asks for, named by the parts an operator reasons about:
 * the image (version), neo4j.conf, resources, the credentials secret, an explicit restart request.
 */
import { neo4jEnvName, normalizeTaskDefinition, RESTART_TOKEN_ENV } from '../topology/task-definitions.js';

export type RestartPart =
  'image' | 'neo4j.conf' | 'resources' | 'secret' | 'restart requested' | 'task definition';

const RESOURCE_ENV = new Set(
  ['server.memory.heap.initial_size', 'server.memory.heap.max_size', 'server.memory.pagecache.size'].map(
    neo4jEnvName,
  ),
);

interface Normal {
  cpu?: string;
  memory?: string;
  containers: { image?: unknown; environment: [string, unknown][]; secrets: unknown }[];
  [k: string]: unknown;
}

const json = (x: unknown): string => JSON.stringify(x);

/**
 * The parts in which `current` (a task definition as described or registered) differs from `wanted`,
 * in a fixed order; empty when they have the same content. Unknown current content → ['task definition'].
 */
export function restartParts(current: unknown, wanted: unknown): RestartPart[] {
  if (current === undefined) return ['task definition'];
  const a = normalizeTaskDefinition(current) as Normal;
  const b = normalizeTaskDefinition(wanted) as Normal;
  const parts = new Set<RestartPart>();
  if (a.cpu !== b.cpu || a.memory !== b.memory) parts.add('resources');
  const ca = a.containers[0];
  const cb = b.containers[0];
  if (json(ca?.image) !== json(cb?.image)) parts.add('image');
  if (json(ca?.secrets) !== json(cb?.secrets)) parts.add('secret');
  const ea = new Map(ca?.environment ?? []);
  const eb = new Map(cb?.environment ?? []);
  for (const name of new Set([...ea.keys(), ...eb.keys()])) {
    if (json(ea.get(name)) === json(eb.get(name))) continue;
    if (name === RESTART_TOKEN_ENV) parts.add('restart requested');
    else if (RESOURCE_ENV.has(name)) parts.add('resources');
    else if (name.startsWith('NEO4J_') && !name.startsWith('NEO4J_ECS_')) parts.add('neo4j.conf');
    else parts.add('task definition');
  }
  const rest = (n: Normal): string =>
    json({
      ...n,
      cpu: undefined,
      memory: undefined,
      containers: n.containers.map((c) => ({ ...c, image: 0, environment: 0, secrets: 0 })),
    });
  if (rest(a) !== rest(b)) parts.add('task definition');
  const order: RestartPart[] = [
    'image',
    'neo4j.conf',
    'resources',
    'secret',
    'restart requested',
    'task definition',
  ];
  return order.filter((p) => parts.has(p));
}
