/**
 * ECS tasks: their life (PROVISIONING → PENDING → RUNNING, then desiredStatus STOPPED → containers exit
 * → DEPROVISIONING → STOPPED, visible for a retention period), container health, stop codes and
 * reasons, and the seam to whatever runs inside a task (TaskLifecycleHooks listeners get the task
 * definition, environment, resolved secrets, its own loopback address and the instance's attached EBS
 * volumes with their data). Operations: RunTask, StopTask, ListTasks, DescribeTasks.
 */
import type {
  OperationHandler,
  TaskControl,
  TaskLifecycleHooks,
  TaskRuntimeInfo,
  Wire,
} from '../../../contract.js';
import { AwsError } from '../../../contract.js';
import { ecsBadToken, ecsInvalid, ecsReader } from '../errors.js';
import type { Sim } from '../sim.js';
import type {
  AwsvpcConfiguration,
  ContainerInstance,
  HealthStatus,
  Instance,
  InstanceStateName,
  PlacementConstraint,
  PlacementStrategy,
  Task,
  TaskContainer,
  TaskDefinition,
  TaskStatus,
} from '../state.js';
import { compact, paginate, type Reader } from '../util.js';
import type { Clusters } from './clusters.js';
import { readEcsTags, ecsTagsWire } from './clusters.js';
import type { ContainerInstances } from './container-instances.js';
import { Placement, taskNeeds } from './placement.js';
import { QueryError } from './query.js';
import type { TaskDefinitions } from './taskdefs.js';

export interface CreateTaskOptions {
  td: TaskDefinition;
  ci: ContainerInstance;
  group: string;
  startedBy?: string;
  serviceArn?: string;
  deploymentId?: string;
  overrides?: Task['overrides'];
  tags?: Record<string, string>;
  /** awsvpc: the ENI's subnets (one in the instance's AZ is used) and security groups. */
  network?: AwsvpcConfiguration;
}

export interface StopOptions {
  /** The host went away: containers die at once (no stop timeout). */
  immediate?: boolean;
  /** The essential container already exited with this code. */
  exitCode?: number;
  /** Container reason (e.g. the health check failure). */
  containerReason?: string;
}

const EPHEMERAL_START = 32768;
const EPHEMERAL_END = 60999;

export function readPlacement(r: Reader): {
  constraints: PlacementConstraint[];
  strategies: PlacementStrategy[];
} {
  const constraints = r.objList('placementConstraints').map((c): PlacementConstraint => {
    const type = c.reqStr('type');
    if (type !== 'distinctInstance' && type !== 'memberOf')
      throw ecsInvalid(`Invalid placement constraint type '${type}'.`);
    const expression = c.str('expression');
    if (type === 'memberOf') {
      if (!expression) throw ecsInvalid('A memberOf placement constraint requires an expression.');
      try {
        Placement.validate(expression);
      } catch (err) {
        throw ecsInvalid(
          `Invalid placement constraint expression '${expression}': ${err instanceof QueryError ? err.message : String(err)}`,
        );
      }
      return { type, expression };
    }
    if (expression) throw ecsInvalid('A distinctInstance placement constraint takes no expression.');
    return { type };
  });
  if (constraints.length > 10) throw ecsInvalid('At most 10 placement constraints are allowed.');
  const strategies = r.objList('placementStrategy').map((s): PlacementStrategy => {
    const type = s.reqStr('type');
    const field = s.str('field');
    if (type === 'random') return { type };
    if (type === 'spread') {
      if (!field) throw ecsInvalid('A spread placement strategy requires a field.');
      if (!(field === 'instanceId' || field === 'host' || field.startsWith('attribute:')))
        throw ecsInvalid(`Invalid spread field '${field}': use instanceId, host or attribute:<name>.`);
      return { type, field };
    }
    if (type === 'binpack') {
      if (field !== 'cpu' && field !== 'memory')
        throw ecsInvalid(`Invalid binpack field '${field ?? ''}': use cpu or memory.`);
      return { type, field };
    }
    throw ecsInvalid(`Invalid placement strategy type '${type}'.`);
  });
  if (strategies.length > 5) throw ecsInvalid('At most 5 placement strategies are allowed.');
  return { constraints, strategies };
}

/** The fields every world-log event about a task carries. */
function taskLogFields(t: Task): Record<string, unknown> {
  return {
    taskArn: t.arn,
    group: t.group,
    service: t.serviceArn ?? null,
    deploymentId: t.deploymentId ?? null,
    taskDefinitionArn: t.taskDefinitionArn,
    instanceId: t.ec2InstanceId,
    az: t.az,
    address: t.address,
  };
}

export class Tasks {
  readonly placement: Placement;

  constructor(
    private readonly sim: Sim,
    private readonly clusters: Clusters,
    private readonly cis: ContainerInstances,
    private readonly taskDefs: TaskDefinitions,
  ) {
    this.placement = new Placement(sim, cis);
    sim.on('ecs.task.pending', (a) => this.withTask(a, (t) => this.onPending(t)));
    sim.on('ecs.task.start', (a) => this.withTask(a, (t) => this.onStart(t)));
    sim.on('ecs.task.exited', (a) => this.withTask(a, (t) => this.onContainersExited(t, 0)));
    sim.on('ecs.task.stopped', (a) => this.withTask(a, (t) => this.onStopped(t)));
    sim.on('ecs.task.purge', (a) => sim.state.tasks.delete(String(a['taskArn'])));
    sim.on('ecs.task.autoHealth', (a) =>
      this.withTask(a, (t) => {
        if (!t.healthFromListener && t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING')
          this.applyHealth(t, 'HEALTHY', 'health check passed');
      }),
    );
  }

  private withTask(a: Record<string, unknown>, fn: (t: Task) => void): void {
    const t = this.sim.state.tasks.get(String(a['taskArn']));
    if (t) {
      delete t.job;
      fn(t);
    }
  }

  arn(clusterArn: string, id: string): string {
    const name = clusterArn.split('/').pop() ?? 'default';
    return `arn:aws:ecs:${this.sim.region}:${this.sim.accountId}:task/${name}/${id}`;
  }

  find(clusterArn: string, ref: string): Task | undefined {
    const direct = this.sim.state.tasks.get(ref);
    if (direct) return direct.clusterArn === clusterArn ? direct : undefined;
    return [...this.sim.state.tasks.values()].find((t) => t.clusterArn === clusterArn && t.id === ref);
  }

  private setStatus(t: Task, to: TaskStatus): void {
    const from = t.lastStatus;
    if (from === to) return;
    t.lastStatus = to;
    t.version += 1;
    this.sim.log('ecs.task.state', {
      ...taskLogFields(t),
      from,
      to,
      desiredStatus: t.desiredStatus,
      containerInstanceArn: t.containerInstanceArn,
      stopCode: t.stopCode ?? null,
      stoppedReason: t.stoppedReason ?? null,
    });
    this.sim.ecs.kickScheduler();
  }

  // ---------------------------------------------------------------------------------------------
  // Creation and progress

  create(o: CreateTaskOptions): Task {
    const id = this.sim.hex(32);
    const arn = this.arn(o.ci.clusterArn, id);
    const needs = taskNeeds(o.td);
    const inst = this.sim.state.instances.get(o.ci.ec2InstanceId);
    const used = this.cis.usage(o.ci).ports;
    const hostPorts: number[] = [];
    const overrides = o.overrides ?? { containerOverrides: [] };
    const containers = o.td.containerDefinitions.map((c) => {
      const env: Record<string, string> = {};
      for (const e of c.environment) env[e.name] = e.value;
      for (const e of overrides.containerOverrides.find((x) => x.name === c.name)?.environment ?? [])
        env[e.name] = e.value;
      const bindings =
        o.td.networkMode === 'awsvpc' || o.td.networkMode === 'none'
          ? []
          : c.portMappings.map((p) => {
              let hostPort = p.hostPort ?? 0;
              if (hostPort === 0) {
                hostPort = EPHEMERAL_START;
                while ((used.includes(hostPort) || hostPorts.includes(hostPort)) && hostPort < EPHEMERAL_END)
                  hostPort++;
              }
              hostPorts.push(hostPort);
              return { bindIP: '0.0.0.0', containerPort: p.containerPort, hostPort, protocol: p.protocol };
            });
      const tc: TaskContainer = {
        name: c.name,
        containerArn: `arn:aws:ecs:${this.sim.region}:${this.sim.accountId}:container/${o.ci.clusterArn.split('/').pop() ?? ''}/${id}/${this.sim.uuid()}`,
        image: c.image,
        lastStatus: 'PENDING',
        healthStatus: 'UNKNOWN',
        essential: c.essential,
        hasHealthCheck: c.healthCheck !== undefined,
        environment: env,
        cpu: c.cpu,
        networkBindings: bindings,
        ...(c.memory !== undefined ? { memory: c.memory } : {}),
        ...(c.memoryReservation !== undefined ? { memoryReservation: c.memoryReservation } : {}),
      };
      return tc;
    });
    const subnetId = o.network
      ? (o.network.subnets.find((sn) => this.sim.state.subnets.get(sn)?.az === inst?.az) ??
        o.network.subnets[0])
      : undefined;
    const t: Task = {
      arn,
      id,
      clusterArn: o.ci.clusterArn,
      taskDefinitionArn: o.td.arn,
      containerInstanceArn: o.ci.arn,
      ec2InstanceId: o.ci.ec2InstanceId,
      az: inst?.az ?? this.cis.attr(o.ci, 'ecs.availability-zone') ?? '',
      group: o.group,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      containers,
      cpu: needs.cpu,
      memory: needs.memory,
      hostPorts: [...new Set([...needs.ports, ...hostPorts])],
      address: this.sim.deps.loopback.allocate(),
      createdAt: this.sim.now(),
      version: 1,
      tags: o.tags ?? {},
      overrides,
      healthFromListener: false,
      started: false,
      ...(o.startedBy !== undefined ? { startedBy: o.startedBy } : {}),
      ...(o.serviceArn !== undefined ? { serviceArn: o.serviceArn } : {}),
      ...(o.deploymentId !== undefined ? { deploymentId: o.deploymentId } : {}),
      ...(subnetId !== undefined ? { subnetId } : {}),
      ...(o.network ? { securityGroups: [...o.network.securityGroups] } : {}),
    };
    this.sim.state.tasks.set(arn, t);
    this.sim.log('ecs.task.state', {
      taskArn: arn,
      from: null,
      to: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      group: t.group,
      service: t.serviceArn ?? null,
      deploymentId: t.deploymentId ?? null,
      taskDefinitionArn: t.taskDefinitionArn,
      containerInstanceArn: t.containerInstanceArn,
      instanceId: t.ec2InstanceId,
      az: t.az,
      address: t.address,
    });
    t.job = this.sim.schedule('ecs.task.pending', { taskArn: arn }, this.sim.params.taskProvisionMs);
    return t;
  }

  private onPending(t: Task): void {
    if (t.lastStatus !== 'PROVISIONING' || t.desiredStatus !== 'RUNNING') return;
    t.pullStartedAt = this.sim.now();
    this.setStatus(t, 'PENDING');
    t.job = this.sim.schedule('ecs.task.start', { taskArn: t.arn }, this.sim.params.taskStartMs);
  }

  private resolveSecret(valueFrom: string): string | undefined {
    const direct = this.sim.deps.resolveSecret(valueFrom);
    if (direct !== undefined) return direct;
    // arn:aws:secretsmanager:region:account:secret:name[-suffix]:json-key:version-stage:version-id
    const parts = valueFrom.split(':');
    if (parts[2] !== 'secretsmanager' || parts.length <= 7) return undefined;
    const base = this.sim.deps.resolveSecret(parts.slice(0, 7).join(':'));
    const key = parts[7];
    if (base === undefined || !key) return base;
    try {
      const obj: unknown = JSON.parse(base);
      if (obj && typeof obj === 'object') {
        const v = (obj as Record<string, unknown>)[key];
        return typeof v === 'string' ? v : v === undefined ? undefined : JSON.stringify(v);
      }
    } catch {
      return undefined;
    }
    return undefined;
  }

  private onStart(t: Task): void {
    if (t.lastStatus !== 'PENDING' || t.desiredStatus !== 'RUNNING') return;
    const ci = this.sim.state.containerInstances.get(t.containerInstanceArn);
    const inst = this.sim.state.instances.get(t.ec2InstanceId);
    if (!ci || !inst || inst.state !== 'running') {
      this.stop(
        t,
        'TaskFailedToStart',
        'Task failed to start: the container instance is no longer available.',
        { immediate: true },
      );
      return;
    }
    const td = [...this.sim.state.taskDefinitions.values()].find((x) => x.arn === t.taskDefinitionArn);
    const secrets: Record<string, Record<string, string>> = {};
    for (const c of td?.containerDefinitions ?? []) {
      secrets[c.name] = {};
      for (const s of c.secrets) {
        const v = this.resolveSecret(s.valueFrom);
        if (v === undefined) {
          this.stop(
            t,
            'TaskFailedToStart',
            `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): ResourceNotFoundException: Secrets Manager can't find the specified secret. (${s.name})`,
            { immediate: true },
          );
          return;
        }
        (secrets[c.name] as Record<string, string>)[s.name] = v;
      }
    }
    t.pullStoppedAt = this.sim.now();
    t.startedAt = this.sim.now();
    t.started = true;
    for (const c of t.containers) c.lastStatus = 'RUNNING';
    this.setStatus(t, 'RUNNING');
    this.register(t, td);
    const info = this.runtimeInfo(t, td, secrets);
    this.sim.log('ecs.task.started', {
      ...taskLogFields(t),
      volumes: info.attachedVolumes.map((v) => ({
        volumeId: v.volumeId,
        device: v.device,
        az: v.availabilityZone,
        tags: { ...v.tags },
      })),
    });
    // With no listener reporting health, a health-checked container passes after its start period.
    for (const c of td?.containerDefinitions ?? []) {
      if (!c.healthCheck) continue;
      const delay =
        (c.healthCheck.startPeriod && c.healthCheck.startPeriod > 0
          ? c.healthCheck.startPeriod
          : c.healthCheck.interval) * 1000;
      this.sim.schedule('ecs.task.autoHealth', { taskArn: t.arn }, delay);
    }
    for (const l of this.sim.listeners) this.notifyStarted(l, t, info);
  }

  /**
   * ECS service discovery: a service task that reaches RUNNING is registered in its service's Cloud
   * Map registry (instance id = task id) with the attributes ECS sets; health starts HEALTHY.
   */
  private register(t: Task, td: TaskDefinition | undefined): void {
    const port = this.sim.deps.serviceDiscovery;
    const svc = t.serviceArn ? this.sim.state.services.get(t.serviceArn) : undefined;
    if (!port || !svc || !td) return;
    for (const reg of svc.serviceRegistries ?? []) {
      const attributes: Record<string, string> = {
        AWS_INSTANCE_IPV4: t.address,
        AVAILABILITY_ZONE: t.az,
        AWS_INIT_HEALTH_STATUS: 'HEALTHY',
        ECS_CLUSTER_NAME: t.clusterArn.split('/').pop() ?? '',
        ECS_SERVICE_NAME: svc.name,
        ECS_TASK_DEFINITION_FAMILY: td.family,
        REGION: this.sim.region,
      };
      const srvPort = reg.port ?? this.srvPort(t, reg.containerName, reg.containerPort, td);
      if (srvPort !== undefined) attributes['AWS_INSTANCE_PORT'] = String(srvPort);
      port.register(reg.registryArn, t.id, attributes, `ecs:${t.arn}`);
      t.registrations = [...(t.registrations ?? []), { registryArn: reg.registryArn, instanceId: t.id }];
    }
  }

  /** The SRV port of a container port: the host port in bridge/host mode, the container port with awsvpc. */
  private srvPort(
    t: Task,
    container: string | undefined,
    containerPort: number | undefined,
    td: TaskDefinition,
  ): number | undefined {
    if (container === undefined || containerPort === undefined) return undefined;
    if (td.networkMode === 'awsvpc') return containerPort;
    const c = t.containers.find((x) => x.name === container);
    return c?.networkBindings.find((b) => b.containerPort === containerPort)?.hostPort ?? containerPort;
  }

  /** Deregisters a task from Cloud Map (ECS does it as soon as the task starts stopping). */
  private deregister(t: Task, reason: string): void {
    const port = this.sim.deps.serviceDiscovery;
    for (const reg of t.registrations ?? []) port?.deregister(reg.registryArn, reg.instanceId, reason);
    delete t.registrations;
  }

  runtimeInfo(
    t: Task,
    td?: TaskDefinition,
    secrets: Record<string, Record<string, string>> = {},
  ): TaskRuntimeInfo {
    const def = td ?? [...this.sim.state.taskDefinitions.values()].find((x) => x.arn === t.taskDefinitionArn);
    const inst = this.sim.state.instances.get(t.ec2InstanceId);
    const volumes: TaskRuntimeInfo['volumes'] = {};
    for (const v of def?.volumes ?? [])
      volumes[v.name] = v.host?.sourcePath !== undefined ? { hostSourcePath: v.host.sourcePath } : {};
    const attached = this.sim.ebs
      .attachmentsOf(t.ec2InstanceId)
      .filter(
        ({ attachment }) => attachment.state === 'attached' && attachment.device !== inst?.rootDeviceName,
      )
      .map(({ volume, attachment }) => ({
        volumeId: volume.volumeId,
        device: attachment.device,
        availabilityZone: volume.az,
        tags: { ...volume.tags },
        data: volume.data,
      }));
    return {
      taskArn: t.arn,
      clusterArn: t.clusterArn,
      taskDefinitionArn: t.taskDefinitionArn,
      family: def?.family ?? '',
      revision: def?.revision ?? 0,
      containerInstanceArn: t.containerInstanceArn,
      ec2InstanceId: t.ec2InstanceId,
      availabilityZone: t.az,
      address: t.address,
      containers: t.containers.map((c) => {
        const cd = def?.containerDefinitions.find((x) => x.name === c.name);
        return {
          name: c.name,
          image: c.image,
          environment: { ...c.environment },
          secrets: { ...(secrets[c.name] ?? {}) },
          portMappings: (cd?.portMappings ?? []).map((p) =>
            p.hostPort !== undefined
              ? { containerPort: p.containerPort, hostPort: p.hostPort }
              : { containerPort: p.containerPort },
          ),
          mountPoints: (cd?.mountPoints ?? []).map((m) => ({
            sourceVolume: m.sourceVolume,
            containerPath: m.containerPath,
          })),
        };
      }),
      volumes,
      attachedVolumes: attached,
      ...(t.group ? { group: t.group } : {}),
      ...(t.startedBy !== undefined ? { startedBy: t.startedBy } : {}),
    };
  }

  control(t: Task): TaskControl {
    return {
      setHealth: (status) => {
        const cur = this.sim.state.tasks.get(t.arn);
        if (!cur || cur.desiredStatus !== 'RUNNING' || cur.lastStatus !== 'RUNNING') return;
        if (status !== 'HEALTHY' && status !== 'UNHEALTHY' && status !== 'UNKNOWN') return;
        cur.healthFromListener = true;
        this.applyHealth(cur, status, 'reported by the task');
      },
      exit: (exitCode, reason) => {
        const cur = this.sim.state.tasks.get(t.arn);
        if (!cur || cur.lastStatus === 'STOPPED' || cur.desiredStatus === 'STOPPED') return;
        this.exit(cur, Number.isInteger(exitCode) ? exitCode : 1, String(reason));
      },
    };
  }

  private notifyStarted(l: TaskLifecycleHooks, t: Task, info: TaskRuntimeInfo): void {
    if (!l.onTaskStarted) return;
    try {
      const p = l.onTaskStarted(info, this.control(t));
      if (p && typeof p.catch === 'function')
        p.catch((err: unknown) => this.listenerError('onTaskStarted', t, err));
    } catch (err) {
      this.listenerError('onTaskStarted', t, err);
    }
  }

  private notifyStopped(t: Task): void {
    if (!t.started) return;
    const info = this.runtimeInfo(t);
    const reason = t.stoppedReason ?? '';
    for (const l of this.sim.listeners) {
      if (!l.onTaskStopped) continue;
      try {
        const p = l.onTaskStopped(info, reason);
        if (p && typeof p.catch === 'function')
          p.catch((err: unknown) => this.listenerError('onTaskStopped', t, err));
      } catch (err) {
        this.listenerError('onTaskStopped', t, err);
      }
    }
  }

  private listenerError(where: string, t: Task, err: unknown): void {
    this.sim.log('ecs.task.listener-error', {
      taskArn: t.arn,
      where,
      error: err instanceof Error ? err.message : String(err),
    });
  }

  /** A newly added listener also learns of the tasks already running (it runs "inside" them). */
  replayTo(l: TaskLifecycleHooks): void {
    for (const t of this.sim.state.tasks.values())
      if (t.started && t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING')
        this.notifyStarted(l, t, this.runtimeInfo(t));
  }

  private applyHealth(t: Task, status: HealthStatus, why: string): void {
    for (const c of t.containers) if (c.hasHealthCheck && c.lastStatus === 'RUNNING') c.healthStatus = status;
    const checked = t.containers.filter((c) => c.hasHealthCheck && c.essential);
    let next: HealthStatus = 'UNKNOWN';
    if (checked.length) {
      if (checked.some((c) => c.healthStatus === 'UNHEALTHY')) next = 'UNHEALTHY';
      else if (checked.every((c) => c.healthStatus === 'HEALTHY')) next = 'HEALTHY';
    }
    if (next === t.healthStatus) return;
    const from = t.healthStatus;
    t.healthStatus = next;
    t.version += 1;
    this.sim.log('ecs.task.health', { taskArn: t.arn, from, to: next, service: t.serviceArn ?? null, why });
    // Container health goes to the Cloud Map instance (when its service has a custom health config).
    if (next !== 'UNKNOWN')
      for (const reg of t.registrations ?? [])
        this.sim.deps.serviceDiscovery?.setHealth(reg.registryArn, reg.instanceId, next);
    if (next === 'HEALTHY') this.sim.ecs.scheduler.onTaskHealthy(t);
    this.sim.ecs.kickScheduler();
  }

  // ---------------------------------------------------------------------------------------------
  // Stopping

  /** Asks a task to stop: RUNNING tasks get the stop timeout, others go straight to deprovisioning. */
  stop(t: Task, stopCode: string, reason: string, opts: StopOptions = {}): void {
    if (t.lastStatus === 'STOPPED') return;
    const first = t.desiredStatus !== 'STOPPED';
    if (first) {
      t.desiredStatus = 'STOPPED';
      t.stoppingAt = this.sim.now();
      t.stopCode = stopCode;
      t.stoppedReason = reason;
      t.version += 1;
      this.sim.log('ecs.task.stopping', {
        taskArn: t.arn,
        lastStatus: t.lastStatus,
        service: t.serviceArn ?? null,
        instanceId: t.ec2InstanceId,
        stopCode,
        stoppedReason: reason,
      });
      this.deregister(t, `task stopping: ${stopCode}`);
      if (t.serviceArn) this.sim.ecs.scheduler.onTaskStopping(t);
    } else if (!opts.immediate) return;
    this.sim.cancel(t.job);
    delete t.job;
    if (opts.exitCode !== undefined || opts.immediate || t.lastStatus !== 'RUNNING') {
      this.onContainersExited(
        t,
        opts.exitCode ?? (opts.immediate ? 137 : 0),
        opts.containerReason,
        opts.immediate,
      );
      return;
    }
    t.job = this.sim.schedule('ecs.task.exited', { taskArn: t.arn }, this.sim.params.taskStopMs);
  }

  /** The essential container exited on its own. */
  exit(t: Task, exitCode: number, reason: string): void {
    const ess = t.containers.find((c) => c.essential);
    if (ess) ess.reason = reason;
    this.stop(t, 'EssentialContainerExited', `Essential container in task exited`, {
      exitCode,
      containerReason: reason,
    });
  }

  private onContainersExited(t: Task, exitCode: number, containerReason?: string, immediate = false): void {
    if (t.lastStatus === 'STOPPED' || t.lastStatus === 'DEPROVISIONING') {
      if (immediate && t.lastStatus === 'DEPROVISIONING') this.onStopped(t);
      return;
    }
    const wasStarted = t.started;
    t.executionStoppedAt = this.sim.now();
    for (const c of t.containers) {
      if (c.lastStatus === 'RUNNING') c.exitCode = exitCode;
      if (containerReason !== undefined && c.essential && c.reason === undefined) c.reason = containerReason;
      c.lastStatus = 'STOPPED';
    }
    if (wasStarted) this.notifyStopped(t);
    this.setStatus(t, 'DEPROVISIONING');
    if (immediate) this.onStopped(t);
    else t.job = this.sim.schedule('ecs.task.stopped', { taskArn: t.arn }, this.sim.params.taskDeprovisionMs);
  }

  private onStopped(t: Task): void {
    if (t.lastStatus === 'STOPPED') return;
    this.sim.cancel(t.job);
    delete t.job;
    t.stoppedAt = this.sim.now();
    this.setStatus(t, 'STOPPED');
    this.sim.schedule('ecs.task.purge', { taskArn: t.arn }, this.sim.params.stoppedTaskRetentionMs);
  }

  /** The task's host is going away (stop/terminate) or the instance was spot-reclaimed. */
  onInstanceState(inst: Instance, _from: InstanceStateName, to: InstanceStateName): void {
    if (to !== 'stopping' && to !== 'shutting-down' && to !== 'terminated' && to !== 'stopped') return;
    const spot =
      this.sim.state.interruptions.has(inst.instanceId) ||
      inst.stateReason?.code === 'Server.SpotInstanceTermination';
    for (const t of [...this.sim.state.tasks.values()]) {
      if (t.ec2InstanceId !== inst.instanceId || t.lastStatus === 'STOPPED') continue;
      const verb = to === 'stopping' || to === 'stopped' ? 'stopped' : 'terminated';
      if (spot) this.stop(t, 'SpotInterruption', 'Your Spot Task was interrupted.', { immediate: true });
      else
        this.stop(t, 'TerminationNotice', `Host EC2 (instance ${inst.instanceId}) ${verb}.`, {
          immediate: true,
        });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Wire

  wire(t: Task, include: string[] = []): Wire {
    const d = (ms: number | undefined): Date | undefined => (ms === undefined ? undefined : new Date(ms));
    const td = [...this.sim.state.taskDefinitions.values()].find((x) => x.arn === t.taskDefinitionArn);
    return compact({
      taskArn: t.arn,
      clusterArn: t.clusterArn,
      taskDefinitionArn: t.taskDefinitionArn,
      containerInstanceArn: t.containerInstanceArn,
      overrides: { containerOverrides: t.overrides.containerOverrides, inferenceAcceleratorOverrides: [] },
      lastStatus: t.lastStatus,
      desiredStatus: t.desiredStatus,
      cpu: String(t.cpu),
      memory: String(t.memory),
      containers: t.containers.map((c) =>
        compact({
          containerArn: c.containerArn,
          taskArn: t.arn,
          name: c.name,
          image: c.image,
          runtimeId: c.lastStatus === 'PENDING' ? undefined : `${t.id}-${c.name}`,
          lastStatus: c.lastStatus,
          exitCode: c.exitCode,
          reason: c.reason,
          networkBindings: c.networkBindings,
          networkInterfaces: [{ attachmentId: `${t.id}-eni`, privateIpv4Address: t.address }],
          healthStatus: c.hasHealthCheck ? c.healthStatus : undefined,
          cpu: String(c.cpu),
          memory: c.memory !== undefined ? String(c.memory) : undefined,
          memoryReservation: c.memoryReservation !== undefined ? String(c.memoryReservation) : undefined,
        }),
      ),
      startedBy: t.startedBy,
      version: t.version,
      stoppedReason: t.stoppedReason,
      stopCode: t.stopCode,
      connectivity: t.lastStatus === 'STOPPED' ? undefined : 'CONNECTED',
      connectivityAt: d(t.createdAt),
      pullStartedAt: d(t.pullStartedAt),
      pullStoppedAt: d(t.pullStoppedAt),
      executionStoppedAt: d(t.executionStoppedAt),
      createdAt: d(t.createdAt),
      startedAt: d(t.startedAt),
      stoppingAt: d(t.stoppingAt),
      stoppedAt: d(t.stoppedAt),
      group: t.group,
      launchType: 'EC2',
      availabilityZone: t.az,
      attachments:
        td?.networkMode === 'awsvpc'
          ? [
              {
                id: `${t.id}-eni`,
                type: 'ElasticNetworkInterface',
                status: t.lastStatus === 'STOPPED' ? 'DELETED' : 'ATTACHED',
                details: [
                  {
                    name: 'subnetId',
                    value: t.subnetId ?? this.sim.state.instances.get(t.ec2InstanceId)?.subnetId ?? '',
                  },
                  { name: 'networkInterfaceId', value: `eni-${t.id.slice(0, 17)}` },
                  { name: 'privateIPv4Address', value: t.address },
                  ...(t.securityGroups
                    ? [{ name: 'securityGroups', value: t.securityGroups.join(',') }]
                    : []),
                ],
              },
            ]
          : [],
      healthStatus: t.healthStatus,
      tags: include.includes('TAGS') ? ecsTagsWire(t.tags) : [],
      enableExecuteCommand: false,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  private readOverrides(r: Reader): Task['overrides'] {
    const o = r.obj('overrides');
    if (!o) return { containerOverrides: [] };
    return {
      containerOverrides: o.objList('containerOverrides').map((c) => {
        const env = c
          .objList('environment')
          .map((e) => ({ name: e.reqStr('name'), value: e.str('value') ?? '' }));
        return { name: c.reqStr('name'), ...(env.length ? { environment: env } : {}) };
      }),
    };
  }

  readonly operations: Record<string, OperationHandler> = {
    RunTask: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const lt = r.str('launchType');
      if (lt !== undefined && lt !== 'EC2')
        throw ecsInvalid(`Launch type ${lt} is not available in this cluster: the twin simulates EC2 only.`);
      if (r.has('capacityProviderStrategy'))
        throw ecsInvalid('capacityProviderStrategy is not supported by the twin; use launchType EC2.');
      const td = this.taskDefs.resolveActive(r.reqStr('taskDefinition'));
      const count = r.int('count', { min: 1, max: 10 }) ?? 1;
      const startedBy = r.str('startedBy');
      if (startedBy !== undefined && startedBy.length > 128)
        throw ecsInvalid('startedBy can be at most 128 characters.');
      const group = r.str('group') ?? `family:${td.family}`;
      const { constraints, strategies } = readPlacement(r);
      const overrides = this.readOverrides(r);
      for (const c of overrides.containerOverrides)
        if (!td.containerDefinitions.some((x) => x.name === c.name))
          throw ecsInvalid(`Container override for unknown container '${c.name}'.`);
      const tags = readEcsTags(r);
      const network = this.sim.ecs.services.readNetwork(r, td);
      const hasInstances = [...this.sim.state.containerInstances.values()].some(
        (ci) => ci.clusterArn === cluster.arn && ci.status !== 'INACTIVE',
      );
      if (!hasInstances) throw ecsInvalid('No Container Instances were found in your cluster.');
      const tasks: Wire[] = [];
      const failures: Wire[] = [];
      for (let i = 0; i < count; i++) {
        const res = this.placement.place({
          clusterArn: cluster.arn,
          group,
          needs: taskNeeds(td),
          constraints: [
            ...td.placementConstraints.map((c) => ({
              type: 'memberOf' as const,
              ...(c.expression !== undefined ? { expression: c.expression } : {}),
            })),
            ...constraints,
          ],
          strategies: strategies.length ? strategies : [{ type: 'random' }],
        });
        if (!res.ok) {
          failures.push(...(res.failures.length ? res.failures : [{ arn: cluster.arn, reason: res.reason }]));
          continue;
        }
        const t = this.create({
          td,
          ci: res.ci,
          group,
          overrides,
          tags,
          ...(startedBy !== undefined ? { startedBy } : {}),
          ...(network ? { network } : {}),
        });
        tasks.push(this.wire(t));
      }
      return { tasks, failures };
    },

    StopTask: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const ref = r.reqStr('task');
      const reason = r.str('reason');
      if (reason !== undefined && reason.length > 255)
        throw ecsInvalid('reason can be at most 255 characters.');
      const t = this.find(cluster.arn, ref);
      if (!t) throw ecsInvalid('The referenced task was not found.');
      this.stop(t, 'UserInitiated', reason ?? 'Task stopped by user');
      return { task: this.wire(t) };
    },

    ListTasks: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const ciRef = r.str('containerInstance');
      const family = r.str('family');
      const serviceName = r.str('serviceName');
      if (family !== undefined && serviceName !== undefined)
        throw ecsInvalid('family and serviceName cannot be specified together.');
      const startedBy = r.str('startedBy');
      const desired = r.enumOf('desiredStatus', ['RUNNING', 'PENDING', 'STOPPED'] as const) ?? 'RUNNING';
      const lt = r.str('launchType');
      let ciArn: string | undefined;
      if (ciRef !== undefined) {
        const ci = this.cis.find(cluster.arn, ciRef);
        if (!ci) throw ecsInvalid('The referenced container instance was not found.');
        ciArn = ci.arn;
      }
      let svcArn: string | undefined;
      if (serviceName !== undefined) svcArn = this.sim.ecs.services.get(cluster, serviceName).arn;
      const tdFamily = (arn: string): string => /task-definition\/([^:]+):/.exec(arn)?.[1] ?? '';
      const arns = [...this.sim.state.tasks.values()]
        .filter(
          (t) =>
            t.clusterArn === cluster.arn &&
            desired !== 'PENDING' &&
            t.desiredStatus === desired &&
            (ciArn === undefined || t.containerInstanceArn === ciArn) &&
            (family === undefined || tdFamily(t.taskDefinitionArn) === family) &&
            (svcArn === undefined || t.serviceArn === svcArn) &&
            (startedBy === undefined || t.startedBy === startedBy) &&
            (lt === undefined || lt === 'EC2'),
        )
        .map((t) => t.arn);
      const { page, next } = paginate(
        arns,
        r.str('nextToken'),
        r.int('maxResults', { min: 1, max: 100 }) ?? 100,
        `tasks:${cluster.name}:${ciArn ?? ''}:${family ?? ''}:${svcArn ?? ''}:${startedBy ?? ''}:${desired}`,
        ecsBadToken,
      );
      return compact({ taskArns: page, nextToken: next });
    },

    DescribeTasks: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const refs = r.strList('tasks');
      if (!refs.length) throw ecsInvalid('Tasks cannot be empty.');
      if (refs.length > 100) throw ecsInvalid('Tasks cannot be longer than 100.');
      const include = r.strList('include');
      const tasks: Wire[] = [];
      const failures: Wire[] = [];
      for (const ref of refs) {
        const t = this.find(cluster.arn, ref);
        if (t) tasks.push(this.wire(t, include));
        else
          failures.push({
            arn: ref.startsWith('arn:') ? ref : this.arn(cluster.arn, ref),
            reason: 'MISSING',
          });
      }
      return { tasks, failures };
    },
  };

  /** Used by the fault API. */
  kill(taskArn: string, exitCode: number): Task {
    const t =
      this.sim.state.tasks.get(taskArn) ?? [...this.sim.state.tasks.values()].find((x) => x.id === taskArn);
    if (!t) throw new AwsError('InvalidParameterException', `Task ${taskArn} not found.`);
    if (t.lastStatus === 'STOPPED' || t.desiredStatus === 'STOPPED') return t;
    this.exit(t, exitCode, `Killed by fault injection (exit code ${exitCode})`);
    return t;
  }
}
