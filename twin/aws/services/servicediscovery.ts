/**
 * AWS Cloud Map (servicediscovery, awsJson1_1, `X-Amz-Target: Route53AutoNaming_v20170314.<Op>`):
 * private DNS namespaces in a VPC of the twin's EC2, services with DNS records (A / SRV, MULTIVALUE or
 * WEIGHTED) and custom health, instances, the asynchronous operations behind namespace and instance
 * changes (GetOperation / ListOperations), tags, and the data plane (DiscoverInstances).
 *
 * Three things use it besides the API:
 * - ECS registers service tasks here (`registry`, the port the compute simulation is given): it is
 *   immediate, and recorded as a REGISTER_INSTANCE / DEREGISTER_INSTANCE operation like any other;
 * - the twin's DNS (`resolve`, `resolveSrv`) answers `<service>.<namespace>` from the registered,
 *   healthy instances, with no TTL or negative caching;
 * - `--state-dir` persistence (`snapshot` / `restore`), pending operations included.
 *
 * Every registration and deregistration goes into the world log (`servicediscovery.instance.*`).
 */
import { z } from 'zod';
import type { Clock, TimerHandle, VirtualClock } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import type { WorldLog } from '../../core/world-log.js';
import { AwsError, type OperationContext, type ServiceModule, type Wire } from '../contract.js';
import { DetailedAwsError } from '../protocols/types.js';
import { decodeToken, encodeToken, page } from './tokens.js';
import { type ValidationStyle, parseInput } from './validation.js';

const STYLE: ValidationStyle = { kind: 'coral', code: 'InvalidInput' };

/** Virtual ms the asynchronous operations take. */
export interface CloudMapParams {
  /** CreatePrivateDnsNamespace / DeleteNamespace: SUBMITTED → SUCCESS. */
  namespaceOperationMs: number;
  /** RegisterInstance / DeregisterInstance through the API: SUBMITTED → SUCCESS. */
  instanceOperationMs: number;
}

export const DEFAULT_CLOUD_MAP_PARAMS: CloudMapParams = {
  namespaceOperationMs: 5_000,
  instanceOperationMs: 1_000,
};

type RecordType = 'A' | 'AAAA' | 'SRV' | 'CNAME';
type Health = 'HEALTHY' | 'UNHEALTHY';

interface Namespace {
  id: string;
  arn: string;
  name: string;
  type: 'DNS_PRIVATE';
  description?: string;
  vpc: string;
  hostedZoneId: string;
  soaTtl: number;
  creatorRequestId?: string;
  createdAt: number;
  tags: Record<string, string>;
}

interface CmService {
  id: string;
  arn: string;
  name: string;
  namespaceId: string;
  description?: string;
  routingPolicy: 'MULTIVALUE' | 'WEIGHTED';
  records: { Type: RecordType; TTL: number }[];
  customHealth?: { FailureThreshold?: number };
  creatorRequestId?: string;
  createdAt: number;
  tags: Record<string, string>;
}

interface Instance {
  id: string;
  serviceId: string;
  attributes: Record<string, string>;
  creatorRequestId?: string;
  health: Health;
  /** Who registered it: `api` or `ecs` (with the task ARN). */
  source: string;
}

type OperationType =
  | 'CREATE_NAMESPACE'
  | 'DELETE_NAMESPACE'
  | 'UPDATE_NAMESPACE'
  | 'UPDATE_SERVICE'
  | 'REGISTER_INSTANCE'
  | 'DEREGISTER_INSTANCE';

interface Operation {
  id: string;
  type: OperationType;
  status: 'SUBMITTED' | 'PENDING' | 'SUCCESS' | 'FAIL';
  errorMessage?: string;
  errorCode?: string;
  createdAt: number;
  updatedAt: number;
  targets: { NAMESPACE?: string; SERVICE?: string; INSTANCE?: string };
  /** When it completes (virtual ms), while not done. */
  dueAt?: number;
  /** What completing it does (kept as data so a restored state can finish it). */
  apply?:
    | { kind: 'createNamespace'; namespace: Namespace }
    | { kind: 'deleteNamespace'; namespaceId: string }
    | { kind: 'register'; instance: Instance }
    | { kind: 'deregister'; serviceId: string; instanceId: string };
}

interface State {
  namespaces: Namespace[];
  services: CmService[];
  instances: Instance[];
  operations: Operation[];
}

/** What ECS needs from Cloud Map (the compute simulation's `serviceDiscovery` dependency). */
export interface ServiceRegistryPort {
  /** The Cloud Map service an ECS `registryArn` names, or undefined. */
  describeRegistry(arn: string): { arn: string; name: string; recordTypes: string[] } | undefined;
  /** Registers (or re-registers) an instance at once; ECS's REGISTER_INSTANCE operation. */
  register(registryArn: string, instanceId: string, attributes: Record<string, string>, source: string): void;
  /** Deregisters at once; no-op when it is not registered. */
  deregister(registryArn: string, instanceId: string, reason: string): void;
  /** Sets an instance's custom health, when the service has a custom health check config. */
  setHealth(registryArn: string, instanceId: string, status: Health): void;
}

export interface CloudMapModule extends ServiceModule {
  readonly registry: ServiceRegistryPort;
  /** A records of `name` (`<service>.<namespace>` or `<instance>.<service>.<namespace>`): healthy instances' IPv4. */
  resolve(name: string): string[];
  /** SRV records of `<service>.<namespace>`: target `<instance>.<service>.<namespace>` and port. */
  resolveSrv(name: string): { target: string; port: number }[];
  stop(): void;
}

export interface CloudMapDeps {
  clock: Clock & Pick<VirtualClock, 'setTimeout' | 'clearTimeout'>;
  rng: Rng;
  world: WorldLog;
  region: string;
  accountId: string;
  /** Does the twin's EC2 know this VPC? */
  vpcExists(vpcId: string): boolean;
  params?: Partial<CloudMapParams>;
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

const tag = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) });
const tags = z.array(tag).max(200);
const requestId = z.string().max(64);
const resourceId = z.string().max(64);
const instanceIdSchema = z
  .string()
  .max(64)
  .regex(/^[0-9a-zA-Z_/:.@-]+$/);
const maxResults = z.number().int().min(1).max(100);
const filterCondition = z.enum(['EQ', 'IN', 'BETWEEN', 'BEGINS_WITH']);

const createNamespaceSchema = z.object({
  Name: z.string().max(253),
  CreatorRequestId: requestId.optional(),
  Description: z.string().max(1024).optional(),
  Vpc: z.string().max(64),
  Tags: tags.optional(),
  Properties: z
    .object({
      DnsProperties: z.object({ SOA: z.object({ TTL: z.number().int().min(0).max(2147483647) }) }),
    })
    .optional(),
});
const idSchema = z.object({ Id: resourceId });
const listNamespacesSchema = z.object({
  NextToken: z.string().max(4096).optional(),
  MaxResults: maxResults.optional(),
  Filters: z
    .array(
      z.object({
        Name: z.enum(['TYPE', 'NAME', 'HTTP_NAME', 'RESOURCE_OWNER']),
        Values: z.array(z.string()).min(1),
        Condition: filterCondition.optional(),
      }),
    )
    .optional(),
});
const dnsRecord = z.object({
  Type: z.enum(['SRV', 'A', 'AAAA', 'CNAME']),
  TTL: z.number().int().min(0).max(2147483647),
});
const createServiceSchema = z.object({
  Name: z
    .string()
    .regex(
      /^((?=^.{1,127}$)^([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])(\.([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9]))*)$|^\.$/,
    ),
  NamespaceId: resourceId.optional(),
  CreatorRequestId: requestId.optional(),
  Description: z.string().max(1024).optional(),
  DnsConfig: z
    .object({
      NamespaceId: resourceId.optional(),
      RoutingPolicy: z.enum(['MULTIVALUE', 'WEIGHTED']).optional(),
      DnsRecords: z.array(dnsRecord),
    })
    .optional(),
  HealthCheckConfig: z.object({}).passthrough().optional(),
  HealthCheckCustomConfig: z
    .object({ FailureThreshold: z.number().int().min(1).max(10).optional() })
    .optional(),
  Tags: tags.optional(),
  Type: z.enum(['HTTP']).optional(),
});
const listServicesSchema = z.object({
  NextToken: z.string().max(4096).optional(),
  MaxResults: maxResults.optional(),
  Filters: z
    .array(
      z.object({
        Name: z.enum(['NAMESPACE_ID', 'RESOURCE_OWNER']),
        Values: z.array(z.string()).min(1),
        Condition: filterCondition.optional(),
      }),
    )
    .optional(),
});
const registerSchema = z.object({
  ServiceId: resourceId,
  InstanceId: instanceIdSchema,
  CreatorRequestId: requestId.optional(),
  Attributes: z.record(z.string().max(255), z.string().max(1024)),
});
const instanceRefSchema = z.object({ ServiceId: resourceId, InstanceId: instanceIdSchema });
const listInstancesSchema = z.object({
  ServiceId: resourceId,
  NextToken: z.string().max(4096).optional(),
  MaxResults: maxResults.optional(),
});
const healthStatusSchema = z.object({
  ServiceId: resourceId,
  Instances: z.array(instanceIdSchema).min(1).max(1000).optional(),
  MaxResults: maxResults.optional(),
  NextToken: z.string().max(4096).optional(),
});
const customHealthSchema = z.object({
  ServiceId: resourceId,
  InstanceId: instanceIdSchema,
  Status: z.enum(['HEALTHY', 'UNHEALTHY']),
});
const discoverSchema = z.object({
  NamespaceName: z.string().max(1024),
  ServiceName: z.string(),
  MaxResults: z.number().int().min(1).max(1000).optional(),
  QueryParameters: z.record(z.string(), z.string()).optional(),
  OptionalParameters: z.record(z.string(), z.string()).optional(),
  HealthStatus: z.enum(['HEALTHY', 'UNHEALTHY', 'ALL', 'HEALTHY_OR_ELSE_ALL']).optional(),
});
const operationSchema = z.object({ OperationId: z.string().max(255) });
const listOperationsSchema = z.object({
  NextToken: z.string().max(4096).optional(),
  MaxResults: maxResults.optional(),
  Filters: z
    .array(
      z.object({
        Name: z.enum(['NAMESPACE_ID', 'SERVICE_ID', 'STATUS', 'TYPE', 'UPDATE_DATE']),
        Values: z.array(z.string()).min(1),
        Condition: filterCondition.optional(),
      }),
    )
    .optional(),
});
const arnSchema = z.object({ ResourceARN: z.string().min(1).max(1011) });
const tagResourceSchema = z.object({ ResourceARN: z.string().min(1).max(1011), Tags: tags });
const untagResourceSchema = z.object({
  ResourceARN: z.string().min(1).max(1011),
  TagKeys: z.array(z.string().min(1).max(128)).max(200),
});

function invalid(message: string): AwsError {
  return new AwsError('InvalidInput', message);
}

/** `<a>.<b>.` → `a.b`, lower case. */
function dnsName(name: string): string {
  return name.trim().replace(/\.$/, '').toLowerCase();
}

/** Does `value` pass one ListNamespaces/ListServices/ListOperations filter? */
function passes(value: string, values: string[], condition: string | undefined): boolean {
  switch (condition ?? 'EQ') {
    case 'BEGINS_WITH':
      return values.some((v) => value.toLowerCase().startsWith(v.toLowerCase()));
    case 'BETWEEN':
      return false;
    default:
      return values.includes(value);
  }
}

export function createCloudMap(deps: CloudMapDeps): CloudMapModule {
  const params: CloudMapParams = { ...DEFAULT_CLOUD_MAP_PARAMS, ...(deps.params ?? {}) };
  let state: State = { namespaces: [], services: [], instances: [], operations: [] };
  const timers = new Map<string, TimerHandle>();
  let stopped = false;

  const id = (prefix: string): string => {
    let s = '';
    for (let i = 0; i < 16; i++) s += LOWER_ALNUM[deps.rng.int(0, LOWER_ALNUM.length - 1)];
    return `${prefix}-${s}`;
  };
  const operationId = (): string => {
    let a = '';
    for (let i = 0; i < 32; i++) a += LOWER_ALNUM[deps.rng.int(0, LOWER_ALNUM.length - 1)];
    return `${a}-${deps.rng.hex(8)}`;
  };
  const arnOf = (kind: 'namespace' | 'service', resource: string): string =>
    `arn:aws:servicediscovery:${deps.region}:${deps.accountId}:${kind}/${resource}`;

  const namespace = (nsId: string): Namespace => {
    const ns = state.namespaces.find((n) => n.id === nsId);
    if (!ns) throw new AwsError('NamespaceNotFound', `Namespace not found: ${nsId}`, { status: 404 });
    return ns;
  };
  const service = (svcId: string): CmService => {
    const s = state.services.find((x) => x.id === svcId);
    if (!s) throw new AwsError('ServiceNotFound', `Service not found: ${svcId}`, { status: 404 });
    return s;
  };
  const serviceByArn = (arn: string): CmService | undefined => state.services.find((s) => s.arn === arn);
  const instancesOf = (svcId: string): Instance[] => state.instances.filter((i) => i.serviceId === svcId);
  const findInstance = (svcId: string, instId: string): Instance | undefined =>
    state.instances.find((i) => i.serviceId === svcId && i.id === instId);

  const tagsWire = (t: Record<string, string>): Wire[] =>
    Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
  const readTags = (list: { Key: string; Value: string }[] | undefined): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const t of list ?? []) out[t.Key] = t.Value;
    return out;
  };

  const namespaceWire = (ns: Namespace): Wire => ({
    Id: ns.id,
    Arn: ns.arn,
    Name: ns.name,
    Type: ns.type,
    Description: ns.description,
    ServiceCount: state.services.filter((s) => s.namespaceId === ns.id).length,
    Properties: {
      DnsProperties: { HostedZoneId: ns.hostedZoneId, SOA: { TTL: ns.soaTtl } },
      HttpProperties: { HttpName: ns.name },
    },
    CreateDate: new Date(ns.createdAt),
    CreatorRequestId: ns.creatorRequestId,
    ResourceOwner: deps.accountId,
  });

  const serviceWire = (s: CmService, full: boolean): Wire => ({
    Id: s.id,
    Arn: s.arn,
    Name: s.name,
    ...(full ? { NamespaceId: s.namespaceId } : {}),
    Description: s.description,
    InstanceCount: instancesOf(s.id).length,
    DnsConfig: {
      ...(full ? { NamespaceId: s.namespaceId } : {}),
      RoutingPolicy: s.routingPolicy,
      DnsRecords: s.records.map((r) => ({ ...r })),
    },
    Type: 'DNS_HTTP',
    HealthCheckCustomConfig: s.customHealth ? { ...s.customHealth } : undefined,
    CreateDate: new Date(s.createdAt),
    ...(full ? { CreatorRequestId: s.creatorRequestId } : {}),
    ResourceOwner: deps.accountId,
    CreatedByAccount: deps.accountId,
  });

  const operationWire = (op: Operation): Wire => ({
    Id: op.id,
    OwnerAccount: deps.accountId,
    Type: op.type,
    Status: op.status,
    ErrorMessage: op.errorMessage,
    ErrorCode: op.errorCode,
    CreateDate: new Date(op.createdAt),
    UpdateDate: new Date(op.updatedAt),
    Targets: { ...op.targets },
  });

  // ---------------------------------------------------------------------------------------------
  // Registration (shared by the API and ECS)

  function addInstance(inst: Instance): void {
    const svc = state.services.find((s) => s.id === inst.serviceId);
    if (!svc) return;
    const existing = findInstance(inst.serviceId, inst.id);
    if (existing) state.instances.splice(state.instances.indexOf(existing), 1);
    state.instances.push(inst);
    const ns = state.namespaces.find((n) => n.id === svc.namespaceId);
    deps.world.append('servicediscovery.instance.registered', {
      serviceId: svc.id,
      service: svc.name,
      namespace: ns?.name ?? null,
      instanceId: inst.id,
      address: inst.attributes['AWS_INSTANCE_IPV4'] ?? null,
      port: inst.attributes['AWS_INSTANCE_PORT'] ?? null,
      health: inst.health,
      source: inst.source,
      updated: existing !== undefined,
    });
  }

  function removeInstance(svcId: string, instId: string, reason: string): boolean {
    const inst = findInstance(svcId, instId);
    if (!inst) return false;
    state.instances.splice(state.instances.indexOf(inst), 1);
    const svc = state.services.find((s) => s.id === svcId);
    const ns = svc ? state.namespaces.find((n) => n.id === svc.namespaceId) : undefined;
    deps.world.append('servicediscovery.instance.deregistered', {
      serviceId: svcId,
      service: svc?.name ?? null,
      namespace: ns?.name ?? null,
      instanceId: instId,
      address: inst.attributes['AWS_INSTANCE_IPV4'] ?? null,
      reason,
    });
    return true;
  }

  function setHealth(svc: CmService, inst: Instance, status: Health, source: string): void {
    if (inst.health === status) return;
    const from = inst.health;
    inst.health = status;
    deps.world.append('servicediscovery.instance.health', {
      serviceId: svc.id,
      service: svc.name,
      instanceId: inst.id,
      from,
      to: status,
      source,
    });
  }

  /** Checks an instance's attributes against its service's records (RegisterInstance's rules). */
  function checkAttributes(svc: CmService, attrs: Record<string, string>): void {
    if (Object.keys(attrs).length > 30)
      throw new AwsError('InvalidInput', 'An instance can have at most 30 attributes.');
    const types = new Set(svc.records.map((r) => r.Type));
    const alias = attrs['AWS_ALIAS_DNS_NAME'];
    if (alias === undefined && types.has('A') && attrs['AWS_INSTANCE_IPV4'] === undefined)
      throw invalid('AWS_INSTANCE_IPV4 is required because the service has an A record.');
    if (alias === undefined && types.has('SRV') && attrs['AWS_INSTANCE_PORT'] === undefined)
      throw invalid('AWS_INSTANCE_PORT is required because the service has an SRV record.');
    const ip = attrs['AWS_INSTANCE_IPV4'];
    if (ip !== undefined && !/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(ip))
      throw invalid(`AWS_INSTANCE_IPV4 '${ip}' is not a valid IPv4 address.`);
    const port = attrs['AWS_INSTANCE_PORT'];
    if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 0 && Number(port) <= 65535))
      throw invalid(`AWS_INSTANCE_PORT '${port}' is not a valid port.`);
    const init = attrs['AWS_INIT_HEALTH_STATUS'];
    if (init !== undefined && init !== 'HEALTHY' && init !== 'UNHEALTHY')
      throw invalid('AWS_INIT_HEALTH_STATUS must be HEALTHY or UNHEALTHY.');
  }

  function initialHealth(svc: CmService, attrs: Record<string, string>): Health {
    return svc.customHealth && attrs['AWS_INIT_HEALTH_STATUS'] === 'UNHEALTHY' ? 'UNHEALTHY' : 'HEALTHY';
  }

  // ---------------------------------------------------------------------------------------------
  // Operations in flight

  function complete(opId: string): void {
    timers.delete(opId);
    const op = state.operations.find((o) => o.id === opId);
    if (!op || op.status === 'SUCCESS' || op.status === 'FAIL') return;
    const a = op.apply;
    try {
      if (a?.kind === 'createNamespace') {
        state.namespaces.push(a.namespace);
        deps.world.append('servicediscovery.namespace.created', {
          namespaceId: a.namespace.id,
          name: a.namespace.name,
          vpc: a.namespace.vpc,
        });
      } else if (a?.kind === 'deleteNamespace') {
        if (state.services.some((s) => s.namespaceId === a.namespaceId)) {
          op.status = 'FAIL';
          op.errorCode = 'RESOURCE_IN_USE';
          op.errorMessage = 'The namespace contains services.';
        } else {
          state.namespaces = state.namespaces.filter((n) => n.id !== a.namespaceId);
          deps.world.append('servicediscovery.namespace.deleted', { namespaceId: a.namespaceId });
        }
      } else if (a?.kind === 'register') {
        if (state.services.some((s) => s.id === a.instance.serviceId)) addInstance(a.instance);
        else {
          op.status = 'FAIL';
          op.errorCode = 'INTERNAL_FAILURE';
          op.errorMessage = 'The service was deleted.';
        }
      } else if (a?.kind === 'deregister') {
        removeInstance(a.serviceId, a.instanceId, 'DeregisterInstance');
      }
    } finally {
      if (op.status !== 'FAIL') op.status = 'SUCCESS';
      op.updatedAt = deps.clock.now();
      delete op.dueAt;
      delete op.apply;
    }
  }

  function arm(op: Operation): void {
    if (stopped || op.dueAt === undefined) return;
    const opId = op.id;
    timers.set(
      opId,
      deps.clock.setTimeout(() => complete(opId), Math.max(0, op.dueAt - deps.clock.now())),
    );
  }

  function submit(
    type: OperationType,
    targets: Operation['targets'],
    apply: NonNullable<Operation['apply']> | undefined,
    delayMs: number,
  ): Operation {
    const now = deps.clock.now();
    const op: Operation = {
      id: operationId(),
      type,
      status: 'SUBMITTED',
      createdAt: now,
      updatedAt: now,
      targets,
    };
    if (apply) {
      op.apply = apply;
      op.dueAt = now + delayMs;
    } else op.status = 'SUCCESS';
    state.operations.push(op);
    if (op.status !== 'SUCCESS') {
      if (delayMs <= 0) complete(op.id);
      else arm(op);
    }
    return op;
  }

  /** A pending operation of this type with this creator request id (DuplicateRequest), if any. */
  function pendingDuplicate(
    type: OperationType,
    creatorRequestId: string | undefined,
  ): Operation | undefined {
    if (creatorRequestId === undefined) return undefined;
    return state.operations.find(
      (o) =>
        o.type === type &&
        o.status !== 'SUCCESS' &&
        o.status !== 'FAIL' &&
        ((o.apply?.kind === 'createNamespace' && o.apply.namespace.creatorRequestId === creatorRequestId) ||
          (o.apply?.kind === 'register' && o.apply.instance.creatorRequestId === creatorRequestId)),
    );
  }

  const duplicate = (op: Operation): AwsError =>
    new DetailedAwsError('DuplicateRequest', 'The operation is already in progress.', {
      details: { DuplicateOperationId: op.id },
    });

  // ---------------------------------------------------------------------------------------------
  // Tags

  function taggable(arn: string): { tags: Record<string, string> } {
    const r = state.namespaces.find((n) => n.arn === arn) ?? state.services.find((s) => s.arn === arn);
    if (!r)
      throw new DetailedAwsError('ResourceNotFoundException', `Resource not found: ${arn}`, {
        details: { ResourceName: arn },
      });
    return r;
  }

  // ---------------------------------------------------------------------------------------------
  // DNS

  function resolveA(name: string): string[] {
    const n = dnsName(name);
    const out: string[] = [];
    for (const svc of state.services) {
      if (!svc.records.some((r) => r.Type === 'A' || r.Type === 'SRV')) continue;
      const ns = state.namespaces.find((x) => x.id === svc.namespaceId);
      if (!ns) continue;
      const base = `${svc.name}.${ns.name}`.toLowerCase();
      for (const inst of instancesOf(svc.id)) {
        if (inst.health !== 'HEALTHY') continue;
        const ip = inst.attributes['AWS_INSTANCE_IPV4'];
        if (ip === undefined) continue;
        const serviceName = n === base && svc.records.some((r) => r.Type === 'A');
        const instanceName = n === `${inst.id}.${base}`.toLowerCase();
        if (serviceName || instanceName) out.push(ip);
      }
    }
    return [...new Set(out)];
  }

  function resolveSrv(name: string): { target: string; port: number }[] {
    const n = dnsName(name);
    const out: { target: string; port: number }[] = [];
    for (const svc of state.services) {
      if (!svc.records.some((r) => r.Type === 'SRV')) continue;
      const ns = state.namespaces.find((x) => x.id === svc.namespaceId);
      if (!ns || `${svc.name}.${ns.name}`.toLowerCase() !== n) continue;
      for (const inst of instancesOf(svc.id)) {
        const port = Number(inst.attributes['AWS_INSTANCE_PORT']);
        if (inst.health !== 'HEALTHY' || !Number.isInteger(port)) continue;
        out.push({ target: `${inst.id}.${svc.name}.${ns.name}`, port });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // The API

  const offset = (token: string | undefined, scope: string): number => {
    if (token === undefined) return 0;
    const t = decodeToken(token, 'InvalidInput', 'The NextToken is not valid.');
    if (t['s'] !== scope || typeof t['o'] !== 'number' || !Number.isInteger(t['o']) || t['o'] < 0)
      throw invalid('The NextToken is not valid.');
    return t['o'];
  };
  const paged = <T>(
    items: readonly T[],
    token: string | undefined,
    size: number | undefined,
    scope: string,
  ) => {
    const pg = page(items, offset(token, scope), size ?? 100);
    return {
      items: pg.items,
      NextToken: pg.next !== undefined ? encodeToken({ s: scope, o: pg.next }) : undefined,
    };
  };

  const operations = {
    CreatePrivateDnsNamespace(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(createNamespaceSchema, input, STYLE);
      const name = dnsName(p.Name);
      if (!/^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/.test(name))
        throw invalid(`Namespace name '${p.Name}' is not a valid DNS name.`);
      if (!deps.vpcExists(p.Vpc)) throw invalid(`The VPC ${p.Vpc} does not exist.`);
      const dup = pendingDuplicate('CREATE_NAMESPACE', p.CreatorRequestId);
      if (dup) throw duplicate(dup);
      const existing = state.namespaces.find((n) => n.name === name);
      if (existing) {
        throw new DetailedAwsError('NamespaceAlreadyExists', `Namespace ${name} already exists.`, {
          details: {
            NamespaceId: existing.id,
            ...(existing.creatorRequestId !== undefined
              ? { CreatorRequestId: existing.creatorRequestId }
              : {}),
          },
        });
      }
      const pendingSameName = state.operations.find(
        (o) => o.apply?.kind === 'createNamespace' && o.apply.namespace.name === name,
      );
      if (pendingSameName) throw duplicate(pendingSameName);
      const nsId = id('ns');
      const ns: Namespace = {
        id: nsId,
        arn: arnOf('namespace', nsId),
        name,
        type: 'DNS_PRIVATE',
        vpc: p.Vpc,
        hostedZoneId: `Z${deps.rng.hex(20).toUpperCase()}`,
        soaTtl: p.Properties?.DnsProperties.SOA.TTL ?? 15,
        createdAt: ctx.now,
        tags: readTags(p.Tags),
        ...(p.Description !== undefined ? { description: p.Description } : {}),
        ...(p.CreatorRequestId !== undefined ? { creatorRequestId: p.CreatorRequestId } : {}),
      };
      const op = submit(
        'CREATE_NAMESPACE',
        { NAMESPACE: nsId },
        { kind: 'createNamespace', namespace: ns },
        params.namespaceOperationMs,
      );
      return { OperationId: op.id };
    },

    GetNamespace(input: Wire): Wire {
      const p = parseInput(idSchema, input, STYLE);
      return { Namespace: namespaceWire(namespace(p.Id)) };
    },

    ListNamespaces(input: Wire): Wire {
      const p = parseInput(listNamespacesSchema, input, STYLE);
      const list = state.namespaces.filter((ns) =>
        (p.Filters ?? []).every((f) => {
          switch (f.Name) {
            case 'TYPE':
              return passes(ns.type, f.Values, f.Condition);
            case 'NAME':
            case 'HTTP_NAME':
              return passes(ns.name, f.Values.map(dnsName), f.Condition);
            case 'RESOURCE_OWNER':
              return passes(deps.accountId, f.Values, f.Condition);
          }
        }),
      );
      const pg = paged(list, p.NextToken, p.MaxResults, 'namespaces');
      return {
        Namespaces: pg.items.map((ns) => {
          const w = namespaceWire(ns);
          delete w['CreatorRequestId'];
          return w;
        }),
        NextToken: pg.NextToken,
      };
    },

    DeleteNamespace(input: Wire): Wire {
      const p = parseInput(idSchema, input, STYLE);
      const ns = namespace(p.Id);
      if (state.services.some((s) => s.namespaceId === ns.id))
        throw new AwsError('ResourceInUse', `Namespace ${ns.id} has services; delete them first.`);
      const op = submit(
        'DELETE_NAMESPACE',
        { NAMESPACE: ns.id },
        { kind: 'deleteNamespace', namespaceId: ns.id },
        params.namespaceOperationMs,
      );
      return { OperationId: op.id };
    },

    CreateService(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(createServiceSchema, input, STYLE);
      const nsId = p.NamespaceId ?? p.DnsConfig?.NamespaceId;
      if (nsId === undefined) throw invalid('NamespaceId is required.');
      const ns = namespace(nsId);
      if (p.HealthCheckConfig && p.HealthCheckCustomConfig)
        throw invalid('You can specify either HealthCheckConfig or HealthCheckCustomConfig, not both.');
      if (p.HealthCheckConfig)
        throw invalid('HealthCheckConfig (Route 53 health checks) is only for public DNS namespaces.');
      if (p.Type === 'HTTP')
        throw invalid(
          'Type HTTP is for services that are discoverable through the API only; not in the twin.',
        );
      const dns = p.DnsConfig;
      if (!dns || dns.DnsRecords.length === 0)
        throw invalid('A service in a DNS namespace needs DnsConfig with at least one DNS record.');
      const types = dns.DnsRecords.map((r) => r.Type);
      if (new Set(types).size !== types.length) throw invalid('Each DNS record type can be used only once.');
      if (types.includes('CNAME') && types.length > 1)
        throw invalid('A CNAME record cannot be combined with other record types.');
      if (types.includes('SRV') && types.includes('AAAA') && !types.includes('A'))
        throw invalid('An SRV record needs an A or AAAA record with it, or none.');
      const routingPolicy = dns.RoutingPolicy ?? 'MULTIVALUE';
      if (types.includes('CNAME') && routingPolicy !== 'WEIGHTED')
        throw invalid('A CNAME record requires the WEIGHTED routing policy.');
      const existing = state.services.find(
        (s) => s.namespaceId === ns.id && s.name.toLowerCase() === p.Name.toLowerCase(),
      );
      if (existing) {
        throw new DetailedAwsError('ServiceAlreadyExists', `Service ${p.Name} already exists.`, {
          details: {
            ServiceId: existing.id,
            ServiceArn: existing.arn,
            ...(existing.creatorRequestId !== undefined
              ? { CreatorRequestId: existing.creatorRequestId }
              : {}),
          },
        });
      }
      const svcId = id('srv');
      const svc: CmService = {
        id: svcId,
        arn: arnOf('service', svcId),
        name: p.Name,
        namespaceId: ns.id,
        routingPolicy,
        records: dns.DnsRecords.map((r) => ({ Type: r.Type, TTL: r.TTL })),
        createdAt: ctx.now,
        tags: readTags(p.Tags),
        ...(p.HealthCheckCustomConfig
          ? {
              customHealth:
                p.HealthCheckCustomConfig.FailureThreshold !== undefined
                  ? { FailureThreshold: p.HealthCheckCustomConfig.FailureThreshold }
                  : {},
            }
          : {}),
        ...(p.Description !== undefined ? { description: p.Description } : {}),
        ...(p.CreatorRequestId !== undefined ? { creatorRequestId: p.CreatorRequestId } : {}),
      };
      state.services.push(svc);
      deps.world.append('servicediscovery.service.created', {
        serviceId: svc.id,
        name: svc.name,
        namespace: ns.name,
        records: svc.records.map((r) => r.Type),
      });
      return { Service: serviceWire(svc, true) };
    },

    GetService(input: Wire): Wire {
      const p = parseInput(idSchema, input, STYLE);
      return { Service: serviceWire(service(p.Id), true) };
    },

    ListServices(input: Wire): Wire {
      const p = parseInput(listServicesSchema, input, STYLE);
      const list = state.services.filter((s) =>
        (p.Filters ?? []).every((f) =>
          f.Name === 'NAMESPACE_ID'
            ? passes(s.namespaceId, f.Values, f.Condition)
            : passes(deps.accountId, f.Values, f.Condition),
        ),
      );
      const pg = paged(list, p.NextToken, p.MaxResults, 'services');
      return { Services: pg.items.map((s) => serviceWire(s, false)), NextToken: pg.NextToken };
    },

    DeleteService(input: Wire): Wire {
      const p = parseInput(idSchema, input, STYLE);
      const svc = service(p.Id);
      if (instancesOf(svc.id).length > 0)
        throw new AwsError(
          'ResourceInUse',
          `Service ${svc.id} has registered instances; deregister them first.`,
        );
      state.services = state.services.filter((s) => s.id !== svc.id);
      deps.world.append('servicediscovery.service.deleted', { serviceId: svc.id, name: svc.name });
      return {};
    },

    RegisterInstance(input: Wire): Wire {
      const p = parseInput(registerSchema, input, STYLE);
      const svc = service(p.ServiceId);
      checkAttributes(svc, p.Attributes);
      const dup = pendingDuplicate('REGISTER_INSTANCE', p.CreatorRequestId);
      if (dup) throw duplicate(dup);
      const inst: Instance = {
        id: p.InstanceId,
        serviceId: svc.id,
        attributes: { ...p.Attributes },
        health: initialHealth(svc, p.Attributes),
        source: 'api',
        ...(p.CreatorRequestId !== undefined ? { creatorRequestId: p.CreatorRequestId } : {}),
      };
      const op = submit(
        'REGISTER_INSTANCE',
        { NAMESPACE: svc.namespaceId, SERVICE: svc.id, INSTANCE: p.InstanceId },
        { kind: 'register', instance: inst },
        params.instanceOperationMs,
      );
      return { OperationId: op.id };
    },

    DeregisterInstance(input: Wire): Wire {
      const p = parseInput(instanceRefSchema, input, STYLE);
      const svc = service(p.ServiceId);
      if (!findInstance(svc.id, p.InstanceId))
        throw new AwsError('InstanceNotFound', `Instance not found: ${p.InstanceId}`, { status: 404 });
      const op = submit(
        'DEREGISTER_INSTANCE',
        { NAMESPACE: svc.namespaceId, SERVICE: svc.id, INSTANCE: p.InstanceId },
        { kind: 'deregister', serviceId: svc.id, instanceId: p.InstanceId },
        params.instanceOperationMs,
      );
      return { OperationId: op.id };
    },

    GetInstance(input: Wire): Wire {
      const p = parseInput(instanceRefSchema, input, STYLE);
      const svc = service(p.ServiceId);
      const inst = findInstance(svc.id, p.InstanceId);
      if (!inst)
        throw new AwsError('InstanceNotFound', `Instance not found: ${p.InstanceId}`, { status: 404 });
      return {
        ResourceOwner: deps.accountId,
        Instance: {
          Id: inst.id,
          CreatorRequestId: inst.creatorRequestId,
          Attributes: { ...inst.attributes },
        },
      };
    },

    ListInstances(input: Wire): Wire {
      const p = parseInput(listInstancesSchema, input, STYLE);
      const svc = service(p.ServiceId);
      const pg = paged(instancesOf(svc.id), p.NextToken, p.MaxResults, `instances:${svc.id}`);
      return {
        ResourceOwner: deps.accountId,
        Instances: pg.items.map((i) => ({ Id: i.id, Attributes: { ...i.attributes } })),
        NextToken: pg.NextToken,
      };
    },

    GetInstancesHealthStatus(input: Wire): Wire {
      const p = parseInput(healthStatusSchema, input, STYLE);
      const svc = service(p.ServiceId);
      let list = instancesOf(svc.id);
      if (p.Instances) {
        for (const i of p.Instances)
          if (!findInstance(svc.id, i))
            throw new AwsError('InstanceNotFound', `Instance not found: ${i}`, { status: 404 });
        list = list.filter((i) => p.Instances?.includes(i.id));
      }
      const pg = paged(list, p.NextToken, p.MaxResults, `health:${svc.id}`);
      const Status: Record<string, string> = {};
      for (const i of pg.items) Status[i.id] = svc.customHealth ? i.health : 'UNKNOWN';
      return { Status, NextToken: pg.NextToken };
    },

    UpdateInstanceCustomHealthStatus(input: Wire): Wire {
      const p = parseInput(customHealthSchema, input, STYLE);
      const svc = service(p.ServiceId);
      const inst = findInstance(svc.id, p.InstanceId);
      if (!inst)
        throw new AwsError('InstanceNotFound', `Instance not found: ${p.InstanceId}`, { status: 404 });
      if (!svc.customHealth)
        throw new AwsError(
          'CustomHealthNotFound',
          `Service ${svc.id} has no HealthCheckCustomConfig; custom health cannot be set.`,
        );
      setHealth(svc, inst, p.Status, 'api');
      return {};
    },

    DiscoverInstances(input: Wire): Wire {
      const p = parseInput(discoverSchema, input, STYLE);
      const ns = state.namespaces.find((n) => n.name === dnsName(p.NamespaceName));
      if (!ns)
        throw new AwsError('NamespaceNotFound', `Namespace not found: ${p.NamespaceName}`, { status: 404 });
      const svc = state.services.find(
        (s) => s.namespaceId === ns.id && s.name.toLowerCase() === p.ServiceName.toLowerCase(),
      );
      if (!svc) throw new AwsError('ServiceNotFound', `Service not found: ${p.ServiceName}`, { status: 404 });
      const all = instancesOf(svc.id).filter((i) =>
        Object.entries(p.QueryParameters ?? {}).every(([k, v]) => i.attributes[k] === v),
      );
      const want = p.HealthStatus ?? 'HEALTHY';
      let list: Instance[];
      if (want === 'ALL') list = all;
      else if (want === 'UNHEALTHY') list = all.filter((i) => i.health === 'UNHEALTHY');
      else {
        list = all.filter((i) => i.health === 'HEALTHY');
        if (want === 'HEALTHY_OR_ELSE_ALL' && list.length === 0) list = all;
      }
      const optional = Object.entries(p.OptionalParameters ?? {});
      if (optional.length > 0) {
        const narrowed = list.filter((i) => optional.every(([k, v]) => i.attributes[k] === v));
        if (narrowed.length > 0) list = narrowed;
      }
      return {
        Instances: list.slice(0, p.MaxResults ?? 100).map((i) => ({
          InstanceId: i.id,
          NamespaceName: ns.name,
          ServiceName: svc.name,
          HealthStatus: svc.customHealth ? i.health : 'UNKNOWN',
          Attributes: { ...i.attributes },
        })),
        InstancesRevision: state.operations.length,
      };
    },

    GetOperation(input: Wire): Wire {
      const p = parseInput(operationSchema, input, STYLE);
      const op = state.operations.find((o) => o.id === p.OperationId);
      if (!op)
        throw new AwsError('OperationNotFound', `Operation not found: ${p.OperationId}`, { status: 404 });
      return { Operation: operationWire(op) };
    },

    ListOperations(input: Wire): Wire {
      const p = parseInput(listOperationsSchema, input, STYLE);
      const list = state.operations.filter((op) =>
        (p.Filters ?? []).every((f) => {
          switch (f.Name) {
            case 'NAMESPACE_ID':
              return passes(op.targets.NAMESPACE ?? '', f.Values, f.Condition);
            case 'SERVICE_ID':
              return passes(op.targets.SERVICE ?? '', f.Values, f.Condition);
            case 'STATUS':
              return passes(op.status, f.Values, f.Condition === 'IN' ? 'EQ' : f.Condition);
            case 'TYPE':
              return passes(op.type, f.Values, f.Condition === 'IN' ? 'EQ' : f.Condition);
            case 'UPDATE_DATE': {
              const [from, to] = f.Values.map((v) =>
                /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v),
              );
              return from !== undefined && to !== undefined && op.updatedAt >= from && op.updatedAt <= to;
            }
          }
        }),
      );
      const pg = paged(list, p.NextToken, p.MaxResults, 'operations');
      return { Operations: pg.items.map((o) => ({ Id: o.id, Status: o.status })), NextToken: pg.NextToken };
    },

    ListTagsForResource(input: Wire): Wire {
      const p = parseInput(arnSchema, input, STYLE);
      return { Tags: tagsWire(taggable(p.ResourceARN).tags) };
    },

    TagResource(input: Wire): Wire {
      const p = parseInput(tagResourceSchema, input, STYLE);
      const r = taggable(p.ResourceARN);
      const next = { ...r.tags, ...readTags(p.Tags) };
      if (Object.keys(next).length > 50)
        throw new DetailedAwsError('TooManyTagsException', 'A resource can have at most 50 tags.', {
          details: { ResourceName: p.ResourceARN },
        });
      r.tags = next;
      return {};
    },

    UntagResource(input: Wire): Wire {
      const p = parseInput(untagResourceSchema, input, STYLE);
      const r = taggable(p.ResourceARN);
      for (const k of p.TagKeys) delete r.tags[k];
      return {};
    },
  };

  const registry: ServiceRegistryPort = {
    describeRegistry(arn) {
      const svc = serviceByArn(arn);
      return svc ? { arn: svc.arn, name: svc.name, recordTypes: svc.records.map((r) => r.Type) } : undefined;
    },
    register(registryArn, instanceId, attributes, source) {
      const svc = serviceByArn(registryArn);
      if (!svc) {
        deps.world.append('servicediscovery.instance.register-failed', {
          registryArn,
          instanceId,
          reason: 'the Cloud Map service no longer exists',
          source,
        });
        return;
      }
      const inst: Instance = {
        id: instanceId,
        serviceId: svc.id,
        attributes: { ...attributes },
        health: initialHealth(svc, attributes),
        source,
      };
      submit(
        'REGISTER_INSTANCE',
        { NAMESPACE: svc.namespaceId, SERVICE: svc.id, INSTANCE: instanceId },
        undefined,
        0,
      );
      addInstance(inst);
    },
    deregister(registryArn, instanceId, reason) {
      const svc = serviceByArn(registryArn);
      if (!svc || !findInstance(svc.id, instanceId)) return;
      submit(
        'DEREGISTER_INSTANCE',
        { NAMESPACE: svc.namespaceId, SERVICE: svc.id, INSTANCE: instanceId },
        undefined,
        0,
      );
      removeInstance(svc.id, instanceId, reason);
    },
    setHealth(registryArn, instanceId, status) {
      const svc = serviceByArn(registryArn);
      const inst = svc ? findInstance(svc.id, instanceId) : undefined;
      if (svc?.customHealth && inst) setHealth(svc, inst, status, 'ecs');
    },
  };

  return {
    service: 'servicediscovery',
    operations,
    registry,
    resolve: resolveA,
    resolveSrv,
    snapshot: () => structuredClone(state),
    restore(saved: unknown) {
      const s = saved as Partial<State> | undefined;
      if (
        !s ||
        !Array.isArray(s.namespaces) ||
        !Array.isArray(s.services) ||
        !Array.isArray(s.instances) ||
        !Array.isArray(s.operations)
      )
        throw new Error('servicediscovery state: expected namespaces, services, instances and operations');
      for (const t of timers.values()) deps.clock.clearTimeout(t);
      timers.clear();
      state = structuredClone(s as State);
      for (const op of state.operations) arm(op);
    },
    stop() {
      stopped = true;
      for (const t of timers.values()) deps.clock.clearTimeout(t);
      timers.clear();
    },
  };
}
