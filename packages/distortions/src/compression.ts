/**
 * JPEG compression through a real codec (libjpeg-turbo via sharp, in @percept/images): encode at a
 * quality set by the severity, decode, done. Baseline JPEG, standard quantisation tables scaled by
 * quality, 4:2:0 chroma subsampling.
 */
import { decodeImage, encodeJpeg } from '@percept/images';
import { round, type DistortionDef } from './types.js';

/** Quality at severity 0 and at severity 1; linear in between, rounded to an integer. */
export const JPEG_QUALITY_AT_0 = 100;
export const JPEG_QUALITY_AT_1 = 10;

export function jpegQuality(severity: number): number {
  return Math.round(JPEG_QUALITY_AT_0 + (JPEG_QUALITY_AT_1 - JPEG_QUALITY_AT_0) * severity);
}

export const jpeg: DistortionDef = {
  name: 'jpeg',
  family: 'compression',
  description: 'JPEG round trip (libjpeg-turbo, 4:2:0 chroma) at quality 100 (severity 0) down to 10 (severity 1).',
  random: false,
  // Quality 100 still rounds to 8 bits, subsamples chroma and quantises the DCT: not the identity.
  identityAtZero: false,
  options: {
    quality: { type: 'integer', minimum: 1, maximum: 100, description: 'JPEG quality; overrides the severity.' },
  },
  describeSeverity: (s, o) => ({ quality: typeof o?.quality === 'number' ? o.quality : jpegQuality(round(s, 6)) }),
  async apply(img, call) {
    const q = typeof call.options.quality === 'number' ? call.options.quality : jpegQuality(call.severity);
    const buf = await encodeJpeg({ data: img.data, shape: [1, img.h, img.w, 3] }, q);
    const decoded = await decodeImage(buf, `JPEG (quality ${q}) of a ${img.w}x${img.h} image`);
    return decoded.data;
  },
};

export const compressionDistortions = [jpeg];
