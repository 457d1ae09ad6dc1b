/**
 * The whole twin: the AWS endpoint (twin/aws) with simulated Neo4j members running inside its ECS
 * tasks (twin/neo4j, through the task seam of twin/aws/contract.ts). This is what `neo4j-ecs twin`,
 * the demo and the end-to-end tests start. The members find each other only through the twin's DNS,
 * which answers from the Cloud Map instances ECS registers for service tasks.
 */
import type { AwsTwin, AwsTwinOptions } from './aws/index.js';
import { startAwsTwin } from './aws/index.js';
import type { EcsNeo4jRuntime, EcsNeo4jRuntimeOptions } from './neo4j/ecs-runtime.js';
import { createEcsNeo4jRuntime } from './neo4j/ecs-runtime.js';

export interface TwinOptions extends AwsTwinOptions {
  /** Options of the simulated Neo4j members (election delay, catch-up rate, …); the clock and log are the twin's. */
  neo4j?: Omit<EcsNeo4jRuntimeOptions, 'clock' | 'log' | 'resolve' | 'resolveSrv'>;
}

export interface Twin extends AwsTwin {
  /** The simulated Neo4j members running in ECS tasks. */
  readonly neo4j: EcsNeo4jRuntime;
}

export async function startTwin(opts: TwinOptions = {}): Promise<Twin> {
  const { neo4j: neo4jOpts, ...awsOpts } = opts;
  const aws = await startAwsTwin(awsOpts);
  // Members discover each other through the twin's DNS over Cloud Map, as tasks in a VPC would.
  const neo4j = createEcsNeo4jRuntime({
    ...neo4jOpts,
    clock: aws.clock,
    log: aws.world,
    resolve: (name) => aws.dns.resolve(name),
    resolveSrv: (name) => aws.dns.resolveSrv(name),
  });
  const detach = aws.compute.addTaskListener(neo4j);
  const stopAws = aws.stop.bind(aws);
  return Object.assign(aws, {
    neo4j,
    async stop(): Promise<void> {
      detach();
      await neo4j.stop();
      await stopAws();
    },
  });
}
