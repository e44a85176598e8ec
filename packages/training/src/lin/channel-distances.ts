/**
 * The cache that makes LPIPS "lin" training cheap. With the trunk frozen, the lin distance is
 *
 *   d(x, x0) = Σ_l (1/H_l W_l) Σ_{h,w} Σ_c w_{l,c} (x̂ − x̂0)²_{l,h,w,c} = Σ_l Σ_c w_{l,c} · D_{l,c}
 *
 * with D_{l,c} = mean over positions of the squared difference of channel-unit-normalised features
 * (SPEC §1.2, §7.1). D does not depend on w, so it is computed once per pair from the features,
 * and training only ever sees these Σ_l C_l numbers per pair, never the feature maps again.
 */
import { InputError, type Features } from '@percept/core';
import { pairedTaps, LPIPS_EPSILON } from '@percept/metrics';

/** Per-channel distances of many pairs: `data` is [pairs, Σ_l C_l], layers concatenated in order. */
export interface ChannelDistances {
  layers: string[];
  channels: number[];
  /** Offset of each layer's first channel in a row. */
  offsets: number[];
  width: number;
  count: number;
  data: Float32Array;
}

/** Appends D for each sample pair (a[i], b[i]) to `out` rows, starting at row `row`. */
export function channelDistances(a: Features, b: Features, layers: readonly string[]): { rows: Float32Array; channels: number[] } {
  const views = layers.map((l) => pairedTaps(a, b, l));
  const channels = views.map(([va]) => va.c);
  const width = channels.reduce((x, y) => x + y, 0);
  const n = views[0][0].n;
  for (const [va] of views) if (va.n !== n) throw new InputError(`lin features: tap "${va.name}" has ${va.n} samples, tap "${views[0][0].name}" has ${n}`);
  const rows = new Float32Array(n * width);
  let off = 0;
  for (const [va, vb] of views) {
    const { c, s, sStride, cStride } = va;
    const acc = new Float64Array(c);
    for (let i = 0; i < n; i++) {
      acc.fill(0);
      for (let p = 0; p < s; p++) {
        const oa = i * va.nStride + p * sStride, ob = i * vb.nStride + p * sStride;
        let na = 0, nb = 0;
        for (let k = 0; k < c; k++) { na += va.data[oa + k * cStride] ** 2; nb += vb.data[ob + k * cStride] ** 2; }
        const ra = 1 / (Math.sqrt(na) + LPIPS_EPSILON), rb = 1 / (Math.sqrt(nb) + LPIPS_EPSILON);
        for (let k = 0; k < c; k++) {
          const d = va.data[oa + k * cStride] * ra - vb.data[ob + k * cStride] * rb;
          acc[k] += d * d;
        }
      }
      for (let k = 0; k < c; k++) rows[i * width + off + k] = acc[k] / s;
    }
    off += c;
  }
  return { rows, channels };
}

/** Grows a ChannelDistances buffer as batches arrive. */
export class ChannelDistanceBuilder {
  private chunks: Float32Array[] = [];
  private count = 0;
  private channels: number[] | undefined;

  constructor(readonly layers: string[]) {}

  add(rows: Float32Array, channels: number[]): void {
    if (!this.channels) this.channels = channels;
    else if (channels.some((c, i) => c !== this.channels![i])) throw new InputError(`lin features: channel counts changed between batches ([${channels}] vs [${this.channels}])`);
    const width = channels.reduce((x, y) => x + y, 0);
    this.chunks.push(rows);
    this.count += rows.length / width;
  }

  build(): ChannelDistances {
    if (!this.channels || this.count === 0) throw new InputError('lin training: no pairs were read');
    const width = this.channels.reduce((x, y) => x + y, 0);
    const data = new Float32Array(this.count * width);
    let o = 0;
    for (const c of this.chunks) { data.set(c, o); o += c.length; }
    this.chunks = [];
    const offsets: number[] = [];
    let acc = 0;
    for (const c of this.channels) { offsets.push(acc); acc += c; }
    return { layers: this.layers, channels: this.channels, offsets, width, count: this.count, data };
  }
}
