/**
 * ECS services (REPLICA, EC2 launch type): CreateService, UpdateService (a new deployment on a new task
 * definition, forceNewDeployment or new placement), DeleteService (DRAINING → INACTIVE once its tasks
 * are gone), DescribeServices (≤ 10, failures for missing ones) and ListServices. The scheduler
 * (scheduler.ts) does the work.
 */
import { AwsError, type OperationHandler, type Wire } from '../../../contract.js';
import { ecsBadToken, ecsInvalid, ecsReader } from '../errors.js';
import type { Sim } from '../sim.js';
import type {
  AwsvpcConfiguration,
  Cluster,
  Deployment,
  Service,
  ServiceRegistry,
  TaskDefinition,
} from '../state.js';
import { compact, paginate, type Reader } from '../util.js';
import type { Clusters } from './clusters.js';
import { ecsTagsWire, readEcsTags } from './clusters.js';
import type { Scheduler } from './scheduler.js';
import type { TaskDefinitions } from './taskdefs.js';
import { readPlacement } from './tasks.js';

const NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;

export class Services {
  constructor(
    private readonly sim: Sim,
    private readonly clusters: Clusters,
    private readonly taskDefs: TaskDefinitions,
    private readonly scheduler: Scheduler,
  ) {}

  arn(clusterName: string, name: string): string {
    return `arn:aws:ecs:${this.sim.region}:${this.sim.accountId}:service/${clusterName}/${name}`;
  }

  /** By name or ARN; only services that are not INACTIVE (else ServiceNotFoundException). */
  get(cluster: Cluster, ref: string): Service {
    const svc = this.lookup(cluster, ref);
    if (!svc || svc.status === 'INACTIVE')
      throw new AwsError('ServiceNotFoundException', 'Service not found.');
    return svc;
  }

  private lookup(cluster: Cluster, ref: string): Service | undefined {
    const name = ref.replace(/^arn:aws[a-z-]*:ecs:[^:]*:\d*:service\/(?:[^/]+\/)?/, '');
    return this.sim.state.services.get(this.arn(cluster.name, name));
  }

  private readDeploymentConfig(
    r: Reader,
    current?: Service,
  ): Pick<Service, 'minimumHealthyPercent' | 'maximumPercent' | 'circuitBreaker'> {
    const dc = r.obj('deploymentConfiguration');
    const max = dc?.int('maximumPercent') ?? current?.maximumPercent ?? 200;
    const min = dc?.int('minimumHealthyPercent') ?? current?.minimumHealthyPercent ?? 100;
    if (min < 0 || min > 100)
      throw ecsInvalid(`minimumHealthyPercent must be between 0 and 100, got ${min}.`);
    if (max < 100 || max > 2000)
      throw ecsInvalid(
        `maximumPercent must be between 100 and 2000 for the REPLICA scheduling strategy, got ${max}.`,
      );
    const cbR = dc?.obj('deploymentCircuitBreaker');
    let circuitBreaker = current?.circuitBreaker ?? { enable: false, rollback: false };
    if (cbR) {
      const enable = cbR.bool('enable');
      const rollback = cbR.bool('rollback');
      if (enable === undefined || rollback === undefined)
        throw ecsInvalid('deploymentCircuitBreaker requires both enable and rollback.');
      circuitBreaker = { enable, rollback };
    }
    for (const k of Object.keys(dc?.input ?? {}))
      if (!['maximumPercent', 'minimumHealthyPercent', 'deploymentCircuitBreaker', 'alarms'].includes(k))
        throw ecsInvalid(`deploymentConfiguration.${k} is not supported by the twin.`);
    return { minimumHealthyPercent: min, maximumPercent: max, circuitBreaker };
  }

  private rejectUnsupported(r: Reader): void {
    const lt = r.str('launchType');
    if (lt !== undefined && lt !== 'EC2')
      throw ecsInvalid(`Launch type ${lt} is not supported by the twin (EC2 only).`);
    if (r.list('capacityProviderStrategy').length)
      throw ecsInvalid('capacityProviderStrategy is not supported by the twin; use launchType EC2.');
    const ss = r.str('schedulingStrategy');
    if (ss !== undefined && ss !== 'REPLICA')
      throw ecsInvalid(`Scheduling strategy ${ss} is not supported by the twin (REPLICA only).`);
    if (r.list('loadBalancers').length) throw ecsInvalid('loadBalancers are not simulated by the twin.');
    const ctl = r.obj('deploymentController')?.str('type');
    if (ctl !== undefined && ctl !== 'ECS')
      throw ecsInvalid(`Deployment controller ${ctl} is not supported by the twin (ECS only).`);
  }

  /**
   * `serviceRegistries` as ECS validates them: at most one; the Cloud Map service must exist; A
   * records need awsvpc and take no port; SRV records need `containerName` + `containerPort` (a
   * mapped port of that container) or, with awsvpc, a `port` instead, not both.
   */
  private readServiceRegistries(r: Reader, td: TaskDefinition): ServiceRegistry[] {
    const list = r.objList('serviceRegistries').map((x): ServiceRegistry => {
      const registryArn = x.reqStr('registryArn');
      const port = x.int('port', { min: 0, max: 65535 });
      const containerName = x.str('containerName');
      const containerPort = x.int('containerPort', { min: 0, max: 65535 });
      return {
        registryArn,
        ...(port !== undefined ? { port } : {}),
        ...(containerName !== undefined ? { containerName } : {}),
        ...(containerPort !== undefined ? { containerPort } : {}),
      };
    });
    if (list.length > 1) throw ecsInvalid('Only one service registry is supported per service.');
    for (const reg of list) this.checkRegistry(reg, td);
    return list;
  }

  private checkRegistry(reg: ServiceRegistry, td: TaskDefinition): void {
    if (!/^arn:aws[a-z-]*:servicediscovery:[^:]+:\d{12}:service\/srv-[a-z0-9]+$/.test(reg.registryArn))
      throw ecsInvalid(`The service registry ARN ${reg.registryArn} is not valid.`);
    const info = this.sim.deps.serviceDiscovery?.describeRegistry(reg.registryArn);
    if (!info)
      throw ecsInvalid(`The service registry ${reg.registryArn} does not exist (no such Cloud Map service).`);
    const srv = info.recordTypes.includes('SRV');
    const byContainer = reg.containerName !== undefined || reg.containerPort !== undefined;
    if (byContainer && (reg.containerName === undefined || reg.containerPort === undefined))
      throw ecsInvalid('serviceRegistries: containerName and containerPort must be specified together.');
    if (!srv) {
      if (td.networkMode !== 'awsvpc')
        throw ecsInvalid(
          `Service registry ${reg.registryArn} has A records; they need the awsvpc network mode (the task definition uses ${td.networkMode}): use SRV records.`,
        );
      if (reg.port !== undefined || byContainer)
        throw ecsInvalid(
          'serviceRegistries: port, containerName and containerPort are only used with SRV records; the registry has A records and the awsvpc network mode.',
        );
      return;
    }
    if (reg.port !== undefined && byContainer)
      throw ecsInvalid(
        'serviceRegistries: specify either port or containerName and containerPort, not both.',
      );
    if (td.networkMode === 'awsvpc') {
      if (reg.port === undefined && !byContainer)
        throw ecsInvalid('serviceRegistries: SRV records need a port, or containerName and containerPort.');
    } else if (!byContainer)
      throw ecsInvalid(
        `serviceRegistries: with the ${td.networkMode} network mode, SRV records need containerName and containerPort.`,
      );
    if (byContainer) {
      const c = td.containerDefinitions.find((x) => x.name === reg.containerName);
      if (!c)
        throw ecsInvalid(
          `serviceRegistries: container ${reg.containerName ?? ''} is not in the task definition.`,
        );
      if (!c.portMappings.some((p) => p.containerPort === reg.containerPort))
        throw ecsInvalid(
          `serviceRegistries: container ${c.name} has no port mapping for container port ${reg.containerPort ?? ''}.`,
        );
    }
  }

  /**
   * `networkConfiguration.awsvpcConfiguration`: required with awsvpc (refused otherwise); subnets
   * that exist, in one VPC; at most 5 security groups that exist in that VPC; none given means the
   * VPC's default group.
   */
  readNetwork(r: Reader, td: TaskDefinition, current?: AwsvpcConfiguration): AwsvpcConfiguration | undefined {
    const nc = r.obj('networkConfiguration');
    const a = nc?.obj('awsvpcConfiguration');
    if (td.networkMode !== 'awsvpc') {
      if (a)
        throw ecsInvalid(
          'Network Configuration is not valid for the given networkMode of this task definition.',
        );
      return undefined;
    }
    if (!a) {
      if (current) return current;
      throw ecsInvalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    }
    const subnets = a.strList('subnets');
    if (!subnets.length) throw ecsInvalid('subnets can not be empty.');
    if (subnets.length > 16) throw ecsInvalid('At most 16 subnets can be specified.');
    const vpcs = new Set<string>();
    for (const id of subnets) {
      const sn = this.sim.state.subnets.get(id);
      if (!sn)
        throw ecsInvalid(
          `Error retrieving subnet information for [${id}]: The subnet ID '${id}' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)`,
        );
      vpcs.add(sn.vpcId);
    }
    if (vpcs.size > 1) throw ecsInvalid('Subnets must all be in the same VPC.');
    const vpcId = [...vpcs][0] ?? '';
    let securityGroups = a.strList('securityGroups');
    if (securityGroups.length > 5) throw ecsInvalid('At most 5 security groups can be specified.');
    for (const id of securityGroups) {
      const g = this.sim.state.securityGroups.get(id);
      if (!g)
        throw ecsInvalid(
          `Error retrieving security group information for [${id}]: The security group '${id}' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidGroup.NotFound)`,
        );
      if (g.vpcId !== vpcId)
        throw ecsInvalid(`Security group ${id} is in VPC ${g.vpcId}, not in the subnets' VPC ${vpcId}.`);
    }
    if (!securityGroups.length) {
      const def = this.sim.ec2.securityGroups.defaultOf(vpcId);
      securityGroups = def ? [def.groupId] : [];
    }
    const assign = a.enumOf('assignPublicIp', ['ENABLED', 'DISABLED'] as const) ?? 'DISABLED';
    if (assign === 'ENABLED') throw ecsInvalid('Assign public IP is not supported for this launch type.');
    return { subnets, securityGroups, assignPublicIp: assign };
  }

  /**
   * UpdateService's `serviceRegistries` and `networkConfiguration`, validated against `td`; `apply`
   * stores them, `changed` says whether they make a new deployment.
   */
  private readDiscoveryUpdate(
    r: Reader,
    svc: Service,
    td: TaskDefinition,
  ): { apply(): void; changed: boolean } {
    const registriesGiven = r.has('serviceRegistries');
    const registries = registriesGiven ? this.readServiceRegistries(r, td) : undefined;
    if (!registriesGiven) for (const reg of svc.serviceRegistries ?? []) this.checkRegistry(reg, td);
    const network = this.readNetwork(r, td, svc.networkConfiguration);
    const changed =
      r.has('networkConfiguration') ||
      (registries !== undefined &&
        JSON.stringify(registries) !== JSON.stringify(svc.serviceRegistries ?? []));
    return {
      changed,
      apply: () => {
        if (registries) svc.serviceRegistries = registries;
        if (network) svc.networkConfiguration = network;
        else delete svc.networkConfiguration;
      },
    };
  }

  wire(svc: Service, include: string[] = []): Wire {
    const tasks = [...this.sim.state.tasks.values()].filter(
      (t) => t.serviceArn === svc.arn && t.desiredStatus === 'RUNNING',
    );
    const count = (d: Deployment | undefined, status: 'RUNNING' | 'PENDING'): number =>
      tasks.filter(
        (t) =>
          (d === undefined || t.deploymentId === d.id) &&
          (status === 'RUNNING'
            ? t.lastStatus === 'RUNNING'
            : t.lastStatus !== 'RUNNING' && t.lastStatus !== 'STOPPED'),
      ).length;
    return compact({
      serviceArn: svc.arn,
      serviceName: svc.name,
      clusterArn: svc.clusterArn,
      loadBalancers: [],
      serviceRegistries: (svc.serviceRegistries ?? []).map((x) => ({ ...x })),
      networkConfiguration: svc.networkConfiguration
        ? {
            awsvpcConfiguration: {
              subnets: [...svc.networkConfiguration.subnets],
              securityGroups: [...svc.networkConfiguration.securityGroups],
              assignPublicIp: svc.networkConfiguration.assignPublicIp,
            },
          }
        : undefined,
      status: svc.status,
      desiredCount: svc.desiredCount,
      runningCount: count(undefined, 'RUNNING'),
      pendingCount: count(undefined, 'PENDING'),
      launchType: 'EC2',
      taskDefinition: svc.taskDefinition,
      deploymentConfiguration: {
        deploymentCircuitBreaker: svc.circuitBreaker,
        maximumPercent: svc.maximumPercent,
        minimumHealthyPercent: svc.minimumHealthyPercent,
      },
      deployments: svc.deployments.map((d) => ({
        id: d.id,
        status: d.status,
        taskDefinition: d.taskDefinition,
        desiredCount: d.desiredCount,
        pendingCount: count(d, 'PENDING'),
        runningCount: count(d, 'RUNNING'),
        failedTasks: d.failedTasks,
        createdAt: new Date(d.createdAt),
        updatedAt: new Date(d.updatedAt),
        launchType: 'EC2',
        rolloutState: d.rolloutState,
        rolloutStateReason: d.rolloutStateReason,
      })),
      events: svc.events.map((e) => ({ id: e.id, createdAt: new Date(e.createdAt), message: e.message })),
      createdAt: new Date(svc.createdAt),
      placementConstraints: svc.placementConstraints,
      placementStrategy: svc.placementStrategy,
      healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds,
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      createdBy: `arn:aws:iam::${this.sim.accountId}:root`,
      enableECSManagedTags: svc.enableECSManagedTags,
      propagateTags: svc.propagateTags,
      enableExecuteCommand: false,
      availabilityZoneRebalancing: svc.availabilityZoneRebalancing,
      tags: include.includes('TAGS') ? ecsTagsWire(svc.tags) : undefined,
    });
  }

  readonly operations: Record<string, OperationHandler> = {
    CreateService: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const name = r.reqStr('serviceName');
      if (!NAME_RE.test(name))
        throw ecsInvalid('Service name must be 1-255 letters, numbers, hyphens and underscores.');
      this.rejectUnsupported(r);
      const td = this.taskDefs.resolveActive(r.reqStr('taskDefinition'));
      const desiredCount = r.int('desiredCount', { min: 0 });
      if (desiredCount === undefined)
        throw ecsInvalid('desiredCount is required for the REPLICA scheduling strategy.');
      const existing = this.lookup(cluster, name);
      if (existing && existing.status !== 'INACTIVE')
        throw ecsInvalid('Creation of service was not idempotent.');
      const { constraints, strategies } = readPlacement(r);
      const rebalancing =
        r.enumOf('availabilityZoneRebalancing', ['ENABLED', 'DISABLED'] as const) ?? 'DISABLED';
      const propagate = r.enumOf('propagateTags', ['TASK_DEFINITION', 'SERVICE', 'NONE'] as const) ?? 'NONE';
      const grace = r.int('healthCheckGracePeriodSeconds', { min: 0, max: 2147483647 });
      const registries = this.readServiceRegistries(r, td);
      const network = this.readNetwork(r, td);
      const svc: Service = {
        arn: this.arn(cluster.name, name),
        name,
        clusterArn: cluster.arn,
        status: 'ACTIVE',
        desiredCount,
        taskDefinition: td.arn,
        ...this.readDeploymentConfig(r),
        placementConstraints: constraints,
        placementStrategy: strategies,
        deployments: [],
        events: [],
        createdAt: this.sim.now(),
        availabilityZoneRebalancing: rebalancing,
        propagateTags: propagate,
        enableECSManagedTags: r.bool('enableECSManagedTags') ?? false,
        tags: readEcsTags(r),
        lastEventAt: {},
        steady: false,
        serviceRegistries: registries,
        ...(network ? { networkConfiguration: network } : {}),
        ...(grace !== undefined ? { healthCheckGracePeriodSeconds: grace } : {}),
      };
      this.sim.state.services.set(svc.arn, svc);
      this.sim.log('ecs.service', {
        service: svc.arn,
        event: 'created',
        desiredCount,
        taskDefinition: td.arn,
        serviceRegistries: registries.map((x) => x.registryArn),
      });
      this.scheduler.newDeployment(svc, td.arn, `ECS deployment in progress.`);
      return { service: this.wire(svc) };
    },

    UpdateService: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const svc = this.lookup(cluster, r.reqStr('service'));
      if (!svc) throw new AwsError('ServiceNotFoundException', 'Service not found.');
      if (svc.status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
      this.rejectUnsupported(r);
      const tdRef = r.str('taskDefinition');
      const td = tdRef !== undefined ? this.taskDefs.resolveActive(tdRef) : undefined;
      const desired = r.int('desiredCount', { min: 0 });
      const force = r.bool('forceNewDeployment') ?? false;
      const dc = this.readDeploymentConfig(r, svc);
      const placementGiven = r.has('placementConstraints') || r.has('placementStrategy');
      const placement = placementGiven ? readPlacement(r) : undefined;
      const rebalancing = r.enumOf('availabilityZoneRebalancing', ['ENABLED', 'DISABLED'] as const);
      // Registries and the network are checked against the task definition the service will run.
      const discovery = this.readDiscoveryUpdate(r, svc, td ?? this.taskDefs.resolve(svc.taskDefinition));
      Object.assign(svc, dc);
      discovery.apply();
      if (desired !== undefined) svc.desiredCount = desired;
      if (rebalancing !== undefined) svc.availabilityZoneRebalancing = rebalancing;
      if (placement) {
        if (r.has('placementConstraints')) svc.placementConstraints = placement.constraints;
        if (r.has('placementStrategy')) svc.placementStrategy = placement.strategies;
      }
      const newTd = td !== undefined && td.arn !== svc.taskDefinition;
      if (td) svc.taskDefinition = td.arn;
      this.sim.log('ecs.service', {
        service: svc.arn,
        event: 'updated',
        desiredCount: svc.desiredCount,
        taskDefinition: svc.taskDefinition,
        minimumHealthyPercent: svc.minimumHealthyPercent,
        maximumPercent: svc.maximumPercent,
      });
      if (newTd || force || placementGiven || discovery.changed)
        this.scheduler.newDeployment(svc, svc.taskDefinition, 'ECS deployment in progress.');
      else {
        svc.steady = false;
        this.sim.ecs.kickScheduler();
      }
      return { service: this.wire(svc) };
    },

    DeleteService: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const svc = this.lookup(cluster, r.reqStr('service'));
      if (!svc || svc.status === 'INACTIVE')
        throw new AwsError('ServiceNotFoundException', 'Service not found.');
      const force = r.bool('force') ?? false;
      if (svc.desiredCount > 0 && !force)
        throw ecsInvalid('The service cannot be stopped while it is scaled above 0.');
      svc.desiredCount = 0;
      svc.status = 'DRAINING';
      this.sim.log('ecs.service', { service: svc.arn, event: 'deleted', force });
      this.sim.ecs.kickScheduler();
      return { service: this.wire(svc) };
    },

    DescribeServices: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const refs = r.strList('services');
      if (!refs.length) throw ecsInvalid('Services cannot be empty.');
      if (refs.length > 10) throw ecsInvalid('services can have at most 10 items.');
      const include = r.strList('include');
      const services: Wire[] = [];
      const failures: Wire[] = [];
      for (const ref of refs) {
        const svc = this.lookup(cluster, ref);
        if (svc) services.push(this.wire(svc, include));
        else
          failures.push({
            arn: ref.startsWith('arn:') ? ref : this.arn(cluster.name, ref),
            reason: 'MISSING',
          });
      }
      return { services, failures };
    },

    ListServices: (input) => {
      const r = ecsReader(input);
      const cluster = this.clusters.get(r.str('cluster'));
      const lt = r.str('launchType');
      const ss = r.str('schedulingStrategy');
      const arns = [...this.sim.state.services.values()]
        .filter(
          (s) =>
            s.clusterArn === cluster.arn &&
            s.status !== 'INACTIVE' &&
            (lt === undefined || lt === 'EC2') &&
            (ss === undefined || ss === 'REPLICA'),
        )
        .map((s) => s.arn);
      const { page, next } = paginate(
        arns,
        r.str('nextToken'),
        r.int('maxResults', { min: 1, max: 100 }) ?? 10,
        `svcs:${cluster.name}`,
        ecsBadToken,
      );
      return compact({ serviceArns: page, nextToken: next });
    },
  };
}
