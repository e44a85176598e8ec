/**
 * `percept data bapps fetch`: downloads the official BAPPS archives and unpacks them into the
 * layout the `bapps-2afc` / `bapps-jnd` datasets read. Resumable: run it again after an interruption.
 */
import { resolve } from 'node:path';
import { ExitCode } from '@percept/core';
import { BAPPS_ARCHIVES, BAPPS_BASE_URL, fetchBapps, type FetchProgress } from '@percept/dataset-bapps';
import type { CliIO, CommandImplementation } from '../command.js';
import { type Fail, downloadProgress, formatBytes, parseCommandArgs, usageFailer, withInterrupt } from '../command-helpers.js';

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

// Annotated so that TypeScript narrows after fail(...) calls (it returns never).
const fail: Fail = usageFailer('data bapps fetch', usage);

/** Per-archive progress: download lines from downloadProgress, then one line per later phase. */
function progressPrinter(io: CliIO): (p: FetchProgress) => void {
  const out = io.stderr;
  let lastFile = '';
  let download = downloadProgress(out, '');
  return (p) => {
    if (p.file !== lastFile) { lastFile = p.file; download = downloadProgress(out, p.file); }
    if (p.phase === 'download') {
      download(p.bytes, p.total);
      return;
    }
    const message = {
      extract: `${p.file}: extracting ${formatBytes(p.bytes)}`,
      done: `${p.file}: done`,
      skipped: `${p.file}: already complete, skipped`,
    }[p.phase];
    out.write(`${out.isTTY ? '\r\x1b[K' : ''}${message}\n`);
  };
}

export const dataBappsFetchCommand: CommandImplementation = {
  name: 'data bapps fetch',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(fail, {
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
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.ok;
    }
    if (!values.dir) fail('--dir <folder> is required');
    const dir = resolve(io.cwd, values.dir);
    const fetched = await withInterrupt('Interrupted; run the command again to resume.', (signal) => fetchBapps({
      dir,
      valOnly: values['val-only'],
      baseUrl: values['base-url'],
      keepArchives: values['keep-archives'],
      onProgress: progressPrinter(io),
      signal,
    }));
    for (const f of fetched) io.stdout.write(`${f.file}\t${f.bytes}\tsha256:${f.sha256}${f.cached ? '\t(cached)' : ''}\n`);
    io.stdout.write(`BAPPS is ready in ${dir}\n`);
    return ExitCode.ok;
  },
};

export default dataBappsFetchCommand;
