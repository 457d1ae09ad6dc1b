/**
 * What the members' ECS services attach, found in the world by convention (docs/topology.md,
 * Discovery), with no spec field:
 *
 * - the Cloud Map service named after the cluster (`metadata.name`) in the private DNS namespace
 *   `spec.discovery.namespace`: ListNamespaces (filter TYPE = DNS_PRIVATE, match the name), then
 *   ListServices (filter NAMESPACE_ID, match the name);
 * - the members' security groups: DescribeSecurityGroups filtered by tag `neo4j-ecs:cluster` = the
 *   cluster name.
 *
 * Both are references the infrastructure creates once and does not change, so they are cached in the
 * operator process, keyed by cluster and namespace, and looked up again after a TTL (default 10
 * minutes) or when an action using them failed (`invalidate`). A reference that is missing is not
 * cached: the next pass looks again. The steady-state pass therefore makes no call here.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import type { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { ListNamespacesCommand, ListServicesCommand } from '@aws-sdk/client-servicediscovery';
import type { ObservedNetwork } from '../model/observed.js';
import { TAGS } from '../model/observed.js';

export interface NetworkClients {
  ec2: EC2Client;
  servicediscovery: ServiceDiscoveryClient;
}

/** How long looked-up references are reused by default: 10 minutes. */
export const NETWORK_TTL_MS = 10 * 60_000;

type Opt = { abortSignal?: AbortSignal };
const o = (signal?: AbortSignal): Opt => (signal ? { abortSignal: signal } : {});

/** The id of the private DNS namespace named `name`, or undefined. */
export async function findNamespaceId(
  sd: ServiceDiscoveryClient,
  name: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  let NextToken: string | undefined;
  do {
    const res = await sd.send(
      new ListNamespacesCommand({
        Filters: [{ Name: 'TYPE', Values: ['DNS_PRIVATE'], Condition: 'EQ' }],
        MaxResults: 100,
        ...(NextToken ? { NextToken } : {}),
      }),
      o(signal),
    );
    const hit = (res.Namespaces ?? []).find((n) => n.Name === name && n.Id);
    if (hit?.Id) return hit.Id;
    NextToken = res.NextToken;
  } while (NextToken);
  return undefined;
}

/** The ARN of the Cloud Map service named `name` in namespace `namespaceId`, or undefined. */
export async function findServiceArn(
  sd: ServiceDiscoveryClient,
  namespaceId: string,
  name: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  let NextToken: string | undefined;
  do {
    const res = await sd.send(
      new ListServicesCommand({
        Filters: [{ Name: 'NAMESPACE_ID', Values: [namespaceId], Condition: 'EQ' }],
        MaxResults: 100,
        ...(NextToken ? { NextToken } : {}),
      }),
      o(signal),
    );
    const hit = (res.Services ?? []).find((s) => s.Name === name && s.Arn);
    if (hit?.Arn) return hit.Arn;
    NextToken = res.NextToken;
  } while (NextToken);
  return undefined;
}

/** The ids of the security groups tagged `neo4j-ecs:cluster` = `cluster`, sorted. */
export async function findSecurityGroups(
  ec2: EC2Client,
  cluster: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const ids: string[] = [];
  let NextToken: string | undefined;
  do {
    const res = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [{ Name: `tag:${TAGS.cluster}`, Values: [cluster] }],
        MaxResults: 1000,
        ...(NextToken ? { NextToken } : {}),
      }),
      o(signal),
    );
    for (const g of res.SecurityGroups ?? []) if (g.GroupId) ids.push(g.GroupId);
    NextToken = res.NextToken;
  } while (NextToken);
  return [...new Set(ids)].sort();
}

/** Looks up and caches the members' Cloud Map service and security groups per cluster. */
export class NetworkLookup {
  private readonly cache = new Map<string, { at: number; value: Promise<ObservedNetwork> }>();
  private readonly ttlMs: number;

  constructor(
    private readonly clients: NetworkClients,
    opts: { ttlMs?: number } = {},
  ) {
    this.ttlMs = opts.ttlMs ?? NETWORK_TTL_MS;
  }

  /**
   * The references of `cluster` (whose namespace is `namespace`) at `now` (the injected clock's epoch
   * ms): cached while complete and younger than the TTL.
   */
  lookup(cluster: string, namespace: string, now: number, signal?: AbortSignal): Promise<ObservedNetwork> {
    const key = `${namespace}\n${cluster}`;
    const hit = this.cache.get(key);
    if (hit && now >= hit.at && now - hit.at < this.ttlMs) return hit.value;
    const value = this.read(cluster, namespace, signal);
    const entry = { at: now, value };
    this.cache.set(key, entry);
    const forget = (): void => {
      if (this.cache.get(key) === entry) this.cache.delete(key);
    };
    // Only complete answers are kept: a missing reference is looked for again next time.
    value.then((n) => (n.registryArn === undefined || n.securityGroupIds.length === 0) && forget(), forget);
    return value;
  }

  /** Forgets the references of `cluster` (an action using them failed): the next look-up reads them again. */
  invalidate(cluster: string, namespace: string): void {
    this.cache.delete(`${namespace}\n${cluster}`);
  }

  private async read(cluster: string, namespace: string, signal?: AbortSignal): Promise<ObservedNetwork> {
    const namespaceId = await findNamespaceId(this.clients.servicediscovery, namespace, signal);
    const registryArn =
      namespaceId !== undefined
        ? await findServiceArn(this.clients.servicediscovery, namespaceId, cluster, signal)
        : undefined;
    const securityGroupIds = await findSecurityGroups(this.clients.ec2, cluster, signal);
    return { ...(registryArn !== undefined ? { registryArn } : {}), securityGroupIds };
  }
}
