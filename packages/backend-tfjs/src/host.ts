/** Moving tensors between the host (plain typed arrays) and the tfjs engine. */
import * as tf from '@tensorflow/tfjs';
import type { HostTensor, TensorLayout } from '@percept/core';

/**
 * Downloads a tensor into a Float32Array owned by the caller. Layouts follow the shape:
 * rank 4 is an image (`spatial`, NHWC for IR models), rank 2 is NC, rank 1 is N, and a rank-3
 * token sequence [N, T, D] is reported as a 1×T grid, NHWC [N, 1, T, D], so spatial distances
 * treat each token as one position.
 */
export async function toHost(t: tf.Tensor, spatial: 'NHWC' | 'NCHW' = 'NHWC'): Promise<HostTensor> {
  const raw = await t.data();
  const data = raw instanceof Float32Array ? raw : Float32Array.from(raw as ArrayLike<number>);
  const shape = t.shape;
  let layout: TensorLayout;
  let outShape: number[] = [...shape];
  switch (shape.length) {
    case 4: layout = spatial; break;
    case 3: layout = 'NHWC'; outShape = [shape[0], 1, shape[1], shape[2]]; break;
    case 2: layout = 'NC'; break;
    case 1: layout = 'N'; break;
    default: layout = 'NC'; outShape = [shape[0] ?? 1, data.length / (shape[0] || 1)];
  }
  return { data, shape: outShape, layout };
}
