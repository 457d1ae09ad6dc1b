/**
 * The demo's desired-state document: read and validated with the model, and rewritten on the parsed
 * YAML document (comments kept) so that `spec.credentials.secretArn` names the secret the bootstrap
 * created, before it goes to S3.
 */
import { parseDocument } from 'yaml';
import type { Neo4jCluster } from '../model/cluster.js';
import { parseClusterText } from '../model/document.js';

export class DemoSpecError extends Error {
  override readonly name = 'DemoSpecError';
}

/** The one cluster of `text`; throws DemoSpecError listing every problem otherwise. */
export function demoCluster(text: string, source: string): Neo4jCluster {
  const docs = parseClusterText(text, source);
  if (docs.length !== 1)
    throw new DemoSpecError(`${source}: the demo runs exactly one cluster, found ${docs.length} documents`);
  const [doc] = docs;
  if (!doc?.cluster) {
    const problems = (doc?.problems ?? [])
      .filter((p) => p.severity === 'error')
      .map((p) => `  ${source}:${p.line}:${p.column}: ${p.path.join('.') || '(document)'}: ${p.message}`);
    throw new DemoSpecError(`${source} is not a valid Neo4jCluster:\n${problems.join('\n')}`);
  }
  return doc.cluster;
}

/** `text` with `spec.credentials.secretArn` set to `secretArn`, re-serialised as YAML. */
export function withSecretArn(text: string, secretArn: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new DemoSpecError(`not valid YAML: ${doc.errors[0]?.message ?? ''}`);
  doc.setIn(['spec', 'credentials', 'secretArn'], secretArn);
  return doc.toString();
}
