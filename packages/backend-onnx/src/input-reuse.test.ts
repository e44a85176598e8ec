/**
 * The extractor keeps its input tensor's array from one batch to the next. Results must not depend
 * on that: batches of changing sizes and overlapping extract calls give what a fresh extractor gives.
 */
import { describe, it, expect, afterAll } from 'vitest';
import type { FeatureExtractor } from '@percept/core';
import { alexnet } from '@percept/backbones';
import { OnnxBackend } from './backend.js';
import { patternBatch as batch, randomSpec } from './__fixtures__/random-models.js';

const spec = randomSpec(alexnet(), 3);

const open: FeatureExtractor[] = [];
afterAll(async () => { for (const e of open) await e.dispose(); });

async function extractor(): Promise<FeatureExtractor> {
  const e = await new OnnxBackend({ intraOpNumThreads: 1 }).load(spec);
  open.push(e);
  return e;
}

describe('input buffer reuse', () => {
  it('gives the same features as fresh extractors across batch sizes and overlapping calls', async () => {
    const inputs = [batch(3, 1), batch(1, 2), batch(4, 3), batch(2, 4)];
    const expected = [];
    for (const x of inputs) expected.push((await (await extractor()).extract(x)).taps.relu5.data);
    const shared = await extractor();
    for (const [i, x] of inputs.entries()) expect((await shared.extract(x)).taps.relu5.data).toEqual(expected[i]);
    const overlapping = await Promise.all(inputs.map((x) => shared.extract(x)));
    overlapping.forEach((f, i) => expect(f.taps.relu5.data).toEqual(expected[i]));
  });
});
