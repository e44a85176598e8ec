import { definePlugin } from '@percept/core';

/** The @percept/backend-onnx plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/backend-onnx',
  version: '0.1.0',
  contributes: [],
});
