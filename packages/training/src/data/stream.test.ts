import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imagenetNormalize } from '@percept/backbones';
import { openDownsampledImagenet } from '@percept/dataset-imagenet';
import { writeNpzShards } from '../__fixtures__/npz.js';
import { toLabeledSource } from './adapt.js';
import { isSharded, selectClasses, type ShardedSource } from './source.js';
import { DataOrder } from './order.js';
import { TrainingStream, evalBatches, type StreamBatch, type StreamOptions } from './batches.js';

const SIDE = 6;
const SIZES = [12, 10, 14, 8]; // 44 samples in 4 files, alternately deflated and stored
let root: string;
let source: ShardedSource;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'percept-stream-'));
  await writeNpzShards(root, SIZES, { side: SIDE, classes: 3 });
  const s = await toLabeledSource(await openDownsampledImagenet({ root, split: 'train', classes: 3 }), 'option "train"');
  if (!isSharded(s)) throw new Error('expected a sharded source');
  source = s;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const opts = (over: Partial<StreamOptions> = {}): StreamOptions => ({
  batchSize: 4, seed: 3, bufferSize: 5, aug: { crop: 'central', flip: true, size: SIDE, cropFraction: 1 }, pre: imagenetNormalize, ...over,
});

async function take(stream: TrainingStream, n: number): Promise<StreamBatch[]> {
  const out: StreamBatch[] = [];
  for (let i = 0; i < n; i++) out.push(await stream.next());
  return out;
}

describe('streamed (sharded) training data', () => {
  it('adapts the npz files as one shard per file, with the reader\'s pixels and labels', async () => {
    expect(source.size).toBe(44);
    expect(source.shards.map((s) => s.length)).toEqual(SIZES);
    expect(source.name(13)).toBe(`${join(root, 'train_data_batch_2.npz')}#1`);
    // Rows read through the shard interface equal the reader's own batches (stored and deflated files).
    const ds = await openDownsampledImagenet({ root, split: 'train', batchSize: 100 });
    const all: number[] = [];
    for await (const b of ds) all.push(...Array.from(b.images.data, (v) => Math.round(v * 255)));
    const per = SIDE * SIDE * 3;
    for (const shard of [1, 2]) {
      const wanted = Array.from(source.shards[shard]).filter((_, k) => k % 3 !== 1);
      const got: number[] = [];
      for await (const { index, pixels } of source.read(shard, wanted)) {
        got.push(index);
        expect(Array.from(pixels.data)).toEqual(all.slice(index * per, (index + 1) * per));
        expect(source.label(index)).toBe(index % 3);
      }
      expect(got).toEqual(wanted);
    }
  });

  it('visits every sample at most once per epoch, in a seeded file order through the buffer', () => {
    const order = new DataOrder({ size: 44, batchSize: 4, seed: 3, shards: source.shards, bufferSize: 5 });
    expect(order.stepsPerEpoch).toBe(11);
    const epoch = (e: number) => Array.from({ length: 11 }, (_, b) => order.indices(e * 11 + b)).flat();
    const e0 = epoch(0), e1 = epoch(1);
    expect(new Set(e0).size).toBe(44);
    expect(e1).not.toEqual(e0);
    expect(new Set([0, 1, 2, 3].map((e) => order.permutation(e).join()))).not.toEqual(new Set([order.permutation(0).join()]));
    // A sample leaves the buffer at most bufferSize draws before... it can only be drawn after it entered.
    const perm = order.permutation(0);
    const streamPos = new Map<number, number>();
    let k = 0;
    for (const s of perm) for (const i of Array.from(source.shards[s])) streamPos.set(i, k++);
    e0.forEach((i, drawn) => expect(streamPos.get(i)!).toBeLessThan(drawn + 5));
    expect(new DataOrder({ size: 44, batchSize: 4, seed: 3, shards: source.shards, bufferSize: 5 }).indices(15)).toEqual(order.indices(15));
    expect(new DataOrder({ size: 44, batchSize: 4, seed: 4, shards: source.shards, bufferSize: 5 }).indices(0)).not.toEqual(order.indices(0));
    expect(() => new DataOrder({ size: 44, batchSize: 4, seed: 3, shards: source.shards, bufferSize: 0 })).toThrow(/"shuffleBuffer" must be a positive integer/);
  });

  it('holds at most the buffer plus the batch being assembled, never a whole file', async () => {
    const stream = new TrainingStream(source, opts());
    const batches = await take(stream, 33); // three epochs
    await stream.close();
    expect(batches.map((b) => b.epoch)).toEqual([...Array(11).fill(0), ...Array(11).fill(1), ...Array(11).fill(2)]);
    expect(stream.stats.peakHeld).toBeGreaterThan(0);
    expect(stream.stats.peakHeld).toBeLessThanOrEqual(5 + 4);
    expect(stream.stats.peakHeld).toBeLessThan(Math.max(...SIZES));
    expect(stream.stats.read).toBe(3 * 44); // every row read once per epoch, nothing re-read
    expect(batches[0].images.shape).toEqual([4, SIDE, SIDE, 3]);
    expect(Array.from(batches[5].labels)).toEqual(batches[5].indices.map((i) => i % 3));
    // Same as the order computed on indices alone.
    const order = new DataOrder({ size: 44, batchSize: 4, seed: 3, shards: source.shards, bufferSize: 5 });
    expect(batches.map((b) => b.indices)).toEqual(batches.map((_, s) => order.indices(s)));
  });

  it('resumes from a saved state with exactly the same batches, at any step', async () => {
    const ref = await take(new TrainingStream(source, opts()), 24);
    for (const at of [1, 3, 10, 11, 12, 17]) {
      // The state goes through JSON, as in the training-state file.
      const state = JSON.parse(JSON.stringify(ref[at - 1].after));
      const resumed = new TrainingStream(source, opts(), state);
      const got = await take(resumed, 24 - at);
      await resumed.close();
      got.forEach((b, k) => {
        expect(b.indices).toEqual(ref[at + k].indices);
        expect([b.epoch, b.batch]).toEqual([ref[at + k].epoch, ref[at + k].batch]);
        expect(Array.from(b.images.data)).toEqual(Array.from(ref[at + k].images.data));
      });
      expect(resumed.stats.peakHeld).toBeLessThanOrEqual(5 + 4);
    }
    const bad = { ...ref[2].after, cursor: ref[2].after.cursor + 1 };
    expect(() => new TrainingStream(source, opts(), bad, 'state.safetensors')).toThrow(/state\.safetensors: cursor \d+ does not match batch 3/);
  });

  it('streams class subsets and validation in file order', async () => {
    const two = selectClasses(source, ['2', '0']);
    if (!isSharded(two)) throw new Error('a subset of a sharded source stays sharded');
    const parent = Array.from({ length: 44 }, (_, i) => i).filter((i) => i % 3 !== 1);
    expect(two.size).toBe(parent.length);
    expect(two.shards.map((s) => s.length)).toEqual([8, 7, 9, 5]);
    two.shards.forEach((s, k) => expect(Array.from(s, (i) => two.name(i))).toEqual(Array.from(source.shards[k]).filter((i) => i % 3 !== 1).map((i) => source.name(i))));
    const stream = new TrainingStream(two, opts({ bufferSize: 3 }));
    const batches = await take(stream, 8);
    await stream.close();
    for (const b of batches) b.indices.forEach((i, k) => expect(b.labels[k]).toBe(parent[i] % 3 === 2 ? 0 : 1));
    expect(new Set(batches.slice(0, 7).flatMap((b) => b.indices)).size).toBe(28);
    const seen: number[] = [];
    for await (const e of evalBatches(two, 5, SIDE, 1, imagenetNormalize)) seen.push(...e.indices);
    expect(seen).toEqual(Array.from({ length: two.size }, (_, i) => i));
  });
});
