/**
 * The operator's image (deploy/Dockerfile) and the Neo4j task image (deploy/neo4j-image/Dockerfile),
 * checked without a Docker engine: hadolint passes on both (a missing hadolint fails in CI), the
 * operator's Dockerfile has the properties issue 8 asks for (multi-stage, Node LTS base, production
 * dependencies only, non-root, `neo4j-ecs run`, health check on the documented port, SIGTERM), and
 * `npm pack` ships every path the runtime stage copies.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt } from '../helpers/cli.js';
import { REPO, hadolint, requireTool } from './cfn.js';

const text = readFileSync(join(REPO, 'deploy/Dockerfile'), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** Instructions, with continuation lines joined and comments dropped. */
function instructions(src: string): Instruction[] {
  return src
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** Instructions per stage, by stage name. */
function stages(src: string): Map<string, Instruction[]> {
  const out = new Map<string, Instruction[]>();
  let current: Instruction[] = [];
  for (const i of instructions(src)) {
    if (i.op === 'FROM') {
      current = [];
      const name = /\bAS\s+(\S+)/i.exec(i.args)?.[1] ?? String(out.size);
      out.set(name, current);
    }
    current.push(i);
  }
  return out;
}

const all = stages(text);
const runtime = [...all.values()].at(-1)!;
const one = (op: string): string[] => runtime.filter((i) => i.op === op).map((i) => i.args);

it.each(['deploy/Dockerfile', 'deploy/neo4j-image/Dockerfile'])('hadolint passes on %s', (file) => {
  const tool = requireTool('hadolint', hadolint());
  if (!tool) return;
  try {
    execFileSync(tool, [join(REPO, file)], { encoding: 'utf8', timeout: 60_000 });
  } catch (e) {
    const err = e as { stdout?: string };
    throw new Error(`hadolint failed on ${file}:\n${err.stdout ?? ''}`, { cause: e });
  }
});

it('is multi-stage on a current Node LTS base (22 or later, even major)', () => {
  expect(all.size).toBeGreaterThanOrEqual(2);
  for (const stage of all.values()) {
    const m = /^node:(\d+)[-.\w]*$/.exec(stage[0]!.args.split(/\s+/)[0]!);
    expect(m).not.toBeNull();
    const major = Number(m![1]);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(major % 2).toBe(0);
  }
});

it('installs production dependencies only in the runtime stage, and runs as a non-root user', () => {
  const runs = one('RUN').join('\n');
  expect(runs).toMatch(/npm ci --omit=dev/);
  expect(runs).not.toMatch(/npm (install|i)\b/);
  expect(runs).not.toMatch(/npm run build|tsc/);
  const users = one('USER');
  expect(users).toHaveLength(1);
  expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
  // USER comes before the entry point runs, after everything that needs root.
  const idx = runtime.findIndex((i) => i.op === 'USER');
  expect(runtime.slice(idx + 1).some((i) => i.op === 'RUN')).toBe(false);
});

it('runs `neo4j-ecs run`, checks /healthz on the documented port, and stops on SIGTERM', () => {
  expect(one('ENTRYPOINT')).toEqual(['["node", "dist/src/cli/main.js", "run"]']);
  const port = /\| `--http-port`\s*\| `NEO4J_ECS_HTTP_PORT`\s*\| (\d+)/.exec(
    readFileSync(join(REPO, 'docs/controller.md'), 'utf8'),
  )?.[1];
  expect(port).toBeDefined();
  const hc = one('HEALTHCHECK').join('\n');
  expect(hc).toContain(`127.0.0.1:${port}/healthz`);
  expect(one('EXPOSE')).toEqual([port]);
  expect(one('STOPSIGNAL')).toEqual(['SIGTERM']);
  const bin = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  expect(bin.bin['neo4j-ecs']).toBe('dist/src/cli/main.js');
});

it('npm pack ships every path the runtime stage copies (the lockfile only feeds npm ci)', () => {
  ensureBuilt();
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  const copied = one('COPY').flatMap((args) => {
    const parts = args.split(/\s+/).filter((p) => !p.startsWith('--'));
    return parts.slice(0, -1).map((p) => p.replace(/^\/app\//, ''));
  });
  expect(copied).toEqual(expect.arrayContaining(['dist/src', 'dist/twin', 'package.json']));
  const missing = copied
    .filter((p) => p !== 'package-lock.json')
    .filter((p) => !files.some((f) => f === p || f.startsWith(`${p}/`)));
  expect(missing).toEqual([]);
  expect(files).toContain('dist/src/cli/main.js');
}, 180_000);
