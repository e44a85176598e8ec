import { definePlugin } from '@percept/core';

/** The @percept/dataset-imagenet plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/dataset-imagenet',
  version: '0.1.0',
  contributes: [],
});
