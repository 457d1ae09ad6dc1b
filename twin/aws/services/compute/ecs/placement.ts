/**
 * ECS task placement, in ECS's four steps: filter container instances by CPU, memory and ports;
 * apply the (binding) constraints distinctInstance and memberOf; order the rest by the (best-effort)
 * strategies spread / binpack / random; pick the first. When nothing fits it reports, per instance,
 * why, so RunTask can return `failures` and a service can record its "unable to place" event.
 */
import type { Sim } from '../sim.js';
import type { ContainerInstance, PlacementConstraint, PlacementStrategy, TaskDefinition } from '../state.js';
import type { ContainerInstances } from './container-instances.js';
import { evaluateQuery, parseQuery } from './query.js';

export interface TaskNeeds {
  cpu: number;
  memory: number;
  /** Static host ports (tcp) the task needs. */
  ports: number[];
}

export interface PlacementRequest {
  clusterArn: string;
  group: string;
  needs: TaskNeeds;
  constraints: PlacementConstraint[];
  strategies: PlacementStrategy[];
}

export type PlacementResult =
  | { ok: true; ci: ContainerInstance }
  | {
      ok: false;
      reason: string;
      failures: { arn: string; reason: string }[];
      closest?: { ci: ContainerInstance; why: string };
    };

/** Resources and host ports a task definition needs on a container instance. */
export function taskNeeds(td: TaskDefinition): TaskNeeds {
  const cpu = td.cpu !== undefined ? Number(td.cpu) : td.containerDefinitions.reduce((s, c) => s + c.cpu, 0);
  const memory =
    td.memory !== undefined
      ? Number(td.memory)
      : td.containerDefinitions.reduce((s, c) => s + (c.memoryReservation ?? c.memory ?? 0), 0);
  const ports: number[] = [];
  if (td.networkMode !== 'awsvpc' && td.networkMode !== 'none')
    for (const c of td.containerDefinitions)
      for (const p of c.portMappings) if (p.hostPort !== undefined && p.hostPort > 0) ports.push(p.hostPort);
  return { cpu, memory, ports };
}

const WHY: Record<string, string> = {
  'RESOURCE:CPU': 'has insufficient CPU units available',
  'RESOURCE:MEMORY': 'has insufficient memory available',
  'RESOURCE:PORTS': 'is already using a port required by your task',
  DISTINCT: 'encountered error "DistinctInstance placement constraint unsatisfied."',
  MEMBEROF: 'encountered error "MemberOf placement constraint unsatisfied."',
};

export class Placement {
  constructor(
    private readonly sim: Sim,
    private readonly cis: ContainerInstances,
  ) {}

  place(req: PlacementRequest): PlacementResult {
    const all = [...this.sim.state.containerInstances.values()].filter(
      (ci) => ci.clusterArn === req.clusterArn && ci.status !== 'INACTIVE',
    );
    if (!all.length)
      return { ok: false, reason: 'No Container Instances were found in your cluster.', failures: [] };
    const failures: { arn: string; reason: string }[] = [];
    let closest: { ci: ContainerInstance; why: string; score: number } | undefined;
    const fit: ContainerInstance[] = [];
    const groupTasks = [...this.sim.state.tasks.values()].filter(
      (t) =>
        t.clusterArn === req.clusterArn &&
        t.group === req.group &&
        t.lastStatus !== 'STOPPED' &&
        t.desiredStatus === 'RUNNING',
    );
    for (const ci of all) {
      if (!this.cis.usable(ci)) {
        failures.push({ arn: ci.arn, reason: ci.status === 'DRAINING' ? 'DRAINING' : 'AGENT' });
        continue;
      }
      const u = this.cis.usage(ci);
      const reasons: string[] = [];
      if (ci.cpu - u.cpu < req.needs.cpu) reasons.push('RESOURCE:CPU');
      if (ci.memory - u.memory < req.needs.memory) reasons.push('RESOURCE:MEMORY');
      if (req.needs.ports.some((p) => u.ports.includes(p))) reasons.push('RESOURCE:PORTS');
      for (const c of req.constraints) {
        if (c.type === 'distinctInstance' && groupTasks.some((t) => t.containerInstanceArn === ci.arn))
          reasons.push('DISTINCT');
        if (
          c.type === 'memberOf' &&
          c.expression !== undefined &&
          !evaluateQuery(c.expression, this.cis.queryTarget(ci))
        )
          reasons.push('MEMBEROF');
      }
      if (!reasons.length) {
        fit.push(ci);
        continue;
      }
      for (const r of reasons)
        failures.push({ arn: ci.arn, reason: r === 'DISTINCT' || r === 'MEMBEROF' ? 'ATTRIBUTE' : r });
      const first = reasons[0] ?? 'RESOURCE:CPU';
      if (!closest || reasons.length < closest.score)
        closest = { ci, why: WHY[first] ?? first, score: reasons.length };
    }
    if (!fit.length) {
      const res: PlacementResult = {
        ok: false,
        reason: 'no container instance met all of its requirements',
        failures,
      };
      if (closest) res.closest = { ci: closest.ci, why: closest.why };
      return res;
    }
    return {
      ok: true,
      ci: this.order(
        fit,
        req,
        groupTasks.map((t) => t.containerInstanceArn),
      ),
    };
  }

  private order(fit: ContainerInstance[], req: PlacementRequest, groupOn: string[]): ContainerInstance {
    const strategies = req.strategies;
    const scored = fit.map((ci) => {
      const u = this.cis.usage(ci);
      const keys = strategies.map((s) => {
        if (s.type === 'random') return this.sim.deps.rng.next();
        if (s.type === 'binpack') return s.field === 'cpu' ? ci.cpu - u.cpu : ci.memory - u.memory;
        // spread
        const field = s.field ?? 'instanceId';
        if (field === 'instanceId' || field === 'host') return groupOn.filter((a) => a === ci.arn).length;
        const name = field.replace(/^attribute:/, '');
        const mine = this.cis.attr(ci, name);
        return groupOn.filter((arn) => {
          const other = this.sim.state.containerInstances.get(arn);
          return other !== undefined && this.cis.attr(other, name) === mine;
        }).length;
      });
      return { ci, keys, tie: this.sim.deps.rng.next() };
    });
    scored.sort((a, b) => {
      for (let i = 0; i < a.keys.length; i++) {
        const d = (a.keys[i] ?? 0) - (b.keys[i] ?? 0);
        if (d !== 0) return d;
      }
      return a.tie - b.tie;
    });
    const best = scored[0];
    if (!best) throw new Error('placement: no candidate');
    return best.ci;
  }

  /** Parses a memberOf expression up front, for clear errors at CreateService/RunTask. */
  static validate(expression: string): void {
    parseQuery(expression);
  }
}
