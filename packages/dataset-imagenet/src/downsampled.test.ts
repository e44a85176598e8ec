import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { openDownsampledImagenet } from './downsampled.js';
import { encodeNpy } from './npy.js';
import { readZipDirectory, readZipEntry } from './zip.js';
import type { ImagenetBatch } from './dataset.js';

const S = 4;
const ROW = 3 * S * S;

/** Image i: every byte distinct and derived from (i, channel, y, x), stored CHW as in the npz files. */
const value = (i: number, c: number, y: number, x: number) => (i * 37 + c * 16 + y * S + x) % 256;
function rows(first: number, n: number): Uint8Array {
  const d = new Uint8Array(n * ROW);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    d[i * ROW + c * S * S + y * S + x] = value(first + i, c, y, x);
  }
  return d;
}
function int64(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 8);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setBigInt64(i * 8, BigInt(x), true));
  return b;
}
function npz(first: number, labels: number[], level: 0 | 6, extra: Record<string, Uint8Array> = {}): Uint8Array {
  return zipSync({
    'data.npy': [encodeNpy('|u1', [labels.length, ROW], rows(first, labels.length)), { level }],
    'labels.npy': [encodeNpy('<i8', [labels.length], int64(labels)), { level }],
    ...extra,
  });
}
async function collect(it: AsyncIterable<ImagenetBatch>): Promise<ImagenetBatch[]> {
  const out: ImagenetBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'percept-npz-'));
  // Two training batches (one deflated, one stored) and a val file; labels are 1-based.
  await writeFile(join(root, 'train_data_batch_1.npz'), npz(0, [1, 2, 3, 4, 5], 6));
  await writeFile(join(root, 'train_data_batch_2.npz'), npz(5, [10, 9, 8], 0));
  await writeFile(join(root, 'train_data_batch_10.npz'), npz(8, [7], 6));
  await writeFile(join(root, 'val_data.npz'), npz(100, [1000, 1], 6, { 'mean.npy': encodeNpy('|u1', [1], new Uint8Array(1)) }));
  await writeFile(join(root, 'bad_label.npz'), npz(0, [1, 0], 6));
  await writeFile(join(root, 'no_labels.npz'), zipSync({ 'data.npy': encodeNpy('|u1', [1, ROW], rows(0, 1)) }));
  await writeFile(join(root, 'not_a_zip.npz'), 'hello');
});
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

describe('imagenet-downsampled reader', () => {
  it('streams CHW rows into NHWC [0,1] batches with 0-based labels, files in batch-number order', async () => {
    const ds = await openDownsampledImagenet({ root, split: 'train', batchSize: 2 });
    expect(ds.size).toBe(9);
    expect(ds.side).toBe(S);
    const batches = await collect(ds);
    // Batches never span files: 5 -> 2,2,1; 3 -> 2,1; 1 -> 1 (batch 10 after batch 2, numerically).
    expect(batches.map((b) => b.labels.length)).toEqual([2, 2, 1, 2, 1, 1]);
    expect(batches.flatMap((b) => [...b.labels])).toEqual([0, 1, 2, 3, 4, 9, 8, 7, 6]);
    expect(batches[3].names[0]).toBe(`${join(root, 'train_data_batch_2.npz')}#0`);
    // Pixel (y=1, x=2) of image 3 (second of batch 1): NHWC index ((1·S)+2)·3 + c.
    const img = batches[1].images;
    expect(img.shape).toEqual([2, S, S, 3]);
    for (let c = 0; c < 3; c++) expect(img.data[S * S * 3 + (1 * S + 2) * 3 + c] * 255).toBeCloseTo(value(3, c, 1, 2), 4);
    // Last image, stored (uncompressed) member of batch 10.
    expect(batches[5].images.data[0] * 255).toBeCloseTo(value(8, 0, 0, 0), 4);
  });

  it('reads val_data.npz, applies limit across files, and stops early without hanging', async () => {
    const val = await openDownsampledImagenet({ root, batchSize: 8 });
    const [b] = await collect(val);
    expect([...b.labels]).toEqual([999, 0]);
    const limited = await openDownsampledImagenet({ root, split: 'train', batchSize: 4, limit: 6 });
    expect(limited.size).toBe(6);
    expect((await collect(limited)).map((x) => x.labels.length)).toEqual([4, 1, 1]);
    for await (const first of await openDownsampledImagenet({ root, split: 'train', batchSize: 1 })) {
      expect(first.labels[0]).toBe(0);
      break;
    }
  });

  it('reads chosen rows of a file as uint8 HWC, stored members at their offsets, deflated ones as a bounded stream', async () => {
    // Noise rows (image-like: deflate barely shrinks them), 40 per file.
    let state = 12345;
    const noise = new Uint8Array(40 * ROW).map(() => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state >>> 24; });
    const labels = Array.from({ length: 40 }, (_, i) => 1 + (i % 7));
    const file = (level: 0 | 6) => zipSync({
      'data.npy': [encodeNpy('|u1', [40, ROW], noise), { level }],
      'labels.npy': [encodeNpy('<i8', [40], int64(labels)), { level }],
    });
    await writeFile(join(root, 'big_deflated.npz'), file(6));
    await writeFile(join(root, 'big_stored.npz'), file(0));
    expect((await readZipDirectory(join(root, 'big_stored.npz'))).map((e) => e.method)).toEqual([0, 0]);
    expect((await readZipDirectory(join(root, 'big_deflated.npz'))).map((e) => e.method)).toEqual([8, 8]);
    const ds = await openDownsampledImagenet({ root, files: ['big_deflated.npz', 'big_stored.npz'] });
    expect(ds.shards.map((s) => [s.name, s.labels.length, s.labels[8]])).toEqual([
      [join(root, 'big_deflated.npz'), 40, 1], [join(root, 'big_stored.npz'), 40, 1],
    ]);
    const pixel = (row: number, c: number, y: number, x: number) => noise[row * ROW + c * S * S + y * S + x];
    const rowsWanted = [0, 3, 4, 5, 17, 18, 39];
    for (const shard of [0, 1]) {
      ds.readStats.peakPendingBytes = 0;
      const got: number[] = [];
      // Chunks of 3 rows: neither path holds more than a chunk plus a partial row.
      for await (const r of ds.readRows(shard, rowsWanted, { chunkBytes: 3 * ROW })) {
        got.push(r.row);
        expect([r.height, r.width, r.data.length]).toEqual([S, S, ROW]);
        for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) expect(r.data[(y * S + x) * 3 + c]).toBe(pixel(r.row, c, y, x));
      }
      expect(got).toEqual(rowsWanted);
      expect(ds.readStats.peakPendingBytes).toBeGreaterThan(0);
      // A read chunk (inflated: about as large for noise) plus a partial row, never the 40-row member.
      expect(ds.readStats.peakPendingBytes).toBeLessThan(6 * ROW);
    }
    // Stopping early releases the file; bad row lists name the file.
    for await (const r of ds.readRows(0, [2, 30])) { expect(r.row).toBe(2); break; }
    const all = async (it: AsyncIterable<unknown>) => { for await (const _ of it) { /* drain */ } };
    await expect(all(ds.readRows(1, [4, 4]))).rejects.toThrow(/big_stored\.npz: readRows needs strictly ascending rows in 0\.\.39; got 4 at position 1 after 4/);
    await expect(all(ds.readRows(0, [40]))).rejects.toThrow(/big_deflated\.npz: readRows needs strictly ascending rows/);
    await expect(all(ds.readRows(2, [0]))).rejects.toThrow(/no shard 2/);
    // A damaged deflate stream is an error naming the file and member.
    const damaged = file(6);
    for (let k = 38; k < 48; k++) damaged[k] ^= 0x5a; // the first deflate block header of data.npy
    await writeFile(join(root, 'big_corrupt.npz'), damaged);
    await expect(openDownsampledImagenet({ root, files: ['big_corrupt.npz'] })).rejects.toThrow(/big_corrupt\.npz: member data\.npy is corrupt \(inflate failed: /);
  });

  it('rejects bad files, naming file and field', async () => {
    await expect(openDownsampledImagenet({ root, files: ['bad_label.npz'] })).rejects.toThrow(/bad_label\.npz: labels\[1\] is 0; downsampled ImageNet labels are 1-based/);
    await expect(openDownsampledImagenet({ root, files: ['no_labels.npz'] })).rejects.toThrow(/no_labels\.npz: no array "labels"/);
    await expect(openDownsampledImagenet({ root, files: ['not_a_zip.npz'] })).rejects.toThrow(/not_a_zip\.npz: not a zip file/);
    await expect(openDownsampledImagenet({ root: join(root, 'missing') })).rejects.toThrow(/cannot list/);
  });

  it('checks each member read to its end against its CRC-32', async () => {
    for (const level of [0, 6] as const) {
      const file = join(root, `damaged-${level}.npz`);
      const bytes = npz(0, [1, 2, 3, 4, 5, 6, 7, 8], level);
      await writeFile(file, bytes);
      const entry = (await readZipDirectory(file)).find((e) => e.name === 'data.npy')!;
      await expect(readZipEntry(file, entry)).resolves.toHaveLength(entry.size);
      // Flip one bit in the middle of the member's data (the local header of the first member is at 0).
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      const dataStart = 30 + view.getUint16(26, true) + view.getUint16(28, true);
      bytes[dataStart + Math.floor(entry.compressedSize / 2)] ^= 0x10;
      await writeFile(file, bytes);
      await expect(readZipEntry(file, entry)).rejects.toThrow(new RegExp(`damaged-${level}\\.npz: member data\\.npy (fails its CRC-32 check|is corrupt)`));
    }
  });
});
