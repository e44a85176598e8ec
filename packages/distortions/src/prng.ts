/**
 * A small seeded pseudo-random generator, so that every distortion and every synthetic dataset is
 * reproducible from a single integer seed on any platform and Node version (Math.random is neither
 * seedable nor stable).
 *
 * Generator: sfc32 (Chris Doty-Humphrey's "small fast counting" generator, 128-bit state, period at
 * least 2^32), seeded through splitmix32 so that nearby seeds (0, 1, 2, ...) give unrelated streams.
 * Sub-streams are derived by hashing the parent seed with labels (`deriveSeed`), which keeps streams
 * independent of the order in which they are consumed: triplet 17 of subset "blur" always sees the same
 * numbers, whether or not triplets 0..16 were generated.
 */

/** splitmix32 finaliser: a bijective 32-bit mix with good avalanche. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string, then mixed. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h >>> 0);
}

/**
 * A child seed from a parent seed and any number of labels (strings or integers). Deterministic and
 * order-sensitive: deriveSeed(s, 'a', 1) differs from deriveSeed(s, 1, 'a').
 */
export function deriveSeed(seed: number, ...labels: Array<string | number>): number {
  let h = mix32(normaliseSeed(seed));
  for (const label of labels) {
    const v = typeof label === 'number' ? mix32(normaliseSeed(label) ^ 0x5bd1e995) : hashString(label);
    h = mix32((h ^ v) + Math.imul(h, 31));
  }
  return h;
}

/** Seeds are integers; non-integers and large values are folded into 32 bits deterministically. */
function normaliseSeed(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return (lo ^ mix32(hi)) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    const s = normaliseSeed(seed);
    this.a = mix32(s);
    this.b = mix32(s ^ 0x6a09e667);
    this.c = mix32(s ^ 0xbb67ae85);
    this.d = 1;
    // Discard the first outputs: sfc32 needs a few rounds to decorrelate from its seed words.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** -1 or +1 with equal probability. */
  sign(): number {
    return this.next() < 0.5 ? -1 : 1;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick: empty list');
    return items[this.int(items.length)];
  }

  /** Standard normal via the Box-Muller transform (both outputs used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/** A generator for the given seed and labels. */
export function rngFor(seed: number, ...labels: Array<string | number>): Rng {
  return new Rng(labels.length ? deriveSeed(seed, ...labels) : seed);
}
