/** Desired clusters and observed worlds for the topology planner tables (no I/O beyond reading the example). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Neo4jCluster } from '../../../src/model/cluster.js';
import { validateCluster } from '../../../src/model/document.js';
import type {
  ObservedAsg,
  ObservedCluster,
  ObservedEcsInstance,
  ObservedVolume,
} from '../../../src/model/observed.js';
import { volumeTags } from '../../../src/reconcilers/topology/names.js';
import { REPO } from '../../helpers/cli.js';

const MINIMAL = parse(readFileSync(join(REPO, 'examples/minimal.yaml'), 'utf8')) as Record<string, unknown>;

type Spec = Record<string, unknown>;

/** examples/minimal.yaml (3 primaries over us-east-1a/b/c) with `edit` applied to its spec. */
export function cluster(edit: (spec: Spec) => void = () => undefined): Neo4jCluster {
  const doc = structuredClone(MINIMAL);
  edit(doc['spec'] as Spec);
  const { cluster: c, problems } = validateCluster(doc);
  if (!c) throw new Error(`invalid fixture: ${JSON.stringify(problems)}`);
  return c;
}

export const NAME = 'graph-minimal';
export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'] as const;
export const ASGS = [
  'neo4j-minimal-primary-a',
  'neo4j-minimal-primary-b',
  'neo4j-minimal-primary-c',
] as const;
export const member = (n: number): string => `${NAME}-primary-${n}`;

export function volume(
  n: number,
  opts: Partial<ObservedVolume> & { attachedTo?: string; attachState?: string } = {},
): ObservedVolume {
  const { attachedTo, attachState, ...rest } = opts;
  return {
    volumeId: `vol-${n}`,
    availabilityZone: ZONES[(n - 1) % 3] as string,
    state: attachedTo ? 'in-use' : 'available',
    sizeGiB: 20,
    type: 'gp3',
    tags: volumeTags(NAME, member(n)),
    attachments: attachedTo
      ? [{ instanceId: attachedTo, state: attachState ?? 'attached', device: '/dev/xvdf' }]
      : [],
    ...rest,
  };
}

export function instance(
  id: string,
  zone: string,
  attributes: Record<string, string> = {},
  status = 'ACTIVE',
): ObservedEcsInstance {
  return {
    arn: `arn:ci/${id}`,
    ec2InstanceId: id,
    status,
    agentConnected: status !== 'INACTIVE',
    availabilityZone: zone,
    attributes: { 'ecs.availability-zone': zone, ...attributes },
  };
}

export function asg(
  name: string,
  zone: string,
  instances: { id: string; state?: string; protected?: boolean }[] = [],
  sizes: [number, number, number] = [1, 2, 1],
): ObservedAsg {
  return {
    name,
    minSize: sizes[0],
    maxSize: sizes[1],
    desiredCapacity: sizes[2],
    availabilityZones: [zone],
    instances: instances.map((i) => ({
      instanceId: i.id,
      availabilityZone: zone,
      lifecycleState: i.state ?? 'InService',
      healthStatus: 'Healthy',
      protectedFromScaleIn: i.protected ?? false,
    })),
    hooks: [
      {
        name: 'neo4j-ecs-drain',
        transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        heartbeatTimeout: 300,
        defaultResult: 'ABANDON',
      },
    ],
  };
}

/** A world with one InService instance per AZ (i-a, i-b, i-c) and nothing of the cluster yet. */
export function world(over: Partial<ObservedCluster> = {}): ObservedCluster {
  return {
    name: NAME,
    observedAt: 0,
    ecsClusterFound: true,
    services: {},
    tasks: [],
    containerInstances: {},
    volumes: [],
    logGroup: { name: `/neo4j-ecs/${NAME}` },
    topology: {
      asgs: Object.fromEntries(
        ASGS.map((g, i) => [g, asg(g, ZONES[i] as string, [{ id: `i-${'abc'[i]}` }])]),
      ),
      instances: ZONES.map((z, i) => instance(`i-${'abc'[i]}`, z)),
      taskDefinitions: {},
    },
    ...over,
  };
}

/** Steps as compact strings `kind:type-or-reason:member` for table assertions. */
export function brief(
  steps: readonly { kind: string; type?: string; reason: string; member?: string }[],
): string[] {
  return steps.map(
    (s) => `${s.kind}:${s.kind === 'act' ? s.type : s.reason}${s.member ? `:${s.member}` : ''}`,
  );
}
