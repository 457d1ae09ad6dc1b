/**
 * neo4j.conf settings the operator owns. A document that sets one is rejected: the operator derives
 * them from the member's identity, its task's address and the spec, and a user value would break
 * discovery or placement after the next replacement.
 */
export interface OwnedSetting {
  /** Exact key, or a prefix ending in "." or "*". */
  pattern: string;
  /** What to do instead. */
  instead: string;
}

export const OWNED_SETTINGS: readonly OwnedSetting[] = [
  { pattern: 'server.default_advertised_address', instead: 'the operator advertises each task address' },
  { pattern: 'server.default_listen_address', instead: 'the operator sets listen addresses' },
  { pattern: 'server.*.advertised_address', instead: 'the operator advertises each task address' },
  { pattern: 'server.*.listen_address', instead: 'the operator sets listen addresses' },
  { pattern: 'dbms.cluster.discovery.', instead: 'the operator configures discovery' },
  { pattern: 'dbms.cluster.endpoints', instead: 'the operator configures discovery' },
  {
    pattern: 'dbms.cluster.minimum_initial_system_primaries_count',
    instead: 'it follows spec.primaries.count',
  },
  { pattern: 'initial.server.mode_constraint', instead: 'use spec.primaries and spec.secondaries' },
  { pattern: 'server.cluster.system_database_mode', instead: 'use spec.primaries and spec.secondaries' },
  { pattern: 'server.memory.heap.', instead: 'use spec.resources.heap' },
  { pattern: 'server.memory.pagecache.size', instead: 'use spec.resources.pageCache' },
  { pattern: 'server.directories.data', instead: 'the data directory is the member volume' },
  { pattern: 'server.databases.default_to_read_only', instead: 'the operator uses it to move leaderships' },
  { pattern: 'causal_clustering.', instead: 'the operator configures clustering (4.4)' },
  { pattern: 'dbms.mode', instead: 'use spec.primaries and spec.secondaries (4.4)' },
  { pattern: 'dbms.default_advertised_address', instead: 'the operator advertises each task address (4.4)' },
  { pattern: 'dbms.memory.heap.', instead: 'use spec.resources.heap (4.4)' },
  { pattern: 'dbms.memory.pagecache.size', instead: 'use spec.resources.pageCache (4.4)' },
];

function matches(pattern: string, key: string): boolean {
  if (pattern.includes('*')) {
    const [head = '', tail = ''] = pattern.split('*');
    return key.startsWith(head) && key.endsWith(tail) && key.length > head.length + tail.length;
  }
  return pattern.endsWith('.') ? key.startsWith(pattern) : key === pattern;
}

/** The owned setting a key falls under, if any. */
export function ownedSetting(key: string): OwnedSetting | undefined {
  return OWNED_SETTINGS.find((s) => matches(s.pattern, key));
}
