/**
 * Spatial distortions: geometric warps, ghosting and chromatic aberration. Every warp is a backward
 * map sampled bilinearly with a reflect border (see image.ts `sampleBilinear`). Displacements are
 * given as fractions of the image side so a severity means the same on 64x64 and 256x256 images;
 * the docs quote pixels at 64x64. Random parts (directions, control-point offsets) are drawn before
 * the severity is applied, so with one seed the displacement field grows linearly with severity.
 */
import { clipInPlace, sampleBilinear, warp, type Img } from './image.js';
import type { Rng } from './prng.js';
import { round, type DistortionDef } from './types.js';

/** Translation at severity 1, as a fraction of the image side (6.4 px at 64). */
export const SHIFT_MAX = 0.1;
/** Affine: largest entry of A - I at severity 1, and translation (fraction of side). */
export const AFFINE_MATRIX_MAX = 0.15;
export const AFFINE_TRANSLATE_MAX = 0.04;
/** Homography: largest corner displacement per axis at severity 1 (fraction of side; 7.7 px at 64). */
export const HOMOGRAPHY_CORNER_MAX = 0.12;
/** Linear/cubic warps: control grid cells per side and largest node displacement (fraction of side; 3.2 px at 64). */
export const WARP_GRID = 4;
export const WARP_DISPLACEMENT_MAX = 0.05;
/** Ghosting: weight of the ghost at severity 1, and ghost offset range (fraction of side, drawn per seed). */
export const GHOST_ALPHA_MAX = 0.5;
export const GHOST_OFFSET_RANGE: readonly [number, number] = [0.05, 0.15];
/** Chromatic aberration at severity 1: radial scale difference of R and B (+-), and lateral shift (fraction of side). */
export const CA_RADIAL_MAX = 0.04;
export const CA_LATERAL_MAX = 0.02;

function side(img: Img): number {
  return Math.min(img.h, img.w);
}

/** A random direction (unit vector). */
function direction(rng: Rng): [number, number] {
  const t = rng.uniform(0, 2 * Math.PI);
  return [Math.cos(t), Math.sin(t)];
}

/** A magnitude in [0.5, 1] with a random sign: random but never negligible. */
function signedMagnitude(rng: Rng): number {
  return rng.sign() * rng.uniform(0.5, 1);
}

export const shift: DistortionDef = {
  name: 'shift',
  family: 'spatial',
  description: 'Translates the image by a sub-pixel offset in a random direction (content enters mirrored from the border).',
  random: true,
  identityAtZero: true,
  options: {},
  describeSeverity: (s) => ({ offsetFractionOfSide: round(SHIFT_MAX * s), offsetPixelsAt64: round(SHIFT_MAX * s * 64, 2), direction: 'uniform random angle per seed' }),
  apply(img, call) {
    const [ux, uy] = direction(call.rng);
    const d = SHIFT_MAX * call.severity * side(img);
    return warp(img, (x, y, _c, out) => { out[0] = x - d * ux; out[1] = y - d * uy; });
  },
};

export const affineWarp: DistortionDef = {
  name: 'affine-warp',
  family: 'spatial',
  description: 'Warps by a random affine map about the image centre: p -> c + (I + s M)(p - c) + s t.',
  random: true,
  identityAtZero: true,
  options: {},
  describeSeverity: (s) => ({
    maxMatrixEntryDeviation: round(AFFINE_MATRIX_MAX * s),
    translationFractionOfSide: round(AFFINE_TRANSLATE_MAX * s),
    matrix: 'entries of M: random sign x uniform [0.5, 1] x max, per seed',
  }),
  apply(img, call) {
    const m = [0, 1, 2, 3].map(() => signedMagnitude(call.rng) * AFFINE_MATRIX_MAX);
    const [tx, ty] = direction(call.rng);
    const s = call.severity;
    const t = AFFINE_TRANSLATE_MAX * s * side(img);
    const cx = (img.w - 1) / 2;
    const cy = (img.h - 1) / 2;
    return warp(img, (x, y, _c, out) => {
      const dx = x - cx, dy = y - cy;
      out[0] = cx + dx + s * (m[0] * dx + m[1] * dy) + t * tx;
      out[1] = cy + dy + s * (m[2] * dx + m[3] * dy) + t * ty;
    });
  },
};

/** Solves the 8 homography parameters (h33 = 1) mapping src[i] to dst[i]; Gaussian elimination with pivoting. */
export function solveHomography(src: ReadonlyArray<[number, number]>, dst: ReadonlyArray<[number, number]>): Float64Array {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = src[i];
    const [u, v] = dst[i];
    a.push([x, y, 1, 0, 0, 0, -x * u, -y * u, u]);
    a.push([0, 0, 0, x, y, 1, -x * v, -y * v, v]);
  }
  for (let col = 0; col < 8; col++) {
    let piv = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    if (Math.abs(a[piv][col]) < 1e-12) throw new RangeError('solveHomography: degenerate corner configuration');
    [a[col], a[piv]] = [a[piv], a[col]];
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let k = col; k < 9; k++) a[r][k] -= f * a[col][k];
    }
  }
  const h = new Float64Array(9);
  for (let i = 0; i < 8; i++) h[i] = a[i][8] / a[i][i];
  h[8] = 1;
  return h;
}

export const homography: DistortionDef = {
  name: 'homography',
  family: 'spatial',
  description: 'Projective warp: each image corner is moved by a random offset and the homography through the four corners is applied.',
  random: true,
  identityAtZero: true,
  options: {},
  describeSeverity: (s) => ({ maxCornerOffsetFractionOfSide: round(HOMOGRAPHY_CORNER_MAX * s), maxCornerOffsetPixelsAt64: round(HOMOGRAPHY_CORNER_MAX * s * 64, 2) }),
  apply(img, call) {
    const offsets = [0, 1, 2, 3].map(() => [call.rng.uniform(-1, 1), call.rng.uniform(-1, 1)]);
    const d = HOMOGRAPHY_CORNER_MAX * call.severity * side(img);
    const W = img.w - 1, H = img.h - 1;
    const corners: Array<[number, number]> = [[0, 0], [W, 0], [W, H], [0, H]];
    if (W === 0 || H === 0) return Float32Array.from(img.data);
    const moved = corners.map(([x, y], i): [number, number] => [x + d * offsets[i][0], y + d * offsets[i][1]]);
    const hm = solveHomography(corners, moved);
    return warp(img, (x, y, _c, out) => {
      const z = hm[6] * x + hm[7] * y + hm[8];
      out[0] = (hm[0] * x + hm[1] * y + hm[2]) / z;
      out[1] = (hm[3] * x + hm[4] * y + hm[5]) / z;
    });
  },
};

/** Catmull-Rom weights for fraction t of the interval between p1 and p2 (points p0..p3). */
function catmullRom(t: number): [number, number, number, number] {
  const t2 = t * t, t3 = t2 * t;
  return [(-t3 + 2 * t2 - t) / 2, (3 * t3 - 5 * t2 + 2) / 2, (-3 * t3 + 4 * t2 + t) / 2, (t3 - t2) / 2];
}

/**
 * A smooth random displacement field: (WARP_GRID+1)^2 control nodes with random displacements,
 * interpolated bilinearly ('linear') or with Catmull-Rom splines ('cubic').
 */
function gridWarp(name: string, kind: 'linear' | 'cubic', description: string): DistortionDef {
  return {
    name,
    family: 'spatial',
    description,
    random: true,
    identityAtZero: true,
    options: {},
    describeSeverity: (s) => ({
      controlGrid: `${WARP_GRID + 1}x${WARP_GRID + 1} nodes`,
      interpolation: kind === 'linear' ? 'bilinear' : 'Catmull-Rom bicubic',
      maxNodeDisplacementFractionOfSide: round(WARP_DISPLACEMENT_MAX * s),
      maxNodeDisplacementPixelsAt64: round(WARP_DISPLACEMENT_MAX * s * 64, 2),
    }),
    apply(img, call) {
      const g = WARP_GRID + 1;
      const nodes = new Float64Array(g * g * 2);
      for (let i = 0; i < nodes.length; i++) nodes[i] = call.rng.uniform(-1, 1);
      const amp = WARP_DISPLACEMENT_MAX * call.severity * side(img);
      const node = (gx: number, gy: number, k: number) => {
        const cx = gx < 0 ? 0 : gx >= g ? g - 1 : gx;
        const cy = gy < 0 ? 0 : gy >= g ? g - 1 : gy;
        return nodes[(cy * g + cx) * 2 + k];
      };
      const sx = WARP_GRID / Math.max(1, img.w - 1);
      const sy = WARP_GRID / Math.max(1, img.h - 1);
      const disp = new Float64Array(img.h * img.w * 2);
      for (let y = 0; y < img.h; y++) {
        const gyf = y * sy;
        const gy = Math.min(Math.floor(gyf), WARP_GRID - 1);
        const ty = gyf - gy;
        for (let x = 0; x < img.w; x++) {
          const gxf = x * sx;
          const gx = Math.min(Math.floor(gxf), WARP_GRID - 1);
          const tx = gxf - gx;
          for (let k = 0; k < 2; k++) {
            let v = 0;
            if (kind === 'linear') {
              v = (node(gx, gy, k) * (1 - tx) + node(gx + 1, gy, k) * tx) * (1 - ty) + (node(gx, gy + 1, k) * (1 - tx) + node(gx + 1, gy + 1, k) * tx) * ty;
            } else {
              const wx = catmullRom(tx), wy = catmullRom(ty);
              for (let j = 0; j < 4; j++) {
                let row = 0;
                for (let i = 0; i < 4; i++) row += wx[i] * node(gx - 1 + i, gy - 1 + j, k);
                v += wy[j] * row;
              }
            }
            disp[(y * img.w + x) * 2 + k] = amp * v;
          }
        }
      }
      return warp(img, (x, y, _c, out) => {
        const p = (y * img.w + x) * 2;
        out[0] = x + disp[p];
        out[1] = y + disp[p + 1];
      });
    },
  };
}

export const linearWarp = gridWarp('linear-warp', 'linear', 'Random smooth displacement field from a coarse control grid, interpolated bilinearly (piecewise linear).');
export const cubicWarp = gridWarp('cubic-warp', 'cubic', 'Random smooth displacement field from a coarse control grid, interpolated with bicubic Catmull-Rom splines.');

export const ghosting: DistortionDef = {
  name: 'ghosting',
  family: 'spatial',
  description: 'Blends in a shifted copy of the image (a ghost), as from a double exposure or multipath.',
  random: true,
  identityAtZero: true,
  options: {},
  describeSeverity: (s) => ({
    ghostWeight: round(GHOST_ALPHA_MAX * s),
    ghostOffsetFractionOfSide: `uniform [${GHOST_OFFSET_RANGE[0]}, ${GHOST_OFFSET_RANGE[1]}] per seed, random direction`,
  }),
  apply(img, call) {
    const [ux, uy] = direction(call.rng);
    const d = call.rng.uniform(GHOST_OFFSET_RANGE[0], GHOST_OFFSET_RANGE[1]) * side(img);
    const alpha = GHOST_ALPHA_MAX * call.severity;
    const out = new Float32Array(img.data.length);
    for (let y = 0; y < img.h; y++) {
      for (let x = 0; x < img.w; x++) {
        for (let c = 0; c < 3; c++) {
          const p = (y * img.w + x) * 3 + c;
          out[p] = (1 - alpha) * img.data[p] + alpha * sampleBilinear(img, x - d * ux, y - d * uy, c);
        }
      }
    }
    return clipInPlace(out);
  },
};

export const chromaticAberration: DistortionDef = {
  name: 'chromatic-aberration',
  family: 'spatial',
  description:
    'Misregisters the colour channels: R is magnified and B shrunk about the centre (lateral colour), plus opposite sub-pixel shifts of R and B; G stays.',
  random: true,
  identityAtZero: true,
  options: {},
  describeSeverity: (s) => ({
    radialScaleRB: round(CA_RADIAL_MAX * s),
    lateralShiftFractionOfSide: round(CA_LATERAL_MAX * s),
    direction: 'uniform random angle per seed',
  }),
  apply(img, call) {
    const [ux, uy] = direction(call.rng);
    const sign = call.rng.sign();
    const s = call.severity;
    const k = sign * CA_RADIAL_MAX * s;
    const t = CA_LATERAL_MAX * s * side(img);
    const cx = (img.w - 1) / 2, cy = (img.h - 1) / 2;
    return warp(img, (x, y, c, out) => {
      // Channel offsets: R = +1, G = 0, B = -1.
      const e = 1 - c;
      out[0] = cx + (x - cx) / (1 + e * k) - e * t * ux;
      out[1] = cy + (y - cy) / (1 + e * k) - e * t * uy;
    });
  },
};

export const spatialDistortions = [shift, affineWarp, homography, linearWarp, cubicWarp, ghosting, chromaticAberration];
