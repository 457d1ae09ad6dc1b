import pRetry from 'p-retry';
import neo4j from 'neo4j-driver';
import { ECSClient } from '@aws-sdk/client-ecs';
import { loadRuntimeDependencies, RUNTIME_DEPENDENCIES } from '../../src/deps.js';

describe('runtime dependencies under jest (native ESM)', () => {
  it('loads every runtime dependency with its main export', async () => {
    const loaded = await loadRuntimeDependencies();
    for (const name of RUNTIME_DEPENDENCIES) expect(loaded[name].length).toBeGreaterThan(0);
    expect(loaded['p-retry']).toContain('default');
    expect(loaded['@aws-sdk/client-ecs']).toContain('ECSClient');
  });

  it('runs p-retry (ESM-only) and constructs SDK and driver objects', async () => {
    let calls = 0;
    const v = await pRetry(
      () => {
        calls += 1;
        if (calls < 2) throw new Error('once');
        return 42;
      },
      { retries: 2, minTimeout: 1 },
    );
    expect(v).toBe(42);
    expect(calls).toBe(2);
    expect(new ECSClient({ region: 'us-east-1' })).toBeInstanceOf(ECSClient);
    expect(typeof neo4j.driver).toBe('function');
  });
});
