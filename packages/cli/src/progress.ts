import type { RunEvent } from '@percept/core';

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

interface Live { label: string; done: number; total: number | null; unit: string; lastPrinted: number }

/**
 * Renders engine events. On a TTY: one redrawn line per running cell with a bar, and a permanent
 * line per finished cell. Elsewhere (logs, CI): plain lines such as `[score a/1] 40/100 triplets`,
 * at most one per cell every `intervalMs`, plus its last state.
 */
export class ProgressRenderer {
  private readonly live = new Map<string, Live>();
  private drawn = 0;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;

  constructor(private readonly out: Stream, private readonly options: { tty?: boolean; intervalMs?: number; redrawMs?: number; verbose?: boolean } = {}) {
    this.tty = options.tty ?? Boolean(out.isTTY);
  }

  handle(e: RunEvent): void {
    switch (e.type) {
      case 'run-start':
        this.print(`run ${e.runId}: ${e.cells} cell${e.cells === 1 ? '' : 's'} -> ${e.runDir}`);
        break;
      case 'cell-start':
        this.live.set(this.key(e), { label: e.label, done: 0, total: null, unit: '', lastPrinted: 0 });
        if (!this.tty) this.print(`[${e.label}] started`);
        else this.redraw();
        break;
      case 'cell-progress': {
        const l = this.live.get(this.key(e));
        if (!l) break;
        Object.assign(l, { done: e.done, total: e.total, unit: e.unit });
        if (this.tty) this.redraw();
        else {
          const now = Date.now();
          const final = e.total !== null && e.done >= e.total;
          if (now - l.lastPrinted >= (this.options.intervalMs ?? 2000) || final) {
            l.lastPrinted = now;
            this.print(`[${e.label}] ${e.done}${e.total !== null ? `/${e.total}` : ''} ${e.unit}${e.message ? ` ${e.message}` : ''}`);
          }
        }
        break;
      }
      case 'cell-finish': {
        this.live.delete(this.key(e));
        const how = e.status === 'succeeded' ? (e.reused ? 'done (kept from the resumed run)' : e.cached ? 'done (cached)' : 'done') : e.status;
        this.print(`[${e.label}] ${how}${e.error ? `: ${e.error}` : ''}`);
        break;
      }
      case 'log':
        if (e.level !== 'debug' || this.options.verbose) this.print(`[${e.label}] ${e.level === 'warn' ? 'warning: ' : ''}${e.message}`);
        break;
      case 'run-finish':
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        this.clear();
        break;
    }
  }

  private key(e: { step: string; cell: string }): string {
    return `${e.step}\u0000${e.cell}`;
  }

  /** A permanent line; on a TTY it goes above the live block, which is then redrawn. */
  private print(line: string): void {
    if (!this.tty) {
      this.out.write(`${line}\n`);
      return;
    }
    this.clear();
    this.out.write(`${line}\n`);
    this.redraw(true);
  }

  private clear(): void {
    if (!this.tty || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private redraw(force = false): void {
    const now = Date.now();
    const every = this.options.redrawMs ?? 80;
    if (!force && now - this.lastDraw < every) {
      // Coalesce bursts of progress events into one redraw.
      this.timer ??= setTimeout(() => { this.timer = undefined; this.redraw(true); }, every);
      this.timer.unref?.();
      return;
    }
    this.lastDraw = now;
    this.clear();
    const width = Math.max(40, this.out.columns || 80);
    const lines = [...this.live.values()].map((l) => this.bar(l, width));
    if (lines.length) this.out.write(lines.map((s) => `${s}\n`).join(''));
    this.drawn = lines.length;
  }

  private bar(l: Live, width: number): string {
    const count = `${l.done}${l.total !== null ? `/${l.total}` : ''} ${l.unit}`.trim();
    const label = `[${l.label}]`;
    if (l.unit === '' && l.done === 0) return `${label} running`;
    if (l.total === null || l.total <= 0) return `${label} ${count}`.slice(0, width - 1);
    // The bar takes what the label and counts leave (" " + bar + " 100% " + count), 5 to 30 cells.
    const room = Math.max(5, Math.min(30, width - 1 - label.length - count.length - 7));
    const filled = Math.round((room * Math.min(l.done, l.total)) / l.total);
    const pct = `${Math.floor((100 * Math.min(l.done, l.total)) / l.total)}%`.padStart(4);
    return `${label} ${'█'.repeat(filled)}${'░'.repeat(room - filled)} ${pct} ${count}`.slice(0, width - 1);
  }
}
