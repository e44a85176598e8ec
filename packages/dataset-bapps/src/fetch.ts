/**
 * Downloads and unpacks the official BAPPS archives (SPEC §6.1) into the layout the readers expect:
 *
 *   jnd.tar.gz          -> <dir>/          (holds jnd/val/…)
 *   twoafc_val.tar.gz   -> <dir>/2afc/     (holds val/…)
 *   twoafc_train.tar.gz -> <dir>/2afc/     (holds train/…)
 *
 * Downloads go to `<dir>/.downloads/<file>.part` and resume with an HTTP Range request after an
 * interruption (within one call, by retrying, and across calls, from the leftover `.part`). The
 * finished size must equal the server's Content-Length (or Content-Range total). After extraction
 * a marker `<dir>/.bapps-<archive>.done.json` is written atomically (temp file + rename); an archive
 * whose marker exists is not fetched again, and one without a marker is (re-)extracted, so a kill
 * at any point loses at most the current archive's unfinished step.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { x as extractTar } from 'tar';
import { InputError, downloadVerified, sha256OfFile } from '@percept/core';

/** The generic resumable downloader now lives in @percept/core; re-exported for existing callers. */
export { downloadResumable } from '@percept/core';

export const BAPPS_BASE_URL = 'https://perceptual-similarity.s3.us-west-2.amazonaws.com/dataset';

export interface BappsArchive {
  file: string;
  /** Folder (relative to the dataset dir) the archive is extracted into. */
  into: string;
  /** A path (relative to the dataset dir) that must exist after extraction. */
  provides: string;
  /** Approximate size from the LPIPS README, for messages only. */
  approxSize: string;
}

export const BAPPS_ARCHIVES: readonly BappsArchive[] = [
  { file: 'jnd.tar.gz', into: '.', provides: 'jnd/val', approxSize: '0.2 GB' },
  { file: 'twoafc_val.tar.gz', into: '2afc', provides: '2afc/val', approxSize: '1.1 GB' },
  { file: 'twoafc_train.tar.gz', into: '2afc', provides: '2afc/train', approxSize: '5.3 GB' },
];

export interface FetchProgress {
  file: string;
  phase: 'download' | 'extract' | 'done' | 'skipped';
  bytes: number;
  total: number | null;
}

export interface FetchBappsOptions {
  /** The dataset folder (it will hold 2afc/ and jnd/). */
  dir: string;
  /** Only jnd + twoafc_val (1.3 GB), enough for every published PS number. */
  valOnly?: boolean;
  baseUrl?: string;
  /** Download attempts per archive; each retry resumes where the previous one stopped. Default 5. */
  attempts?: number;
  /** Milliseconds before the first retry; doubles each time. Default 1000. */
  retryDelayMs?: number;
  /** Keep the .tar.gz files after extraction (default: delete them). */
  keepArchives?: boolean;
  onProgress?: (p: FetchProgress) => void;
  signal?: AbortSignal;
}

export interface FetchedArchive {
  file: string;
  url: string;
  bytes: number;
  sha256: string;
  /** True when the marker showed it was already complete. */
  cached: boolean;
}

export function markerPath(dir: string, file: string): string {
  return join(dir, `.bapps-${file.replace(/\.tar\.gz$/, '')}.done.json`);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Downloads and extracts the BAPPS archives into `dir`; already completed archives are skipped. */
export async function fetchBapps(options: FetchBappsOptions): Promise<FetchedArchive[]> {
  const { dir, signal } = options;
  const base = (options.baseUrl ?? BAPPS_BASE_URL).replace(/\/+$/, '');
  const archives = options.valOnly ? BAPPS_ARCHIVES.filter((a) => a.file !== 'twoafc_train.tar.gz') : BAPPS_ARCHIVES;
  const downloads = join(dir, '.downloads');
  await mkdir(downloads, { recursive: true });
  const report = options.onProgress ?? (() => undefined);
  const out: FetchedArchive[] = [];

  for (const a of archives) {
    signal?.throwIfAborted();
    const url = `${base}/${a.file}`;
    const marker = markerPath(dir, a.file);
    try {
      const done = JSON.parse(await readFile(marker, 'utf8')) as FetchedArchive;
      report({ file: a.file, phase: 'skipped', bytes: done.bytes, total: done.bytes });
      out.push({ ...done, cached: true });
      continue;
    } catch {
      // No marker (or an unreadable one): fetch and extract again.
    }

    const archivePath = join(downloads, a.file);
    let bytes = await sizeOf(archivePath);
    let sha256: string;
    if (bytes === 0) {
      ({ bytes, sha256 } = await downloadVerified(url, archivePath, {
        attempts: options.attempts,
        retryDelayMs: options.retryDelayMs,
        signal,
        onBytes: (b, total) => report({ file: a.file, phase: 'download', bytes: b, total }),
        hint: 'Check --base-url; the official archives live under ' + BAPPS_BASE_URL,
      }));
    } else {
      sha256 = await sha256OfFile(archivePath);
    }

    report({ file: a.file, phase: 'extract', bytes, total: bytes });
    const target = join(dir, a.into);
    await mkdir(target, { recursive: true });
    try {
      await extractTar({ file: archivePath, cwd: target, strict: true });
    } catch (e) {
      // A corrupt archive will not get better by extracting again: remove it so the next run downloads afresh.
      await rm(archivePath, { force: true });
      throw new InputError(`${archivePath}: cannot extract (${(e as Error).message}); the archive was removed, run the command again to download it anew`, { cause: e });
    }
    try {
      await stat(join(dir, a.provides));
    } catch {
      throw new InputError(`${archivePath}: extracted, but ${join(dir, a.provides)} does not exist; the archive does not have the BAPPS layout`);
    }

    const record: FetchedArchive = { file: a.file, url, bytes, sha256, cached: false };
    const tmp = `${marker}.tmp-${process.pid}`;
    await writeFile(tmp, `${JSON.stringify({ ...record, completedAt: new Date().toISOString() }, null, 2)}\n`);
    await rename(tmp, marker);
    if (!options.keepArchives) await rm(archivePath, { force: true });
    report({ file: a.file, phase: 'done', bytes, total: bytes });
    out.push(record);
  }
  return out;
}
