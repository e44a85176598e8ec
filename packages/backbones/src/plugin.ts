import { definePlugin } from '@percept/core';

/** The @percept/backbones plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/backbones',
  version: '0.1.0',
  contributes: [],
});
