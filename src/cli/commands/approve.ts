/**
 * `neo4j-ecs approve CLUSTER --ecs-cluster NAME [--member MEMBER]`: approves a supervised roll. Every
 * primary whose service still runs an older task definition than its family's newest ACTIVE revision
 * (the roll's target) gets the tag `neo4j-ecs:roll-approved` = that revision's ARN on its service; the
 * roll restarts a member hosting leaderships only when its service carries the approval for the very
 * revision it would restart it to, so a later roll needs a new approval. `--member` approves one.
 * Reads and tags through the standard AWS configuration (AWS_ENDPOINT_URL reaches the twin).
 * Exit 0 when something was approved, 1 when nothing waits, 2 on bad usage or an AWS error.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ecs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { Command } from 'commander';
import { createAwsClients, destroyAwsClients } from '../../aws/clients.js';
import { TAGS } from '../../model/observed.js';

export const EXIT_APPROVED = 0;
export const EXIT_NOTHING = 1;
export const EXIT_USAGE = 2;

export interface Approval {
  member: string;
  serviceArn: string;
  /** The task definition the roll will restart it to. */
  target: string;
  /** It already carried this approval. */
  already: boolean;
}

/** The primaries of `cluster` whose service lags behind the newest revision, tagged as approved. */
export async function approveRoll(
  ecs: ECSClient,
  opts: { ecsCluster: string; cluster: string; member?: string },
): Promise<Approval[]> {
  const re = new RegExp(`^${opts.cluster}-primary-\\d+$`);
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListServicesCommand({
        cluster: opts.ecsCluster,
        maxResults: 100,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    arns.push(...(page.serviceArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const names = arns
    .map((a) => a.slice(a.lastIndexOf('/') + 1))
    .filter((n) => re.test(n) && (opts.member === undefined || n === opts.member))
    .sort();
  const out: Approval[] = [];
  for (let i = 0; i < names.length; i += 10) {
    const res = await ecs.send(
      new DescribeServicesCommand({
        cluster: opts.ecsCluster,
        services: names.slice(i, i + 10),
        include: ['TAGS'],
      }),
    );
    for (const s of res.services ?? []) {
      if (!s.serviceName || !s.serviceArn || s.status !== 'ACTIVE') continue;
      const newest = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: s.serviceName })))
        .taskDefinition?.taskDefinitionArn;
      if (!newest || newest === s.taskDefinition) continue;
      const already = (s.tags ?? []).some((t) => t.key === TAGS.rollApproved && t.value === newest);
      if (!already)
        await ecs.send(
          new TagResourceCommand({
            resourceArn: s.serviceArn,
            tags: [{ key: TAGS.rollApproved, value: newest }],
          }),
        );
      out.push({ member: s.serviceName, serviceArn: s.serviceArn, target: newest, already });
    }
  }
  return out;
}

interface ApproveOpts {
  ecsCluster?: string;
  member?: string;
}

const NAME_RE = /^[a-z][-a-z0-9]{0,62}$/;

export function approveCommand(): Command {
  return new Command('approve')
    .description('approve a supervised roll: the waiting primaries may be restarted to the new revision')
    .argument('<cluster>', 'cluster name (metadata.name)')
    .option('--ecs-cluster <name>', 'the ECS cluster (spec.ecs.cluster) [env NEO4J_ECS_ECS_CLUSTER]')
    .option('--member <member>', 'approve only this member (e.g. graph-primary-2)')
    .action(async (cluster: string, opts: ApproveOpts) => {
      const ecsCluster = opts.ecsCluster ?? process.env['NEO4J_ECS_ECS_CLUSTER'];
      if (!NAME_RE.test(cluster) || ecsCluster === undefined || !/^[A-Za-z0-9_-]{1,255}$/.test(ecsCluster)) {
        console.error(
          `neo4j-ecs approve: give a cluster name (a DNS label) and --ecs-cluster NAME (got ${JSON.stringify(cluster)}, ${JSON.stringify(ecsCluster ?? null)})`,
        );
        process.exitCode = EXIT_USAGE;
        return;
      }
      const clients = createAwsClients();
      try {
        const done = await approveRoll(clients.ecs, {
          ecsCluster,
          cluster,
          ...(opts.member !== undefined ? { member: opts.member } : {}),
        });
        if (done.length === 0) {
          console.log(`nothing of ${cluster} waits for approval: every primary runs its newest revision`);
          process.exitCode = EXIT_NOTHING;
          return;
        }
        for (const a of done)
          console.log(`${a.already ? 'already approved' : 'approved'}: ${a.member} → ${a.target}`);
        process.exitCode = EXIT_APPROVED;
      } catch (e) {
        console.error(`neo4j-ecs approve: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = EXIT_USAGE;
      } finally {
        destroyAwsClients(clients);
      }
    });
}
