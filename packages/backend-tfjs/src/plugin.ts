import { definePlugin, type BackendContribution } from '@percept/core';
import { TfjsBackend } from './backend.js';
import { enginePreferences, type EnginePreference } from './engine.js';

const tfjsBackend: BackendContribution = {
  kind: 'backend',
  name: 'tfjs',
  aliases: ['tensorflowjs'],
  description:
    'TensorFlow.js: compiles IR backbones to tfjs ops and loads tfjs graph/layers model files. ' +
    'Engines in order of preference: tfjs-node-gpu, tfjs-node (optional installs), wasm, cpu.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      engine: {
        enum: [...enginePreferences],
        default: 'node-gpu',
        description: 'The first engine to try; later engines in the order node-gpu, node, wasm, cpu are fallbacks.',
      },
      threads: { type: 'integer', minimum: 1, description: 'Threads for the wasm engine (Node runs it single-threaded).' },
    },
  },
  create(options) {
    return new TfjsBackend({
      engine: options.engine as EnginePreference | undefined,
      threads: options.threads as number | undefined,
    });
  },
};

/** The @percept/backend-tfjs plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/backend-tfjs',
  version: '0.1.0',
  contributes: [tfjsBackend],
});
