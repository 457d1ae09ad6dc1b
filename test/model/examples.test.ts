import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseClusterText, primaryPlacement, primariesPerZone } from '../../src/model/index.js';
import type { Neo4jCluster } from '../../src/model/index.js';
import { REPO } from '../helpers/cli.js';

function load(name: string): Neo4jCluster {
  const [r] = parseClusterText(readFileSync(join(REPO, 'examples', name), 'utf8'), name);
  if (!r?.cluster) throw new Error(`${name} is invalid: ${JSON.stringify(r?.problems)}`);
  return r.cluster;
}

describe('examples/', () => {
  it('every example is valid without errors', () => {
    const files = readdirSync(join(REPO, 'examples')).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['minimal.yaml', 'larger.yaml']));
    for (const f of files) {
      for (const r of parseClusterText(readFileSync(join(REPO, 'examples', f), 'utf8'), f)) {
        expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
        expect(r.cluster).toBeDefined();
      }
    }
  });

  it('minimal: 3 primaries, one per AZ, no secondaries, defaults applied', () => {
    const c = load('minimal.yaml');
    expect(primaryPlacement(c)).toEqual([
      { member: 'graph-minimal-primary-1', ordinal: 1, zone: 'us-east-1a' },
      { member: 'graph-minimal-primary-2', ordinal: 2, zone: 'us-east-1b' },
      { member: 'graph-minimal-primary-3', ordinal: 3, zone: 'us-east-1c' },
    ]);
    expect(c.spec.secondaries.count).toBe(0);
    expect(c.spec.volume.retention).toBe('Retain');
    expect(c.spec.volume.encrypted).toBe(true);
    expect(c.spec.upgrade).toEqual({
      pauseBetweenSteps: '30s',
      maxUnavailableSecondaries: 1,
      leadershipTransfer: true,
      leadershipTransferTimeout: '2m',
      supervised: false,
      paused: false,
    });
    expect(c.spec.discovery).toEqual({ namespace: 'neo4j.internal' });
    expect(c.spec.drain).toEqual({ lifecycleHookName: 'neo4j-ecs-drain', heartbeatTimeoutSeconds: 300 });
  });

  it('larger: 5 primaries over 3 AZs (2+2+1), 2 secondaries, supervised', () => {
    const c = load('larger.yaml');
    expect(Object.fromEntries(primariesPerZone(c))).toEqual({
      'us-east-1a': 2,
      'us-east-1b': 2,
      'us-east-1c': 1,
    });
    expect(primaryPlacement(c).map((s) => s.zone)).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1c',
      'us-east-1a',
      'us-east-1b',
    ]);
    expect(c.spec.secondaries.count).toBe(2);
    expect(c.spec.upgrade.supervised).toBe(true);
  });

  it('accepts the same document as JSON', () => {
    const c = load('minimal.yaml');
    const [r] = parseClusterText(JSON.stringify(c, null, 2), 'minimal.json');
    expect(r?.cluster).toEqual(c);
  });

  it('reads several documents from one YAML stream', () => {
    const a = readFileSync(join(REPO, 'examples/minimal.yaml'), 'utf8');
    const b = readFileSync(join(REPO, 'examples/larger.yaml'), 'utf8');
    const results = parseClusterText(`${a}\n---\n${b}`, 'both.yaml');
    expect(results.map((r) => r.cluster?.metadata.name)).toEqual(['graph-minimal', 'graph-larger']);
  });
});
