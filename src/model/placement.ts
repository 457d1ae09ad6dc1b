/**
 * Where each primary lives. Members are named `<cluster>-primary-<n>` (n from 1) and keep their AZ
 * for life, because their EBS volume cannot leave it. Assignment is round-robin over the AZs in the
 * order the document lists them, skipping AZs that are full, so that growing an even spread adds
 * members without moving existing ones.
 */
import type { Neo4jCluster } from './cluster.js';

export interface PrimarySlot {
  member: string;
  ordinal: number;
  zone: string;
}

/** `count` spread evenly over `zones` in order: the first `count % zones.length` get one more. */
export function spreadEvenly(count: number, zones: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  if (zones.length === 0) return out;
  const base = Math.floor(count / zones.length);
  const extra = count % zones.length;
  zones.forEach((z, i) => out.set(z, base + (i < extra ? 1 : 0)));
  return out;
}

/** Primaries per AZ, as the document asks. */
export function primariesPerZone(cluster: Neo4jCluster): Map<string, number> {
  const { primaries, capacity } = cluster.spec;
  if (!primaries.zones) return spreadEvenly(primaries.count, Object.keys(capacity.primaryAutoScalingGroups));
  if (primaries.zones.every((z) => z.count === undefined))
    return spreadEvenly(
      primaries.count,
      primaries.zones.map((z) => z.zone),
    );
  return new Map(primaries.zones.map((z) => [z.zone, z.count ?? 0]));
}

export function primaryMemberName(cluster: string, ordinal: number): string {
  return `${cluster}-primary-${ordinal}`;
}

export function secondaryServiceName(cluster: string): string {
  return `${cluster}-secondaries`;
}

/** Every primary with its AZ, ordinal order. */
export function primaryPlacement(cluster: Neo4jCluster): PrimarySlot[] {
  const perZone = primariesPerZone(cluster);
  const zones = [...perZone.keys()];
  const left = new Map(perZone);
  const slots: PrimarySlot[] = [];
  let cursor = 0;
  const total = [...perZone.values()].reduce((a, b) => a + b, 0);
  while (slots.length < total) {
    const zone = zones[cursor % zones.length] as string;
    cursor += 1;
    const n = left.get(zone) ?? 0;
    if (n <= 0) continue;
    left.set(zone, n - 1);
    const ordinal = slots.length + 1;
    slots.push({ member: primaryMemberName(cluster.metadata.name, ordinal), ordinal, zone });
  }
  return slots;
}
