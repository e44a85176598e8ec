/**
 * Real ImageNet weights end to end: the LPIPS AlexNet and SqueezeNet 1.1 trunks (ceil-mode pools,
 * fire-module concats) run on tfjs, and the LPIPS distances computed from their taps match the
 * official PyTorch code's (../shared/reference/lpips-examples.json), per layer.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedAssets } from '@percept/core/testing';
import type { HostTensor } from '@percept/core';
import { alexnet, loadWeightsStrict, readSafetensors, squeezenet1_1, type IRGraph, type IRModelSpec, type Preprocessing } from '@percept/backbones';
import { readImages } from '@percept/images';
import { TfjsBackend } from './backend.js';

const assets = sharedAssets(
  'weights/alexnet-features.safetensors', 'weights/squeezenet1_1-features.safetensors',
  'weights/lpips-v0.1-alex-lin.safetensors', 'weights/lpips-v0.1-squeeze-lin.safetensors',
  'images/lpips-examples/ex_ref.png', 'reference/lpips-examples.json',
);

/**
 * LPIPS maps pixels to [-1, 1] (x/127.5 − 1) and then applies its ScalingLayer
 * ((x − shift)/scale, shift = [−.030, −.088, −.188], scale = [.458, .448, .450]); on [0, 1] pixels
 * that is (p − (1 + shift)/2) / (scale/2).
 */
const lpipsInput: Preprocessing = {
  size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1,
  mean: [(1 - 0.03) / 2, (1 - 0.088) / 2, (1 - 0.188) / 2],
  std: [0.458 / 2, 0.448 / 2, 0.45 / 2],
};

interface RefPair { net: string; variant: string; a: string; b: string; distance: number; perLayer: number[] }

/** Σ_c w_c (â − b̂)², averaged over positions, with â = a / (‖a‖₂ + 1e-10) over channels (NHWC, sample 0 vs 1). */
function layerDistance(t: HostTensor, weights?: Float32Array): number {
  const [, h, w, c] = t.shape;
  const plane = h * w;
  let total = 0;
  for (let p = 0; p < plane; p++) {
    const a = t.data.subarray(p * c, p * c + c);
    const b = t.data.subarray((plane + p) * c, (plane + p) * c + c);
    let na = 0, nb = 0;
    for (let k = 0; k < c; k++) { na += a[k] * a[k]; nb += b[k] * b[k]; }
    na = Math.sqrt(na) + 1e-10;
    nb = Math.sqrt(nb) + 1e-10;
    for (let k = 0; k < c; k++) total += (weights ? weights[k] : 1) * (a[k] / na - b[k] / nb) ** 2;
  }
  return total / plane;
}

const nets: Record<string, { graph: () => IRGraph; weights: string; lin: string }> = {
  alex: { graph: () => alexnet(), weights: 'weights/alexnet-features.safetensors', lin: 'weights/lpips-v0.1-alex-lin.safetensors' },
  squeeze: { graph: () => squeezenet1_1(), weights: 'weights/squeezenet1_1-features.safetensors', lin: 'weights/lpips-v0.1-squeeze-lin.safetensors' },
};

describe.skipIf(!assets.available)('LPIPS trunks with real weights on tfjs-wasm', () => {
  for (const [net, def] of Object.entries(nets)) {
    it(`${net}: baseline and lin distances match the official LPIPS code per layer`, async () => {
      const graph = def.graph();
      const weights = loadWeightsStrict(graph, await readSafetensors(assets.path(def.weights)));
      const lin = await readSafetensors(assets.path(def.lin));
      const backend = new TfjsBackend({ engine: 'wasm' });
      const spec: IRModelSpec = { kind: 'ir', name: graph.name, graph, weights, preprocessing: lpipsInput, provenance: { source: 'file', path: def.weights } };
      const fx = await backend.load(spec);
      try {
        const ref = (JSON.parse(readFileSync(assets.refPath('lpips-examples.json'), 'utf8')) as { pairs: RefPair[] }).pairs
          .filter((p) => p.net === net && !p.a.includes('/'));
        expect(ref.length).toBeGreaterThanOrEqual(4);
        for (const pair of ref) {
          const batch = await readImages([pair.a, pair.b].map((f) => assets.path(`images/lpips-examples/${f}`)));
          const feats = await fx.extract(batch);
          expect(fx.taps).toHaveLength(pair.perLayer.length);
          fx.taps.forEach((tap, l) => {
            const w = pair.variant === 'lin' ? lin.tensors.get(`lin${l}.model.1.weight`)!.data : undefined;
            const got = layerDistance(feats.taps[tap], w);
            expect(Math.abs(got - pair.perLayer[l]), `${net} ${pair.variant} ${pair.b} ${tap}: ${got} vs ${pair.perLayer[l]}`)
              .toBeLessThanOrEqual(2e-4 * Math.max(1, pair.perLayer[l]));
          });
        }
      } finally {
        await fx.dispose();
      }
    });
  }
});
