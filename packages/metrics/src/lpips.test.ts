import { describe, it, expect } from 'vitest';
import { InputError, type Features, type HostTensor } from '@percept/core';
import { lpips, lpipsSpatial, LpipsDistance } from './lpips.js';
import { meanPoolDistance, styleDistance, gramDistanceSq } from './global.js';

/** Builds a tap from per-sample, per-position channel vectors: v[n][p][c], positions row-major over h×w. */
function tap(v: number[][][], h: number, w: number, layout: 'NCHW' | 'NHWC' | 'NC'): HostTensor {
  const n = v.length, c = v[0][0].length, s = h * w;
  const data = new Float32Array(n * c * s);
  for (let i = 0; i < n; i++) for (let p = 0; p < s; p++) for (let k = 0; k < c; k++) {
    data[layout === 'NCHW' ? i * c * s + k * s + p : i * c * s + p * c + k] = v[i][p][k];
  }
  const shape = layout === 'NCHW' ? [n, c, h, w] : layout === 'NHWC' ? [n, h, w, c] : [n, c];
  return { data, shape, layout };
}

// Layer l1: 1×2 map, 2 channels. Sample 0: a = (3,4),(1,0); b = (4,3),(0,2).
//   unit: a (.6,.8),(1,0); b (.8,.6),(0,1) -> squared diffs (.04,.04) and (1,1).
//   baseline: per position .08 and 2 -> mean 1.04. lin (0.5, 2): .1 and 2.5 -> mean 1.3.
// Sample 1: a = b -> 0.
// Layer v: a vector (NC), a = (1,0,0), b = (0,0,5) -> unit diff² = 2.
const A1 = [[[3, 4], [1, 0]], [[1, 2], [3, 4]]];
const B1 = [[[4, 3], [0, 2]], [[1, 2], [3, 4]]];
function feats(layout: 'NCHW' | 'NHWC'): [Features, Features] {
  return [
    { taps: { l1: tap(A1, 1, 2, layout), v: tap([[[1, 0, 0]], [[0, 1, 0]]], 1, 1, 'NC') } },
    { taps: { l1: tap(B1, 1, 2, layout), v: tap([[[0, 0, 5]], [[0, 1, 0]]], 1, 1, 'NC') } },
  ];
}

describe('lpips', () => {
  it('matches hand-computed baseline values, per layer and total, in tap order', () => {
    const [a, b] = feats('NCHW');
    const r = lpips(a, b);
    expect(r.layers).toEqual(['l1', 'v']);
    expect(r.perLayer[0][0]).toBeCloseTo(1.04, 6);
    expect(r.perLayer[1][0]).toBeCloseTo(2, 6);
    expect(r.total[0]).toBeCloseTo(3.04, 6);
    expect(r.total[1]).toBe(0);
  });

  it('gives identical results for NCHW and NHWC', () => {
    const x = lpips(...feats('NCHW'), { layers: ['l1'] });
    const y = lpips(...feats('NHWC'), { layers: ['l1'] });
    expect(Array.from(y.total)).toEqual(Array.from(x.total));
  });

  it('weights channels with lin weights; all-ones lin equals baseline', () => {
    const [a, b] = feats('NHWC');
    const lin = lpips(a, b, { variant: 'lin', layers: ['l1'], lin: { weights: { l1: [0.5, 2] } } });
    expect(lin.total[0]).toBeCloseTo(1.3, 6);
    const ones = lpips(a, b, { variant: 'lin', lin: { weights: [[1, 1], [1, 1, 1]] } });
    const base = lpips(a, b, { variant: 'baseline' });
    expect(Array.from(ones.total)).toEqual(Array.from(base.total));
  });

  it('adds epsilon to the norm, not under the square root', () => {
    // a = (1e-10, 0): a/(|a| + 1e-10) = (0.5, 0). Under the sqrt it would be ~(1e-5, 0).
    const a: Features = { taps: { t: tap([[[1e-10, 0]]], 1, 1, 'NC') } };
    const b: Features = { taps: { t: tap([[[0, 0]]], 1, 1, 'NC') } };
    expect(lpips(a, b).total[0]).toBeCloseTo(0.25, 6);
  });

  it('names the problem in errors', () => {
    const [a, b] = feats('NCHW');
    expect(() => lpips(a, b, { layers: ['nope'] })).toThrow(/"nope" is missing.*available: l1, v/);
    expect(() => lpips(a, b, { variant: 'lin', layers: ['l1'], lin: { weights: { l1: [1, 2, 3] } } })).toThrow(/3 weights but the tap has 2 channels/);
    expect(() => lpips(a, b, { variant: 'lin', layers: ['l1'], lin: { weights: { l1: [1, -1] } } })).toThrow(/weight 1 is -1/);
    expect(() => lpips(a, b, { variant: 'lin' })).toThrow(InputError);
    const c: Features = { taps: { l1: tap(A1, 2, 1, 'NCHW') } };
    expect(() => lpips(a, c, { layers: ['l1'] })).toThrow(/differ in shape/);
  });

  it('LpipsDistance records its settings', () => {
    const d = new LpipsDistance({ variant: 'lin', layers: ['l1'], lin: { weights: { l1: [0.5, 2] } } });
    expect(d.settings.variant).toBe('lin');
    expect(d.settings.epsilon).toBe(1e-10);
    expect(typeof d.settings.linDigest).toBe('string');
    expect(new LpipsDistance({ variant: 'lin', layers: ['l1'], lin: { weights: { l1: [0.5, 3] } } }).settings.linDigest).not.toBe(d.settings.linDigest);
    expect(d.compute(...feats('NCHW')).total[0]).toBeCloseTo(1.3, 6);
  });
});

describe('lpipsSpatial', () => {
  it('upsamples each layer map bilinearly (align_corners=False) and sums', () => {
    const [a, b] = feats('NCHW');
    const r = lpipsSpatial(a, b, [1, 4], { layers: ['l1'] });
    expect(r.shape).toEqual([2, 1, 4]);
    [0.08, 0.75 * 0.08 + 0.25 * 2, 0.25 * 0.08 + 0.75 * 2, 2].forEach((e, i) => expect(r.total[i]).toBeCloseTo(e, 6));
    const both = lpipsSpatial(a, b, [2, 4]);
    // The 1x1 vector layer adds a constant 2 everywhere; 2x upsampling preserves the mean.
    let m = 0;
    for (let i = 0; i < 8; i++) m += both.total[i];
    expect(m / 8).toBeCloseTo(lpips(a, b).total[0], 5);
  });
});

describe('global perceptual functions', () => {
  it('mean-pool: spatial mean, then unit-normalise, squared L2 / C', () => {
    const [a, b] = feats('NHWC');
    const r = meanPoolDistance(a, b, { layers: ['l1'] });
    const pa = [2 / Math.hypot(2, 2), 2 / Math.hypot(2, 2)], pb = [2 / Math.hypot(2, 2.5), 2.5 / Math.hypot(2, 2.5)];
    expect(r.total[0]).toBeCloseTo(((pa[0] - pb[0]) ** 2 + (pa[1] - pb[1]) ** 2) / 2, 6);
    expect(r.total[1]).toBe(0);
  });

  it('style: Gram of unit features / HW, squared Frobenius / C²', () => {
    // G_a = [[.68,.24],[.24,.32]], G_b = [[.32,.24],[.24,.68]] -> ‖·‖² = 2·.36² = .2592, / 4.
    const x = styleDistance(...feats('NCHW'), { layers: ['l1'] });
    const y = styleDistance(...feats('NHWC'), { layers: ['l1'] });
    expect(x.total[0]).toBeCloseTo(0.0648, 6);
    expect(y.total[0]).toBeCloseTo(0.0648, 6);
  });

  it('the position-space and channel-space Gram distances agree', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
    const s = 3, c = 5;
    const xa = Float64Array.from({ length: s * c }, rnd), xb = Float64Array.from({ length: s * c }, rnd);
    // Direct: G = XᵀX / s.
    let direct = 0;
    for (let k = 0; k < c; k++) for (let m = 0; m < c; m++) {
      let g = 0;
      for (let p = 0; p < s; p++) g += xa[p * c + k] * xa[p * c + m] - xb[p * c + k] * xb[p * c + m];
      direct += (g / s) ** 2;
    }
    expect(gramDistanceSq(xa, xb, s, c)).toBeCloseTo(direct, 12); // s < c path
    // Transposed problem (s > c) uses the channel path; compare against its own direct value.
    const ta = new Float64Array(s * c), tb = new Float64Array(s * c);
    for (let p = 0; p < s; p++) for (let k = 0; k < c; k++) { ta[k * s + p] = xa[p * c + k]; tb[k * s + p] = xb[p * c + k]; }
    let direct2 = 0;
    for (let k = 0; k < s; k++) for (let m = 0; m < s; m++) {
      let g = 0;
      for (let p = 0; p < c; p++) g += ta[p * s + k] * ta[p * s + m] - tb[p * s + k] * tb[p * s + m];
      direct2 += (g / c) ** 2;
    }
    expect(gramDistanceSq(ta, tb, c, s)).toBeCloseTo(direct2, 12);
  });
});

describe('lpips arithmetic is pinned', () => {
  /** The straightforward per-position formulation (norms and differences summed over channels in order). */
  function reference(a: HostTensor, b: HostTensor, w: number[] | null, eps = 1e-10): number[] {
    const [n, c, h, wd] = a.layout === 'NCHW' ? a.shape : [a.shape[0], a.shape[3], a.shape[1], a.shape[2]];
    const s = h * wd;
    const at = (t: HostTensor, i: number, p: number, k: number) => t.data[t.layout === 'NCHW' ? i * c * s + k * s + p : i * c * s + p * c + k];
    return Array.from({ length: n }, (_, i) => {
      let sum = 0;
      for (let p = 0; p < s; p++) {
        let na = 0, nb = 0;
        for (let k = 0; k < c; k++) { na += at(a, i, p, k) * at(a, i, p, k); nb += at(b, i, p, k) * at(b, i, p, k); }
        const ra = 1 / (Math.sqrt(na) + eps), rb = 1 / (Math.sqrt(nb) + eps);
        let acc = 0;
        for (let k = 0; k < c; k++) { const d = at(a, i, p, k) * ra - at(b, i, p, k) * rb; acc += w ? w[k] * d * d : d * d; }
        sum += acc;
      }
      return Math.fround(sum / s);
    });
  }
  const rand = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

  it('both loop orders (NCHW, NHWC) and the cached reference norms give the reference bits', () => {
    const r = rand(7);
    const [n, h, w, c] = [3, 5, 4, 19];
    const v = () => Array.from({ length: n }, () => Array.from({ length: h * w }, () => Array.from({ length: c }, () => Math.max(0, r() - 0.3) * 10)));
    const [A, B0, B1] = [v(), v(), v()];
    const lin = Array.from({ length: c }, () => r());
    for (const layout of ['NCHW', 'NHWC'] as const) {
      const a: Features = { taps: { t: tap(A, h, w, layout) } };
      const b0: Features = { taps: { t: tap(B0, h, w, layout) } };
      const b1: Features = { taps: { t: tap(B1, h, w, layout) } };
      for (const weights of [null, lin]) {
        const opts = weights ? { variant: 'lin' as const, lin: { weights: { t: weights } } } : {};
        const d = new LpipsDistance(opts);
        expect(Array.from(lpips(a, b0, opts).total)).toEqual(reference(a.taps.t, b0.taps.t, weights));
        // The distance reuses a's norms for the second comparison.
        expect(Array.from(d.compute(a, b0).total)).toEqual(reference(a.taps.t, b0.taps.t, weights));
        expect(Array.from(d.compute(a, b1).total)).toEqual(reference(a.taps.t, b1.taps.t, weights));
        expect(Array.from(d.compute(b1, a).total)).toEqual(reference(b1.taps.t, a.taps.t, weights));
      }
    }
  });
});
