/**
 * `neo4j-ecs diff FILE [--json] [--timeout MS]`: what applying the Neo4jCluster in FILE would roll,
 * before anything is applied. It observes the world as a pass does (ECS, EBS, Auto Scaling, the task
 * definitions, the members over Bolt with the spec's credentials secret), runs the version guard and
 * the roll planner without acting, and prints the task definitions that would change, the ordered
 * roll (secondaries, then primaries away from the leaders) and the expected leadership changes per
 * database. Reads through the standard AWS configuration (AWS_ENDPOINT_URL reaches the twin).
 *
 * Exit 0 when nothing would roll, 1 when a roll would run, 2 on bad input or when the world cannot be
 * read, 3 when the change is refused (e.g. a version downgrade).
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { createAwsClients, destroyAwsClients } from '../../aws/clients.js';
import { observeClusters } from '../../aws/observe.js';
import { observeTopology } from '../../aws/observe-topology.js';
import { AwsSecretReader } from '../../aws/secrets.js';
import { isValid, parseClusterText } from '../../model/document.js';
import type { ObservedCluster } from '../../model/observed.js';
import { secondaryServiceName } from '../../model/placement.js';
import { observeNeo4j } from '../../neo4j/observe.js';
import { credentialsFromSecret } from '../../neo4j/secrets.js';
import { logGroupName } from '../../reconcilers/log-group/plan.js';
import { memberServices } from '../../reconcilers/members.js';
import { runningTasks } from '../../reconcilers/leadership.js';
import { previewRoll } from '../../reconcilers/roll/preview.js';
import type { RollPreview } from '../../reconcilers/roll/preview.js';
import { families } from '../../reconcilers/topology/task-definitions.js';
import type { Neo4jCluster } from '../../model/cluster.js';
import { formatRoll } from './status.js';

export const EXIT_NO_CHANGE = 0;
export const EXIT_ROLL = 1;
export const EXIT_ERROR = 2;
export const EXIT_REFUSED = 3;

interface DiffFlags {
  json?: boolean;
  timeout: number;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError('must be a positive whole number of milliseconds');
  return n;
}

/** Observes the cluster of `cluster` as a pass does (without the log group's and lease's concerns). */
export async function observeForDiff(cluster: Neo4jCluster, timeoutMs: number): Promise<ObservedCluster> {
  const clients = createAwsClients();
  try {
    const name = cluster.metadata.name;
    const ecsCluster = cluster.spec.ecs.cluster;
    const observed = (
      await observeClusters(
        clients,
        [{ name, ecsCluster, services: memberServices(cluster), logGroup: logGroupName(cluster) }],
        Date.now(),
      )
    ).get(name) as ObservedCluster;
    if (!observed.ecsClusterFound) throw new Error(`the ECS cluster ${ecsCluster} does not exist`);
    const cap = cluster.spec.capacity;
    const sec = secondaryServiceName(name);
    observed.topology = await observeTopology(clients, {
      ecsCluster,
      asgNames: [
        ...Object.values(cap.primaryAutoScalingGroups),
        ...(cap.secondaryAutoScalingGroup ? [cap.secondaryAutoScalingGroup] : []),
      ],
      families: families(cluster),
      extraServices: observed.services[sec] ? [] : [sec],
    });
    const addresses = memberServices(cluster)
      .flatMap((s) => runningTasks(observed, s))
      .flatMap((t) => (t.address !== undefined ? [t.address] : []));
    if (addresses.length > 0) {
      const creds = await credentialsFromSecret(new AwsSecretReader(), cluster.spec.credentials.secretArn);
      observed.neo4j = await observeNeo4j(addresses, creds, timeoutMs);
    }
    return observed;
  } finally {
    destroyAwsClients(clients);
  }
}

export function formatPreview(cluster: Neo4jCluster, p: RollPreview): string[] {
  const name = cluster.metadata.name;
  const lines: string[] = [];
  for (const r of p.refusals) lines.push(`refused (${r.reason}): ${r.message}`);
  if (p.refusals.length > 0) return lines;
  if (p.registrations.length > 0)
    lines.push(`task definitions that would get a new revision: ${p.registrations.join(', ')}`);
  if (!p.plan.view.active) {
    lines.push(`${name}: nothing to roll: every member runs what the spec asks for`);
    return lines;
  }
  lines.push(`${name}: the roll of ${p.plan.view.total} members, in order:`, '', ...formatRoll(p.plan.view));
  return lines;
}

export function diffCommand(): Command {
  return new Command('diff')
    .description(
      'print what applying a Neo4jCluster file would roll: the ordered plan and the expected leadership changes per database',
    )
    .argument('<file>', 'a Neo4jCluster document (YAML or JSON)')
    .option('--json', 'print the preview as JSON')
    .option('--timeout <ms>', 'bound on every Bolt call to a member', positiveInt, 5000)
    .action(async (file: string, flags: DiffFlags) => {
      let cluster: Neo4jCluster;
      try {
        const results = parseClusterText(readFileSync(file, 'utf8'), file);
        const first = results[0];
        if (results.length !== 1 || !first) throw new Error(`${file} must hold exactly one Neo4jCluster`);
        if (!isValid(first))
          throw new Error(
            `${file} is invalid (run neo4j-ecs validate ${file}): ${first.problems
              .filter((x) => x.severity === 'error')
              .map((x) => x.message)
              .join('; ')}`,
          );
        cluster = first.cluster;
      } catch (e) {
        console.error(`neo4j-ecs diff: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = EXIT_ERROR;
        return;
      }
      try {
        const preview = previewRoll(cluster, await observeForDiff(cluster, flags.timeout));
        if (flags.json) console.log(JSON.stringify(preview, null, 2));
        else for (const l of formatPreview(cluster, preview)) console.log(l);
        process.exitCode =
          preview.refusals.length > 0 ? EXIT_REFUSED : preview.plan.view.active ? EXIT_ROLL : EXIT_NO_CHANGE;
      } catch (e) {
        console.error(`neo4j-ecs diff: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = EXIT_ERROR;
      }
    });
}
