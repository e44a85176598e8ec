/**
 * Real ImageNet weights end to end: the alexnet and squeezenet1_1 backbones (as @percept/backbones
 * contributes them, LPIPS preprocessing compiled into the ONNX head) must reproduce the official
 * LPIPS code's baseline distances (no lin layers: the Perceptual Score distance) on its example images.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { sharedAssets } from '@percept/core/testing';
import { concatBatches, type FeatureExtractor, type HostTensor } from '@percept/core';
import backbones, { type IRModelSpec } from '@percept/backbones';
import { readImage } from '@percept/images';
import { OnnxBackend } from './backend.js';

const assets = sharedAssets(
  'weights/alexnet-features.safetensors', 'weights/squeezenet1_1-features.safetensors',
  'reference/lpips-examples.json', 'images/lpips-examples/ex_ref.png',
);

/** LPIPS baseline per layer: channel-normalise, squared difference summed over channels, mean over positions. */
function layerDistance(t: HostTensor, a: number, b: number): number {
  const [, c, h, w] = t.shape;
  const plane = h * w;
  const norm = (n: number, p: number) => {
    let s = 0;
    for (let ch = 0; ch < c; ch++) s += t.data[(n * c + ch) * plane + p] ** 2;
    return Math.sqrt(s) + 1e-10;
  };
  let total = 0;
  for (let p = 0; p < plane; p++) {
    const na = norm(a, p), nb = norm(b, p);
    for (let ch = 0; ch < c; ch++) {
      total += (t.data[(a * c + ch) * plane + p] / na - t.data[(b * c + ch) * plane + p] / nb) ** 2;
    }
  }
  return total / plane;
}

const open: FeatureExtractor[] = [];
afterAll(async () => { for (const e of open) await e.dispose(); });

describe.skipIf(!assets.available)('LPIPS baseline distances with real weights', () => {
  const reference = assets.available
    ? (JSON.parse(readFileSync(assets.refPath('lpips-examples.json'), 'utf8')) as { pairs: Array<{ net: string; variant: string; a: string; b: string; distance: number; perLayer: number[] }> }).pairs
    : [];

  for (const [net, backbone] of [['alex', 'alexnet'], ['squeeze', 'squeezenet1_1']] as const) {
    it(`${backbone}: per-layer and total distances match the official code`, async () => {
      const contribution = backbones.contributes.find((c) => c.kind === 'backbone' && c.name === backbone);
      if (contribution?.kind !== 'backbone') throw new Error(`@percept/backbones does not contribute "${backbone}"`);
      const spec = (await contribution.build({ weights: 'pretrained' }, { baseDir: process.cwd() })) as IRModelSpec;
      const extractor = await new OnnxBackend({ intraOpNumThreads: 1 }).load(spec);
      open.push(extractor);
      const pairs = reference.filter((p) => p.net === net && p.variant === 'baseline' && p.a === 'ex_ref.png');
      expect(pairs.length).toBe(2);
      const dir = assets.path('images/lpips-examples');
      const batch = concatBatches(await Promise.all(['ex_ref.png', pairs[0].b, pairs[1].b].map((f) => readImage(`${dir}/${f}`))));
      const features = await extractor.extract(batch);
      pairs.forEach((pair, i) => {
        const perLayer = extractor.taps.map((tap) => layerDistance(features.taps[tap], 0, i + 1));
        expect(perLayer.length).toBe(pair.perLayer.length);
        perLayer.forEach((d, l) => expect(Math.abs(d - pair.perLayer[l]) / pair.perLayer[l], `${pair.b} layer ${l}`).toBeLessThan(1e-3));
        const total = perLayer.reduce((s, d) => s + d, 0);
        expect(Math.abs(total - pair.distance) / pair.distance).toBeLessThan(1e-3);
      });
    });
  }
});
