/**
 * What a spec would do to the roll before anything is applied (`neo4j-ecs diff`), pure: the version
 * guard's refusals; the task definitions the spec would register (content differs from the newest
 * revision); and the roll planned as if they were registered, so the ordered plan and the expected
 * leadership changes per database are those of the change.
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import type { Hold } from '../types.js';
import { desiredTaskDefinitions, sameContent } from '../topology/task-definitions.js';
import type { RollPlan } from './plan.js';
import { planRoll } from './plan.js';
import { planVersionGuard } from './version-guard.js';

export interface RollPreview {
  refusals: Hold[];
  /** Families whose task definition would get a new revision. */
  registrations: string[];
  plan: RollPlan;
}

/** `pending:<family>` stands for the revision the spec would register. */
export const PENDING_REVISION = (family: string): string => `pending:${family}`;

export function previewRoll(desired: Neo4jCluster, observed: ObservedCluster): RollPreview {
  const refusals = planVersionGuard(desired, observed);
  const registrations: string[] = [];
  const topology = observed.topology ?? { asgs: {}, instances: [], taskDefinitions: {} };
  const taskDefinitions = { ...topology.taskDefinitions };
  for (const [family, def] of desiredTaskDefinitions(desired, observed)) {
    const current = taskDefinitions[family];
    if (current && sameContent(current.content, def)) continue;
    registrations.push(family);
    taskDefinitions[family] = {
      family,
      arn: PENDING_REVISION(family),
      revision: (current?.revision ?? 0) + 1,
      content: def,
    };
  }
  const contents = new Map(
    Object.values(topology.taskDefinitions).flatMap((t) => (t ? [[t.arn, t.content] as const] : [])),
  );
  const plan = planRoll(
    desired,
    { ...observed, topology: { ...topology, taskDefinitions } },
    // The pause and the transfer timer are not waited for in a preview.
    { settledForMs: Number.MAX_SAFE_INTEGER, contentOf: (arn) => contents.get(arn) },
  );
  return { refusals, registrations, plan };
}
