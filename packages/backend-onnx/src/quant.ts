/**
 * Finding the scale and zero point of quantized (uint8/int8) tensors in QLinear graphs, so taps on
 * them can be returned as real values: x = (q - zeroPoint) · scale.
 */
import { InputError } from '@percept/core';
import { tensorValues, type OnnxGraph, type OnnxNode } from './proto/onnx.js';

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/** Inputs holding the output scale / zero point, per quantizing op (onnx and com.microsoft QLinear ops). */
const OUTPUT_QPARAMS: Readonly<Record<string, readonly [number, number]>> = {
  QuantizeLinear: [1, 2],
  QLinearConv: [6, 7],
  QLinearMatMul: [6, 7],
  QLinearAdd: [6, 7],
  QLinearMul: [6, 7],
  QLinearGlobalAveragePool: [3, 4],
  QLinearAveragePool: [3, 4],
  QLinearSigmoid: [3, 4],
  QLinearLeakyRelu: [3, 4],
  QLinearSoftmax: [3, 4],
  QLinearConcat: [0, 1],
  QLinearReduceMean: [3, 4],
};

/** Ops that move quantized values without changing them, so the output shares its input's parameters. */
const PASS_THROUGH = new Set([
  'MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Gather', 'Slice',
  'Split', 'Resize', 'SpaceToDepth', 'DepthToSpace', 'Expand', 'Tile',
]);

/**
 * Quantization parameters of `tensor`, or undefined when no quantizing producer is found.
 * Throws when the parameters exist but are not constant per-tensor scalars.
 */
export function findQuantParams(graph: OnnxGraph, producers: ReadonlyMap<string, OnnxNode>, tensor: string, file: string): QuantParams | undefined {
  const inits = new Map(graph.initializers.map((t) => [t.name, t]));
  let name = tensor;
  for (let hops = 0; hops < 64; hops++) {
    const node = producers.get(name);
    if (!node) return undefined;
    const idx = OUTPUT_QPARAMS[node.opType];
    if (idx) {
      const scaleName = node.inputs[idx[0]];
      const zpName = node.inputs[idx[1]];
      const scaleT = inits.get(scaleName);
      if (!scaleT) {
        throw new InputError(`${file}: quantized tensor "${tensor}" gets its scale from "${scaleName}", which is not an initializer, so it cannot be dequantized.`);
      }
      const scale = tensorValues(scaleT);
      // A missing zero point means 0 (QuantizeLinear's default).
      const zp = zpName && inits.get(zpName) ? tensorValues(inits.get(zpName)!) : [0];
      if (scale.length !== 1 || zp.length !== 1) {
        throw new InputError(
          `${file}: quantized tensor "${tensor}" has ${scale.length} scales and ${zp.length} zero points; only per-tensor quantization can be dequantized.`,
        );
      }
      return { scale: scale[0], zeroPoint: zp[0] };
    }
    if (!PASS_THROUGH.has(node.opType) || node.inputs.length === 0) return undefined;
    name = node.inputs[0];
  }
  return undefined;
}

/** (q - zeroPoint) · scale into float32. */
export function dequantize(values: Uint8Array | Int8Array, q: QuantParams): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i] - q.zeroPoint) * q.scale;
  return out;
}
