/**
 * End-to-end helpers: the whole twin (AWS + simulated Neo4j in ECS tasks) at a high time scale, the
 * infrastructure from `bootstrapInfrastructure` (src/demo/bootstrap.ts), the spec in S3, and the
 * controller as `neo4j-ecs run` wires it, on the twin's clock. Plus the world-log invariants the
 * topology must keep over a whole run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Task } from '@aws-sdk/client-ecs';
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsClients } from '../../src/aws/clients.js';
import { createAwsClients, destroyAwsClients } from '../../src/aws/clients.js';
import { S3ObjectStore } from '../../src/aws/object-store.js';
export { eventually } from '../helpers/eventually.js';
import {
  assertAllowedByOperatorPolicy,
  OPERATOR_USER_AGENT,
  operatorActions,
  recordOperatorActions,
} from '../helpers/iam.js';
import { loadConfig } from '../../src/controller/config.js';
import type { RunningController } from '../../src/controller/wiring.js';
import { startController } from '../../src/controller/wiring.js';
import type { BootstrapResult } from '../../src/demo/bootstrap.js';
import { bootstrapInfrastructure } from '../../src/demo/bootstrap.js';
import { clockFrom } from '../../src/demo/clock.js';
import { withSecretArn } from '../../src/demo/spec.js';
import { validateCluster } from '../../src/model/document.js';
import type { ClusterStatus } from '../../src/model/status.js';
import { parse } from 'yaml';
import type { Twin } from '../../twin/index.js';
import { startTwin } from '../../twin/index.js';
import { REPO } from '../helpers/cli.js';

export const BUCKET = 'neo4j-ecs-e2e';
export const PASSWORD = 'e2e-password-not-secret';

export interface E2e {
  twin: Twin;
  clients: AwsClients;
  secrets: SecretsManagerClient;
  store: S3ObjectStore;
  controller: RunningController;
  specKey: string;
  secretArn: string;
  /** What the bootstrap made (the Cloud Map service and the members' security group included). */
  infra: BootstrapResult;
  /** The controller's JSON-line events, as written. */
  lines: string[];
  /** Stops the controller (gracefully: leases released) and starts a fresh one, with no state carried over. */
  restartController(): Promise<void>;
  stop(): Promise<void>;
}

export function exampleText(file: string): string {
  return readFileSync(join(REPO, 'examples', file), 'utf8');
}

/** Starts the twin, bootstraps the spec's infrastructure, puts the spec in S3 and starts the controller. */
export async function startE2e(
  specText: string,
  opts: { timeScale?: number; seed?: number } = {},
): Promise<E2e> {
  const twin = await startTwin({
    port: 0,
    seed: opts.seed ?? 11,
    timeScale: opts.timeScale ?? 100,
    neo4j: { electionTimeoutMs: 2000 },
  });
  const common = {
    endpoint: twin.endpoint,
    region: twin.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  // The harness (bootstrap, assertions) and the operator use separate clients; the operator's carry
  // its user agent, so the twin's call log tells its calls apart for the IAM check in stop().
  const clients = createAwsClients({ overrides: { ...common, maxAttempts: 2 } });
  const secrets = new SecretsManagerClient(common);
  const operatorUserAgent: [string, string][] = [[OPERATOR_USER_AGENT, 'e2e']];
  const operatorClients = createAwsClients({
    userAgent: operatorUserAgent,
    overrides: { ...common, maxAttempts: 2 },
  });
  const { cluster } = validateCluster(parse(specText));
  if (!cluster) throw new Error('invalid e2e spec');
  const boot = await bootstrapInfrastructure({ ...clients, secrets }, cluster, {
    bucket: BUCKET,
    password: PASSWORD,
  });
  const store = new S3ObjectStore(clients.s3);
  const specKey = `clusters/${cluster.metadata.name}.yaml`;
  await store.put(BUCKET, specKey, withSecretArn(specText, boot.secretArn));
  const config = loadConfig(
    {
      source: `s3://${BUCKET}/clusters/`,
      httpPort: 'off',
      holderId: 'e2e',
      interval: '15s',
      cloudwatch: 'false',
    },
    {},
  );
  const lines: string[] = [];
  const start = (): Promise<RunningController> =>
    startController(config, {
      clients: operatorClients,
      clock: clockFrom(twin.clock),
      stdout: {
        write: (chunk: string | Uint8Array) => {
          for (const line of chunk.toString().split('\n')) if (line) lines.push(line);
          return true;
        },
      },
      stderr: { write: () => true },
    });
  let stopped = false;
  const e: E2e = {
    twin,
    clients,
    secrets,
    store,
    controller: await start(),
    specKey,
    secretArn: boot.secretArn,
    infra: boot,
    lines,
    async restartController() {
      await e.controller.stop();
      e.controller = await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await e.controller.stop();
      destroyAwsClients(clients);
      destroyAwsClients(operatorClients);
      secrets.destroy();
      // Least privilege (deploy/operator.yaml): every AWS action the operator made in this run is allowed.
      const actions = operatorActions(twin);
      recordOperatorActions(twin, `e2e-${cluster.metadata.name}-${opts.seed ?? 11}`);
      await twin.stop();
      if (actions.length === 0) throw new Error('the twin recorded no call with the operator user agent');
      assertAllowedByOperatorPolicy(actions);
    },
  };
  return e;
}

type Ev = Record<string, unknown> & { kind: string; t: number; seq: number };

/** The status document the controller last wrote for cluster `name`, if any. */
export async function clusterStatus(e: E2e, name: string): Promise<ClusterStatus | undefined> {
  const r = await e.store.get(BUCKET, `clusters/status/${name}.json`);
  return r.status === 'ok' ? (JSON.parse(r.body) as ClusterStatus) : undefined;
}

/** The tasks of ECS cluster `ecsCluster` whose last status is RUNNING. */
export async function ecsRunningTasks(e: E2e, ecsCluster: string): Promise<Task[]> {
  const arns =
    (await e.clients.ecs.send(new ListTasksCommand({ cluster: ecsCluster, desiredStatus: 'RUNNING' })))
      .taskArns ?? [];
  if (arns.length === 0) return [];
  const d = await e.clients.ecs.send(new DescribeTasksCommand({ cluster: ecsCluster, tasks: arns }));
  return (d.tasks ?? []).filter((t) => t.lastStatus === 'RUNNING');
}

/** A task's Bolt address (`host:7687`, awsvpc). */
export const taskBoltAddress = (t: Task): string =>
  `${t.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address}:7687`;

/**
 * The topology invariants over the whole world log: no volume attached in another AZ than its own; no
 * primary task started without its own volume (in its AZ); never two live tasks of one member; no
 * primary member started on an empty store once it had data. Returns the violations (empty when kept).
 */
export function topologyViolations(twin: { world: { list(): unknown[] } }, cluster: string): string[] {
  const out: string[] = [];
  const events = twin.world.list() as Ev[];
  const live = new Map<string, Set<string>>(); // member → live task ARNs
  const memberOfTask = new Map<string, string>();
  const hadData = new Set<string>();
  const prefix = `service:${cluster}-primary-`;
  for (const e of events) {
    if (
      e.kind === 'ebs.attachment.state' &&
      e['to'] === 'attached' &&
      e['root'] !== true &&
      e['instanceAz'] !== null &&
      e['az'] !== e['instanceAz']
    )
      out.push(
        `volume ${JSON.stringify(e['volumeId'])} of ${JSON.stringify(e['az'])} attached in ${JSON.stringify(e['instanceAz'])}`,
      );
    if (e.kind === 'ecs.task.started' && typeof e['group'] === 'string' && e['group'].startsWith(prefix)) {
      const member = e['group'].slice('service:'.length);
      const vols = (e['volumes'] as { volumeId: string; az: string; tags: Record<string, string> }[]) ?? [];
      const own = vols.find((v) => v.tags['neo4j-ecs:member'] === member);
      if (!own) out.push(`${member}'s task ${String(e['taskArn'])} started without its volume`);
      else if (own.az !== e['az'])
        out.push(`${member}'s task started in ${String(e['az'])} with its volume in ${own.az}`);
      const set = live.get(member) ?? new Set<string>();
      if (set.size > 0)
        out.push(`${member}'s task ${String(e['taskArn'])} started while ${[...set].join(', ')} still live`);
      set.add(String(e['taskArn']));
      live.set(member, set);
      memberOfTask.set(String(e['taskArn']), member);
    }
    if (e.kind === 'ecs.task.state' && e['to'] === 'STOPPED') {
      const member = memberOfTask.get(String(e['taskArn']));
      if (member) live.get(member)?.delete(String(e['taskArn']));
    }
    if (
      e.kind === 'neo4j.member.started' &&
      typeof e['member'] === 'string' &&
      e['member'].startsWith(`${cluster}-primary-`)
    ) {
      if (e['storeEmpty'] === true && hadData.has(e['member']))
        out.push(`${e['member']} started on an empty store after it had data`);
      hadData.add(e['member']);
    }
  }
  return out;
}
