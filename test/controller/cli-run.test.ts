/**
 * `neo4j-ecs run` as a real process (the built CLI) against the AWS twin: two controllers share one
 * bucket and never both act on a cluster, as the twin's API call log shows; the other takes over a
 * cluster only after the TTL once its holder is killed; SIGTERM releases the leases and exits in time.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients } from '../../src/aws/clients.js';
import { destroyAwsClients } from '../../src/aws/clients.js';
import { S3ObjectStore } from '../../src/aws/object-store.js';
import type { ControllerEvent } from '../../src/controller/events.js';
import type { LeaseRecord } from '../../src/controller/lease.js';
import { twinEnv } from '../../twin/aws/index.js';
import type { CallRecord } from '../../twin/aws/index.js';
import type { AwsTwin } from '../aws/twin-setup.js';
import { clientsFor, startRealTimeTwin } from '../aws/twin-setup.js';
import { CLI, REPO, ensureBuilt } from '../helpers/cli.js';
import { clusterYaml } from './fixtures.js';
import { eventually, prepareWorld } from './twin-harness.js';

interface Proc {
  child: ChildProcessWithoutNullStreams;
  events: ControllerEvent[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let twin: AwsTwin;
let clients: AwsClients;
let store: S3ObjectStore;
const procs: Proc[] = [];

const TTL_MS = 2000;

function spawnController(holderId: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [CLI, 'run'], {
    cwd: REPO,
    env: {
      ...Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('NEO4J_ECS_')),
      ),
      ...twinEnv(twin),
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
      NEO4J_ECS_HOLDER_ID: holderId,
      NEO4J_ECS_HTTP_PORT: 'off',
      NEO4J_ECS_INTERVAL: '200ms',
      NEO4J_ECS_RESYNC: '300ms',
      NEO4J_ECS_FLUSH_INTERVAL: '200ms',
      NEO4J_ECS_LEASE_TTL: `${TTL_MS}ms`,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const p: Proc = {
    child,
    events: [],
    stderr: [],
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      p.events.push(JSON.parse(buf.slice(0, i)) as ControllerEvent);
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => p.stderr.push(d.toString()));
  procs.push(p);
  return p;
}

async function lease(bucket: string, key: string): Promise<LeaseRecord | undefined> {
  const r = await store.get(bucket, key);
  return r.status === 'ok' ? (JSON.parse(r.body) as LeaseRecord) : undefined;
}

const meta = (c: CallRecord): Record<string, string> =>
  (c.params['Metadata'] as Record<string, string> | undefined) ?? {};

beforeAll(async () => {
  ensureBuilt();
  twin = await startRealTimeTwin();
  clients = clientsFor(twin);
  store = new S3ObjectStore(clients.s3);
  await prepareWorld(twin, clients, { bucket: 'duo', ecsCluster: 'neo4j-minimal' });
}, 240_000);

afterAll(async () => {
  for (const p of procs)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  destroyAwsClients(clients);
  await twin.stop();
});

describe('neo4j-ecs run (built CLI) against the twin', () => {
  it('runs two controllers on one bucket that never both act on a cluster, and fails over after the TTL', async () => {
    await store.put('duo', 'envs/c-one.yaml', clusterYaml('c-one'));
    await store.put('duo', 'envs/c-two.yaml', clusterYaml('c-two'));
    const env = { NEO4J_ECS_SOURCE: 's3://duo/envs/' };
    const a = spawnController('ctl-a', env);
    const b = spawnController('ctl-b', env);
    const byHolder: Record<string, Proc> = { 'ctl-a': a, 'ctl-b': b };
    await eventually(
      async () =>
        (await lease('duo', 'envs/leases/c-one.json'))?.holder &&
        (await lease('duo', 'envs/leases/c-two.json'))?.holder,
      'both leases taken',
    );
    // make the holder act again and again: delete the log group it keeps, change the spec
    for (let i = 0; i < 3; i++) {
      await eventually(
        () =>
          twin.calls
            .list({ operation: 'CreateLogGroup' })
            .filter((c) => c.params['logGroupName'] === '/neo4j-ecs/c-one' && c.status === 200).length > i ||
          undefined,
        `log group created (${i})`,
      );
      await clients.logs.send(new DeleteLogGroupCommand({ logGroupName: '/neo4j-ecs/c-one' }));
    }
    await store.put('duo', 'envs/c-one.yaml', clusterYaml('c-one', { sizeGiB: 25 }));

    // kill the holder of c-one without letting it release
    const holder = (await lease('duo', 'envs/leases/c-one.json'))?.holder as string;
    const other = holder === 'ctl-a' ? 'ctl-b' : 'ctl-a';
    const changed = await store.get('duo', 'envs/c-one.yaml');
    const revision = changed.status === 'ok' ? changed.etag : '';
    await eventually(async () => {
      const s = await store.get('duo', 'envs/status/c-one.json');
      return s.status === 'ok' &&
        (JSON.parse(s.body) as { lastAppliedRevision?: string }).lastAppliedRevision === revision
        ? true
        : undefined;
    }, 'the spec change applied to c-one');
    const killedAt = twin.calls.lastSeq();
    byHolder[holder]!.child.kill('SIGKILL');
    await byHolder[holder]!.exited;
    await eventually(
      async () => (await lease('duo', 'envs/leases/c-one.json'))?.holder === other || undefined,
      'takeover',
      20_000,
    );
    // the new holder acts: it recreates a deleted log group
    await clients.logs
      .send(new DeleteLogGroupCommand({ logGroupName: '/neo4j-ecs/c-one' }))
      .catch(() => undefined);
    await eventually(
      () =>
        byHolder[other]!.events.some(
          (e) => e.cluster === 'c-one' && e.action === 'CreateLogGroup' && e.controller === other,
        ) || undefined,
      'the new holder acts',
    );
    // The action event is written just before its call: let the call reach the twin's log.
    const createCalls = (): number =>
      twin.calls
        .list({ service: 'logs', operation: 'CreateLogGroup' })
        .filter((c) => c.params['logGroupName'] === '/neo4j-ecs/c-one').length;
    const createEvents = (): number =>
      [...a.events, ...b.events].filter((e) => e.cluster === 'c-one' && e.action === 'CreateLogGroup').length;
    await eventually(
      () => createCalls() >= createEvents() || undefined,
      'the new holder’s CreateLogGroup in the call log',
    );

    // --- what the call log says ---
    const all = twin.calls.list({ service: 's3', operation: 'PutObject' });
    for (const cluster of ['c-one', 'c-two']) {
      const leaseKey = `envs/leases/${cluster}.json`;
      const statusKey = `envs/status/${cluster}.json`;
      let tenure: { holder: string; generation: string; t: number } | undefined;
      let writes = 0;
      for (const c of all) {
        if (c.status !== 200) continue;
        if (c.params['Key'] === leaseKey) {
          const m = meta(c);
          tenure =
            m['released'] === 'true'
              ? undefined
              : { holder: m['holder'] as string, generation: m['generation'] as string, t: c.t };
        } else if (c.params['Key'] === statusKey) {
          writes++;
          // every status write comes from the lease holder of the moment, under its generation
          expect(tenure).toBeDefined();
          expect(meta(c)).toEqual({ holder: tenure!.holder, generation: tenure!.generation });
        }
      }
      expect(writes).toBeGreaterThan(0);
    }
    // takeover of c-one: not before a whole TTL after the killed holder's last lease write
    const leaseWrites = all.filter((c) => c.params['Key'] === 'envs/leases/c-one.json' && c.status === 200);
    const lastOld = leaseWrites.filter((c) => meta(c)['holder'] === holder).at(-1)!;
    const firstNew = leaseWrites.find((c) => meta(c)['holder'] === other && c.seq > killedAt)!;
    expect(firstNew.t - lastOld.t).toBeGreaterThanOrEqual(TTL_MS);
    expect(Number(meta(firstNew)['generation'])).toBe(Number(meta(lastOld)['generation']) + 1);
    // every CreateLogGroup for c-one in the call log is one action event of the lease holder, under its generation
    const creates = twin.calls
      .list({ service: 'logs', operation: 'CreateLogGroup' })
      .filter((c) => c.params['logGroupName'] === '/neo4j-ecs/c-one');
    const actions = [...a.events, ...b.events].filter(
      (e) => e.cluster === 'c-one' && e.action === 'CreateLogGroup',
    );
    expect(actions.length).toBe(creates.length);
    const generations = new Map<number, string>();
    for (const e of actions) {
      expect(e.generation).toBeDefined();
      const seen = generations.get(e.generation!);
      if (seen !== undefined) expect(e.controller).toBe(seen); // one controller per generation
      generations.set(e.generation!, e.controller);
    }
    expect(new Set(actions.map((e) => e.controller))).toEqual(new Set([holder, other]));
  }, 60_000);

  it('releases its leases on SIGTERM and exits within the stop timeout', async () => {
    await store.put('duo', 'term/one.yaml', clusterYaml('t-one'));
    await store.put('duo', 'term/two.yaml', clusterYaml('t-two'));
    const p = spawnController('ctl-term', {
      NEO4J_ECS_SOURCE: 's3://duo/term/',
      NEO4J_ECS_STOP_TIMEOUT: '3s',
      NEO4J_ECS_LEASE_TTL: '30s',
    });
    await eventually(
      async () =>
        (await lease('duo', 'term/leases/t-one.json'))?.holder === 'ctl-term' &&
        (await lease('duo', 'term/leases/t-two.json'))?.holder === 'ctl-term'
          ? true
          : undefined,
      'leases held',
    );
    p.child.kill('SIGTERM');
    const deadline = new Promise<'late'>((r) => setTimeout(() => r('late'), 5000).unref());
    const exit = await Promise.race([p.exited, deadline]);
    expect(exit).toEqual({ code: 0, signal: null });
    for (const key of ['term/leases/t-one.json', 'term/leases/t-two.json']) {
      const l = await lease('duo', key);
      expect(l).toMatchObject({ holder: null, generation: 1 });
      expect(l?.releasedAt).toEqual(expect.any(String));
    }
    expect(
      p.events
        .filter((e) => e.reason === 'LeaseReleased')
        .map((e) => e.cluster)
        .sort(),
    ).toEqual(['t-one', 't-two']);
    expect(p.stderr.join('')).toContain('released 2 lease(s)');
  }, 30_000);
});
