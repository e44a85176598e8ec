/** Blur: Gaussian and bilateral (edge-preserving) filtering, reflect border. */
import { clipInPlace, convolveSeparable, gaussianKernel, reflectIndex } from './image.js';
import { round, type DistortionDef } from './types.js';

/** Gaussian standard deviation in pixels at severity 1. */
export const BLUR_SIGMA_MAX = 3;
/** Bilateral spatial standard deviation in pixels at severity 1. */
export const BILATERAL_SPATIAL_MAX = 4;
/** Bilateral range standard deviation (in [0,1] intensity units) at severity 0+ and at severity 1. */
export const BILATERAL_RANGE_MIN = 0.05;
export const BILATERAL_RANGE_MAX = 0.3;

export const gaussianBlur: DistortionDef = {
  name: 'gaussian-blur',
  family: 'blur',
  description: 'Convolves with an isotropic Gaussian kernel (radius 3 sigma).',
  random: false,
  identityAtZero: true,
  options: {},
  describeSeverity: (s) => ({ sigmaPixels: round(BLUR_SIGMA_MAX * s) }),
  apply(img, call) {
    const sigma = BLUR_SIGMA_MAX * call.severity;
    // Below ~0.05 px the kernel's side taps are < 1e-80: numerically the identity.
    if (sigma < 0.05) return Float32Array.from(img.data);
    return convolveSeparable(img, gaussianKernel(sigma));
  },
};

export const bilateral: DistortionDef = {
  name: 'bilateral',
  family: 'blur',
  description:
    'Bilateral filter: a Gaussian blur whose weights also fall off with colour difference (Euclidean RGB), so edges survive.',
  random: false,
  identityAtZero: true,
  options: {},
  describeSeverity: (s) => ({
    spatialSigmaPixels: round(BILATERAL_SPATIAL_MAX * s),
    rangeSigma: round(BILATERAL_RANGE_MIN + (BILATERAL_RANGE_MAX - BILATERAL_RANGE_MIN) * s),
  }),
  apply(img, call) {
    const ss = BILATERAL_SPATIAL_MAX * call.severity;
    if (ss < 0.05) return Float32Array.from(img.data);
    const sr = BILATERAL_RANGE_MIN + (BILATERAL_RANGE_MAX - BILATERAL_RANGE_MIN) * call.severity;
    const radius = Math.max(1, Math.ceil(2 * ss));
    const { data, h, w } = img;
    const spatial = new Float64Array((2 * radius + 1) ** 2);
    for (let dy = -radius; dy <= radius; dy++) {
      for (let dx = -radius; dx <= radius; dx++) {
        spatial[(dy + radius) * (2 * radius + 1) + dx + radius] = Math.exp(-(dx * dx + dy * dy) / (2 * ss * ss));
      }
    }
    const inv2r = 1 / (2 * sr * sr);
    const out = new Float32Array(data.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = (y * w + x) * 3;
        const r0 = data[p], g0 = data[p + 1], b0 = data[p + 2];
        let sw = 0, sr_ = 0, sg = 0, sb = 0;
        for (let dy = -radius; dy <= radius; dy++) {
          const yy = reflectIndex(y + dy, h);
          for (let dx = -radius; dx <= radius; dx++) {
            const q = (yy * w + reflectIndex(x + dx, w)) * 3;
            const dr = data[q] - r0, dg = data[q + 1] - g0, db = data[q + 2] - b0;
            const wgt = spatial[(dy + radius) * (2 * radius + 1) + dx + radius] * Math.exp(-(dr * dr + dg * dg + db * db) * inv2r);
            sw += wgt;
            sr_ += wgt * data[q];
            sg += wgt * data[q + 1];
            sb += wgt * data[q + 2];
          }
        }
        out[p] = sr_ / sw;
        out[p + 1] = sg / sw;
        out[p + 2] = sb / sw;
      }
    }
    return clipInPlace(out);
  },
};

export const blurDistortions = [gaussianBlur, bilateral];
