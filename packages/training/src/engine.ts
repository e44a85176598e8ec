/**
 * Engine choice for training. The wasm engine lacks Conv2DBackpropFilter and both depthwise
 * convolution gradients, so before training on it this package registers its own (wasm/enable.ts); measured on ResNet-6 it trains tens of times
 * faster than the pure-JS cpu engine (docs/performance.md, "Training"). "auto" therefore takes
 * tfjs-node-gpu, tfjs-node, then wasm with those kernels, then cpu. On a machine with tfjs-node
 * installed, auto picks it and workflows need no change.
 */
import { initTfjs } from '@percept/backend-tfjs';
import type { EngineInfo, JSONSchema, Logger } from '@percept/core';
import { enableWasmTraining } from './wasm/enable.js';

export type EngineOption = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';

export const engineSchema: JSONSchema = {
  enum: ['auto', 'node-gpu', 'node', 'wasm', 'cpu'],
  default: 'auto',
  description: 'TensorFlow.js engine: the first to try (later ones in the order node-gpu, node, wasm, cpu are fallbacks). On wasm, @percept/training registers the convolution-gradient kernel wasm lacks.',
};

export async function selectEngine(choice: EngineOption, log?: Logger): Promise<EngineInfo> {
  const info = await initTfjs({ prefer: choice === 'auto' ? 'node-gpu' : choice, log: (m) => log?.info(m) });
  if (info.provider === 'wasm') {
    enableWasmTraining();
    return { ...info, notes: [...(info.notes ?? []), 'wasm Conv2DBackpropFilter and depthwise-convolution gradients registered by @percept/training'] };
  }
  return info;
}
