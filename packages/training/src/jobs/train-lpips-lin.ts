/**
 * The `train-lpips-lin` job: LPIPS linear calibration (SPEC §7.5, Kumar §8.1's "learned linear
 * layer") of any backbone's taps on BAPPS 2AFC triplets. The trunk runs once over the data; each
 * triplet leaves only its per-channel distances (lin/channel-distances.ts), which the epochs then
 * reuse. The result is a lin-weights safetensors file (`lin{k}.model.1.weight`, tap order) that
 * the `lpips` distance's lin variant reads, e.g. perceptual-score's `{ "use": "lpips", "with":
 * { "variant": "lin", "lin": "<file>" } }`.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import {
  checkOptions, concatBatches, InputError, writeFileAtomic,
  type Features, type HostTensor, type ImageBatch, type JobContext, type JobContribution, type JSONSchema, type JsonValue,
} from '@percept/core';
import { writeSafetensors } from '@percept/backbones';
import { ChannelDistanceBuilder, channelDistances } from '../lin/channel-distances.js';
import { defaultLinOptions, linTensors, linTwoAfc, trainLin } from '../lin/train-lin.js';

const useWith = (what: string, def?: object): JSONSchema => ({
  type: 'object', additionalProperties: false, required: ['use'], ...(def ? { default: def } : {}),
  properties: { use: { type: 'string', description: `Registered ${what} name.` }, with: { type: 'object', default: {}, description: `Options of the ${what}.` } },
});

export const trainLpipsLinOptionsSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['root', 'backbone'],
  properties: {
    root: { type: 'string', description: 'BAPPS folder holding 2afc/ (relative to the workflow file).' },
    split: { enum: ['train', 'val'], default: 'train', description: '2AFC split to train on (the reference: train).' },
    subsets: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true, description: 'Subsets of the split (default: all; the reference trains on traditional, cnn and mix).' },
    limit: { type: ['integer', 'null'], minimum: 1, default: null, description: 'At most this many triplets per subset.' },
    backbone: { ...useWith('backbone'), description: 'The frozen trunk, e.g. { "use": "alexnet", "with": { "weights": "pretrained" } }; its taps are the lin layers.' },
    backend: { ...useWith('backend', { use: 'tfjs', with: {} }), description: 'Backend that computes the features (default tfjs).' },
    featureBatchSize: { type: 'integer', minimum: 1, default: 50, description: 'Triplets per feature-extraction batch.' },
    epochs: { type: 'integer', minimum: 1, default: defaultLinOptions.epochs, description: 'Epochs at the base learning rate (reference 5).' },
    decayEpochs: { type: 'integer', minimum: 0, default: defaultLinOptions.decayEpochs, description: 'Further epochs with the rate decaying linearly (reference 5).' },
    batchSize: { type: 'integer', minimum: 1, default: defaultLinOptions.batchSize, description: 'Training batch (reference 50).' },
    lr: { type: 'number', exclusiveMinimum: 0, default: defaultLinOptions.lr, description: 'Adam learning rate (reference 1e-4).' },
    beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: defaultLinOptions.beta1, description: 'Adam β1 (reference 0.5).' },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'Seeds the initial weights and the shuffling.' },
    val: {
      type: 'object', additionalProperties: false,
      properties: { subsets: { type: 'array', items: { type: 'string' }, minItems: 1 }, limit: { type: ['integer', 'null'], minimum: 1, default: null } },
      description: 'Also score the BAPPS val split (same root) with the baseline and the learned weights.',
    },
  },
};

export const trainLpipsLinOutputsSchema: JSONSchema = {
  type: 'object',
  required: ['lin', 'judge', 'taps', 'train2afc'],
  properties: {
    lin: { type: 'string', description: 'Lin weights (safetensors, LPIPS key names).' },
    judge: { type: 'string', description: 'The judge network G (safetensors).' },
    taps: { type: 'array', items: { type: 'string' } },
    triplets: { type: 'integer' },
    epochs: { type: 'array', items: { type: 'object' } },
    train2afc: { type: 'object', description: '2AFC score ×100 on the training triplets: baseline (all weights 1) and learned.' },
    val2afc: { type: 'object', description: '2AFC score ×100 on the val split: baseline and learned.' },
  },
};

interface TripletBatch { ref: ImageBatch; p0: ImageBatch; p1: ImageBatch; judge: Float32Array; names: string[] }

function sliceTap(t: HostTensor, start: number, count: number): HostTensor {
  const n = t.shape[0];
  const per = t.data.length / n;
  return { data: t.data.subarray(start * per, (start + count) * per), shape: [count, ...t.shape.slice(1)], layout: t.layout };
}
function sliceFeatures(f: Features, start: number, count: number): Features {
  return { taps: Object.fromEntries(Object.entries(f.taps).map(([k, t]) => [k, sliceTap(t, start, count)])) };
}

/** Per-channel distances (ref, p0) and (ref, p1) and the judgments of every triplet of a reader. */
async function cacheDistances(reader: AsyncIterable<unknown>, extract: (b: ImageBatch) => Promise<Features>, taps: string[], ctx: JobContext, total: number, what: string) {
  const b0 = new ChannelDistanceBuilder(taps), b1 = new ChannelDistanceBuilder(taps);
  const judges: number[] = [];
  let done = 0;
  for await (const raw of reader) {
    if (ctx.signal.aborted) throw new InputError(`train-lpips-lin: interrupted while computing ${what} features`);
    const batch = raw as TripletBatch;
    const n = batch.names.length;
    const all = await extract(concatBatches([batch.ref, batch.p0, batch.p1]));
    const ref = sliceFeatures(all, 0, n), p0 = sliceFeatures(all, n, n), p1 = sliceFeatures(all, 2 * n, n);
    const d0 = channelDistances(ref, p0, taps), d1 = channelDistances(ref, p1, taps);
    b0.add(d0.rows, d0.channels); b1.add(d1.rows, d1.channels);
    judges.push(...batch.judge);
    done += n;
    ctx.progress(done, total, 'triplets', `${what} features`);
  }
  return { c0: b0.build(), c1: b1.build(), judge: Float32Array.from(judges) };
}

export async function runTrainLpipsLin(raw: Record<string, unknown>, ctx: JobContext): Promise<Record<string, JsonValue>> {
  const o = checkOptions(trainLpipsLinJob, raw as Record<string, JsonValue>, `train-lpips-lin (${ctx.stepId})`) as Record<string, any>;
  const dataset = ctx.registry.get('dataset', 'bapps-2afc');
  const open = (split: string, subsets: string[] | undefined, limit: number | null) =>
    dataset.open({ root: o.root, split, batchSize: o.featureBatchSize, limit, ...(subsets ? { subsets } : {}) }, { baseDir: ctx.baseDir });
  const reader = await open(o.split, o.subsets, o.limit);
  const spec = await ctx.registry.get('backbone', o.backbone.use).build(o.backbone.with ?? {}, { baseDir: ctx.baseDir });
  const backend = await ctx.registry.get('backend', o.backend.use).create(o.backend.with ?? {});
  const extractor = await backend.load(spec, { maxBatch: 3 * o.featureBatchSize });
  let result: Record<string, JsonValue>;
  try {
    const taps = [...extractor.taps];
    ctx.record('engine', JSON.parse(JSON.stringify(extractor.info())) as JsonValue);
    ctx.record('taps', taps);
    const extract = (b: ImageBatch) => extractor.extract(b, { signal: ctx.signal });
    const train = await cacheDistances(reader, extract, taps, ctx, reader.size, o.split);
    const val = o.val ? await cacheDistances(await open('val', o.val.subsets, o.val.limit ?? null), extract, taps, ctx, NaN, 'val') : undefined;
    ctx.log.info(`train-lpips-lin: ${train.c0.count} triplets cached (${train.c0.width} channels over ${taps.length} taps); training`);
    const res = await trainLin(train.c0, train.c1, train.judge, {
      epochs: o.epochs, decayEpochs: o.decayEpochs, batchSize: o.batchSize, lr: o.lr, beta1: o.beta1, seed: o.seed,
    }, { log: ctx.log, signal: ctx.signal, progress: (d, t, m) => ctx.progress(d, t, 'epochs', m) });
    await mkdir(ctx.outputDir, { recursive: true });
    const lin = join(ctx.outputDir, 'lin.safetensors');
    const judge = join(ctx.outputDir, 'judge.safetensors');
    const meta = { producer: '@percept/training train-lpips-lin', backbone: o.backbone.use, taps: taps.join(',') };
    await writeFileAtomic(lin, writeSafetensors(linTensors(res.weights), meta));
    await writeFileAtomic(judge, writeSafetensors(res.judge, meta));
    const pct = (x: number) => Math.round(x * 1e6) / 1e4;
    result = {
      lin, judge, taps, triplets: train.c0.count,
      epochs: res.epochs as unknown as JsonValue,
      train2afc: { baseline: pct(linTwoAfc(train.c0, train.c1, train.judge, null)), learned: pct(linTwoAfc(train.c0, train.c1, train.judge, res.weights)) },
    };
    if (val) result.val2afc = { baseline: pct(linTwoAfc(val.c0, val.c1, val.judge, null)), learned: pct(linTwoAfc(val.c0, val.c1, val.judge, res.weights)) };
  } finally {
    await extractor.dispose();
  }
  return result;
}

export const trainLpipsLinJob: JobContribution = {
  kind: 'job',
  name: 'train-lpips-lin',
  description: 'LPIPS linear calibration: learns non-negative per-channel weights for a frozen backbone\'s taps on BAPPS 2AFC judgments (BCE through the judge network G, Adam lr 1e-4 β1 0.5, 5 + 5 decaying epochs, batch 50). Writes lin weights for the lpips distance\'s lin variant.',
  optionsSchema: trainLpipsLinOptionsSchema,
  outputsSchema: trainLpipsLinOutputsSchema,
  run: runTrainLpipsLin,
};
