import { definePlugin } from '@percept/core';
import { allDistortions, distortionContribution } from './catalog.js';
import { synthJob } from './jobs.js';
import { sensitivityJob } from './sensitivity.js';

/** The @percept/distortions plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/distortions',
  version: '0.1.0',
  contributes: [...allDistortions.map(distortionContribution), synthJob, sensitivityJob],
});
