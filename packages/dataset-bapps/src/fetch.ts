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
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { x as extractTar } from 'tar';
import { InputError, PerceptError } from '@percept/core';

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

/** Parses "bytes 100-199/1000" -> { start: 100, total: 1000 }. */
function parseContentRange(header: string | null): { start: number; total: number | null } | undefined {
  const m = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}

/** Whether an error is worth retrying (network trouble, 5xx) rather than a definite answer. */
class RetryableError extends Error {}

/**
 * One download attempt: continues `part` from its current size. Resolves with the expected total
 * once the file is complete; throws RetryableError when the transfer broke off.
 */
async function downloadOnce(
  url: string,
  part: string,
  file: string,
  onBytes: (bytes: number, total: number | null) => void,
  signal?: AbortSignal,
): Promise<number> {
  const have = await sizeOf(part);
  const headers: Record<string, string> = have > 0 ? { Range: `bytes=${have}-` } : {};
  let res: Response;
  try {
    res = await fetch(url, { headers, signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new RetryableError(`${url}: request failed (${(e as Error).message})`);
  }
  let start = 0;
  let total: number | null;
  if (res.status === 206) {
    const range = parseContentRange(res.headers.get('content-range'));
    if (!range || range.start !== have) {
      // A range we did not ask for: start over rather than splice the wrong bytes.
      await res.body?.cancel();
      await rm(part, { force: true });
      throw new RetryableError(`${url}: server answered Range bytes=${have}- with Content-Range ${res.headers.get('content-range')}`);
    }
    start = have;
    total = range.total;
  } else if (res.status === 200) {
    const len = res.headers.get('content-length');
    total = len === null ? null : Number(len);
  } else if (res.status === 416 && have > 0) {
    // Our .part is not a prefix the server can continue (e.g. the file changed): start over.
    await res.body?.cancel();
    await rm(part, { force: true });
    throw new RetryableError(`${url}: server refused to resume at byte ${have}; restarting`);
  } else {
    await res.body?.cancel();
    const msg = `${url}: HTTP ${res.status} ${res.statusText}`;
    if (res.status >= 500 || res.status === 429) throw new RetryableError(msg);
    throw new PerceptError(`Cannot download ${file}: ${msg}`, { hint: 'Check --base-url; the official archives live under ' + BAPPS_BASE_URL });
  }
  if (!res.body) throw new RetryableError(`${url}: response has no body`);

  let bytes = start;
  onBytes(bytes, total);
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      onBytes(bytes, total);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
      counter,
      createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }),
      { signal },
    );
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new RetryableError(`${url}: transfer interrupted at byte ${bytes} (${(e as Error).message})`);
  }
  const size = await sizeOf(part);
  if (total !== null && size < total) throw new RetryableError(`${url}: connection closed at byte ${size} of ${total}`);
  if (total !== null && size > total) {
    await rm(part, { force: true });
    throw new InputError(`${part}: downloaded ${size} bytes but the server announced ${total}; the partial file was removed`);
  }
  return size;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), async function* (src: AsyncIterable<Buffer>) {
    for await (const chunk of src) h.update(chunk);
  });
  return h.digest('hex');
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
});

/** Downloads `url` to `dest` via `dest.part`, resuming and retrying. Returns the final size. */
export async function downloadResumable(
  url: string,
  dest: string,
  options: { attempts?: number; retryDelayMs?: number; signal?: AbortSignal; onBytes?: (bytes: number, total: number | null) => void } = {},
): Promise<number> {
  const attempts = options.attempts ?? 5;
  let delay = options.retryDelayMs ?? 1000;
  const part = `${dest}.part`;
  let last: Error | undefined;
  for (let a = 1; a <= attempts; a++) {
    try {
      const size = await downloadOnce(url, part, dest, options.onBytes ?? (() => undefined), options.signal);
      await rename(part, dest);
      return size;
    } catch (e) {
      if (!(e instanceof RetryableError)) throw e;
      last = e;
      if (a < attempts) {
        await sleep(delay, options.signal);
        delay *= 2;
      }
    }
  }
  throw new PerceptError(`Cannot download ${url} after ${attempts} attempts: ${last?.message}`, {
    hint: `Run the command again: it resumes from ${part}.`,
  });
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
    if (bytes === 0) {
      bytes = await downloadResumable(url, archivePath, {
        attempts: options.attempts,
        retryDelayMs: options.retryDelayMs,
        signal,
        onBytes: (b, total) => report({ file: a.file, phase: 'download', bytes: b, total }),
      });
    }
    const sha256 = await sha256File(archivePath);

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
