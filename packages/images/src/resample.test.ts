import { describe, it, expect } from 'vitest';
import type { ImageBatch } from '@percept/core';
import { centerCrop, centerCropFraction, resize, resizeShorter } from './resample.js';

/** A one-channel-valued image: every pixel is (v, v, v), v = values[y*w + x]. */
function grey(h: number, w: number, values: number[]): ImageBatch {
  const data = new Float32Array(h * w * 3);
  values.forEach((v, i) => data.fill(v, i * 3, i * 3 + 3));
  return { data, shape: [1, h, w, 3] };
}
const red = (b: ImageBatch) => Array.from({ length: b.data.length / 3 }, (_, i) => b.data[i * 3]);

describe('resize', () => {
  it('4x4 -> 2x2 bilinear antialiased matches PIL (triangle stretched to support 2, not a box)', () => {
    // Output 0 is centred at 1: taps 0,1,2 at distances .5,.5,1.5 (÷2) weigh .75,.75,.25 (sum 1.75);
    // output 1 (centre 3) uses taps 1,2,3 weighing .25,.75,.75. Values from PIL 9.4 Image.resize on a mode-F image.
    const v = Array.from({ length: 16 }, (_, i) => i / 16);
    const out = resize(grey(4, 4, v), 2, 2, { filter: 'bilinear', antialias: true });
    expect(out.shape).toEqual([1, 2, 2, 3]);
    const row = (y: number[]) => (a: number[]) => a.reduce((s, w, k) => s + w * y[k], 0);
    const w0 = [0.75, 0.75, 0.25, 0].map((w) => w / 1.75), w1 = [0, 0.25, 0.75, 0.75].map((w) => w / 1.75);
    const at = (wy: number[], wx: number[]) => wy.reduce((s, a, y) => s + a * row(v.slice(y * 4, y * 4 + 4))(wx), 0);
    const expected = [at(w0, w0), at(w0, w1), at(w1, w0), at(w1, w1)];
    const pil = [0.2232143, 0.32142857, 0.61607146, 0.71428573];
    red(out).forEach((g, i) => { expect(g).toBeCloseTo(expected[i], 6); expect(g).toBeCloseTo(pil[i], 6); });
  });

  it('bicubic 5x7 -> 2x3 matches PIL', () => {
    const v = Array.from({ length: 35 }, (_, i) => i / 35);
    const pil = [0.19186252, 0.2570699, 0.32227728, 0.6491513, 0.7143587, 0.77956605];
    red(resize(grey(5, 7, v), 2, 3, { filter: 'bicubic' })).forEach((g, i) => expect(g).toBeCloseTo(pil[i], 6));
  });

  it('stretches the triangle filter by the scale when antialiasing (6 -> 2)', () => {
    // centre 1.5, support 3: weights tri((k - 1)/3) for k=0..4 = 2/3, 1, 2/3, 1/3, 0, normalised by 8/3.
    const out = resize(grey(1, 6, [0, 1, 2, 3, 4, 5]), 1, 2, { antialias: true });
    expect(red(out)[0]).toBeCloseTo(0 * 0.25 + 1 * 0.375 + 2 * 0.25 + 3 * 0.125, 6);
    // Without antialiasing the support stays 1 and only the pixel at the centre counts.
    const plain = resize(grey(1, 6, [0, 1, 2, 3, 4, 5]), 1, 2, { antialias: false });
    expect(red(plain)).toEqual([1, 4]);
  });

  it('upscales bilinearly with half-pixel centres (align_corners=False)', () => {
    const out = resize(grey(1, 2, [0, 1]), 1, 4, { filter: 'bilinear' });
    red(out).forEach((v, i) => expect(v).toBeCloseTo([0, 0.25, 0.75, 1][i], 6));
  });

  it('bicubic uses a = -0.5 (PIL)', () => {
    // Output 3 of 4 -> 8 sits at 1.75; taps at distances 1.25, .25, .75, 1.75 weigh
    // -0.0703125, 0.8671875, 0.2265625, -0.0234375, so the step [0,0,1,1] gives 0.203125.
    const out = resize(grey(1, 4, [0, 0, 1, 1]), 1, 8, { filter: 'bicubic' });
    expect(red(out)[3]).toBeCloseTo(0.203125, 6);
    const flat = resize(grey(3, 3, Array(9).fill(0.3)), 7, 5, { filter: 'bicubic' });
    for (const v of flat.data) expect(v).toBeCloseTo(0.3, 6);
  });

  it('nearest picks floor((i + 0.5) * scale)', () => {
    expect(red(resize(grey(1, 4, [0, 1, 2, 3]), 1, 2, { filter: 'nearest' }))).toEqual([1, 3]);
  });

  it('keeps channels and batch items apart', () => {
    const data = new Float32Array(2 * 2 * 2 * 3);
    for (let i = 0; i < data.length; i++) data[i] = i % 3 === 0 ? 1 : i % 3 === 1 ? 0.5 : 0;
    data.fill(0.25, 12);
    const out = resize({ data, shape: [2, 2, 2, 3] }, 1, 1);
    expect(Array.from(out.data)).toEqual([1, 0.5, 0, 0.25, 0.25, 0.25]);
  });

  it('rejects a non-integer target size', () => {
    expect(() => resize(grey(2, 2, [0, 0, 0, 0]), 1.5, 2)).toThrow(/positive integers/);
  });
});

describe('crops', () => {
  it('centerCrop rounds offsets half-to-even like torchvision', () => {
    const v = Array.from({ length: 7 }, (_, i) => i);
    // (7 - 2)/2 = 2.5 -> 2 (Python round), not 3.
    expect(red(centerCrop(grey(1, 7, v), 1, 2))).toEqual([2, 3]);
    // (6 - 3)/2 = 1.5 -> 2.
    expect(red(centerCrop(grey(1, 6, v.slice(0, 6)), 1, 3))).toEqual([2, 3, 4]);
    expect(() => centerCrop(grey(1, 2, [0, 1]), 1, 3)).toThrow(/larger than/);
  });

  it('centerCropFraction follows tf.image.central_crop', () => {
    const v = Array.from({ length: 10 }, (_, i) => i);
    // fraction 0.5: start = floor((10 - 5)/2) = 2, size = 10 - 2·2 = 6.
    expect(red(centerCropFraction(grey(1, 10, v), 0.5))).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('resizeShorter truncates the longer side', () => {
    expect(resizeShorter(grey(4, 8, Array(32).fill(0)), 2).shape).toEqual([1, 2, 4, 3]);
    expect(resizeShorter(grey(5, 3, Array(15).fill(0)), 2).shape).toEqual([1, 3, 2, 3]);
  });
});
