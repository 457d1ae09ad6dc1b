import { ConfigError, loadConfig, SETTINGS } from '../../src/controller/config.js';

describe('run configuration', () => {
  it('applies defaults, with a flag winning over its environment variable', () => {
    const c = loadConfig(
      { source: 's3://bkt/envs/prod.yaml', leaseTtl: '45s' },
      { NEO4J_ECS_LEASE_TTL: '10s', NEO4J_ECS_RESYNC: '2m' },
    );
    expect(c).toMatchObject({
      source: 's3://bkt/envs/prod.yaml',
      leaseTtl: 45_000,
      resync: 120_000,
      httpPort: 8080,
      httpHost: '0.0.0.0',
      namespace: 'Neo4jEcs',
      logGroup: '/neo4j-ecs/controller',
      stopTimeout: 25_000,
      concurrency: 4,
      passTimeout: 300_000,
      cloudwatch: true,
      debugEvents: false,
    });
    expect(c.interval).toBeUndefined();
    expect(c.holderId).toMatch(/^[\w.:@/-]+$/);
    expect(c.logStream).toBe(c.holderId.replace(/[:*]/g, '-'));
  });

  it('reads everything from NEO4J_ECS_* variables (12-factor)', () => {
    const c = loadConfig(
      {},
      {
        NEO4J_ECS_SOURCE: 'git+https://h/r.git#main:clusters',
        NEO4J_ECS_INTERVAL: '90s',
        NEO4J_ECS_HTTP_PORT: 'off',
        NEO4J_ECS_STATUS_BUCKET: 's3://state/neo4j',
        NEO4J_ECS_HOLDER_ID: 'task-1234',
        NEO4J_ECS_CLOUDWATCH: 'false',
        NEO4J_ECS_DEBUG_EVENTS: 'yes',
      },
    );
    expect(c).toMatchObject({
      interval: 90_000,
      statusBucket: { bucket: 'state', folder: 'neo4j/' },
      holderId: 'task-1234',
      cloudwatch: false,
      debugEvents: true,
    });
    expect(c.httpPort).toBeUndefined();
  });

  it('reports every problem at once, naming the flag and the variable', () => {
    let err: unknown;
    try {
      loadConfig(
        { interval: 'soon', httpPort: '70000', statusBucket: 'bucket' },
        { NEO4J_ECS_CONCURRENCY: '0', NEO4J_ECS_HOLDER_ID: 'has space' },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('--source (NEO4J_ECS_SOURCE): is required');
    expect(msg).toContain('--interval (NEO4J_ECS_INTERVAL): expected a duration');
    expect(msg).toContain('--http-port (NEO4J_ECS_HTTP_PORT): expected a port');
    expect(msg).toContain('--status-bucket (NEO4J_ECS_STATUS_BUCKET): expected an S3 URL');
    expect(msg).toContain('--concurrency (NEO4J_ECS_CONCURRENCY): expected a whole number from 1 to 64');
    expect(msg).toContain('--holder-id (NEO4J_ECS_HOLDER_ID)');
  });

  it('refuses unsupported sources and out-of-range durations', () => {
    expect(() => loadConfig({ source: 'ftp://x/y' }, {})).toThrow(/unsupported source/);
    expect(() => loadConfig({ source: 's3://Bad/x' }, {})).toThrow(/bucket name/);
    expect(() => loadConfig({ source: 'x.yaml', leaseTtl: '10ms' }, {})).toThrow(
      /--lease-ttl .*between 1000 ms/,
    );
  });

  it('documents a flag and an environment variable for every setting', () => {
    for (const s of SETTINGS) {
      expect(s.flag).toMatch(/^--[a-z-]+$/);
      expect(s.env).toMatch(/^NEO4J_ECS_[A-Z_]+$/);
    }
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
  });
});
