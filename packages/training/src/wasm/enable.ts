/**
 * Convolution training on the wasm engine. tfjs-backend-wasm has Conv2D and Conv2DBackpropInput
 * but no Conv2DBackpropFilter, so the gradient of every convolution's weights fails there. This
 * registers that kernel for the wasm backend, composed from kernels wasm already runs through
 * XNNPACK. For a forward convolution y = x ⋆ W with stride s and padding p:
 *
 *   dW[i, j, c, o] = Σ_{n, y, x} x_p[n, y·s + i, x·s + j, c] · dy[n, y, x, o]
 *
 * which is itself a convolution: treat input channels as the batch and the batch as channels
 * (x → [C, H, W, N]), use the output gradient as the filter (dy → [OH, OW, N, O]) dilated by s,
 * with the same padding p, and keep the first kh × kw outputs: [C, kh, kw, O] → [kh, kw, C, O].
 *
 * Intermediates are made and freed through the backend, as kernels that call other kernels do.
 */
import { tf } from '@percept/backend-tfjs';

const KERNEL = 'Conv2DBackpropFilter';
let enabled = false;

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type KernelFn = (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs: Record<string, unknown> }) => TensorInfo;

function kernel(name: string): KernelFn {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`tfjs wasm backend has no ${name} kernel; cannot compose ${KERNEL}`);
  return k.kernelFunc as unknown as KernelFn;
}

/** Whether enableWasmTraining() has registered the wasm convolution-gradient kernels. */
export function wasmTrainingEnabled(): boolean {
  return enabled || tf.getKernel(KERNEL, 'wasm') !== undefined;
}

/**
 * Registers the missing wasm gradient kernel(s). Idempotent; affects only the wasm backend, so
 * other engines keep their own kernels.
 */
export function enableWasmTraining(): void {
  if (wasmTrainingEnabled()) { enabled = true; return; }
  const transpose = kernel('Transpose');
  const conv2d = kernel('Conv2D');
  const slice = kernel('Slice');
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: { disposeData(id: object): void }; attrs: Record<string, unknown> }) => {
      const { x, dy } = inputs;
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
        strides: [number, number] | number; pad: unknown; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number];
      };
      if (dataFormat === 'NCHW') throw new Error(`${KERNEL} (wasm, @percept/training): only NHWC is supported`);
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number], filterShape, strides, 1, pad as 'valid', dimRoundingMode, false, 'channelsLast',
      );
      const [kh, kw, c, o] = filterShape;
      const { top, bottom, left, right } = info.padInfo;
      const temps: TensorInfo[] = [];
      try {
        const xt = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
        temps.push(xt);
        const dyt = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
        temps.push(dyt);
        const full = conv2d({
          inputs: { x: xt, filter: dyt }, backend,
          attrs: { strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] },
        });
        temps.push(full);
        const cut = slice({ inputs: { x: full }, backend, attrs: { begin: [0, 0, 0, 0], size: [c, kh, kw, o] } });
        temps.push(cut);
        return transpose({ inputs: { x: cut }, backend, attrs: { perm: [1, 2, 0, 3] } });
      } finally {
        for (const t of temps) backend.disposeData(t.dataId);
      }
    }) as unknown as tf.KernelFunc,
  });
  enabled = true;
}
