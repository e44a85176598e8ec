/**
 * `percept distance` in-process (through runCli, from source) with seeded random weights, so it
 * needs no shared assets: usage errors, resize policies, output formats and the folder pairing.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ExitCode, InputError, type ImageBatch } from '@percept/core';
import { readImage, writePng } from '@percept/images';
import { runCli } from '../src/main.js';
import { formatValue, pairFolders, reconcileSizes } from '../src/commands/distance.js';

function image(h: number, w: number, seed: number): ImageBatch {
  const data = new Float32Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919 + seed * 104729) % 997) / 996;
  return { data, shape: [1, h, w, 3] };
}

async function run(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough(), stderr = new PassThrough();
  let out = '', err = '';
  stdout.on('data', (c) => { out += String(c); });
  stderr.on('data', (c) => { err += String(c); });
  const code = await runCli(['distance', ...args], { stdout, stderr, env: { ...process.env }, cwd });
  return { code, out, err };
}

const RANDOM = ['--weights', 'random', '--variant', 'baseline'];

describe('percept distance (random weights, in-process)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'percept-distance-cmd-'));
    await writePng(join(dir, 'a.png'), image(48, 48, 1));
    await writePng(join(dir, 'b.png'), image(48, 48, 2));
    await writePng(join(dir, 'wide.png'), image(48, 96, 3));
    await mkdir(join(dir, 'd0'));
    await mkdir(join(dir, 'd1'));
    for (const [name, h, w] of [['x.png', 48, 48], ['y.png', 64, 40], ['z,1.png', 48, 48]] as const) {
      await writePng(join(dir, 'd0', name), image(h, w, 4));
      await writePng(join(dir, 'd1', name), image(h, w, 5));
    }
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('prints one number, then the layers with --per-layer, and zero for an image against itself', async () => {
    const r = await run(['a.png', 'b.png', ...RANDOM, '--per-layer'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(ExitCode.ok);
    const lines = r.out.trim().split('\n');
    expect(lines.length).toBe(6);
    const total = Number(lines[0]);
    expect(total).toBeGreaterThan(0);
    const sum = lines.slice(1).reduce((s, l) => s + Number(l.trim().split(/\s+/)[1]), 0);
    expect(sum).toBeCloseTo(total, 4);
    const self = await run(['a.png', 'a.png', ...RANDOM], dir);
    expect(Number(self.out.trim())).toBeLessThan(1e-6);
  });

  it('--json and --spatial: the value matches the plain output and the map is written at the input size', async () => {
    const plain = await run(['a.png', 'b.png', ...RANDOM], dir);
    const r = await run(['a.png', 'b.png', ...RANDOM, '--json', '--spatial', 'map.png'], dir);
    expect(r.code).toBe(ExitCode.ok);
    const out = JSON.parse(r.out) as { value: number; weights: { source: string }; spatial: string; perLayer: Record<string, number> };
    expect(out.value).toBe(Number(plain.out.trim()));
    expect(out.weights).toMatchObject({ source: 'random', seed: 0 });
    expect(Object.keys(out.perLayer)).toEqual(['relu1', 'relu2', 'relu3', 'relu4', 'relu5']);
    expect(out.spatial).toBe(join(dir, 'map.png'));
    expect((await readImage(out.spatial)).shape).toEqual([1, 48, 48, 3]);
  });

  it('pixel metrics need no weights at all', async () => {
    const r = await run(['a.png', 'b.png', '--distance', 'psnr', '--json'], dir);
    expect(r.code).toBe(ExitCode.ok);
    expect(JSON.parse(r.out)).toMatchObject({ distance: 'psnr', direction: 'similarity', perLayer: {} });
  });

  it('rejects bad usage with exit code 2 before loading anything', async () => {
    const cases: [string[], RegExp][] = [
      [['a.png'], /expected two image files, got a\.png/],
      [['a.png', 'b.png', '--resize', 'fit'], /--resize must be one of none, a-to-b, shorter-64, got "fit"/],
      [['a.png', 'b.png', '-o', 'x.csv'], /-o\/--output is for directory mode/],
      [['--dir0', 'd0'], /needs both --dir0 and --dir1/],
      [['--dir0', 'd0', '--dir1', 'd1', '--spatial', 'm.png'], /--spatial writes one map/],
      [['a.png', 'b.png', '--variant', 'tuned'], /--variant must be "lin" or "baseline"/],
      [['a.png', 'b.png', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, dir);
      expect(r.code, args.join(' ')).toBe(ExitCode.usage);
      expect(r.err, args.join(' ')).toMatch(message);
    }
  });

  it('different sizes: an error (exit 5) without --resize, a distance with one', async () => {
    const r = await run(['a.png', 'wide.png', ...RANDOM], dir);
    expect(r.code).toBe(ExitCode.badInput);
    expect(r.err).toContain('Images differ in size: a.png is 48x48 (WxH) but wide.png is 96x48');
    const fixed = await run(['wide.png', 'a.png', ...RANDOM, '--resize', 'a-to-b'], dir);
    expect(fixed.code).toBe(ExitCode.ok);
    expect(Number(fixed.out)).toBeGreaterThan(0);
  });

  it('directory mode: one row per pair, sizes mixed, names with commas quoted', async () => {
    const r = await run(['--dir0', 'd0', '--dir1', 'd1', ...RANDOM, '-o', 'out.csv'], dir);
    expect(r.code).toBe(ExitCode.ok);
    expect(r.err).toContain('Wrote 3 distances');
    const lines = (await readFile(join(dir, 'out.csv'), 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('a,b,distance,relu1,relu2,relu3,relu4,relu5');
    expect(lines.slice(1, 3).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['d0/x.png,d1/x.png', 'd0/y.png,d1/y.png']);
    expect(lines[3].startsWith('"d0/z,1.png","d1/z,1.png",')).toBe(true);
    // x and z hold the same images, so the same distance, though y (another size) sits between them.
    expect(lines[1].split(',')[2]).toBe(lines[3].split(',').slice(-6)[0]);
  });
});

describe('distance command helpers', () => {
  it('formatValue keeps seven significant digits', () => {
    expect(formatValue(0.72188061475753784)).toBe('0.7218806');
    expect(formatValue(4.826555252075195)).toBe('4.826555');
    expect(formatValue(Infinity)).toBe('Infinity');
  });

  it('reconcileSizes: shorter-64 keeps the aspect ratio and refuses ratios that differ', async () => {
    const [a, b] = await reconcileSizes(image(128, 96, 1), image(256, 192, 2), 'shorter-64', ['a', 'b']);
    expect(a.shape).toEqual([1, 85, 64, 3]);
    expect(b.shape).toEqual([1, 85, 64, 3]);
    await expect(reconcileSizes(image(64, 64, 1), image(64, 128, 2), 'shorter-64', ['a.png', 'b.png'])).rejects.toThrow(InputError);
    await expect(reconcileSizes(image(64, 64, 1), image(64, 128, 2), 'shorter-64', ['a.png', 'b.png'])).rejects.toThrow(/become 64x64 and 128x64/);
  });

  it('pairFolders reports an empty first folder', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'percept-empty-'));
    try {
      await expect(pairFolders(empty, empty)).rejects.toThrow(/--dir0 .*: no image files/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
