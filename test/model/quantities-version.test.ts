import {
  formatDuration,
  formatNeo4jMemory,
  parseDuration,
  parseMemoryMiB,
  parseVersion,
  rollingUpgradeAllowed,
  supportLevel,
} from '../../src/model/index.js';

describe('durations and memory sizes', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['0', 0],
    ['1.5s', 1500],
  ])('parses duration %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['30', '30 seconds', 's', '-1s', ''])('rejects duration %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('formats durations back', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(0)).toBe('0s');
  });

  it.each([
    ['512m', 512],
    ['4g', 4096],
    ['4GiB', 4096],
    ['1.5g', 1536],
    ['1024k', 1],
  ])('parses memory %s', (text, mib) => expect(parseMemoryMiB(text)).toBe(mib));

  it.each(['lots', '4x', ''])('rejects memory %j', (text) => expect(parseMemoryMiB(text)).toBeUndefined());

  it('formats Neo4j memory settings', () => {
    expect(formatNeo4jMemory(4096)).toBe('4g');
    expect(formatNeo4jMemory(1536)).toBe('1536m');
  });
});

describe('Neo4j versions', () => {
  it.each([
    ['5.26.12', 'semver-5'],
    ['2025.10.1', 'calver'],
    ['2026.01.0', 'calver'],
    ['4.4.44', 'legacy-4.4'],
    ['5.26', 'semver-5'],
  ])('parses %s as %s', (text, line) => expect(parseVersion(text)?.line).toBe(line));

  it.each(['3.5.35', '4.3.0', '6.0.0', '2025.13.0', 'latest'])('rejects %s', (text) =>
    expect(parseVersion(text)).toBeUndefined(),
  );

  it('warns for 4.4 and non-LTS 5.x, not for 5.26 and CalVer', () => {
    expect(supportLevel(parseVersion('4.4.44')!).level).toBe('warning');
    expect(supportLevel(parseVersion('5.20.0')!).level).toBe('warning');
    expect(supportLevel(parseVersion('5.26.0')!).level).toBe('supported');
    expect(supportLevel(parseVersion('2025.10.1')!).level).toBe('supported');
  });

  it.each([
    ['5.26.10', '5.26.12', true, undefined],
    ['5.26.12', '2025.10.1', true, undefined],
    ['2025.10.1', '2026.01.0', true, undefined],
    ['5.20.0', '2025.10.1', false, 'CheckpointRequired'],
    ['4.4.44', '5.26.12', false, 'MigrationRequired'],
    ['5.26.12', '5.26.10', false, 'DowngradeRefused'],
    ['5.3.0', '5.12.0', false, 'CheckpointRequired'],
  ])('rolling %s -> %s allowed=%s', (from, to, allowed, code) => {
    const v = rollingUpgradeAllowed(parseVersion(from)!, parseVersion(to)!);
    expect(v.allowed).toBe(allowed);
    if (!v.allowed) expect(v.code).toBe(code);
  });
});
