/**
 * ECS task definitions: RegisterTaskDefinition (revisions per family, with the validation ECS does on
 * container definitions, memory, ports, mount points, health checks, secrets and log configuration),
 * DescribeTaskDefinition, DeregisterTaskDefinition, ListTaskDefinitions, ListTaskDefinitionFamilies.
 */
import { AwsError, type OperationHandler, type Wire } from '../../../contract.js';
import { ecsBadToken, ecsClient, ecsInvalid, ecsReader } from '../errors.js';
import type { Sim } from '../sim.js';
import type { ContainerDefinition, HealthCheck, TaskDefinition } from '../state.js';
import { compact, paginate, type Reader } from '../util.js';

const LOG_DRIVERS = [
  'awslogs',
  'json-file',
  'syslog',
  'journald',
  'gelf',
  'fluentd',
  'splunk',
  'awsfirelens',
  'none',
  'local',
];
const NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;
const KNOWN_CONTAINER_KEYS = new Set([
  'name',
  'image',
  'cpu',
  'memory',
  'memoryReservation',
  'essential',
  'environment',
  'secrets',
  'portMappings',
  'mountPoints',
  'healthCheck',
  'logConfiguration',
  'command',
  'entryPoint',
  'stopTimeout',
  'ulimits',
  'dockerLabels',
]);

/** Task-level cpu/memory: "1024", "1 vCPU", "2 GB", "2048 MiB". */
export function parseUnits(v: string, kind: 'cpu' | 'memory'): number | undefined {
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^(\d+(?:\.\d+)?)\s*(vcpu|gb|gib|mb|mib)$/i.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (kind === 'cpu') return unit === 'vcpu' ? Math.round(n * 1024) : undefined;
  if (unit === 'gb' || unit === 'gib') return Math.round(n * 1024);
  if (unit === 'mb' || unit === 'mib') return Math.round(n);
  return undefined;
}

export class TaskDefinitions {
  constructor(private readonly sim: Sim) {}

  arn(family: string, revision: number): string {
    return `arn:aws:ecs:${this.sim.region}:${this.sim.accountId}:task-definition/${family}:${revision}`;
  }

  /** Resolves `family`, `family:rev` or a full ARN (latest ACTIVE revision for a bare family). */
  resolve(ref: string): TaskDefinition {
    const m = /^(?:arn:aws[a-z-]*:ecs:[^:]*:\d*:task-definition\/)?([A-Za-z0-9_-]+)(?::(\d+))?$/.exec(ref);
    if (!m) throw ecsClient('Unable to describe task definition.');
    const family = m[1] ?? '';
    if (m[2] !== undefined) {
      const td = this.sim.state.taskDefinitions.get(`${family}:${m[2]}`);
      if (!td) throw ecsClient('Unable to describe task definition.');
      return td;
    }
    const latest = [...this.sim.state.taskDefinitions.values()]
      .filter((t) => t.family === family && t.status === 'ACTIVE')
      .sort((a, b) => b.revision - a.revision)[0];
    if (!latest) throw ecsClient('Unable to describe task definition.');
    return latest;
  }

  /** For RunTask/CreateService: must exist and be ACTIVE. */
  resolveActive(ref: string): TaskDefinition {
    let td: TaskDefinition;
    try {
      td = this.resolve(ref);
    } catch {
      throw ecsInvalid(`TaskDefinition not found.`);
    }
    if (td.status !== 'ACTIVE') throw ecsClient(`TaskDefinition is inactive`);
    return td;
  }

  private readHealthCheck(r: Reader, container: string): HealthCheck {
    const command = r.strList('command');
    if (!command.length)
      throw ecsClient(`Invalid healthCheck for container '${container}': command is required.`);
    const range = (name: string, lo: number, hi: number, def: number): number => {
      const v = r.int(name) ?? def;
      if (v < lo || v > hi)
        throw ecsClient(
          `Invalid healthCheck ${name} for container '${container}': must be between ${lo} and ${hi}.`,
        );
      return v;
    };
    const hc: HealthCheck = {
      command,
      interval: range('interval', 5, 300, 30),
      timeout: range('timeout', 2, 60, 5),
      retries: range('retries', 1, 10, 3),
    };
    if (r.has('startPeriod')) hc.startPeriod = range('startPeriod', 0, 300, 0);
    return hc;
  }

  private readContainer(
    r: Reader,
    networkMode: string,
    volumes: Set<string>,
    taskMemory: number | undefined,
  ): ContainerDefinition {
    const name = r.str('name');
    if (!name) throw ecsClient('Container.name should not be null or empty.');
    if (!NAME_RE.test(name))
      throw ecsClient(
        `Invalid container name '${name}': up to 255 letters, numbers, hyphens and underscores.`,
      );
    const image = r.str('image');
    if (!image) throw ecsClient('Container.image should not be null or empty.');
    const cpu = r.int('cpu', { min: 0, max: 10240 * 16 }) ?? 0;
    const memory = r.int('memory');
    const memoryReservation = r.int('memoryReservation');
    if (memory === undefined && memoryReservation === undefined && taskMemory === undefined)
      throw ecsClient(
        `Invalid setting for container '${name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
      );
    if (memory !== undefined && memory < 6)
      throw ecsClient(`Invalid 'memory' setting for container '${name}'. Must be at least 6 MiB.`);
    if (memoryReservation !== undefined && memoryReservation < 6)
      throw ecsClient(`Invalid 'memoryReservation' setting for container '${name}'. Must be at least 6 MiB.`);
    if (memory !== undefined && memoryReservation !== undefined && memoryReservation > memory)
      throw ecsClient(
        `Invalid setting for container '${name}'. 'memoryReservation' must be less than or equal to 'memory'.`,
      );
    const environment = r
      .objList('environment')
      .map((e) => ({ name: e.reqStr('name'), value: e.str('value') ?? '' }));
    const secrets = r.objList('secrets').map((s) => {
      const sn = s.str('name');
      const vf = s.str('valueFrom');
      if (!sn || !vf)
        throw ecsClient(`Invalid secret for container '${name}': name and valueFrom are required.`);
      return { name: sn, valueFrom: vf };
    });
    const portMappings = r.objList('portMappings').map((p) => {
      const containerPort = p.int('containerPort', { min: 0, max: 65535 });
      if (containerPort === undefined)
        throw ecsClient(`Invalid portMapping for container '${name}': containerPort is required.`);
      let hostPort = p.int('hostPort', { min: 0, max: 65535 });
      const protocol = p.str('protocol') ?? 'tcp';
      if (protocol !== 'tcp' && protocol !== 'udp')
        throw ecsClient(`Invalid protocol '${protocol}' for container '${name}'.`);
      if (networkMode === 'host' || networkMode === 'awsvpc') {
        if (hostPort !== undefined && hostPort !== containerPort)
          throw ecsClient(
            `When networkMode=${networkMode}, hostPort must either be undefined or equal to containerPort value`,
          );
        hostPort = containerPort;
      }
      const pn = p.str('name');
      return compact({ containerPort, hostPort, protocol, name: pn });
    });
    const mountPoints = r.objList('mountPoints').map((m) => {
      const sourceVolume = m.str('sourceVolume');
      const containerPath = m.str('containerPath');
      if (!sourceVolume || !containerPath)
        throw ecsClient(
          `Invalid mountPoint for container '${name}': sourceVolume and containerPath are required.`,
        );
      if (!volumes.has(sourceVolume)) throw ecsClient(`Unknown volume '${sourceVolume}'.`);
      return { sourceVolume, containerPath, readOnly: m.bool('readOnly') ?? false };
    });
    const hcR = r.obj('healthCheck');
    const logR = r.obj('logConfiguration');
    let logConfiguration: ContainerDefinition['logConfiguration'];
    if (logR) {
      const logDriver = logR.str('logDriver');
      if (!logDriver)
        throw ecsClient(`Invalid logConfiguration for container '${name}': logDriver is required.`);
      if (!LOG_DRIVERS.includes(logDriver))
        throw ecsClient(`Invalid logDriver '${logDriver}' for container '${name}'.`);
      const opts = logR.obj('options');
      const options: Record<string, string> = {};
      if (opts) for (const k of Object.keys(opts.input)) options[k] = opts.str(k) ?? '';
      if (logDriver === 'awslogs' && (!options['awslogs-group'] || !options['awslogs-region']))
        throw ecsClient(
          `Invalid logConfiguration for container '${name}': awslogs requires the options awslogs-group and awslogs-region.`,
        );
      logConfiguration = { logDriver, options };
    }
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r.input)) if (!KNOWN_CONTAINER_KEYS.has(k)) extra[k] = v;
    const labels = r.obj('dockerLabels');
    const c: ContainerDefinition = {
      name,
      image,
      cpu,
      essential: r.bool('essential') ?? true,
      environment,
      secrets,
      portMappings,
      mountPoints,
      extra,
      ...(memory !== undefined ? { memory } : {}),
      ...(memoryReservation !== undefined ? { memoryReservation } : {}),
      ...(hcR ? { healthCheck: this.readHealthCheck(hcR, name) } : {}),
      ...(logConfiguration ? { logConfiguration } : {}),
      ...(r.has('command') ? { command: r.strList('command') } : {}),
      ...(r.has('entryPoint') ? { entryPoint: r.strList('entryPoint') } : {}),
      ...(r.has('stopTimeout') ? { stopTimeout: r.int('stopTimeout', { min: 2, max: 120 }) ?? 30 } : {}),
      ...(r.has('ulimits') ? { ulimits: r.list('ulimits') } : {}),
      ...(labels
        ? { dockerLabels: Object.fromEntries(Object.keys(labels.input).map((k) => [k, labels.str(k) ?? ''])) }
        : {}),
    };
    return c;
  }

  register(r: Reader): TaskDefinition {
    const family = r.str('family');
    if (!family) throw ecsClient('Family should not be null or empty.');
    if (!NAME_RE.test(family))
      throw ecsClient(`Invalid family '${family}': up to 255 letters, numbers, hyphens and underscores.`);
    const networkMode = (r.str('networkMode') ?? 'bridge') as TaskDefinition['networkMode'];
    if (!['bridge', 'host', 'awsvpc', 'none'].includes(networkMode))
      throw ecsClient(`Invalid networkMode '${networkMode}'.`);
    const cpuS = r.str('cpu');
    const memS = r.str('memory');
    const taskCpu = cpuS !== undefined ? parseUnits(cpuS, 'cpu') : undefined;
    const taskMem = memS !== undefined ? parseUnits(memS, 'memory') : undefined;
    if (cpuS !== undefined && (taskCpu === undefined || taskCpu < 128 || taskCpu > 196608))
      throw ecsClient(
        `Invalid 'cpu' setting for task. ${cpuS} is not valid; use CPU units between 128 and 196608 or e.g. '1 vCPU'.`,
      );
    if (memS !== undefined && (taskMem === undefined || taskMem < 128))
      throw ecsClient(`Invalid 'memory' setting for task. ${memS} is not valid; at least 128 MiB.`);
    const volumes = r.objList('volumes').map((v) => {
      const name = v.str('name');
      if (!name) throw ecsClient('Volume name should not be null or empty.');
      const host = v.obj('host');
      const extra: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v.input)) if (k !== 'name' && k !== 'host') extra[k] = x;
      const sp = host?.str('sourcePath');
      return { name, extra, ...(host ? { host: sp !== undefined ? { sourcePath: sp } : {} } : {}) };
    });
    const names = new Set<string>();
    for (const v of volumes) {
      if (names.has(v.name)) throw ecsClient(`Duplicate volume name '${v.name}'.`);
      names.add(v.name);
    }
    const cdefs = r.objList('containerDefinitions');
    if (!cdefs.length) throw ecsClient('Container list cannot be empty.');
    const containers = cdefs.map((c) => this.readContainer(c, networkMode, names, taskMem));
    const cnames = new Set<string>();
    for (const c of containers) {
      if (cnames.has(c.name)) throw ecsClient(`Duplicate container name '${c.name}'.`);
      cnames.add(c.name);
    }
    if (!containers.some((c) => c.essential))
      throw ecsClient('Invalid setting for task definition: at least one essential container is required.');
    const hostPorts = new Set<string>();
    for (const c of containers)
      for (const p of c.portMappings) {
        if (!p.hostPort) continue;
        const key = `${p.hostPort}/${p.protocol}`;
        if (hostPorts.has(key))
          throw ecsClient(`Host port ${p.hostPort} is used by more than one container.`);
        hostPorts.add(key);
      }
    const placementConstraints = r.objList('placementConstraints').map((p) => {
      const type = p.reqStr('type');
      if (type !== 'memberOf')
        throw ecsClient(`Invalid placement constraint type '${type}' in a task definition: only memberOf.`);
      const expression = p.str('expression');
      if (!expression) throw ecsClient('A memberOf placement constraint requires an expression.');
      this.sim.ecs.validateExpression(expression);
      return { type, expression };
    });
    if (placementConstraints.length > 10) throw ecsClient('At most 10 placement constraints are allowed.');
    const compat = r.strList('requiresCompatibilities');
    for (const c of compat)
      if (!['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'].includes(c))
        throw ecsClient(`Invalid requiresCompatibilities value '${c}'.`);
    if (compat.includes('FARGATE') && (networkMode !== 'awsvpc' || cpuS === undefined || memS === undefined))
      throw ecsClient('Fargate requires the awsvpc network mode and task-level cpu and memory.');
    const tags = Object.fromEntries(r.objList('tags').map((t) => [t.reqStr('key'), t.str('value') ?? '']));
    const latest = Math.max(
      0,
      ...[...this.sim.state.taskDefinitions.values()]
        .filter((t) => t.family === family)
        .map((t) => t.revision),
    );
    const revision = latest + 1;
    const taskRoleArn = r.str('taskRoleArn');
    const executionRoleArn = r.str('executionRoleArn');
    const td: TaskDefinition = {
      arn: this.arn(family, revision),
      family,
      revision,
      status: 'ACTIVE',
      containerDefinitions: containers,
      volumes,
      networkMode,
      placementConstraints,
      requiresCompatibilities: compat,
      tags,
      registeredAt: this.sim.now(),
      ...(cpuS !== undefined ? { cpu: String(taskCpu) } : {}),
      ...(memS !== undefined ? { memory: String(taskMem) } : {}),
      ...(taskRoleArn !== undefined ? { taskRoleArn } : {}),
      ...(executionRoleArn !== undefined ? { executionRoleArn } : {}),
    };
    if (containers.some((c) => c.secrets.length) && !executionRoleArn)
      throw ecsClient(
        "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.",
      );
    this.sim.state.taskDefinitions.set(`${family}:${revision}`, td);
    this.sim.log('ecs.taskdef', { arn: td.arn, family, revision, event: 'registered' });
    return td;
  }

  containerWire(c: ContainerDefinition): Wire {
    return compact({
      ...c.extra,
      name: c.name,
      image: c.image,
      cpu: c.cpu,
      memory: c.memory,
      memoryReservation: c.memoryReservation,
      essential: c.essential,
      portMappings: c.portMappings,
      environment: c.environment,
      secrets: c.secrets.length ? c.secrets : undefined,
      mountPoints: c.mountPoints,
      volumesFrom: [],
      healthCheck: c.healthCheck,
      logConfiguration: c.logConfiguration,
      command: c.command,
      entryPoint: c.entryPoint,
      stopTimeout: c.stopTimeout,
      ulimits: c.ulimits,
      dockerLabels: c.dockerLabels,
    });
  }

  wire(td: TaskDefinition): Wire {
    return compact({
      taskDefinitionArn: td.arn,
      family: td.family,
      revision: td.revision,
      status: td.status,
      containerDefinitions: td.containerDefinitions.map((c) => this.containerWire(c)),
      volumes: td.volumes.map((v) => compact({ ...v.extra, name: v.name, host: v.host })),
      networkMode: td.networkMode,
      cpu: td.cpu,
      memory: td.memory,
      taskRoleArn: td.taskRoleArn,
      executionRoleArn: td.executionRoleArn,
      placementConstraints: td.placementConstraints,
      requiresCompatibilities: td.requiresCompatibilities.length ? td.requiresCompatibilities : undefined,
      compatibilities: ['EC2', 'EXTERNAL'],
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
      registeredAt: new Date(td.registeredAt),
      registeredBy: `arn:aws:iam::${this.sim.accountId}:root`,
      deregisteredAt: td.deregisteredAt !== undefined ? new Date(td.deregisteredAt) : undefined,
    });
  }

  private tagsWire(tags: Record<string, string>): Wire[] {
    return Object.entries(tags).map(([key, value]) => ({ key, value }));
  }

  readonly operations: Record<string, OperationHandler> = {
    RegisterTaskDefinition: (input) => {
      const td = this.register(ecsReader(input));
      return { taskDefinition: this.wire(td), tags: this.tagsWire(td.tags) };
    },

    DescribeTaskDefinition: (input) => {
      const r = ecsReader(input);
      const td = this.resolve(r.reqStr('taskDefinition'));
      const include = r.strList('include');
      return compact({
        taskDefinition: this.wire(td),
        tags: include.includes('TAGS') ? this.tagsWire(td.tags) : undefined,
      });
    },

    DeregisterTaskDefinition: (input) => {
      const r = ecsReader(input);
      const ref = r.reqStr('taskDefinition');
      if (!/:\d+$/.test(ref))
        throw ecsInvalid('The specified task definition does not include a revision number.');
      let td: TaskDefinition;
      try {
        td = this.resolve(ref);
      } catch {
        throw ecsInvalid('The specified task definition does not exist.');
      }
      if (td.status === 'ACTIVE') {
        td.status = 'INACTIVE';
        td.deregisteredAt = this.sim.now();
        this.sim.log('ecs.taskdef', {
          arn: td.arn,
          family: td.family,
          revision: td.revision,
          event: 'deregistered',
        });
      }
      return { taskDefinition: this.wire(td) };
    },

    ListTaskDefinitions: (input) => {
      const r = ecsReader(input);
      const prefix = r.str('familyPrefix');
      const status = r.enumOf('status', ['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'] as const) ?? 'ACTIVE';
      const sort = r.enumOf('sort', ['ASC', 'DESC'] as const) ?? 'ASC';
      const list = [...this.sim.state.taskDefinitions.values()]
        .filter(
          (t) =>
            t.status === status &&
            (prefix === undefined ||
              t.family === prefix ||
              (prefix.length > 0 && t.family.startsWith(prefix))),
        )
        .sort(
          (a, b) =>
            (a.family < b.family ? -1 : a.family > b.family ? 1 : a.revision - b.revision) *
            (sort === 'ASC' ? 1 : -1),
        )
        .map((t) => t.arn);
      const { page, next } = paginate(
        list,
        r.str('nextToken'),
        r.int('maxResults', { min: 1, max: 100 }) ?? 100,
        `tds:${prefix ?? ''}:${status}:${sort}`,
        ecsBadToken,
      );
      return compact({ taskDefinitionArns: page, nextToken: next });
    },

    ListTaskDefinitionFamilies: (input) => {
      const r = ecsReader(input);
      const prefix = r.str('familyPrefix');
      const status = r.enumOf('status', ['ACTIVE', 'INACTIVE', 'ALL'] as const) ?? 'ACTIVE';
      const fams = new Map<string, boolean>();
      for (const t of this.sim.state.taskDefinitions.values())
        fams.set(t.family, (fams.get(t.family) ?? false) || t.status === 'ACTIVE');
      const list = [...fams.entries()]
        .filter(
          ([f, active]) =>
            (prefix === undefined || f.startsWith(prefix)) &&
            (status === 'ALL' || (status === 'ACTIVE') === active),
        )
        .map(([f]) => f)
        .sort();
      const { page, next } = paginate(
        list,
        r.str('nextToken'),
        r.int('maxResults', { min: 1, max: 100 }) ?? 100,
        `fams:${prefix ?? ''}:${status}`,
        ecsBadToken,
      );
      return compact({ families: page, nextToken: next });
    },

    DeleteTaskDefinitions: (input) => {
      const r = ecsReader(input);
      const refs = r.strList('taskDefinitions');
      if (!refs.length || refs.length > 10)
        throw ecsInvalid('taskDefinitions must contain between 1 and 10 items.');
      const done: Wire[] = [];
      const failures: Wire[] = [];
      for (const ref of refs) {
        try {
          const td = this.resolve(ref);
          if (td.status === 'ACTIVE') {
            failures.push({
              arn: td.arn,
              reason:
                'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
            });
            continue;
          }
          td.status = 'DELETE_IN_PROGRESS';
          done.push(this.wire(td));
        } catch (err) {
          if (!(err instanceof AwsError)) throw err;
          failures.push({ arn: ref, reason: 'TASK_DEFINITION_NOT_FOUND' });
        }
      }
      return { taskDefinitions: done, failures };
    },
  };
}
