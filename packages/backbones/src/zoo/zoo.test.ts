import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { sha256Matches } from '@percept/core';
import { sharedAssets } from '@percept/core/testing';
import { ZOO_ENTRIES } from './entries.js';
import { entryHashMatches, fetchZooEntry, findZooEntry, resolveZooFile, zooCachePath } from './resolve.js';
import type { ZooEntry } from './types.js';
import { architectureContributions } from '../contrib/architectures.js';
import type { IRModelSpec } from '../ir.js';

describe('hash checks', () => {
  const full = 'df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0';
  it('accepts the full sha256 or a prefix of at least 8 hex digits', () => {
    expect(sha256Matches(full, full)).toBe(true);
    expect(sha256Matches(full, 'DF73285E')).toBe(true);
    expect(sha256Matches(full, 'df73285f')).toBe(false);
    expect(sha256Matches(full.replace(/^d/, 'e'), full)).toBe(false);
  });
  it('refuses prefixes too short to verify anything, and non-hex', () => {
    expect(() => sha256Matches(full, 'df73')).toThrow(/8 to 64 hex digits/);
    expect(() => sha256Matches(full, 'zz73285e')).toThrow(/8 to 64 hex digits/);
  });
  it('torchvision entries carry the hash embedded in their file name', () => {
    for (const e of ZOO_ENTRIES.filter((x) => x.id.startsWith('torchvision/'))) {
      expect(e.fileName).toContain(`-${e.sha256}.pth`);
      expect(entryHashMatches(e, `${e.sha256}${'0'.repeat(56)}`)).toBe(true);
      expect(entryHashMatches(e, '0'.repeat(64))).toBe(false);
    }
  });
});

describe('built-in zoo table', () => {
  it('has unique ids and aliases, and a hash or a note for every entry', () => {
    const names = ZOO_ENTRIES.flatMap((e) => [e.id, ...e.aliases].map((n) => n.toLowerCase()));
    expect(new Set(names).size).toBe(names.length);
    for (const e of ZOO_ENTRIES) {
      expect(e.sha256 === null ? e.hashNote : e.sha256).toMatch(/\S/);
      if (e.sha256 !== null) expect(e.sha256).toMatch(/^([0-9a-f]{8}|[0-9a-f]{64})$/);
    }
    expect(findZooEntry('LPIPS-ALEX').id).toBe('lpips/v0.1-alex');
    expect(() => findZooEntry('torchvision/alexnett')).toThrow(/unknown entry "torchvision\/alexnett"/);
  });
  it('names backbones that are registered', () => {
    const byName = new Map(architectureContributions.map((c) => [c.name, c]));
    for (const e of ZOO_ENTRIES) {
      const b = e.architecture.backbone;
      if (!b || b === 'onnx-file' || e.taps.length === 0) continue;
      expect(byName.has(b), `${e.id}: backbone ${b}`).toBe(true);
    }
  });
});

const assets = sharedAssets('weights/lpips-v0.1-original/alex.pth', 'weights/lpips-v0.1-original/squeeze.pth', 'weights/alexnet-features.safetensors');

describe.skipIf(!assets.available)('downloads from a local server', () => {
  let server: Server;
  let base = '';
  const requests: { path: string; range?: string }[] = [];
  /** Paths whose first request is cut off after half the body, once the client has that half in this file. */
  const dropOnce = new Map<string, string>();
  let home = '';
  const env = () => ({ PERCEPT_HOME: home, PERCEPT_ASSETS: join(home, 'no-assets') });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const range = req.headers.range;
      requests.push({ path, ...(range ? { range } : {}) });
      const file = join(assets.dir, path);
      if (!path.startsWith('/weights/') || !existsSync(file)) { res.writeHead(404).end(); return; }
      const size = statSync(file).size;
      const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
      const start = m ? Number(m[1]) : 0;
      if (m) res.writeHead(206, { 'content-length': size - start, 'content-range': `bytes ${start}-${size - 1}/${size}` });
      else res.writeHead(200, { 'content-length': size });
      if (dropOnce.has(path)) {
        // Send half the file, then cut the connection: the client must resume from there. Cut
        // only once the client has written the half to its .part: a busy client that has not read
        // it yet would lose it with the connection (fetch drops a broken body's queued chunks).
        const part = dropOnce.get(path)!;
        dropOnce.delete(path);
        const half = readFileSync(file).subarray(start, start + Math.floor((size - start) / 2));
        res.write(half);
        const t0 = Date.now();
        const cut = () => {
          if ((existsSync(part) && statSync(part).size >= half.length) || Date.now() - t0 > 10_000) res.socket?.destroy();
          else setTimeout(cut, 5);
        };
        cut();
        return;
      }
      createReadStream(file, { start }).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const fresh = () => {
    home = mkdtempSync(join(tmpdir(), 'percept-zoo-'));
    requests.length = 0;
  };
  const entry = (over: Partial<ZooEntry>): ZooEntry => ({
    ...findZooEntry('lpips/v0.1-alex'),
    id: 'test/alex-lin',
    aliases: [],
    url: `${base}/weights/lpips-v0.1-original/alex.pth`,
    localNames: [],
    ...over,
  });

  it('fetches, verifies and places the file atomically; a cache hit needs no server', async () => {
    fresh();
    const e = entry({});
    const got = await fetchZooEntry(e, { env: env(), retryDelayMs: 1 });
    expect(got).toMatchObject({ cached: false, bytes: 6009, sha256: e.sha256, path: zooCachePath(e, env()) });
    expect(readdirSync(join(home, 'models', 'test', 'alex-lin'))).toEqual(['alex.pth']);

    const again = await fetchZooEntry(e, { env: env() });
    expect(again.cached).toBe(true);
    // Resolution from the cache with the server's URL pointing nowhere: no request is made.
    const offline = entry({ url: 'http://127.0.0.1:9/unreachable/alex.pth' });
    const n = requests.length;
    const found = await resolveZooFile(offline, { env: env() });
    expect(found).toMatchObject({ where: 'cache', sha256: e.sha256 });
    expect(requests.length).toBe(n);
    rmSync(home, { recursive: true, force: true });
  });

  it('a wrong hash fails and leaves no file (nor .part) in the cache', async () => {
    fresh();
    const e = entry({ sha256: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' });
    await expect(fetchZooEntry(e, { env: env(), retryDelayMs: 1 })).rejects.toThrow(/sha256 df73285e.* expected 01234567.*nothing was written/);
    expect(readdirSync(join(home, 'models', 'test', 'alex-lin'))).toEqual([]);
    // A torchvision-style prefix that does not match fails the same way.
    await expect(fetchZooEntry(entry({ sha256: 'deadbeef' }), { env: env(), retryDelayMs: 1 })).rejects.toThrow(/starting with deadbeef/);
    expect(readdirSync(join(home, 'models', 'test', 'alex-lin'))).toEqual([]);
    rmSync(home, { recursive: true, force: true });
  });

  it('resumes an interrupted download with a Range request', async () => {
    fresh();
    const e = entry({ url: `${base}/weights/lpips-v0.1-original/squeeze.pth`, fileName: 'squeeze.pth', sha256: findZooEntry('lpips-squeeze').sha256 });
    dropOnce.set('/weights/lpips-v0.1-original/squeeze.pth', `${zooCachePath(e, env())}.part`);
    const got = await fetchZooEntry(e, { env: env(), retryDelayMs: 1 });
    expect(got.bytes).toBe(10811);
    expect(requests.map((r) => r.range)).toEqual([undefined, `bytes=${Math.floor(10811 / 2)}-`]);
    expect(readdirSync(join(home, 'models', 'test', 'alex-lin'))).toEqual(['squeeze.pth']);
    rmSync(home, { recursive: true, force: true });
  });

  it('--base-url fetches <base>/<fileName> from a mirror', async () => {
    fresh();
    const e = entry({ url: 'https://example.invalid/alex.pth' });
    const got = await fetchZooEntry(e, { env: env(), baseUrl: `${base}/weights/lpips-v0.1-original/` });
    expect(got.url).toBe(`${base}/weights/lpips-v0.1-original/alex.pth`);
    expect(requests.map((r) => r.path)).toEqual(['/weights/lpips-v0.1-original/alex.pth']);
    rmSync(home, { recursive: true, force: true });
  });
});

describe.skipIf(!assets.available)('offline resolution', () => {
  it('finds a backbone\'s weights under PERCEPT_ASSETS local names and records zoo id + sha256', async () => {
    const found = await resolveZooFile(findZooEntry('torchvision/alexnet'), { env: { PERCEPT_ASSETS: assets.dir, PERCEPT_HOME: '/nonexistent' }, trunk: true });
    expect(found).toMatchObject({ where: 'local', path: assets.path('weights/alexnet-features.safetensors') });
    const alex = architectureContributions.find((c) => c.name === 'alexnet')!;
    const spec = (await alex.build({ weights: 'torchvision' }, { baseDir: '.' })) as IRModelSpec;
    expect(spec.provenance).toMatchObject({ source: 'zoo', zooId: 'torchvision/alexnet', sha256: found.sha256 });
  });

  it('explains where it looked and how to fetch when nothing is found', async () => {
    const home = mkdtempSync(join(tmpdir(), 'percept-zoo-'));
    // A trunk-only local file cannot serve a backbone with its classifier head.
    await expect(resolveZooFile(findZooEntry('torchvision/alexnet'), { env: { PERCEPT_ASSETS: assets.dir, PERCEPT_HOME: home }, trunk: false }))
      .rejects.toThrow(new RegExp(`models/torchvision/alexnet/alexnet-owt-7be5be79\\.pth not found`));
    await expect(resolveZooFile(findZooEntry('torchvision/alexnet'), { env: { PERCEPT_ASSETS: join(home, 'x'), PERCEPT_HOME: home }, trunk: true }))
      .rejects.toMatchObject({ hint: expect.stringContaining('percept models fetch torchvision/alexnet') });
    rmSync(home, { recursive: true, force: true });
  });
});
