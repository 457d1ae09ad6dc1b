/**
 * The world log: an append-only record of what happened in the simulated world (not API calls, which
 * the server's call log holds). Tests check invariants over the whole run from it, e.g. "no primary
 * ever started without its volume", "no volume was ever attached in another AZ".
 */
export interface WorldEvent {
  /** Virtual epoch ms. */
  t: number;
  /** Monotonic sequence number. */
  seq: number;
  /** Dotted kind, e.g. `ec2.instance.state`, `ebs.volume.attached`, `ecs.task.started`, `neo4j.member.started`. */
  kind: string;
  [field: string]: unknown;
}

export type WorldLogListener = (e: WorldEvent) => void;

export class WorldLog {
  private readonly events: WorldEvent[] = [];
  private readonly listeners = new Set<WorldLogListener>();
  private seq = 0;

  constructor(
    private readonly now: () => number,
    /** Oldest events are dropped past this many, so a long demo does not grow without bound. */
    private readonly capacity = 200_000,
  ) {}

  append(kind: string, fields: Record<string, unknown> = {}): WorldEvent {
    const e: WorldEvent = { ...fields, t: this.now(), seq: ++this.seq, kind };
    this.events.push(e);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    for (const l of this.listeners) l(e);
    return e;
  }

  /** All retained events, optionally only those whose kind starts with `prefix`. */
  list(prefix?: string): WorldEvent[] {
    return prefix ? this.events.filter((e) => e.kind.startsWith(prefix)) : [...this.events];
  }

  subscribe(l: WorldLogListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
