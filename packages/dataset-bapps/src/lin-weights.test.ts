import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '@percept/backbones';
import { sharedAssets } from '@percept/core/testing';
import { linWeightsFromTensors, pretrainedLinPath, resolveLinWeights } from './lin-weights.js';

const t = (c: number, fill = 0.5) => ({ data: new Float32Array(c).fill(fill), shape: [1, c, 1, 1] as number[] });

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'percept-lin-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('lin weights', () => {
  it('maps lin{k}.model.1.weight to the taps in order and records the file hash', async () => {
    const tensors = new Map([['lin0.model.1.weight', t(2, 0.25)], ['lin1.model.1.weight', t(3, 2)]]);
    const bytes = writeSafetensors(tensors);
    await writeFile(join(dir, 'mine.safetensors'), bytes);
    const lin = await resolveLinWeights('mine.safetensors', { taps: ['conv1', 'conv2'], baseDir: dir });
    expect(Object.keys(lin.weights)).toEqual(['conv1', 'conv2']);
    expect(Array.from(lin.weights.conv1)).toEqual([0.25, 0.25]);
    expect(Array.from(lin.weights.conv2)).toEqual([2, 2, 2]);
    expect(lin.file).toBe(join(dir, 'mine.safetensors'));
    expect(lin.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('lists every missing, unexpected, mis-shaped and negative entry in one error naming the file', () => {
    const tensors = new Map([
      ['lin0.model.1.weight', { data: new Float32Array(4), shape: [2, 2, 1, 1] }],
      ['lin2.model.1.weight', t(2, -1)],
      ['scale', t(1)],
    ]);
    let message = '';
    try { linWeightsFromTensors(tensors, ['a', 'b'], 'w.safetensors'); } catch (e) { message = (e as Error).message; }
    expect(message).toMatch(/^w\.safetensors: not LPIPS lin weights for taps a, b/);
    expect(message).toContain('unexpected keys scale');
    expect(message).toContain('missing keys lin1.model.1.weight');
    expect(message).toContain("lin2.model.1.weight beyond the backbone's 2 taps");
    expect(message).toContain('lin0.model.1.weight has shape [2,2,1,1], expected [1,C,1,1]');
  });

  it('rejects negative weights', () => {
    expect(() => linWeightsFromTensors(new Map([['lin0.model.1.weight', t(2, -0.5)]]), ['a'], 'neg.pth'))
      .toThrowError(/neg\.pth: .*lin0\.model\.1\.weight\[0\] is -0\.5; LPIPS weights must be non-negative/);
  });

  it('"pretrained" needs a backbone with published weights and the asset folder', () => {
    expect(() => pretrainedLinPath('resnet50')).toThrowError(/backbone with published LPIPS weights \(alexnet, squeezenet1_1, vgg16\), got "resnet50"/);
    expect(() => pretrainedLinPath('alexnet', { PERCEPT_ASSETS: join(dir, 'nowhere') }))
      .toThrowError(/lpips-v0\.1-alex-lin\.safetensors not found/);
  });

  const assets = sharedAssets('weights/lpips-v0.1-squeeze-lin.safetensors', 'weights/lpips-v0.1-original/squeeze.pth');
  describe.skipIf(!assets.available)('with the real LPIPS v0.1 weights', () => {
    const taps = ['relu1', 'relu2', 'relu3', 'relu4', 'relu5', 'relu6', 'relu7'];
    it('resolves "pretrained" for squeezenet1_1 to 7 layers of the published channel counts', async () => {
      const lin = await resolveLinWeights('pretrained', { backbone: 'squeezenet1_1', taps, baseDir: dir });
      expect(lin.file).toBe(assets.path('weights/lpips-v0.1-squeeze-lin.safetensors'));
      expect(taps.map((k) => lin.weights[k].length)).toEqual([64, 128, 256, 384, 384, 512, 512]);
    });
    it('reads the same weights from the original legacy .pth file', async () => {
      const a = await resolveLinWeights('pretrained', { backbone: 'squeezenet1_1', taps, baseDir: dir });
      const b = await resolveLinWeights(assets.path('weights/lpips-v0.1-original/squeeze.pth'), { taps, baseDir: dir });
      for (const k of taps) expect(Array.from(b.weights[k])).toEqual(Array.from(a.weights[k]));
    });
  });
});
