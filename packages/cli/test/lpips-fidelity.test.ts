/**
 * LPIPS fidelity against the official PyTorch code (reference/lpips-examples.json: lpips 0.1.4,
 * version 0.1, torchvision trunks) on both backends, plus ONNX/TFJS parity on every real tap.
 * Each (net, backend) loads its model once and scores all example pairs in one batch.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { concatBatches, type Features, type ImageBatch } from '@percept/core';
import { sharedAssets } from '@percept/core/testing';
import { readImage } from '@percept/images';
import { createPerceptualDistance, type PerceptualDistance } from '../src/perceptual-distance.js';

const assets = sharedAssets(
  'weights/alexnet-features.safetensors', 'weights/squeezenet1_1-features.safetensors',
  'weights/lpips-v0.1-alex-lin.safetensors', 'weights/lpips-v0.1-squeeze-lin.safetensors',
  'images/lpips-examples/ex_ref.png', 'reference/lpips-examples.json',
);

interface RefPair { net: 'alex' | 'squeeze'; variant: 'lin' | 'baseline'; a: string; b: string; distance: number; perLayer: number[] }

const NETS = { alex: 'alexnet', squeeze: 'squeezenet1_1' } as const;
const BACKENDS = [
  { name: 'onnx', options: {} },
  // wasm explicitly: the engine every machine has, and the one the parity claim is about.
  { name: 'tfjs', options: { engine: 'wasm' } },
] as const;
const REL = 1e-4;

function relErr(got: number, want: number): number {
  return Math.abs(got - want) / Math.abs(want);
}

describe.skipIf(!assets.available)('LPIPS matches the official implementation', () => {
  let pairs: RefPair[] = [];
  let a: ImageBatch, b: ImageBatch;
  /** "a|b" of each batched pair, in batch order. */
  let pairKeys: string[] = [];
  /** Taps of the four reference images per net and backend, for the parity test. */
  const taps = new Map<string, Features>();
  /** Largest relative error per backend, printed at the end (docs/lpips.md quotes it). */
  const worst: Record<string, number> = {};

  beforeAll(async () => {
    const ref = JSON.parse(await readFile(assets.refPath('lpips-examples.json'), 'utf8')) as { pairs: RefPair[] };
    pairs = ref.pairs;
    // Every (a, b) pair the reference lists, in first-seen order, read once.
    const keys = [...new Map(pairs.map((p) => [`${p.a}|${p.b}`, p])).values()];
    const img = (f: string) => readImage(assets.path(`images/lpips-examples/${f}`));
    a = concatBatches(await Promise.all(keys.map((p) => img(p.a))));
    b = concatBatches(await Promise.all(keys.map((p) => img(p.b))));
    pairKeys = keys.map((p) => `${p.a}|${p.b}`);
  });

  afterAll(() => {
    for (const [backend, e] of Object.entries(worst)) {
      console.info(`[lpips-fidelity] ${backend}: max relative error vs official LPIPS (alex+squeeze, lin+baseline, total and per layer): ${e.toExponential(2)}`);
    }
  });

  for (const [net, backbone] of Object.entries(NETS) as ['alex' | 'squeeze', string][]) {
    for (const backend of BACKENDS) {
      it(`${net} on ${backend.name}: lin and baseline, total and per layer, within 1e-4 relative`, async () => {
        const made: PerceptualDistance[] = [];
        try {
          for (const variant of ['lin', 'baseline'] as const) {
            const d = await createPerceptualDistance({ backbone, variant, backend: backend.name, backendOptions: { ...backend.options } });
            made.push(d);
            if (backend.name === 'tfjs') expect(d.info().engine?.engine).toBe('tfjs-wasm');
            const result = await d.distance(a, b);
            const expected = pairs.filter((p) => p.net === net && p.variant === variant);
            expect(expected.length).toBe(pairKeys.length);
            expect(result.layers.length).toBe(expected[0].perLayer.length);
            for (const p of expected) {
              const i = pairKeys.indexOf(`${p.a}|${p.b}`);
              const got = [result.total[i], ...result.perLayer.map((l) => l[i])];
              const want = [p.distance, ...p.perLayer];
              got.forEach((g, k) => {
                const e = relErr(g, want[k]);
                worst[backend.name] = Math.max(worst[backend.name] ?? 0, e);
                expect(e, `${net}/${variant}/${backend.name} ${p.a} vs ${p.b} ${k === 0 ? 'total' : result.layers[k - 1]}: got ${g}, official ${want[k]}`).toBeLessThan(REL);
              });
            }
          }
          taps.set(`${net}/${backend.name}`, await made[0].features(concatBatches([a, b])));
        } finally {
          for (const d of made) await d.dispose();
        }
      });
    }

    it(`${net}: ONNX and TFJS agree on every tap within 1e-4 x max |activation|`, () => {
      const onnx = taps.get(`${net}/onnx`), tfjs = taps.get(`${net}/tfjs`);
      expect(onnx && tfjs, 'the per-backend tests above must have run').toBeTruthy();
      const names = Object.keys(onnx!.taps);
      let parity = 0;
      expect(Object.keys(tfjs!.taps)).toEqual(names);
      expect(names.length).toBe(net === 'alex' ? 5 : 7);
      for (const name of names) {
        const x = onnx!.taps[name], y = tfjs!.taps[name];
        expect(y.data.length, name).toBe(x.data.length);
        // Layouts may differ between backends (NCHW vs NHWC): compare in NCHW order.
        const xs = toNchw(x), ys = toNchw(y);
        expect(ys.shape, name).toEqual(xs.shape);
        let maxAbs = 0, maxDiff = 0;
        for (let i = 0; i < xs.data.length; i++) {
          maxAbs = Math.max(maxAbs, Math.abs(xs.data[i]));
          maxDiff = Math.max(maxDiff, Math.abs(xs.data[i] - ys.data[i]));
        }
        expect(maxAbs, `${name} is all zeros`).toBeGreaterThan(0);
        parity = Math.max(parity, maxDiff / maxAbs);
        expect(maxDiff, `${net} tap ${name}: max |onnx - tfjs| ${maxDiff} vs max |x| ${maxAbs}`).toBeLessThanOrEqual(1e-4 * maxAbs);
      }
      console.info(`[lpips-fidelity] ${net}: max |onnx - tfjs| / max |activation| over all taps: ${parity.toExponential(2)}`);
    });
  }
});

function toNchw(t: { data: Float32Array; shape: readonly number[]; layout: string }): { data: Float32Array; shape: number[] } {
  if (t.layout === 'NCHW') return { data: t.data, shape: [...t.shape] };
  if (t.layout !== 'NHWC') throw new Error(`unexpected layout ${t.layout}`);
  const [n, h, w, c] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    out[((i * c + k) * h + y) * w + x] = t.data[((i * h + y) * w + x) * c + k];
  }
  return { data: out, shape: [n, c, h, w] };
}
