import { describe, expect, it } from 'vitest';
import { InputError, Registry } from '@percept/core';
import { allDistortions, applyDistortion, describeSeverity, distortionNames, getDistortion, traditionalDistortions } from './catalog.js';
import { rmse } from './image.js';
import { plugin } from './plugin.js';
import { proceduralImages } from './procedural.js';
import { deriveSeed } from './prng.js';

const SIZE = 64;
// Image 0 is an fBm texture, image 4 a landscape: rich in both edges and smooth regions.
const batch = proceduralImages(5, SIZE, 11);
const one = { data: batch.data.slice(0, SIZE * SIZE * 3), shape: [1, SIZE, SIZE, 3] as [number, number, number, number] };
const two = { data: batch.data.slice(3 * SIZE * SIZE * 3), shape: [2, SIZE, SIZE, 3] as [number, number, number, number] };
const grid = [0, 0.2, 0.4, 0.6, 0.8, 1];
const subject = [...traditionalDistortions, getDistortion('lowpass')];

describe('distortion catalogue', () => {
  it('has the 20 BAPPS traditional distortions in five families, plus lowpass and compose', () => {
    expect(traditionalDistortions).toHaveLength(20);
    const families = new Map<string, number>();
    for (const d of traditionalDistortions) families.set(d.family, (families.get(d.family) ?? 0) + 1);
    expect(Object.fromEntries(families)).toEqual({ photometric: 4, noise: 6, blur: 2, spatial: 7, compression: 1 });
    expect(distortionNames()).toContain('lowpass');
    expect(distortionNames()).toContain('compose');
  });

  it('registers every distortion as a contribution with a schema', async () => {
    const reg = new Registry([plugin]);
    for (const d of allDistortions) {
      const c = reg.get('distortion', d.name);
      expect(c.optionsSchema.required).toContain('severity');
      expect(Object.keys(c.describeSeverity(0.5)).length).toBeGreaterThan(0);
    }
    const viaRegistry = await reg.get('distortion', 'shift').apply(one, { severity: 0.5, seed: 2 });
    const direct = await applyDistortion('shift', one, { severity: 0.5, seed: 2 });
    expect(Array.from(viaRegistry.data)).toEqual(Array.from(direct.data));
  });

  it('lists exactly jpeg as not the identity at severity 0 (compose depends on its steps)', () => {
    expect(subject.filter((d) => !d.identityAtZero).map((d) => d.name)).toEqual(['jpeg']);
  });
});

describe.each(subject.map((d) => [d.name, d] as const))('%s', (name, def) => {
  it('maps severity 0 to the identity where defined, else to a small change', async () => {
    const out = await applyDistortion(name, one, { severity: 0, seed: 3 });
    if (def.identityAtZero) expect(rmse(out.data, one.data)).toBeLessThan(1e-6);
    else expect(rmse(out.data, one.data)).toBeLessThan(0.02);
  });

  it('has pixel RMSE monotone in severity (same seed)', async () => {
    for (const seed of [0, 1]) {
      const errs: number[] = [];
      for (const s of grid) errs.push(rmse((await applyDistortion(name, one, { severity: s, seed })).data, one.data));
      for (let i = 1; i < errs.length; i++) expect(errs[i], `seed ${seed}, severity ${grid[i]}: ${errs}`).toBeGreaterThanOrEqual(errs[i - 1] - 1e-6);
      expect(errs[errs.length - 1]).toBeGreaterThan(errs[0] + 0.01);
    }
  });

  it('keeps the shape and the [0,1] range', async () => {
    const out = await applyDistortion(name, two, { severity: 1, seed: 5 });
    expect(out.shape).toEqual(two.shape);
    expect(out.data.length).toBe(two.data.length);
    let lo = Infinity, hi = -Infinity;
    for (const v of out.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
  });

  it('is deterministic per seed, and seed-dependent exactly when random', async () => {
    const a = await applyDistortion(name, two, { severity: 0.7, seed: 42 });
    const b = await applyDistortion(name, two, { severity: 0.7, seed: 42 });
    const c = await applyDistortion(name, two, { severity: 0.7, seed: 43 });
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(c.data.buffer))).toBe(!def.random);
  });

  it('gives image 0 of a batch the same result as a one-image call', async () => {
    const batched = await applyDistortion(name, two, { severity: 0.6, seed: 9 });
    const single = await applyDistortion(name, { data: two.data.slice(0, SIZE * SIZE * 3), shape: [1, SIZE, SIZE, 3] }, { severity: 0.6, seed: 9 });
    expect(Array.from(batched.data.subarray(0, single.data.length))).toEqual(Array.from(single.data));
  });
});

describe('non-square and odd-sized images', () => {
  it('runs every distortion on a 33x48 image', async () => {
    const src = proceduralImages(1, 48, 2);
    // Crop rows to make the image non-square with an odd height.
    const h = 33, w = 48;
    const img = { data: src.data.slice(0, h * w * 3), shape: [1, h, w, 3] as [number, number, number, number] };
    for (const d of subject) {
      const out = await applyDistortion(d.name, img, { severity: 0.8, seed: 1 });
      expect(out.shape, d.name).toEqual([1, h, w, 3]);
      expect(rmse(out.data, img.data), d.name).toBeGreaterThan(0.001);
    }
  });
});

describe('options and errors', () => {
  it('direction "up" and "down" move lightness the stated way', async () => {
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const up = await applyDistortion('lightness-shift', one, { severity: 0.5, direction: 'up' });
    const down = await applyDistortion('lightness-shift', one, { severity: 0.5, direction: 'down' });
    expect(mean(up.data)).toBeGreaterThan(mean(one.data) + 0.1);
    expect(mean(down.data)).toBeLessThan(mean(one.data) - 0.1);
  });

  it('desaturation at severity 1 gives a grey image', async () => {
    const out = await applyDistortion('saturation', one, { severity: 1, direction: 'down' });
    for (let p = 0; p < out.data.length; p += 3) {
      expect(out.data[p]).toBeCloseTo(out.data[p + 1], 5);
      expect(out.data[p + 1]).toBeCloseTo(out.data[p + 2], 5);
    }
  });

  it('gaussian-colored-noise honours its spectral exponent', async () => {
    const a = await applyDistortion('gaussian-colored-noise', one, { severity: 0.5, seed: 1, exponent: -1 });
    const b = await applyDistortion('pink-noise', one, { severity: 0.5, seed: 1 });
    expect(rmse(a.data, one.data)).toBeGreaterThan(0.05);
    expect(rmse(b.data, one.data)).toBeGreaterThan(0.05);
  });

  it('maps severity to documented parameters', () => {
    expect(describeSeverity('jpeg', 0.5)).toEqual({ quality: 55 });
    expect(describeSeverity('gaussian-blur', 0.5)).toEqual({ sigmaPixels: 1.5 });
    expect(describeSeverity('lowpass', 0.25)).toMatchObject({ rAt64: 48 });
  });

  it('names the field in errors', async () => {
    await expect(applyDistortion('gaussian-blur', one, { severity: 1.5 })).rejects.toThrow(/"severity" must be a number in \[0,1\], got 1.5/);
    await expect(applyDistortion('gaussian-blur', one, { severity: 0.5, seed: 0.5 })).rejects.toThrow(/"seed" must be an integer/);
    await expect(applyDistortion('gaussian-blur', one, { severity: 0.5, sigma: 2 })).rejects.toThrow(/unknown option "sigma"/);
    await expect(applyDistortion('contrast', one, { severity: 0.5, direction: 'sideways' })).rejects.toThrow(/option "direction" must be one of/);
    await expect(applyDistortion('blurr', one, { severity: 0.5 })).rejects.toBeInstanceOf(InputError);
    await expect(applyDistortion('shift', { data: new Float32Array(5), shape: [1, 2, 2, 3] }, { severity: 0.5 })).rejects.toThrow(/data has 5 values/);
  });
});

describe('compose', () => {
  it('applies its steps in order with derived seeds', async () => {
    const steps = [{ distortion: 'shift' }, { distortion: 'jpeg', severity: 0.3 }];
    const composed = await applyDistortion('compose', one, { severity: 0.6, seed: 4, steps });
    const first = await applyDistortion('shift', one, { severity: 0.6, seed: deriveSeed(4, 'compose', 0) });
    const second = await applyDistortion('jpeg', first, { severity: 0.3, seed: deriveSeed(4, 'compose', 1) });
    expect(Array.from(composed.data)).toEqual(Array.from(second.data));
    expect(describeSeverity('compose', 0.6, { steps })).toEqual({
      steps: [
        { distortion: 'shift', severity: 0.6, ...describeSeverity('shift', 0.6) },
        { distortion: 'jpeg', severity: 0.3, quality: 73 },
      ],
    });
  });

  it('rejects bad steps, naming the step', async () => {
    await expect(applyDistortion('compose', one, { severity: 0.5, steps: [] })).rejects.toThrow(/"steps" must be a non-empty array/);
    await expect(applyDistortion('compose', one, { severity: 0.5, steps: [{ distortion: 'nope' }] })).rejects.toThrow(/Unknown distortion "nope"/);
    await expect(applyDistortion('compose', one, { severity: 0.5, steps: [{ distortion: 'shift', severity: 2 }] })).rejects.toThrow(/steps\[0\]: "severity"/);
  });
});
