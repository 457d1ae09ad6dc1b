/** `neo4j-ecs approve` and `neo4j-ecs diff` refuse bad input with a clear message and exit 2 (no AWS call made). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'roll-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// No endpoint that answers: a command that reached AWS would fail differently (and slowly).
const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1', AWS_MAX_ATTEMPTS: '1' };

it.each([
  [['approve', 'Bad_Name', '--ecs-cluster', 'x'], 'give a cluster name'],
  [['approve', 'graph'], '--ecs-cluster NAME'],
])('approve %j exits 2 with a message', async (args, message) => {
  const r = await runCli(args, { env });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(message);
});

it('diff exits 2 on a missing file and on an invalid document, naming the problem', async () => {
  const missing = await runCli(['diff', join(dir, 'nope.yaml')], { env });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('nope.yaml');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    'apiVersion: neo4j-ecs.io/v1alpha1\nkind: Neo4jCluster\nmetadata: {name: x}\nspec: {}\n',
  );
  const invalid = await runCli(['diff', bad], { env });
  expect(invalid.code).toBe(2);
  expect(invalid.stderr).toContain('is invalid (run neo4j-ecs validate');
});

it('diff exits 2 when the world cannot be read', async () => {
  const spec = join(dir, 'spec.yaml');
  writeFileSync(spec, readFileSync(join(REPO, 'examples/minimal.yaml'), 'utf8'));
  const r = await runCli(['diff', spec], { env, timeoutMs: 60_000 });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('neo4j-ecs diff:');
});
