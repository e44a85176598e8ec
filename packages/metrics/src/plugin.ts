import { InputError, definePlugin, type DistanceContribution, type JSONSchema } from '@percept/core';
import { LpipsDistance, type LinWeights } from './lpips.js';
import { MeanPoolDistance, StyleDistance } from './global.js';
import { paretoJob } from './analysis/pareto-job.js';
import { DssimDistance, L2Distance, PsnrSimilarity, SsimSimilarity, type SsimDistanceOptions } from './pixel.js';

const layersSchema: JSONSchema = {
  type: 'array',
  items: { type: 'string', minLength: 1 },
  uniqueItems: true,
  description: 'Tap names to compare, in order. Default: every tap the backbone exposes, shallow to deep.',
};

const epsilonSchema: JSONSchema = { type: 'number', minimum: 0, default: 1e-10, description: 'Added to the channel L2 norm before dividing (LPIPS: 1e-10).' };

const ssimProperties: Record<string, JSONSchema> = {
  colorspace: { enum: ['rgb', 'lab'], default: 'rgb', description: 'Compare sRGB values in [0,1] or skimage Lab.' },
  winSize: { type: 'integer', minimum: 3, default: 7, description: 'Side of the uniform window (odd). skimage default 7.' },
  gaussianWeights: { type: 'boolean', default: false, description: 'Use the 11x11 Gaussian window (sigma 1.5) of Wang et al. instead.' },
  sigma: { type: 'number', exclusiveMinimum: 0, default: 1.5 },
  dataRange: { type: 'number', exclusiveMinimum: 0, description: 'Value range R in C1=(K1 R)^2, C2=(K2 R)^2. Default 1 for rgb ([0,1]), 100 for lab.' },
  k1: { type: 'number', exclusiveMinimum: 0, default: 0.01 },
  k2: { type: 'number', exclusiveMinimum: 0, default: 0.03 },
  useSampleCovariance: { type: 'boolean', default: true },
};

function asRecord(options: Record<string, unknown>, name: string): Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InputError(`distance "${name}": options must be an object`);
  }
  return options;
}

function layersOf(options: Record<string, unknown>, name: string): string[] | undefined {
  const l = options.layers;
  if (l === undefined) return undefined;
  if (!Array.isArray(l) || l.some((x) => typeof x !== 'string')) throw new InputError(`distance "${name}": "layers" must be an array of tap names`);
  return l as string[];
}

const lpips: DistanceContribution = {
  kind: 'distance',
  name: 'lpips',
  aliases: ['perceptual-score-distance'],
  description: 'LPIPS: channel-normalised feature differences, lin-weighted or summed over channels, spatial mean, summed over layers. "baseline" is the Kumar et al. Perceptual Score distance.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      variant: { enum: ['baseline', 'lin'], default: 'baseline', description: '"baseline": all channel weights 1; "lin": learned non-negative per-channel weights.' },
      layers: layersSchema,
      lin: {
        type: 'object',
        additionalProperties: false,
        required: ['weights'],
        properties: {
          weights: {
            description: 'Per-layer channel weights: an object keyed by tap name, or an array in "layers" order.',
            oneOf: [
              { type: 'object', additionalProperties: { type: 'array', items: { type: 'number', minimum: 0 } } },
              { type: 'array', items: { type: 'array', items: { type: 'number', minimum: 0 } } },
            ],
          },
        },
      },
      epsilon: epsilonSchema,
    },
  },
  create(options) {
    const o = asRecord(options, 'lpips');
    const variant = o.variant as 'baseline' | 'lin' | undefined;
    const lin = o.lin as { weights: LinWeights } | undefined;
    return new LpipsDistance({ variant, layers: layersOf(o, 'lpips'), lin, epsilon: o.epsilon as number | undefined });
  },
};

const meanPool: DistanceContribution = {
  kind: 'distance',
  name: 'mean-pool',
  description: 'Kumar et al. Mean Pool: spatially averaged features, unit-normalised over channels, squared L2 / C, summed over layers.',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { layers: layersSchema, epsilon: epsilonSchema } },
  create(options) {
    const o = asRecord(options, 'mean-pool');
    return new MeanPoolDistance({ layers: layersOf(o, 'mean-pool'), epsilon: o.epsilon as number | undefined });
  },
};

const style: DistanceContribution = {
  kind: 'distance',
  name: 'style',
  description: 'Kumar et al. Style: Gram matrices of channel-normalised features (divided by H*W), squared Frobenius distance / C^2, summed over layers.',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { layers: layersSchema, epsilon: epsilonSchema } },
  create(options) {
    const o = asRecord(options, 'style');
    return new StyleDistance({ layers: layersOf(o, 'style'), epsilon: o.epsilon as number | undefined });
  },
};

const l2: DistanceContribution = {
  kind: 'distance',
  name: 'l2',
  description: "LPIPS' L2 baseline: 0.5*mean((Lab/100)^2 differences) in Lab (default) or mean squared difference of [-1,1] RGB.",
  optionsSchema: {
    type: 'object', additionalProperties: false,
    properties: { colorspace: { enum: ['rgb', 'lab'], default: 'lab' } },
  },
  create(options) {
    const o = asRecord(options, 'l2');
    return new L2Distance((o.colorspace as 'rgb' | 'lab' | undefined) ?? 'lab');
  },
};

const psnr: DistanceContribution = {
  kind: 'distance',
  name: 'psnr',
  description: 'Peak signal-to-noise ratio in dB on [0,1] images (a similarity: higher means more alike).',
  optionsSchema: {
    type: 'object', additionalProperties: false,
    properties: { peak: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Peak value; 1 on [0,1] images equals 255 on uint8.' } },
  },
  create(options) {
    const o = asRecord(options, 'psnr');
    return new PsnrSimilarity((o.peak as number | undefined) ?? 1);
  },
};

const ssim: DistanceContribution = {
  kind: 'distance',
  name: 'ssim',
  description: 'Mean SSIM with scikit-image structural_similarity semantics (a similarity: higher means more alike).',
  optionsSchema: { type: 'object', additionalProperties: false, properties: ssimProperties },
  create(options) {
    return new SsimSimilarity(asRecord(options, 'ssim') as SsimDistanceOptions);
  },
};

const dssim: DistanceContribution = {
  kind: 'distance',
  name: 'dssim',
  description: "(1 - SSIM)/2: LPIPS' SSIM baseline as a distance.",
  optionsSchema: { type: 'object', additionalProperties: false, properties: ssimProperties },
  create(options) {
    return new DssimDistance(asRecord(options, 'dssim') as SsimDistanceOptions);
  },
};

/** The @percept/metrics plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/metrics',
  version: '0.1.0',
  contributes: [lpips, meanPool, style, l2, psnr, ssim, dssim, paretoJob],
});
