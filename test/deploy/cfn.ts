/**
 * Test helpers for deploy/: parse a CloudFormation YAML template with the `yaml` package and a schema
 * that turns the short-form intrinsics (!Ref, !Sub, !GetAtt, …) into their long form, and find the
 * checking tools (cfn-lint, shellcheck). In CI a missing tool fails the test; elsewhere it is skipped
 * with the reason printed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScalarTag, CollectionTag } from 'yaml';
import { parse } from 'yaml';
import { REPO } from '../helpers/cli.js';

export { REPO };

const INTRINSICS = [
  'Ref',
  'Sub',
  'GetAtt',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Join',
  'Select',
  'Split',
  'Base64',
  'GetAZs',
  'FindInMap',
  'ImportValue',
  'Cidr',
  'Condition',
];

function longName(name: string): string {
  return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
}

const customTags: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => {
  const key = longName(name);
  const scalar: ScalarTag = {
    tag: `!${name}`,
    resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }),
  };
  const seq: CollectionTag = {
    tag: `!${name}`,
    collection: 'seq',
    resolve: (value) => ({ [key]: value.toJSON() }),
  };
  const map: CollectionTag = {
    tag: `!${name}`,
    collection: 'map',
    resolve: (value) => ({ [key]: value.toJSON() }),
  };
  return [scalar, seq, map];
});

export interface Template {
  Parameters: Record<
    string,
    { Type: string; Default?: unknown; AllowedValues?: unknown[]; NoEcho?: boolean }
  >;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, { Value: unknown; Condition?: string }>;
  Conditions?: Record<string, unknown>;
}

export function templatePath(file: string): string {
  return join(REPO, 'deploy', file);
}

export function loadTemplate(file: string): Template {
  return parse(readFileSync(templatePath(file), 'utf8'), { customTags }) as Template;
}

export const inCi = process.env['CI'] === 'true' || process.env['CI'] === '1';

/** The first of the candidates that runs with `--version`, or undefined. */
function findTool(candidates: string[]): string | undefined {
  for (const c of candidates) {
    if (c.includes('/') && !existsSync(c)) continue;
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore', timeout: 60_000 });
      return c;
    } catch {
      // not this one
    }
  }
  return undefined;
}

export function cfnLint(): string | undefined {
  const env = process.env['CFN_LINT'];
  return findTool([...(env ? [env] : []), join(REPO, '.cache/deploy-tools/venv/bin/cfn-lint'), 'cfn-lint']);
}

export function shellcheck(): string | undefined {
  const env = process.env['SHELLCHECK'];
  return findTool([...(env ? [env] : []), 'shellcheck']);
}

/**
 * Returns the tool, or undefined after saying why the check is skipped; in CI a missing tool throws
 * (install it with .ci/deploy-tools.sh).
 */
export function requireTool(name: string, found: string | undefined): string | undefined {
  if (found) return found;
  const why = `${name} is not installed (run .ci/deploy-tools.sh)`;
  if (inCi) throw new Error(`${why}: CI must check deploy/ with it`);
  console.warn(`skipping the ${name} check: ${why}`);
  return undefined;
}

/** Every value of `key` anywhere under `node` (e.g. every `Fn::Sub`). */
export function collect(node: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(node)) for (const x of node) collect(x, key, out);
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      if (k === key) out.push(v);
      collect(v, key, out);
    }
  return out;
}

export function hadolint(): string | undefined {
  const env = process.env['HADOLINT'];
  return findTool([...(env ? [env] : []), join(REPO, '.cache/deploy-tools/venv/bin/hadolint'), 'hadolint']);
}
