/**
 * World faults and inspection for the compute simulation, served by the twin's control API and called
 * by tests (`twin.control(op, input)`): fail/restore an AZ, spot-interrupt, terminate or stop an
 * instance, kill a task, set a task's health, fail volume attaches; describe the world, list spot
 * interruption notices and pending lifecycle actions (with their tokens, as EventBridge would carry).
 */
import { AwsError, type OperationHandler, type Wire } from '../../contract.js';
import type { Sim } from './sim.js';
import { Reader } from './util.js';

const bad = (msg: string): AwsError => new AwsError('InvalidParameterValue', msg);
const reader = (input: unknown): Reader =>
  Reader.of(
    input,
    bad,
    (name) => new AwsError('MissingParameter', `The control operation needs the parameter ${name}`),
  );

export function computeControl(sim: Sim): Record<string, OperationHandler> {
  sim.on('ec2.spot.reclaim', (a) => {
    const inst = sim.state.instances.get(String(a['instanceId']));
    if (!inst || inst.state === 'terminated' || inst.state === 'shutting-down') return;
    sim.log('ec2.spot.reclaimed', { instanceId: inst.instanceId, az: inst.az });
    sim.ec2.terminate(inst, 'Server.SpotInstanceTermination: Spot instance termination', {
      code: 'Server.SpotInstanceTermination',
      message: 'Server.SpotInstanceTermination: Spot instance termination',
    });
  });

  const ops: Record<string, OperationHandler> = {
    failAz: (input) => {
      const az = reader(input).reqStr('az');
      sim.ec2.setAzState(az, 'impaired');
      return { az, state: 'impaired' };
    },

    restoreAz: (input) => {
      const az = reader(input).reqStr('az');
      sim.ec2.setAzState(az, 'available');
      return { az, state: 'available' };
    },

    spotInterrupt: (input) => {
      const id = reader(input).reqStr('instanceId');
      const inst = sim.ec2.instance(id);
      if (inst.state !== 'running' && inst.state !== 'pending')
        throw new AwsError('IncorrectInstanceState', `Instance ${id} is ${inst.state}.`);
      const existing = sim.state.interruptions.get(id);
      if (existing) return { ...existing };
      const now = sim.now();
      const notice = {
        instanceId: id,
        noticeAt: now,
        actionAt: now + sim.params.spotNoticeMs,
        action: 'terminate' as const,
      };
      sim.state.interruptions.set(id, notice);
      sim.log('ec2.spot.interruption', {
        instanceId: id,
        az: inst.az,
        actionAt: notice.actionAt,
        spot: inst.spot,
        asg: inst.asgName ?? null,
      });
      // With ECS_ENABLE_SPOT_INSTANCE_DRAINING the agent drains the container instance on the notice.
      if (inst.ecsConfig['ECS_ENABLE_SPOT_INSTANCE_DRAINING'] === 'true') {
        const ci = sim.ecs.containerInstances.ofInstance(id);
        if (ci && ci.status === 'ACTIVE') {
          ci.status = 'DRAINING';
          ci.version += 1;
          sim.log('ecs.containerInstance.state', {
            containerInstanceArn: ci.arn,
            ec2InstanceId: id,
            from: 'ACTIVE',
            to: 'DRAINING',
            agentConnected: ci.agentConnected,
            why: 'spot interruption notice',
          });
          sim.ecs.kickScheduler();
        }
      }
      sim.asg.onInterruptionNotice(id);
      sim.schedule('ec2.spot.reclaim', { instanceId: id }, sim.params.spotNoticeMs);
      return { ...notice };
    },

    listInterruptionNotices: () => ({
      notices: [...sim.state.interruptions.values()].map((n) => ({
        ...n,
        'instance-action': n.action,
        time: new Date(n.actionAt).toISOString(),
      })),
    }),

    terminateInstance: (input) => {
      const inst = sim.ec2.instance(reader(input).reqStr('instanceId'));
      const prev = inst.state;
      sim.ec2.terminate(inst, 'Terminated by fault injection');
      return { instanceId: inst.instanceId, previousState: prev, currentState: inst.state };
    },

    stopInstance: (input) => {
      const inst = sim.ec2.instance(reader(input).reqStr('instanceId'));
      const prev = inst.state;
      sim.ec2.stop(inst, 'Stopped by fault injection');
      return { instanceId: inst.instanceId, previousState: prev, currentState: inst.state };
    },

    killTask: (input) => {
      const r = reader(input);
      const t = sim.ecs.tasks.kill(r.reqStr('taskArn'), r.int('exitCode', { min: 0, max: 255 }) ?? 137);
      return {
        taskArn: t.arn,
        lastStatus: t.lastStatus,
        desiredStatus: t.desiredStatus,
        stopCode: t.stopCode ?? null,
      };
    },

    setTaskHealth: (input) => {
      const r = reader(input);
      const ref = r.reqStr('taskArn');
      const status = r.enumOf('status', ['HEALTHY', 'UNHEALTHY', 'UNKNOWN'] as const);
      if (!status) throw new AwsError('MissingParameter', 'The control operation needs the parameter status');
      const t = sim.state.tasks.get(ref) ?? [...sim.state.tasks.values()].find((x) => x.id === ref);
      if (!t) throw bad(`Task ${ref} not found.`);
      sim.ecs.tasks.control(t).setHealth(status);
      return { taskArn: t.arn, healthStatus: t.healthStatus };
    },

    failVolumeAttach: (input) => {
      const r = reader(input);
      const volumeId = r.reqStr('volumeId');
      const count = r.int('count', { min: 1, max: 1000 }) ?? 1;
      const mode = r.enumOf('mode', ['fail', 'stuck'] as const) ?? 'fail';
      sim.ebs.failAttach(volumeId, count, mode);
      return { volumeId, count, mode };
    },

    listLifecycleActions: (input) => {
      const r = reader(input);
      const only = r.str('autoScalingGroupName');
      const actions: Wire[] = [];
      for (const g of sim.state.groups.values()) {
        if (only !== undefined && g.name !== only) continue;
        for (const i of g.instances)
          for (const a of i.actions) {
            const hook = g.hooks.find((h) => h.name === a.hook);
            actions.push({
              AutoScalingGroupName: g.name,
              LifecycleHookName: a.hook,
              LifecycleTransition: hook?.transition ?? null,
              EC2InstanceId: i.instanceId,
              LifecycleActionToken: a.token,
              NotificationMetadata: hook?.notificationMetadata ?? null,
              LifecycleState: i.lifecycleState,
              heartbeatDeadline: a.heartbeatDeadline,
              globalDeadline: a.globalDeadline,
              result: a.result ?? null,
            });
          }
      }
      return { actions };
    },

    describeWorld: () => describeWorld(sim),
  };
  return ops;
}

/** A readable summary of the whole simulated world (not the raw state). */
export function describeWorld(sim: Sim): Wire {
  const s = sim.state;
  return {
    now: sim.now(),
    azs: [...s.azs.values()],
    instances: [...s.instances.values()].map((i) => ({
      instanceId: i.instanceId,
      az: i.az,
      state: i.state,
      impaired: i.impaired,
      instanceType: i.instanceType,
      privateIp: i.privateIp,
      asg: i.asgName ?? null,
      ecsCluster: i.ecsConfig['ECS_CLUSTER'] ?? null,
      spot: i.spot,
      tags: i.tags,
    })),
    volumes: [...s.volumes.values()].map((v) => ({
      volumeId: v.volumeId,
      az: v.az,
      state: v.state,
      size: v.size,
      volumeType: v.volumeType,
      attachments: v.attachments.map((a) => ({ instanceId: a.instanceId, device: a.device, state: a.state })),
      tags: v.tags,
      dataKeys: v.data.size,
    })),
    snapshots: [...s.snapshots.values()].map((x) => ({
      snapshotId: x.snapshotId,
      volumeId: x.volumeId,
      state: x.state,
      tags: x.tags,
    })),
    autoScalingGroups: [...s.groups.values()].map((g) => ({
      name: g.name,
      min: g.minSize,
      max: g.maxSize,
      desired: g.desiredCapacity,
      azs: g.azs,
      status: g.status ?? null,
      hooks: g.hooks.map((h) => h.name),
      instances: g.instances.map((i) => ({
        instanceId: i.instanceId,
        az: i.az,
        lifecycleState: i.lifecycleState,
        healthStatus: i.healthStatus,
        protectedFromScaleIn: i.protectedFromScaleIn,
        waitingOn: i.actions.filter((a) => a.result === undefined).map((a) => a.hook),
      })),
    })),
    clusters: [...s.clusters.values()].map((c) => ({ name: c.name, status: c.status })),
    containerInstances: [...s.containerInstances.values()].map((ci) => ({
      arn: ci.arn,
      ec2InstanceId: ci.ec2InstanceId,
      cluster: ci.clusterArn,
      status: ci.status,
      agentConnected: ci.agentConnected,
      attributes: Object.fromEntries(
        ci.attributes.filter((a) => !a.name.includes('capability')).map((a) => [a.name, a.value ?? null]),
      ),
    })),
    services: [...s.services.values()].map((svc) => ({
      arn: svc.arn,
      name: svc.name,
      status: svc.status,
      desiredCount: svc.desiredCount,
      minimumHealthyPercent: svc.minimumHealthyPercent,
      maximumPercent: svc.maximumPercent,
      deployments: svc.deployments.map((d) => ({
        id: d.id,
        status: d.status,
        rolloutState: d.rolloutState,
        taskDefinition: d.taskDefinition,
      })),
      lastEvents: svc.events.slice(0, 5).map((e) => e.message),
    })),
    tasks: [...s.tasks.values()].map((t) => ({
      arn: t.arn,
      group: t.group,
      lastStatus: t.lastStatus,
      desiredStatus: t.desiredStatus,
      healthStatus: t.healthStatus,
      instanceId: t.ec2InstanceId,
      az: t.az,
      address: t.address,
      taskDefinitionArn: t.taskDefinitionArn,
      stopCode: t.stopCode ?? null,
      stoppedReason: t.stoppedReason ?? null,
    })),
    interruptionNotices: [...s.interruptions.values()],
    pendingJobs: s.jobs.size,
  };
}
