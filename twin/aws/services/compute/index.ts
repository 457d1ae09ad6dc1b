/**
 * The compute simulation of the AWS twin: EC2 (AZs, VPC/subnets, launch templates, instances), EBS
 * (volumes, attachments, snapshots), Auto Scaling (groups, lifecycle hooks, reconcile loop) and ECS
 * (clusters, container instances, task definitions, services with the scheduler, tasks). It is
 * protocol-agnostic: the server routes decoded requests to `modules` and world faults to `control`.
 */
import type { VirtualClock } from '../../../core/clock.js';
import type { LoopbackAllocator } from '../../../core/loopback.js';
import type { Rng } from '../../../core/rng.js';
import type { WorldLog } from '../../../core/world-log.js';
import type { OperationHandler, ServiceModule, TaskLifecycleHooks } from '../../contract.js';
import { DEFAULT_COMPUTE_PARAMS, type ComputeParams } from './params.js';

export { DEFAULT_COMPUTE_PARAMS, type ComputeParams };

export interface ComputeDeps {
  clock: VirtualClock;
  rng: Rng;
  world: WorldLog;
  loopback: LoopbackAllocator;
  region: string;
  accountId: string;
  params?: Partial<ComputeParams>;
  resolveSecret(arn: string): string | undefined;
}

export interface ComputeSimulation {
  /** Service modules 'ec2', 'autoscaling', 'ecs'. */
  modules: ServiceModule[];
  /** World faults and inspection (failAz, spotInterrupt, killTask, describeWorld, …). */
  control: Record<string, OperationHandler>;
  /** Registers a task seam listener; returns the unregister function. */
  addTaskListener(h: TaskLifecycleHooks): () => void;
  snapshot(): unknown;
  restore(state: unknown): void;
  stop(): void;
}

export function createComputeSimulation(deps: ComputeDeps): ComputeSimulation {
  void deps;
  const listeners = new Set<TaskLifecycleHooks>();
  const mk = (service: 'ec2' | 'autoscaling' | 'ecs'): ServiceModule => ({
    service,
    operations: {},
    snapshot: () => ({}),
  });
  return {
    modules: [mk('ec2'), mk('autoscaling'), mk('ecs')],
    control: {},
    addTaskListener(h) {
      listeners.add(h);
      return () => listeners.delete(h);
    },
    snapshot: () => ({}),
    restore: () => undefined,
    stop: () => undefined,
  };
}
