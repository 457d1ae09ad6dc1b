import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNTIME_DEPENDENCIES } from '../../src/deps.js';
import { runCli } from '../helpers/cli.js';

describe('neo4j-ecs CLI (built)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neo4j-ecs-cli-'));

  it('validate exits 0 and prints OK for the examples', async () => {
    const out = await runCli(['validate', 'examples/minimal.yaml', 'examples/larger.yaml']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('OK examples/minimal.yaml: graph-minimal');
    expect(out.stdout).toContain('OK examples/larger.yaml: graph-larger');
  });

  it('validate exits 1 on a broken document, naming path, line and column', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      'apiVersion: neo4j-ecs.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: Bad_Name\n',
    );
    const out = await runCli(['validate', file]);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`INVALID ${file}`);
    expect(out.stdout).toContain(`${file}:4:9: error metadata.name: expected a DNS label`);
    expect(out.stdout).toContain(`${file}:1:1: error spec: is required: expected object, found nothing`);
  });

  it('validate exits 2 when a file cannot be read', async () => {
    const out = await runCli(['validate', join(dir, 'missing.yaml')]);
    expect(out.code).toBe(2);
    expect(out.stdout).toContain('unreadable: ENOENT');
  });

  it('validate --json gives a machine-readable report', async () => {
    const out = await runCli(['validate', '--json', 'examples/minimal.yaml']);
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout) as { valid: boolean; name: string }[];
    expect(report).toEqual([expect.objectContaining({ valid: true, name: 'graph-minimal' })]);
  });

  it('--help lists the commands, --version prints the version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['validate', 'schema', 'doctor']) expect(help.stdout).toContain(cmd);
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command fails with a usage error, not a crash', async () => {
    const out = await runCli(['frobnicate']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("unknown command 'frobnicate'");
  });

  it('doctor loads every runtime dependency under the built CLI', async () => {
    const out = await runCli(['doctor', '--json']);
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout) as { dependencies: Record<string, string> };
    expect(Object.keys(result.dependencies)).toEqual([...RUNTIME_DEPENDENCIES]);
    expect(Object.values(result.dependencies).every((s) => s === 'ok')).toBe(true);
  });
});
