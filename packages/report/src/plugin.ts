import { definePlugin } from '@percept/core';
import { reportReporter } from './reporter.js';

/** The @percept/report plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/report',
  version: '0.1.0',
  contributes: [reportReporter],
});
