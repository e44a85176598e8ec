import { definePlugin } from '@percept/core';

/** The @percept/metrics plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/metrics',
  version: '0.1.0',
  contributes: [],
});
