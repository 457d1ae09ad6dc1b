import { DesiredState } from '../../src/controller/desired.js';
import type { SourceSnapshot } from '../../src/controller/sources/types.js';
import { clusterYaml, invalidClusterYaml } from './fixtures.js';

const snap = (revision: string, docs: [origin: string, text: string][]): SourceSnapshot => ({
  revision,
  documents: docs.map(([origin, text]) => ({ origin, revision, text })),
});

describe('DesiredState', () => {
  it('accepts valid documents, one cluster each, and reports the new revision', () => {
    const d = new DesiredState();
    const r = d.apply(
      snap('r1', [
        ['a.yaml', clusterYaml('alpha')],
        ['b.yaml', clusterYaml('beta')],
      ]),
    );
    expect(r.changed).toEqual(['alpha', 'beta']);
    expect(d.get('alpha')?.revision).toBe('r1');
    expect(d.get('alpha')?.cluster.spec.volume.sizeGiB).toBe(20);
    expect(r.findings.map((f) => [f.cluster, f.reason, f.type])).toEqual([
      ['alpha', 'NewRevision', 'Normal'],
      ['beta', 'NewRevision', 'Normal'],
    ]);
    expect(r.findings[0]?.message).toContain('r1');
  });

  it('keeps the last valid revision in force when a new one is invalid, naming the revision and every problem', () => {
    const d = new DesiredState();
    d.apply(snap('good', [['a.yaml', clusterYaml('alpha')]]));
    const r = d.apply(snap('bad', [['a.yaml', invalidClusterYaml('alpha')]]));
    expect(d.get('alpha')?.revision).toBe('good');
    expect(d.attempted('alpha')).toMatchObject({ revision: 'bad', valid: false });
    expect(r.changed).toEqual(['alpha']);
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({
      cluster: 'alpha',
      revision: 'bad',
      type: 'Warning',
      reason: 'InvalidRevision',
    });
    expect(f.message).toContain('revision bad');
    expect(f.message).toContain('revision good stays in force');
    expect(f.message).toContain('spec.primaries.count');
    expect(f.message).toContain('unknown key "sizeInGb"');
    expect(f.message).toMatch(/3 problems/);
    expect(f.message).toContain('spec.primaries.zones');
    // The same bad revision again is not reported twice.
    expect(
      d
        .apply(
          snap('bad', [
            ['a.yaml', invalidClusterYaml('alpha')],
            ['b.yaml', clusterYaml('beta')],
          ]),
        )
        .findings.map((x) => x.cluster),
    ).toEqual(['beta']);
    // Fixing it applies the fix.
    const fixed = d.apply(snap('fixed', [['a.yaml', clusterYaml('alpha', { sizeGiB: 30 })]]));
    expect(fixed.changed).toContain('alpha');
    expect(d.get('alpha')?.cluster.spec.volume.sizeGiB).toBe(30);
    expect(d.attempted('alpha')).toMatchObject({ revision: 'fixed', valid: true });
  });

  it('attributes a document too broken to validate to its cluster by the name it still carries, or by its place', () => {
    const d = new DesiredState();
    d.apply(snap('r1', [['a.yaml', clusterYaml('alpha')]]));
    const r = d.apply(snap('r2', [['a.yaml', 'apiVersion: [unclosed']]));
    expect(r.findings[0]).toMatchObject({ cluster: 'alpha', reason: 'InvalidRevision' });
    expect(r.findings[0]?.message).toContain('not valid YAML');
    const r2 = new DesiredState().apply(snap('r1', [['x.yaml', 'kind: Neo4jCluster\n']]));
    expect(r2.findings[0]).toMatchObject({ cluster: '', reason: 'InvalidRevision', type: 'Warning' });
    expect(r2.changed).toEqual([]);
  });

  it('does not delete a cluster whose document disappears, and says so once', () => {
    const d = new DesiredState();
    d.apply(
      snap('r1', [
        ['a.yaml', clusterYaml('alpha')],
        ['b.yaml', clusterYaml('beta')],
      ]),
    );
    const r = d.apply(snap('r2', [['b.yaml', clusterYaml('beta')]]));
    expect(d.get('alpha')?.revision).toBe('r1');
    expect(d.isMissing('alpha')).toBe(true);
    expect(r.findings.filter((f) => f.reason === 'SourceDocumentMissing').map((f) => f.cluster)).toEqual([
      'alpha',
    ]);
    expect(
      d
        .apply(snap('r3', [['b.yaml', clusterYaml('beta')]]))
        .findings.filter((f) => f.reason === 'SourceDocumentMissing'),
    ).toEqual([]);
    d.apply(
      snap('r4', [
        ['a.yaml', clusterYaml('alpha')],
        ['b.yaml', clusterYaml('beta')],
      ]),
    );
    expect(d.isMissing('alpha')).toBe(false);
    expect(d.get('alpha')?.revision).toBe('r4');
  });

  it('refuses a cluster defined by two documents', () => {
    const d = new DesiredState();
    d.apply(snap('r1', [['a.yaml', clusterYaml('alpha')]]));
    const r = d.apply(
      snap('r2', [
        ['a.yaml', clusterYaml('alpha')],
        ['copy.yaml', clusterYaml('alpha', { sizeGiB: 99 })],
      ]),
    );
    expect(d.get('alpha')?.revision).toBe('r1');
    expect(r.findings.some((f) => f.reason === 'DuplicateCluster' && f.message.includes('copy.yaml'))).toBe(
      true,
    );
  });

  it('reads several clusters from one multi-document file', () => {
    const d = new DesiredState();
    const r = d.apply(snap('r1', [['all.yaml', `${clusterYaml('alpha')}\n---\n${clusterYaml('beta')}`]]));
    expect(r.changed).toEqual(['alpha', 'beta']);
    expect(d.get('beta')?.origin).toBe('all.yaml (document 2)');
  });

  it('reports a new revision with an unchanged spec as a change, so status records it', () => {
    const d = new DesiredState();
    d.apply(snap('main@sha1:aaa', [['a.yaml', clusterYaml('alpha')]]));
    const r = d.apply(snap('main@sha1:bbb', [['a.yaml', clusterYaml('alpha')]]));
    expect(r.changed).toEqual(['alpha']);
    expect(r.findings[0]?.message).toContain('spec unchanged');
    expect(d.apply(snap('main@sha1:bbb', [['a.yaml', clusterYaml('alpha')]])).changed).toEqual([]);
  });
});
