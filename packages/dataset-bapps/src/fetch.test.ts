import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile, mkdir, stat } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as createTar } from 'tar';
import type { ImageBatch } from '@percept/core';
import { writeJndSubset, writeTwoAfcSubset } from './writer.js';
import { openJnd, openTwoAfc } from './reader.js';
import { downloadResumable, fetchBapps, markerPath, type FetchProgress } from './fetch.js';

const flat = (k: number): ImageBatch => ({ data: new Float32Array(8 * 8 * 3).fill(k / 255), shape: [1, 8, 8, 3] });

interface Served {
  body: Buffer;
  dropFirst: boolean;
  requests: (string | undefined)[];
  /** With dropFirst: the client's .part; the connection is cut once it holds the half sent. */
  partFile?: string;
}

let work: string;
let server: Server;
let baseUrl: string;
const files = new Map<string, Served>();

/**
 * Serves `files` with Range support. When `dropFirst` is set, the first full response announces
 * the whole Content-Length, sends about half the bytes and destroys the socket.
 */
function startServer(): Promise<void> {
  server = createServer((req, res) => {
    const f = files.get(req.url?.slice(1) ?? '');
    if (!f) { res.writeHead(404).end(); return; }
    const range = req.headers.range;
    f.requests.push(range);
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      const start = Number(m[1]);
      if (start >= f.body.length) { res.writeHead(416).end(); return; }
      res.writeHead(206, {
        'Content-Length': f.body.length - start,
        'Content-Range': `bytes ${start}-${f.body.length - 1}/${f.body.length}`,
      });
      res.end(f.body.subarray(start));
      return;
    }
    res.writeHead(200, { 'Content-Length': f.body.length });
    if (f.dropFirst) {
      f.dropFirst = false;
      // Cut only once the client has written the half: a busy client that has not read it yet
      // would lose it with the connection (fetch drops a broken body's queued chunks).
      const half = Math.floor(f.body.length / 2);
      res.write(f.body.subarray(0, half));
      const t0 = Date.now();
      const cut = () => {
        const have = f.partFile && existsSync(f.partFile) ? statSync(f.partFile).size : 0;
        if (have >= half || Date.now() - t0 > 10_000) res.socket?.destroy();
        else setTimeout(cut, 5);
      };
      cut();
      return;
    }
    res.end(f.body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dataset`;
    resolve();
  }));
}

/** Builds the two val-only archives exactly as the official ones are laid out. */
async function buildArchives(): Promise<void> {
  const src = join(work, 'src');
  await writeTwoAfcSubset(src, 'val', 'traditional', [
    { ref: flat(10), p0: flat(20), p1: flat(30), judge: 0.2 },
    { ref: flat(40), p0: flat(50), p1: flat(60), judge: 1 },
  ]);
  await writeJndSubset(src, 'cnn', [{ p0: flat(1), p1: flat(2), same: 0 }]);
  // twoafc_val.tar.gz holds val/… (extracted into 2afc/); jnd.tar.gz holds jnd/… (extracted into the root).
  await createTar({ gzip: true, cwd: join(src, '2afc'), file: join(work, 'twoafc_val.tar.gz'), portable: true }, ['val']);
  await createTar({ gzip: true, cwd: src, file: join(work, 'jnd.tar.gz'), portable: true }, ['jnd']);
  files.set('dataset/twoafc_val.tar.gz', {
    body: await readFile(join(work, 'twoafc_val.tar.gz')), dropFirst: true, requests: [],
    partFile: join(work, 'dataset', '.downloads', 'twoafc_val.tar.gz.part'),
  });
  files.set('dataset/jnd.tar.gz', { body: await readFile(join(work, 'jnd.tar.gz')), dropFirst: false, requests: [] });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'percept-fetch-'));
  await startServer();
  await buildArchives();
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(work, { recursive: true, force: true });
});

describe('fetchBapps', () => {
  it('downloads (resuming an interrupted transfer), checks sizes, extracts and marks completion', async () => {
    const dir = join(work, 'dataset');
    const progress: FetchProgress[] = [];
    const got = await fetchBapps({ dir, valOnly: true, baseUrl, retryDelayMs: 10, onProgress: (p) => progress.push(p) });

    const val = files.get('dataset/twoafc_val.tar.gz')!;
    // First request without Range was cut off; the retry asked for the rest.
    expect(val.requests).toEqual([undefined, `bytes=${Math.floor(val.body.length / 2)}-`]);
    expect(files.get('dataset/jnd.tar.gz')!.requests).toEqual([undefined]);
    expect(got.map((g) => g.file)).toEqual(['jnd.tar.gz', 'twoafc_val.tar.gz']);
    expect(got[1].bytes).toBe(val.body.length);
    expect(got[1].sha256).toBe(createHash('sha256').update(val.body).digest('hex'));
    expect(progress.some((p) => p.phase === 'download' && p.file === 'twoafc_val.tar.gz' && p.total === val.body.length)).toBe(true);
    expect(progress.filter((p) => p.phase === 'done').map((p) => p.file)).toEqual(['jnd.tar.gz', 'twoafc_val.tar.gz']);

    // The result is the layout the readers expect.
    const ds = await openTwoAfc({ root: dir, subsets: ['traditional'] });
    expect(ds.size).toBe(2);
    const jnd = await openJnd({ root: dir, subsets: ['cnn'] });
    expect(jnd.size).toBe(1);
    const marker = JSON.parse(await readFile(markerPath(dir, 'twoafc_val.tar.gz'), 'utf8'));
    expect(marker.sha256).toBe(got[1].sha256);
    // Archives are deleted after extraction by default.
    await expect(stat(join(dir, '.downloads', 'twoafc_val.tar.gz'))).rejects.toThrow();

    // A second run finds the markers and downloads nothing.
    const again = await fetchBapps({ dir, valOnly: true, baseUrl });
    expect(again.every((a) => a.cached)).toBe(true);
    expect(val.requests).toHaveLength(2);
  });

  it('resumes from a .part left by an earlier run', async () => {
    const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const served: Served = { body, dropFirst: false, requests: [] };
    files.set('dataset/blob.bin', served);
    const dest = join(work, 'resume', 'blob.bin');
    await mkdir(join(work, 'resume'), { recursive: true });
    await writeFile(`${dest}.part`, body.subarray(0, 1234));
    const size = await downloadResumable(`${baseUrl}/blob.bin`, dest, { retryDelayMs: 10 });
    expect(size).toBe(5000);
    expect(served.requests).toEqual(['bytes=1234-']);
    expect(Buffer.compare(await readFile(dest), body)).toBe(0);
  });

  it('reports a missing archive with the URL and HTTP status', async () => {
    await expect(fetchBapps({ dir: join(work, 'none'), baseUrl: `${baseUrl}/nowhere`, retryDelayMs: 10 }))
      .rejects.toThrowError(/Cannot download .*jnd\.tar\.gz: .*nowhere\/jnd\.tar\.gz: HTTP 404/);
  });

  it('rejects an archive without the BAPPS layout', async () => {
    const other = join(work, 'other');
    await mkdir(join(other, 'stuff'), { recursive: true });
    await writeFile(join(other, 'stuff', 'a.txt'), 'x');
    await createTar({ gzip: true, cwd: other, file: join(work, 'bad.tar.gz') }, ['stuff']);
    files.set('bad/jnd.tar.gz', { body: await readFile(join(work, 'bad.tar.gz')), dropFirst: false, requests: [] });
    await expect(fetchBapps({ dir: join(work, 'bad-out'), baseUrl: baseUrl.replace('/dataset', '/bad'), valOnly: true }))
      .rejects.toThrowError(/jnd\/val does not exist; the archive does not have the BAPPS layout/);
  });
});
