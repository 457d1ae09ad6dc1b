/** The HTTP endpoint of a running controller, and `neo4j-ecs status` / `neo4j-ecs run` as a user runs them. */
import type { AwsClients } from '../../src/aws/clients.js';
import { destroyAwsClients } from '../../src/aws/clients.js';
import { S3ObjectStore } from '../../src/aws/object-store.js';
import { twinEnv } from '../../twin/aws/index.js';
import type { AwsTwin } from '../aws/twin-setup.js';
import { clientsFor, startRealTimeTwin } from '../aws/twin-setup.js';
import { runCli } from '../helpers/cli.js';
import { clusterYaml } from './fixtures.js';
import type { TestController } from './twin-harness.js';
import { eventually, prepareWorld, readStatus, startTestController } from './twin-harness.js';

let twin: AwsTwin;
let clients: AwsClients;
let store: S3ObjectStore;
let ctl: TestController;
let url: string;

const cliEnv = (): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('NEO4J_ECS_')),
  ),
  ...twinEnv(twin),
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
});

beforeAll(async () => {
  twin = await startRealTimeTwin();
  clients = clientsFor(twin);
  store = new S3ObjectStore(clients.s3);
  await prepareWorld(twin, clients, { bucket: 'specs', ecsCluster: 'neo4j-minimal' });
  await store.put('specs', 'web/cluster.yaml', clusterYaml('web'));
  ctl = await startTestController(twin, {
    source: 's3://specs/web/cluster.yaml',
    holderId: 'ctl-web',
    httpHost: '127.0.0.1',
    httpPort: '0',
    cloudwatch: 'false',
  });
  url = ctl.running.http!.url;
  await eventually(
    async () => (await readStatus(store, 'specs', 'web/status/web.json'))?.phase === 'Ready' || undefined,
    'Ready',
  );
}, 120_000);

afterAll(async () => {
  await ctl?.stop();
  destroyAwsClients(clients);
  await twin.stop();
});

describe('HTTP endpoint', () => {
  it('answers /healthz and /readyz', async () => {
    const h = await fetch(`${url}/healthz`);
    expect([h.status, await h.text()]).toEqual([200, 'ok\n']);
    const r = await fetch(`${url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({
      ready: true,
      stopping: false,
      sourceRevision: expect.any(String),
    });
  });

  it('serves Prometheus metrics with controller-runtime names', async () => {
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const series of [
      'controller_runtime_reconcile_total{controller="neo4jcluster",result="success"}',
      'controller_runtime_reconcile_total{controller="neo4jcluster",result="error"} 0',
      'controller_runtime_reconcile_errors_total{controller="neo4jcluster"} 0',
      'controller_runtime_reconcile_time_seconds_bucket{le="0.005",controller="neo4jcluster"}',
      'controller_runtime_max_concurrent_reconciles{controller="neo4jcluster"} 4',
      'workqueue_depth{name="neo4jcluster",controller="neo4jcluster"}',
      'workqueue_adds_total{name="neo4jcluster",controller="neo4jcluster"}',
      'workqueue_retries_total{name="neo4jcluster",controller="neo4jcluster"}',
      'neo4j_ecs_pass_aws_calls{cluster="web"}',
      'neo4j_ecs_aws_calls_total{service="s3",operation="GetObject"}',
      'neo4j_ecs_lease_held{cluster="web"} 1',
      'neo4j_ecs_events_total{type="Normal",reason="LeaseAcquired"} 1',
    ])
      expect(text).toContain(series);
    const success =
      /controller_runtime_reconcile_total\{controller="neo4jcluster",result="success"\} (\d+)/.exec(text);
    expect(Number(success?.[1])).toBeGreaterThan(0);
  });

  it('serves the status of every cluster and of one, and 404 for an unknown one', async () => {
    const all = (await (await fetch(`${url}/status`)).json()) as {
      controller: string;
      clusters: { cluster: string; leaseHeldHere: boolean; status: { phase: string } }[];
    };
    expect(all.controller).toBe('ctl-web');
    expect(all.clusters).toEqual([
      expect.objectContaining({
        cluster: 'web',
        leaseHeldHere: true,
        status: expect.objectContaining({ phase: 'Ready' }),
      }),
    ]);
    const one = (await (await fetch(`${url}/status/web`)).json()) as { status: { cluster: string } };
    expect(one.status.cluster).toBe('web');
    expect((await fetch(`${url}/status/nope`)).status).toBe(404);
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
    const post = await fetch(`${url}/status`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });
});

describe('neo4j-ecs status', () => {
  it('prints a table of every cluster from S3, beside the spec', async () => {
    const r = await runCli(['status', '--source', 's3://specs/web/cluster.yaml'], { env: cliEnv() });
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^CLUSTER\s+PHASE\s+READY\s+APPLIED\s+ATTEMPTED\s+HOLDER\s+GEN$/);
    expect(row).toMatch(/^web\s+Ready\s+True\s+\S+\s+\S+\s+ctl-web\s+1$/);
  });

  it('prints one cluster in detail from a running controller, and JSON on request', async () => {
    const r = await runCli(['status', 'web', '--url', url], { env: cliEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('phase:                Ready');
    expect(r.stdout).toMatch(/Ready\s+True\s+ReconciliationSucceeded/);
    expect(r.stdout).toMatch(/web-primary-1\s+primary\s+us-east-1a\s+missing/);
    const j = await runCli(['status', 'web', '--json', '--status-bucket', 's3://specs/web/'], {
      env: cliEnv(),
    });
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({
      kind: 'Neo4jClusterStatus',
      cluster: 'web',
      lease: { holder: 'ctl-web' },
    });
  });

  it('exits 1 for a cluster without status and 2 without a place to read from', async () => {
    const missing = await runCli(['status', 'nope', '--source', 's3://specs/web/cluster.yaml'], {
      env: cliEnv(),
    });
    expect([missing.code, missing.stdout.trim()]).toEqual([1, 'no status for cluster nope']);
    const nowhere = await runCli(['status'], { env: cliEnv() });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('say where status is');
  });
});

describe('neo4j-ecs run', () => {
  it('refuses a bad configuration before starting, listing every problem', async () => {
    const r = await runCli(['run', '--interval', 'often', '--lease-ttl', '1ms'], {
      env: { ...cliEnv(), NEO4J_ECS_CONCURRENCY: 'many' },
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(2);
    for (const part of [
      '--source (NEO4J_ECS_SOURCE): is required',
      '--interval (NEO4J_ECS_INTERVAL)',
      '--lease-ttl (NEO4J_ECS_LEASE_TTL)',
      '--concurrency (NEO4J_ECS_CONCURRENCY)',
    ])
      expect(r.stderr).toContain(part);
  });
});
