/**
 * Least-privilege checks of deploy/operator.yaml: which IAM actions the operator made on the twin (its
 * calls are told apart in the twin's call log by the SDK user agent the controller sets,
 * `neo4j-ecs-operator/<version>`), and whether the operator's policy allows each of them. Suites can
 * also save their action sets under .cache/iam-actions/ (`recordOperatorActions`), which
 * test/deploy/iam.test.ts checks too.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CallRecord } from '../../twin/aws/call-log.js';
import { REPO } from './cli.js';

/** The user agent product the operator's clients carry (src/controller/wiring.ts). */
export const OPERATOR_USER_AGENT = 'neo4j-ecs-operator';

/** IAM service prefix of each twin service name. */
const PREFIX: Record<string, string> = {
  ecs: 'ecs',
  autoscaling: 'autoscaling',
  ec2: 'ec2',
  monitoring: 'cloudwatch',
  logs: 'logs',
  s3: 's3',
  secretsmanager: 'secretsmanager',
  servicediscovery: 'servicediscovery',
};

/** S3 operations whose IAM action has another name. */
const S3_ACTION: Record<string, string> = {
  HeadBucket: 'ListBucket',
  ListObjects: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  ListObjectVersions: 'ListBucketVersions',
  HeadObject: 'GetObject',
  DeleteObjects: 'DeleteObject',
  GetObjectVersion: 'GetObjectVersion',
};

/** The IAM action (`service:Action`) a logged call needs, or undefined for calls that reached no operation. */
export function iamActionOf(r: Pick<CallRecord, 'service' | 'operation'>): string | undefined {
  const prefix = PREFIX[r.service];
  if (prefix === undefined || r.operation.startsWith('(')) return undefined;
  const op = prefix === 's3' ? (S3_ACTION[r.operation] ?? r.operation) : r.operation;
  return `${prefix}:${op}`;
}

/** The sorted set of IAM actions the operator's clients made, from the twin's call log. */
export function operatorActions(twin: { calls: { list(): CallRecord[] } }): string[] {
  const out = new Set<string>();
  for (const r of twin.calls.list()) {
    if (!r.userAgent?.includes(`${OPERATOR_USER_AGENT}/`)) continue;
    const a = iamActionOf(r);
    if (a) out.add(a);
  }
  return [...out].sort();
}

const RECORDS = join(REPO, '.cache/iam-actions');

/** Saves a suite's operator actions for test/deploy/iam.test.ts (call it in the suite's afterAll). */
export function recordOperatorActions(twin: { calls: { list(): CallRecord[] } }, suite: string): void {
  mkdirSync(RECORDS, { recursive: true });
  writeFileSync(
    join(RECORDS, `${suite.replace(/[^\w.-]/g, '_')}.json`),
    JSON.stringify(operatorActions(twin)),
  );
}

/** The action sets saved by suites so far, by suite. */
export function recordedOperatorActions(): Record<string, string[]> {
  let files: string[] = [];
  try {
    files = readdirSync(RECORDS).filter((f) => f.endsWith('.json'));
  } catch {
    return {};
  }
  return Object.fromEntries(
    files.map((f) => [
      f.replace(/\.json$/, ''),
      JSON.parse(readFileSync(join(RECORDS, f), 'utf8')) as string[],
    ]),
  );
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Condition?: unknown;
}

/** The statements of the OperatorPolicy resource in deploy/operator.yaml (intrinsics kept as tagged values). */
export function operatorPolicyStatements(): PolicyStatement[] {
  const text = readFileSync(join(REPO, 'deploy/operator.yaml'), 'utf8');
  // Intrinsics (!Sub, !Ref, …) are irrelevant here: keep them as plain values.
  const doc = parse(text, {
    customTags: ['Ref', 'Sub', 'GetAtt', 'If', 'Equals', 'Not', 'Join', 'Select', 'Split', 'Base64'].flatMap(
      (n) => [
        { tag: `!${n}`, resolve: (v: string) => v },
        {
          tag: `!${n}`,
          collection: 'seq' as const,
          resolve: (v: { toJSON(): unknown }) => v.toJSON() as never,
        },
      ],
    ),
  }) as {
    Resources: Record<
      string,
      { Type: string; Properties: { PolicyDocument: { Statement: PolicyStatement[] } } }
    >;
  };
  const policy = doc.Resources['OperatorPolicy'];
  if (!policy) throw new Error('deploy/operator.yaml has no OperatorPolicy resource');
  return policy.Properties.PolicyDocument.Statement;
}

const actionsOf = (s: PolicyStatement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Actions in the policy that use a wildcard (`*` anywhere in the action). */
export function wildcardActions(statements = operatorPolicyStatements()): string[] {
  return statements.flatMap(actionsOf).filter((a) => a.includes('*'));
}

/**
 * Throws, naming every action no Allow statement of the operator's policy lists (exact, case-insensitive
 * as IAM matches actions), and every wildcard action in the policy.
 */
export function assertAllowedByOperatorPolicy(actions: string[]): void {
  const statements = operatorPolicyStatements();
  const allowed = new Set(
    statements.filter((s) => s.Effect === 'Allow').flatMap((s) => actionsOf(s).map((a) => a.toLowerCase())),
  );
  const missing = actions.filter((a) => !allowed.has(a.toLowerCase()));
  const wild = wildcardActions(statements);
  const problems = [
    ...(missing.length ? [`not allowed by deploy/operator.yaml OperatorPolicy: ${missing.join(', ')}`] : []),
    ...(wild.length ? [`wildcard actions in the policy: ${wild.join(', ')}`] : []),
  ];
  if (problems.length) throw new Error(problems.join('\n'));
}
