import { EventRecorder, JsonLinesSink, MemorySink } from '../../src/controller/events.js';
import { Redactor } from '../../src/controller/redact.js';
import { manualClock } from './helpers.js';

function recorder(opts: { reemitAfterMs?: number; aggregateWindowMs?: number; redactor?: Redactor } = {}) {
  const { vc, clock } = manualClock();
  const sink = new MemorySink();
  const lines: string[] = [];
  const rec = new EventRecorder({
    clock,
    controller: 'ctl-1',
    sinks: [sink, new JsonLinesSink({ write: (s: string) => lines.push(s) > 0 })],
    ...opts,
  });
  return { vc, sink, lines, rec };
}

const waiting = {
  cluster: 'alpha',
  revision: 'r1',
  type: 'Normal' as const,
  reason: 'VolumeAttaching',
  message: 'vol-1 is attaching',
  member: 'alpha-primary-1',
};

describe('EventRecorder', () => {
  it('writes an event with every field, in the documented order, as one JSON line', () => {
    const { rec, lines, vc } = recorder();
    rec.emit({ ...waiting, action: 'AttachVolume', generation: 3 });
    expect(lines).toHaveLength(1);
    const e = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(e)).toEqual([
      'time',
      'cluster',
      'revision',
      'type',
      'reason',
      'message',
      'member',
      'action',
      'generation',
      'count',
      'firstTime',
      'controller',
    ]);
    expect(e).toMatchObject({
      time: new Date(vc.now()).toISOString(),
      count: 1,
      controller: 'ctl-1',
      generation: 3,
    });
    expect(lines[0]!.endsWith('\n')).toBe(true);
  });

  it('aggregates identical repeats with a count, rewriting the series at most once per interval and on flush', async () => {
    const { rec, sink, vc } = recorder({ reemitAfterMs: 60_000 });
    const t0 = new Date(vc.now()).toISOString();
    for (let i = 0; i < 5; i++) {
      rec.emit(waiting);
      await vc.advance(10_000);
    }
    expect(sink.events).toHaveLength(1);
    await vc.advance(20_000);
    rec.emit(waiting); // 6th, 70 s after the first write: written with the count
    expect(sink.events.map((e) => e.count)).toEqual([1, 6]);
    expect(sink.events[1]?.firstTime).toBe(t0);
    rec.emit(waiting);
    await rec.flush();
    expect(sink.events.map((e) => e.count)).toEqual([1, 6, 7]);
    // different message: a different series
    rec.emit({ ...waiting, message: 'vol-2 is attaching' });
    expect(sink.events.at(-1)).toMatchObject({ count: 1, message: 'vol-2 is attaching' });
  });

  it('starts a new series after the aggregation window', async () => {
    const { rec, sink, vc } = recorder({ aggregateWindowMs: 600_000 });
    rec.emit(waiting);
    await vc.advance(600_001);
    rec.emit(waiting);
    expect(sink.events.map((e) => e.count)).toEqual([1, 1]);
  });

  it('always writes action events, so every mutating call stays on record', () => {
    const { rec, sink } = recorder();
    const act = {
      cluster: 'alpha',
      type: 'Normal' as const,
      reason: 'LogGroupMissing',
      message: 'creating it',
      action: 'CreateLogGroup',
      generation: 1,
    };
    rec.emit(act);
    rec.emit(act);
    rec.emit(act);
    expect(sink.events.map((e) => e.count)).toEqual([1, 2, 3]);
  });

  it('never lets a secret through', () => {
    const redactor = new Redactor();
    redactor.addSecret('hunter2-neo4j-password');
    const { rec, lines } = recorder({ redactor });
    rec.emit({
      cluster: 'alpha',
      type: 'Warning',
      reason: 'ConnectFailed',
      message:
        'auth with hunter2-neo4j-password failed at bolt://neo4j:hunter2-neo4j-password@10.0.0.1:7687; token=abc123 NEO4J_AUTH=neo4j/s3cret AKIAABCDEFGHIJKLMNOP',
      member: 'git+https://bob:ghp_tok@github.com/x.git',
    });
    const out = lines.join('');
    for (const secret of [
      'hunter2-neo4j-password',
      'abc123',
      's3cret',
      'AKIAABCDEFGHIJKLMNOP',
      'ghp_tok',
      'bob:',
    ])
      expect(out).not.toContain(secret);
    expect(out).toContain('bolt://***@10.0.0.1:7687');
  });

  it('refuses a reason that is not UpperCamelCase', () => {
    const { rec } = recorder();
    expect(() => rec.emit({ ...waiting, reason: 'volume attaching' })).toThrow(/UpperCamelCase/);
  });
});

describe('Redactor', () => {
  it('masks secret-named members of objects and secrets in every string, deeply', () => {
    const r = new Redactor();
    r.addSecret('topsecretvalue');
    expect(
      r.value({
        password: 'x',
        nested: {
          SecretString: '{"password":"p"}',
          list: ['ok', 'has topsecretvalue inside'],
          'api-key': 'k',
        },
        harmless: 'plain',
      }),
    ).toEqual({
      password: '***',
      nested: { SecretString: '***', list: ['ok', 'has *** inside'], 'api-key': '***' },
      harmless: 'plain',
    });
  });

  it('leaves ordinary text alone', () => {
    const r = new Redactor();
    const text = 'revision main@sha1:0123abcd of s3://bucket/envs/prod.yaml applied: 2 action(s)';
    expect(r.text(text)).toBe(text);
  });
});
