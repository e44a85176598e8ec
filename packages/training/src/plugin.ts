import { definePlugin } from '@percept/core';
import { trainClassifierJob } from './jobs/train-classifier.js';
import { trainLpipsLinJob } from './jobs/train-lpips-lin.js';

/** The @percept/training plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/training',
  version: '0.1.0',
  contributes: [trainClassifierJob, trainLpipsLinJob],
});
