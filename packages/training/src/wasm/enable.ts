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
 * Depthwise convolutions (EfficientNet's) lack both gradient kernels on wasm. With a filter
 * W [kh, kw, C, m] (channel multiplier m; output channel c·m + k reads input channel c):
 *
 *   dx[n, h, w, c] = Σ_{k, i, j} dy[n, y, x, c·m + k] · W[i, j, c, k]   where h = y·s + i − p_top, …
 *
 * is a depthwise convolution of dy, dilated by s (zeros between rows and columns) and padded by
 * kh − 1 − p_top above (and what reaches the input's last row below), with the spatially reversed
 * filter seen as [kh, kw, C·m, 1], followed by a sum over the m outputs of each input channel; and
 *
 *   dW[i, j, c, k] = Σ_{n, y, x} x_p[n, y·s + i, x·s + j, c] · dy[n, y, x, c·m + k]
 *
 * is a depthwise convolution with the batch folded into the channels: input x → [1, H, W, C·N],
 * filter dy → [OH, OW, C·N, m] dilated by s, padding p; the first kh × kw outputs
 * [1, kh, kw, C·N·m] → [kh, kw, C, N, m] summed over N.
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

const DEPTHWISE_INPUT = 'DepthwiseConv2dNativeBackpropInput';
const DEPTHWISE_FILTER = 'DepthwiseConv2dNativeBackpropFilter';

/** Whether enableWasmTraining() has registered the wasm convolution-gradient kernels. */
export function wasmTrainingEnabled(): boolean {
  return enabled || [KERNEL, DEPTHWISE_INPUT, DEPTHWISE_FILTER].every((k) => tf.getKernel(k, 'wasm') !== undefined);
}

/**
 * Registers the missing wasm gradient kernels (Conv2DBackpropFilter and both depthwise
 * gradients). Idempotent; affects only the wasm backend, so other engines keep their own kernels.
 */
export function enableWasmTraining(): void {
  if (wasmTrainingEnabled()) { enabled = true; return; }
  if (!tf.getKernel(KERNEL, 'wasm')) registerConvFilterGrad();
  if (!tf.getKernel(DEPTHWISE_INPUT, 'wasm')) registerDepthwiseInputGrad();
  if (!tf.getKernel(DEPTHWISE_FILTER, 'wasm')) registerDepthwiseFilterGrad();
  enabled = true;
}

function registerConvFilterGrad(): void {
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
}

type Backend = { disposeData(id: object): void };
type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
interface DepthwiseGradAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function unitDilation(kernelName: string, dilations: [number, number] | number | undefined): void {
  const [dh, dw] = typeof dilations === 'number' ? [dilations, dilations] : dilations ?? [1, 1];
  if (dh !== 1 || dw !== 1) throw new Error(`${kernelName} (wasm, @percept/training): dilation ${dh}×${dw} is not supported, only 1`);
}

/** Runs wasm kernels, remembering every intermediate so the caller can free them. */
function kernels(backend: unknown, temps: TensorInfo[]) {
  const call = (name: string) => {
    const fn = kernel(name);
    return (inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo => {
      const out = fn({ inputs, backend, attrs });
      temps.push(out);
      return out;
    };
  };
  return {
    reshape: (x: TensorInfo, shape: number[]) => call('Reshape')({ x }, { shape }),
    transpose: (x: TensorInfo, perm: number[]) => call('Transpose')({ x }, { perm }),
    pad: (x: TensorInfo, paddings: Array<[number, number]>) => call('PadV2')({ x }, { paddings, constantValue: 0 }),
    slice: (x: TensorInfo, begin: number[], size: number[]) => call('Slice')({ x }, { begin, size }),
    reverse: (x: TensorInfo, dims: number[]) => call('Reverse')({ x }, { dims }),
    sum: (x: TensorInfo, axis: number) => call('Sum')({ x }, { axis: [axis], keepDims: false }),
    depthwise: (x: TensorInfo, filter: TensorInfo, pad: Pad, dilations: [number, number]) =>
      call('DepthwiseConv2dNative')({ x, filter }, { strides: [1, 1], pad, dilations, dataFormat: 'NHWC' }),
  };
}

/** Frees every intermediate but `keep`. A Reshape shares its input's data with one more reference, so it is released like the others. */
function release(backend: Backend, temps: TensorInfo[], keep: TensorInfo | undefined): void {
  for (const t of temps) if (t !== keep) backend.disposeData(t.dataId);
}

function registerDepthwiseInputGrad(): void {
  tf.registerKernel({
    kernelName: DEPTHWISE_INPUT,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: Backend; attrs: Record<string, unknown> }) => {
      const { dy, filter } = inputs;
      const a = attrs as unknown as DepthwiseGradAttrs & { inputShape: [number, number, number, number] };
      unitDilation(DEPTHWISE_INPUT, a.dilations);
      const info = tf.backend_util.computeConv2DInfo(
        a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad as 'valid', a.dimRoundingMode, true, 'channelsLast',
      );
      const [kh, kw, c, m] = filter.shape;
      const [n, h, w] = a.inputShape;
      const [, oh, ow, cm] = dy.shape;
      const sh = info.strideHeight, sw = info.strideWidth;
      const temps: TensorInfo[] = [];
      const k = kernels(backend, temps);
      let out: TensorInfo | undefined;
      try {
        // Zeros between the rows and columns of dy: [N, OH, 1, OW, 1, C·m] padded to s×s cells, cut to (OH−1)·s+1 × (OW−1)·s+1.
        let g = dy;
        if (sh > 1 || sw > 1) {
          g = k.pad(k.reshape(dy, [n, oh, 1, ow, 1, cm]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
          g = k.slice(k.reshape(g, [n, oh * sh, ow * sw, cm]), [0, 0, 0, 0], [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, cm]);
        }
        const lh = (oh - 1) * sh + 1, lw = (ow - 1) * sw + 1;
        const top = kh - 1 - info.padInfo.top, left = kw - 1 - info.padInfo.left;
        let bottom = h + info.padInfo.top - lh, right = w + info.padInfo.left - lw;
        if (top < 0 || left < 0) throw new Error(`${DEPTHWISE_INPUT} (wasm, @percept/training): padding larger than the kernel is not supported`);
        // Rows of dy that reach no input row (bottom < 0) are cut off.
        if (bottom < 0 || right < 0) {
          g = k.slice(g, [0, 0, 0, 0], [n, lh + Math.min(bottom, 0), lw + Math.min(right, 0), cm]);
          bottom = Math.max(bottom, 0); right = Math.max(right, 0);
        }
        const flipped = k.reshape(k.reverse(filter, [0, 1]), [kh, kw, c * m, 1]);
        const full = k.depthwise(g, flipped, [[0, 0], [top, bottom], [left, right], [0, 0]], [1, 1]);
        out = m === 1 ? full : k.sum(k.reshape(full, [n, h, w, c, m]), 4);
        return out;
      } finally {
        release(backend, temps, out);
      }
    }) as unknown as tf.KernelFunc,
  });
}

function registerDepthwiseFilterGrad(): void {
  tf.registerKernel({
    kernelName: DEPTHWISE_FILTER,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: Backend; attrs: Record<string, unknown> }) => {
      const { x, dy } = inputs;
      const a = attrs as unknown as DepthwiseGradAttrs & { filterShape: [number, number, number, number] };
      unitDilation(DEPTHWISE_FILTER, a.dilations);
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad as 'valid', a.dimRoundingMode, true, 'channelsLast',
      );
      const [kh, kw, c, m] = a.filterShape;
      const [n, h, w] = x.shape;
      const [, oh, ow] = dy.shape;
      const { top, bottom, left, right } = info.padInfo;
      const temps: TensorInfo[] = [];
      const k = kernels(backend, temps);
      let out: TensorInfo | undefined;
      try {
        // Batch folded into channels: x → [1, H, W, C·N], dy → [OH, OW, C·N, m] (index c·N + n).
        const xs = k.reshape(k.transpose(x, [1, 2, 3, 0]), [1, h, w, c * n]);
        const f = k.reshape(k.transpose(k.reshape(dy, [n, oh, ow, c, m]), [1, 2, 3, 0, 4]), [oh, ow, c * n, m]);
        const full = k.depthwise(xs, f, [[0, 0], [top, bottom], [left, right], [0, 0]], [info.strideHeight, info.strideWidth]);
        const cut = k.slice(full, [0, 0, 0, 0], [1, kh, kw, c * n * m]);
        out = k.sum(k.reshape(cut, [kh, kw, c, n, m]), 3);
        return out;
      } finally {
        release(backend, temps, out);
      }
    }) as unknown as tf.KernelFunc,
  });
}
