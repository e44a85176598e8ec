import { definePlugin, type BackendContribution } from '@percept/core';
import { OnnxBackend } from './backend.js';
import { onnxBackendOptionsSchema, parseOnnxBackendOptions } from './options.js';

export { onnxBackendOptionsSchema, parseOnnxBackendOptions };

const onnxBackend: BackendContribution = {
  kind: 'backend',
  name: 'onnx',
  aliases: ['onnxruntime', 'ort'],
  description: 'Runs IR backbones (compiled to ONNX) and ONNX model files on onnxruntime-node, with taps on any intermediate tensor.',
  optionsSchema: onnxBackendOptionsSchema,
  create: (options) => new OnnxBackend(parseOnnxBackendOptions(options)),
};

/** The @percept/backend-onnx plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/backend-onnx',
  version: '0.1.0',
  contributes: [onnxBackend],
});
