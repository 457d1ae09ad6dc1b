/**
 * How the demo's view reaches the terminal. On a TTY the view is redrawn in place (cursor up over the
 * previous drawing, clear to the end, draw), and lines printed with `print` stay above it. Anywhere
 * else (a pipe, a file, CI) nothing but plain appended lines is written, with no escape codes: each
 * new event once, and the members table and readiness again only when they changed.
 */
import type { DemoView } from './view.js';
import { formatEvent, memberTable, renderView } from './view.js';

export interface ScreenOutput {
  write(chunk: string): unknown;
  /** True for a terminal: redraw in place. */
  isTTY?: boolean | undefined;
  /** Terminal width; lines are clipped to it on a TTY. */
  columns?: number | undefined;
}

const CSI = '\u001b[';

export class LiveScreen {
  private drawn: string[] = [];
  private lastEventSeq = -1;
  private lastPlainState = '';
  readonly tty: boolean;

  constructor(private readonly out: ScreenOutput) {
    this.tty = out.isTTY === true;
  }

  /** A line that stays (banner, instructions). */
  print(line: string): void {
    if (!this.tty) {
      this.out.write(`${line}\n`);
      return;
    }
    const redraw = this.drawn;
    this.erase();
    this.out.write(`${line}\n`);
    this.writeLive(redraw);
  }

  /** Shows the view: redrawn in place on a TTY, as appended plain lines otherwise. */
  draw(view: DemoView): void {
    if (this.tty) {
      const lines = renderView(view, this.out.columns !== undefined ? { width: this.out.columns } : {});
      if (lines.join('\n') === this.drawn.join('\n')) return;
      this.erase();
      this.writeLive(lines);
      return;
    }
    for (const e of view.events) {
      const seq = e.seq ?? -1;
      if (seq <= this.lastEventSeq) continue;
      this.lastEventSeq = seq;
      this.out.write(`event ${formatEvent(e)}\n`);
    }
    const state = [
      `cluster ${view.cluster} phase ${view.phase ?? '(no status yet)'}: ${view.readiness}`,
      ...memberTable(view.members).map((l) => `  ${l}`),
    ];
    const text = state.join('\n');
    if (text !== this.lastPlainState) {
      this.lastPlainState = text;
      this.out.write(`${text}\n`);
    }
  }

  /** Leaves the last drawing on screen; later output starts below it. */
  finish(): void {
    this.drawn = [];
  }

  private erase(): void {
    if (this.drawn.length > 0) this.out.write(`${CSI}${this.drawn.length}F${CSI}0J`);
    this.drawn = [];
  }

  private writeLive(lines: string[]): void {
    if (lines.length > 0) this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines;
  }
}
