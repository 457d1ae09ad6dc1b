/**
 * The demo's view (pure): the members table, roles per database, event lines, clipping to the
 * terminal width; and the screen: redrawn in place on a TTY, plain appended lines without escape codes
 * otherwise, each event printed once and the table again only when it changed.
 */
import { LiveScreen } from '../../src/demo/screen.js';
import type { DemoView } from '../../src/demo/view.js';
import { formatEvent, formatRoles, renderView, shortTask } from '../../src/demo/view.js';

const view = (over: Partial<DemoView> = {}): DemoView => ({
  cluster: 'graph-minimal',
  phase: 'Reconciling',
  readiness: 'waiting for the cluster… 1/2 members running',
  members: [
    {
      name: 'graph-minimal-primary-1',
      role: 'primary',
      zone: 'us-east-1a',
      instanceId: 'i-0123456789abcdef0',
      volumeId: 'vol-0123456789abcdef0',
      taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/neo4j-minimal/0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      state: 'RUNNING',
      version: '5.26.12',
      roles: { system: 'follower', movies: 'leader' },
    },
    { name: 'graph-minimal-primary-2', role: 'primary', zone: 'us-east-1b', state: 'missing' },
  ],
  events: [
    {
      time: '2026-01-01T00:01:02.345Z',
      type: 'Normal',
      reason: 'VolumeMissing',
      message: 'creating the volume',
      member: 'graph-minimal-primary-2',
      seq: 0,
    },
    {
      time: '2026-01-01T00:01:03.000Z',
      type: 'Warning',
      reason: 'NoCapacity',
      message: 'waiting',
      count: 3,
      seq: 1,
    },
  ],
  ...over,
});

class Capture {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

it('renders one row per member with roles per database (system last), AZ, instance, volume, short task, state, version', () => {
  const lines = renderView(view());
  expect(lines[0]).toBe('cluster graph-minimal  phase Reconciling');
  expect(lines[1]).toBe('waiting for the cluster… 1/2 members running');
  const header = lines.find((l) => l.startsWith('MEMBER')) ?? '';
  expect(header.split(/\s{2,}/)).toEqual([
    'MEMBER',
    'ROLES',
    'AZ',
    'INSTANCE',
    'VOLUME',
    'TASK',
    'STATE',
    'VERSION',
  ]);
  const row = lines.find((l) => l.startsWith('graph-minimal-primary-1')) ?? '';
  expect(row.split(/\s{2,}/)).toEqual([
    'graph-minimal-primary-1',
    'movies:leader system:follower',
    'us-east-1a',
    'i-0123456789abcdef0',
    'vol-0123456789abcdef0',
    '0a1b2c3d',
    'RUNNING',
    '5.26.12',
  ]);
  const missing = lines.find((l) => l.startsWith('graph-minimal-primary-2')) ?? '';
  expect(missing.split(/\s{2,}/)).toEqual([
    'graph-minimal-primary-2',
    '-',
    'us-east-1b',
    '-',
    '-',
    '-',
    'missing',
    '-',
  ]);
  expect(lines).toContain('  00:01:02 info  VolumeMissing [graph-minimal-primary-2]: creating the volume');
  expect(lines).toContain('  00:01:03 WARN  NoCapacity: waiting (x3)');
});

it('formats roles, tasks and events, and shows only the latest events', () => {
  expect(formatRoles(undefined)).toBe('-');
  expect(formatRoles({})).toBe('-');
  expect(formatRoles({ system: 'leader', b: 'follower', a: 'secondary' })).toBe(
    'a:secondary b:follower system:leader',
  );
  expect(shortTask(undefined)).toBe('-');
  expect(shortTask('arn:aws:ecs:r:1:task/c/abcdef0123')).toBe('abcdef01');
  expect(formatEvent({ time: 'not-a-time', type: 'Normal', reason: 'R', message: 'm' })).toBe(
    'not-a-time info  R: m',
  );
  const lines = renderView(view(), { maxEvents: 1 });
  expect(lines).toContain('latest events (1 of 2):');
  expect(lines.some((l) => l.includes('VolumeMissing'))).toBe(false);
});

it('clips every line to the terminal width so that nothing wraps', () => {
  const lines = renderView(view(), { width: 30 });
  expect(lines.every((l) => l.length <= 30)).toBe(true);
  expect(lines.some((l) => l.endsWith('…'))).toBe(true);
});

it('on a TTY, redraws the view in place and keeps printed lines above it', () => {
  const out = new Capture(true, 200);
  const screen = new LiveScreen(out);
  screen.draw(view());
  const first = renderView(view());
  expect(out.text).toBe(`${first.join('\n')}\n`);
  out.text = '';
  screen.draw(view());
  expect(out.text).toBe(''); // unchanged: nothing written
  screen.draw(view({ phase: 'Ready' }));
  expect(out.text.startsWith(`\u001b[${first.length}F\u001b[0J`)).toBe(true);
  expect(out.text).toContain('phase Ready');
  out.text = '';
  screen.print('spec: s3://b/k');
  const again = renderView(view({ phase: 'Ready' }));
  expect(out.text).toBe(`\u001b[${again.length}F\u001b[0Jspec: s3://b/k\n${again.join('\n')}\n`);
});

it('off a TTY, writes plain lines only: each event once, the table again only when it changed', () => {
  const out = new Capture(false);
  const screen = new LiveScreen(out);
  screen.print('endpoint: http://127.0.0.1:1');
  screen.draw(view());
  screen.draw(view());
  const v = view();
  v.events.push({ time: '2026-01-01T00:02:00.000Z', type: 'Normal', reason: 'Later', message: 'x', seq: 2 });
  screen.draw(v);
  screen.draw(view({ phase: 'Ready', readiness: 'Ready: 2/2 members running' }));
  // eslint-disable-next-line no-control-regex
  expect(out.text).not.toMatch(/\u001b/);
  const lines = out.text.trimEnd().split('\n');
  expect(lines[0]).toBe('endpoint: http://127.0.0.1:1');
  expect(lines.filter((l) => l.includes('VolumeMissing'))).toHaveLength(1);
  expect(lines.filter((l) => l.startsWith('event ') && l.includes('Later'))).toHaveLength(1);
  expect(lines.filter((l) => l.startsWith('cluster graph-minimal phase'))).toEqual([
    'cluster graph-minimal phase Reconciling: waiting for the cluster… 1/2 members running',
    'cluster graph-minimal phase Ready: Ready: 2/2 members running',
  ]);
});
