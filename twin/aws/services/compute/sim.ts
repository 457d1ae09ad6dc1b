/**
 * The kernel shared by the compute simulation's parts: virtual time, seeded ids, the world log, the
 * serialisable job table (every timed transition is a named job, so a snapshot restores with its
 * timers), coalesced "kicks" of the reconcile loops, and late-bound references between the parts.
 */
import type { TimerHandle } from '../../../core/clock.js';
import type { TaskLifecycleHooks } from '../../contract.js';
import type { ComputeDeps } from './index.js';
import { DEFAULT_COMPUTE_PARAMS, type ComputeParams } from './params.js';
import { emptyState, type Job, type WorldState } from './state.js';
import type { Ec2Sim } from './ec2.js';
import type { EbsSim } from './ebs.js';
import type { AsgSim } from './autoscaling.js';
import type { EcsSim } from './ecs/ecs.js';

export type JobArgs = Job['args'];
export type JobHandler = (args: JobArgs) => void;

export class Sim {
  readonly params: ComputeParams;
  state: WorldState = emptyState();
  readonly listeners = new Set<TaskLifecycleHooks>();
  ec2!: Ec2Sim;
  ebs!: EbsSim;
  asg!: AsgSim;
  ecs!: EcsSim;

  private readonly handlers = new Map<string, JobHandler>();
  private readonly timers = new Map<number, TimerHandle>();
  private readonly kicks = new Map<string, TimerHandle>();
  private readonly loops = new Map<string, TimerHandle>();
  private stopped = false;

  constructor(readonly deps: ComputeDeps) {
    const params = { ...DEFAULT_COMPUTE_PARAMS, ...(deps.params ?? {}) };
    for (const [k, v] of Object.entries(params)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new RangeError(`compute parameter ${k} must be a non-negative number, got ${String(v)}`);
    }
    this.params = params;
  }

  get region(): string {
    return this.deps.region;
  }

  get accountId(): string {
    return this.deps.accountId;
  }

  now(): number {
    return this.deps.clock.now();
  }

  log(kind: string, fields: Record<string, unknown>): void {
    this.deps.world.append(kind, fields);
  }

  /** `prefix-` + 17 hex characters, as EC2 ids. */
  ec2Id(prefix: string): string {
    return `${prefix}-${this.deps.rng.hex(17)}`;
  }

  hex(n: number): string {
    return this.deps.rng.hex(n);
  }

  uuid(): string {
    const h = this.deps.rng.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16] ?? '0', 16) % 4]}${h.slice(17, 20)}-${h.slice(20)}`;
  }

  nextCounter(): number {
    return ++this.state.counter;
  }

  // ---------------------------------------------------------------------------------------------
  // Jobs

  on(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  schedule(kind: string, args: JobArgs, delayMs: number): number {
    if (!this.handlers.has(kind)) throw new Error(`no job handler for ${kind}`);
    const id = this.state.nextJobId++;
    const job: Job = { id, kind, args, dueAt: this.now() + Math.max(0, delayMs) };
    this.state.jobs.set(id, job);
    this.arm(job);
    return id;
  }

  cancel(id: number | undefined): void {
    if (id === undefined) return;
    this.state.jobs.delete(id);
    const t = this.timers.get(id);
    if (t) this.deps.clock.clearTimeout(t);
    this.timers.delete(id);
  }

  private arm(job: Job): void {
    if (this.stopped) return;
    const t = this.deps.clock.setTimeout(() => this.fire(job.id), job.dueAt - this.now());
    this.timers.set(job.id, t);
  }

  private fire(id: number): void {
    this.timers.delete(id);
    const job = this.state.jobs.get(id);
    if (!job) return;
    this.state.jobs.delete(id);
    const h = this.handlers.get(job.kind);
    if (!h) return;
    this.guard(`job ${job.kind}`, () => h(job.args));
  }

  /** Runs `fn`; an unexpected error is logged to the world log instead of crashing the timer loop. */
  guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log('twin.error', {
        where: what,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
  }

  /** Runs `fn` soon (after the current request or event), once, however often it is kicked meanwhile. */
  kick(name: string, fn: () => void): void {
    if (this.stopped || this.kicks.has(name)) return;
    this.kicks.set(
      name,
      this.deps.clock.setTimeout(() => {
        this.kicks.delete(name);
        this.guard(name, fn);
      }, 0),
    );
  }

  /** A periodic loop (not part of the state: restarted with the simulation). */
  every(name: string, intervalMs: number, fn: () => void): void {
    if (intervalMs <= 0) return;
    const tick = (): void => {
      if (this.stopped) return;
      this.guard(name, fn);
      if (!this.stopped) this.loops.set(name, this.deps.clock.setTimeout(tick, intervalMs));
    };
    this.loops.set(name, this.deps.clock.setTimeout(tick, intervalMs));
  }

  /** Re-arms every job of a restored state. */
  rearm(): void {
    for (const t of this.timers.values()) this.deps.clock.clearTimeout(t);
    this.timers.clear();
    for (const job of this.state.jobs.values()) this.arm(job);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) this.deps.clock.clearTimeout(t);
    for (const t of this.kicks.values()) this.deps.clock.clearTimeout(t);
    for (const t of this.loops.values()) this.deps.clock.clearTimeout(t);
    this.timers.clear();
    this.kicks.clear();
    this.loops.clear();
  }

  get isStopped(): boolean {
    return this.stopped;
  }
}
