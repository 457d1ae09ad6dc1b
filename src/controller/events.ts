/**
 * Events: every action, and every decision not to act (waiting, blocked, refused), becomes an event
 * `{time, cluster, revision, type, reason, message, member?, action?, generation?, count}`, written as a
 * JSON line on stdout (which the ECS awslogs driver ships) and to a CloudWatch Logs stream.
 *
 * Identical repeats are aggregated as Kubernetes' event recorder does: the first occurrence is written
 * at once; repeats within the aggregation window only bump the series' count, which is written again
 * (with the cumulative count and firstTime) at most once per `reemitAfterMs`, and on flush. Events of
 * actions (`action` set) are always written, with the series count, so no mutating call goes unrecorded. Every text
 * passes the redaction guard first, so no secret reaches a sink.
 */
import type { Writable } from 'node:stream';
import { REASON_RE } from '../model/errors.js';
import type { Clock } from './clock.js';
import type { Redactor } from './redact.js';
import { redactor as defaultRedactor } from './redact.js';

export type EventType = 'Normal' | 'Warning';

export interface EventInput {
  /** '' for events about the controller or a document that names no cluster. */
  cluster: string;
  revision?: string;
  type: EventType;
  /** Short UpperCamelCase reason. */
  reason: string;
  message: string;
  member?: string;
  /** The action taken or refused, e.g. CreateLogGroup. */
  action?: string;
  /** The lease generation the controller acted under (every mutating action carries it). */
  generation?: number;
}

export interface ControllerEvent extends EventInput {
  /** ISO time of this occurrence. */
  time: string;
  /** How many times this event has occurred in its series. */
  count: number;
  /** ISO time of the series' first occurrence. */
  firstTime: string;
  /** The reporting controller instance (its lease holder id). */
  controller: string;
}

export interface EventSink {
  write(e: ControllerEvent): void;
  flush?(): Promise<void>;
}

/** Writes each event as one JSON line. */
export class JsonLinesSink implements EventSink {
  constructor(private readonly out: Pick<Writable, 'write'> = process.stdout) {}
  write(e: ControllerEvent): void {
    this.out.write(`${JSON.stringify(e)}\n`);
  }
}

/** Keeps events in memory (tests, and the last events shown by `/status`). */
export class MemorySink implements EventSink {
  readonly events: ControllerEvent[] = [];
  constructor(private readonly capacity = 10_000) {}
  write(e: ControllerEvent): void {
    this.events.push(e);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
  }
}

export interface EventRecorderOptions {
  clock: Clock;
  /** The reporting instance, e.g. the lease holder id. */
  controller: string;
  sinks: EventSink[];
  /** Repeats within this long of the previous one join its series. Default 10 min (as client-go). */
  aggregateWindowMs?: number;
  /** A series is written again at most this often while it repeats. Default 60 s. */
  reemitAfterMs?: number;
  /** Series remembered (least recently seen dropped first). Default 4096 (as client-go). */
  maxSeries?: number;
  redactor?: Redactor;
}

interface Series {
  event: ControllerEvent;
  lastSeen: number;
  lastWritten: number;
  pending: boolean;
}

const MAX_MESSAGE = 32 * 1024;

export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private readonly opts: Required<Omit<EventRecorderOptions, 'redactor'>> & { redactor: Redactor };
  /** Counts by type and reason (for metrics). */
  readonly counts = new Map<string, number>();
  private listeners: ((e: ControllerEvent) => void)[] = [];

  constructor(opts: EventRecorderOptions) {
    this.opts = {
      aggregateWindowMs: 600_000,
      reemitAfterMs: 60_000,
      maxSeries: 4096,
      redactor: defaultRedactor,
      ...opts,
    };
  }

  /** Called for every event written (after aggregation). */
  onEvent(fn: (e: ControllerEvent) => void): void {
    this.listeners.push(fn);
  }

  /** Records an event; returns the event as written, or undefined when it only bumped a series' count. */
  emit(input: EventInput): ControllerEvent | undefined {
    if (!REASON_RE.test(input.reason))
      throw new RangeError(`an event reason is UpperCamelCase, got ${JSON.stringify(input.reason)}`);
    const clean = this.clean(input);
    const key = seriesKey(clean);
    const now = this.opts.clock.now();
    const ck = `${clean.type}/${clean.reason}`;
    this.counts.set(ck, (this.counts.get(ck) ?? 0) + 1);
    const s = this.series.get(key);
    if (s && now - s.lastSeen <= this.opts.aggregateWindowMs) {
      this.series.delete(key); // re-insert: most recently seen last
      this.series.set(key, s);
      s.event = { ...s.event, time: iso(now), count: s.event.count + 1 };
      s.lastSeen = now;
      // An action is always written (with its series count): every mutating call stays on record.
      if (clean.action === undefined && now - s.lastWritten < this.opts.reemitAfterMs) {
        s.pending = true;
        return undefined;
      }
      return this.write(s, now);
    }
    const event: ControllerEvent = {
      time: iso(now),
      ...clean,
      count: 1,
      firstTime: iso(now),
      controller: this.opts.controller,
    };
    const fresh: Series = { event, lastSeen: now, lastWritten: now, pending: false };
    this.series.delete(key);
    this.series.set(key, fresh);
    while (this.series.size > this.opts.maxSeries)
      this.series.delete(this.series.keys().next().value as string);
    return this.write(fresh, now);
  }

  /** Writes the counts of series that repeated since they were last written, then flushes the sinks. */
  async flush(): Promise<void> {
    const now = this.opts.clock.now();
    for (const s of this.series.values()) if (s.pending) this.write(s, now);
    await Promise.all(this.opts.sinks.map((sink) => (sink.flush ? sink.flush() : Promise.resolve())));
  }

  private write(s: Series, now: number): ControllerEvent {
    s.lastWritten = now;
    s.pending = false;
    const e = ordered(s.event);
    for (const sink of this.opts.sinks) sink.write(e);
    for (const l of this.listeners) l(e);
    return e;
  }

  private clean(input: EventInput): EventInput {
    const r = this.opts.redactor;
    const message = r.text(input.message);
    return {
      cluster: r.text(input.cluster),
      ...(input.revision !== undefined ? { revision: r.text(input.revision) } : {}),
      type: input.type,
      reason: input.reason,
      message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}… (truncated)` : message,
      ...(input.member !== undefined ? { member: r.text(input.member) } : {}),
      ...(input.action !== undefined ? { action: r.text(input.action) } : {}),
      ...(input.generation !== undefined ? { generation: input.generation } : {}),
    };
  }
}

function seriesKey(e: EventInput): string {
  return JSON.stringify([
    e.cluster,
    e.revision,
    e.type,
    e.reason,
    e.message,
    e.member,
    e.action,
    e.generation,
  ]);
}

/** The documented field order, for readable JSON lines. */
function ordered(e: ControllerEvent): ControllerEvent {
  return {
    time: e.time,
    cluster: e.cluster,
    ...(e.revision !== undefined ? { revision: e.revision } : {}),
    type: e.type,
    reason: e.reason,
    message: e.message,
    ...(e.member !== undefined ? { member: e.member } : {}),
    ...(e.action !== undefined ? { action: e.action } : {}),
    ...(e.generation !== undefined ? { generation: e.generation } : {}),
    count: e.count,
    firstTime: e.firstTime,
    controller: e.controller,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
