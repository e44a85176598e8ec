import { definePlugin } from '@percept/core';

/** The @percept/backend-tfjs plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/backend-tfjs',
  version: '0.1.0',
  contributes: [],
});
