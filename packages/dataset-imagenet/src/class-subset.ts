/**
 * Scoring a classifier trained on a subset of a dataset's classes (Kumar et al. §8.4, Fig. 14):
 * keep only the images of those classes and renumber their labels in the subset's order, which is
 * the order of the model's outputs (train-classifier's `classes` output).
 */
import { InputError, didYouMean } from '@percept/core';
import type { ImagenetBatch } from './dataset.js';

export interface ClassSubset {
  /** The subset's class names, in model-output order. */
  names: string[];
  /** Dataset class index -> subset index, or -1 for classes outside the subset. */
  toSubset: Int32Array;
}

/** Maps `names` onto the dataset's classes; an unknown or repeated name is an error naming it. */
export function classSubset(names: readonly string[], datasetClasses: readonly string[], what: string): ClassSubset {
  if (names.length === 0) throw new InputError(`${what}: option "classes" is empty; list the class names the model was trained on`);
  const index = new Map(datasetClasses.map((n, i) => [n, i]));
  const toSubset = new Int32Array(datasetClasses.length).fill(-1);
  names.forEach((n, k) => {
    const i = index.get(n);
    if (i === undefined) {
      const hint = didYouMean(n, datasetClasses);
      throw new InputError(`${what}: option "classes[${k}]" is "${n}", which is not a class of the dataset (${datasetClasses.length} classes: ${datasetClasses.slice(0, 5).join(', ')}…)${hint ? `; ${hint}` : ''}`);
    }
    if (toSubset[i] !== -1) throw new InputError(`${what}: option "classes" lists "${n}" twice (at ${toSubset[i]} and ${k})`);
    toSubset[i] = k;
  });
  return { names: [...names], toSubset };
}

/** The batches with only the subset's images, labels renumbered; batches left empty are dropped. */
export async function* selectClassBatches(batches: AsyncIterable<ImagenetBatch>, subset: ClassSubset): AsyncGenerator<ImagenetBatch> {
  for await (const b of batches) {
    const [n, h, w, c] = b.images.shape;
    const keep: number[] = [];
    for (let i = 0; i < n; i++) if (subset.toSubset[b.labels[i]] >= 0) keep.push(i);
    if (keep.length === 0) continue;
    if (keep.length === n) {
      yield { ...b, labels: b.labels.map((l) => subset.toSubset[l]) };
      continue;
    }
    const size = h * w * c;
    const data = new Float32Array(keep.length * size);
    keep.forEach((i, k) => data.set(b.images.data.subarray(i * size, (i + 1) * size), k * size));
    yield {
      ...b,
      images: { data, shape: [keep.length, h, w, c] },
      labels: Int32Array.from(keep, (i) => subset.toSubset[b.labels[i]]),
      names: keep.map((i) => b.names[i]),
    };
  }
}
