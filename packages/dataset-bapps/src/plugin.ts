import { definePlugin, type DatasetContribution, type JSONSchema } from '@percept/core';
import { isAbsolute, resolve } from 'node:path';
import { openJnd, openTwoAfc } from './reader.js';
import { JND_SUBSETS, VAL_SUBSETS } from './layout.js';
import { perceptualScoreJob, PACKAGE_VERSION } from './perceptual-score.js';
import { activationEntropyJob, dynamicRangeJob } from './analysis/index.js';

const readerOptions = (extra: Record<string, JSONSchema>, subsetsDefault: readonly string[]): JSONSchema => ({
  type: 'object',
  properties: {
    root: { type: 'string', description: 'BAPPS folder holding 2afc/ and jnd/; relative to the workflow file.' },
    ...extra,
    subsets: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true, default: [...subsetsDefault] },
    batchSize: { type: 'integer', minimum: 1, default: 50 },
    onError: { enum: ['fail', 'skip'], default: 'fail' },
    limit: { type: ['integer', 'null'], minimum: 1, default: null, description: 'At most this many samples of each subset.' },
  },
  required: ['root'],
  additionalProperties: false,
});

function rootOf(options: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  const root = options.root;
  return typeof root === 'string' && !isAbsolute(root) ? { ...options, root: resolve(baseDir, root) } : options;
}

const twoAfcDataset: DatasetContribution = {
  kind: 'dataset',
  name: 'bapps-2afc',
  description: 'BAPPS 2AFC triplets (ref, p0, p1, judge) as 64×64 batches, streamed per subset.',
  optionsSchema: readerOptions({ split: { enum: ['train', 'val'], default: 'val' } }, VAL_SUBSETS),
  open: (options, ctx) => openTwoAfc(rootOf(options, ctx.baseDir) as unknown as Parameters<typeof openTwoAfc>[0]),
};

const jndDataset: DatasetContribution = {
  kind: 'dataset',
  name: 'bapps-jnd',
  description: 'BAPPS JND pairs (p0, p1, same) as 64×64 batches, streamed per subset.',
  optionsSchema: readerOptions({}, JND_SUBSETS),
  open: (options, ctx) => openJnd(rootOf(options, ctx.baseDir) as unknown as Parameters<typeof openJnd>[0]),
};

/** The @percept/dataset-bapps plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/dataset-bapps',
  version: PACKAGE_VERSION,
  contributes: [twoAfcDataset, jndDataset, perceptualScoreJob, dynamicRangeJob, activationEntropyJob],
});
