/**
 * `neo4j-ecs demo` through the built CLI, as a user runs it (stdout is a pipe, so no escape codes):
 * it prints the endpoint and the spec's S3 location, the infrastructure and the spec (with the
 * bootstrapped secret's ARN) exist at that endpoint while it runs, a saved watch file reaches S3,
 * and SIGTERM stops it with exit 0. Bad input exits 2 with a clear message; --exit-after stops it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CLI, REPO, ensureBuilt, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'demo-cli-test-'));
let child: ChildProcessWithoutNullStreams | undefined;
let stdout = '';
let stderr = '';
let exited: Promise<number | null> | undefined;

async function waitFor(re: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
  const end = Date.now() + ms;
  for (;;) {
    const m = re.exec(stdout);
    if (m) return m;
    if (Date.now() > end) throw new Error(`no ${re} in time; stdout:\n${stdout}\nstderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

it('runs: endpoint and spec location, infrastructure and spec in S3, watch file uploaded, SIGTERM exits 0, no escape codes', async () => {
  ensureBuilt();
  const watch = join(dir, 'cluster.yaml');
  const proc = spawn(
    process.execPath,
    [CLI, 'demo', '--port', '0', '--time-scale', '50', '--watch-file', watch],
    {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  child = proc;
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  exited = new Promise((resolve) => proc.on('close', (code) => resolve(code)));

  const endpoint = (await waitFor(/^endpoint: (http:\/\/127\.0\.0\.1:\d+)$/m))[1] as string;
  const [, bucket, key] = (await waitFor(/^spec: s3:\/\/([^/\s]+)\/(\S+)$/m)) as unknown as string[];
  expect(bucket).toBe('neo4j-ecs-demo');
  expect(key).toBe('clusters/graph-minimal.yaml');

  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
  const ecs = new ECSClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const secrets = new SecretsManagerClient(config);
  try {
    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['neo4j-minimal'] }));
    expect(clusters.clusters?.[0]?.status).toBe('ACTIVE');
    const secret = await secrets.send(new DescribeSecretCommand({ SecretId: 'graph-minimal-neo4j-auth' }));
    const spec = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = await spec.Body?.transformToString();
    expect(text).toContain(`secretArn: ${secret.ARN as string}`);
    expect(text).toContain('name: graph-minimal');

    // A readiness line shows (waiting or Ready), and the watch file holds the uploaded spec.
    await waitFor(/^cluster graph-minimal phase .*: (waiting for the cluster…|Ready)/m);
    expect(readFileSync(watch, 'utf8')).toBe(text);
    writeFileSync(watch, (text ?? '').replace('team: platform', 'team: demo-edit'));
    const edited = await eventually(async () => {
      const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const t = await o.Body?.transformToString();
      return t?.includes('team: demo-edit') ? t : undefined;
    });
    expect(edited).toContain(`secretArn: ${secret.ARN as string}`);
    await waitFor(/^uploaded .*cluster\.yaml to s3:\/\/neo4j-ecs-demo\/clusters\/graph-minimal\.yaml/m);
  } finally {
    ecs.destroy();
    s3.destroy();
    secrets.destroy();
  }

  proc.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stdout).toMatch(/^SIGTERM: stopping the controller and the twin$/m);
  expect(stdout).toMatch(/^demo stopped\.$/m);
  // eslint-disable-next-line no-control-regex
  expect(stdout).not.toMatch(/\u001b/);
  expect(stdout + stderr).not.toMatch(/neo4j\/[A-Za-z0-9_-]{24}/); // the NEO4J_AUTH value never shows
}, 90_000);

it('stops by itself with --exit-after; refuses a bad or missing spec (exit 2), a port in use (exit 1) and a bad port, each clearly', async () => {
  const timed = await runCli(
    ['demo', '--port', '0', '--time-scale', '50', '--exit-after', '2s', '--watch-file', join(dir, 'w.yaml')],
    {
      timeoutMs: 60_000,
    },
  );
  expect(timed.code).toBe(0);
  expect(timed.stdout).toMatch(/^endpoint: http:\/\/127\.0\.0\.1:\d+$/m);
  expect(timed.stdout).toMatch(/^--exit-after: stopping the controller and the twin$/m);

  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: neo4j-ecs.io/v1alpha1\nkind: Neo4jCluster\nmetadata: {name: Bad_Name}\n');
  const invalid = await runCli(['demo', '--port', '0', '--spec', bad], { timeoutMs: 30_000 });
  expect(invalid.code).toBe(2);
  expect(invalid.stderr).toContain('is not a valid Neo4jCluster');
  expect(invalid.stdout).not.toContain('endpoint:');

  const missing = await runCli(['demo', '--spec', join(dir, 'nope.yaml')], { timeoutMs: 30_000 });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/ENOENT|no such file/);

  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const taken = (busy.address() as { port: number }).port;
  try {
    const inUse = await runCli(['demo', '--port', String(taken)], { timeoutMs: 30_000 });
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain(`port ${taken} is already in use (try --port 0)`);
  } finally {
    await new Promise((r) => busy.close(r));
  }

  const port = await runCli(['demo', '--port', 'x'], { timeoutMs: 30_000 });
  expect(port.code).not.toBe(0);
  expect(port.stderr).toContain('must be a port number');
}, 120_000);
