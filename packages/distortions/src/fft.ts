/**
 * Complex FFT for any length: iterative radix-2 for powers of two (the common 64x64 case) and
 * Bluestein's chirp-z algorithm for every other length, which re-expresses a length-n DFT as a
 * circular convolution of power-of-two length >= 2n-1. Both are O(n log n). Twiddle tables and
 * Bluestein chirps are cached per length because the same sizes recur for every channel and image.
 *
 * Convention: forward X[k] = sum_j x[j] e^{-2 pi i jk/n}; the inverse divides by n, so
 * inverse(forward(x)) = x.
 */

interface Radix2Plan {
  n: number;
  bits: number;
  rev: Uint32Array;
  cos: Float64Array;
  sin: Float64Array;
}

interface BluesteinPlan {
  n: number;
  m: number;
  /** The chirp w[j] = exp(-i pi j^2 / n), j = 0..n-1. */
  chirpRe: Float64Array;
  chirpIm: Float64Array;
  /** FFT (length m) of the conjugate chirp arranged for circular convolution. */
  kernelRe: Float64Array;
  kernelIm: Float64Array;
}

const radix2Plans = new Map<number, Radix2Plan>();
const bluesteinPlans = new Map<number, BluesteinPlan>();

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function radix2Plan(n: number): Radix2Plan {
  let plan = radix2Plans.get(n);
  if (plan) return plan;
  const bits = Math.round(Math.log2(n));
  const rev = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const half = n >> 1;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  plan = { n, bits, rev, cos, sin };
  radix2Plans.set(n, plan);
  return plan;
}

/** Unnormalised in-place radix-2 transform; `sign` = -1 forward, +1 inverse. */
function radix2(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  if (n <= 1) return;
  const { rev, cos, sin } = radix2Plan(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      let t = re[i]; re[i] = re[j]; re[j] = t;
      t = im[i]; im[i] = im[j]; im[j] = t;
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sign * sin[k * step];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

function bluesteinPlan(n: number): BluesteinPlan {
  let plan = bluesteinPlans.get(n);
  if (plan) return plan;
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  const chirpRe = new Float64Array(n);
  const chirpIm = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    // j^2 mod 2n keeps the angle small and exact for large j.
    const angle = (Math.PI * ((j * j) % (2 * n))) / n;
    chirpRe[j] = Math.cos(angle);
    chirpIm[j] = -Math.sin(angle);
  }
  const kernelRe = new Float64Array(m);
  const kernelIm = new Float64Array(m);
  kernelRe[0] = chirpRe[0];
  kernelIm[0] = -chirpIm[0];
  for (let j = 1; j < n; j++) {
    kernelRe[j] = kernelRe[m - j] = chirpRe[j];
    kernelIm[j] = kernelIm[m - j] = -chirpIm[j];
  }
  radix2(kernelRe, kernelIm, -1);
  plan = { n, m, chirpRe, chirpIm, kernelRe, kernelIm };
  bluesteinPlans.set(n, plan);
  return plan;
}

/** Unnormalised Bluestein transform; `sign` = -1 forward, +1 inverse (via conjugation). */
function bluestein(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  const { m, chirpRe, chirpIm, kernelRe, kernelIm } = bluesteinPlan(n);
  // The inverse DFT is the conjugate of the forward DFT of the conjugate input.
  const s = sign < 0 ? 1 : -1;
  const ar = new Float64Array(m);
  const ai = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    const xr = re[j];
    const xi = s * im[j];
    ar[j] = xr * chirpRe[j] - xi * chirpIm[j];
    ai[j] = xr * chirpIm[j] + xi * chirpRe[j];
  }
  radix2(ar, ai, -1);
  for (let k = 0; k < m; k++) {
    const r = ar[k] * kernelRe[k] - ai[k] * kernelIm[k];
    const i = ar[k] * kernelIm[k] + ai[k] * kernelRe[k];
    ar[k] = r;
    ai[k] = i;
  }
  radix2(ar, ai, 1);
  for (let k = 0; k < n; k++) {
    const cr = ar[k] / m;
    const ci = ai[k] / m;
    re[k] = cr * chirpRe[k] - ci * chirpIm[k];
    im[k] = s * (cr * chirpIm[k] + ci * chirpRe[k]);
  }
}

/** In-place 1-D complex DFT of any length. `inverse` also divides by n. */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (im.length !== n) throw new RangeError(`fft: real part has ${n} values but imaginary part has ${im.length}`);
  if (n <= 1) return;
  const sign = inverse ? 1 : -1;
  if (isPowerOfTwo(n)) radix2(re, im, sign);
  else bluestein(re, im, sign);
  if (inverse) {
    for (let i = 0; i < n; i++) { re[i] /= n; im[i] /= n; }
  }
}

/** In-place 2-D DFT of an h x w row-major complex plane. */
export function fft2d(re: Float64Array, im: Float64Array, h: number, w: number, inverse = false): void {
  if (re.length !== h * w || im.length !== h * w) {
    throw new RangeError(`fft2d: planes have ${re.length}/${im.length} values, expected ${h}x${w} = ${h * w}`);
  }
  const rowRe = new Float64Array(w);
  const rowIm = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    const off = y * w;
    rowRe.set(re.subarray(off, off + w));
    rowIm.set(im.subarray(off, off + w));
    fft(rowRe, rowIm, inverse);
    re.set(rowRe, off);
    im.set(rowIm, off);
  }
  const colRe = new Float64Array(h);
  const colIm = new Float64Array(h);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) { colRe[y] = re[y * w + x]; colIm[y] = im[y * w + x]; }
    fft(colRe, colIm, inverse);
    for (let y = 0; y < h; y++) { re[y * w + x] = colRe[y]; im[y * w + x] = colIm[y]; }
  }
}

/**
 * The signed frequency (cycles per image) of DFT bin k of an n-point transform, as after fftshift:
 * 0..ceil(n/2)-1 stay positive, the rest wrap to negative. For even n, bin n/2 is -n/2 (|f| = n/2).
 */
export function signedFrequency(k: number, n: number): number {
  return k < Math.ceil(n / 2) ? k : k - n;
}
