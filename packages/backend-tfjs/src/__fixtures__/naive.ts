/**
 * Test-only reference implementations written straight from PyTorch's definitions, in NCHW with
 * plain loops, so the compiled tfjs ops are checked against something that shares no code with them.
 */
import type { IRGraph, IRNode, ParamSpec, WeightTensor } from '@percept/backbones';

export interface Arr { data: Float32Array; shape: number[] }

/** Deterministic uniform numbers in [lo, hi). */
export function rng(seed: number): (lo?: number, hi?: number) => number {
  let a = seed >>> 0;
  return (lo = -1, hi = 1) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + (hi - lo) * u;
  };
}

export function randomArr(shape: number[], rand: () => number): Arr {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rand();
  return { data, shape };
}

export function nchwToNhwc(x: Arr): Arr {
  const [n, c, h, w] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    out[((b * h + i) * w + j) * c + k] = x.data[((b * c + k) * h + i) * w + j];
  }
  return { data: out, shape: [n, h, w, c] };
}

export function nhwcToNchw(x: { data: Float32Array; shape: readonly number[] }): Arr {
  const [n, h, w, c] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    out[((b * c + k) * h + i) * w + j] = x.data[((b * h + i) * w + j) * c + k];
  }
  return { data: out, shape: [n, c, h, w] };
}

export function conv2dNaive(
  x: Arr, w: Arr, b: Float32Array | undefined,
  o: { stride: [number, number]; pads: [number, number, number, number]; dilation: [number, number]; groups: number },
): Arr {
  const [n, c, h, wd] = x.shape;
  const [oc, icg, kh, kw] = w.shape;
  const [pt, pl, pb, pr] = o.pads;
  const oh = Math.floor((h + pt + pb - o.dilation[0] * (kh - 1) - 1) / o.stride[0]) + 1;
  const ow = Math.floor((wd + pl + pr - o.dilation[1] * (kw - 1) - 1) / o.stride[1]) + 1;
  const ocg = oc / o.groups;
  const out = new Float32Array(n * oc * oh * ow);
  for (let bi = 0; bi < n; bi++) for (let f = 0; f < oc; f++) {
    const g = Math.floor(f / ocg);
    for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
      let s = b ? b[f] : 0;
      for (let ci = 0; ci < icg; ci++) {
        const cin = g * icg + ci;
        for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
          const y = i * o.stride[0] - pt + u * o.dilation[0];
          const xx = j * o.stride[1] - pl + v * o.dilation[1];
          if (y < 0 || y >= h || xx < 0 || xx >= wd) continue;
          s += x.data[((bi * c + cin) * h + y) * wd + xx] * w.data[((f * icg + ci) * kh + u) * kw + v];
        }
      }
      out[((bi * oc + f) * oh + i) * ow + j] = s;
    }
  }
  return { data: out, shape: [n, oc, oh, ow] };
}

/** PyTorch's pooling, transcribed from its CPU kernels (output size rule and avg divisor). */
export function poolNaive(
  x: Arr, op: 'max' | 'avg', k: [number, number], s: [number, number], pads: [number, number, number, number],
  ceil: boolean, countIncludePad = true,
): Arr {
  const [n, c, h, w] = x.shape;
  const [pt, pl, pb, pr] = pads;
  const size = (inp: number, kk: number, ss: number, a: number, bb: number) => {
    let out = Math.floor((inp + a + bb - kk + (ceil ? ss - 1 : 0)) / ss) + 1;
    if (ceil && (out - 1) * ss >= inp + a) out--;
    return out;
  };
  const oh = size(h, k[0], s[0], pt, pb);
  const ow = size(w, k[1], s[1], pl, pr);
  const out = new Float32Array(n * c * oh * ow);
  for (let bi = 0; bi < n; bi++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let hs = i * s[0] - pt, ws = j * s[1] - pl;
    let he = Math.min(hs + k[0], h + pb), we = Math.min(ws + k[1], w + pr);
    const poolSize = (he - hs) * (we - ws);
    hs = Math.max(hs, 0); ws = Math.max(ws, 0); he = Math.min(he, h); we = Math.min(we, w);
    let acc = op === 'max' ? -Infinity : 0;
    for (let y = hs; y < he; y++) for (let xx = ws; xx < we; xx++) {
      const v = x.data[((bi * c + ch) * h + y) * w + xx];
      acc = op === 'max' ? Math.max(acc, v) : acc + v;
    }
    if (op === 'avg') acc /= countIncludePad ? poolSize : (he - hs) * (we - ws);
    out[((bi * c + ch) * oh + i) * ow + j] = acc;
  }
  return { data: out, shape: [n, c, oh, ow] };
}

/** y = x Wᵀ + b over the last axis; w is [out, in] as PyTorch stores it. */
export function denseNaive(x: Arr, w: Arr, b?: Float32Array): Arr {
  const inF = w.shape[1], outF = w.shape[0];
  const rows = x.data.length / inF;
  const out = new Float32Array(rows * outF);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) {
    let s = b ? b[o] : 0;
    for (let i = 0; i < inF; i++) s += x.data[r * inF + i] * w.data[o * inF + i];
    out[r * outF + o] = s;
  }
  return { data: out, shape: [...x.shape.slice(0, -1), outF] };
}

/** torchvision MultiheadAttention self-attention on [N, T, D]. */
export function attentionNaive(x: Arr, inW: Arr, inB: Float32Array, outW: Arr, outB: Float32Array, heads: number): Arr {
  const [n, t, d] = x.shape;
  const dh = d / heads;
  const qkv = denseNaive(x, inW, inB).data; // [n, t, 3d]
  const ctx = new Float32Array(n * t * d);
  for (let b = 0; b < n; b++) for (let hd = 0; hd < heads; hd++) for (let i = 0; i < t; i++) {
    const scores = new Float64Array(t);
    let mx = -Infinity;
    for (let j = 0; j < t; j++) {
      let s = 0;
      for (let e = 0; e < dh; e++) s += qkv[(b * t + i) * 3 * d + hd * dh + e] * qkv[(b * t + j) * 3 * d + d + hd * dh + e];
      scores[j] = s / Math.sqrt(dh);
      mx = Math.max(mx, scores[j]);
    }
    let z = 0;
    for (let j = 0; j < t; j++) { scores[j] = Math.exp(scores[j] - mx); z += scores[j]; }
    for (let e = 0; e < dh; e++) {
      let s = 0;
      for (let j = 0; j < t; j++) s += (scores[j] / z) * qkv[(b * t + j) * 3 * d + 2 * d + hd * dh + e];
      ctx[(b * t + i) * d + hd * dh + e] = s;
    }
  }
  return denseNaive({ data: ctx, shape: [n, t, d] }, outW, outB);
}

/** Largest |a−b| relative to the largest |b|, the parity criterion of the project. */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / (scale || 1);
}

/** Builds a tiny IRGraph; params are derived by the caller-supplied list. */
export function tinyGraph(nodes: IRNode[], params: ParamSpec[], extra: Partial<IRGraph> = {}): IRGraph {
  return {
    name: 'tiny',
    input: { name: 'input', channels: 3 },
    nodes,
    taps: {},
    params,
    ...extra,
  };
}

export function weightMap(entries: Record<string, Arr>): Map<string, WeightTensor> {
  return new Map(Object.entries(entries).map(([k, v]) => [k, { data: v.data, shape: v.shape }]));
}
