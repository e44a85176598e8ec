/**
 * Procedural test images: deterministic, varied and roughly natural-looking, so tests, the
 * distortion sheet and synthetic datasets work without any image files. Image i of
 * proceduralImages(n, size, seed) depends only on (seed, i, size); kinds cycle through
 * texture (fBm value noise through a colour ramp), gradient, shapes, stripes/checkers and landscape.
 */
import type { ImageBatch } from '@percept/core';
import { InputError } from '@percept/core';
import { clamp01 } from './image.js';
import { deriveSeed, rngFor, type Rng } from './prng.js';

export const proceduralKinds = ['texture', 'gradient', 'shapes', 'stripes', 'landscape'] as const;
export type ProceduralKind = (typeof proceduralKinds)[number];

type RGB = [number, number, number];

/** Integer lattice hash -> [0,1). */
function latticeValue(ix: number, iy: number, seed: number): number {
  let h = Math.imul(ix, 0x27d4eb2d) ^ Math.imul(iy, 0x165667b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise at (x, y) in lattice units, in [0,1). */
function valueNoise(x: number, y: number, seed: number): number {
  const ix = Math.floor(x), iy = Math.floor(y);
  const fx = x - ix, fy = y - iy;
  const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  const a = latticeValue(ix, iy, seed), b = latticeValue(ix + 1, iy, seed);
  const c = latticeValue(ix, iy + 1, seed), d = latticeValue(ix + 1, iy + 1, seed);
  return (a * (1 - sx) + b * sx) * (1 - sy) + (c * (1 - sx) + d * sx) * sy;
}

/** Fractal Brownian motion: octaves of value noise, each twice the frequency and `gain` the amplitude. Roughly [0,1]. */
export function fbm(x: number, y: number, seed: number, octaves = 5, gain = 0.5): number {
  let sum = 0, amp = 1, norm = 0, f = 1;
  for (let o = 0; o < octaves; o++) {
    sum += amp * valueNoise(x * f, y * f, (seed + Math.imul(o, 0x9e3779b1)) | 0);
    norm += amp;
    amp *= gain;
    f *= 2;
  }
  return sum / norm;
}

function hsv(h: number, s: number, v: number): RGB {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  switch (((i % 6) + 6) % 6) {
    case 0: return [v, t, p];
    case 1: return [q, v, p];
    case 2: return [p, v, t];
    case 3: return [p, q, v];
    case 4: return [t, p, v];
    default: return [v, p, q];
  }
}

function randomColor(rng: Rng, sat: [number, number] = [0.2, 0.9], val: [number, number] = [0.2, 0.95]): RGB {
  return hsv(rng.next(), rng.uniform(sat[0], sat[1]), rng.uniform(val[0], val[1]));
}

function mix(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** A three-stop colour ramp. */
function ramp(stops: [RGB, RGB, RGB], t: number): RGB {
  const u = clamp01(t);
  return u < 0.5 ? mix(stops[0], stops[1], u * 2) : mix(stops[1], stops[2], (u - 0.5) * 2);
}

function smoothstep(e0: number, e1: number, x: number): number {
  const t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
}

type Painter = (u: number, v: number) => RGB;

function texture(rng: Rng): Painter {
  const ns = rng.nextUint32() | 0;
  const scale = rng.uniform(2, 6);
  const stops: [RGB, RGB, RGB] = [randomColor(rng, [0.3, 0.9], [0.1, 0.4]), randomColor(rng), randomColor(rng, [0.1, 0.6], [0.7, 1])];
  const warpAmt = rng.uniform(0, 1.5);
  return (u, v) => {
    // Domain warping gives the marbled, organic look of natural textures.
    const wx = fbm(u * scale + 5.2, v * scale + 1.3, ns ^ 0x1234, 3);
    const wy = fbm(u * scale + 9.7, v * scale + 2.8, ns ^ 0x5678, 3);
    const t = fbm(u * scale + warpAmt * wx, v * scale + warpAmt * wy, ns, 5);
    return ramp(stops, (t - 0.25) * 2);
  };
}

function gradient(rng: Rng): Painter {
  const a = randomColor(rng), b = randomColor(rng);
  const radial = rng.next() < 0.5;
  const angle = rng.uniform(0, 2 * Math.PI);
  const cx = rng.uniform(0.2, 0.8), cy = rng.uniform(0.2, 0.8);
  const ns = rng.nextUint32() | 0;
  return (u, v) => {
    const t = radial ? Math.hypot(u - cx, v - cy) * 1.4 : (u - 0.5) * Math.cos(angle) + (v - 0.5) * Math.sin(angle) + 0.5;
    const grain = (fbm(u * 8, v * 8, ns, 3) - 0.5) * 0.12;
    return mix(a, b, clamp01(t + grain));
  };
}

function shapes(rng: Rng, size: number): Painter {
  const bg = gradient(rng);
  const count = 3 + rng.int(6);
  const aa = 1.5 / size; // antialiasing width: about one and a half pixels
  const items = Array.from({ length: count }, () => ({
    kind: rng.int(3),
    cx: rng.uniform(0.1, 0.9),
    cy: rng.uniform(0.1, 0.9),
    r: rng.uniform(0.08, 0.3),
    r2: rng.uniform(0.05, 0.25),
    angle: rng.uniform(0, Math.PI),
    color: randomColor(rng),
  }));
  return (u, v) => {
    let c = bg(u, v);
    for (const s of items) {
      const dx = u - s.cx, dy = v - s.cy;
      let d: number; // signed distance, negative inside
      if (s.kind === 0) d = Math.hypot(dx, dy) - s.r;
      else {
        const ca = Math.cos(s.angle), sa = Math.sin(s.angle);
        const x = Math.abs(dx * ca + dy * sa), y = Math.abs(-dx * sa + dy * ca);
        d = s.kind === 1 ? Math.max(x - s.r, y - s.r2) : Math.max(x - s.r, y - s.r * 0.15); // rectangle or bar
      }
      c = mix(c, s.color, 1 - smoothstep(-aa, aa, d));
    }
    return c;
  };
}

function stripes(rng: Rng): Painter {
  const a = randomColor(rng), b = randomColor(rng);
  const checker = rng.next() < 0.4;
  const freq = rng.uniform(2, 9);
  const angle = rng.uniform(0, Math.PI);
  const ns = rng.nextUint32() | 0;
  const wobble = rng.uniform(0, 0.6);
  return (u, v) => {
    const x = u * Math.cos(angle) + v * Math.sin(angle);
    const y = -u * Math.sin(angle) + v * Math.cos(angle);
    const w = (fbm(u * 3, v * 3, ns, 3) - 0.5) * wobble;
    let t = 0.5 + 0.5 * Math.sin(2 * Math.PI * freq * (x + w));
    if (checker) t = 0.5 + 0.5 * Math.tanh(3 * Math.sin(2 * Math.PI * freq * x) * Math.sin(2 * Math.PI * freq * y));
    return mix(a, b, t);
  };
}

function landscape(rng: Rng): Painter {
  const skyTop = hsv(rng.uniform(0.5, 0.7), rng.uniform(0.3, 0.8), rng.uniform(0.6, 1));
  const skyLow = mix(skyTop, [1, 1, 1], rng.uniform(0.3, 0.7));
  const ground = randomColor(rng, [0.3, 0.8], [0.2, 0.6]);
  const ground2 = mix(ground, randomColor(rng), 0.5);
  const horizon = rng.uniform(0.35, 0.65);
  const ns = rng.nextUint32() | 0;
  return (u, v) => {
    const h = horizon + (fbm(u * 3, 0.5, ns, 4) - 0.5) * 0.4;
    if (v < h) {
      const cloud = smoothstep(0.55, 0.75, fbm(u * 4, v * 8, ns ^ 0xabc, 4));
      return mix(mix(skyTop, skyLow, v / Math.max(h, 1e-6)), [1, 1, 1], cloud * 0.8);
    }
    const t = fbm(u * 12, v * 20, ns ^ 0xdef, 4);
    const shade = 0.6 + 0.4 * (v - h) / Math.max(1 - h, 1e-6);
    const c = mix(ground, ground2, t);
    return [c[0] * shade, c[1] * shade, c[2] * shade];
  };
}

/** Renders one procedural image of the given kind (2x2 supersampled against aliasing). */
export function proceduralImage(kind: ProceduralKind, size: number, seed: number): Float32Array {
  const rng = rngFor(seed, 'procedural', kind);
  const painter =
    kind === 'texture' ? texture(rng)
    : kind === 'gradient' ? gradient(rng)
    : kind === 'shapes' ? shapes(rng, size)
    : kind === 'stripes' ? stripes(rng)
    : landscape(rng);
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0;
      for (const [oy, ox] of [[0.25, 0.25], [0.25, 0.75], [0.75, 0.25], [0.75, 0.75]]) {
        const c = painter((x + ox) / size, (y + oy) / size);
        r += c[0]; g += c[1]; b += c[2];
      }
      const p = (y * size + x) * 3;
      out[p] = clamp01(r / 4);
      out[p + 1] = clamp01(g / 4);
      out[p + 2] = clamp01(b / 4);
    }
  }
  return out;
}

/**
 * n procedural size x size images. Image i has kind proceduralKinds[i % 5] and its own seed
 * deriveSeed(seed, i), so the first k images of a larger n are the same as for n = k.
 */
export function proceduralImages(n: number, size: number, seed = 0): ImageBatch {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`proceduralImages: "n" must be a positive integer, got ${n}`);
  if (!Number.isInteger(size) || size < 2 || size > 4096) throw new InputError(`proceduralImages: "size" must be an integer in 2..4096, got ${size}`);
  const len = size * size * 3;
  const data = new Float32Array(n * len);
  for (let i = 0; i < n; i++) {
    data.set(proceduralImage(proceduralKinds[i % proceduralKinds.length], size, deriveSeed(seed, i)), i * len);
  }
  return { data, shape: [n, size, size, 3] };
}
