/**
 * Auto Scaling lifecycle hooks: the hook definitions (Put/Describe/Delete), and the wait states they
 * put instances in. A launching instance waits in Pending:Wait, a terminating one in Terminating:Wait,
 * until every hook of the transition is completed (CompleteLifecycleAction by token or instance id) or
 * times out (heartbeat timeout, extended by RecordLifecycleActionHeartbeat, capped by the global
 * timeout of min(100 × HeartbeatTimeout, 172800 s)), which applies the hook's DefaultResult.
 */
import { AwsError, type OperationHandler, type Wire } from '../../contract.js';
import { asgInvalid, asgReader } from './errors.js';
import type { Sim } from './sim.js';
import type { AsgInstance, AutoScalingGroup, LifecycleHook, PendingAction } from './state.js';
import { type Reader } from './util.js';

export const LAUNCHING = 'autoscaling:EC2_INSTANCE_LAUNCHING';
export const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING';
const MAX_GLOBAL_TIMEOUT_S = 172_800;

export function globalTimeoutS(h: LifecycleHook): number {
  return Math.min(100 * h.heartbeatTimeout, MAX_GLOBAL_TIMEOUT_S);
}

/** Callbacks into the group machinery when every hook of a transition has a result. */
export interface TransitionDone {
  (
    group: AutoScalingGroup,
    inst: AsgInstance,
    transition: LifecycleHook['transition'],
    abandoned: boolean,
  ): void;
}

export class Lifecycle {
  constructor(
    private readonly sim: Sim,
    private readonly group: (name: string) => AutoScalingGroup,
    private readonly done: TransitionDone,
  ) {
    sim.on('asg.hook.timeout', (a) =>
      this.onTimeout(String(a['asg']), String(a['instanceId']), String(a['token'])),
    );
  }

  readHook(r: Reader, groupName: string, existing?: LifecycleHook): LifecycleHook {
    const name = r.reqStr('LifecycleHookName');
    if (!/^[A-Za-z0-9\-_/]{1,255}$/.test(name))
      throw asgInvalid(
        `1 validation error detected: Value '${name}' at 'lifecycleHookName' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9\\-_\\/]+`,
      );
    const transition = r.str('LifecycleTransition') ?? existing?.transition;
    if (transition === undefined)
      throw asgInvalid(
        `LifecycleTransition must be specified for a new lifecycle hook (${groupName}/${name}).`,
      );
    if (transition !== LAUNCHING && transition !== TERMINATING)
      throw asgInvalid(
        `Invalid Lifecycle Transition: ${transition}. Valid values: ${LAUNCHING}, ${TERMINATING}`,
      );
    const heartbeatTimeout = r.int('HeartbeatTimeout') ?? existing?.heartbeatTimeout ?? 3600;
    if (heartbeatTimeout < 30 || heartbeatTimeout > 7200)
      throw asgInvalid(`Heartbeat timeout must be between 30 and 7200 seconds, got ${heartbeatTimeout}.`);
    const defaultResult = r.str('DefaultResult') ?? existing?.defaultResult ?? 'ABANDON';
    if (defaultResult !== 'CONTINUE' && defaultResult !== 'ABANDON')
      throw asgInvalid(`Invalid DefaultResult: ${defaultResult}. Valid values: CONTINUE, ABANDON`);
    const meta = r.str('NotificationMetadata') ?? existing?.notificationMetadata;
    const target = r.str('NotificationTargetARN') ?? existing?.notificationTargetArn;
    const role = r.str('RoleARN') ?? existing?.roleArn;
    return {
      name,
      transition,
      heartbeatTimeout,
      defaultResult,
      ...(meta !== undefined ? { notificationMetadata: meta } : {}),
      ...(target !== undefined ? { notificationTargetArn: target } : {}),
      ...(role !== undefined ? { roleArn: role } : {}),
    };
  }

  hookWire(g: AutoScalingGroup, h: LifecycleHook): Wire {
    return {
      LifecycleHookName: h.name,
      AutoScalingGroupName: g.name,
      LifecycleTransition: h.transition,
      NotificationTargetARN: h.notificationTargetArn,
      RoleARN: h.roleArn,
      NotificationMetadata: h.notificationMetadata,
      HeartbeatTimeout: h.heartbeatTimeout,
      GlobalTimeout: globalTimeoutS(h),
      DefaultResult: h.defaultResult,
    };
  }

  /**
   * Starts a transition's hooks on an instance. Returns false when the group has no hook for it
   * (the caller proceeds at once).
   */
  begin(g: AutoScalingGroup, inst: AsgInstance, transition: LifecycleHook['transition']): boolean {
    const hooks = g.hooks.filter((h) => h.transition === transition);
    if (!hooks.length) return false;
    const now = this.sim.now();
    inst.abandoned = false;
    inst.actions = hooks.map((h) => {
      const token = this.sim.uuid();
      const heartbeatDeadline = now + h.heartbeatTimeout * 1000;
      const globalDeadline = now + globalTimeoutS(h) * 1000;
      const job = this.sim.schedule(
        'asg.hook.timeout',
        { asg: g.name, instanceId: inst.instanceId, token },
        Math.min(heartbeatDeadline, globalDeadline) - now,
      );
      return { hook: h.name, token, startedAt: now, heartbeatDeadline, globalDeadline, job };
    });
    for (const a of inst.actions)
      this.sim.log('asg.lifecycle.action', {
        asg: g.name,
        instanceId: inst.instanceId,
        hook: a.hook,
        transition,
        token: a.token,
        event: 'started',
        metadata: hooks.find((h) => h.name === a.hook)?.notificationMetadata ?? null,
      });
    return true;
  }

  /** Drops the pending actions of an instance (it left the group some other way). */
  cancel(inst: AsgInstance): void {
    for (const a of inst.actions) this.sim.cancel(a.job);
    inst.actions = [];
  }

  private transitionOf(inst: AsgInstance): LifecycleHook['transition'] | undefined {
    if (inst.lifecycleState === 'Pending:Wait') return LAUNCHING;
    if (inst.lifecycleState === 'Terminating:Wait') return TERMINATING;
    return undefined;
  }

  private record(
    g: AutoScalingGroup,
    inst: AsgInstance,
    action: PendingAction,
    result: 'CONTINUE' | 'ABANDON',
    how: 'completed' | 'heartbeat-timeout' | 'global-timeout',
  ): void {
    const transition = this.transitionOf(inst);
    if (!transition) return;
    this.sim.cancel(action.job);
    action.result = result;
    if (result === 'ABANDON') inst.abandoned = true;
    this.sim.log('asg.lifecycle.action', {
      asg: g.name,
      instanceId: inst.instanceId,
      hook: action.hook,
      transition,
      token: action.token,
      event: how,
      result,
    });
    // For terminate hooks ABANDON skips the remaining hooks; for launch hooks it dooms the instance.
    const finished = inst.abandoned || inst.actions.every((a) => a.result !== undefined);
    if (!finished) return;
    for (const a of inst.actions) this.sim.cancel(a.job);
    const abandoned = inst.abandoned ?? false;
    inst.actions = [];
    this.done(g, inst, transition, abandoned);
  }

  private onTimeout(groupName: string, instanceId: string, token: string): void {
    const g = this.sim.state.groups.get(groupName);
    const inst = g?.instances.find((i) => i.instanceId === instanceId);
    const action = inst?.actions.find((a) => a.token === token);
    if (!g || !inst || !action || action.result !== undefined) return;
    const hook = g.hooks.find((h) => h.name === action.hook);
    const now = this.sim.now();
    const how = now >= action.globalDeadline ? 'global-timeout' : 'heartbeat-timeout';
    this.record(g, inst, action, hook?.defaultResult ?? 'ABANDON', how);
  }

  private findAction(r: Reader): { g: AutoScalingGroup; inst: AsgInstance; action: PendingAction } {
    const g = this.group(r.reqStr('AutoScalingGroupName'));
    const hookName = r.reqStr('LifecycleHookName');
    if (!g.hooks.some((h) => h.name === hookName))
      throw asgInvalid(`No Lifecycle Hook found with name ${hookName} for group ${g.name}`);
    const token = r.str('LifecycleActionToken');
    const instanceId = r.str('InstanceId');
    if (token === undefined && instanceId === undefined)
      throw asgInvalid('Either LifecycleActionToken or InstanceId must be specified.');
    for (const inst of g.instances) {
      if (instanceId !== undefined && inst.instanceId !== instanceId) continue;
      const action = inst.actions.find(
        (a) => a.hook === hookName && a.result === undefined && (token === undefined || a.token === token),
      );
      if (action) return { g, inst, action };
    }
    throw asgInvalid(
      token !== undefined
        ? `No active Lifecycle Action found with token ${token}`
        : `No active Lifecycle Action found with instance ID ${instanceId ?? ''}`,
    );
  }

  readonly operations: Record<string, OperationHandler> = {
    PutLifecycleHook: (input) => {
      const r = asgReader(input);
      const g = this.group(r.reqStr('AutoScalingGroupName'));
      const name = r.reqStr('LifecycleHookName');
      const idx = g.hooks.findIndex((h) => h.name === name);
      const hook = this.readHook(r, g.name, idx >= 0 ? g.hooks[idx] : undefined);
      if (idx >= 0) g.hooks[idx] = hook;
      else {
        if (g.hooks.length >= 50)
          throw new AwsError('LimitExceeded', `Lifecycle hooks limit of 50 reached for group ${g.name}`);
        g.hooks.push(hook);
      }
      this.sim.log('asg.hook', {
        asg: g.name,
        hook: name,
        transition: hook.transition,
        event: idx >= 0 ? 'updated' : 'created',
      });
      return {};
    },

    DescribeLifecycleHooks: (input) => {
      const r = asgReader(input);
      const g = this.group(r.reqStr('AutoScalingGroupName'));
      const names = r.strList('LifecycleHookNames');
      return {
        LifecycleHooks: g.hooks
          .filter((h) => !names.length || names.includes(h.name))
          .map((h) => this.hookWire(g, h)),
      };
    },

    DeleteLifecycleHook: (input) => {
      const r = asgReader(input);
      const g = this.group(r.reqStr('AutoScalingGroupName'));
      const name = r.reqStr('LifecycleHookName');
      if (!g.hooks.some((h) => h.name === name))
        throw asgInvalid(`No Lifecycle Hook found with name ${name} for group ${g.name}`);
      g.hooks = g.hooks.filter((h) => h.name !== name);
      // Instances waiting on it proceed as if it never existed.
      for (const inst of g.instances) {
        const pending = inst.actions.filter((a) => a.hook === name && a.result === undefined);
        for (const a of pending) this.record(g, inst, a, 'CONTINUE', 'completed');
      }
      this.sim.log('asg.hook', { asg: g.name, hook: name, event: 'deleted' });
      return {};
    },

    DescribeLifecycleHookTypes: () => ({ LifecycleHookTypes: [LAUNCHING, TERMINATING] }),

    CompleteLifecycleAction: (input) => {
      const r = asgReader(input);
      const result = r.reqStr('LifecycleActionResult');
      if (result !== 'CONTINUE' && result !== 'ABANDON')
        throw asgInvalid(`Invalid LifecycleActionResult: ${result}. Valid values: CONTINUE, ABANDON`);
      const { g, inst, action } = this.findAction(r);
      this.record(g, inst, action, result, 'completed');
      return {};
    },

    RecordLifecycleActionHeartbeat: (input) => {
      const r = asgReader(input);
      const { g, inst, action } = this.findAction(r);
      const hook = g.hooks.find((h) => h.name === action.hook);
      const now = this.sim.now();
      action.heartbeatDeadline = now + (hook?.heartbeatTimeout ?? 3600) * 1000;
      this.sim.cancel(action.job);
      action.job = this.sim.schedule(
        'asg.hook.timeout',
        { asg: g.name, instanceId: inst.instanceId, token: action.token },
        Math.min(action.heartbeatDeadline, action.globalDeadline) - now,
      );
      this.sim.log('asg.lifecycle.action', {
        asg: g.name,
        instanceId: inst.instanceId,
        hook: action.hook,
        token: action.token,
        event: 'heartbeat',
        heartbeatDeadline: action.heartbeatDeadline,
        globalDeadline: action.globalDeadline,
      });
      return {};
    },
  };
}
