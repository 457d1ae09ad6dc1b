/**
 * Neo4j versions as the operator understands them.
 *
 * - 4.4.x: legacy LTS. Accepted with a warning: roles come from the dbms.cluster.* dialect, and it
 *   cannot be rolled to 5.x (that is a migration).
 * - 5.x: SemVer. 5.26 is the LTS and the mandatory checkpoint before CalVer; other 5.x are accepted
 *   with a warning.
 * - 2025.x and later: CalVer YYYY.MM.PATCH, first-class.
 *
 * See shared reference neo4j-ops.md §4.1 for the upgrade rules that `rollingUpgradeAllowed` encodes.
 */

export type VersionLine = 'legacy-4.4' | 'semver-5' | 'calver';

export interface Neo4jVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly line: VersionLine;
  readonly text: string;
}

const VERSION_RE = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

/** Parses "5.26.12", "2025.10.1", "4.4.44" (patch optional). Returns undefined for anything else. */
export function parseVersion(text: string): Neo4jVersion | undefined {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const patch = m[3] === undefined ? 0 : Number(m[3]);
  let line: VersionLine;
  if (major === 4 && minor === 4) line = 'legacy-4.4';
  else if (major === 5) line = 'semver-5';
  else if (major >= 2025 && minor >= 1 && minor <= 12) line = 'calver';
  else return undefined;
  return { major, minor, patch, line, text: text.trim() };
}

export function compareVersions(a: Neo4jVersion, b: Neo4jVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export type SupportLevel = { level: 'supported' } | { level: 'warning'; message: string };

/** How well the operator supports a parsed version. */
export function supportLevel(v: Neo4jVersion): SupportLevel {
  switch (v.line) {
    case 'legacy-4.4':
      return {
        level: 'warning',
        message:
          'Neo4j 4.4 is legacy: roles are read with dbms.cluster.role/overview, and it cannot be rolled to 5.x (that is a migration)',
      };
    case 'semver-5':
      return v.minor === 26
        ? { level: 'supported' }
        : {
            level: 'warning',
            message: `Neo4j ${v.text} is not the 5.26 LTS; upgrade to 5.26 before moving to 2025.x`,
          };
    case 'calver':
      return { level: 'supported' };
  }
}

export type UpgradeVerdict = { allowed: true } | { allowed: false; reason: string; code: string };

/** Whether a rolling (one server at a time) change from `from` to `to` is allowed. */
export function rollingUpgradeAllowed(from: Neo4jVersion, to: Neo4jVersion): UpgradeVerdict {
  const cmp = compareVersions(from, to);
  if (cmp === 0) return { allowed: true };
  if (cmp > 0)
    return {
      allowed: false,
      code: 'DowngradeRefused',
      reason: `downgrade from ${from.text} to ${to.text} is not supported by Neo4j; restore a backup instead`,
    };
  if (from.line === 'legacy-4.4' && to.line !== 'legacy-4.4')
    return {
      allowed: false,
      code: 'MigrationRequired',
      reason: `${from.text} to ${to.text} is a migration (dump/load or backup/restore), not a rolling upgrade`,
    };
  if (from.line === 'semver-5' && to.line === 'calver' && from.minor !== 26)
    return {
      allowed: false,
      code: 'CheckpointRequired',
      reason: `upgrade to 5.26 LTS first: ${from.text} cannot be rolled directly to ${to.text}`,
    };
  if (
    from.line === 'semver-5' &&
    to.line === 'semver-5' &&
    from.minor <= 6 &&
    to.minor >= 10 &&
    to.minor <= 15
  )
    return {
      allowed: false,
      code: 'CheckpointRequired',
      reason: `upgrade to 5.9 first: ${from.text} cannot be rolled directly to ${to.text}`,
    };
  return { allowed: true };
}
