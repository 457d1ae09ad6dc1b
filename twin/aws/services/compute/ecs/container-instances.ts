/**
 * ECS container instances: the simulated ECS agent registers a running EC2 instance in the cluster
 * named by its user data (`ECS_CLUSTER`, default "default"), retrying while that cluster does not
 * exist; agent connectivity follows the instance (stop, termination, AZ failure). Also resource
 * accounting, built-in and custom attributes, DRAINING, and the container-instance operations.
 */
import { AwsError, type OperationHandler, type Wire } from '../../../contract.js';
import { ecsBadToken, ecsInvalid, ecsReader } from '../errors.js';
import type { Sim } from '../sim.js';
import type { ContainerInstance, Instance, InstanceStateName, Task } from '../state.js';
import { compact, paginate } from '../util.js';
import type { Clusters } from './clusters.js';
import { readEcsTags, ecsTagsWire } from './clusters.js';
import { QueryError, evaluateQuery, parseQuery, type QueryTarget } from './query.js';

export const AGENT_VERSION = '1.89.0';
const RESERVED_PORTS = [22, 2375, 2376, 51678, 51679];
const ATTR_NAME_RE = /^[a-zA-Z0-9_.\-/@]{1,128}$/;
const ATTR_VALUE_RE = /^([a-zA-Z0-9_.\-/@\\: ]{0,128})$/;
const MAX_CUSTOM_ATTRIBUTES = 10;

export interface Usage {
  cpu: number;
  memory: number;
  ports: number[];
}

export class ContainerInstances {
  constructor(
    private readonly sim: Sim,
    private readonly clusters: Clusters,
  ) {
    sim.on('ecs.agent.register', (a) => this.onAgentStart(String(a['instanceId'])));
    sim.on('ecs.ci.purge', (a) => {
      const ci = sim.state.containerInstances.get(String(a['arn']));
      if (ci?.status === 'INACTIVE') sim.state.containerInstances.delete(ci.arn);
    });
  }

  arn(clusterName: string, id: string): string {
    return `arn:aws:ecs:${this.sim.region}:${this.sim.accountId}:container-instance/${clusterName}/${id}`;
  }

  /** By ARN or id within a cluster. */
  find(clusterArn: string, ref: string): ContainerInstance | undefined {
    const direct = this.sim.state.containerInstances.get(ref);
    if (direct) return direct.clusterArn === clusterArn ? direct : undefined;
    return [...this.sim.state.containerInstances.values()].find(
      (ci) => ci.clusterArn === clusterArn && ci.id === ref,
    );
  }

  ofInstance(instanceId: string): ContainerInstance | undefined {
    return [...this.sim.state.containerInstances.values()].find(
      (ci) => ci.ec2InstanceId === instanceId && ci.status !== 'INACTIVE',
    );
  }

  tasksOn(ci: ContainerInstance): Task[] {
    return [...this.sim.state.tasks.values()].filter(
      (t) => t.containerInstanceArn === ci.arn && t.lastStatus !== 'STOPPED',
    );
  }

  usage(ci: ContainerInstance): Usage {
    const u: Usage = { cpu: 0, memory: 0, ports: [...ci.reservedPorts] };
    for (const t of this.tasksOn(ci)) {
      u.cpu += t.cpu;
      u.memory += t.memory;
      u.ports.push(...t.hostPorts);
    }
    return u;
  }

  /** Can take new placements: ACTIVE, agent connected, instance running and not impaired. */
  usable(ci: ContainerInstance): boolean {
    const inst = this.sim.state.instances.get(ci.ec2InstanceId);
    return ci.status === 'ACTIVE' && ci.agentConnected && inst?.state === 'running' && !inst.impaired;
  }

  attr(ci: ContainerInstance, name: string): string | undefined {
    return ci.attributes.find((a) => a.name === name)?.value;
  }

  queryTarget(ci: ContainerInstance): QueryTarget {
    const attributes: Record<string, string | undefined> = {};
    for (const a of ci.attributes) attributes[a.name] = a.value ?? '';
    return {
      attributes,
      ec2InstanceId: ci.ec2InstanceId,
      agentConnected: ci.agentConnected,
      agentVersion: AGENT_VERSION,
      registeredAt: ci.registeredAt,
      taskGroups: [...new Set(this.tasksOn(ci).map((t) => t.group))],
    };
  }

  private setState(
    ci: ContainerInstance,
    patch: Partial<Pick<ContainerInstance, 'status' | 'agentConnected' | 'statusReason'>>,
    why: string,
  ): void {
    const before = { status: ci.status, agentConnected: ci.agentConnected };
    Object.assign(ci, patch);
    if (before.status === ci.status && before.agentConnected === ci.agentConnected) return;
    ci.version += 1;
    if (ci.status === 'INACTIVE' && before.status !== 'INACTIVE')
      this.sim.schedule(
        'ecs.ci.purge',
        { arn: ci.arn },
        this.sim.params.inactiveContainerInstanceRetentionMs,
      );
    this.sim.log('ecs.containerInstance.state', {
      containerInstanceArn: ci.arn,
      ec2InstanceId: ci.ec2InstanceId,
      cluster: ci.clusterArn,
      from: before.status,
      to: ci.status,
      agentConnected: ci.agentConnected,
      why,
    });
    this.sim.ecs.kickScheduler();
  }

  // ---------------------------------------------------------------------------------------------
  // The simulated agent

  onInstanceState(inst: Instance, _from: InstanceStateName, to: InstanceStateName): void {
    if (to === 'running') {
      this.sim.schedule(
        'ecs.agent.register',
        { instanceId: inst.instanceId },
        this.sim.params.agentRegistrationMs,
      );
      return;
    }
    const ci = this.ofInstance(inst.instanceId);
    if (!ci) return;
    if (to === 'stopping' || to === 'shutting-down' || to === 'stopped') {
      this.setState(ci, { agentConnected: false }, `instance ${to}`);
    } else if (to === 'terminated') {
      ci.deregisteredAt = this.sim.now();
      this.setState(
        ci,
        { status: 'INACTIVE', agentConnected: false, statusReason: 'Instance terminated' },
        'instance terminated',
      );
    }
  }

  onInstanceImpaired(inst: Instance): void {
    const ci = this.ofInstance(inst.instanceId);
    if (!ci || inst.state !== 'running') return;
    this.setState(
      ci,
      { agentConnected: !inst.impaired },
      inst.impaired ? 'instance impaired (AZ failure)' : 'instance recovered',
    );
  }

  private onAgentStart(instanceId: string): void {
    const inst = this.sim.state.instances.get(instanceId);
    if (inst?.state !== 'running') return;
    const existing = this.ofInstance(instanceId);
    if (existing) {
      if (!inst.impaired) this.setState(existing, { agentConnected: true }, 'agent reconnected');
      return;
    }
    const clusterName = inst.ecsConfig['ECS_CLUSTER'] || 'default';
    const cluster = this.clusters.find(clusterName);
    if (!cluster) {
      // The real agent keeps retrying registration until the cluster exists.
      this.sim.log('ecs.agent.registration-failed', {
        instanceId,
        cluster: clusterName,
        reason: 'ClusterNotFoundException',
      });
      this.sim.schedule('ecs.agent.register', { instanceId }, this.sim.params.agentRegistrationMs);
      return;
    }
    this.register(inst, cluster.name, cluster.arn, {}, {});
  }

  register(
    inst: Instance,
    clusterName: string,
    clusterArn: string,
    extraAttributes: Record<string, string>,
    tags: Record<string, string>,
  ): ContainerInstance {
    const { cpu, memory } = this.sim.ec2.size(inst);
    const id = this.sim.hex(32);
    const builtIn: Record<string, string> = {
      'ecs.availability-zone': inst.az,
      'ecs.instance-type': inst.instanceType,
      'ecs.ami-id': inst.imageId,
      'ecs.os-type': 'linux',
      'ecs.os-family': 'LINUX',
      'ecs.cpu-architecture': 'x86_64',
      'ecs.vpc-id': inst.vpcId,
      'ecs.subnet-id': inst.subnetId,
      'ecs.capability.secrets.asm.environment-variables': '',
      'ecs.capability.execution-role-awslogs': '',
      'ecs.capability.container-health-check': '',
      'com.amazonaws.ecs.capability.docker-remote-api.1.18': '',
      'com.amazonaws.ecs.capability.logging-driver.awslogs': '',
    };
    const custom: Record<string, string> = {};
    const fromUserData = inst.ecsConfig['ECS_INSTANCE_ATTRIBUTES'];
    if (fromUserData) {
      try {
        const parsed: unknown = JSON.parse(fromUserData);
        if (parsed && typeof parsed === 'object')
          for (const [k, v] of Object.entries(parsed as Record<string, unknown>))
            if (typeof v === 'string') custom[k] = v;
      } catch {
        this.sim.log('ecs.agent.config-error', {
          instanceId: inst.instanceId,
          error: 'ECS_INSTANCE_ATTRIBUTES is not valid JSON',
        });
      }
    }
    const ci: ContainerInstance = {
      arn: this.arn(clusterName, id),
      id,
      clusterArn,
      ec2InstanceId: inst.instanceId,
      status: 'ACTIVE',
      agentConnected: !inst.impaired,
      cpu,
      memory,
      reservedPorts: [...RESERVED_PORTS],
      attributes: Object.entries({ ...builtIn, ...custom, ...extraAttributes }).map(([name, value]) =>
        value === '' ? { name } : { name, value },
      ),
      registeredAt: this.sim.now(),
      version: 1,
      tags,
    };
    this.sim.state.containerInstances.set(ci.arn, ci);
    this.sim.log('ecs.containerInstance.state', {
      containerInstanceArn: ci.arn,
      ec2InstanceId: inst.instanceId,
      cluster: clusterArn,
      from: null,
      to: 'ACTIVE',
      agentConnected: ci.agentConnected,
      az: inst.az,
      why: 'agent registered',
    });
    this.sim.ecs.kickScheduler();
    return ci;
  }

  // ---------------------------------------------------------------------------------------------
  // Wire

  wire(ci: ContainerInstance, include: string[] = []): Wire {
    const u = this.usage(ci);
    const tasks = this.tasksOn(ci).filter((t) => t.desiredStatus === 'RUNNING');
    const res = (cpu: number, mem: number, ports: number[]): Wire[] => [
      { name: 'CPU', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: cpu },
      { name: 'MEMORY', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: mem },
      {
        name: 'PORTS',
        type: 'STRINGSET',
        doubleValue: 0,
        longValue: 0,
        integerValue: 0,
        stringSetValue: ports.map(String),
      },
      {
        name: 'PORTS_UDP',
        type: 'STRINGSET',
        doubleValue: 0,
        longValue: 0,
        integerValue: 0,
        stringSetValue: [],
      },
    ];
    return compact({
      containerInstanceArn: ci.arn,
      ec2InstanceId: ci.ec2InstanceId,
      version: ci.version,
      versionInfo: {
        agentVersion: AGENT_VERSION,
        agentHash: '0c1a9c3e',
        dockerVersion: 'DockerVersion: 25.0.8',
      },
      remainingResources: res(ci.cpu - u.cpu, ci.memory - u.memory, u.ports),
      registeredResources: res(ci.cpu, ci.memory, ci.reservedPorts),
      status: ci.status,
      statusReason: ci.statusReason,
      agentConnected: ci.agentConnected,
      runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
      pendingTasksCount: tasks.filter((t) => t.lastStatus !== 'RUNNING').length,
      attributes: ci.attributes.map((a) => compact({ name: a.name, value: a.value })),
      registeredAt: new Date(ci.registeredAt),
      attachments: [],
      tags: include.includes('TAGS') ? ecsTagsWire(ci.tags) : [],
      healthStatus: include.includes('CONTAINER_INSTANCE_HEALTH')
        ? { overallStatus: ci.agentConnected ? 'OK' : 'IMPAIRED', details: [] }
        : undefined,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  private readAttributeTargets(
    input: unknown,
    forDelete: boolean,
  ): { ci: ContainerInstance; name: string; value?: string }[] {
    const r = ecsReader(input);
    const cluster = this.clusters.get(r.str('cluster'));
    const attrs = r.objList('attributes');
    if (!attrs.length) throw ecsInvalid('attributes can not be empty.');
    if (attrs.length > 10) throw ecsInvalid('attributes can have at most 10 items.');
    return attrs.map((a) => {
      const name = a.str('name');
      if (!name || !ATTR_NAME_RE.test(name))
        throw ecsInvalid(
          `Attribute name '${name ?? ''}' is invalid: up to 128 letters, numbers, hyphens, underscores, periods, at signs or forward slashes.`,
        );
      const value = a.str('value');
      if (!forDelete && value !== undefined && (!ATTR_VALUE_RE.test(value) || value !== value.trim()))
        throw ecsInvalid(`Attribute value '${value}' is invalid.`);
      const targetType = a.str('targetType') ?? 'container-instance';
      if (targetType !== 'container-instance') throw ecsInvalid(`Invalid targetType '${targetType}'.`);
      const targetId = a.str('targetId');
      if (!targetId) throw ecsInvalid('targetId is required for container-instance attributes.');
      const ci = this.find(cluster.arn, targetId);
      if (!ci || ci.status === 'INACTIVE')
        throw new AwsError('TargetNotFoundException', `Could not find ${targetId}.`);
      if (!forDelete && name.startsWith('ecs.'))
        throw ecsInvalid(`Attribute names beginning with 'ecs.' are reserved.`);
      return { ci, name, ...(value !== undefined ? { value } : {}) };
    });
  }

  private attributeWire(ci: ContainerInstance, name: string, value: string | undefined): Wire {
    return compact({ name, value, targetType: 'container-instance', targetId: ci.arn });
  }

  readonly operations: Record<string, OperationHandler> = {
    RegisterContainerInstance: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const docText = r.reqStr('instanceIdentityDocument');
      let instanceId: string | undefined;
      try {
        const doc: unknown = JSON.parse(docText);
        if (
          doc &&
          typeof doc === 'object' &&
          typeof (doc as Record<string, unknown>)['instanceId'] === 'string'
        )
          instanceId = (doc as Record<string, string>)['instanceId'];
      } catch {
        // reported below
      }
      if (!instanceId)
        throw ecsInvalid('Invalid instanceIdentityDocument: a JSON document with instanceId is required.');
      const inst = this.sim.state.instances.get(instanceId);
      if (inst?.state !== 'running')
        throw ecsInvalid(`Instance ${instanceId} is not a running EC2 instance.`);
      const attrs: Record<string, string> = {};
      for (const a of r.objList('attributes')) attrs[a.reqStr('name')] = a.str('value') ?? '';
      const existing = this.ofInstance(instanceId);
      if (existing) {
        if (existing.clusterArn !== cluster.arn)
          throw ecsInvalid(`Instance ${instanceId} is registered in another cluster.`);
        this.setState(existing, { agentConnected: true }, 'agent re-registered');
        return { containerInstance: this.wire(existing) };
      }
      const ci = this.register(inst, cluster.name, cluster.arn, attrs, readEcsTags(r));
      return { containerInstance: this.wire(ci) };
    },

    DeregisterContainerInstance: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const ref = r.reqStr('containerInstance');
      const ci = this.find(cluster.arn, ref);
      if (!ci || ci.status === 'INACTIVE')
        throw ecsInvalid('The referenced container instance was not found.');
      const running = this.tasksOn(ci).filter((t) => t.desiredStatus === 'RUNNING');
      if (running.length && !(r.bool('force') ?? false))
        throw ecsInvalid('Found running tasks on the instance.');
      for (const t of running)
        this.sim.ecs.tasks.stop(t, 'InfrastructureHealth', `Container instance ${ci.id} was deregistered.`, {
          immediate: true,
        });
      ci.deregisteredAt = this.sim.now();
      this.setState(ci, { status: 'INACTIVE', agentConnected: false }, 'deregistered');
      return { containerInstance: this.wire(ci) };
    },

    ListContainerInstances: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const status = r.enumOf('status', [
        'ACTIVE',
        'DRAINING',
        'REGISTERING',
        'DEREGISTERING',
        'REGISTRATION_FAILED',
      ] as const);
      const filter = r.str('filter');
      let node: ReturnType<typeof parseQuery> | undefined;
      if (filter !== undefined) {
        try {
          node = parseQuery(filter);
        } catch (err) {
          throw ecsInvalid(
            `Invalid filter expression: ${err instanceof QueryError ? err.message : String(err)}`,
          );
        }
      }
      const arns = [...this.sim.state.containerInstances.values()]
        .filter(
          (ci) =>
            ci.clusterArn === cluster.arn &&
            (status ? ci.status === status : ci.status !== 'INACTIVE') &&
            (!node || evaluateQuery(node, this.queryTarget(ci))),
        )
        .map((ci) => ci.arn);
      const { page, next } = paginate(
        arns,
        r.str('nextToken'),
        r.int('maxResults', { min: 1, max: 100 }) ?? 100,
        `cis:${cluster.name}:${status ?? ''}:${filter ?? ''}`,
        ecsBadToken,
      );
      return compact({ containerInstanceArns: page, nextToken: next });
    },

    DescribeContainerInstances: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const refs = r.strList('containerInstances');
      if (!refs.length) throw ecsInvalid('containerInstances can not be empty.');
      if (refs.length > 100) throw ecsInvalid('containerInstances can have at most 100 items.');
      const include = r.strList('include');
      const containerInstances: Wire[] = [];
      const failures: Wire[] = [];
      for (const ref of refs) {
        const ci = this.find(cluster.arn, ref);
        if (ci) containerInstances.push(this.wire(ci, include));
        else
          failures.push({
            arn: ref.startsWith('arn:') ? ref : this.arn(cluster.name, ref),
            reason: 'MISSING',
          });
      }
      return { containerInstances, failures };
    },

    UpdateContainerInstancesState: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const refs = r.strList('containerInstances');
      if (!refs.length) throw ecsInvalid('containerInstances can not be empty.');
      if (refs.length > 10) throw ecsInvalid('containerInstances can have at most 10 items.');
      const status = r.reqStr('status');
      if (status !== 'ACTIVE' && status !== 'DRAINING')
        throw ecsInvalid(`Container instance status ${status} is not valid; use ACTIVE or DRAINING.`);
      const containerInstances: Wire[] = [];
      const failures: Wire[] = [];
      for (const ref of refs) {
        const ci = this.find(cluster.arn, ref);
        if (!ci) {
          failures.push({ arn: ref, reason: 'MISSING' });
          continue;
        }
        if (ci.status !== 'ACTIVE' && ci.status !== 'DRAINING') {
          failures.push({
            arn: ci.arn,
            reason: `Container instance is ${ci.status}`,
            detail: 'Only ACTIVE or DRAINING container instances can be updated.',
          });
          continue;
        }
        this.setState(ci, { status }, `UpdateContainerInstancesState ${status}`);
        containerInstances.push(this.wire(ci));
      }
      return { containerInstances, failures };
    },

    PutAttributes: (input) => {
      const targets = this.readAttributeTargets(input, false);
      for (const { ci, name } of targets) {
        const customs = new Set(
          ci.attributes
            .filter((a) => !a.name.startsWith('ecs.') && !a.name.startsWith('com.amazonaws.ecs.'))
            .map((a) => a.name),
        );
        customs.add(name);
        for (const t of targets) if (t.ci === ci) customs.add(t.name);
        if (customs.size > MAX_CUSTOM_ATTRIBUTES)
          throw new AwsError(
            'AttributeLimitExceededException',
            `You can apply up to ${MAX_CUSTOM_ATTRIBUTES} custom attributes per resource.`,
          );
      }
      for (const { ci, name, value } of targets) {
        const existing = ci.attributes.find((a) => a.name === name);
        if (existing) {
          if (value === undefined) delete existing.value;
          else existing.value = value;
        } else ci.attributes.push(value === undefined ? { name } : { name, value });
        this.sim.log('ecs.attribute', {
          containerInstanceArn: ci.arn,
          ec2InstanceId: ci.ec2InstanceId,
          name,
          value: value ?? null,
          event: 'put',
        });
      }
      this.sim.ecs.kickScheduler();
      return { attributes: targets.map((t) => this.attributeWire(t.ci, t.name, t.value)) };
    },

    DeleteAttributes: (input) => {
      const targets = this.readAttributeTargets(input, true);
      for (const { ci, name } of targets) {
        if (name.startsWith('ecs.')) throw ecsInvalid(`Attribute names beginning with 'ecs.' are reserved.`);
        ci.attributes = ci.attributes.filter((a) => a.name !== name);
        this.sim.log('ecs.attribute', {
          containerInstanceArn: ci.arn,
          ec2InstanceId: ci.ec2InstanceId,
          name,
          event: 'deleted',
        });
      }
      this.sim.ecs.kickScheduler();
      return { attributes: targets.map((t) => this.attributeWire(t.ci, t.name, t.value)) };
    },

    ListAttributes: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const targetType = r.reqStr('targetType');
      if (targetType !== 'container-instance') throw ecsInvalid(`Invalid targetType '${targetType}'.`);
      const name = r.str('attributeName');
      const value = r.str('attributeValue');
      if (value !== undefined && name === undefined)
        throw ecsInvalid('attributeValue requires attributeName.');
      const rows: Wire[] = [];
      for (const ci of this.sim.state.containerInstances.values()) {
        if (ci.clusterArn !== cluster.arn || ci.status === 'INACTIVE') continue;
        for (const a of ci.attributes)
          if ((name === undefined || a.name === name) && (value === undefined || a.value === value))
            rows.push(this.attributeWire(ci, a.name, a.value));
      }
      const { page, next } = paginate(
        rows,
        r.str('nextToken'),
        r.int('maxResults', { min: 1, max: 100 }) ?? 100,
        `attrs:${cluster.name}:${name ?? ''}:${value ?? ''}`,
        ecsBadToken,
      );
      return compact({ attributes: page, nextToken: next });
    },
  };
}
