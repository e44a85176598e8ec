/**
 * Engine choice for training. "auto" takes the most capable engine, but the wasm engine cannot
 * differentiate convolutions unless this package's wasm gradient kernels are registered, so auto
 * falls back to the cpu engine in that case. On a machine with tfjs-node(-gpu) installed, auto
 * picks it and workflows need no change.
 */
import { initTfjs } from '@percept/backend-tfjs';
import { InputError, type EngineInfo, type JSONSchema, type Logger } from '@percept/core';
import { wasmTrainingEnabled } from './wasm/enable.js';

export type EngineOption = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';

export const engineSchema: JSONSchema = {
  enum: ['auto', 'node-gpu', 'node', 'wasm', 'cpu'],
  default: 'auto',
  description: 'TensorFlow.js engine. auto: tfjs-node-gpu, tfjs-node, then wasm (with the wasm training kernels) or cpu.',
};

export async function selectEngine(choice: EngineOption, log?: Logger): Promise<EngineInfo> {
  const say = (m: string) => log?.info(m);
  if (choice === 'auto') {
    const info = await initTfjs({ prefer: 'node-gpu', log: say });
    if (info.provider === 'wasm' && !wasmTrainingEnabled()) {
      say('training: the wasm engine has no convolution gradients unless enableWasmTraining() ran; using the cpu engine');
      return initTfjs({ prefer: 'cpu', log: say });
    }
    return info;
  }
  const info = await initTfjs({ prefer: choice, log: say });
  if (info.provider === 'wasm' && !wasmTrainingEnabled()) {
    throw new InputError('option "engine": "wasm" cannot train convolutions without the wasm gradient kernels', { hint: 'call enableWasmTraining() from @percept/training first, or use engine "cpu"' });
  }
  return info;
}
