/**
 * Neo4j versions: parsing (SemVer 4.4.x / 5.x, CalVer 2025.x+), which Bolt versions a server of that
 * version offers, and the rolling-upgrade compatibility rules a joining member is checked against
 * (neo4j-ops.md §4.1):
 * - 4.4 ↔ 5.x or later is a migration, never a mixed cluster;
 * - 5.x ↔ later 5.x is fine, except 5.0–5.6 with 5.10–5.15 (stop at 5.9 first);
 * - 5.x ↔ 2025.x+ only from 5.26 (the mandatory checkpoint);
 * - CalVer ↔ later CalVer is fine;
 * - no downgrade below the version the cluster's `system` database was upgraded to.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
  calver: boolean;
  text: string;
}

export function parseVersion(text: string): Version {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!m) throw new Error(`not a Neo4j version: '${text}'`);
  const major = Number(m[1]);
  return { major, minor: Number(m[2]), patch: Number(m[3] ?? 0), calver: major >= 2025, text: text.trim() };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** A Bolt protocol version [major, minor]. */
export type BoltVersion = readonly [number, number];

/** Bolt versions a server offers, highest first (5.26: 5.8–5.6, 5.4–5.0, 4.4–4.0 [real]). */
export function boltVersionsFor(v: Version): BoltVersion[] {
  if (v.major === 4)
    return [
      [4, 4],
      [4, 3],
      [4, 2],
      [4, 1],
      [4, 0],
    ];
  const out: BoltVersion[] = [];
  const max5 = v.calver
    ? 8
    : v.minor >= 26
      ? 8
      : v.minor >= 23
        ? 7
        : v.minor >= 13
          ? 4
          : v.minor >= 7
            ? 2
            : 0;
  for (let m = max5; m >= 0; m--) if (m !== 5) out.push([5, m]);
  for (let m = 4; m >= 0; m--) out.push([4, m]);
  return out;
}

/** Why `joining` may not run in a cluster that has `other` running, or null when it may. */
export function incompatibility(joining: Version, other: Version): string | null {
  const [lo, hi] = compareVersions(joining, other) <= 0 ? [joining, other] : [other, joining];
  if (lo.major === hi.major && lo.minor === hi.minor) return null;
  if (lo.major === 4 || hi.major === 4) {
    if (lo.major === 4 && hi.major === 4) return null;
    return `Neo4j ${lo.text} and ${hi.text} cannot run in one cluster: moving from 4.4 to 5.x is a migration, not a rolling upgrade`;
  }
  if (!lo.calver && hi.calver) {
    if (lo.minor === 26) return null;
    return `Neo4j ${lo.text} cannot run in a cluster with ${hi.text}: a rolling upgrade to ${hi.text} must start from 5.26`;
  }
  if (!lo.calver && !hi.calver && lo.minor <= 6 && hi.minor >= 10 && hi.minor <= 15) {
    return `Neo4j ${lo.text} cannot run in a cluster with ${hi.text}: upgrade to 5.9 first`;
  }
  return null;
}

/** Why `joining` may not join a cluster whose `system` database is at `systemVersion`, or null. */
export function downgradeRefusal(joining: Version, systemVersion: Version | null): string | null {
  if (!systemVersion) return null;
  if (
    joining.major < systemVersion.major ||
    (joining.major === systemVersion.major && joining.minor < systemVersion.minor)
  ) {
    return `Neo4j ${joining.text} cannot join: the cluster's system database was already upgraded to ${systemVersion.major}.${systemVersion.minor}, and downgrades are not supported`;
  }
  return null;
}
