import { parseClusterText, primaryPlacement, spreadEvenly } from '../../src/model/index.js';
import type { Neo4jCluster } from '../../src/model/index.js';

function cluster(primaries: object, asgZones = ['us-east-1a', 'us-east-1b', 'us-east-1c']): Neo4jCluster {
  const doc = {
    apiVersion: 'neo4j-ecs.io/v1alpha1',
    kind: 'Neo4jCluster',
    metadata: { name: 'g' },
    spec: {
      neo4j: { version: '5.26.12', acceptLicenseAgreement: 'yes' },
      primaries,
      ecs: { cluster: 'c' },
      capacity: { primaryAutoScalingGroups: Object.fromEntries(asgZones.map((z) => [z, `asg-${z}`])) },
      volume: { sizeGiB: 10 },
      resources: { cpu: 1024, memoryMiB: 4096, heap: '1g', pageCache: '1g' },
      credentials: { secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:x-AbCdEf' },
    },
  };
  const [r] = parseClusterText(JSON.stringify(doc), 'inline');
  if (!r?.cluster) throw new Error(JSON.stringify(r?.problems));
  return r.cluster;
}

describe('primary placement', () => {
  it.each([
    [3, ['a', 'b', 'c'], { a: 1, b: 1, c: 1 }],
    [5, ['a', 'b', 'c'], { a: 2, b: 2, c: 1 }],
    [7, ['a', 'b'], { a: 4, b: 3 }],
    [1, ['a', 'b', 'c'], { a: 1, b: 0, c: 0 }],
  ])('spreads %d over %j', (count, zones, expected) => {
    expect(Object.fromEntries(spreadEvenly(count, zones))).toEqual(expected);
  });

  it('spreads over the ASG zones when no zones are listed', () => {
    expect(primaryPlacement(cluster({ count: 5 })).map((s) => s.zone)).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1c',
      'us-east-1a',
      'us-east-1b',
    ]);
  });

  it('growing an even spread never moves an existing member to another AZ', () => {
    for (let n = 1; n < 12; n++) {
      const before = primaryPlacement(cluster({ count: n }));
      const after = primaryPlacement(cluster({ count: n + 1 }));
      expect(after.slice(0, n)).toEqual(before);
    }
  });

  it('honours explicit counts, N primaries over M AZs', () => {
    const slots = primaryPlacement(
      cluster({
        count: 4,
        zones: [
          { zone: 'us-east-1a', count: 3 },
          { zone: 'us-east-1b', count: 1 },
        ],
      }),
    );
    expect(slots.filter((s) => s.zone === 'us-east-1a')).toHaveLength(3);
    expect(slots.map((s) => s.member)).toEqual(['g-primary-1', 'g-primary-2', 'g-primary-3', 'g-primary-4']);
  });
});
