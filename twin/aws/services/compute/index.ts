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
import type { ServiceRegistryPort } from '../servicediscovery.js';
import { AsgSim } from './autoscaling.js';
import { computeControl, describeWorld } from './control.js';
import { EbsSim } from './ebs.js';
import { Ec2Sim } from './ec2.js';
import { EcsSim } from './ecs/ecs.js';
import { DEFAULT_COMPUTE_PARAMS, type ComputeParams } from './params.js';
import { Sim } from './sim.js';
import { decodeState, emptyState, encodeState, type WorldState } from './state.js';

/** Bumped whenever the persisted state's shape changes. */
const STATE_VERSION = 1;

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
  /** Cloud Map, for ECS service registries; without it every `serviceRegistries` entry is refused. */
  serviceDiscovery?: ServiceRegistryPort;
}

export interface ComputeSimulation {
  /** Service modules 'ec2', 'autoscaling', 'ecs'. */
  modules: ServiceModule[];
  /** World faults and inspection (failAz, spotInterrupt, killTask, describeWorld, …). */
  control: Record<string, OperationHandler>;
  /** Does EC2 know this VPC (Cloud Map namespaces need one)? */
  vpcExists(vpcId: string): boolean;
  /** Registers a task seam listener; returns the unregister function. */
  addTaskListener(h: TaskLifecycleHooks): () => void;
  snapshot(): unknown;
  restore(state: unknown): void;
  stop(): void;
}

export function createComputeSimulation(deps: ComputeDeps): ComputeSimulation {
  const sim = new Sim(deps);
  sim.ec2 = new Ec2Sim(sim);
  sim.ebs = new EbsSim(sim);
  sim.asg = new AsgSim(sim);
  sim.ecs = new EcsSim(sim);
  const control = computeControl(sim);
  sim.ec2.init();
  sim.asg.start();
  sim.ecs.start();

  const modules: ServiceModule[] = [
    {
      service: 'ec2',
      operations: { ...sim.ec2.operations, ...sim.ebs.operations },
      snapshot: () => {
        const w = describeWorld(sim);
        return { azs: w['azs'], instances: w['instances'], volumes: w['volumes'], snapshots: w['snapshots'] };
      },
    },
    {
      service: 'autoscaling',
      operations: { ...sim.asg.api.operations, ...sim.asg.lifecycle.operations },
      snapshot: () => ({ autoScalingGroups: describeWorld(sim)['autoScalingGroups'] }),
    },
    {
      service: 'ecs',
      operations: sim.ecs.operations,
      snapshot: () => {
        const w = describeWorld(sim);
        return {
          clusters: w['clusters'],
          containerInstances: w['containerInstances'],
          services: w['services'],
          tasks: w['tasks'],
        };
      },
    },
  ];

  return {
    modules,
    control,
    vpcExists: (vpcId) => sim.state.vpcs.has(vpcId),
    addTaskListener(h) {
      sim.listeners.add(h);
      sim.ecs.tasks.replayTo(h);
      return () => {
        sim.listeners.delete(h);
      };
    },
    snapshot: () => ({ version: STATE_VERSION, state: encodeState(sim.state) }),
    restore(state: unknown) {
      if (
        typeof state !== 'object' ||
        state === null ||
        (state as Record<string, unknown>)['version'] !== STATE_VERSION
      )
        throw new Error(`compute state: expected a snapshot of version ${STATE_VERSION}`);
      const decoded = decodeState((state as Record<string, unknown>)['state']);
      // Saved before security groups were simulated: the VPCs get their default groups below.
      const fresh = typeof decoded === 'object' && decoded !== null && !('securityGroups' in decoded);
      if (fresh) (decoded as Record<string, unknown>)['securityGroups'] = new Map();
      const missing = Object.keys(emptyState()).filter((k) => !(k in (decoded as Record<string, unknown>)));
      if (missing.length) throw new Error(`compute state: missing ${missing.join(', ')}`);
      for (const job of sim.state.jobs.keys()) sim.cancel(job);
      sim.state = decoded as WorldState;
      sim.ec2.securityGroups.ensureDefaults();
      skipUsedAddresses(sim);
      sim.rearm();
      sim.asg.kickReconcile();
      sim.ecs.kickScheduler();
    },
    stop: () => sim.stop(),
  };
}

/** Restored tasks keep their loopback addresses; new ones must not be handed the same again. */
function skipUsedAddresses(sim: Sim): void {
  const num = (a: string): number => a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
  let max = 0;
  for (const t of sim.state.tasks.values()) max = Math.max(max, num(t.address));
  if (max === 0) return;
  for (let i = 0; i < 1_000_000; i++) if (num(sim.deps.loopback.allocate()) > max) return;
}
