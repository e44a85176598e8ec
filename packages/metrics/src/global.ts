/**
 * Kumar et al. §8.1 "global" perceptual functions (SPEC §1.7, §9).
 *
 * Mean Pool: spatial mean first, then unit-normalise over channels, then squared L2 / C_l, summed
 * over layers. Style: channel-unit-normalised features (as in LPIPS), Gram matrix
 * G = (1/(H·W)) Σ_{h,w} ŷ ŷᵀ, distance Σ_l ‖G_a − G_b‖_F² / C_l². The paper leaves the Style
 * normalisations unspecified; these are SPEC's inferred choices and are recorded in `settings`.
 */
import type { DistanceResult, Features, FeatureDistance, JsonValue } from '@percept/core';
import { batchSize, pairedTaps, resolveLayers, type TapView } from './features.js';
import { LPIPS_EPSILON } from './lpips.js';

export interface GlobalOptions {
  layers?: readonly string[];
  epsilon?: number;
}

function run(
  a: Features, b: Features, options: GlobalOptions,
  perSample: (va: TapView, vb: TapView, i: number, eps: number) => number,
): DistanceResult {
  const layers = resolveLayers(a, options.layers);
  const pairs = layers.map((l) => pairedTaps(a, b, l));
  const n = batchSize(pairs.map(([va]) => va));
  const eps = options.epsilon ?? LPIPS_EPSILON;
  const totals = new Float64Array(n);
  const perLayer = pairs.map(([va, vb]) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = perSample(va, vb, i, eps);
      out[i] = v;
      totals[i] += v;
    }
    return out;
  });
  return { total: Float32Array.from(totals), perLayer, layers };
}

/** Spatial mean of one sample's map, unit-normalised over channels. */
function pooledUnit(v: TapView, i: number, eps: number): Float64Array {
  const out = new Float64Array(v.c);
  const base = i * v.nStride;
  for (let p = 0; p < v.s; p++) {
    for (let k = 0; k < v.c; k++) out[k] += v.data[base + p * v.sStride + k * v.cStride];
  }
  let norm = 0;
  for (let k = 0; k < v.c; k++) { out[k] /= v.s; norm += out[k] * out[k]; }
  const r = 1 / (Math.sqrt(norm) + eps);
  for (let k = 0; k < v.c; k++) out[k] *= r;
  return out;
}

export function meanPoolDistance(a: Features, b: Features, options: GlobalOptions = {}): DistanceResult {
  return run(a, b, options, (va, vb, i, eps) => {
    const pa = pooledUnit(va, i, eps), pb = pooledUnit(vb, i, eps);
    let acc = 0;
    for (let k = 0; k < va.c; k++) { const d = pa[k] - pb[k]; acc += d * d; }
    return acc / va.c;
  });
}

/** One sample's channel-unit-normalised features as an [s, c] row-major matrix. */
function unitRows(v: TapView, i: number, eps: number): Float64Array {
  const out = new Float64Array(v.s * v.c);
  const base = i * v.nStride;
  for (let p = 0; p < v.s; p++) {
    let norm = 0;
    for (let k = 0; k < v.c; k++) {
      const x = v.data[base + p * v.sStride + k * v.cStride];
      out[p * v.c + k] = x;
      norm += x * x;
    }
    const r = 1 / (Math.sqrt(norm) + eps);
    for (let k = 0; k < v.c; k++) out[p * v.c + k] *= r;
  }
  return out;
}

/**
 * ‖G_a − G_b‖_F² with G = (1/s) XᵀX for X of shape [s, c]. When s < c it is cheaper in position
 * space: ‖G_a − G_b‖² = (Σ (X_a X_aᵀ)² + Σ (X_b X_bᵀ)² − 2 Σ (X_a X_bᵀ)²) / s², O(s²c) instead of O(sc²).
 */
export function gramDistanceSq(xa: Float64Array, xb: Float64Array, s: number, c: number): number {
  if (s < c) {
    const dot = (x: Float64Array, p: number, y: Float64Array, q: number) => {
      let acc = 0;
      for (let k = 0; k < c; k++) acc += x[p * c + k] * y[q * c + k];
      return acc;
    };
    let total = 0;
    for (let p = 0; p < s; p++) {
      for (let q = 0; q < s; q++) {
        const aa = dot(xa, p, xa, q), bb = dot(xb, p, xb, q), ab = dot(xa, p, xb, q);
        total += aa * aa + bb * bb - 2 * ab * ab;
      }
    }
    return Math.max(total, 0) / (s * s);
  }
  let total = 0;
  for (let k = 0; k < c; k++) {
    for (let m = k; m < c; m++) {
      let g = 0;
      for (let p = 0; p < s; p++) g += xa[p * c + k] * xa[p * c + m] - xb[p * c + k] * xb[p * c + m];
      total += (k === m ? 1 : 2) * g * g;
    }
  }
  return total / (s * s);
}

export function styleDistance(a: Features, b: Features, options: GlobalOptions = {}): DistanceResult {
  return run(a, b, options, (va, vb, i, eps) => {
    const xa = unitRows(va, i, eps), xb = unitRows(vb, i, eps);
    return gramDistanceSq(xa, xb, va.s, va.c) / (va.c * va.c);
  });
}

export class MeanPoolDistance implements FeatureDistance {
  readonly input = 'features' as const;
  readonly name = 'mean-pool';
  readonly settings: Record<string, JsonValue>;
  constructor(private readonly options: GlobalOptions = {}) {
    this.settings = {
      formula: 'sum_l (1/C_l) || unit(mean_hw a) - unit(mean_hw b) ||^2',
      epsilon: options.epsilon ?? LPIPS_EPSILON,
      layers: options.layers ? [...options.layers] : 'all taps in backend order',
    };
  }
  compute(a: Features, b: Features): DistanceResult {
    return meanPoolDistance(a, b, this.options);
  }
}

export class StyleDistance implements FeatureDistance {
  readonly input = 'features' as const;
  readonly name = 'style';
  readonly settings: Record<string, JsonValue>;
  constructor(private readonly options: GlobalOptions = {}) {
    this.settings = {
      formula: 'sum_l (1/C_l^2) || G(a) - G(b) ||_F^2, G = (1/(H W)) sum_hw unit(y_hw) unit(y_hw)^T',
      normalisation: 'inferred (SPEC §1.7): channel-unit-normalised features, Gram divided by H*W',
      epsilon: options.epsilon ?? LPIPS_EPSILON,
      layers: options.layers ? [...options.layers] : 'all taps in backend order',
    };
  }
  compute(a: Features, b: Features): DistanceResult {
    return styleDistance(a, b, this.options);
  }
}
