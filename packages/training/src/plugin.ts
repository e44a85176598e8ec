import { definePlugin } from '@percept/core';

/** The @percept/training plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/training',
  version: '0.1.0',
  contributes: [],
});
