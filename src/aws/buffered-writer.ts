/**
 * The shape both CloudWatch writers share: a bounded buffer (past `maxBuffered` the oldest items are
 * dropped, and counted), one flush at a time, batches sent in order. When a batch fails, it and every
 * later batch go back to the front of the buffer for the next flush, and the error is reported to
 * `onError`, never thrown into the loop.
 */
export abstract class BufferedWriter<T> {
  private buffer: T[] = [];
  private flushing: Promise<void> | undefined;
  /** Items dropped because the buffer was full. */
  dropped = 0;
  /** Items the service accepted. */
  sent = 0;

  protected constructor(
    private readonly maxBuffered: number,
    protected readonly onError: ((err: unknown) => void) | undefined,
  ) {}

  add(item: T): void {
    this.buffer.push(item);
    this.trim();
  }

  pending(): number {
    return this.buffer.length;
  }

  /** Sends everything buffered; concurrent callers share one flush. */
  flush(signal?: AbortSignal): Promise<void> {
    this.flushing ??= this.flushNow(signal).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Splits items into batches the service accepts in one call, in the order to send them. */
  protected abstract batch(items: readonly T[]): T[][];

  /** Sends one batch; throws when the service did not take it. */
  protected abstract send(batch: T[], signal?: AbortSignal): Promise<void>;

  private trim(): void {
    const over = this.buffer.length - this.maxBuffered;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.dropped += over;
    }
  }

  private async flushNow(signal?: AbortSignal): Promise<void> {
    if (this.buffer.length === 0) return;
    const batches = this.batch(this.buffer);
    this.buffer = [];
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i] as T[];
      try {
        await this.send(batch, signal);
        this.sent += batch.length;
      } catch (e) {
        this.buffer = [...batches.slice(i).flat(), ...this.buffer];
        this.trim();
        this.onError?.(e);
        return;
      }
    }
  }
}
