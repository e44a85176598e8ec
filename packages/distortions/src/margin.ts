/**
 * The distortion-sensitivity margin of Kumar et al. §8.2 (SPEC §4.3). Only unanimous triplets count
 * (p = 0 or p = 1). The farther patch x_f is the one nobody chose: x0 when p = 1, x1 when p = 0; the
 * nearer x_n is the other. margin = mean d(x, x_f) - mean d(x, x_n): larger means the distance
 * separates a clearly worse distortion from a clearly better one by more.
 */

export interface MarginResult {
  /** Unanimous triplets used. */
  n: number;
  /** Triplets seen, unanimous or not. */
  seen: number;
  /** mean d(x, x_f) - mean d(x, x_n); null when no triplet was unanimous. */
  margin: number | null;
  far: number | null;
  near: number | null;
}

/** Streams (d0, d1, p) and accumulates the far/near sums of the unanimous triplets. */
export class MarginAccumulator {
  private farSum = 0;
  private nearSum = 0;
  private n = 0;
  private seen = 0;

  update(d0: ArrayLike<number>, d1: ArrayLike<number>, p: ArrayLike<number>): void {
    if (d0.length !== p.length || d1.length !== p.length) {
      throw new RangeError(`MarginAccumulator: ${d0.length} d0, ${d1.length} d1 and ${p.length} judges; expected equal counts`);
    }
    for (let i = 0; i < p.length; i++) {
      this.seen++;
      if (p[i] === 1) { this.farSum += d0[i]; this.nearSum += d1[i]; this.n++; }
      else if (p[i] === 0) { this.farSum += d1[i]; this.nearSum += d0[i]; this.n++; }
    }
  }

  compute(): MarginResult {
    if (this.n === 0) return { n: 0, seen: this.seen, margin: null, far: null, near: null };
    const far = this.farSum / this.n;
    const near = this.nearSum / this.n;
    return { n: this.n, seen: this.seen, margin: far - near, far, near };
  }
}

/** One-shot margin over arrays. */
export function distortionMargin(d0: ArrayLike<number>, d1: ArrayLike<number>, p: ArrayLike<number>): MarginResult {
  const acc = new MarginAccumulator();
  acc.update(d0, d1, p);
  return acc.compute();
}
