/**
 * LPIPS (Zhang et al. 2018) and the Kumar et al. Perceptual Score distance (= LPIPS "baseline").
 *
 * Per layer l and position (h,w): unit-normalise each feature vector over channels with ε added to
 * the norm, x / (sqrt(Σ_c x²) + 1e-10) (LPIPS' normalize_tensor), square the difference, then
 * weight channels with the non-negative lin weights ("lin") or sum them ("baseline"), take the
 * spatial MEAN, and SUM over layers (LPIPS sums; Kumar "averages", which cannot change a 2AFC
 * ranking, SPEC §1.2).
 */
import { InputError, type DistanceResult, type Features, type FeatureDistance, type JsonValue, type LpipsHeadSpec } from '@percept/core';
import { batchSize, pairedTaps, resolveLayers, type TapView } from './features.js';

export const LPIPS_EPSILON = 1e-10;

export type LinWeights = Readonly<Record<string, ArrayLike<number>>> | readonly ArrayLike<number>[];

export interface LpipsOptions {
  variant?: 'baseline' | 'lin';
  /** Tap names to use, in order (default: every tap, in the order the backend produced them). */
  layers?: readonly string[];
  /**
   * Per-channel non-negative weights for the lin variant: keyed by layer name, or an array in
   * `layers` order (LPIPS' lin0..linK). Each has one weight per channel.
   */
  lin?: { weights: LinWeights };
  /** Added to the channel norm (default 1e-10, as LPIPS). */
  epsilon?: number;
}

/** Looks up and validates the lin weights of each layer (null for baseline). */
export function resolveLinWeights(layers: readonly string[], lin: LinWeights | undefined): (Float64Array | null)[] {
  if (!lin) return layers.map(() => null);
  return layers.map((layer, i) => {
    const w = Array.isArray(lin) ? (lin as readonly ArrayLike<number>[])[i] : (lin as Record<string, ArrayLike<number>>)[layer];
    if (!w) {
      const have = Array.isArray(lin) ? `${lin.length} arrays` : Object.keys(lin).join(', ');
      throw new InputError(`LPIPS lin weights: none for layer "${layer}" (position ${i}); weights given for: ${have}`);
    }
    const out = Float64Array.from(w as ArrayLike<number>);
    for (let k = 0; k < out.length; k++) {
      if (!(out[k] >= 0) || !Number.isFinite(out[k])) {
        throw new InputError(`LPIPS lin weights for layer "${layer}": weight ${k} is ${out[k]}; weights must be finite and non-negative`);
      }
    }
    return out;
  });
}

function checkLinChannels(view: TapView, w: Float64Array | null): void {
  if (w && w.length !== view.c) {
    throw new InputError(`LPIPS lin weights for layer "${view.name}": ${w.length} weights but the tap has ${view.c} channels`);
  }
}

/**
 * 1 / (‖x‖ + ε) of every feature vector (over channels) of a tap, per sample and position
 * (n·s values): LPIPS' normalize_tensor as a factor. The sums run over channels in ascending
 * order in either loop order, so NCHW and NHWC taps give the same bits.
 */
function reciprocalNorms(v: TapView, eps: number): Float64Array {
  const { n, c, s, nStride, sStride, cStride, data } = v;
  const out = new Float64Array(n * s);
  for (let i = 0; i < n; i++) {
    const base = i * nStride, o = i * s;
    if (cStride === 1) {
      // Channels contiguous (NHWC, NC): one position at a time.
      for (let p = 0; p < s; p++) {
        let sum = 0;
        for (let k = 0, j = base + p * sStride; k < c; k++, j++) sum += data[j] * data[j];
        out[o + p] = sum;
      }
    } else {
      // Channel planes (NCHW): walk each plane contiguously, accumulating every position at once.
      for (let k = 0; k < c; k++) {
        for (let p = 0, j = base + k * cStride; p < s; p++, j += sStride) out[o + p] += data[j] * data[j];
      }
    }
    for (let p = o; p < o + s; p++) out[p] = 1 / (Math.sqrt(out[p]) + eps);
  }
  return out;
}

/**
 * Writes the per-position map Σ_c w_c (â - b̂)² of sample i into `out` (length s), where â = a·ra,
 * b̂ = b·rb are channel-unit-normalised (ra, rb from reciprocalNorms). w = null means all ones.
 * Channels are summed in ascending order whatever the layout, as in reciprocalNorms.
 */
function layerMap(
  va: TapView, vb: TapView, i: number, ra: Float64Array, rb: Float64Array, w: Float64Array | null, out: Float64Array,
): void {
  const { c, s, sStride, cStride } = va;
  const A = va.data, B = vb.data;
  const baseA = i * va.nStride, baseB = i * vb.nStride, o = i * s;
  if (cStride === 1) {
    for (let p = 0; p < s; p++) {
      const fa = ra[o + p], fb = rb[o + p];
      let acc = 0;
      for (let k = 0, ia = baseA + p * sStride, ib = baseB + p * sStride; k < c; k++, ia++, ib++) {
        const d = A[ia] * fa - B[ib] * fb;
        acc += w ? w[k] * d * d : d * d;
      }
      out[p] = acc;
    }
    return;
  }
  out.fill(0, 0, s);
  for (let k = 0; k < c; k++) {
    const wk = w ? w[k] : 1;
    for (let p = 0, ia = baseA + k * cStride, ib = baseB + k * cStride; p < s; p++, ia += sStride, ib += sStride) {
      const d = A[ia] * ra[o + p] - B[ib] * rb[o + p];
      out[p] += w ? wk * d * d : d * d;
    }
  }
}

/**
 * Reciprocal norms per layer of one feature set, kept per Features object: the perceptual-score job
 * compares each reference with p0 and then with p1, so the second call reuses the reference's norms.
 * Keyed weakly (nothing is retained) and checked against the tap's data array and ε.
 */
type NormCache = WeakMap<Features, Map<string, { data: Float32Array; eps: number; norms: Float64Array }>>;

function normsOf(cache: NormCache | undefined, f: Features, v: TapView, eps: number): Float64Array {
  if (!cache) return reciprocalNorms(v, eps);
  let layers = cache.get(f);
  if (!layers) cache.set(f, (layers = new Map()));
  const hit = layers.get(v.name);
  if (hit && hit.data === v.data && hit.eps === eps) return hit.norms;
  const norms = reciprocalNorms(v, eps);
  layers.set(v.name, { data: v.data, eps, norms });
  return norms;
}

function prepare(a: Features, b: Features, options: LpipsOptions) {
  const variant = options.variant ?? (options.lin ? 'lin' : 'baseline');
  if (variant !== 'lin' && variant !== 'baseline') throw new InputError(`LPIPS: variant must be "lin" or "baseline", got "${String(variant)}"`);
  if (variant === 'lin' && !options.lin) throw new InputError('LPIPS: variant "lin" needs lin.weights (one non-negative weight per channel per layer)');
  const eps = options.epsilon ?? LPIPS_EPSILON;
  if (!(eps >= 0)) throw new InputError(`LPIPS: epsilon must be >= 0, got ${eps}`);
  const layers = resolveLayers(a, options.layers);
  const weights = resolveLinWeights(layers, variant === 'lin' ? options.lin!.weights : undefined);
  const pairs = layers.map((l) => pairedTaps(a, b, l));
  pairs.forEach(([va], i) => checkLinChannels(va, weights[i]));
  const n = batchSize(pairs.map(([va]) => va));
  return { variant, eps, layers, weights, pairs, n };
}

/** LPIPS distance per sample: total and per layer (in `layers` order). */
export function lpips(a: Features, b: Features, options: LpipsOptions = {}): DistanceResult {
  return lpipsCached(a, b, options, undefined);
}

function lpipsCached(a: Features, b: Features, options: LpipsOptions, cache: NormCache | undefined): DistanceResult {
  const { eps, layers, weights, pairs, n } = prepare(a, b, options);
  const total = new Float32Array(n);
  const perLayer = layers.map(() => new Float32Array(n));
  const totals = new Float64Array(n);
  let scratch = new Float64Array(0);
  pairs.forEach(([va, vb], l) => {
    if (scratch.length < va.s) scratch = new Float64Array(va.s);
    const ra = normsOf(cache, a, va, eps), rb = reciprocalNorms(vb, eps);
    for (let i = 0; i < n; i++) {
      layerMap(va, vb, i, ra, rb, weights[l], scratch);
      let sum = 0;
      for (let p = 0; p < va.s; p++) sum += scratch[p];
      const v = sum / va.s;
      perLayer[l][i] = v;
      totals[i] += v;
    }
  });
  total.set(totals);
  return { total, perLayer, layers };
}

export interface SpatialResult {
  /** [N, H, W] row-major: the sum of the upsampled layer maps. */
  total: Float32Array;
  /** One [N, H, W] map per layer. */
  perLayer: Float32Array[];
  layers: string[];
  shape: [number, number, number];
}

/**
 * LPIPS with spatial=True: each layer's per-position map is upsampled bilinearly
 * (align_corners=False, no antialiasing, as torch.nn.Upsample) to `size` and the maps are summed.
 * The spatial mean of the result is close to, but not exactly, the scalar LPIPS.
 */
export function lpipsSpatial(a: Features, b: Features, size: readonly [number, number], options: LpipsOptions = {}): SpatialResult {
  const [H, W] = size;
  if (!Number.isInteger(H) || !Number.isInteger(W) || H < 1 || W < 1) throw new InputError(`lpipsSpatial: size must be positive integers, got ${H}x${W}`);
  const { eps, layers, weights, pairs, n } = prepare(a, b, options);
  const plane = H * W;
  const total = new Float32Array(n * plane);
  const perLayer = layers.map(() => new Float32Array(n * plane));
  pairs.forEach(([va, vb], l) => {
    const map = new Float64Array(va.s);
    const up = upsampler(va.h, va.w, H, W);
    const ra = reciprocalNorms(va, eps), rb = reciprocalNorms(vb, eps);
    for (let i = 0; i < n; i++) {
      layerMap(va, vb, i, ra, rb, weights[l], map);
      up(map, perLayer[l].subarray(i * plane, (i + 1) * plane));
    }
    for (let j = 0; j < total.length; j++) total[j] += perLayer[l][j];
  });
  return { total, perLayer, layers, shape: [n, H, W] };
}

/** Per axis: source index pair and weight of the second, torch's align_corners=False rule. */
function axis(inSize: number, outSize: number) {
  const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize), t = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    t[o] = src - lo;
  }
  return { i0, i1, t };
}

function upsampler(h: number, w: number, H: number, W: number) {
  const ay = axis(h, H), ax = axis(w, W);
  return (src: Float64Array, dst: Float32Array) => {
    for (let y = 0; y < H; y++) {
      const r0 = ay.i0[y] * w, r1 = ay.i1[y] * w, ty = ay.t[y];
      for (let x = 0; x < W; x++) {
        const c0 = ax.i0[x], c1 = ax.i1[x], tx = ax.t[x];
        const top = src[r0 + c0] * (1 - tx) + src[r0 + c1] * tx;
        const bot = src[r1 + c0] * (1 - tx) + src[r1 + c1] * tx;
        dst[y * W + x] = top * (1 - ty) + bot * ty;
      }
    }
  };
}

/** FNV-1a over the float32 bytes: a short fingerprint of the lin weights for provenance. */
export function weightsDigest(layers: readonly string[], weights: readonly (Float64Array | null)[]): string {
  let h = 0x811c9dc5;
  weights.forEach((w, l) => {
    const bytes = new Uint8Array(Float32Array.from(w ?? []).buffer);
    for (const ch of layers[l]) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
    for (const byte of bytes) h = Math.imul(h ^ byte, 0x01000193);
  });
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** LPIPS as a FeatureDistance (the `lpips` distance contribution). */
export class LpipsDistance implements FeatureDistance {
  readonly input = 'features' as const;
  readonly name = 'lpips';
  readonly settings: Record<string, JsonValue>;
  constructor(private readonly options: LpipsOptions = {}) {
    const variant = options.variant ?? (options.lin ? 'lin' : 'baseline');
    const settings: Record<string, JsonValue> = {
      variant,
      epsilon: options.epsilon ?? LPIPS_EPSILON,
      epsilonPlacement: 'added to the channel L2 norm',
      spatialAggregation: 'mean',
      layerAggregation: 'sum',
      layers: options.layers ? [...options.layers] : 'all taps in backend order',
    };
    if (variant === 'lin') {
      if (!options.lin) throw new InputError('LPIPS: variant "lin" needs lin.weights (one non-negative weight per channel per layer)');
      const w = options.lin.weights;
      const names = Array.isArray(w) ? (options.layers ?? w.map((_, i) => String(i))) : Object.keys(w);
      settings.linDigest = weightsDigest(names, resolveLinWeights(names, w));
    }
    this.settings = settings;
  }
  private readonly norms: NormCache = new WeakMap();
  compute(a: Features, b: Features): DistanceResult {
    return lpipsCached(a, b, this.options, this.norms);
  }

  /** The same distance for a backend to compute beside the forward pass (in float32). */
  head(id: string, taps: readonly string[]): LpipsHeadSpec {
    const layers = this.options.layers ? [...this.options.layers] : [...taps];
    const missing = layers.filter((l) => !taps.includes(l));
    if (missing.length) throw new InputError(`LPIPS: layer(s) ${missing.join(', ')} are not taps of this backbone (taps: ${taps.join(', ')})`);
    const variant = this.settings.variant;
    const weights = resolveLinWeights(layers, variant === 'lin' ? this.options.lin!.weights : undefined);
    return {
      kind: 'lpips',
      id,
      layers,
      weights: weights.map((w) => (w ? Float32Array.from(w) : null)),
      epsilon: this.options.epsilon ?? LPIPS_EPSILON,
    };
  }
}
