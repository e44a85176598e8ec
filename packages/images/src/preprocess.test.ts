import { describe, it, expect } from 'vitest';
import { InputError, type ImageBatch } from '@percept/core';
import { preprocess, type PreprocessingLike } from './preprocess.js';

const base: PreprocessingLike = {
  size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1],
};
// Two pixels: (0.1, 0.2, 0.3) and (0.4, 0.5, 0.6).
const img: ImageBatch = { data: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), shape: [1, 1, 2, 3] };

describe('preprocess', () => {
  it('NHWC keeps pixel-interleaved order, NCHW makes planes', () => {
    const nhwc = preprocess(img, base, 'NHWC');
    expect(nhwc.shape).toEqual([1, 1, 2, 3]);
    expect(Array.from(nhwc.data)).toEqual(Array.from(img.data));
    const nchw = preprocess(img, base, 'NCHW');
    expect(nchw.shape).toEqual([1, 3, 1, 2]);
    expect(Array.from(nchw.data)).toEqual([0.1, 0.4, 0.2, 0.5, 0.3, 0.6].map(Math.fround));
  });

  it('the identity normalisation is a plain transpose, sample by sample', () => {
    const [n, h, w] = [2, 3, 5];
    const data = Float32Array.from({ length: n * h * w * 3 }, (_, i) => ((i * 37) % 101) / 101);
    const out = preprocess({ data, shape: [n, h, w, 3] }, base, 'NCHW');
    expect(out.shape).toEqual([n, 3, h, w]);
    const expected: number[] = [];
    for (let b = 0; b < n; b++) for (let c = 0; c < 3; c++) for (let p = 0; p < h * w; p++) expected.push(data[(b * h * w + p) * 3 + c]);
    expect(Array.from(out.data)).toEqual(expected);
  });

  it('reorders to BGR first, then scales, subtracts mean and divides by std in network order', () => {
    const caffe: PreprocessingLike = { ...base, channelOrder: 'BGR', scale: 255, mean: [104, 117, 123], std: [2, 4, 8] };
    const out = preprocess(img, caffe, 'NCHW');
    const expected = [
      (0.3 * 255 - 104) / 2, (0.6 * 255 - 104) / 2, // B plane
      (0.2 * 255 - 117) / 4, (0.5 * 255 - 117) / 4, // G plane
      (0.1 * 255 - 123) / 8, (0.4 * 255 - 123) / 8, // R plane
    ];
    expected.forEach((e, i) => expect(out.data[i]).toBeCloseTo(e, 4));
    const nhwc = preprocess(img, caffe, 'NHWC');
    [expected[0], expected[2], expected[4], expected[1], expected[3], expected[5]].forEach((e, i) => expect(nhwc.data[i]).toBeCloseTo(e, 4));
  });

  it('reproduces LPIPS input scaling: [-1,1] then ScalingLayer equals ImageNet mean/std on [0,1]', () => {
    const mean = [0.485, 0.456, 0.406] as const, std = [0.229, 0.224, 0.225] as const;
    const out = preprocess(img, { ...base, mean, std }, 'NHWC');
    const shift = [-0.03, -0.088, -0.188], scale = [0.458, 0.448, 0.45];
    for (let i = 0; i < 6; i++) {
      const c = i % 3;
      expect(out.data[i]).toBeCloseTo((2 * img.data[i] - 1 - shift[c]) / scale[c], 2);
    }
  });

  it('resize-shorter-crop: shorter side to resizeShorter, then centre crop', () => {
    const h = 6, w = 8;
    const data = new Float32Array(h * w * 3).fill(0.5);
    const out = preprocess({ data, shape: [1, h, w, 3] }, { ...base, size: [3, 3], resize: 'resize-shorter-crop', resizeShorter: 4 }, 'NCHW');
    expect(out.shape).toEqual([1, 3, 3, 3]);
    for (const v of out.data) expect(v).toBeCloseTo(0.5, 6);
  });

  it('center-crop-fraction then resize', () => {
    const data = new Float32Array(8 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) data.fill(x >= 2 && x < 6 && y >= 2 && y < 6 ? 1 : 0, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    const out = preprocess({ data, shape: [1, 8, 8, 3] }, { ...base, size: [2, 2], resize: 'center-crop-fraction', cropFraction: 0.5 }, 'NHWC');
    expect(out.shape).toEqual([1, 2, 2, 3]);
    // The central 4x4 is all ones, so the crop and its resize are too.
    for (const v of out.data) expect(v).toBeCloseTo(1, 6);
  });

  it('errors name the problem', () => {
    expect(() => preprocess(img, { ...base, size: [2, 2] }, 'NCHW')).toThrow(/1x2 \(HxW\) but the network expects 2x2/);
    expect(() => preprocess(img, { ...base, size: [1, 1], resize: 'resize-shorter-crop' }, 'NCHW')).toThrow(InputError);
    expect(() => preprocess(img, { ...base, std: [1, 0, 1] }, 'NCHW')).toThrow(/"std" must not contain 0/);
    expect(() => preprocess(img, base, 'CHW' as 'NCHW')).toThrow(/layout/);
  });
});
