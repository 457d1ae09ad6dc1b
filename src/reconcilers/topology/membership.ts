/**
 * Neo4j membership (docs/topology.md): a server that shows as Free in SHOW SERVERS is enabled with the
 * mode the spec gives the member whose task listens at its address (a primary's service → PRIMARY,
 * the secondaries' → SECONDARY). And the scale-down guard: primaries removed from the spec while their
 * volumes still exist would need DEALLOCATE and DROP SERVER (the roll work); until then the whole
 * topology concern refuses with `PrimaryScaleDownRefused` and changes nothing.
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster } from '../../model/observed.js';
import { TAGS } from '../../model/observed.js';
import { primaryPlacement, secondaryServiceName } from '../../model/placement.js';
import type { Action, Hold, Step } from '../types.js';

export interface EnableServer extends Action {
  type: 'EnableServer';
  serverId: string;
  /** host:port of a reachable member to run the command on. */
  via: string;
  modeConstraint: 'PRIMARY' | 'SECONDARY';
}

/** DEALLOCATE DATABASES FROM SERVER (a stale secondary identity), then DROP SERVER once Deallocated. */
export interface RetireServer extends Action {
  type: 'DeallocateServer' | 'DropServer';
  serverId: string;
  via: string;
}

export type MembershipAction = EnableServer | RetireServer;

/** Refused when the spec has fewer primaries than volumes of this cluster's primaries exist. */
export function planScaleDownGuard(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'volumes'>,
): Hold[] {
  const members = new Set(primaryPlacement(desired).map((s) => s.member));
  const prefix = `${desired.metadata.name}-primary-`;
  const removed = [
    ...new Set(
      observed.volumes
        .filter(
          (v) => v.tags[TAGS.role] === 'primary' && ['creating', 'available', 'in-use'].includes(v.state),
        )
        .map((v) => v.tags[TAGS.member] ?? '')
        .filter((m) => m.startsWith(prefix) && /^\d+$/.test(m.slice(prefix.length)) && !members.has(m)),
    ),
  ].sort();
  if (removed.length === 0) return [];
  return [
    {
      kind: 'refused',
      reason: 'PrimaryScaleDownRefused',
      message: `the spec asks for ${desired.spec.primaries.count} primaries but ${removed.join(', ')} still exist; removing primaries needs DEALLOCATE and DROP SERVER, which the operator does not do yet: nothing is changed`,
    },
  ];
}

/**
 * Secondaries hold no volume, so a replaced secondary task (a roll of the secondaries, a drained
 * instance) comes back as a new server and its old identity stays Enabled and Unavailable with its
 * allocations, which keeps Neo4j's health gate failing. Once every Free server is enabled, such an
 * identity (constrained to SECONDARY, Unavailable, no live task listening at its address, or another
 * server Available there) is deallocated (its copies move to the new secondaries) and, once
 * Deallocated, dropped. Primaries keep their identity on their volume and are never retired here.
 */
function planStaleSecondaries(
  observed: Pick<ObservedCluster, 'tasks' | 'neo4j'>,
  via: string | undefined,
): Step<RetireServer>[] {
  const servers = observed.neo4j?.servers ?? [];
  if (via === undefined || servers.some((s) => s.state === 'Free')) return [];
  const steps: Step<RetireServer>[] = [];
  for (const s of servers) {
    if (s.modeConstraint !== 'SECONDARY' || s.health !== 'Unavailable') continue;
    const host = s.address.replace(/:\d+$/, '');
    const taken =
      servers.some((o) => o.id !== s.id && o.address === s.address && o.health === 'Available') ||
      !observed.tasks.some((t) => t.address === host && t.desiredStatus !== 'STOPPED');
    if (!taken) continue;
    if (s.state === 'Enabled' || s.state === 'Cordoned')
      steps.push({
        kind: 'act',
        type: 'DeallocateServer',
        reason: 'StaleSecondary',
        message: `server ${s.id} (${s.address}) is a secondary that was replaced (Unavailable, no task of it runs): deallocating its databases to the running secondaries`,
        serverId: s.id,
        via,
      });
    else if (s.state === 'Deallocated')
      steps.push({
        kind: 'act',
        type: 'DropServer',
        reason: 'StaleSecondary',
        message: `server ${s.id} (${s.address}) is a replaced secondary and Deallocated: dropping it`,
        serverId: s.id,
        via,
      });
  }
  return steps;
}

export function planMembership(
  desired: Neo4jCluster,
  observed: Pick<ObservedCluster, 'tasks' | 'neo4j'>,
): Step<MembershipAction>[] {
  const servers = observed.neo4j?.servers;
  if (!servers) return [];
  const primaries = new Set(primaryPlacement(desired).map((s) => s.member));
  const secondaries = secondaryServiceName(desired.metadata.name);
  const via = servers.find((s) => s.state === 'Enabled' && s.health === 'Available')?.address;
  const steps: Step<MembershipAction>[] = [];
  for (const s of servers.filter((x) => x.state === 'Free')) {
    const host = s.address.replace(/:\d+$/, '');
    const task = observed.tasks.find((t) => t.address === host && t.desiredStatus !== 'STOPPED');
    const service = task?.group?.startsWith('service:') ? task.group.slice('service:'.length) : undefined;
    const mode =
      service === undefined
        ? undefined
        : primaries.has(service)
          ? 'PRIMARY'
          : service === secondaries
            ? 'SECONDARY'
            : undefined;
    if (!mode || via === undefined) {
      steps.push({
        kind: 'refused',
        reason: 'FreeServerUnknown',
        message: `server ${s.id} at ${s.address} is Free but ${via === undefined ? 'no enabled member is reachable to enable it' : 'no member task of this cluster listens there'}: left Free`,
      });
      continue;
    }
    steps.push({
      kind: 'act',
      type: 'EnableServer',
      reason: 'ServerFree',
      message: `enabling server ${s.id} (${service}) as ${mode}`,
      ...(mode === 'PRIMARY' && service !== undefined ? { member: service } : {}),
      serverId: s.id,
      via,
      modeConstraint: mode,
    });
  }
  return [...steps, ...planStaleSecondaries(observed, via)];
}
