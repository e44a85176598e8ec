/**
 * Direct JS implementations of the IR ops with PyTorch semantics, written for clarity rather than
 * speed. Tests compare the compiled ONNX graphs against them on small inputs.
 */
export interface T { data: Float32Array; shape: number[] }

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): T {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * r();
  return { data, shape };
}

export function conv2d(x: T, w: T, b: Float32Array | undefined, stride: number[], pads: number[], dilation: number[], groups: number): T {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const [pt, pl, pb, pr] = pads;
  const oh = Math.floor((h + pt + pb - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const ow = Math.floor((wd + pl + pr - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
  const out = new Float32Array(n * o * oh * ow);
  const og = o / groups;
  for (let bi = 0; bi < n; bi++) for (let oc = 0; oc < o; oc++) {
    const g = Math.floor(oc / og);
    for (let y = 0; y < oh; y++) for (let xo = 0; xo < ow; xo++) {
      let s = b ? b[oc] : 0;
      for (let ic = 0; ic < cg; ic++) {
        const cin = g * cg + ic;
        for (let ky = 0; ky < kh; ky++) {
          const iy = y * stride[0] - pt + ky * dilation[0];
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = xo * stride[1] - pl + kx * dilation[1];
            if (ix < 0 || ix >= wd) continue;
            s += x.data[((bi * c + cin) * h + iy) * wd + ix] * w.data[((oc * cg + ic) * kh + ky) * kw + kx];
          }
        }
      }
      out[((bi * o + oc) * oh + y) * ow + xo] = s;
    }
  }
  return { data: out, shape: [n, o, oh, ow] };
}

/** PyTorch's pooled size, including the ceil-mode rule that the last window must start inside the input or left pad. */
function pooledSize(size: number, k: number, s: number, padBefore: number, padAfter: number, ceil: boolean): number {
  const span = size + padBefore + padAfter - k;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= size + padBefore) out--;
  return out;
}

export function pool2d(x: T, kind: 'max' | 'avg', k: number[], stride: number[], pads: number[], ceil: boolean, countIncludePad = true): T {
  const [n, c, h, w] = x.shape;
  const [pt, pl, pb, pr] = pads;
  const oh = pooledSize(h, k[0], stride[0], pt, pb, ceil);
  const ow = pooledSize(w, k[1], stride[1], pl, pr, ceil);
  const out = new Float32Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++) for (let y = 0; y < oh; y++) for (let xo = 0; xo < ow; xo++) {
    let hs = y * stride[0] - pt, ws = xo * stride[1] - pl;
    let he = Math.min(hs + k[0], h + pb), we = Math.min(ws + k[1], w + pr);
    const padded = (he - hs) * (we - ws);
    hs = Math.max(hs, 0); ws = Math.max(ws, 0); he = Math.min(he, h); we = Math.min(we, w);
    let acc = kind === 'max' ? -Infinity : 0;
    for (let iy = hs; iy < he; iy++) for (let ix = ws; ix < we; ix++) {
      const v = x.data[(p * h + iy) * w + ix];
      acc = kind === 'max' ? Math.max(acc, v) : acc + v;
    }
    if (kind === 'avg') acc /= countIncludePad ? padded : (he - hs) * (we - ws);
    out[(p * oh + y) * ow + xo] = acc;
  }
  return { data: out, shape: [n, c, oh, ow] };
}

/** y = x Wᵀ + b over the last axis. */
export function dense(x: T, w: T, b?: Float32Array): T {
  const [outF, inF] = w.shape;
  const rows = x.data.length / inF;
  const out = new Float32Array(rows * outF);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) {
    let s = b ? b[o] : 0;
    for (let i = 0; i < inF; i++) s += x.data[r * inF + i] * w.data[o * inF + i];
    out[r * outF + o] = s;
  }
  return { data: out, shape: [...x.shape.slice(0, -1), outF] };
}

export function layerNorm(x: T, g: Float32Array, b: Float32Array, eps: number): T {
  const d = x.shape[x.shape.length - 1];
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < x.data.length / d; r++) {
    let mean = 0, v = 0;
    for (let i = 0; i < d; i++) mean += x.data[r * d + i];
    mean /= d;
    for (let i = 0; i < d; i++) v += (x.data[r * d + i] - mean) ** 2;
    v /= d;
    for (let i = 0; i < d; i++) out[r * d + i] = ((x.data[r * d + i] - mean) / Math.sqrt(v + eps)) * g[i] + b[i];
  }
  return { data: out, shape: x.shape };
}

/** erf by Abramowitz–Stegun 7.1.26 is too coarse for 1e-4; use a series/continued form accurate to ~1e-7. */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series converges quickly here.
    let term = ax, sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return sign * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Asymptotic continued fraction for the tail.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  return sign * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f));
}

export function gelu(x: T): T {
  return { data: x.data.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), shape: x.shape };
}

/** torch MultiheadAttention self-attention on [N, T, D]. */
export function attention(x: T, inW: T, inB: Float32Array, outW: T, outB: Float32Array, heads: number): T {
  const [n, t, d] = x.shape;
  const qkv = dense(x, inW, inB); // [N, T, 3D]
  const dh = d / heads;
  const ctx = new Float32Array(n * t * d);
  const scale = 1 / Math.sqrt(dh);
  for (let b = 0; b < n; b++) for (let h = 0; h < heads; h++) {
    for (let i = 0; i < t; i++) {
      const scores = new Float64Array(t);
      let max = -Infinity;
      for (let j = 0; j < t; j++) {
        let s = 0;
        for (let e = 0; e < dh; e++) {
          s += qkv.data[(b * t + i) * 3 * d + h * dh + e] * scale * qkv.data[(b * t + j) * 3 * d + d + h * dh + e];
        }
        scores[j] = s;
        max = Math.max(max, s);
      }
      let z = 0;
      for (let j = 0; j < t; j++) { scores[j] = Math.exp(scores[j] - max); z += scores[j]; }
      for (let e = 0; e < dh; e++) {
        let s = 0;
        for (let j = 0; j < t; j++) s += (scores[j] / z) * qkv.data[(b * t + j) * 3 * d + 2 * d + h * dh + e];
        ctx[(b * t + i) * d + h * dh + e] = s;
      }
    }
  }
  return dense({ data: ctx, shape: [n, t, d] }, outW, outB);
}

/** Largest |a-b| relative to max |b| (the parity tolerance is 1e-4 of the tensor's range). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / (scale || 1);
}
