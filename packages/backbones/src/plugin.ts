import { definePlugin } from '@percept/core';
import { architectureContributions } from './contrib/architectures.js';
import { onnxFileContribution, tfjsFileContribution } from './contrib/files.js';

/** The @percept/backbones plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/backbones',
  version: '0.1.0',
  contributes: [...architectureContributions, onnxFileContribution, tfjsFileContribution],
});
