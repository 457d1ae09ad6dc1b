/**
 * Worlds for the roll planner tables (no I/O): examples/minimal.yaml with 2 secondaries, upgraded from
 * 5.26.12 (revision :1 of every family) to 5.26.13 (revision :2). Each member says whether its service
 * and task are on the old or the new revision, what it leads, and how its Neo4j member looks.
 */
import type { Neo4jCluster } from '../../../src/model/cluster.js';
import type { ObservedCluster, ObservedService } from '../../../src/model/observed.js';
import { TAGS } from '../../../src/model/observed.js';
import { desiredTaskDefinitions } from '../../../src/reconcilers/topology/task-definitions.js';
import type { FakeMember } from '../neo4j-fixtures.js';
import { neo4jWorld } from '../neo4j-fixtures.js';
import { cluster as base, member, volume, world } from '../topology/fixtures.js';

export const OLD = '5.26.12';
export const NEW = '5.26.13';
export const SEC = 'graph-minimal-secondaries';

type Spec = Record<string, unknown>;

/** The spec at `version` with 2 secondaries (and `edit` applied). */
export function spec(version = NEW, edit: (s: Spec) => void = () => undefined): Neo4jCluster {
  return base((s) => {
    s['secondaries'] = { count: 2 };
    (s['capacity'] as Spec)['secondaryAutoScalingGroup'] = 'sec';
    (s['neo4j'] as Spec)['version'] = version;
    (s['neo4j'] as Spec)['databases'] = ['movies'];
    edit(s);
  });
}

export interface RollMember extends Partial<FakeMember> {
  /** Its service's revision: old (:1) or new (:2). Default old. */
  service?: 'old' | 'new';
  /** The revision its task runs. Default: the service's. */
  task?: 'old' | 'new';
  /** The member's service carries the approval tag for revision :2. */
  approved?: boolean;
}

export const P = (n: number, over: RollMember = {}): RollMember & { n: number } => ({ n, ...over });

const arn = (family: string, rev: 'old' | 'new'): string => `arn:td/${family}:${rev === 'old' ? 1 : 2}`;

/**
 * The world: three primaries (given), the secondaries (both `sec`, default old and COMPLETED), every
 * family's newest ACTIVE revision :2 with the content of `desired`.
 */
export function rollWorld(
  desired: Neo4jCluster,
  primaries: (RollMember & { n: number })[],
  sec: {
    service?: 'old' | 'new';
    task?: 'old' | 'new';
    rollout?: string;
    up?: boolean;
    txBehind?: number;
  } = {},
): ObservedCluster {
  const w = world({
    volumes: [1, 2, 3].map((n) => volume(n, { attachedTo: `i-${'abc'[n - 1]}` })),
  });
  for (const [family, content] of desiredTaskDefinitions(desired, w))
    w.topology!.taskDefinitions[family] = { family, arn: arn(family, 'new'), revision: 2, content };
  const fake: FakeMember[] = [];
  for (const p of primaries) {
    const m = member(p.n);
    const svcRev = p.service ?? 'old';
    const taskRev = p.task ?? svcRev;
    const { n: _n, service: _s, task: _t, approved: _a, ...neo4j } = p;
    fake.push({
      service: m,
      serverId: `s${p.n}`,
      version: taskRev === 'new' ? NEW : OLD,
      taskDefinition: arn(m, taskRev),
      ...neo4j,
    });
    w.services[m] = service(m, arn(m, svcRev), p.approved ? { [TAGS.rollApproved]: arn(m, 'new') } : {});
  }
  const secRev = sec.service ?? 'old';
  for (const i of [1, 2])
    fake.push({
      service: SEC,
      serverId: `s${10 + i}`,
      mode: 'secondary',
      version: (sec.task ?? secRev) === 'new' ? NEW : OLD,
      taskDefinition: arn(SEC, sec.task ?? secRev),
      ...(sec.up === false ? { up: false } : {}),
      ...(sec.txBehind !== undefined ? { txBehind: sec.txBehind } : {}),
    });
  w.services[SEC] = {
    ...service(SEC, arn(SEC, secRev), {}),
    desiredCount: 2,
    runningCount: 2,
    rolloutState: sec.rollout ?? 'COMPLETED',
  };
  const n = neo4jWorld(fake, ['movies', 'neo4j', 'system']);
  w.tasks = n.tasks;
  if (n.neo4j) w.neo4j = n.neo4j;
  return w;
}

function service(name: string, taskDefinition: string, tags: Record<string, string>): ObservedService {
  return {
    name,
    status: 'ACTIVE',
    desiredCount: 1,
    runningCount: 1,
    pendingCount: 0,
    taskDefinition,
    deployments: 1,
    tags,
  };
}

/** The content of a revision: :1 is the spec at OLD, :2 the spec at NEW (for naming what changed). */
export function contentOf(old: Neo4jCluster): (a: string) => unknown {
  const w = world({ volumes: [1, 2, 3].map((n) => volume(n)) });
  const defs = desiredTaskDefinitions(old, w);
  return (a: string) => {
    const m = /^arn:td\/(.+):1$/.exec(a);
    return m ? defs.get(m[1] as string) : undefined;
  };
}
