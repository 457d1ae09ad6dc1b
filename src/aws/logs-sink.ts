/**
 * Ships events to a CloudWatch Logs group and stream with PutLogEvents, batched within the API's
 * limits: at most 10,000 events and 1,048,576 bytes per call (UTF-8 message bytes + 26 per event),
 * events in chronological order, one batch spanning at most 24 h, no event over 256 KB. The group and
 * stream are created on first use (or when they vanish). The buffer is bounded: past `maxBuffered`
 * the oldest events are dropped and counted. Failures never throw into the loop; they are reported.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { BufferedWriter } from './buffered-writer.js';
import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';

export const LOGS_LIMITS = {
  maxEvents: 10_000,
  maxBytes: 1_048_576,
  perEventOverhead: 26,
  maxSpanMs: 24 * 3600 * 1000,
  /** The older, smaller per-event limit; safe for every region. */
  maxEventBytes: 256 * 1024,
} as const;

export interface LogEvent {
  timestamp: number;
  message: string;
}

/** Cuts a message to fit `maxBytes` of UTF-8 (without splitting a character). */
export function truncateUtf8(message: string, maxBytes: number): string {
  if (Buffer.byteLength(message, 'utf8') <= maxBytes) return message;
  const suffix = '… (truncated)';
  const budget = maxBytes - Buffer.byteLength(suffix, 'utf8');
  const buf = Buffer.from(message, 'utf8').subarray(0, Math.max(0, budget));
  // Drop a partial multi-byte character at the end.
  return buf.toString('utf8').replace(/\uFFFD$/, '') + suffix;
}

/** Splits events into PutLogEvents batches within the limits; events are sorted by time first. */
export function batchLogEvents(events: readonly LogEvent[], limits = LOGS_LIMITS): LogEvent[][] {
  const sorted = events
    .map((e, i) => ({
      e: { ...e, message: truncateUtf8(e.message, limits.maxEventBytes - limits.perEventOverhead) },
      i,
    }))
    .sort((a, b) => a.e.timestamp - b.e.timestamp || a.i - b.i)
    .map((x) => x.e);
  const batches: LogEvent[][] = [];
  let cur: LogEvent[] = [];
  let bytes = 0;
  for (const e of sorted) {
    const size = Buffer.byteLength(e.message, 'utf8') + limits.perEventOverhead;
    const first = cur[0];
    const full =
      cur.length >= limits.maxEvents ||
      bytes + size > limits.maxBytes ||
      (first !== undefined && e.timestamp - first.timestamp > limits.maxSpanMs);
    if (full && cur.length > 0) {
      batches.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(e);
    bytes += size;
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}

export interface LogsWriterOptions {
  client: CloudWatchLogsClient;
  logGroup: string;
  logStream: string;
  /** Events kept while CloudWatch Logs is unreachable. Default 20,000. */
  maxBuffered?: number;
  /** Told about failures (never about event contents). */
  onError?: (err: unknown) => void;
}

interface SdkError {
  name?: string;
}

export class CloudWatchLogsWriter extends BufferedWriter<LogEvent> {
  private ready = false;
  /** Events CloudWatch Logs refused individually (too old, too new, expired). */
  rejected = 0;

  constructor(private readonly opts: LogsWriterOptions) {
    super(opts.maxBuffered ?? 20_000, opts.onError);
  }

  protected batch(events: readonly LogEvent[]): LogEvent[][] {
    return batchLogEvents(events);
  }

  /** Sends one batch, creating the group and stream first when needed (or when they vanished). */
  protected async send(batch: LogEvent[], signal?: AbortSignal): Promise<void> {
    if (!this.ready) await this.ensureDestination(signal);
    try {
      await this.putEvents(batch, signal);
    } catch (e) {
      if ((e as SdkError).name !== 'ResourceNotFoundException') throw e;
      this.ready = false;
      await this.ensureDestination(signal);
      await this.putEvents(batch, signal);
    }
  }

  private async putEvents(batch: LogEvent[], signal?: AbortSignal): Promise<void> {
    const res = await this.opts.client.send(
      new PutLogEventsCommand({
        logGroupName: this.opts.logGroup,
        logStreamName: this.opts.logStream,
        logEvents: batch,
      }),
      signal ? { abortSignal: signal } : {},
    );
    const r = res.rejectedLogEventsInfo;
    if (r) {
      const tooOld = Math.max(r.tooOldLogEventEndIndex ?? 0, r.expiredLogEventEndIndex ?? 0);
      const tooNew = r.tooNewLogEventStartIndex !== undefined ? batch.length - r.tooNewLogEventStartIndex : 0;
      if (tooOld + tooNew > 0) {
        this.rejected += tooOld + tooNew;
        this.onError?.(
          new Error(`CloudWatch Logs rejected ${tooOld} too old and ${tooNew} too new event(s)`),
        );
      }
    }
  }

  private async ensureDestination(signal?: AbortSignal): Promise<void> {
    const opt = signal ? { abortSignal: signal } : {};
    const ignoreExists = (e: unknown): void => {
      if ((e as SdkError).name !== 'ResourceAlreadyExistsException') throw e;
    };
    await this.opts.client
      .send(
        new CreateLogGroupCommand({
          logGroupName: this.opts.logGroup,
          tags: { 'managed-by': 'neo4j-ecs-operator' },
        }),
        opt,
      )
      .catch(ignoreExists);
    await this.opts.client
      .send(
        new CreateLogStreamCommand({ logGroupName: this.opts.logGroup, logStreamName: this.opts.logStream }),
        opt,
      )
      .catch(ignoreExists);
    this.ready = true;
  }
}
