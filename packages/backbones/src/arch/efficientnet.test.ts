import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IRGraph } from '../ir.js';
import { efficientnet, efficientnetPreset, efficientnetPresets, efficientnet_b0, makeDivisible } from './efficientnet.js';
import { inferShapes } from '../graph/shapes.js';
import { countParams } from '../graph/params.js';
import { readSafetensors } from '../weights/safetensors.js';
import { loadWeightsStrict } from '../weights/strict.js';

/** Written by ../__fixtures__/efficientnet_reference.py from torchvision 0.14's efficientnet_b0 … b7. */
const fixture = (name: string) => fileURLToPath(new URL(`../__fixtures__/${name}`, import.meta.url));
interface Variant {
  tensors: number; params: number; digest: string; bnEps: number; bnMomentum: number; dropout: number;
  lastStochasticDepth: number; blocks: number[]; featureShapes64: number[][];
}
const torchvision = JSON.parse(readFileSync(fixture('efficientnet-torchvision.json'), 'utf8')) as { variants: Record<string, Variant> };

/** Same digest as the generator: sha256 of the sorted "name shape" lines of the state dict. */
function digest(graph: IRGraph): string {
  const lines = graph.params.map((p) => `${p.name} ${p.shape.join('x')}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** The node whose output is torchvision's features[i]. */
function featureNode(graph: IRGraph, i: number): string {
  if (i === 0) return 'features.0.2';
  if (i === 8) return 'features.8.2';
  const blocks = graph.nodes.filter((n) => new RegExp(`^features\\.${i}\\.\\d+$`).test(n.id)).map((n) => n.id);
  return blocks[blocks.length - 1];
}

describe('efficientnet', () => {
  it('_make_divisible as torchvision computes it', () => {
    expect([32, 16, 24, 40, 80, 112, 192, 320].map((c) => makeDivisible(c * 1.1))).toEqual([32, 16, 24, 48, 88, 120, 208, 352]);
    expect([3.2, 4, 11.2, 19.2].map((v) => makeDivisible(v))).toEqual([8, 8, 16, 24]);
  });

  for (const [name, tv] of Object.entries(torchvision.variants)) {
    it(`${name}: parameter names and shapes equal torchvision's state dict; BN, dropout, stochastic depth and every features[i] shape at 64×64`, () => {
      const g = efficientnetPreset(name);
      expect(g.params).toHaveLength(tv.tensors);
      expect(countParams(g)).toBe(tv.params);
      expect(digest(g)).toBe(tv.digest);
      const bns = g.nodes.filter((n) => n.op === 'batchnorm');
      expect(new Set(bns.map((n) => n.op === 'batchnorm' && `${n.eps}/${n.momentum}`))).toEqual(new Set([`${tv.bnEps}/${tv.bnMomentum}`]));
      const drop = g.nodes.find((n) => n.id === 'classifier.0');
      expect(drop?.op === 'dropout' && drop.rate).toBe(tv.dropout);
      // torchvision gives block b of B the rate 0.2·b/B (the last block's is in the fixture); only residual blocks use it.
      const total = tv.blocks.reduce((a, b) => a + b, 0);
      expect(0.2 * (total - 1) / total).toBeCloseTo(tv.lastStochasticDepth, 12);
      const blockIds = g.nodes.filter((n) => /^features\.[1-7]\.\d+$/.test(n.id)).map((n) => n.id);
      const sd = g.nodes.filter((n) => n.op === 'stochasticdepth');
      expect(sd.length).toBeGreaterThan(0);
      for (const n of sd) {
        const b = blockIds.indexOf(n.id.replace(/\.stochastic_depth$/, ''));
        expect(n.op === 'stochasticdepth' && n.rate, n.id).toBeCloseTo(0.2 * b / total, 12);
      }
      for (let s = 1; s <= 7; s++) {
        expect(g.nodes.filter((n) => new RegExp(`^features\\.${s}\\.\\d+$`).test(n.id)), `stage ${s}`).toHaveLength(tv.blocks[s - 1]);
      }
      const shapes = inferShapes(g, [1, 3, 64, 64]);
      for (let i = 0; i <= 8; i++) expect(shapes.get(featureNode(g, i)), `features.${i}`).toEqual(tv.featureShapes64[i]);
      expect(Object.keys(g.taps)).toEqual(['reduction2', 'reduction3', 'reduction4', 'reduction5']);
      expect(Object.values(g.taps).map((t) => t.node)).toEqual([2, 3, 5, 7].map((i) => featureNode(g, i)));
      expect(Object.values(g.taps).map((t) => shapes.get(t.node)![2])).toEqual([16, 8, 4, 2]);
      expect(shapes.get(g.logits!)).toEqual([1, 1000]);
    });
  }

  it('B0 block anatomy: expansion only when the ratio is not 1, residual (with stochastic depth) only when shape is kept', () => {
    const g = efficientnet_b0();
    const ids = new Set(g.nodes.map((n) => n.id));
    // Stage 1 (expand ratio 1): depthwise is block.0, SE block.1, project block.2; no residual (32 → 16).
    expect(['features.1.0.block.0.0', 'features.1.0.block.1.fc1', 'features.1.0.block.2.0'].every((id) => ids.has(id))).toBe(true);
    expect(g.nodes.find((n) => n.id === 'features.1.0')!.op).toBe('batchnorm');
    // features.2.1: expand block.0, depthwise block.1 (3×3, groups = 96), SE block.2 (squeeze 24 // 4 = 6), project block.3, add.
    const dw = g.nodes.find((n) => n.id === 'features.2.1.block.1.0')!;
    expect(dw.op === 'conv2d' && [dw.groups, dw.inChannels, dw.kernel[0], dw.stride[0], dw.pads[0]]).toEqual([144, 144, 3, 1, 1]);
    const fc1 = g.nodes.find((n) => n.id === 'features.2.1.block.2.fc1')!;
    expect(fc1.op === 'conv2d' && [fc1.inChannels, fc1.outChannels, fc1.bias]).toEqual([144, 6, true]);
    const add = g.nodes.find((n) => n.id === 'features.2.1')!;
    expect(add.op).toBe('add');
    expect(add.inputs).toEqual(['features.2.1.stochastic_depth', 'features.2.0']);
    expect(g.nodes.find((n) => n.id === 'features.2.1.block.2')!.inputs).toEqual(['features.2.1.block.2.scale_activation', 'features.2.1.block.1.2']);
    // Stochastic-depth rate 0.2·b/16 for block b: features.2.1 is block 2.
    const sd = g.nodes.find((n) => n.id === 'features.2.1.stochastic_depth')!;
    expect(sd.op === 'stochasticdepth' && sd.rate).toBeCloseTo(0.2 * 2 / 16, 12);
    expect(efficientnet_b0({ stochasticDepth: 0 }).nodes.some((n) => n.op === 'stochasticdepth')).toBe(false);
    expect(efficientnet_b0({ dropout: 0 }).nodes.some((n) => n.op === 'dropout')).toBe(false);
  });

  it('trunk (classes 0), width/depth knobs on a variant, and clear option errors', () => {
    const trunk = efficientnet_b0({ classes: 0 });
    expect(trunk.logits).toBeUndefined();
    expect(trunk.params.some((p) => p.name.startsWith('classifier.'))).toBe(false);
    expect(trunk.params.some((p) => p.name === 'features.8.0.weight')).toBe(true);
    const b5half = efficientnetPreset('efficientnet_b5', { width: 0.5 });
    expect(b5half.name).toBe('efficientnet_b5-w0.5');
    expect(inferShapes(b5half, [1, 3, 64, 64]).get(b5half.taps.reduction5.node)).toEqual([1, makeDivisible(320 * 0.8), 2, 2]);
    expect(Object.keys(efficientnetPresets)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `efficientnet_b${i}`));
    expect(() => efficientnet({ width: 0 })).toThrow(/option "width" must be a positive number/);
    expect(() => efficientnet({ classes: 1.5 })).toThrow(/option "classes" must be a non-negative integer/);
    expect(() => efficientnet({ dropout: 1 })).toThrow(/option "dropout" must be in \[0, 1\)/);
    expect(() => efficientnet({ stochasticDepth: -0.1 })).toThrow(/option "stochasticDepth" must be in \[0, 1\)/);
    expect(() => efficientnetPreset('efficientnet_b9')).toThrow(/unknown variant "efficientnet_b9"; expected one of efficientnet_b0, /);
  });

  it('loads the reduced torchvision reference (width 0.1, depth 0.5) strictly, num_batches_tracked included; tap shapes match', async () => {
    const file = await readSafetensors(fixture('efficientnet-reference.safetensors'));
    expect(file.metadata.architecture).toContain('width_mult=0.1, depth_mult=0.5, dropout=0.2, num_classes=10');
    const g = efficientnet({ width: 0.1, depth: 0.5, classes: 10 });
    const weights = loadWeightsStrict(g, file, { ignore: ['input', 'expected.'] });
    expect(weights.size).toBe(g.params.length);
    expect([...file.tensors.keys()].filter((k) => k.endsWith('num_batches_tracked')).length).toBe(g.params.filter((p) => p.optional).length);
    const shapes = inferShapes(g, file.tensors.get('input')!.shape);
    const taps = { reduction2: 2, reduction3: 3, reduction4: 5, reduction5: 7 };
    for (const [tap, i] of Object.entries(taps)) expect(shapes.get(g.taps[tap].node), tap).toEqual(file.tensors.get(`expected.features.${i}`)!.shape);
    expect(shapes.get(g.logits!)).toEqual(file.tensors.get('expected.logits')!.shape);
  });
});
