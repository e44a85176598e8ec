/**
 * The `activation-entropy` job (Kumar §8.5, Figs. 15–16; SPEC §4.7): the normalised entropy of the
 * softmax over each tapped representation of a backbone, for the reference patches of BAPPS 2AFC
 * triplets, averaged per tap and over taps, per subset and over all images.
 */
import { isAbsolute, resolve } from 'node:path';
import { InputError, type FeatureExtractor, type JobContext, type JobContribution, type JSONSchema, type JsonValue } from '@percept/core';
import { normalizedSoftmaxEntropy } from '@percept/metrics';
import { openTwoAfc } from '../reader.js';
import { VAL_SUBSETS } from '../layout.js';
import { useWith, useWithSchema } from '../job-options.js';
import { describeModel, PACKAGE_VERSION, throwIfAborted } from '../perceptual-score.js';

const numberMap: JSONSchema = { type: 'object', additionalProperties: { type: 'number' } };

export const activationEntropyOptionsSchema: JSONSchema = {
  type: 'object',
  properties: {
    root: { type: 'string', description: 'BAPPS folder holding 2afc/; relative to the workflow file.' },
    subsets: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true, default: [...VAL_SUBSETS], description: '2AFC val subsets whose reference patches are used.' },
    backbone: useWithSchema('backbone'),
    backend: { ...useWithSchema('backend'), default: { use: 'onnx', with: {} } },
    taps: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true, description: 'Taps to measure. Default: every tap of the backbone.' },
    batchSize: { type: 'integer', minimum: 1, default: 50 },
    onError: { enum: ['fail', 'skip'], default: 'fail' },
    limit: { type: ['integer', 'null'], minimum: 1, default: null, description: 'At most this many reference patches of each subset.' },
  },
  required: ['root', 'backbone'],
  additionalProperties: false,
};

export const activationEntropyOutputsSchema: JSONSchema = {
  type: 'object',
  properties: {
    taps: { type: 'array', items: { type: 'string' } },
    entropy: { type: 'number', description: 'Mean over taps of the per-tap mean over all images (pooled over subsets).' },
    byTap: { ...numberMap, description: 'Per tap, mean normalised entropy over all images.' },
    bySubset: {
      type: 'object',
      additionalProperties: { type: 'object', properties: { entropy: { type: 'number' }, byTap: numberMap, n: { type: 'integer' } } },
    },
    counts: { type: 'object', additionalProperties: { type: 'integer' } },
  },
  required: ['taps', 'entropy', 'byTap', 'bySubset', 'counts'],
};

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function runActivationEntropy(o: Record<string, unknown>, ctx: JobContext): Promise<Record<string, JsonValue>> {
  if (typeof o.root !== 'string' || !o.root) throw new InputError(`activation-entropy: option "root" must be the BAPPS folder path, got ${JSON.stringify(o.root)}`);
  const root = isAbsolute(o.root) ? o.root : resolve(ctx.baseDir, o.root);
  const backboneOpt = useWith(o.backbone, 'backbone', 'activation-entropy');
  const backendOpt = o.backend === undefined ? { use: 'onnx', with: {} } : useWith(o.backend, 'backend', 'activation-entropy');
  const batchSize = (o.batchSize ?? 50) as number;
  const reader = await openTwoAfc({
    root, split: 'val', subsets: (o.subsets as string[] | undefined) ?? [...VAL_SUBSETS], batchSize,
    onError: o.onError as 'fail' | 'skip' | undefined, limit: (o.limit ?? null) as number | null,
  });

  const backbone = ctx.registry.get('backbone', backboneOpt.use);
  const spec = await backbone.build(backboneOpt.with, { baseDir: ctx.baseDir });
  const backend = await ctx.registry.get('backend', backendOpt.use).create(backendOpt.with);
  let extractor: FeatureExtractor | undefined;
  try {
    extractor = await backend.load(spec, { maxBatch: batchSize });
    const taps = (o.taps as string[] | undefined) ?? [...extractor.taps];
    for (const t of taps) {
      if (!extractor.taps.includes(t)) throw new InputError(`activation-entropy: option "taps" names "${t}", which backbone "${backboneOpt.use}" does not expose (taps: ${extractor.taps.join(', ')})`);
    }
    ctx.record('backbone', { use: backboneOpt.use, with: backboneOpt.with as Record<string, JsonValue>, ...describeModel(spec) });
    ctx.record('engine', JSON.parse(JSON.stringify(extractor.info())) as JsonValue);
    ctx.record('taps', taps);
    ctx.record('packages', { '@percept/dataset-bapps': PACKAGE_VERSION });

    // Sums of per-image entropies, per subset and tap; the means are taken at the end.
    const sums = new Map<string, { n: number; byTap: Record<string, number> }>();
    let done = 0;
    ctx.progress(0, reader.size, 'images');
    for await (const batch of reader) {
      throwIfAborted(ctx);
      const n = batch.names.length;
      const f = await extractor.extract(batch.ref, { signal: ctx.signal });
      const acc = sums.get(batch.subset) ?? sums.set(batch.subset, { n: 0, byTap: Object.fromEntries(taps.map((t) => [t, 0])) }).get(batch.subset)!;
      for (const t of taps) {
        const tensor = f.taps[t];
        if (!tensor) throw new InputError(`activation-entropy: the extractor returned no tensor for tap "${t}"`);
        if (tensor.shape[0] !== n) throw new InputError(`activation-entropy: tap "${t}" has batch size ${tensor.shape[0]}, expected ${n}`);
        const e = normalizedSoftmaxEntropy(tensor, t);
        acc.byTap[t] += e.reduce((a, b) => a + b, 0);
      }
      acc.n += n;
      done += n;
      ctx.progress(done, reader.size, 'images');
    }
    ctx.record('skipped', { count: reader.skipped.length, samples: reader.skipped.slice(0, 100).map((s) => ({ ...s })) });
    const total = [...sums.values()].reduce((a, s) => a + s.n, 0);
    if (total === 0) throw new InputError(`activation-entropy: no reference patch could be read under ${root}/2afc/val`);

    const bySubset: Record<string, JsonValue> = {};
    for (const [s, acc] of sums) {
      const byTap = Object.fromEntries(taps.map((t) => [t, acc.byTap[t] / acc.n]));
      bySubset[s] = { entropy: meanOf(Object.values(byTap)), byTap, n: acc.n };
    }
    // Pooled: every image weighs the same, whatever its subset ("averaged over the BAPPS val set").
    const byTap = Object.fromEntries(taps.map((t) => [t, [...sums.values()].reduce((a, s) => a + s.byTap[t], 0) / total]));
    return {
      taps, entropy: meanOf(Object.values(byTap)), byTap, bySubset,
      counts: Object.fromEntries([...sums].map(([s, acc]) => [s, acc.n])),
    };
  } finally {
    await extractor?.dispose();
  }
}

export const activationEntropyJob: JobContribution = {
  kind: 'job',
  name: 'activation-entropy',
  description: 'Kumar §8.5: normalised entropy H/log(HWC) of the softmax over each tapped representation, for BAPPS reference patches; per tap, overall, per subset and pooled.',
  optionsSchema: activationEntropyOptionsSchema,
  outputsSchema: activationEntropyOutputsSchema,
  run: runActivationEntropy,
};
