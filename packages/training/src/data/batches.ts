/**
 * Which samples each step sees. The order is a pure function of (seed, step): epoch e visits a
 * seeded permutation of the dataset, and the last incomplete batch of an epoch is dropped (as the
 * reference input pipelines do), so a resumed run needs only its step to continue the data stream.
 */
import { InputError, type ImageBatch } from '@percept/core';
import { SeededRandom } from '@percept/backbones';
import type { Preprocessing } from '@percept/backbones';
import type { LabeledImageSource } from './source.js';
import { augment, evalView, type AugmentOptions } from './augment.js';

export interface BatchPosition {
  epoch: number;
  /** Index of the batch within its epoch. */
  batch: number;
}

export class DataOrder {
  readonly stepsPerEpoch: number;
  private cached: { epoch: number; perm: Uint32Array } | undefined;

  constructor(readonly size: number, readonly batchSize: number, readonly seed: number) {
    if (size < batchSize) {
      throw new InputError(`training data has ${size} samples, fewer than one batch of ${batchSize}`, { hint: 'lower "batchSize" or add data' });
    }
    this.stepsPerEpoch = Math.floor(size / batchSize);
  }

  position(step: number): BatchPosition {
    return { epoch: Math.floor(step / this.stepsPerEpoch), batch: step % this.stepsPerEpoch };
  }

  permutation(epoch: number): Uint32Array {
    if (this.cached?.epoch === epoch) return this.cached.perm;
    const perm = new Uint32Array(this.size);
    for (let i = 0; i < perm.length; i++) perm[i] = i;
    const rng = new SeededRandom(this.seed, `order:${epoch}`);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    this.cached = { epoch, perm };
    return perm;
  }

  /** Sample indices of the batch taken at `step`. */
  indices(step: number): number[] {
    const { epoch, batch } = this.position(step);
    const perm = this.permutation(epoch);
    return Array.from(perm.subarray(batch * this.batchSize, (batch + 1) * this.batchSize));
  }
}

/** A batch ready for the network: normalised NHWC pixels and integer labels. */
export interface TrainBatch {
  images: ImageBatch;
  labels: Int32Array;
  indices: number[];
}

/** Applies the backbone's channel order, scale and mean/std to [0,1] RGB pixels, in place. */
export function normalizeInPlace(data: Float32Array, pre: Preprocessing): void {
  const bgr = pre.channelOrder === 'BGR';
  const mean = pre.mean, std = pre.std;
  for (let p = 0; p < data.length; p += 3) {
    const r = data[p] * pre.scale, g = data[p + 1] * pre.scale, b = data[p + 2] * pre.scale;
    const c0 = bgr ? b : r, c2 = bgr ? r : b;
    data[p] = (c0 - mean[0]) / std[0];
    data[p + 1] = (g - mean[1]) / std[1];
    data[p + 2] = (c2 - mean[2]) / std[2];
  }
}

async function assemble(
  source: LabeledImageSource, indices: readonly number[], size: number, pre: Preprocessing,
  view: (img: ImageBatch, i: number) => ImageBatch,
): Promise<TrainBatch> {
  const per = size * size * 3;
  const data = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  await Promise.all(indices.map(async (idx, k) => {
    const img = view(await source.load(idx), idx);
    if (img.shape[1] !== size || img.shape[2] !== size) {
      throw new InputError(`${source.name(idx)}: pipeline produced ${img.shape[1]}×${img.shape[2]}, expected ${size}×${size}`);
    }
    data.set(img.data, k * per);
    labels[k] = source.label(idx);
  }));
  normalizeInPlace(data, pre);
  return { images: { data, shape: [indices.length, size, size, 3] }, labels, indices: [...indices] };
}

/** The augmented training batch of `step`. */
export function trainBatch(source: LabeledImageSource, order: DataOrder, step: number, aug: AugmentOptions, pre: Preprocessing): Promise<TrainBatch> {
  const { epoch } = order.position(step);
  return assemble(source, order.indices(step), aug.size, pre, (img, idx) => augment(img, aug, new SeededRandom(order.seed, `aug:${epoch}:${idx}`)));
}

/** Evaluation batches over the whole source, in order (the last one may be smaller). */
export async function* evalBatches(source: LabeledImageSource, batchSize: number, size: number, cropFraction: number, pre: Preprocessing): AsyncGenerator<TrainBatch> {
  let next: Promise<TrainBatch> | undefined;
  const load = (start: number) => {
    const idx = Array.from({ length: Math.min(batchSize, source.size - start) }, (_, k) => start + k);
    return assemble(source, idx, size, pre, (img) => evalView(img, size, cropFraction));
  };
  for (let start = 0; start < source.size; start += batchSize) {
    const current = next ?? load(start);
    // Decode the next batch while the engine works on this one.
    next = start + batchSize < source.size ? load(start + batchSize) : undefined;
    next?.catch(() => undefined); // surfaces when awaited; a consumer that stops early leaves no unhandled rejection
    yield await current;
  }
}
