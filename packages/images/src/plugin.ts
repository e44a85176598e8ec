import { definePlugin } from '@percept/core';

/** The @percept/images plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/images',
  version: '0.1.0',
  contributes: [],
});
