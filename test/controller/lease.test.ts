import { LeaseRecordSchema, LocalLeases, S3Leases } from '../../src/controller/lease.js';
import { manualClock } from './helpers.js';
import { MemoryStore } from './memory-store.js';

const TTL = 10_000;

function pair() {
  const { vc, clock } = manualClock();
  const store = new MemoryStore();
  const mk = (holderId: string) =>
    new S3Leases({ store, bucket: 'bkt', folder: 'envs/prod/', holderId, ttlMs: TTL, clock });
  return { vc, store, a: mk('ctl-a'), b: mk('ctl-b') };
}

const record = (store: MemoryStore, cluster = 'alpha') =>
  LeaseRecordSchema.parse(JSON.parse(store.body('bkt', `envs/prod/leases/${cluster}.json`) ?? 'null'));

describe('S3Leases', () => {
  it('creates the lease with If-None-Match, and a second controller does not get it', async () => {
    const { a, b, store } = pair();
    expect(await a.ensure('alpha')).toMatchObject({ held: true, generation: 1 });
    expect(record(store)).toMatchObject({ cluster: 'alpha', holder: 'ctl-a', ttlMs: TTL, generation: 1 });
    const other = await b.ensure('alpha');
    expect(other).toEqual({ held: false, holder: 'ctl-a', generation: 1, retryAfterMs: TTL });
    expect(a.current('alpha')).toBe(1);
    expect(b.current('alpha')).toBeUndefined();
  });

  it('renews only when a third of the TTL has passed, and renewals keep the other controller out', async () => {
    const { a, b, vc, store } = pair();
    await a.ensure('alpha');
    store.calls.length = 0;
    await a.ensure('alpha');
    expect(store.calls).toEqual([]); // fresh: no call
    for (let i = 0; i < 6; i++) {
      await vc.advance(TTL / 3);
      await a.renewDue();
      expect((await b.ensure('alpha')).held).toBe(false);
    }
    expect(record(store)).toMatchObject({ holder: 'ctl-a', generation: 1 });
    expect(a.current('alpha')).toBe(1);
  });

  it('lets the other controller take over a whole TTL after the holder stopped renewing, with the next generation', async () => {
    const { a, b, vc, store } = pair();
    await a.ensure('alpha');
    expect((await b.ensure('alpha')).held).toBe(false); // b first sees the ETag now
    await vc.advance(TTL - 1);
    expect(await b.ensure('alpha')).toMatchObject({ held: false, retryAfterMs: 1 });
    // the old holder's own view ended before the takeover may happen
    expect(a.current('alpha')).toBeUndefined();
    await vc.advance(1);
    expect(await b.ensure('alpha')).toMatchObject({ held: true, generation: 2 });
    expect(record(store)).toMatchObject({ holder: 'ctl-b', generation: 2 });
    // the old holder comes back: its conditional renewal fails and it knows it lost
    expect(await a.ensure('alpha')).toMatchObject({ held: false, holder: 'ctl-b', generation: 2 });
  });

  it('takes a released lease at once', async () => {
    const { a, b, store } = pair();
    await a.ensure('alpha');
    await a.ensure('beta');
    expect(await a.releaseAll()).toEqual(['alpha', 'beta']);
    expect(record(store)).toMatchObject({ holder: null, generation: 1, releasedAt: expect.any(String) });
    expect(a.current('alpha')).toBeUndefined();
    expect(await b.ensure('alpha')).toMatchObject({ held: true, generation: 2 });
  });

  it('lets exactly one of two controllers win a simultaneous first acquisition', async () => {
    const { a, b } = pair();
    const [ra, rb] = await Promise.all([a.ensure('alpha'), b.ensure('alpha')]);
    expect([ra.held, rb.held].filter(Boolean)).toHaveLength(1);
  });

  it('never races itself: a renewal and a pass asking at the same time make one write', async () => {
    const { a, vc, store } = pair();
    await a.ensure('alpha');
    await vc.advance(TTL / 2);
    store.calls.length = 0;
    const [r1, r2] = await Promise.all([a.ensure('alpha'), a.renewDue().then(() => a.ensure('alpha'))]);
    expect(r1.held && r2.held).toBe(true);
    expect(store.calls.filter((c) => c.op === 'put')).toHaveLength(1);
  });

  it('treats an unreadable lease object as held for one TTL, then takes it over', async () => {
    const { b, vc, store } = pair();
    store.set('bkt', 'envs/prod/leases/alpha.json', 'not json');
    expect(await b.ensure('alpha')).toMatchObject({ held: false, holder: '(unreadable lease object)' });
    await vc.advance(TTL);
    expect(await b.ensure('alpha')).toMatchObject({ held: true, generation: 1 });
  });

  it('uses a conditional GET while waiting, so an unchanged lease costs a 304', async () => {
    const { a, b, store } = pair();
    await a.ensure('alpha');
    await b.ensure('alpha');
    store.calls.length = 0;
    await b.ensure('alpha');
    expect(store.calls).toEqual([{ op: 'get', key: 'envs/prod/leases/alpha.json', result: 'not-modified' }]);
  });

  it('refuses a bad holder id or TTL', () => {
    const { clock } = manualClock();
    const store = new MemoryStore();
    expect(
      () => new S3Leases({ store, bucket: 'b', folder: '', holderId: 'has space', ttlMs: TTL, clock }),
    ).toThrow(/holder id/);
    expect(() => new S3Leases({ store, bucket: 'b', folder: '', holderId: 'x', ttlMs: 10, clock })).toThrow(
      /TTL/,
    );
  });
});

describe('LocalLeases', () => {
  it('always holds, with generation 1, until released', async () => {
    const l = new LocalLeases('solo');
    expect(await l.ensure('alpha')).toMatchObject({ held: true, generation: 1 });
    expect(l.current('alpha')).toBe(1);
    expect(await l.releaseAll()).toEqual(['alpha']);
    expect(l.current('alpha')).toBeUndefined();
  });
});
