/**
 * The operator-process caches in src/aws: the credentials secret (CachedSecretReader) and the members'
 * Cloud Map service and security groups (NetworkLookup). Both are driven by an injected clock: values
 * are reused within the TTL, read again after it or after `invalidate`, and a failed or incomplete
 * read is not kept.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { NetworkLookup, NETWORK_TTL_MS } from '../../src/aws/network.js';
import { CachedSecretReader, SECRET_TTL_MS } from '../../src/aws/secrets.js';
import type { SecretReader } from '../../src/neo4j/secrets.js';

describe('CachedSecretReader', () => {
  const counting = (values: string[]): SecretReader & { reads: number } => {
    const r = {
      reads: 0,
      getSecretString(id: string): Promise<string> {
        const v = values[r.reads++];
        return v === undefined ? Promise.reject(new Error(`cannot read ${id}`)) : Promise.resolve(v);
      },
    };
    return r;
  };

  it('reuses a value for the TTL (5 minutes by default) and reads it again after', async () => {
    let now = 1000;
    const inner = counting(['neo4j/a', 'neo4j/b']);
    const c = new CachedSecretReader(inner, { now: () => now });
    expect(await c.getSecretString('s')).toBe('neo4j/a');
    now += SECRET_TTL_MS - 1;
    expect(await Promise.all([c.getSecretString('s'), c.getSecretString('s')])).toEqual([
      'neo4j/a',
      'neo4j/a',
    ]);
    expect(inner.reads).toBe(1);
    now += 1;
    expect(await c.getSecretString('s')).toBe('neo4j/b');
    expect(inner.reads).toBe(2);
  });

  it('reads again at once after invalidate (a Bolt authentication failure), and never keeps a failure', async () => {
    const inner = counting(['neo4j/a', 'neo4j/rotated']);
    const c = new CachedSecretReader(inner, { now: () => 0, ttlMs: 60_000 });
    expect(await c.getSecretString('s')).toBe('neo4j/a');
    c.invalidate('s');
    expect(await c.getSecretString('s')).toBe('neo4j/rotated');
    await expect(new CachedSecretReader(counting([]), { now: () => 0 }).getSecretString('x')).rejects.toThrow(
      'cannot read x',
    );
    const flaky = counting([]);
    const f = new CachedSecretReader(flaky, { now: () => 0 });
    await expect(f.getSecretString('x')).rejects.toThrow();
    await expect(f.getSecretString('x')).rejects.toThrow();
    expect(flaky.reads).toBe(2);
  });
});

describe('NetworkLookup', () => {
  /** Fake clients answering by command name, counting calls. */
  function fakes(world: { namespaces: [string, string][]; services: [string, string][]; groups: string[] }) {
    const calls: string[] = [];
    const send = (cmd: { constructor: { name: string }; input: unknown }): Promise<unknown> => {
      const name = cmd.constructor.name.replace(/Command$/, '');
      calls.push(name);
      if (name === 'ListNamespaces')
        return Promise.resolve({ Namespaces: world.namespaces.map(([Id, Name]) => ({ Id, Name })) });
      if (name === 'ListServices')
        return Promise.resolve({ Services: world.services.map(([Arn, Name]) => ({ Arn, Name })) });
      if (name === 'DescribeSecurityGroups')
        return Promise.resolve({ SecurityGroups: world.groups.map((GroupId) => ({ GroupId })) });
      return Promise.reject(new Error(`unexpected ${name}`));
    };
    return {
      calls,
      clients: {
        ec2: { send } as unknown as EC2Client,
        servicediscovery: { send } as unknown as ServiceDiscoveryClient,
      },
    };
  }

  it('finds the service by name in the namespace by name and the groups by tag, then serves them from the cache until the TTL', async () => {
    const f = fakes({
      namespaces: [
        ['ns-other', 'other.internal'],
        ['ns-1', 'neo4j.internal'],
      ],
      services: [
        ['arn:srv-x', 'graph-other'],
        ['arn:srv-1', 'graph'],
      ],
      groups: ['sg-2', 'sg-1'],
    });
    const n = new NetworkLookup(f.clients);
    const want = { registryArn: 'arn:srv-1', securityGroupIds: ['sg-1', 'sg-2'] };
    expect(await n.lookup('graph', 'neo4j.internal', 0)).toEqual(want);
    expect(f.calls).toEqual(['ListNamespaces', 'ListServices', 'DescribeSecurityGroups']);
    expect(await n.lookup('graph', 'neo4j.internal', NETWORK_TTL_MS - 1)).toEqual(want);
    expect(f.calls).toHaveLength(3);
    await n.lookup('graph', 'neo4j.internal', NETWORK_TTL_MS);
    expect(f.calls).toHaveLength(6);
    n.invalidate('graph', 'neo4j.internal');
    await n.lookup('graph', 'neo4j.internal', NETWORK_TTL_MS);
    expect(f.calls).toHaveLength(9);
  });

  it('reports what is missing and does not cache it, so the next pass looks again', async () => {
    const f = fakes({ namespaces: [['ns-1', 'neo4j.internal']], services: [], groups: [] });
    const n = new NetworkLookup(f.clients);
    expect(await n.lookup('graph', 'neo4j.internal', 0)).toEqual({ securityGroupIds: [] });
    expect(await n.lookup('graph', 'neo4j.internal', 1)).toEqual({ securityGroupIds: [] });
    expect(f.calls).toHaveLength(6);
    const g = fakes({ namespaces: [], services: [['arn:srv-1', 'graph']], groups: ['sg-1'] });
    // No such namespace: the service is not looked for in another one.
    expect(await new NetworkLookup(g.clients).lookup('graph', 'neo4j.internal', 0)).toEqual({
      securityGroupIds: ['sg-1'],
    });
    expect(g.calls).toEqual(['ListNamespaces', 'DescribeSecurityGroups']);
  });
});
