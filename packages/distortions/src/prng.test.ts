import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng, rngFor } from './prng.js';

describe('Rng', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = Array.from({ length: 8 }, ((r) => () => r.nextUint32())(new Rng(7)));
    const b = Array.from({ length: 8 }, ((r) => () => r.nextUint32())(new Rng(7)));
    const c = Array.from({ length: 8 }, ((r) => () => r.nextUint32())(new Rng(8)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('has uniform and normal draws with the right moments', () => {
    const r = new Rng(1);
    const n = 20000;
    let su = 0, sn = 0, sn2 = 0, lo = 1, hi = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(su / n).toBeCloseTo(0.5, 1);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(Math.sqrt(sn2 / n)).toBeCloseTo(1, 1);
  });

  it('derives independent, order-sensitive child seeds', () => {
    expect(deriveSeed(1, 'a', 2)).toBe(deriveSeed(1, 'a', 2));
    expect(deriveSeed(1, 'a', 2)).not.toBe(deriveSeed(1, 2, 'a'));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(2, 'a'));
    expect(rngFor(3, 'x').next()).toBe(rngFor(3, 'x').next());
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
  });
});
