/**
 * Table of invalid documents: each case edits the minimal example and asserts the exact path and
 * message of the problem it causes, and that the reported line is where that path is written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { formatPath, parseClusterText } from '../../src/model/index.js';
import { REPO } from '../helpers/cli.js';

const MINIMAL = readFileSync(join(REPO, 'examples/minimal.yaml'), 'utf8');

type Edit = { set?: [(string | number)[], unknown][]; del?: (string | number)[][] };

function edited(edit: Edit): string {
  const doc = parseDocument(MINIMAL);
  for (const p of edit.del ?? []) doc.deleteIn(p);
  for (const [p, v] of edit.set ?? []) doc.setIn(p, v);
  return doc.toString();
}

interface Case {
  name: string;
  edit: Edit;
  path: string;
  message: string;
}

const S = 'spec';
const cases: Case[] = [
  {
    name: 'wrong apiVersion',
    edit: { set: [[['apiVersion'], 'neo4j-ecs.io/v1']] },
    path: 'apiVersion',
    message: 'expected "neo4j-ecs.io/v1alpha1", found string "neo4j-ecs.io/v1"',
  },
  {
    name: 'wrong kind',
    edit: { set: [[['kind'], 'Neo4jDatabase']] },
    path: 'kind',
    message: 'expected "Neo4jCluster", found string "Neo4jDatabase"',
  },
  {
    name: 'missing metadata',
    edit: { del: [['metadata']] },
    path: 'metadata',
    message: 'is required: expected object, found nothing',
  },
  {
    name: 'name with capitals',
    edit: { set: [[['metadata', 'name'], 'Graph']] },
    path: 'metadata.name',
    message:
      'expected a DNS label: lowercase letters, digits and "-", starting with a letter, found string "Graph"',
  },
  {
    name: 'name too long',
    edit: { set: [[['metadata', 'name'], 'a'.repeat(41)]] },
    path: 'metadata.name',
    message: `expected at most 40 characters, found string "${'a'.repeat(41)}"`,
  },
  {
    name: 'label value not a string',
    edit: { set: [[['metadata', 'labels', 'team'], 7]] },
    path: 'metadata.labels.team',
    message: 'expected string, found number 7 (quote it: "7")',
  },
  {
    name: 'unknown top-level key',
    edit: { set: [[['status'], {}]] },
    path: 'status',
    message: 'unknown key "status"',
  },
  {
    name: 'misspelt spec key',
    edit: { set: [[[S, 'primaris'], { count: 3 }]] },
    path: 'spec.primaris',
    message: 'unknown key "primaris" (did you mean "primaries"?)',
  },
  {
    name: 'unquoted short version',
    edit: { set: [[[S, 'neo4j', 'version'], 5.26]] },
    path: 'spec.neo4j.version',
    message: 'expected string, found number 5.26 (quote it: "5.26")',
  },
  {
    name: 'unsupported version',
    edit: { set: [[[S, 'neo4j', 'version'], '3.5.35']] },
    path: 'spec.neo4j.version',
    message:
      'expected a Neo4j version: 5.x (e.g. "5.26.12"), CalVer 2025.x or later (e.g. "2025.10.1"), or 4.4.x, found string "3.5.35"',
  },
  {
    name: 'community edition',
    edit: { set: [[[S, 'neo4j', 'edition'], 'community']] },
    path: 'spec.neo4j.edition',
    message: 'expected "enterprise", found "community": clustering needs Neo4j Enterprise',
  },
  {
    name: 'community image',
    edit: { set: [[[S, 'neo4j', 'image'], 'neo4j:5.26.12-community']] },
    path: 'spec.neo4j.image',
    message: 'expected an Enterprise image, found tag "5.26.12-community": clustering needs Neo4j Enterprise',
  },
  {
    name: 'image tag and version disagree',
    edit: { set: [[[S, 'neo4j', 'image'], 'neo4j:5.26.10-enterprise']] },
    path: 'spec.neo4j.image',
    message: 'expected the image tag to match spec.neo4j.version "5.26.12", found "5.26.10"',
  },
  {
    name: 'license not accepted',
    edit: { set: [[[S, 'neo4j', 'acceptLicenseAgreement'], 'no']] },
    path: 'spec.neo4j.acceptLicenseAgreement',
    message: 'expected one of "yes", "eval", found string "no"',
  },
  {
    name: 'owned setting: advertised address',
    edit: { set: [[[S, 'neo4j', 'config'], { 'server.cluster.advertised_address': 'a:6000' }]] },
    path: 'spec.neo4j.config["server.cluster.advertised_address"]',
    message:
      '"server.cluster.advertised_address" is set by the operator and cannot be overridden: the operator advertises each task address',
  },
  {
    name: 'owned setting: discovery',
    edit: { set: [[[S, 'neo4j', 'config'], { 'dbms.cluster.discovery.resolver_type': 'DNS' }]] },
    path: 'spec.neo4j.config["dbms.cluster.discovery.resolver_type"]',
    message:
      '"dbms.cluster.discovery.resolver_type" is set by the operator and cannot be overridden: the operator configures discovery',
  },
  {
    name: 'owned setting: server mode',
    edit: { set: [[[S, 'neo4j', 'config'], { 'initial.server.mode_constraint': 'PRIMARY' }]] },
    path: 'spec.neo4j.config["initial.server.mode_constraint"]',
    message:
      '"initial.server.mode_constraint" is set by the operator and cannot be overridden: use spec.primaries and spec.secondaries',
  },
  {
    name: 'owned setting: heap',
    edit: { set: [[[S, 'neo4j', 'config'], { 'server.memory.heap.max_size': '4g' }]] },
    path: 'spec.neo4j.config["server.memory.heap.max_size"]',
    message:
      '"server.memory.heap.max_size" is set by the operator and cannot be overridden: use spec.resources.heap',
  },
  {
    name: 'zero primaries',
    edit: { set: [[[S, 'primaries', 'count'], 0]] },
    path: 'spec.primaries.count',
    message: 'expected at least 1 primary, found number 0',
  },
  {
    name: 'fractional primaries',
    edit: { set: [[[S, 'primaries', 'count'], 2.5]] },
    path: 'spec.primaries.count',
    message: 'expected int, found number 2.5',
  },
  {
    name: 'zone counts do not sum',
    edit: { set: [[[S, 'primaries', 'zones', 1, 'count'], 2]] },
    path: 'spec.primaries.zones',
    message: 'expected the counts per zone to sum to spec.primaries.count (3), found 4',
  },
  {
    name: 'zone count negative',
    edit: { set: [[[S, 'primaries', 'zones', 1, 'count'], -1]] },
    path: 'spec.primaries.zones[1].count',
    message: 'expected at least 0, found number -1',
  },
  {
    name: 'some zones without count',
    edit: { del: [[S, 'primaries', 'zones', 2, 'count']] },
    path: 'spec.primaries.zones[2]',
    message: 'expected a count here: give a count on every zone, or on none to spread evenly',
  },
  {
    name: 'duplicate zone',
    edit: { set: [[[S, 'primaries', 'zones', 2, 'zone'], 'us-east-1a']] },
    path: 'spec.primaries.zones[2].zone',
    message: 'duplicate zone "us-east-1a" (already at zones[0])',
  },
  {
    name: 'bad AZ name',
    edit: { set: [[[S, 'primaries', 'zones', 0, 'zone'], 'east']] },
    path: 'spec.primaries.zones[0].zone',
    message: 'expected an availability zone name such as "us-east-1a", found string "east"',
  },
  {
    name: 'no ASG for a hosting AZ',
    edit: { del: [[S, 'capacity', 'primaryAutoScalingGroups', 'us-east-1c']] },
    path: 'spec.capacity.primaryAutoScalingGroups',
    message: 'expected an Auto Scaling group for us-east-1c, which hosts 1 primary; found none',
  },
  {
    name: 'secondaries without ASG',
    edit: { set: [[[S, 'secondaries'], { count: 2 }]] },
    path: 'spec.capacity.secondaryAutoScalingGroup',
    message: 'expected an Auto Scaling group for the 2 secondaries, found none',
  },
  {
    name: 'negative secondaries',
    edit: { set: [[[S, 'secondaries'], { count: -1 }]] },
    path: 'spec.secondaries.count',
    message: 'expected at least 0, found number -1',
  },
  {
    name: 'missing ECS cluster',
    edit: { del: [[S, 'ecs', 'cluster']] },
    path: 'spec.ecs.cluster',
    message: 'is required: expected string, found nothing',
  },
  {
    name: 'bad discovery namespace',
    edit: { set: [[[S, 'discovery'], { namespace: 'Neo4j_Internal' }]] },
    path: 'spec.discovery.namespace',
    message: 'expected a DNS namespace name such as "neo4j.internal", found string "Neo4j_Internal"',
  },
  {
    name: 'volume type unknown',
    edit: { set: [[[S, 'volume', 'type'], 'gp5']] },
    path: 'spec.volume.type',
    message: 'expected one of "gp3", "gp2", "io2", "io1", "st1", "sc1", found string "gp5"',
  },
  {
    name: 'volume size as string',
    edit: { set: [[[S, 'volume', 'sizeGiB'], '20Gi']] },
    path: 'spec.volume.sizeGiB',
    message: 'expected number, found string "20Gi"',
  },
  {
    name: 'io2 without iops',
    edit: { set: [[[S, 'volume', 'type'], 'io2']] },
    path: 'spec.volume.iops',
    message: 'expected iops for a io2 volume, found none',
  },
  {
    name: 'gp3 iops too high for size',
    edit: { set: [[[S, 'volume', 'iops'], 12000]] },
    path: 'spec.volume.iops',
    message: 'expected at most 500 iops per GiB for gp3 (10000 for 20 GiB), found 12000',
  },
  {
    name: 'throughput on gp2',
    edit: {
      set: [
        [[S, 'volume', 'type'], 'gp2'],
        [[S, 'volume', 'throughput'], 250],
      ],
    },
    path: 'spec.volume.throughput',
    message: 'expected no throughput for a gp2 volume (gp3 only), found 250',
  },
  {
    name: 'KMS key without encryption',
    edit: {
      set: [
        [[S, 'volume', 'encrypted'], false],
        [[S, 'volume', 'kmsKeyId'], 'alias/neo4j'],
      ],
    },
    path: 'spec.volume.kmsKeyId',
    message: 'expected encrypted: true with a kmsKeyId, found encrypted: false',
  },
  {
    name: 'bad snapshot id',
    edit: { set: [[[S, 'volume', 'snapshotId'], 'snapshot-1']] },
    path: 'spec.volume.snapshotId',
    message: 'expected an EBS snapshot id such as "snap-0123456789abcdef0", found string "snapshot-1"',
  },
  {
    name: 'unknown retention',
    edit: { set: [[[S, 'volume', 'retention'], 'Keep']] },
    path: 'spec.volume.retention',
    message: 'expected one of "Retain", "Delete", found string "Keep"',
  },
  {
    name: 'heap + page cache too big',
    edit: {
      set: [
        [[S, 'resources', 'heap'], '3g'],
        [[S, 'resources', 'pageCache'], '2g'],
      ],
    },
    path: 'spec.resources',
    message:
      'expected heap + pageCache to fit in memoryMiB (4096), found 5120 MiB: the task would be killed for memory',
  },
  {
    name: 'bad memory size',
    edit: { set: [[[S, 'resources', 'heap'], 'lots']] },
    path: 'spec.resources.heap',
    message: 'expected a memory size such as "512m" or "4g", found string "lots"',
  },
  {
    name: 'cpu too small',
    edit: { set: [[[S, 'resources', 'cpu'], 128]] },
    path: 'spec.resources.cpu',
    message: 'expected at least 256, found number 128',
  },
  {
    name: 'plain password',
    edit: { set: [[[S, 'credentials', 'password'], 'hunter2']] },
    path: 'spec.credentials.password',
    message:
      'a plain password is not accepted: store it in Secrets Manager and give spec.credentials.secretArn',
  },
  {
    name: 'secret is not an ARN',
    edit: { set: [[[S, 'credentials', 'secretArn'], 'neo4j-auth']] },
    path: 'spec.credentials.secretArn',
    message: 'expected a Secrets Manager secret ARN (arn:aws:secretsmanager:…), found string "neo4j-auth"',
  },
  {
    name: 'bad pause duration',
    edit: { set: [[[S, 'upgrade'], { pauseBetweenSteps: '30 seconds' }]] },
    path: 'spec.upgrade.pauseBetweenSteps',
    message:
      'expected a duration such as "30s", "5m" or "1h30m" for pauseBetweenSteps, found string "30 seconds"',
  },
  {
    name: 'maxUnavailable zero',
    edit: { set: [[[S, 'upgrade'], { maxUnavailableSecondaries: 0 }]] },
    path: 'spec.upgrade.maxUnavailableSecondaries',
    message: 'expected at least 1, found number 0',
  },
  {
    name: 'supervised not boolean',
    edit: { set: [[[S, 'upgrade'], { supervised: 'yes' }]] },
    path: 'spec.upgrade.supervised',
    message: 'expected boolean, found string "yes"',
  },
  {
    name: 'heartbeat above the AWS max',
    edit: { set: [[[S, 'drain'], { heartbeatTimeoutSeconds: 9000 }]] },
    path: 'spec.drain.heartbeatTimeoutSeconds',
    message: 'expected at most 7200, found number 9000',
  },
  {
    name: 'unknown key in observability',
    edit: { set: [[[S, 'observability'], { namespace: 'X', retentionDays: 3 }]] },
    path: 'spec.observability.retentionDays',
    message: 'unknown key "retentionDays"',
  },
];

describe('invalid documents name the path, the line and what was expected and found', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$name', ({ edit, path, message }) => {
    const text = edited(edit);
    const [result] = parseClusterText(text, 'case.yaml');
    expect(result?.cluster).toBeUndefined();
    const problem = result?.problems.find((p) => formatPath(p.path) === path && p.message === message);
    if (!problem)
      throw new Error(
        `no problem ${path}: ${message}\ngot:\n${result?.problems.map((p) => `${formatPath(p.path)}: ${p.message}`).join('\n')}`,
      );
    expect(problem.severity).toBe('error');
    // The line holds the last key of the path (or, for a missing key, its parent).
    const lines = text.split('\n');
    const at = lines[(problem.line ?? 0) - 1] ?? '';
    const keys = path
      .replace(/\[\d+\]/g, '')
      .split(/[.[\]"]+/)
      .filter(Boolean);
    if (message.startsWith('is required') && keys.length === 1) {
      // A missing top-level key points at the document's first line.
      expect(at).toBe(lines.find((l) => l !== '' && !l.startsWith('#')));
    } else {
      const candidates = keys.slice(-2);
      expect(candidates.some((k) => at.includes(k)) || at.trim().startsWith('-')).toBe(true);
    }
    expect(problem.column).toBeGreaterThanOrEqual(1);
  });

  it('reports every problem of a document at once, in line order', () => {
    const text = edited({
      set: [
        [['metadata', 'name'], 'Bad'],
        [[S, 'volume', 'type'], 'gp5'],
        [[S, 'credentials', 'password'], 'x'],
      ],
      del: [[S, 'capacity', 'primaryAutoScalingGroups', 'us-east-1b']],
    });
    const [result] = parseClusterText(text, 'many.yaml');
    const paths = result?.problems.filter((p) => p.severity === 'error').map((p) => formatPath(p.path));
    expect(paths).toEqual([
      'metadata.name',
      'spec.capacity.primaryAutoScalingGroups',
      'spec.volume.type',
      'spec.credentials.password',
    ]);
    const lines = result?.problems.map((p) => p.line ?? 0) ?? [];
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });

  it('reports YAML syntax errors with a position', () => {
    const [result] = parseClusterText('spec:\n  a: [1, 2\n', 'broken.yaml');
    expect(result?.problems[0]?.message).toMatch(/^not valid YAML or JSON: /);
    expect(result?.problems[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it('rejects duplicate keys', () => {
    const [result] = parseClusterText(`${MINIMAL}\nkind: Neo4jCluster\n`, 'dup.yaml');
    expect(result?.problems[0]?.message).toMatch(/not valid YAML or JSON: .*unique/i);
  });

  it('reports an empty file', () => {
    const [result] = parseClusterText('', 'empty.yaml');
    expect(result?.problems[0]?.message).toBe('expected a Neo4jCluster document, found an empty file');
  });
});
