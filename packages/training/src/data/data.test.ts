import { describe, it, expect } from 'vitest';
import { SeededRandom, imagenetNormalize } from '@percept/backbones';
import { DataOrder, TrainingStream, trainBatch, normalizeInPlace } from './batches.js';
import { augment, inceptionBox, flipHorizontal } from './augment.js';
import { selectClasses, limitPerClass, isSharded } from './source.js';
import { syntheticSource } from '../testing-sources.js';
import { toLabeledSource } from './adapt.js';

describe('training data', () => {
  it('visits a seeded permutation per epoch, dropping the incomplete last batch', () => {
    const order = new DataOrder({ size: 10, batchSize: 3, seed: 7 });
    expect(order.stepsPerEpoch).toBe(3);
    const epoch0 = [0, 1, 2].flatMap((s) => order.indices(s));
    expect(new Set(epoch0).size).toBe(9);
    expect(order.position(4)).toEqual({ epoch: 1, batch: 1 });
    expect([3, 4, 5].flatMap((s) => order.indices(s))).not.toEqual(epoch0);
    expect(new DataOrder({ size: 10, batchSize: 3, seed: 7 }).indices(5)).toEqual(order.indices(5));
    expect(() => new DataOrder({ size: 2, batchSize: 3, seed: 0 })).toThrow(/2 samples, fewer than one batch of 3/);
    // The state of a random-access order is its position: a cursor from it continues the permutation.
    const c = order.cursor(order.initialState(4));
    expect([c.draw().out, c.draw().out, c.draw().out]).toEqual(order.indices(4));
    expect(c.state()).toEqual({ epoch: 1, batch: 2, cursor: 6, buffer: [] });
  });

  it('draws inception crops within the TF ranges and flips horizontally', () => {
    const rng = new SeededRandom(1, 'crop');
    for (let i = 0; i < 200; i++) {
      const box = inceptionBox(40, 30, rng);
      if (!box) continue;
      const [top, left, h, w] = box;
      expect(top + h).toBeLessThanOrEqual(40);
      expect(left + w).toBeLessThanOrEqual(30);
      expect(h * w).toBeGreaterThanOrEqual(0.1 * 1200);
      expect(w / h).toBeGreaterThan(0.6);
      expect(w / h).toBeLessThan(1.6);
    }
    const img = { data: Float32Array.from({ length: 2 * 3 }, (_, i) => i), shape: [1, 1, 2, 3] as [number, number, number, number] };
    expect(Array.from(flipHorizontal(img).data)).toEqual([3, 4, 5, 0, 1, 2]);
  });

  it('augments each sample deterministically from (seed, epoch, index) at the requested size', async () => {
    const src = syntheticSource({ classes: 2, perClass: 4, size: 20 });
    const img = await src.load(0);
    const a = augment(img, { crop: 'inception', flip: true, size: 12, cropFraction: 0.875 }, new SeededRandom(3, 'x'));
    const b = augment(img, { crop: 'inception', flip: true, size: 12, cropFraction: 0.875 }, new SeededRandom(3, 'x'));
    expect(a.shape).toEqual([1, 12, 12, 3]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const order = new DataOrder({ size: src.size, batchSize: 4, seed: 0 });
    const aug = { crop: 'central' as const, flip: false, size: 10, cropFraction: 1 };
    const batch = await trainBatch(src, order, 1, aug, imagenetNormalize);
    expect(batch.images.shape).toEqual([4, 10, 10, 3]);
    expect(Array.from(batch.labels)).toEqual(order.indices(1).map((i) => src.label(i)));
    // The stream the trainer reads gives the same batch.
    const stream = new TrainingStream(src, { batchSize: 4, seed: 0, bufferSize: 1, aug, pre: imagenetNormalize });
    await stream.next();
    const viaStream = await stream.next();
    await stream.close();
    expect(viaStream.indices).toEqual(batch.indices);
    expect(Array.from(viaStream.images.data)).toEqual(Array.from(batch.images.data));
    const px = Float32Array.of(0.485, 0.456, 0.406);
    normalizeInPlace(px, imagenetNormalize);
    expect(Array.from(px).every((v) => Math.abs(v) < 1e-6)).toBe(true);
  });

  it('selects classes by name and limits images per class', () => {
    const src = syntheticSource({ classes: 4, perClass: 3, size: 4 });
    const sub = selectClasses(src, ['class3', 'class1']);
    expect(sub.size).toBe(6);
    expect(sub.classes).toEqual(['class3', 'class1']);
    expect(Array.from({ length: 6 }, (_, i) => sub.label(i)).sort()).toEqual([0, 0, 0, 1, 1, 1]);
    expect(sub.name(0)).toMatch(/^synthetic\/(1|3)\//);
    expect(limitPerClass(src, 2).size).toBe(8);
  });

  // Iterate-only array datasets are streamed as one shard and kept as uint8, so the test uses
  // values that are exact multiples of 1/255.
  it('streams iterate-only array datasets as one shard (uint8)', async () => {
    const images = { data: Float32Array.from({ length: 3 * 2 * 2 * 3 }, (_, i) => ((i % 5) * 60) / 255), shape: [3, 2, 2, 3] as [number, number, number, number] };
    let passes = 0;
    const ds = {
      name: 'arrays', size: 3, subsets: ['all'], classNames: ['a', 'b'],
      async *iterate() {
        passes++;
        yield { images: { data: images.data.slice(0, 24), shape: [2, 2, 2, 3] as [number, number, number, number] }, labels: Int32Array.of(1, 0), names: ['f#0', 'f#1'] };
        yield { images: { data: images.data.slice(24), shape: [1, 2, 2, 3] as [number, number, number, number] }, labels: Int32Array.of(1), names: ['f#2'] };
      },
      async *[Symbol.asyncIterator]() { /* not used by the adapter */ },
    };
    const src = await toLabeledSource(ds, 'option "train"');
    if (!isSharded(src)) throw new Error('expected a sharded source');
    expect([src.size, src.label(0), src.label(1), src.name(2)]).toEqual([3, 1, 0, 'f#2']);
    expect(src.shards.map((s) => Array.from(s))).toEqual([[0, 1, 2]]);
    expect(passes).toBe(1); // labels and names only
    const got = [];
    for await (const r of src.read(0, [0, 2])) got.push(r);
    expect(got.map((r) => r.index)).toEqual([0, 2]);
    expect(Array.from(Float32Array.from(got[1].pixels.data, (v) => v / 255))).toEqual(Array.from(images.data.subarray(24)));
    await expect(toLabeledSource({ name: 'x', size: 0, subsets: [], async *[Symbol.asyncIterator]() {} }, 'option "val"')).rejects.toThrow(/not a labelled image dataset/);
  });
});
