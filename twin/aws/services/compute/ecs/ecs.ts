/**
 * ECS in the twin: ties clusters, container instances (the simulated agent), task definitions, tasks,
 * services and the scheduler together, and routes EC2 instance events to them.
 */
import type { OperationHandler } from '../../../contract.js';
import { ecsInvalid } from '../errors.js';
import type { Sim } from '../sim.js';
import type { Instance, InstanceStateName } from '../state.js';
import { Clusters } from './clusters.js';
import { ContainerInstances } from './container-instances.js';
import { QueryError, parseQuery } from './query.js';
import { Scheduler } from './scheduler.js';
import { Services } from './services.js';
import { TaskDefinitions } from './taskdefs.js';
import { Tasks } from './tasks.js';

export class EcsSim {
  readonly clusters: Clusters;
  readonly containerInstances: ContainerInstances;
  readonly taskDefs: TaskDefinitions;
  readonly tasks: Tasks;
  readonly scheduler: Scheduler;
  readonly services: Services;
  readonly operations: Record<string, OperationHandler>;

  constructor(private readonly sim: Sim) {
    this.clusters = new Clusters(sim);
    this.containerInstances = new ContainerInstances(sim, this.clusters);
    this.taskDefs = new TaskDefinitions(sim);
    this.tasks = new Tasks(sim, this.clusters, this.containerInstances, this.taskDefs);
    this.scheduler = new Scheduler(sim, this.tasks);
    this.services = new Services(sim, this.clusters, this.taskDefs, this.scheduler);
    this.operations = {
      ...this.clusters.operations,
      ...this.containerInstances.operations,
      ...this.taskDefs.operations,
      ...this.tasks.operations,
      ...this.services.operations,
    };
  }

  start(): void {
    this.scheduler.start();
  }

  kickScheduler(): void {
    this.sim.kick('ecs.scheduler', () => this.scheduler.reconcileAll());
  }

  validateExpression(expression: string): void {
    try {
      parseQuery(expression);
    } catch (err) {
      throw ecsInvalid(
        `Invalid expression '${expression}': ${err instanceof QueryError ? err.message : String(err)}`,
      );
    }
  }

  onInstanceState(inst: Instance, from: InstanceStateName, to: InstanceStateName): void {
    this.tasks.onInstanceState(inst, from, to);
    this.containerInstances.onInstanceState(inst, from, to);
    this.kickScheduler();
  }

  onInstanceImpaired(inst: Instance): void {
    this.containerInstances.onInstanceImpaired(inst);
  }
}
