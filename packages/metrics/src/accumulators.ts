/**
 * Streaming metrics (torchmetrics-style update/compute): feed batches as they are scored, keep
 * only what the final numbers need. Per-triplet scores are kept (8 bytes each) so confidence
 * intervals can be bootstrapped afterwards; per-layer scores are kept alongside when the update
 * carries per-layer distances.
 */
import { InputError, type DistanceResult } from '@percept/core';
import { bootstrapCI, type BootstrapOptions, type BootstrapResult } from './stats.js';
import { jndMap, twoAfcScore } from './scores.js';

/** An append-only float64 buffer that doubles its capacity. */
class Growable {
  private buf = new Float64Array(256);
  length = 0;
  push(values: ArrayLike<number>, map?: (v: number, i: number) => number): void {
    const need = this.length + values.length;
    if (need > this.buf.length) {
      const next = new Float64Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    for (let i = 0; i < values.length; i++) this.buf[this.length + i] = map ? map(values[i], i) : values[i];
    this.length = need;
  }
  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}

type Distances = DistanceResult | ArrayLike<number>;
const isResult = (d: Distances): d is DistanceResult => typeof d === 'object' && d !== null && 'total' in d && 'perLayer' in d;

function sumOf(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

export interface TwoAfcResult {
  /** Mean 2AFC score in [0,1] (×100 for the PS). */
  score: number;
  n: number;
  /** Score of each layer alone (empty when updates carried no per-layer distances). */
  perLayer: Record<string, number>;
}

export class TwoAfcAccumulator {
  private readonly total = new Growable();
  private layers: string[] | null = null;
  private perLayer: Growable[] = [];

  /** d0 = d(ref, x0), d1 = d(ref, x1), p = fraction of humans preferring x1. */
  update(d0: Distances, d1: Distances, p: ArrayLike<number>): void {
    const t0 = isResult(d0) ? d0.total : d0, t1 = isResult(d1) ? d1.total : d1;
    if (t0.length !== p.length || t1.length !== p.length) {
      throw new InputError(`TwoAfcAccumulator.update: d0 has ${t0.length}, d1 has ${t1.length} and p has ${p.length} values; they must be equal`);
    }
    for (let i = 0; i < p.length; i++) {
      if (!(p[i] >= 0 && p[i] <= 1)) throw new InputError(`TwoAfcAccumulator.update: p[${i}] = ${p[i]} is not in [0, 1]`);
      if (Number.isNaN(t0[i]) || Number.isNaN(t1[i])) throw new InputError(`TwoAfcAccumulator.update: distance of triplet ${i} in this batch is NaN`);
    }
    const layers = isResult(d0) && isResult(d1) ? d0.layers : [];
    if (isResult(d0) !== isResult(d1) || (isResult(d0) && isResult(d1) && d0.layers.join('\0') !== d1.layers.join('\0'))) {
      throw new InputError('TwoAfcAccumulator.update: d0 and d1 must both be DistanceResults with the same layers, or both plain arrays');
    }
    if (this.layers === null) {
      this.layers = [...layers];
      this.perLayer = layers.map(() => new Growable());
    } else if (this.layers.join('\0') !== layers.join('\0')) {
      throw new InputError(`TwoAfcAccumulator.update: layers changed from [${this.layers.join(', ')}] to [${layers.join(', ')}]`);
    }
    this.total.push(p, (pi, i) => twoAfcScore(t0[i], t1[i], pi));
    if (isResult(d0) && isResult(d1)) {
      this.perLayer.forEach((g, l) => g.push(p, (pi, i) => twoAfcScore(d0.perLayer[l][i], d1.perLayer[l][i], pi)));
    }
  }

  get count(): number {
    return this.total.length;
  }

  /** Per-triplet scores of the total distance (or of one layer), in update order. */
  scores(layer?: string): Float64Array {
    if (layer === undefined) return this.total.view();
    const l = this.layers?.indexOf(layer) ?? -1;
    if (l < 0) throw new InputError(`TwoAfcAccumulator: no layer "${layer}" (layers: ${(this.layers ?? []).join(', ') || 'none'})`);
    return this.perLayer[l].view();
  }

  compute(): TwoAfcResult {
    const n = this.total.length;
    if (n === 0) throw new InputError('TwoAfcAccumulator.compute: no triplets were added');
    const perLayer: Record<string, number> = {};
    (this.layers ?? []).forEach((layer, l) => { perLayer[layer] = sumOf(this.perLayer[l].view()) / n; });
    return { score: sumOf(this.total.view()) / n, n, perLayer };
  }

  /** Bootstrap confidence interval of the mean score (or of one layer's). */
  ci(options: BootstrapOptions & { layer?: string } = {}): BootstrapResult {
    return bootstrapCI(this.scores(options.layer), options);
  }
}

export interface JndResult {
  /** Average precision in [0,1] (×100 for "mAP %"). */
  map: number;
  n: number;
  perLayer: Record<string, number>;
}

/** Collects JND distances and "same" fractions; mAP needs the whole ranking, so it is computed at the end. */
export class JndAccumulator {
  private readonly ds = new Growable();
  private readonly sames = new Growable();
  private layers: string[] | null = null;
  private perLayer: Growable[] = [];

  update(d: Distances, sames: ArrayLike<number>): void {
    const t = isResult(d) ? d.total : d;
    if (t.length !== sames.length) throw new InputError(`JndAccumulator.update: ${t.length} distances but ${sames.length} "same" fractions`);
    const layers = isResult(d) ? d.layers : [];
    if (this.layers === null) {
      this.layers = [...layers];
      this.perLayer = layers.map(() => new Growable());
    } else if (this.layers.join('\0') !== layers.join('\0')) {
      throw new InputError(`JndAccumulator.update: layers changed from [${this.layers.join(', ')}] to [${layers.join(', ')}]`);
    }
    this.ds.push(t);
    this.sames.push(sames);
    if (isResult(d)) this.perLayer.forEach((g, l) => g.push(d.perLayer[l]));
  }

  get count(): number {
    return this.ds.length;
  }

  compute(): JndResult {
    const n = this.ds.length;
    if (n === 0) throw new InputError('JndAccumulator.compute: no pairs were added');
    const sames = this.sames.view();
    const perLayer: Record<string, number> = {};
    (this.layers ?? []).forEach((layer, l) => { perLayer[layer] = jndMap(this.perLayer[l].view(), sames); });
    return { map: jndMap(this.ds.view(), sames), n, perLayer };
  }
}
