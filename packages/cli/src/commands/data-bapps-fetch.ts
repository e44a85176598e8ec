/**
 * `percept data bapps fetch`: downloads the official BAPPS archives and unpacks them into the
 * layout the `bapps-2afc` / `bapps-jnd` datasets read. Resumable: run it again after an interruption.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { PerceptError, ExitCode } from '@percept/core';
import { BAPPS_ARCHIVES, BAPPS_BASE_URL, fetchBapps, type FetchProgress } from '@percept/dataset-bapps';
import type { CliCommand, CliIO } from '../command.js';

const usage = `Usage: percept data bapps fetch --dir <folder> [--val-only] [--base-url <url>] [--keep-archives]

Downloads the BAPPS dataset (Zhang et al. 2018) and unpacks it into <folder>:
  <folder>/2afc/{train,val}/<subset>/{ref,p0,p1,judge}
  <folder>/jnd/val/<subset>/{p0,p1,same}

Options:
  --dir <folder>      where the dataset goes (required)
  --val-only          only the validation sets: ${BAPPS_ARCHIVES.filter((a) => a.file !== 'twoafc_train.tar.gz').map((a) => `${a.file} (${a.approxSize})`).join(', ')}
                      (otherwise also twoafc_train.tar.gz, 5.3 GB)
  --base-url <url>    mirror to download from (default ${BAPPS_BASE_URL})
  --keep-archives     keep the .tar.gz files after extracting them

Interrupted downloads resume from <folder>/.downloads/*.part; finished archives are not fetched again.`;

function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** A progress line that redraws in place on a TTY and prints every 10% elsewhere. */
function progressPrinter(io: CliIO): (p: FetchProgress) => void {
  const out = io.stderr;
  const tty = Boolean(out.isTTY);
  let lastDecile = -1;
  let lastFile = '';
  let lastDraw = 0;
  return (p) => {
    if (p.file !== lastFile) { lastFile = p.file; lastDecile = -1; }
    if (p.phase === 'download') {
      const pct = p.total ? Math.floor((100 * p.bytes) / p.total) : null;
      const text = `${p.file}: ${formatBytes(p.bytes)}${p.total ? ` / ${formatBytes(p.total)} (${pct}%)` : ''}`;
      if (tty) {
        const now = Date.now();
        // Redrawing on every chunk would flood the terminal; a few times per second is enough.
        if (now - lastDraw > 200 || p.bytes === p.total) { out.write(`\r\x1b[K${text}`); lastDraw = now; }
      } else {
        const decile = pct === null ? Math.floor(p.bytes / 1e8) : Math.floor(pct / 10);
        if (decile !== lastDecile) { out.write(`${text}\n`); lastDecile = decile; }
      }
      return;
    }
    const message = {
      extract: `${p.file}: extracting ${formatBytes(p.bytes)}`,
      done: `${p.file}: done`,
      skipped: `${p.file}: already complete, skipped`,
    }[p.phase];
    out.write(`${tty ? '\r\x1b[K' : ''}${message}\n`);
  };
}

export const dataBappsFetchCommand: CliCommand = {
  name: 'data bapps fetch',
  summary: 'Download and unpack the BAPPS 2AFC/JND dataset (resumable)',
  usage,
  async run(argv, io) {
    let values: { dir?: string; 'val-only'?: boolean; 'base-url'?: string; 'keep-archives'?: boolean; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          dir: { type: 'string' },
          'val-only': { type: 'boolean' },
          'base-url': { type: 'string' },
          'keep-archives': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (e) {
      throw new PerceptError(`percept data bapps fetch: ${(e as Error).message}`, { hint: usage, exitCode: ExitCode.usage });
    }
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.ok;
    }
    if (!values.dir) throw new PerceptError('percept data bapps fetch: --dir <folder> is required', { hint: usage, exitCode: ExitCode.usage });
    const dir = resolve(io.cwd, values.dir);
    const controller = new AbortController();
    const onSignal = () => controller.abort(new PerceptError('Interrupted; run the command again to resume.', { exitCode: ExitCode.interrupted }));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const fetched = await fetchBapps({
        dir,
        valOnly: values['val-only'],
        baseUrl: values['base-url'],
        keepArchives: values['keep-archives'],
        onProgress: progressPrinter(io),
        signal: controller.signal,
      });
      for (const f of fetched) io.stdout.write(`${f.file}\t${f.bytes}\tsha256:${f.sha256}${f.cached ? '\t(cached)' : ''}\n`);
      io.stdout.write(`BAPPS is ready in ${dir}\n`);
      return ExitCode.ok;
    } catch (e) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

export default dataBappsFetchCommand;
