import { describe, it, expect } from 'vitest';
import { Registry, type Features, type ImageBatch } from '@percept/core';
import plugin from './index.js';

describe('@percept/metrics plugin', () => {
  const registry = new Registry([plugin]);
  it('contributes the distances with option schemas', () => {
    const names = registry.list('distance').map((c) => c.name).sort();
    expect(names).toEqual(['dssim', 'l2', 'lpips', 'mean-pool', 'psnr', 'ssim', 'style']);
    for (const c of registry.list('distance')) expect((c.optionsSchema as { type?: string }).type).toBe('object');
  });

  it('creates working feature and pixel distances', async () => {
    const lp = await registry.get('distance', 'lpips').create({ variant: 'lin', layers: ['t'], lin: { weights: { t: [1, 0] } } });
    expect(lp.input).toBe('features');
    const a: Features = { taps: { t: { data: Float32Array.from([1, 0]), shape: [1, 2], layout: 'NC' } } };
    const b: Features = { taps: { t: { data: Float32Array.from([0, 1]), shape: [1, 2], layout: 'NC' } } };
    if (lp.input !== 'features') throw new Error('unreachable');
    // Channel 0 differs by 1 (weight 1), channel 1 by 1 (weight 0).
    expect(lp.compute(a, b).total[0]).toBeCloseTo(1, 6);

    const d = await registry.get('distance', 'dssim').create({ gaussianWeights: true });
    expect(d.settings.window).toBe('gaussian 11x11, sigma 1.5');
    expect(d.settings.dataRange).toBe(1);
    const img: ImageBatch = { data: new Float32Array(11 * 11 * 3).fill(0.5), shape: [1, 11, 11, 3] };
    if (d.input !== 'pixels') throw new Error('unreachable');
    expect(d.compute(img, img).total[0]).toBeCloseTo(0, 10);
    expect((await registry.get('distance', 'psnr').create({})).settings.lowerIsMoreSimilar).toBe(false);
  });
});
