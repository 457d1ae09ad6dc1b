/**
 * CloudWatch Logs (awsJson1_1): log groups (Create, Delete, Describe with prefix/pattern and
 * nextToken/limit, retention policies), log streams (Create, Delete, Describe ordered by name or last
 * event time), PutLogEvents with the real batch rules (≤ 10,000 events, ≤ 1,048,576 bytes counting
 * 26 bytes per event, chronological order, ≤ 24 h span; too-new / too-old / expired events rejected
 * individually in rejectedLogEventsInfo; the sequence token is ignored), GetLogEvents (head or tail,
 * nextForwardToken / nextBackwardToken, the same forward token at the end of the stream) and
 * FilterLogEvents (filter patterns from logs-filter.ts, across streams, nextToken).
 */
import { z } from 'zod';
import { AwsError, type OperationContext, type ServiceModule, type Wire } from '../contract.js';
import { FilterPatternError, compileFilterPattern } from './logs-filter.js';
import { decodeToken, encodeToken } from './tokens.js';
import { type ValidationStyle, parseInput } from './validation.js';

const STYLE: ValidationStyle = { kind: 'coral', code: 'InvalidParameterException' };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

interface LogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
  seq: number;
}

interface LogStream {
  name: string;
  created: number;
  events: LogEvent[];
  lastIngestionTime?: number;
  storedBytes: number;
}

interface LogGroup {
  name: string;
  created: number;
  retentionInDays?: number;
  kmsKeyId?: string;
  logGroupClass: string;
  tags: Record<string, string>;
  streams: Map<string, LogStream>;
}

const groupName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[.\-_/#A-Za-z0-9]+$/);
const streamName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^:*]*$/);
const groupRef = {
  logGroupName: groupName.optional(),
  logGroupIdentifier: z.string().min(1).max(2048).optional(),
};

const schemas = {
  createGroup: z.object({
    logGroupName: groupName,
    kmsKeyId: z.string().max(256).optional(),
    tags: z.record(z.string(), z.string()).optional(),
    logGroupClass: z.enum(['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY']).optional(),
  }),
  group: z.object({ logGroupName: groupName }),
  stream: z.object({ logGroupName: groupName, logStreamName: streamName }),
  retention: z.object({ logGroupName: groupName, retentionInDays: z.number().int() }),
  describeGroups: z.object({
    logGroupNamePrefix: groupName.optional(),
    logGroupNamePattern: z.string().max(512).optional(),
    nextToken: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(50).optional(),
    logGroupClass: z.string().optional(),
  }),
  describeStreams: z.object({
    ...groupRef,
    logStreamNamePrefix: streamName.optional(),
    orderBy: z.enum(['LogStreamName', 'LastEventTime']).optional(),
    descending: z.boolean().optional(),
    nextToken: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(50).optional(),
  }),
  put: z.object({
    logGroupName: groupName,
    logStreamName: streamName,
    logEvents: z
      .array(z.object({ timestamp: z.number().int(), message: z.string().min(1) }))
      .min(1)
      .max(10_000),
    sequenceToken: z.string().optional(),
  }),
  get: z.object({
    ...groupRef,
    logStreamName: streamName,
    startTime: z.number().int().min(0).optional(),
    endTime: z.number().int().min(0).optional(),
    nextToken: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
    startFromHead: z.boolean().optional(),
    unmask: z.boolean().optional(),
  }),
  filter: z.object({
    ...groupRef,
    logStreamNames: z.array(streamName).min(1).max(100).optional(),
    logStreamNamePrefix: streamName.optional(),
    startTime: z.number().int().min(0).optional(),
    endTime: z.number().int().min(0).optional(),
    filterPattern: z.string().max(1024).optional(),
    nextToken: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
    interleaved: z.boolean().optional(),
    unmask: z.boolean().optional(),
  }),
};

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

function groupNotFound(): AwsError {
  return new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
}

/** Position of an event in a stream's (timestamp, seq) order. */
interface Position {
  ts: number;
  seq: number;
}

function before(a: Position, b: Position): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);
}

function pos(e: LogEvent): Position {
  return { ts: e.timestamp, seq: e.seq };
}

/** GetLogEvents tokens look like the real ones: `f/` or `b/` and 56 digits. */
function streamToken(dir: 'f' | 'b', p: Position): string {
  return `${dir}/${String(p.ts).padStart(20, '0')}${String(p.seq).padStart(36, '0')}`;
}

function parseStreamToken(token: string): { dir: 'f' | 'b'; pos: Position } {
  const m = /^([fb])\/(\d{20})(\d{36})$/.exec(token);
  if (!m) throw invalid('The specified nextToken is invalid.');
  return { dir: m[1] as 'f' | 'b', pos: { ts: Number(m[2]), seq: Number(m[3]) } };
}

function eventId(e: LogEvent): string {
  return `${String(e.timestamp).padStart(20, '0')}${String(e.seq).padStart(36, '0')}`;
}

export function createLogs(): ServiceModule {
  let groups = new Map<string, LogGroup>();
  let seq = 0;

  const arnOf = (ctx: OperationContext, name: string) =>
    `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${name}`;

  function resolveGroup(p: {
    logGroupName?: string | undefined;
    logGroupIdentifier?: string | undefined;
  }): LogGroup {
    if (p.logGroupName !== undefined && p.logGroupIdentifier !== undefined) {
      throw invalid('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    }
    let name = p.logGroupName;
    if (name === undefined && p.logGroupIdentifier !== undefined) {
      const id = p.logGroupIdentifier;
      name = id.startsWith('arn:') ? (/:log-group:([^:]+)/.exec(id)?.[1] ?? id) : id;
    }
    if (name === undefined) throw invalid('Either logGroupName or logGroupIdentifier must be specified.');
    const g = groups.get(name);
    if (!g) throw groupNotFound();
    return g;
  }

  function stream(g: LogGroup, name: string): LogStream {
    const s = g.streams.get(name);
    if (!s) throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
    return s;
  }

  /** Events still visible under the group's retention. */
  function visible(g: LogGroup, s: LogStream, now: number): LogEvent[] {
    if (g.retentionInDays === undefined) return s.events;
    const cutoff = now - g.retentionInDays * DAY;
    return s.events.filter((e) => e.timestamp >= cutoff);
  }

  function pageOffset(token: string | undefined): number {
    if (token === undefined) return 0;
    const o = decodeToken(token, 'InvalidParameterException', 'The specified nextToken is invalid.')['o'];
    if (typeof o !== 'number' || !Number.isInteger(o) || o < 0)
      throw invalid('The specified nextToken is invalid.');
    return o;
  }

  function describeStream(ctx: OperationContext, g: LogGroup, s: LogStream): Wire {
    const first = s.events[0];
    const last = s.events[s.events.length - 1];
    return {
      logStreamName: s.name,
      creationTime: s.created,
      firstEventTimestamp: first?.timestamp,
      lastEventTimestamp: last?.timestamp,
      lastIngestionTime: s.lastIngestionTime,
      uploadSequenceToken: String(seq).padStart(56, '0'),
      arn: `${arnOf(ctx, g.name)}:log-stream:${s.name}`,
      storedBytes: 0,
    };
  }

  const operations = {
    CreateLogGroup(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(schemas.createGroup, input, STYLE);
      if (groups.has(p.logGroupName))
        throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
      groups.set(p.logGroupName, {
        name: p.logGroupName,
        created: ctx.now,
        logGroupClass: p.logGroupClass ?? 'STANDARD',
        tags: p.tags ?? {},
        streams: new Map(),
        ...(p.kmsKeyId !== undefined ? { kmsKeyId: p.kmsKeyId } : {}),
      });
      return {};
    },

    DeleteLogGroup(input: Wire): Wire {
      const p = parseInput(schemas.group, input, STYLE);
      if (!groups.delete(p.logGroupName)) throw groupNotFound();
      return {};
    },

    PutRetentionPolicy(input: Wire): Wire {
      const p = parseInput(schemas.retention, input, STYLE);
      if (!(RETENTION_DAYS as readonly number[]).includes(p.retentionInDays)) {
        throw invalid(
          `1 validation error detected: Value '${p.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
        );
      }
      resolveGroup(p).retentionInDays = p.retentionInDays;
      return {};
    },

    DeleteRetentionPolicy(input: Wire): Wire {
      const p = parseInput(schemas.group, input, STYLE);
      delete resolveGroup(p).retentionInDays;
      return {};
    },

    DescribeLogGroups(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(schemas.describeGroups, input, STYLE);
      if (p.logGroupNamePrefix !== undefined && p.logGroupNamePattern !== undefined) {
        throw invalid('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
      }
      const list = [...groups.values()]
        .filter((g) => p.logGroupNamePrefix === undefined || g.name.startsWith(p.logGroupNamePrefix))
        .filter(
          (g) =>
            p.logGroupNamePattern === undefined ||
            g.name.toLowerCase().includes(p.logGroupNamePattern.toLowerCase()),
        )
        .filter((g) => p.logGroupClass === undefined || g.logGroupClass === p.logGroupClass)
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      const offset = pageOffset(p.nextToken);
      const size = p.limit ?? 50;
      return {
        logGroups: list.slice(offset, offset + size).map((g) => ({
          logGroupName: g.name,
          creationTime: g.created,
          retentionInDays: g.retentionInDays,
          metricFilterCount: 0,
          arn: `${arnOf(ctx, g.name)}:*`,
          logGroupArn: arnOf(ctx, g.name),
          storedBytes: 0,
          kmsKeyId: g.kmsKeyId,
          logGroupClass: g.logGroupClass,
        })),
        ...(offset + size < list.length ? { nextToken: encodeToken({ o: offset + size }) } : {}),
      };
    },

    CreateLogStream(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(schemas.stream, input, STYLE);
      const g = resolveGroup(p);
      if (g.streams.has(p.logStreamName))
        throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
      g.streams.set(p.logStreamName, { name: p.logStreamName, created: ctx.now, events: [], storedBytes: 0 });
      return {};
    },

    DeleteLogStream(input: Wire): Wire {
      const p = parseInput(schemas.stream, input, STYLE);
      const g = resolveGroup(p);
      stream(g, p.logStreamName);
      g.streams.delete(p.logStreamName);
      return {};
    },

    DescribeLogStreams(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(schemas.describeStreams, input, STYLE);
      const g = resolveGroup(p);
      const orderBy = p.orderBy ?? 'LogStreamName';
      if (orderBy === 'LastEventTime' && p.logStreamNamePrefix !== undefined) {
        throw invalid('Cannot order by LastEventTime with a logStreamNamePrefix.');
      }
      const lastTime = (s: LogStream) => s.events[s.events.length - 1]?.timestamp ?? -1;
      const list = [...g.streams.values()]
        .filter((s) => p.logStreamNamePrefix === undefined || s.name.startsWith(p.logStreamNamePrefix))
        .sort((a, b) =>
          orderBy === 'LogStreamName'
            ? a.name < b.name
              ? -1
              : 1
            : lastTime(a) - lastTime(b) || (a.name < b.name ? -1 : 1),
        );
      if (p.descending === true) list.reverse();
      const offset = pageOffset(p.nextToken);
      const size = p.limit ?? 50;
      return {
        logStreams: list.slice(offset, offset + size).map((s) => describeStream(ctx, g, s)),
        ...(offset + size < list.length ? { nextToken: encodeToken({ o: offset + size }) } : {}),
      };
    },

    PutLogEvents(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(schemas.put, input, STYLE);
      const g = resolveGroup(p);
      const s = stream(g, p.logStreamName);
      const events = p.logEvents;
      let bytes = 0;
      for (const e of events) {
        const size = Buffer.byteLength(e.message, 'utf8') + EVENT_OVERHEAD;
        if (size > MAX_BATCH_BYTES)
          throw invalid(`Log event too large: ${size} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
        bytes += size;
      }
      if (bytes > MAX_BATCH_BYTES)
        throw invalid(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
      for (let i = 1; i < events.length; i++) {
        if (
          (events[i] as { timestamp: number }).timestamp < (events[i - 1] as { timestamp: number }).timestamp
        ) {
          throw invalid('Log events in a single PutLogEvents request must be in chronological order.');
        }
      }
      const first = events[0] as { timestamp: number };
      const last = events[events.length - 1] as { timestamp: number };
      if (last.timestamp - first.timestamp > DAY) {
        throw invalid(
          'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
        );
      }
      const tooOld = ctx.now - 14 * DAY;
      const expired = g.retentionInDays !== undefined ? ctx.now - g.retentionInDays * DAY : -Infinity;
      const tooNew = ctx.now + 2 * HOUR;
      const rejected: Record<string, number> = {};
      let accepted = 0;
      events.forEach((e, i) => {
        if (e.timestamp < tooOld) rejected['tooOldLogEventEndIndex'] = i + 1;
        else if (e.timestamp < expired) rejected['expiredLogEventEndIndex'] = i + 1;
        else if (e.timestamp > tooNew) rejected['tooNewLogEventStartIndex'] ??= i;
        else {
          insert(s, { timestamp: e.timestamp, message: e.message, ingestionTime: ctx.now, seq: ++seq });
          accepted++;
        }
      });
      if (accepted > 0) s.lastIngestionTime = ctx.now;
      return {
        nextSequenceToken: String(seq).padStart(56, '0'),
        ...(Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {}),
      };
    },

    GetLogEvents(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(schemas.get, input, STYLE);
      const g = resolveGroup(p);
      const s = stream(g, p.logStreamName);
      const limit = p.limit ?? 10_000;
      const inRange = visible(g, s, ctx.now).filter(
        (e) =>
          (p.startTime === undefined || e.timestamp >= p.startTime) &&
          (p.endTime === undefined || e.timestamp < p.endTime),
      );
      const token = p.nextToken !== undefined ? parseStreamToken(p.nextToken) : undefined;
      let page: LogEvent[];
      if (token?.dir === 'f') page = inRange.filter((e) => before(token.pos, pos(e))).slice(0, limit);
      else if (token?.dir === 'b') page = inRange.filter((e) => before(pos(e), token.pos)).slice(-limit);
      else page = p.startFromHead === true ? inRange.slice(0, limit) : inRange.slice(-limit);
      const firstEv = page[0];
      const lastEv = page[page.length - 1];
      // With nothing to return, the tokens stay where the caller was: the same forward token at the end.
      const origin: Position = token?.pos ?? { ts: 0, seq: 0 };
      return {
        events: page.map((e) => ({
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.ingestionTime,
        })),
        nextForwardToken: streamToken('f', lastEv ? pos(lastEv) : origin),
        nextBackwardToken: streamToken('b', firstEv ? pos(firstEv) : origin),
      };
    },

    FilterLogEvents(input: Wire, ctx: OperationContext): Wire {
      const p = parseInput(schemas.filter, input, STYLE);
      const g = resolveGroup(p);
      if (p.logStreamNames !== undefined && p.logStreamNamePrefix !== undefined) {
        throw invalid('You cannot specify both logStreamNames and logStreamNamePrefix.');
      }
      let matcher: (m: string) => boolean;
      try {
        matcher = compileFilterPattern(p.filterPattern);
      } catch (e) {
        if (e instanceof FilterPatternError) throw invalid(e.message);
        throw e;
      }
      const streams = [...g.streams.values()]
        .filter((s) => p.logStreamNames === undefined || p.logStreamNames.includes(s.name))
        .filter((s) => p.logStreamNamePrefix === undefined || s.name.startsWith(p.logStreamNamePrefix));
      let after: Position | undefined;
      if (p.nextToken !== undefined) {
        const t = decodeToken(
          p.nextToken,
          'InvalidParameterException',
          'The specified nextToken is invalid.',
        );
        if (typeof t['ts'] !== 'number' || typeof t['seq'] !== 'number')
          throw invalid('The specified nextToken is invalid.');
        after = { ts: t['ts'], seq: t['seq'] };
      }
      const hits: { stream: string; e: LogEvent }[] = [];
      for (const s of streams) {
        for (const e of visible(g, s, ctx.now)) {
          if (p.startTime !== undefined && e.timestamp < p.startTime) continue;
          if (p.endTime !== undefined && e.timestamp > p.endTime) continue;
          if (after && !before(after, pos(e))) continue;
          if (matcher(e.message)) hits.push({ stream: s.name, e });
        }
      }
      hits.sort((a, b) => a.e.timestamp - b.e.timestamp || a.e.seq - b.e.seq);
      const limit = p.limit ?? 10_000;
      const page = hits.slice(0, limit);
      const last = page[page.length - 1];
      return {
        events: page.map(({ stream: name, e }) => ({
          logStreamName: name,
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.ingestionTime,
          eventId: eventId(e),
        })),
        searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
        ...(hits.length > limit && last
          ? { nextToken: encodeToken({ ts: last.e.timestamp, seq: last.e.seq }) }
          : {}),
      };
    },
  };

  /** Inserts keeping (timestamp, seq) order; appends in the common in-order case. */
  function insert(s: LogStream, e: LogEvent): void {
    const events = s.events;
    let i = events.length;
    while (i > 0 && (events[i - 1] as LogEvent).timestamp > e.timestamp) i--;
    events.splice(i, 0, e);
    s.storedBytes += Buffer.byteLength(e.message);
  }

  return {
    service: 'logs',
    operations,
    snapshot: () => ({
      seq,
      groups: [...groups.values()].map((g) => ({ ...g, streams: [...g.streams.values()] })),
    }),
    restore(state: unknown) {
      const s = state as
        { seq?: number; groups?: (Omit<LogGroup, 'streams'> & { streams: LogStream[] })[] } | undefined;
      seq = s?.seq ?? 0;
      groups = new Map();
      for (const g of s?.groups ?? [])
        groups.set(g.name, {
          ...structuredClone(g),
          streams: new Map(g.streams.map((st) => [st.name, structuredClone(st)])),
        });
    },
  };
}
