/** The version guard and the needs-restart check of the roll, table-tested without I/O. */
import { planVersionGuard } from '../../../src/reconcilers/roll/version-guard.js';
import { restartParts } from '../../../src/reconcilers/roll/needs-restart.js';
import { taskDefinitionFor } from '../../../src/reconcilers/topology/task-definitions.js';
import type { FakeMember } from '../neo4j-fixtures.js';
import { neo4jWorld } from '../neo4j-fixtures.js';
import { spec } from './fixtures.js';

const members = (...versions: string[]): FakeMember[] =>
  versions.map((version, i) => ({
    service: `graph-minimal-primary-${i + 1}`,
    serverId: `s${i + 1}`,
    version,
  }));

describe('planVersionGuard', () => {
  it.each([
    ['a patch upgrade', ['5.26.12', '5.26.12'], '5.26.13', []],
    ['5.26 to 2025.x', ['5.26.12'], '2025.10.1', []],
    ['a roll half done (mixed old and new)', ['5.26.12', '5.26.13'], '5.26.13', []],
    ['a downgrade', ['5.26.13', '5.26.13'], '5.26.12', ['DowngradeRefused']],
    ['4.4 to 5 (a migration)', ['4.4.40'], '5.26.12', ['MigrationRequired']],
    ['5.20 straight to 2025.x', ['5.20.0'], '2025.01.0', ['CheckpointRequired']],
    ['a downgrade from a half-done roll', ['5.26.12', '5.26.13'], '5.26.12', ['DowngradeRefused']],
  ])('%s', (_n, versions, to, reasons) => {
    const holds = planVersionGuard(spec(to), neo4jWorld(members(...versions)));
    expect(holds.map((h) => h.reason)).toEqual(reasons);
    expect(holds.every((h) => h.kind === 'refused' && h.message.includes('left unchanged'))).toBe(true);
  });

  it('says nothing when no member reports a version (bring-up)', () => {
    expect(planVersionGuard(spec('5.26.12'), {})).toEqual([]);
  });
});

describe('restartParts', () => {
  const td = (edit: (s: Record<string, unknown>) => void) =>
    taskDefinitionFor(spec('5.26.12', edit), {
      kind: 'primary',
      member: 'graph-minimal-primary-1',
      volumeId: 'vol-1',
    });
  const base = td(() => undefined);
  it.each([
    ['nothing', () => undefined, []],
    [
      'the version (image)',
      (s: Record<string, unknown>) => ((s['neo4j'] as Record<string, unknown>)['version'] = '5.26.13'),
      ['image'],
    ],
    [
      'neo4j.conf',
      (s: Record<string, unknown>) =>
        ((s['neo4j'] as Record<string, unknown>)['config'] = { 'db.logs.query.enabled': 'INFO' }),
      ['neo4j.conf'],
    ],
    [
      'the heap',
      (s: Record<string, unknown>) => ((s['resources'] as Record<string, unknown>)['heap'] = '2g'),
      ['resources'],
    ],
    [
      'the cpu',
      (s: Record<string, unknown>) => ((s['resources'] as Record<string, unknown>)['cpu'] = 2048),
      ['resources'],
    ],
    [
      'the secret',
      (s: Record<string, unknown>) =>
        ((s['credentials'] as Record<string, unknown>)['secretArn'] =
          'arn:aws:secretsmanager:us-east-1:000000000000:secret:other-AbCdEf'),
      ['secret'],
    ],
    [
      'a restart request',
      (s: Record<string, unknown>) => (s['upgrade'] = { restartToken: '2026-01-01T00:00:00Z' }),
      ['restart requested'],
    ],
  ] as [string, (s: Record<string, unknown>) => void, string[]][])(
    'names what changed: %s',
    (_n, edit, parts) => {
      expect(restartParts(base, td(edit))).toEqual(parts);
    },
  );

  it('unknown current content is a task-definition change', () => {
    expect(restartParts(undefined, base)).toEqual(['task definition']);
  });
});
