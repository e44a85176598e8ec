/**
 * Pieces that several subcommands share: usage errors that carry the command's usage text,
 * number flags, interrupt handling and a throttled one-line progress display.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitCode, PerceptError } from '@percept/core';

/** Throws a usage error `percept <command>: <message>` whose hint is the command's usage text. */
export type Fail = (message: string) => never;

export function usageFailer(command: string, usage: string): Fail {
  return (message) => {
    throw new PerceptError(`percept ${command}: ${message}`, { hint: usage, exitCode: ExitCode.usage });
  };
}

/** `parseArgs`, with its errors (unknown flag, missing value) turned into usage errors of `command`. */
export function parseCommandArgs<T extends ParseArgsConfig>(fail: Fail, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    return fail((e as Error).message);
  }
}

export interface NumberFlag {
  /** Whole numbers only. */
  integer?: boolean;
  /** Inclusive bounds; when given, the error message states them. */
  min?: number;
  max?: number;
}

/** Parses a numeric flag value; undefined stays undefined so callers can apply their own default. */
export function parseNumberFlag(text: string | undefined, flag: string, fail: Fail, rule: NumberFlag = {}): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  const bounded = rule.min !== undefined || rule.max !== undefined;
  const ok = text.trim() !== '' && Number.isFinite(v) && (!rule.integer || Number.isInteger(v))
    && (rule.min === undefined || v >= rule.min) && (rule.max === undefined || v <= rule.max);
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const range = bounded ? ` in ${rule.min ?? '-inf'}..${rule.max ?? 'inf'}` : '';
    fail(`${flag} must be ${kind}${range}, got "${text}"`);
  }
  return v;
}

/**
 * Runs `work` with a signal that SIGINT/SIGTERM abort; on abort the error thrown is `interruptedMessage`
 * (exit code "interrupted") rather than whatever the cancelled operation happened to throw.
 */
export async function withInterrupt<T>(interruptedMessage: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new PerceptError(interruptedMessage, { exitCode: ExitCode.interrupted }));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } catch (e) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

export interface StatusLine {
  readonly tty: boolean;
  /**
   * On a TTY, redraws `text` in place (at most every `redrawMs`, always when `final`). Elsewhere,
   * prints `text` as a new line only when `step` differs from the last printed one, so logs get
   * a handful of lines instead of one per update.
   */
  update(text: string, step: number, final: boolean): void;
}

export function statusLine(out: Stream, redrawMs: number): StatusLine {
  const tty = Boolean(out.isTTY);
  let lastStep: number | undefined;
  let lastDraw = 0;
  return {
    tty,
    update(text, step, final) {
      if (tty) {
        const now = Date.now();
        if (now - lastDraw > redrawMs || final) {
          out.write(`\r\x1b[K${text}`);
          lastDraw = now;
        }
      } else if (step !== lastStep) {
        lastStep = step;
        out.write(`${text}\n`);
      }
    },
  };
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/**
 * Download progress for one file as `(bytes, total)` callbacks: "label: 12.0 MB / 40.0 MB (30%)",
 * a new log line every 10% (every 100 MB when the size is unknown), redrawn a few times per second on a TTY.
 */
export function downloadProgress(out: Stream, label: string): (bytes: number, total?: number | null) => void {
  // Redrawing on every chunk would flood the terminal; a few times per second is enough.
  const line = statusLine(out, 200);
  return (bytes, total) => {
    const known = total ? total : null;
    const text = `${label}: ${formatBytes(bytes)}${known ? ` / ${formatBytes(known)} (${Math.floor((100 * bytes) / known)}%)` : ''}`;
    const step = known ? Math.floor((10 * bytes) / known) : Math.floor(bytes / 1e8);
    line.update(text, step, bytes === total);
  };
}
