/**
 * What the demo shows, as plain data, and its rendering (pure): a header (endpoint, spec location,
 * phase and readiness), one row per member (role per database, AZ, instance, volume, task, state,
 * version) and the latest controller events. The screen (screen.ts) decides how the lines reach the
 * terminal.
 */
import { table } from '../cli/commands/cli-io.js';

export interface DemoMemberRow {
  name: string;
  role: 'primary' | 'secondary';
  zone?: string;
  instanceId?: string;
  volumeId?: string;
  taskArn?: string;
  /** RUNNING, PENDING, missing, … */
  state: string;
  version?: string;
  /** Role per database, from SHOW DATABASES over Bolt, when the member answered. */
  roles?: Record<string, string>;
}

export interface DemoEventLine {
  /** ISO time (virtual time of the twin). */
  time: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  member?: string;
  count?: number;
  /** Arrival order, so plain output prints each event once. */
  seq?: number;
}

export interface DemoView {
  cluster: string;
  /** The controller's phase from the cluster's status; undefined before the first status. */
  phase?: string;
  /** One line about readiness: "Ready: …" or "waiting for the cluster…: …". */
  readiness: string;
  members: DemoMemberRow[];
  events: DemoEventLine[];
}

/** `arn:aws:ecs:…:task/cluster/0123abcd…` → `0123abcd` (the first 8 characters of the task id). */
export function shortTask(arn: string | undefined): string {
  if (arn === undefined) return '-';
  const id = arn.slice(arn.lastIndexOf('/') + 1);
  return id.slice(0, 8);
}

/** `{movies: 'leader', system: 'follower'}` → `movies:leader system:follower` (system last). */
export function formatRoles(roles: Record<string, string> | undefined): string {
  if (!roles) return '-';
  const names = Object.keys(roles).sort((a, b) =>
    a === 'system' ? 1 : b === 'system' ? -1 : a < b ? -1 : a > b ? 1 : 0,
  );
  if (names.length === 0) return '-';
  return names.map((n) => `${n}:${roles[n] ?? '?'}`).join(' ');
}

/** `2026-01-01T00:01:02.345Z` → `00:01:02`. */
function clockTime(iso: string): string {
  return /T(\d\d:\d\d:\d\d)/.exec(iso)?.[1] ?? iso;
}

export function formatEvent(e: DemoEventLine): string {
  const count = e.count !== undefined && e.count > 1 ? ` (x${e.count})` : '';
  const member = e.member !== undefined ? ` [${e.member}]` : '';
  return `${clockTime(e.time)} ${e.type === 'Warning' ? 'WARN ' : 'info '} ${e.reason}${member}: ${e.message}${count}`;
}

export function memberTable(members: readonly DemoMemberRow[]): string[] {
  return table(
    ['MEMBER', 'ROLES', 'AZ', 'INSTANCE', 'VOLUME', 'TASK', 'STATE', 'VERSION'],
    members.map((m) => [
      m.name,
      formatRoles(m.roles),
      m.zone ?? '-',
      m.instanceId ?? '-',
      m.volumeId ?? '-',
      shortTask(m.taskArn),
      m.state,
      m.version ?? '-',
    ]),
  );
}

/** The whole screen, as lines; `width` (the terminal's columns) clips each line so none wraps. */
export function renderView(view: DemoView, opts: { width?: number; maxEvents?: number } = {}): string[] {
  const maxEvents = opts.maxEvents ?? 8;
  const lines = [
    `cluster ${view.cluster}  phase ${view.phase ?? '(no status yet)'}`,
    view.readiness,
    '',
    ...memberTable(view.members),
    '',
    `latest events (${Math.min(view.events.length, maxEvents)} of ${view.events.length}):`,
    ...view.events.slice(-maxEvents).map((e) => `  ${formatEvent(e)}`),
  ];
  const width = opts.width;
  if (width === undefined || width <= 0) return lines;
  return lines.map((l) => (l.length > width ? `${l.slice(0, Math.max(0, width - 1))}…` : l));
}
