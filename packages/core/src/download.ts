/**
 * Resumable HTTP downloads shared by every package that fetches official files (BAPPS archives,
 * model-zoo weights). No ML dependencies: Node's fetch and streams only.
 *
 * A download goes to `<dest>.part` and continues with an HTTP Range request after an interruption
 * (within one call, by retrying, and across calls, from the leftover `.part`). The finished size
 * must equal the server's Content-Length (or Content-Range total). With an expected hash, the
 * finished `.part` is hashed and renamed onto `dest` only when it matches; a mismatch deletes the
 * `.part`, so a wrong file never appears under its final name.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { InputError, PerceptError } from './errors.js';

export interface DownloadOptions {
  /** Attempts in total; each retry resumes where the previous one stopped. Default 5. */
  attempts?: number;
  /** Milliseconds before the first retry; doubles each time. Default 1000. */
  retryDelayMs?: number;
  signal?: AbortSignal;
  onBytes?: (bytes: number, total: number | null) => void;
  /**
   * Expected sha256 of the finished file: the full 64 hex digits, or a prefix of at least 8
   * (torchvision embeds the first 8 in its file names). Checked before the file is placed.
   */
  sha256?: string;
  /** Extra advice for a definite HTTP failure (4xx), e.g. the official location of the file. */
  hint?: string;
}

export interface DownloadResult {
  bytes: number;
  sha256: string;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Hex sha256 of a file, streamed. */
export async function sha256OfFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Normalises and validates an expected hash: 8..64 lowercase hex digits. */
export function parseExpectedHash(expected: string, where: string): string {
  const h = expected.trim().toLowerCase();
  if (!/^[0-9a-f]{8,64}$/.test(h)) {
    throw new InputError(`${where}: expected sha256 "${expected}" must be 8 to 64 hex digits (a full sha256 or a prefix of one)`);
  }
  return h;
}

/**
 * Whether `actual` (a full hex sha256) matches `expected` (a full sha256 or a prefix of at least 8
 * hex digits). Shorter prefixes are refused: they would match too many files to verify anything.
 */
export function sha256Matches(actual: string, expected: string): boolean {
  const e = parseExpectedHash(expected, 'sha256Matches');
  return /^[0-9a-f]{64}$/.test(actual) && actual.startsWith(e);
}

/** Parses "bytes 100-199/1000" -> { start: 100, total: 1000 }. */
export function parseContentRange(header: string | null): { start: number; total: number | null } | undefined {
  const m = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}

/** A transfer that broke off (network trouble, 5xx): worth retrying, resuming from the .part. */
class RetryableError extends Error {}

/**
 * One attempt: continues `part` from its current size. Resolves once the file is complete;
 * throws RetryableError when the transfer broke off.
 */
async function downloadOnce(url: string, part: string, dest: string, options: DownloadOptions): Promise<number> {
  const { signal } = options;
  const onBytes = options.onBytes ?? (() => undefined);
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
    throw new PerceptError(`Cannot download ${dest}: ${msg}`, options.hint ? { hint: options.hint } : {});
  }
  if (!res.body) throw new RetryableError(`${url}: response has no body`);

  let bytes = start;
  onBytes(bytes, total);
  // Each chunk is written before the next is read, so whatever arrived before an interruption is
  // in the .part and the retry resumes after it (a write stream torn down with the failed
  // pipeline would drop the chunks still queued in it).
  const out = await open(part, start > 0 ? 'a' : 'w');
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await out.write(chunk);
      bytes += chunk.length;
      onBytes(bytes, total);
    }
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new RetryableError(`${url}: transfer interrupted at byte ${bytes} (${(e as Error).message})`);
  } finally {
    await out.close();
  }
  const size = await sizeOf(part);
  if (total !== null && size < total) throw new RetryableError(`${url}: connection closed at byte ${size} of ${total}`);
  if (total !== null && size > total) {
    await rm(part, { force: true });
    throw new InputError(`${part}: downloaded ${size} bytes but the server announced ${total}; the partial file was removed`);
  }
  return size;
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
});

/**
 * Downloads `url` to `dest` via `dest.part`, resuming and retrying, verifying `options.sha256`
 * when given, and renaming onto `dest` only after that. Returns the size and full sha256.
 */
export async function downloadVerified(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const expected = options.sha256 === undefined ? undefined : parseExpectedHash(options.sha256, url);
  const attempts = options.attempts ?? 5;
  let delay = options.retryDelayMs ?? 1000;
  const part = `${dest}.part`;
  let last: Error | undefined;
  for (let a = 1; a <= attempts; a++) {
    let size: number;
    try {
      size = await downloadOnce(url, part, dest, options);
    } catch (e) {
      if (!(e instanceof RetryableError)) throw e;
      last = e;
      if (a < attempts) {
        await sleep(delay, options.signal);
        delay *= 2;
      }
      continue;
    }
    const sha256 = await sha256OfFile(part);
    if (expected && !sha256.startsWith(expected)) {
      // Never keep bytes that failed verification: resuming onto them could not fix them either.
      await rm(part, { force: true });
      throw new InputError(`${url}: downloaded file has sha256 ${sha256}, expected ${expected.length === 64 ? expected : `a hash starting with ${expected}`}; nothing was written to ${dest}`, {
        hint: 'The server sent a different file (a wrong mirror, a proxy error page, or a changed upstream file).',
      });
    }
    await rename(part, dest);
    return { bytes: size, sha256 };
  }
  throw new PerceptError(`Cannot download ${url} after ${attempts} attempts: ${last?.message}`, {
    hint: `Run the command again: it resumes from ${part}.`,
  });
}

/** Downloads `url` to `dest` via `dest.part`, resuming and retrying (no hash check). Returns the final size. */
export async function downloadResumable(url: string, dest: string, options: DownloadOptions = {}): Promise<number> {
  return (await downloadVerified(url, dest, options)).bytes;
}
