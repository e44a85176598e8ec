/**
 * The low-pass square Fourier filter of Kumar et al. §8.6 (SPEC §4.8): per channel, 2-D DFT, keep the
 * coefficients with |kx| <= r/2 and |ky| <= r/2 (signed frequencies in cycles per image, i.e. the
 * square of side r centred on DC after fftshift), inverse DFT, real part, clip to [0,1].
 * r = 0 keeps only the mean colour; r >= the image side keeps every coefficient (the identity up to
 * float rounding).
 */
import type { ImageBatch, JsonValue } from '@percept/core';
import { InputError } from '@percept/core';
import { fft2d, signedFrequency } from './fft.js';
import { checkBatch, clipInPlace, type Img } from './image.js';
import { round, type DistortionDef } from './types.js';

/** Low-pass filters one image. */
export function lowpassImage(img: Img, r: number): Float32Array {
  const { h, w, data } = img;
  const half = r / 2;
  if (half >= h / 2 && half >= w / 2) return Float32Array.from(data);
  const keep = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    const fy = Math.abs(signedFrequency(y, h));
    for (let x = 0; x < w; x++) {
      keep[y * w + x] = fy <= half && Math.abs(signedFrequency(x, w)) <= half ? 1 : 0;
    }
  }
  const re = new Float64Array(h * w);
  const im = new Float64Array(h * w);
  const out = new Float32Array(data.length);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < h * w; i++) { re[i] = data[i * 3 + c]; im[i] = 0; }
    fft2d(re, im, h, w);
    for (let i = 0; i < h * w; i++) if (!keep[i]) { re[i] = 0; im[i] = 0; }
    fft2d(re, im, h, w, true);
    for (let i = 0; i < h * w; i++) out[i * 3 + c] = re[i];
  }
  return clipInPlace(out);
}

function checkR(r: unknown, what: string): number {
  if (typeof r !== 'number' || !Number.isFinite(r) || r < 0) {
    throw new InputError(`${what}: "r" must be a non-negative number (side of the kept square in cycles per image), got ${JSON.stringify(r)}`);
  }
  return r;
}

/** Low-pass filters every image of a batch with a square of side r (cycles per image). */
export function lowpass(batch: ImageBatch, r: number): ImageBatch {
  checkBatch(batch, 'lowpass');
  checkR(r, 'lowpass');
  const [n, h, w] = batch.shape;
  const len = h * w * 3;
  const out = new Float32Array(n * len);
  for (let i = 0; i < n; i++) {
    out.set(lowpassImage({ data: batch.data.subarray(i * len, (i + 1) * len), h, w }, r), i * len);
  }
  return { data: out, shape: [n, h, w, 3] };
}

export const lowpassDistortion: DistortionDef = {
  name: 'lowpass',
  family: 'frequency',
  description:
    'Square low-pass Fourier filter (Kumar et al. §8.6): keeps frequencies with |kx|,|ky| <= r/2 cycles per image. Option r overrides the severity; otherwise r = (1 - severity) x image side.',
  random: false,
  identityAtZero: true,
  options: {
    r: { type: 'number', minimum: 0, description: 'Side of the kept square in cycles per image (0 = mean colour only, >= image side = identity).' },
  },
  describeSeverity: (s, o): Record<string, JsonValue> =>
    typeof o?.r === 'number' ? { r: o.r } : { rFractionOfSide: round(1 - s), rAt64: round((1 - s) * 64, 2) },
  apply(img, call) {
    const r = call.options.r === undefined ? (1 - call.severity) * Math.min(img.h, img.w) : checkR(call.options.r, 'distortion "lowpass"');
    return lowpassImage(img, r);
  },
};
