import { definePlugin } from '@percept/core';

/** The @percept/dataset-bapps plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/dataset-bapps',
  version: '0.1.0',
  contributes: [],
});
