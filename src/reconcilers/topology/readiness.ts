/**
 * Readiness: the cluster is not Ready merely because nothing is left to do. This planner, run last,
 * turns what is still coming up into `wait` holds (Progressing, not Degraded): a primary with no
 * RUNNING task, fewer running secondaries than asked, members that do not answer over Bolt, and
 * databases without a leader. It takes no action.
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import { primaryPlacement, secondaryServiceName } from '../../model/placement.js';
import type { Hold } from '../types.js';
import { recheck } from './names.js';

function running(observed: Pick<ObservedCluster, 'tasks'>, service: string): ObservedCluster['tasks'] {
  return observed.tasks.filter(
    (t) => t.group === `service:${service}` && t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING',
  );
}

export function planReadiness(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'tasks' | 'neo4j'>,
  opts: { neo4jObserved: boolean },
): Hold[] {
  const holds: Hold[] = [];
  for (const { member } of primaryPlacement(desired)) {
    const tasks = observed.tasks.filter(
      (t) => t.group === `service:${member}` && t.desiredStatus === 'RUNNING',
    );
    if (running(observed, member).length === 0)
      holds.push(
        recheck(
          'MemberNotRunning',
          `${member} has no running task yet${tasks[0] ? ` (${tasks[0].lastStatus})` : ''}`,
          member,
        ),
      );
  }
  const secondaries = secondaryServiceName(desired.metadata.name);
  const want = desired.spec.secondaries.count;
  const have = running(observed, secondaries).length;
  if (have < want) holds.push(recheck('SecondariesNotRunning', `${have} of ${want} secondaries are running`));
  if (!opts.neo4jObserved || holds.length > 0) return holds;

  const neo4j = observed.neo4j;
  if (!neo4j) return [recheck('MembersUnreachable', 'no member answered over Bolt in this pass')];
  if ((neo4j.unreachable ?? []).length > 0)
    holds.push(
      recheck('MembersUnreachable', `not answering over Bolt: ${(neo4j.unreachable ?? []).join(', ')}`),
    );
  if (neo4j.databases === 0 || neo4j.databasesWithLeader < neo4j.databases)
    holds.push(
      recheck(
        'DatabaseWithoutLeader',
        `${neo4j.databasesWithLeader} of ${neo4j.databases} databases have a leader`,
      ),
    );
  return holds;
}
