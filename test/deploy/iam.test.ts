/**
 * Least privilege: every AWS action the operator makes is allowed by the policy in
 * deploy/operator.yaml, and the policy has no wildcard action. The actions come from one representative
 * end-to-end run on the twin (examples/minimal.yaml to Ready, then a killed primary task heals, then a
 * primary whose instance is terminated heals on a new instance with the same volume),
 * through the controller's own user-agent-tagged clients, and from the action sets other suites saved
 * under .cache/iam-actions/ (test/helpers/iam.ts recordOperatorActions).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { parse } from 'yaml';
import type { AwsClients } from '../../src/aws/clients.js';
import { createAwsClients, destroyAwsClients } from '../../src/aws/clients.js';
import { S3ObjectStore } from '../../src/aws/object-store.js';
import { AwsSecretReader } from '../../src/aws/secrets.js';
import { loadConfig } from '../../src/controller/config.js';
import type { RunningController } from '../../src/controller/wiring.js';
import { startController } from '../../src/controller/wiring.js';
import { bootstrapInfrastructure } from '../../src/demo/bootstrap.js';
import { clockFrom } from '../../src/demo/clock.js';
import { withSecretArn } from '../../src/demo/spec.js';
import { validateCluster } from '../../src/model/document.js';
import type { ClusterStatus } from '../../src/model/status.js';
import type { Twin } from '../../twin/index.js';
import { startTwin } from '../../twin/index.js';
import {
  OPERATOR_USER_AGENT,
  assertAllowedByOperatorPolicy,
  iamActionOf,
  operatorActions,
  operatorPolicyStatements,
  recordedOperatorActions,
  wildcardActions,
} from '../helpers/iam.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';

const BUCKET = 'neo4j-ecs-iam';

/** A parameter's default in deploy/operator.yaml. */
function operatorYamlDefault(name: string): unknown {
  const text = readFileSync(join(REPO, 'deploy/operator.yaml'), 'utf8');
  const m = new RegExp(`\\n  ${name}:\\n(?:    .*\\n)*?    Default: (.*)\\n`).exec(text);
  return m?.[1];
}
const NAME = 'graph-minimal';
const ECS = 'neo4j-minimal';

let twin: Twin | undefined;
let clients: AwsClients | undefined;
let secrets: SecretsManagerClient | undefined;
let controller: RunningController | undefined;
let store: S3ObjectStore;

async function ready(): Promise<true | undefined> {
  const r = await store.get(BUCKET, `clusters/status/${NAME}.json`);
  return r.status === 'ok' && (JSON.parse(r.body) as ClusterStatus).phase === 'Ready' ? true : undefined;
}

async function instanceOf(member: string): Promise<string | undefined> {
  const vols =
    (
      await clients!.ec2.send(
        new DescribeVolumesCommand({ Filters: [{ Name: 'tag:neo4j-ecs:member', Values: [member] }] }),
      )
    ).Volumes ?? [];
  const a = vols[0]?.Attachments?.[0];
  return a?.State === 'attached' ? a.InstanceId : undefined;
}

async function runningTaskArns(member = `${NAME}-primary-1`): Promise<string[]> {
  const ecs = clients!.ecs;
  const arns =
    (await ecs.send(new ListTasksCommand({ cluster: ECS, desiredStatus: 'RUNNING' }))).taskArns ?? [];
  if (arns.length === 0) return [];
  const d = await ecs.send(new DescribeTasksCommand({ cluster: ECS, tasks: arns }));
  return (d.tasks ?? [])
    .filter((t) => t.lastStatus === 'RUNNING' && t.group === `service:${member}`)
    .map((t) => t.taskArn!);
}

beforeAll(async () => {
  twin = await startTwin({ port: 0, seed: 23, timeScale: 100, neo4j: { electionTimeoutMs: 2000 } });
  const common = {
    endpoint: twin.endpoint,
    region: twin.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  // The infrastructure is made by the test's own clients (no operator user agent) …
  const boot = createAwsClients({ overrides: { ...common, maxAttempts: 2 } });
  const bootSecrets = new SecretsManagerClient(common);
  const specText = readFileSync(join(REPO, 'examples/minimal.yaml'), 'utf8');
  const { cluster } = validateCluster(parse(specText));
  if (!cluster) throw new Error('invalid examples/minimal.yaml');
  const infra = await bootstrapInfrastructure({ ...boot, secrets: bootSecrets }, cluster, {
    bucket: BUCKET,
    password: 'iam-test-password-not-secret',
  });
  await new S3ObjectStore(boot.s3).put(
    BUCKET,
    `clusters/${NAME}.yaml`,
    withSecretArn(specText, infra.secretArn),
  );
  destroyAwsClients(boot);
  bootSecrets.destroy();

  // … the operator's carry its user agent, as `neo4j-ecs run` sets it.
  const userAgent: [string, string][] = [
    [OPERATOR_USER_AGENT, '0.0.0-test'],
    ['holder', 'iam'],
  ];
  clients = createAwsClients({ userAgent, overrides: { ...common, maxAttempts: 2 } });
  secrets = new SecretsManagerClient({ ...common, customUserAgent: userAgent });
  store = new S3ObjectStore(clients.s3);
  const config = loadConfig(
    {
      source: `s3://${BUCKET}/clusters/`,
      httpPort: 'off',
      holderId: 'iam',
      interval: '15s',
      cloudwatch: 'true',
    },
    {},
  );
  controller = await startController(config, {
    clients,
    clock: clockFrom(twin.clock),
    secrets: new AwsSecretReader(secrets),
    stdout: { write: () => true },
    stderr: { write: () => true },
  });
}, 60_000);

afterAll(async () => {
  await controller?.stop();
  if (clients) destroyAwsClients(clients);
  secrets?.destroy();
  await twin?.stop();
}, 30_000);

it('the policy has no wildcard action and every statement names its actions', () => {
  const statements = operatorPolicyStatements();
  expect(statements.length).toBeGreaterThan(5);
  expect(wildcardActions(statements)).toEqual([]);
  expect(wildcardActions([{ Effect: 'Allow', Action: ['ec2:*'] }])).toEqual(['ec2:*']);
});

it('the checker names what the policy does not allow', () => {
  expect(() => assertAllowedByOperatorPolicy(['ec2:DescribeVolumes'])).not.toThrow();
  expect(() => assertAllowedByOperatorPolicy(['ec2:TerminateInstances', 'iam:CreateUser'])).toThrow(
    /ec2:TerminateInstances, iam:CreateUser/,
  );
  expect(iamActionOf({ service: 's3', operation: 'HeadBucket' })).toBe('s3:ListBucket');
  expect(iamActionOf({ service: 'monitoring', operation: 'PutMetricData' })).toBe('cloudwatch:PutMetricData');
});

it('allows every action the operator makes bringing examples/minimal.yaml to Ready, healing a killed primary and replacing an instance', async () => {
  await eventually(ready, 'phase Ready', 150_000);
  // The Neo4j probe reads the credentials once members run; wait for it so the run covers it.
  await eventually(
    () =>
      Promise.resolve(operatorActions(twin!).includes('secretsmanager:GetSecretValue') ? true : undefined),
    'the operator reading the Neo4j secret',
    60_000,
  );
  const [task] = await eventually(
    async () => ((await runningTaskArns()).length === 1 ? runningTaskArns() : undefined),
    'primary 1 running',
    30_000,
  );
  await twin!.control('killTask', { taskArn: task! });
  await eventually(
    async () => {
      const now = await runningTaskArns();
      return now.length === 1 && now[0] !== task ? true : undefined;
    },
    'primary 1 healed',
    120_000,
  );

  // A terminated instance: the volume is detached and re-attached to the replacement in its AZ.
  const second = `${NAME}-primary-2`;
  const old = await eventually(instanceOf.bind(null, second), 'primary 2 attached', 30_000);
  await twin!.control('terminateInstance', { instanceId: old });
  await eventually(
    async () => {
      const now = await instanceOf(second);
      return now !== undefined && now !== old && (await runningTaskArns(second)).length === 1
        ? true
        : undefined;
    },
    'primary 2 back on a new instance',
    150_000,
  );

  // Stopping flushes buffered events and metrics, so their calls are in the log too.
  await controller!.stop();
  const actions = operatorActions(twin!);
  const recorded = recordedOperatorActions();
  const all = [...new Set([...actions, ...Object.values(recorded).flat()])].sort();
  console.log(
    `operator actions (${all.length}; this run ${actions.length}, saved by ${Object.keys(recorded).length} other suites):\n${all.join('\n')}`,
  );
  // The run exercised the operator's writes, not only its reads.
  const expected = [
    'ec2:CreateVolume',
    'ec2:AttachVolume',
    'ecs:CreateService',
    'ecs:RegisterTaskDefinition',
    'ecs:PutAttributes',
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:PutLifecycleHook',
    'secretsmanager:GetSecretValue',
    'cloudwatch:PutMetricData',
    's3:PutObject',
  ];
  expect(expected.filter((a) => !actions.includes(a))).toEqual([]);
  assertAllowedByOperatorPolicy(all);

  // The policy's conditions: creates carry the managed-by request tag, ECS writes name a managed cluster.
  const mine = twin!.calls.list().filter((r) => r.userAgent?.includes(`${OPERATOR_USER_AGENT}/`));
  const tagged = (r: (typeof mine)[number]): boolean =>
    JSON.stringify(r.params).includes('"managed-by","Value":"neo4j-ecs-operator"') ||
    JSON.stringify(r.params).includes('"managed-by","value":"neo4j-ecs-operator"');
  const creates = mine.filter((r) =>
    ['CreateVolume', 'RegisterTaskDefinition', 'CreateService'].includes(r.operation),
  );
  expect(creates.length).toBeGreaterThanOrEqual(3);
  expect(creates.filter((r) => !tagged(r)).map((r) => r.operation)).toEqual([]);
  const ecsWrites = mine.filter((r) =>
    ['CreateService', 'UpdateService', 'PutAttributes', 'DeleteAttributes'].includes(r.operation),
  );
  expect(ecsWrites.length).toBeGreaterThan(0);
  for (const r of ecsWrites) expect([r.operation, String(r.params['cluster'])]).toEqual([r.operation, ECS]);
  expect(ECS.startsWith(String(operatorYamlDefault('ManagedEcsClusterPrefix')))).toBe(true);
}, 300_000);

it('grants nothing the operator’s code never calls (besides the implied PassRole and tag-on-create)', () => {
  // Operations src/ sends, outside the demo bootstrap (which runs with the user's credentials).
  const sent = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'demo') walk(p);
      } else if (e.name.endsWith('.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(/new ([A-Z][A-Za-z0-9]+)Command\(/g))
          sent.add(m[1]!);
    }
  };
  walk(join(REPO, 'src'));
  const implied: Record<string, string[]> = {
    'iam:PassRole': ['RegisterTaskDefinition'],
    'ec2:CreateTags': ['CreateVolume'],
    'ecs:TagResource': ['CreateService', 'RegisterTaskDefinition'],
    's3:ListBucket': ['HeadBucket', 'ListObjectsV2'],
  };
  const unused = operatorPolicyStatements()
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
    .filter((a) => {
      const via = implied[a] ?? [a.split(':')[1]!];
      return !via.some((op) => sent.has(op));
    });
  expect(unused).toEqual([]);
});
