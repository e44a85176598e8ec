/**
 * The data that crosses package boundaries. Everything is plain typed arrays so that a backend,
 * a metric and a reporter never need to agree on anything but these shapes.
 */

/** A batch of images: NHWC, float32, RGB, values in [0,1]. The only image format shared between packages. */
export interface ImageBatch {
  readonly data: Float32Array;
  /** [N, H, W, 3] */
  readonly shape: readonly [number, number, number, number];
}

export type TensorLayout = 'NHWC' | 'NCHW' | 'NC' | 'N';

/** A tensor on the host, as features leave a backend. */
export interface HostTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  readonly layout: TensorLayout;
}

export function imageBatch(data: Float32Array, n: number, h: number, w: number): ImageBatch {
  if (data.length !== n * h * w * 3) {
    throw new RangeError(`ImageBatch: data has ${data.length} values, expected N*H*W*3 = ${n}*${h}*${w}*3 = ${n * h * w * 3}`);
  }
  return { data, shape: [n, h, w, 3] };
}

/** Number of elements implied by a shape. */
export function sizeOf(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

/** Slices sample `i` out of a batch (a copy-free view). */
export function batchItem(batch: ImageBatch, i: number): ImageBatch {
  const [n, h, w] = batch.shape;
  if (i < 0 || i >= n) throw new RangeError(`batchItem: index ${i} outside batch of ${n}`);
  const len = h * w * 3;
  return { data: batch.data.subarray(i * len, (i + 1) * len), shape: [1, h, w, 3] };
}

/** Concatenates batches of equal H and W along N. */
export function concatBatches(batches: readonly ImageBatch[]): ImageBatch {
  if (batches.length === 0) throw new RangeError('concatBatches: no batches');
  const [, h, w] = batches[0].shape;
  let n = 0;
  for (const b of batches) {
    if (b.shape[1] !== h || b.shape[2] !== w) {
      throw new RangeError(`concatBatches: size ${b.shape[1]}x${b.shape[2]} differs from ${h}x${w}`);
    }
    n += b.shape[0];
  }
  const data = new Float32Array(n * h * w * 3);
  let off = 0;
  for (const b of batches) { data.set(b.data, off); off += b.data.length; }
  return { data, shape: [n, h, w, 3] };
}
