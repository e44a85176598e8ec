import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { DataType, encodeModel, floatTensor, type OnnxModel } from './proto/onnx.js';
import { attr } from './builder.js';
import { tapOnnxModel } from './file-model.js';
import { dequantize } from './quant.js';

/** input -> QuantizeLinear(scale 0.05, zero point 10) -> MaxPool -> DequantizeLinear -> output. */
function quantModel(): OnnxModel {
  const u8 = (name: string, v: number) => ({ name, dims: [], dataType: DataType.UINT8, rawData: new Uint8Array([v]), unknown: [] });
  const node = (opType: string, inputs: string[], outputs: string[], attributes = [] as ReturnType<typeof attr>[]) => ({ opType, inputs, outputs, attributes, unknown: [] });
  return {
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'q',
      nodes: [
        node('QuantizeLinear', ['input', 'scale', 'zp'], ['q']),
        node('MaxPool', ['q'], ['pooled'], [attr('kernel_shape', [2, 2]), attr('strides', [2, 2])]),
        node('DequantizeLinear', ['pooled', 'scale', 'zp'], ['output']),
      ],
      initializers: [floatTensor('scale', [], new Float32Array([0.05])), u8('zp', 10)],
      inputs: [{ name: 'input', type: { elemType: DataType.FLOAT, shape: ['N', 1, 4, 4] }, unknown: [] }],
      outputs: [{ name: 'output', type: { elemType: DataType.FLOAT }, unknown: [] }],
      valueInfo: [], unknown: [],
    },
    unknown: [],
  };
}

describe('quantized taps', () => {
  it('finds scale and zero point through pass-through ops and dequantizes to the float values', async () => {
    const tapped = tapOnnxModel(quantModel(), 'q.onnx', { taps: ['q', 'pooled'] });
    expect(tapped.quant.get('q')).toEqual({ scale: expect.closeTo(0.05, 6), zeroPoint: 10 });
    expect(tapped.quant.get('pooled')).toEqual(tapped.quant.get('q'));
    const session = await ort.InferenceSession.create(encodeModel(tapped.model));
    const x = Float32Array.from({ length: 16 }, (_, i) => (i - 4) * 0.1);
    const out = await session.run({ input: new ort.Tensor('float32', x, [1, 1, 4, 4]) });
    await session.release();
    expect(out.q.type).toBe('uint8');
    const deq = dequantize(out.q.data as Uint8Array, tapped.quant.get('q')!);
    // Quantization error is at most half a step.
    for (let i = 0; i < 16; i++) expect(Math.abs(deq[i] - x[i])).toBeLessThanOrEqual(0.025 + 1e-6);
    // The pooled tap agrees with the graph's own DequantizeLinear output.
    const pooled = dequantize(out.pooled.data as Uint8Array, tapped.quant.get('pooled')!);
    expect(Array.from(pooled)).toEqual(Array.from(out.output.data as Float32Array).map((v) => expect.closeTo(v, 6)));
  });
});
