/**
 * Preprocessing presets. Callers hand backbones NHWC RGB in [0,1]; these say how each network
 * wants its pixels. The feature extractor applies: reorder channels, ×scale, −mean, ÷std.
 */
import { InputError, didYouMean } from '@percept/core';
import type { Pair, Preprocessing } from './ir.js';

const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** LPIPS ScalingLayer constants (lpips/pretrained_networks.py), applied to [-1,1] inputs. */
export const LPIPS_SHIFT = [-0.030, -0.088, -0.188] as const;
export const LPIPS_SCALE = [0.458, 0.448, 0.450] as const;

/**
 * LPIPS v0.1: x in [0,1] is mapped to [-1,1] (2x−1) and then (· − shift)/scale. On [0,1] input that
 * is (x − (1+shift)/2) / (scale/2), computed here from the published constants rather than rounded
 * to the ImageNet mean/std they approximate. Any size: LPIPS runs fully convolutionally on patches.
 */
export const lpipsPreprocessing: Preprocessing = Object.freeze({
  size: null,
  resize: 'none',
  interpolation: 'bilinear',
  channelOrder: 'RGB',
  scale: 1,
  mean: LPIPS_SHIFT.map((s) => (1 + s) / 2) as unknown as readonly [number, number, number],
  std: LPIPS_SCALE.map((s) => s / 2) as unknown as readonly [number, number, number],
});

/**
 * torchvision's ImageNet evaluation transform: shorter side to 256/224 of the crop (256 for 224),
 * centre crop, mean/std normalisation.
 */
export function torchvisionImagenet(size = 224): Preprocessing {
  if (!Number.isInteger(size) || size < 1) throw new InputError(`torchvisionImagenet: size must be a positive integer, got ${size}`);
  return {
    size: [size, size],
    resize: 'resize-shorter-crop',
    resizeShorter: Math.round((size * 256) / 224),
    interpolation: 'bilinear',
    channelOrder: 'RGB',
    scale: 1,
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
  };
}

/** ImageNet mean/std at any input size (Kumar's 64×64 ResNets on BAPPS patches; no resizing). */
export const imagenetNormalize: Preprocessing = Object.freeze({
  size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: IMAGENET_MEAN, std: IMAGENET_STD,
});

/** Original Caffe models (SqueezeNet 1.0 Deep Compression): BGR, 0..255 minus (104, 117, 123), 227×227. */
export const caffeBgr: Preprocessing = Object.freeze({
  size: [227, 227] as Pair,
  resize: 'resize',
  interpolation: 'bilinear',
  channelOrder: 'BGR',
  scale: 255,
  mean: [104, 117, 123] as const,
  std: [1, 1, 1] as const,
});

/** [0,1] RGB straight in, any size: for reference tests and networks trained on raw pixels. */
export const identityPreprocessing: Preprocessing = Object.freeze({
  size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0] as const, std: [1, 1, 1] as const,
});

export const preprocessingPresets: Readonly<Record<string, Preprocessing>> = {
  lpips: lpipsPreprocessing,
  'torchvision-imagenet': torchvisionImagenet(224),
  imagenet: imagenetNormalize,
  'caffe-bgr': caffeBgr,
  none: identityPreprocessing,
};

const RESIZE = ['none', 'resize', 'resize-shorter-crop', 'center-crop-fraction'] as const;

/** JSON Schema of the `preprocessing` option: a preset name or a partial override. */
export const preprocessingSchema = {
  description: 'How images are prepared for the network: a preset name, or fields overriding the backbone\'s default.',
  oneOf: [
    { type: 'string', enum: Object.keys(preprocessingPresets) },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        preset: { type: 'string', enum: Object.keys(preprocessingPresets) },
        size: { oneOf: [{ type: 'null' }, { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 2, maxItems: 2 }] },
        resize: { enum: [...RESIZE] },
        resizeShorter: { type: 'integer', minimum: 1 },
        cropFraction: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        interpolation: { enum: ['bilinear', 'bicubic'] },
        channelOrder: { enum: ['RGB', 'BGR'] },
        scale: { type: 'number', exclusiveMinimum: 0 },
        mean: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 },
        std: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 3, maxItems: 3 },
      },
    },
  ],
} as const;

/**
 * Resolves a `preprocessing` option against a backbone's default: a preset name, or an object
 * whose fields (optionally starting from `preset`) replace the default's. The result is checked
 * for consistency (e.g. 'resize-shorter-crop' needs `resizeShorter` and a size).
 */
export function resolvePreprocessing(option: unknown, base: Preprocessing, where = 'preprocessing'): Preprocessing {
  if (option === undefined) return base;
  const preset = (name: string): Preprocessing => {
    const p = preprocessingPresets[name];
    if (!p) throw new InputError(`option "${where}": unknown preset "${name}"`, { hint: didYouMean(name, Object.keys(preprocessingPresets)) ?? `presets: ${Object.keys(preprocessingPresets).join(', ')}` });
    return p;
  };
  if (typeof option === 'string') return preset(option);
  if (option === null || typeof option !== 'object' || Array.isArray(option)) throw new InputError(`option "${where}" must be a preset name or an object`);
  const o = option as Record<string, unknown>;
  const known = new Set(['preset', 'size', 'resize', 'resizeShorter', 'cropFraction', 'interpolation', 'channelOrder', 'scale', 'mean', 'std']);
  for (const k of Object.keys(o)) {
    if (!known.has(k)) throw new InputError(`option "${where}.${k}" is not a preprocessing field`, { hint: didYouMean(k, known) });
  }
  const start = typeof o.preset === 'string' ? preset(o.preset) : base;
  const { preset: _ignored, ...fields } = o;
  const out = { ...start, ...fields } as Preprocessing;
  checkPreprocessing(out, where);
  return out;
}

export function checkPreprocessing(p: Preprocessing, where = 'preprocessing'): void {
  const bad = (field: string, what: string): never => { throw new InputError(`option "${where}.${field}": ${what}`); };
  if (p.size !== null && (!Array.isArray(p.size) || p.size.length !== 2 || p.size.some((d) => !Number.isInteger(d) || d < 1))) bad('size', 'must be null or [H, W] positive integers');
  if (!RESIZE.includes(p.resize)) bad('resize', `must be one of ${RESIZE.join(', ')}`);
  if (p.resize !== 'none' && p.size === null) bad('resize', `"${p.resize}" needs a target "size"`);
  if (p.resize === 'resize-shorter-crop' && !(Number.isInteger(p.resizeShorter) && p.resizeShorter! >= 1)) bad('resizeShorter', 'is required by resize "resize-shorter-crop"');
  if (p.resize === 'center-crop-fraction' && !(typeof p.cropFraction === 'number' && p.cropFraction > 0 && p.cropFraction <= 1)) bad('cropFraction', 'must be in (0, 1] for resize "center-crop-fraction"');
  if (p.interpolation !== 'bilinear' && p.interpolation !== 'bicubic') bad('interpolation', 'must be "bilinear" or "bicubic"');
  if (p.channelOrder !== 'RGB' && p.channelOrder !== 'BGR') bad('channelOrder', 'must be "RGB" or "BGR"');
  if (!(typeof p.scale === 'number' && p.scale > 0)) bad('scale', 'must be a positive number');
  if (!Array.isArray(p.mean) || p.mean.length !== 3 || p.mean.some((v) => typeof v !== 'number' || !Number.isFinite(v))) bad('mean', 'must be 3 numbers');
  if (!Array.isArray(p.std) || p.std.length !== 3 || p.std.some((v) => typeof v !== 'number' || !(v > 0))) bad('std', 'must be 3 positive numbers');
}
