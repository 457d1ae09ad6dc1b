/**
 * The roll benchmark: the naive baseline and the operator, side by side, rolling the same Neo4j
 * cluster to a new image on the twin.
 *
 * Run it:
 *   npm run bench:roll
 * which is
 *   npx tsc -p tsconfig.bench.json && node dist/bench-build/bench/roll.js [--time-scale 20] [--seed 1] [--timeout 30]
 *   (also: --scenarios baseline,operator and --to-version 5.26.13)
 *
 * Both scenarios run on a fresh twin with the same seed and time scale, and the same shape:
 * examples/minimal.yaml, i.e. 3 primaries over 3 AZs (no secondaries), Neo4j 5.26.12 Enterprise,
 * databases system, neo4j and movies (the twin creates `movies` when the cluster forms; the operator
 * does not create databases), with a workload writing to neo4j and movies through a routing driver
 * throughout. Then the image changes to --to-version.
 *
 * - baseline: the GetSocial way (shared/reference mission-anchors.md A1). ONE ECS service holds the
 *   three primaries: desiredCount 3, distinctInstance, spread over AZs then instances, one task
 *   definition, deployment configuration minimumHealthyPercent 50 / maximumPercent 100 (GetSocial's
 *   core service). Each AZ has one EBS volume (GetSocial's per-AZ RexRay volume) that the benchmark
 *   attaches to that AZ's instance at /dev/xvdf and the task bind-mounts (/mnt/xvdf/neo4j → /data).
 *   The task has a container health check, which the twin's Neo4j members answer HEALTHY once every
 *   database they host is online. The image change is RegisterTaskDefinition + UpdateService(new
 *   revision, forceNewDeployment), then waiting as `aws ecs wait services-stable` does
 *   (DescribeServices every 15 s): ECS chooses which member restarts when.
 * - operator: the controller brings the spec up from S3, then the new version goes into the spec in
 *   S3 and the controller rolls. Until the operator's roll exists the controller holds the change
 *   (`RollPending`): the scenario then reports that the roll did not complete within --timeout
 *   virtual minutes, with the holds it saw.
 *
 * Figures (bench/roll-figures.ts, from the twin's world log, the workload's samples and the call
 * log): leadership changes per database, seconds with no writable leader per database (the
 * workload), seconds with no leader per database (the world log), total duration (the change → every
 * member on the new version with all its databases online), the sum of member restart + catch-up
 * times (per member: its old task asked to stop → caught up on the new version; the lower bound of a
 * one-at-a-time roll), and the AWS calls of the actor during the roll (the baseline's driver calls,
 * the operator's calls by its user agent). Figures, not assertions: it is not a timed test. Every
 * wait is bounded in virtual time; it stops by itself.
 */
import { CreateServiceCommand as CreateServiceSdCommand } from '@aws-sdk/client-servicediscovery';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import {
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { AttachVolumeCommand, CreateVolumeCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { Service } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseDocument } from 'yaml';
import type { AwsClients } from '../src/aws/clients.js';
import { createAwsClients, destroyAwsClients } from '../src/aws/clients.js';
import { S3ObjectStore } from '../src/aws/object-store.js';
import { AwsSecretReader } from '../src/aws/secrets.js';
import { defaultSpecPath } from '../src/cli/commands/demo.js';
import { loadConfig } from '../src/controller/config.js';
import type { PassResult } from '../src/controller/controller.js';
import { startController } from '../src/controller/wiring.js';
import type { BootstrapResult } from '../src/demo/bootstrap.js';
import { bootstrapInfrastructure } from '../src/demo/bootstrap.js';
import { clockFrom } from '../src/demo/clock.js';
import { demoCluster, withSecretArn } from '../src/demo/spec.js';
import type { Neo4jCluster } from '../src/model/cluster.js';
import { enableServer } from '../src/neo4j/admin.js';
import { MemberConnection } from '../src/neo4j/connection.js';
import { probeCluster } from '../src/neo4j/probe.js';
import { twinEnv } from '../twin/aws/index.js';
import type { Twin } from '../twin/index.js';
import { startTwin } from '../twin/index.js';
import type { Workload } from '../twin/neo4j/workload.js';
import { startWorkload } from '../twin/neo4j/workload.js';
import type { CallLike, RollFigures, WorldEventLike } from './roll-figures.js';
import { callsByOperation, rollFigures } from './roll-figures.js';

type Scenario = 'baseline' | 'operator';

interface Args {
  timeScale: number;
  seed: number;
  /** Virtual ms the roll may take after the change. */
  timeoutMs: number;
  scenarios: Scenario[];
  toVersion: string;
}

const USAGE =
  '--time-scale 20 --seed 1 --timeout 30 (virtual minutes) --scenarios baseline,operator --to-version 5.26.13';

function parseArgs(argv: string[]): Args {
  const args: Args = {
    timeScale: 20,
    seed: 1,
    timeoutMs: 30 * 60_000,
    scenarios: ['baseline', 'operator'],
    toVersion: '5.26.13',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    const n = Number(value);
    if (flag === '--time-scale') args.timeScale = n;
    else if (flag === '--seed') args.seed = n;
    else if (flag === '--timeout') args.timeoutMs = n * 60_000;
    else if (flag === '--scenarios') args.scenarios = value.split(',') as Scenario[];
    else if (flag === '--to-version') args.toVersion = value;
    else throw new Error(`unknown option ${String(flag)} (use ${USAGE})`);
  }
  const bad = [
    ...(args.timeScale > 0 && args.timeScale <= 200 ? [] : ['--time-scale (0 < x ≤ 200)']),
    ...(Number.isInteger(args.seed) && args.seed >= 0 ? [] : ['--seed (an integer ≥ 0)']),
    ...(args.timeoutMs > 0 && args.timeoutMs <= 24 * 3600_000 ? [] : ['--timeout (0 < minutes ≤ 1440)']),
    ...(args.scenarios.length > 0 && args.scenarios.every((s) => s === 'baseline' || s === 'operator')
      ? []
      : ['--scenarios (baseline, operator or both)']),
    ...(/^\d+\.\d+\.\d+$/.test(args.toVersion) ? [] : ['--to-version (x.y.z)']),
  ];
  if (bad.length > 0) throw new Error(`bad value for ${bad.join(', ')}`);
  return args;
}

const BUCKET = 'neo4j-ecs-bench';
/** Every database of the shape, and those the workload writes to. */
const DATABASES = ['system', 'neo4j', 'movies'];
const WRITTEN = ['neo4j', 'movies'];
/** Bound on bringing a scenario's cluster up, virtual ms. */
const BRING_UP_MS = 20 * 60_000;
/** The workload runs this long before the change, virtual ms. */
const SETTLE_MS = 20_000;
const BASELINE_AGENT = 'getsocial-baseline';
const OPERATOR_AGENT = 'neo4j-ecs-operator';

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface World {
  twin: Twin;
  cluster: Neo4jCluster;
  specText: string;
  boot: BootstrapResult;
  password: string;
  harness: AwsClients;
  secrets: SecretsManagerClient;
  close(): Promise<void>;
}

/** A fresh twin with the shape's infrastructure bootstrapped (ECS cluster, one ASG per AZ, bucket, secret). */
async function startWorld(args: Args): Promise<World> {
  const twin = await startTwin({
    port: 0,
    seed: args.seed,
    timeScale: args.timeScale,
    neo4j: { databases: ['movies'], seed: args.seed },
  });
  Object.assign(process.env, twinEnv(twin));
  const specText = readFileSync(defaultSpecPath(), 'utf8');
  const cluster = demoCluster(specText, 'examples/minimal.yaml');
  const harness = createAwsClients();
  const secrets = new SecretsManagerClient({});
  const password = `bench-${randomBytes(9).toString('hex')}`;
  const boot = await bootstrapInfrastructure({ ...harness, secrets }, cluster, { bucket: BUCKET, password });
  return {
    twin,
    cluster,
    specText,
    boot,
    password,
    harness,
    secrets,
    async close() {
      destroyAwsClients(harness);
      secrets.destroy();
      await twin.stop();
    },
  };
}

/** Polls `probe` every 100 ms of wall time until it gives a value, or throws after `virtualMs`. */
async function waitFor<T>(
  twin: Twin,
  what: string,
  virtualMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const start = twin.clock.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (twin.clock.now() - start > virtualMs)
      throw new Error(`${what}: not reached within ${Math.round(virtualMs / 1000)} virtual seconds`);
    await realSleep(100);
  }
}

/** Resolves after `ms` of virtual time. */
const virtualSleep = (twin: Twin, ms: number): Promise<void> =>
  new Promise((r) => twin.clock.setTimeout(() => r(), ms));

/** `host:port` of every running member: what a DNS name over the members' tasks (Cloud Map) resolves to. */
function memberAddresses(twin: Twin): string[] {
  return twin.neo4j
    .members()
    .filter((m) => m.state === 'running')
    .map((m) => m.boltUrl.replace(/^bolt:\/\//, ''));
}

/**
 * Over Bolt with the real driver: every member answers, Free servers are enabled, every database has
 * a leader and every member is healthy. Resolves to true then, undefined before.
 */
async function clusterFormed(twin: Twin, password: string, members: number): Promise<true | undefined> {
  const seeds = memberAddresses(twin).map((a) => `bolt://${a}`);
  if (seeds.length < members) return undefined;
  const auth = { user: 'neo4j', password };
  const view = await probeCluster(seeds, auth, { timeoutMs: 3000, now: () => twin.clock.now() });
  for (const m of view.members)
    if (m.serverState === 'Free' && m.serverId !== undefined) {
      const c = new MemberConnection(m.url, auth, { timeoutMs: 3000 });
      await enableServer(c, m.serverId).finally(() => c.close());
    }
  const leaders = DATABASES.every((d) => view.leaders[d] !== undefined && view.leaders[d] !== null);
  return leaders && view.members.every((m) => m.healthy) ? true : undefined;
}

function workloadOn(world: World): Workload {
  const first = memberAddresses(world.twin)[0];
  if (first === undefined) throw new Error('no running member to point the workload at');
  return startWorkload({
    url: `neo4j://${first}`,
    user: 'neo4j',
    password: world.password,
    databases: WRITTEN,
    clock: world.twin.clock,
    intervalMs: 250,
    // Real ms: far above a loopback write even on a loaded machine, so a slow write never counts as an outage.
    writeTimeoutMs: 2000,
    resolver: () => memberAddresses(world.twin),
  });
}

interface ScenarioResult {
  scenario: Scenario;
  figures: RollFigures;
  calls: { total: number; byOperation: Record<string, number> };
  /** What the scenario wants the reader to know (holds seen, timeouts, ECS's order). */
  notes: string[];
  /** AZ of each member (by server id), from its tasks. */
  zones: Record<string, string>;
  wallSeconds: number;
}

function zonesOf(events: readonly WorldEventLike[]): Record<string, string> {
  const zoneOfHost = new Map<string, string>();
  for (const e of events)
    if (e.kind.startsWith('ecs.task.') && typeof e['address'] === 'string' && typeof e['az'] === 'string')
      zoneOfHost.set(e['address'], e['az']);
  const out: Record<string, string> = {};
  for (const e of events)
    if (e.kind === 'neo4j.member.started' && typeof e['serverId'] === 'string') {
      const zone = zoneOfHost.get(String(e['address']).replace(/:\d+$/, ''));
      if (zone !== undefined) out[e['serverId']] = zone;
    }
  return out;
}

/** Waits until the figures say every member is on `version` and caught up, or `deadline` (virtual) passes. */
async function untilRolled(world: World, t0: number, version: string, deadline: number): Promise<boolean> {
  const { twin } = world;
  for (;;) {
    const now = twin.clock.now();
    const f = rollFigures({
      events: twin.world.list(),
      samples: [],
      databases: DATABASES,
      workloadDatabases: [],
      from: t0,
      to: now,
      newVersion: version,
    });
    if (f.complete) return true;
    if (now > deadline) return false;
    await realSleep(200);
  }
}

/**
 * What the figures rest on, checked over the whole run: the workload wrote before the change, and no
 * member lost data, ran without its volume or was refused.
 */
function sanity(events: readonly WorldEventLike[], workload: Workload, t0: number): string {
  const before = workload.samples.filter((x) => x.t < t0);
  const ok = before.filter((x) => x.ok).length;
  const count = (kind: string): number => events.filter((e) => e.kind === kind).length;
  return `before the change ${ok}/${before.length} writes succeeded; over the whole run ${count('neo4j.data.lost')} data lost, ${count('neo4j.member.no-volume')} members without a volume, ${count('neo4j.member.refused')} refused starts`;
}

function measure(
  world: World,
  workload: Workload,
  o: { t0: number; to: number; version: string; mine: (c: CallLike) => boolean; callsTo?: number },
): Pick<ScenarioResult, 'figures' | 'calls' | 'zones' | 'notes'> {
  const events = world.twin.world.list();
  return {
    notes: [sanity(events, workload, o.t0)],
    figures: rollFigures({
      events,
      samples: workload.samples,
      databases: DATABASES,
      workloadDatabases: WRITTEN,
      from: o.t0,
      to: o.to,
      newVersion: o.version,
    }),
    calls: callsByOperation(world.twin.calls.list(), o.t0, o.callsTo ?? o.to, o.mine),
    zones: zonesOf(events),
  };
}

// ------------------------------------------------------------------------------------------ baseline

const CORE_SERVICE = 'neo4j-core';

function coreTaskDefinition(world: World, version: string): RegisterTaskDefinitionCommand {
  const account = world.boot.secretArn.split(':')[4] ?? '000000000000';
  const env = {
    NEO4J_ACCEPT_LICENSE_AGREEMENT: 'yes',
    NEO4J_initial_server_mode__constraint: 'PRIMARY',
    NEO4J_dbms_cluster_minimum__initial__system__primaries__count: '3',
    // GetSocial's discovery: Cloud Map. Host networking needs SRV records (no A records without awsvpc).
    NEO4J_dbms_cluster_discovery_resolver__type: 'SRV',
    NEO4J_dbms_cluster_discovery_version: 'V2_ONLY',
    NEO4J_dbms_cluster_discovery_v2_endpoints: `${CORE_SERVICE}.${world.cluster.spec.discovery.namespace}:6000`,
    NEO4J_server_memory_heap_initial__size: world.cluster.spec.resources.heap,
    NEO4J_server_memory_heap_max__size: world.cluster.spec.resources.heap,
    NEO4J_server_memory_pagecache_size: world.cluster.spec.resources.pageCache,
  };
  return new RegisterTaskDefinitionCommand({
    family: CORE_SERVICE,
    networkMode: 'host',
    executionRoleArn: `arn:aws:iam::${account}:role/${CORE_SERVICE}-execution`,
    // The AZ's volume, mounted by the host (GetSocial: the rexray/ebs volume named after the stack).
    volumes: [{ name: 'data', host: { sourcePath: '/mnt/xvdf/neo4j' } }],
    containerDefinitions: [
      {
        name: 'neo4j',
        image: `neo4j:${version}-enterprise`,
        essential: true,
        cpu: world.cluster.spec.resources.cpu,
        memory: world.cluster.spec.resources.memoryMiB,
        portMappings: [5000, 6000, 7000, 7474, 7687].map((p) => ({
          containerPort: p,
          hostPort: p,
          protocol: 'tcp' as const,
        })),
        environment: Object.entries(env).map(([name, value]) => ({ name, value })),
        secrets: [{ name: 'NEO4J_AUTH', valueFrom: world.boot.secretArn }],
        mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
        // GetSocial's check (TCP ports, then a cluster overview); the twin's members answer it.
        healthCheck: {
          command: ['CMD-SHELL', '/healthcheck.sh || exit 1'],
          interval: 30,
          timeout: 15,
          retries: 10,
          startPeriod: 300,
        },
      },
    ],
  });
}

/** One instance per AZ (each AZ's ASG held at 1), one volume per AZ attached to it, all three ACTIVE in ECS. */
async function baselineCapacity(world: World, aws: AwsClients): Promise<void> {
  const { twin, boot } = world;
  const zones = Object.entries(boot.primaryAutoScalingGroups);
  for (const [, asg] of zones)
    await aws.autoscaling.send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: asg, MinSize: 1, DesiredCapacity: 1 }),
    );
  const instanceOf = await waitFor(twin, 'an InService instance per AZ', BRING_UP_MS, async () => {
    const out = await aws.autoscaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: zones.map(([, g]) => g) }),
    );
    const byZone = new Map<string, string>();
    for (const g of out.AutoScalingGroups ?? [])
      for (const i of g.Instances ?? [])
        if (i.LifecycleState === 'InService' && i.AvailabilityZone && i.InstanceId)
          byZone.set(i.AvailabilityZone, i.InstanceId);
    return byZone.size === zones.length ? byZone : undefined;
  });
  for (const [zone] of zones) {
    const v = await aws.ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: zone,
        Size: world.cluster.spec.volume.sizeGiB,
        VolumeType: 'gp3',
        TagSpecifications: [
          { ResourceType: 'volume', Tags: [{ Key: 'Name', Value: `${CORE_SERVICE}-data-${zone}` }] },
        ],
      }),
    );
    const volumeId = v.VolumeId ?? '';
    const state = async (): Promise<string | undefined> =>
      (await aws.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes?.[0]?.State;
    await waitFor(twin, `volume ${volumeId} available`, BRING_UP_MS, async () =>
      (await state()) === 'available' ? true : undefined,
    );
    await aws.ec2.send(
      new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceOf.get(zone), Device: '/dev/xvdf' }),
    );
    await waitFor(twin, `volume ${volumeId} in use`, BRING_UP_MS, async () =>
      (await state()) === 'in-use' ? true : undefined,
    );
  }
  await waitFor(twin, 'three ECS container instances', BRING_UP_MS, async () => {
    const out = await aws.ecs.send(
      new ListContainerInstancesCommand({ cluster: boot.ecsCluster, status: 'ACTIVE' }),
    );
    return (out.containerInstanceArns ?? []).length >= zones.length ? true : undefined;
  });
}

async function describeCore(world: World, aws: AwsClients): Promise<Service | undefined> {
  const out = await aws.ecs.send(
    new DescribeServicesCommand({ cluster: world.boot.ecsCluster, services: [CORE_SERVICE] }),
  );
  return out.services?.[0];
}

/** What `aws ecs wait services-stable` waits for: one deployment, running = desired. */
const stable = (s: Service | undefined): boolean =>
  s !== undefined && (s.deployments ?? []).length === 1 && s.runningCount === s.desiredCount;

async function baseline(args: Args): Promise<ScenarioResult> {
  const wallStart = Date.now();
  const world = await startWorld(args);
  const { twin } = world;
  // The baseline's own driver: its calls carry its user agent, so the call log tells them apart.
  const aws = createAwsClients({ userAgent: [[BASELINE_AGENT, '1']] });
  let workload: Workload | undefined;
  try {
    await baselineCapacity(world, aws);
    const from = world.cluster.spec.neo4j.version;
    const td1 = await aws.ecs.send(coreTaskDefinition(world, from));
    const registry = await aws.servicediscovery.send(
      new CreateServiceSdCommand({
        Name: CORE_SERVICE,
        NamespaceId: world.boot.namespaceId,
        DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'SRV', TTL: 10 }] },
        HealthCheckCustomConfig: { FailureThreshold: 1 },
      }),
    );
    await aws.ecs.send(
      new CreateServiceCommand({
        cluster: world.boot.ecsCluster,
        serviceName: CORE_SERVICE,
        taskDefinition: td1.taskDefinition?.taskDefinitionArn,
        desiredCount: 3,
        launchType: 'EC2',
        placementConstraints: [{ type: 'distinctInstance' }],
        placementStrategy: [
          { type: 'spread', field: 'attribute:ecs.availability-zone' },
          { type: 'spread', field: 'instanceId' },
        ],
        deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 },
        serviceRegistries: [
          { registryArn: registry.Service?.Arn, containerName: 'neo4j', containerPort: 6000 },
        ],
      }),
    );
    await waitFor(twin, 'the baseline cluster formed', BRING_UP_MS, () =>
      clusterFormed(twin, world.password, 3),
    );
    await waitFor(twin, 'the core service stable', BRING_UP_MS, async () =>
      stable(await describeCore(world, aws)) ? true : undefined,
    );
    workload = workloadOn(world);
    await virtualSleep(twin, SETTLE_MS);

    // The image change, the GetSocial way.
    const t0 = twin.clock.now();
    const td2 = await aws.ecs.send(coreTaskDefinition(world, args.toVersion));
    await aws.ecs.send(
      new UpdateServiceCommand({
        cluster: world.boot.ecsCluster,
        service: CORE_SERVICE,
        taskDefinition: td2.taskDefinition?.taskDefinitionArn,
        forceNewDeployment: true,
      }),
    );
    const deadline = t0 + args.timeoutMs;
    let stableAt: number | null = null;
    while (twin.clock.now() <= deadline) {
      await virtualSleep(twin, 15_000);
      if (stable(await describeCore(world, aws))) {
        stableAt = twin.clock.now();
        break;
      }
    }
    const rolled = await untilRolled(world, t0, args.toVersion, deadline);
    const to = Math.max(twin.clock.now(), stableAt ?? 0);
    const notes = [
      stableAt === null
        ? `the service did not become stable within ${args.timeoutMs / 60_000} virtual minutes`
        : `the driver's wait (DescribeServices every 15 s) saw the service stable ${((stableAt - t0) / 1000).toFixed(0)} s after the change`,
      ...(rolled ? [] : ['not every member reached the new version and caught up before the timeout']),
    ];
    await workload.stop();
    const m = measure(world, workload, {
      t0,
      to,
      version: args.toVersion,
      mine: (c) => c.userAgent?.includes(`${BASELINE_AGENT}/`) ?? false,
    });
    return {
      scenario: 'baseline',
      ...m,
      notes: [...notes, ...m.notes],
      wallSeconds: (Date.now() - wallStart) / 1000,
    };
  } finally {
    await workload?.stop().catch(() => undefined);
    destroyAwsClients(aws);
    await world.close();
  }
}

// ------------------------------------------------------------------------------------------ operator

const quiet = { write: (): boolean => true };

async function operator(args: Args): Promise<ScenarioResult> {
  const wallStart = Date.now();
  const world = await startWorld(args);
  const { twin, cluster } = world;
  const store = new S3ObjectStore(world.harness.s3);
  const key = `clusters/${cluster.metadata.name}.yaml`;
  const spec = withSecretArn(world.specText, world.boot.secretArn);
  await store.put(BUCKET, key, spec);
  const userAgent: [string, string][] = [[OPERATOR_AGENT, 'bench']];
  const clients = createAwsClients({ userAgent });
  const opSecrets = new SecretsManagerClient({ customUserAgent: userAgent });
  const config = loadConfig({ source: `s3://${BUCKET}/clusters/`, httpPort: 'off', holderId: 'bench' }, {});
  const running = await startController(config, {
    clients,
    clock: clockFrom(twin.clock),
    secrets: new AwsSecretReader(opSecrets),
    stdout: quiet,
    stderr: quiet,
  });
  const passes: PassResult[] = [];
  let collecting = true;
  void (async () => {
    while (collecting) passes.push(await running.controller.nextPass(cluster.metadata.name));
  })();
  let workload: Workload | undefined;
  try {
    await waitFor(twin, 'the operator brought the cluster up', BRING_UP_MS, async () => {
      const last = passes.slice(-2);
      const quietPasses =
        last.length === 2 && last.every((p) => p.actions.length === 0 && p.holds.length === 0 && !p.error);
      return quietPasses ? clusterFormed(twin, world.password, 3) : undefined;
    });
    workload = workloadOn(world);
    await virtualSleep(twin, SETTLE_MS);

    // The image change: the new version in the spec in S3.
    const doc = parseDocument(spec);
    doc.setIn(['spec', 'neo4j', 'version'], args.toVersion);
    const t0 = twin.clock.now();
    const passesBefore = passes.length;
    await store.put(BUCKET, key, doc.toString());
    const deadline = t0 + args.timeoutMs;
    const rolled = await untilRolled(world, t0, args.toVersion, deadline);
    const to = Math.min(twin.clock.now(), deadline);
    await workload.stop();
    const holds: Record<string, number> = {};
    for (const p of passes.slice(passesBefore))
      for (const h of p.holds) holds[h.reason] = (holds[h.reason] ?? 0) + 1;
    const held = Object.entries(holds)
      .map(([r, n]) => `${r} ×${n}`)
      .join(', ');
    const notes = rolled
      ? [`holds during the roll: ${held || 'none'}`]
      : [
          `the roll did not complete within ${args.timeoutMs / 60_000} virtual minutes; the controller held: ${held || 'nothing'}`,
        ];
    const m = measure(world, workload, {
      t0,
      to,
      version: args.toVersion,
      mine: (c) => c.userAgent?.includes(`${OPERATOR_AGENT}/`) ?? false,
    });
    return {
      scenario: 'operator',
      ...m,
      notes: [...notes, ...m.notes],
      wallSeconds: (Date.now() - wallStart) / 1000,
    };
  } finally {
    collecting = false;
    await workload?.stop().catch(() => undefined);
    await running.stop();
    destroyAwsClients(clients);
    opSecrets.destroy();
    await world.close();
  }
}

// ------------------------------------------------------------------------------------------ report

const s1 = (v: number | null): string => (v === null ? '—' : v.toFixed(1));

/** The side-by-side table: one row per figure, one column per scenario. */
function table(results: ScenarioResult[]): string[] {
  const rows: [string, ...string[]][] = [];
  const row = (label: string, f: (r: ScenarioResult) => string): void => {
    rows.push([label, ...results.map(f)]);
  };
  for (const db of DATABASES)
    row(`leadership changes: ${db}`, (r) => String(r.figures.leadershipChanges[db] ?? 0));
  for (const db of WRITTEN)
    row(`s with no writable leader (workload): ${db}`, (r) => s1(r.figures.unwritableSeconds[db] ?? 0));
  for (const db of WRITTEN)
    row(`failed writes / attempts: ${db}`, (r) => {
      const w = r.figures.writes[db];
      return w ? `${w.failed} / ${w.attempts}` : '—';
    });
  for (const db of DATABASES)
    row(`s with no leader (world log): ${db}`, (r) => s1(r.figures.leaderlessSeconds[db] ?? 0));
  row('total duration, s', (r) =>
    r.figures.complete
      ? s1(r.figures.totalSeconds)
      : `incomplete (${s1((r.figures.to - r.figures.from) / 1000)}+)`,
  );
  row('sum of restart + catch-up, s (lower bound)', (r) => s1(r.figures.lowerBoundSeconds));
  row('AWS calls during the roll', (r) => String(r.calls.total));
  const ops = [...new Set(results.flatMap((r) => Object.keys(r.calls.byOperation)))].sort();
  for (const op of ops) row(`  ${op}`, (r) => String(r.calls.byOperation[op] ?? 0));
  const header: [string, ...string[]] = ['figure', ...results.map((r) => r.scenario)];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

function restartLines(r: ScenarioResult): string[] {
  const lines = [
    `${r.scenario}: restarts in the order they happened (${r.wallSeconds.toFixed(0)} s wall for the scenario)`,
  ];
  r.figures.restarts.forEach((m, i) => {
    const zone = r.zones[m.serverId] ?? '?';
    const span =
      m.stopAt !== null && m.caughtUpAt !== null
        ? `${s1((m.caughtUpAt - m.stopAt) / 1000)} s stop → caught up`
        : 'not rolled';
    const at = m.stopAt !== null ? `stopped at +${s1((m.stopAt - r.figures.from) / 1000)} s` : 'not stopped';
    lines.push(
      `  ${i + 1}. server ${m.serverId.slice(0, 8)} (${zone}): ${at} leading [${m.ledAtStop.join(', ')}], ${span}`,
    );
  });
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cpu = cpus();
  console.log(
    `roll benchmark — node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, time scale ${args.timeScale}, seed ${args.seed}, timeout ${args.timeoutMs / 60_000} virtual min`,
  );
  console.log(
    `shape: examples/minimal.yaml (3 primaries over 3 AZs, no secondaries), databases ${DATABASES.join(', ')}, workload writing to ${WRITTEN.join(', ')}; image 5.26.12 → ${args.toVersion}`,
  );
  const results: ScenarioResult[] = [];
  for (const s of args.scenarios) {
    console.log(`running ${s} …`);
    results.push(s === 'baseline' ? await baseline(args) : await operator(args));
  }
  console.log('');
  for (const l of table(results)) console.log(l);
  console.log('');
  for (const r of results) for (const l of restartLines(r)) console.log(l);
}

main().then(
  () => setTimeout(() => process.exit(0), 500).unref(),
  (e: unknown) => {
    console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
