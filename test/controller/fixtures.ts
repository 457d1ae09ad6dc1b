/** Desired-state documents for the controller tests, made from examples/minimal.yaml. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';

const MINIMAL = readFileSync(join(REPO, 'examples/minimal.yaml'), 'utf8');

/** A valid document for cluster `name`; `sizeGiB` varies the spec. */
export function clusterYaml(name: string, opts: { sizeGiB?: number; logGroup?: string } = {}): string {
  let text = MINIMAL.replace('name: graph-minimal', `name: ${name}`).replace(
    'sizeGiB: 20',
    `sizeGiB: ${opts.sizeGiB ?? 20}`,
  );
  if (opts.logGroup) text += `  observability:\n    logGroup: ${opts.logGroup}\n`;
  return text;
}

/** An invalid document for cluster `name`, with three problems (count 0, zone counts that no longer sum to it, an unknown key). */
export function invalidClusterYaml(name: string): string {
  return clusterYaml(name).replace('count: 3', 'count: 0').replace('type: gp3', 'type: gp3\n    sizeInGb: 5');
}
