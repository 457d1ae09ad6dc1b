/**
 * The demo's pure parts: the spec rewrite (secret ARN set on the parsed YAML, comments kept), the
 * one-cluster rule with located problems, readiness that never pretends (status phase, running
 * members and a leader for every database all required), and the controller clock over a timer source.
 */
import { readFileSync } from 'node:fs';
import { clockFrom } from '../../src/demo/clock.js';
import { demoReadiness } from '../../src/demo/observe.js';
import { DemoSpecError, demoCluster, withSecretArn } from '../../src/demo/spec.js';
import type { DemoMemberRow } from '../../src/demo/view.js';
import type { ClusterStatus } from '../../src/model/status.js';
import type { ClusterView } from '../../src/neo4j/types.js';
import { REPO } from '../helpers/cli.js';

const minimal = readFileSync(`${REPO}/examples/minimal.yaml`, 'utf8');
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:graph-minimal-neo4j-auth-Zz9Yy8';

it('sets spec.credentials.secretArn on the parsed document and keeps its comments', () => {
  const out = withSecretArn(minimal, ARN);
  expect(out).toContain(`secretArn: ${ARN}`);
  expect(out).not.toContain('neo4j-minimal-auth-AbCdEf');
  expect(out).toContain('# The smallest useful cluster');
  expect(demoCluster(out, 'out.yaml').spec.credentials.secretArn).toBe(ARN);
  expect(() => withSecretArn('a: [', ARN)).toThrow(DemoSpecError);
});

it('accepts exactly one valid cluster and names every problem with its line otherwise', () => {
  expect(demoCluster(minimal, 'minimal.yaml').metadata.name).toBe('graph-minimal');
  expect(() => demoCluster(`${minimal}\n---\n${minimal}`, 'two.yaml')).toThrow(
    'the demo runs exactly one cluster, found 2 documents',
  );
  const bad = minimal.replace('count: 3', 'count: 0');
  expect(() => demoCluster(bad, 'bad.yaml')).toThrow(
    /bad\.yaml is not a valid Neo4jCluster:\n {2}bad\.yaml:\d+:\d+: spec\.primaries\.count/,
  );
});

const status = (phase: ClusterStatus['phase']): ClusterStatus => ({ phase }) as ClusterStatus;
const row = (state: string): DemoMemberRow => ({ name: 'm', role: 'primary', state });
const view = (dbs: [string, string | null][]): ClusterView =>
  ({ databases: dbs.map(([name, leader]) => ({ name, leader })) }) as unknown as ClusterView;

it('is Ready only with phase Ready, every member running and a leader for every database', () => {
  const running = [row('RUNNING'), row('RUNNING')];
  const cases: [ClusterStatus | undefined, DemoMemberRow[], ClusterView | undefined, RegExp][] = [
    [
      undefined,
      running,
      undefined,
      /^waiting for the cluster… \(the controller has not written a status yet\)$/,
    ],
    [status('Reconciling'), running, undefined, /2\/2 members running; the controller is Reconciling$/],
    [
      status('Ready'),
      [row('RUNNING'), row('missing')],
      undefined,
      /1\/2 members running \(the controller has nothing more to do yet/,
    ],
    [status('Ready'), running, undefined, /Neo4j has not answered over Bolt yet$/],
    [status('Ready'), running, view([]), /Neo4j lists no databases yet$/],
    [
      status('Ready'),
      running,
      view([
        ['system', '127.0.0.2:7687'],
        ['neo4j', null],
      ]),
      /no leader yet for neo4j$/,
    ],
  ];
  for (const [s, rows, v, re] of cases) {
    const r = demoReadiness([], s, rows, v);
    expect(r.ready).toBe(false);
    expect(r.readiness).toMatch(re);
  }
  const ok = demoReadiness(
    ['movies'],
    status('Ready'),
    running,
    view([
      ['system', 'a'],
      ['neo4j', 'b'],
    ]),
  );
  expect(ok).toEqual({
    ready: true,
    readiness:
      'Ready: 2/2 members running, every database has a leader (system, neo4j); spec.neo4j.databases not in Neo4j: movies',
  });
});

it('gives the controller a Clock over any timer source, cancellable', () => {
  const due: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const clock = clockFrom({
    now: () => 42,
    setTimeout: (fn: () => void, ms: number) => {
      const t = { fn, ms, cancelled: false };
      due.push(t);
      return t;
    },
    clearTimeout: (t: { cancelled: boolean }) => {
      t.cancelled = true;
    },
  });
  expect(clock.now()).toBe(42);
  let fired = 0;
  clock.setTimer(() => fired++, -5);
  const h = clock.setTimer(() => fired++, 1000);
  h.cancel();
  expect(due.map((t) => [t.ms, t.cancelled])).toEqual([
    [0, false],
    [1000, true],
  ]);
  due[0]?.fn();
  expect(fired).toBe(1);
});
