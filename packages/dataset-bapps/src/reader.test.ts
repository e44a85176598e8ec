import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile, unlink, rename, mkdir, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageBatch } from '@percept/core';
import { InputError } from '@percept/core';
import { writePng } from '@percept/images';
import { writeJndSubset, writeTwoAfcSubset, type TwoAfcTriplet } from './writer.js';
import { openJnd, openTwoAfc, type TwoAfcBatch } from './reader.js';
import { encodeNpy } from './npy.js';

/** A flat 64×64 image whose every channel value is k/255 (exact through PNG). */
function flat(k: number, size = 64): ImageBatch {
  return { data: new Float32Array(size * size * 3).fill(k / 255), shape: [1, size, size, 3] };
}

function triplet(i: number): TwoAfcTriplet {
  return { ref: flat(10 * i), p0: flat(10 * i + 1), p1: flat(10 * i + 2), judge: (i % 5) / 5 };
}

async function collect<B>(it: AsyncIterable<B>): Promise<B[]> {
  const out: B[] = [];
  for await (const b of it) out.push(b);
  return out;
}

let root: string;
beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'percept-bapps-')); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

describe('writer -> reader round trip', () => {
  it('writes the BAPPS layout and reads back the same pixels, judgements and order', async () => {
    const r = join(root, 'rt');
    const written = await writeTwoAfcSubset(r, 'val', 'traditional', (function* () { for (let i = 0; i < 5; i++) yield triplet(i); })());
    expect(written).toEqual({ count: 5, dir: join(r, '2afc', 'val', 'traditional') });
    await writeTwoAfcSubset(r, 'val', 'cnn', [triplet(7)]);

    const ds = await openTwoAfc({ root: r, subsets: ['traditional', 'cnn'], batchSize: 2 });
    expect(ds.size).toBe(6);
    expect(ds.subsets).toEqual(['traditional', 'cnn']);
    const batches = await collect<TwoAfcBatch>(ds);
    // Batches never span subsets: 2 + 2 + 1 for traditional, 1 for cnn.
    expect(batches.map((b) => [b.subset, b.names.length])).toEqual([['traditional', 2], ['traditional', 2], ['traditional', 1], ['cnn', 1]]);
    expect(batches.flatMap((b) => b.names)).toEqual(['000000', '000001', '000002', '000003', '000004', '000000']);
    const b1 = batches[1];
    expect(b1.ref.shape).toEqual([2, 64, 64, 3]);
    expect(b1.ref.data[0]).toBeCloseTo(20 / 255, 6);
    expect(b1.p0.data[64 * 64 * 3]).toBeCloseTo(31 / 255, 6); // second sample of the batch
    expect(b1.p1.data[64 * 64 * 3 + 5]).toBeCloseTo(32 / 255, 6);
    expect(b1.images.shape).toEqual([6, 64, 64, 3]);
    expect(Array.from(b1.images.data)).toEqual([...b1.ref.data, ...b1.p0.data, ...b1.p1.data]);
    expect(Array.from(batches.flatMap((b) => Array.from(b.judge)))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 0.4].map(Math.fround));
    expect(ds.skipped).toEqual([]);
  });

  it('round-trips a JND subset', async () => {
    const r = join(root, 'jnd-rt');
    await writeJndSubset(r, 'cnn', [{ p0: flat(1), p1: flat(2), same: 1 / 3 }, { p0: flat(3), p1: flat(3), same: 1 }]);
    const ds = await openJnd({ root: r, subsets: ['cnn'] });
    const [b] = await collect(ds);
    expect(b.subset).toBe('cnn');
    expect(Array.from(b.same)).toEqual([Math.fround(1 / 3), 1]);
    expect(b.p1.data[64 * 64 * 3]).toBeCloseTo(3 / 255, 6);
  });

  it('refuses to write over a non-empty subset and rejects out-of-range judgements', async () => {
    const r = join(root, 'guard');
    await writeTwoAfcSubset(r, 'train', 'mix', [triplet(0)]);
    await expect(writeTwoAfcSubset(r, 'train', 'mix', [triplet(1)])).rejects.toThrowError(/mix: subset folder already exists/);
    await expect(writeTwoAfcSubset(r, 'val', 'x', [{ ...triplet(0), judge: 1.5 }])).rejects.toThrowError(/item 0 field "judge" must be a number in \[0,1\], got 1\.5/);
  });

  it('resizes images that are not 64x64 (shorter side to 64)', async () => {
    const r = join(root, 'small');
    await writeTwoAfcSubset(r, 'val', 'color', [{ ref: flat(100, 8), p0: flat(50, 8), p1: flat(200, 8), judge: 0 }]);
    const [b] = await collect(await openTwoAfc({ root: r, subsets: ['color'] }));
    expect(b.ref.shape).toEqual([1, 64, 64, 3]);
    // A flat image stays flat under any normalised resampling filter.
    expect(b.ref.data[64 * 64 * 3 - 1]).toBeCloseTo(100 / 255, 5);
  });
});

describe('reader pairing and errors', () => {
  async function fixture(name: string, n = 3): Promise<string> {
    const r = join(root, name);
    await writeTwoAfcSubset(r, 'val', 'cnn', Array.from({ length: n }, (_, i) => triplet(i)));
    return r;
  }

  it('names both files when sorted order pairs different names', async () => {
    const r = await fixture('mismatch');
    const p1 = join(r, '2afc/val/cnn/p1');
    await rename(join(p1, '000001.png'), join(p1, '000001b.png'));
    await expect(openTwoAfc({ root: r, subsets: ['cnn'] })).rejects.toThrowError(
      new RegExp(`position 1: .*ref/000001\\.png and .*p1/000001b\\.png`),
    );
  });

  it('names the folders and an unmatched file when counts differ', async () => {
    const r = await fixture('count');
    await unlink(join(r, '2afc/val/cnn/judge/000002.npy'));
    const err = await openTwoAfc({ root: r, subsets: ['cnn'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/ref has 3, .*judge has 2; .*ref\/000002\.png has no counterpart in .*judge/);
  });

  it('names a missing subset folder', async () => {
    const r = await fixture('missing');
    await expect(openTwoAfc({ root: r, subsets: ['cnn', 'deblur'] })).rejects.toThrowError(/2afc\/val\/deblur\/ref: BAPPS folder is missing/);
  });

  it('fails on an unreadable image or a NaN judgement, naming the file', async () => {
    const r = await fixture('bad');
    await writeFile(join(r, '2afc/val/cnn/p0/000001.png'), 'not a png');
    await expect(collect(await openTwoAfc({ root: r, subsets: ['cnn'] }))).rejects.toThrowError(/p0\/000001\.png/);

    const r2 = await fixture('nan');
    await writeFile(join(r2, '2afc/val/cnn/judge/000002.npy'), encodeNpy({ shape: [1], data: [Number.NaN] }));
    await expect(collect(await openTwoAfc({ root: r2, subsets: ['cnn'] }))).rejects.toThrowError(/judge\/000002\.npy: judge must be a number in \[0,1\], found NaN/);

    const r3 = await fixture('range');
    await writeFile(join(r3, '2afc/val/cnn/judge/000000.npy'), encodeNpy({ shape: [1, 1, 1], data: [1.2] }));
    await expect(collect(await openTwoAfc({ root: r3, subsets: ['cnn'] }))).rejects.toThrowError(/judge\/000000\.npy: .*found 1\.2/);
  });

  it('skip mode drops bad and unmatched samples and counts them', async () => {
    const r = await fixture('skip', 5);
    const d = join(r, '2afc/val/cnn');
    await writeFile(join(d, 'p0/000001.png'), 'not a png'); // decode-time failure
    await writeFile(join(d, 'judge/000003.npy'), encodeNpy({ shape: [1], data: [Number.NaN] })); // bad judge
    await unlink(join(d, 'p1/000004.png')); // unmatched at pairing time
    await mkdir(join(d, 'extra'));
    const ds = await openTwoAfc({ root: r, subsets: ['cnn'], onError: 'skip', batchSize: 2 });
    expect(ds.size).toBe(4); // 000004 is dropped while pairing
    const batches = await collect(ds);
    expect(batches.flatMap((b) => b.names)).toEqual(['000000', '000002']);
    expect(ds.skipped.map((s) => [s.name, s.file.replace(`${d}/`, '')])).toEqual([
      ['000004', 'p1'], ['000001', 'p0/000001.png'], ['000003', 'judge/000003.npy'],
    ]);
    expect(ds.skipped[2].reason).toMatch(/NaN/);
    await collect(ds); // a second pass reports the same three, not six
    expect(ds.skipped).toHaveLength(3);
  });

  it('skip mode keeps the surviving samples\' pixels in place (ref, p0, p1 and the stacked images)', async () => {
    const r = await fixture('skip-pixels', 5);
    const d = join(r, '2afc/val/cnn');
    await writeFile(join(d, 'p1/000001.png'), 'not a png');
    await writeFile(join(d, 'ref/000003.png'), 'not a png');
    const [b] = await collect<TwoAfcBatch>(await openTwoAfc({ root: r, subsets: ['cnn'], onError: 'skip', batchSize: 5 }));
    expect(b.names).toEqual(['000000', '000002', '000004']);
    const len = 64 * 64 * 3;
    const firstPixels = (x: ImageBatch) => Array.from({ length: x.shape[0] }, (_, i) => Math.round(x.data[i * len] * 255));
    expect(firstPixels(b.ref)).toEqual([0, 20, 40]);
    expect(firstPixels(b.p0)).toEqual([1, 21, 41]);
    expect(firstPixels(b.p1)).toEqual([2, 22, 42]);
    expect(b.images.shape).toEqual([9, 64, 64, 3]);
    expect(firstPixels(b.images)).toEqual([0, 20, 40, 1, 21, 41, 2, 22, 42]);
    expect(b.ref.data.buffer).toBe(b.images.data.buffer); // views, not copies
    expect(Array.from(b.judge)).toEqual([0, 0.4, 0.8].map(Math.fround));
  });

  it('reuseBuffers: two buffers take turns, each batch intact while it is the current one', async () => {
    const r = await fixture('reuse', 7);
    const firsts = (b: TwoAfcBatch) => Array.from({ length: b.images.shape[0] }, (_, i) => Math.round(b.images.data[i * 64 * 64 * 3] * 255));
    const fresh: number[][] = [];
    for await (const b of await openTwoAfc({ root: r, subsets: ['cnn'], batchSize: 2 })) fresh.push(firsts(b));
    const reused: number[][] = [];
    const buffers: ArrayBufferLike[] = [];
    for await (const b of await openTwoAfc({ root: r, subsets: ['cnn'], batchSize: 2, reuseBuffers: true })) {
      reused.push(firsts(b));
      buffers.push(b.images.data.buffer);
    }
    expect(reused).toEqual(fresh);
    expect(fresh[0]).toEqual([0, 10, 1, 11, 2, 12]);
    expect(buffers).toHaveLength(4);
    expect(buffers[2]).toBe(buffers[0]);
    expect(buffers[3]).toBe(buffers[1]);
    expect(buffers[1]).not.toBe(buffers[0]);
    await expect(openTwoAfc({ root: r, subsets: ['cnn'], reuseBuffers: 'yes' as unknown as boolean })).rejects.toThrow(/"reuseBuffers" must be true or false/);
  });

  it('accepts one-element judgements of any shape and dtype, and nested folders', async () => {
    const r = join(root, 'shapes');
    const d = join(r, '2afc/val/superres');
    for (const f of ['ref', 'p0', 'p1', 'judge']) await mkdir(join(d, f, 'a'), { recursive: true });
    for (const f of ['ref', 'p0', 'p1']) await writePng(join(d, f, 'a', '7.png'), flat(9));
    await writeFile(join(d, 'judge/a/7.npy'), encodeNpy({ dtype: 'f8', shape: [], data: [0.8] }));
    const [b] = await collect(await openTwoAfc({ root: r, subsets: ['superres'] }));
    expect(b.names).toEqual(['a/7']);
    expect(b.judge[0]).toBeCloseTo(0.8, 6);
  });

  it('limits samples per subset', async () => {
    const r = await fixture('limit', 4);
    await cp(join(r, '2afc/val/cnn'), join(r, '2afc/val/color'), { recursive: true });
    const ds = await openTwoAfc({ root: r, subsets: ['cnn', 'color'], limit: 3 });
    expect(ds.size).toBe(6);
    expect(ds.sizeOf('color')).toBe(3);
  });
});
