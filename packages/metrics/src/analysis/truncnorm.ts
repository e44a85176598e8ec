/**
 * Exact inverse-CDF sampling of a normal truncated to [a, b] (SPEC §4.1's φ(μ, σ, a, b)).
 *
 * x = μ + σ Φ⁻¹(Φ(α) + u (Φ(β) − Φ(α))) with α = (a−μ)/σ, β = (b−μ)/σ. When the whole interval
 * lies in the upper tail, Φ(α) and Φ(β) both round to 1 and the difference vanishes, so such
 * intervals are sampled on the mirrored (lower-tail) side, where Φ keeps its relative precision.
 */
import { InputError } from '@percept/core';
import { normalQuantile } from '../stats.js';

/**
 * Complementary error function (Chebyshev fit of Press et al., relative error < 1.2e-7 everywhere),
 * accurate in the far tail where 1 − erf(x) would cancel to 0.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

export function erf(x: number): number {
  return 1 - erfc(x);
}

/** Standard normal CDF Φ. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Inverse error function, through the normal quantile: erf⁻¹(y) = Φ⁻¹((y+1)/2)/√2. */
export function erfinv(y: number): number {
  if (!(y > -1 && y < 1)) throw new InputError(`erfinv: argument must be in (-1, 1), got ${y}`);
  return normalQuantile((y + 1) / 2) / Math.SQRT2;
}

/** Smallest probability handed to Φ⁻¹, so that u = 0 stays finite. */
const TINY = 1e-300;

/** One draw from N(mu, sigma²) truncated to [a, b], given a uniform u in [0, 1). */
export function truncatedNormalInverse(u: number, mu: number, sigma: number, a: number, b: number): number {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new InputError(`truncated normal: sigma must be a positive finite number, got ${sigma}`);
  if (!(a < b)) throw new InputError(`truncated normal: bounds must satisfy a < b, got [${a}, ${b}]`);
  let alpha = (a - mu) / sigma, beta = (b - mu) / sigma, sign = 1;
  if (alpha > 0) {
    // Mirror: X ∈ [α, β] in the upper tail ⇔ −X ∈ [−β, −α] in the lower tail. Using 1 − u keeps
    // the result increasing in u, i.e. still the inverse CDF of X.
    [alpha, beta] = [-beta, -alpha];
    sign = -1;
    u = 1 - u;
  }
  const lo = normalCdf(alpha), hi = normalCdf(beta);
  const q = Math.min(Math.max(lo + u * (hi - lo), TINY), 1 - 1e-16);
  const z = sign * normalQuantile(q);
  // Rounding in Φ/Φ⁻¹ can step a hair outside the interval; the support is [a, b] by definition.
  return Math.min(Math.max(mu + sigma * z, a), b);
}
