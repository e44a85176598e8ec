import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { sharedAssets } from '@percept/core/testing';
import { modelsCommand } from './models.js';

function io(env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (d) => { out += String(d); });
  stderr.resume();
  return { io: { stdout, stderr, env, cwd: process.cwd(), verbose: false }, out: () => out };
}

const assets = sharedAssets('weights/lpips-v0.1-original/vgg.pth');

describe('percept models', () => {
  it('lists every entry as JSON with its status', async () => {
    const home = mkdtempSync(join(tmpdir(), 'percept-models-'));
    const t = io({ PERCEPT_HOME: home, PERCEPT_ASSETS: join(home, 'none') });
    expect(await modelsCommand.run(['list', '--json'], t.io)).toBe(0);
    const rows = JSON.parse(t.out()) as { id: string; cached: string | null; local: string | null; sha256: string | null }[];
    expect(rows.find((r) => r.id === 'onnx/mobilenetv2-12-int8')).toMatchObject({ cached: null, local: null, sha256: '83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f' });
    await expect(modelsCommand.run(['info', 'no-such-model'], t.io)).rejects.toThrow(/unknown entry "no-such-model"/);
    rmSync(home, { recursive: true, force: true });
  });

  describe.skipIf(!assets.available)('fetch from a mirror on 127.0.0.1', () => {
    let server: Server;
    let base = '';
    beforeAll(async () => {
      server = createServer((req, res) => {
        const file = join(assets.dir, 'weights/lpips-v0.1-original', String(req.url).replace(/^\/+/, ''));
        if (!existsSync(file)) { res.writeHead(404).end(); return; }
        createReadStream(file).pipe(res);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('downloads, verifies and reports the cached file; the second run is a cache hit', async () => {
      const home = mkdtempSync(join(tmpdir(), 'percept-models-'));
      const t = io({ PERCEPT_HOME: home });
      expect(await modelsCommand.run(['fetch', 'lpips-vgg', '--base-url', base], t.io)).toBe(0);
      expect(t.out()).toMatch(/^lpips\/v0\.1-vgg\t.*models\/lpips\/v0\.1-vgg\/vgg\.pth\t7289\tsha256:a78928a0.*\(verified\)/);
      const again = io({ PERCEPT_HOME: home });
      expect(await modelsCommand.run(['fetch', 'lpips-vgg', '--base-url', 'http://127.0.0.1:9'], again.io)).toBe(0);
      expect(again.out()).toMatch(/\(cached\)/);
      rmSync(home, { recursive: true, force: true });
    });
  });
});
