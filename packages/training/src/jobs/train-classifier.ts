/**
 * The `train-classifier` job: one training run of a registry backbone on registry datasets, with
 * checkpoints every K steps. Its outputs feed `perceptual-score` and `accuracy` through a matrix
 * over checkpoint steps: checkpoint files are named `step-<7 digits>.safetensors` under
 * `checkpointDir`, so a workflow can address them as
 * `${steps.<id>.outputs.checkpointDir}/step-0000100.safetensors`.
 */
import { checkOptions, InputError, type ModelSpec, type JobContext, type JobContribution, type JSONSchema, type JsonValue } from '@percept/core';
import { SeededRandom, type IRModelSpec as BackboneSpec } from '@percept/backbones';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { trainClassifier, defaultTrainConfig, resolvedLr, type TrainConfig } from '../trainer.js';
import { isSharded, limitPerClass, selectClasses, type LabeledImageSource } from '../data/source.js';
import { toLabeledSource } from '../data/adapt.js';
import { selectEngine, engineSchema, type EngineOption } from '../engine.js';

const useWith = (what: string): JSONSchema => ({
  type: 'object', additionalProperties: false, required: ['use'],
  properties: { use: { type: 'string', description: `Registered ${what} name.` }, with: { type: 'object', description: `Options of the ${what}.` } },
});

export const trainClassifierOptionsSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['backbone', 'train', 'steps'],
  properties: {
    backbone: { ...useWith('backbone'), description: 'The architecture to train, e.g. { "use": "resnet6", "with": { "width": 0.25 } }. Its "classes" is set to the number of training classes unless given; its initial weights follow its own "weights"/"seed" options (default: random with this job\'s seed).' },
    train: { ...useWith('dataset'), description: 'Training data, e.g. { "use": "image-folder", "with": { "root": "cifar10/train" } }.' },
    val: { ...useWith('dataset'), description: 'Validation data, scored at every checkpoint (accuracy and loss). Classes are matched to the training classes by name.' },
    valLimitPerClass: { type: 'integer', minimum: 1, description: 'Validate on at most this many images per class.' },
    classes: { type: 'integer', minimum: 2, description: 'Train on this many classes chosen at random (seeded by classSeed) from the training set (Kumar §8.4). Default: all.' },
    classSeed: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'Seed of the class subset (default: seed).' },
    steps: { type: 'integer', minimum: 1, description: 'Number of training steps.' },
    batchSize: { type: 'integer', minimum: 1, default: defaultTrainConfig.batchSize },
    imageSize: { type: 'integer', minimum: 8, default: defaultTrainConfig.imageSize, description: 'Training resolution (Kumar: 64).' },
    optimizer: { enum: ['sgd-nesterov', 'adam', 'adamw'], default: defaultTrainConfig.optimizer, description: 'SGD with Nesterov momentum (the TPU ResNet recipe), or Adam/AdamW (ViTs).' },
    lr: { type: 'number', exclusiveMinimum: 0, description: 'Peak learning rate. Default: 0.1·batchSize/256 for SGD (tensorflow/tpu), 1e-3 for Adam/AdamW.' },
    momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: defaultTrainConfig.momentum },
    schedule: { enum: ['tpu-step', 'cosine', 'constant'], default: defaultTrainConfig.schedule, description: 'tpu-step: warm-up over 5/90 of the run, ×0.1 at 30/90, 60/90, 80/90 (the TPU schedule scaled to the run length).' },
    warmup: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'Warm-up fraction of the run (default 5/90 for tpu-step, 0 otherwise).' },
    weightDecay: { type: 'number', minimum: 0, default: defaultTrainConfig.weightDecay, description: 'wd·Σ½‖v‖² over non-normalisation weights (SGD/Adam); decoupled for AdamW.' },
    labelSmoothing: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0 },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Dropout before the classifier.' },
    crop: { enum: ['inception', 'central'], default: 'inception', description: 'Training crop: inception-style random crop, or the central (evaluation) crop (Kumar\'s "central crop" sweep).' },
    flip: { type: 'boolean', default: true, description: 'Random horizontal flips.' },
    cropFraction: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: defaultTrainConfig.cropFraction, description: 'Side fraction of the central crop (evaluation, and training with crop "central").' },
    checkpointEvery: { type: 'integer', minimum: 1, description: 'Write a checkpoint (and validate) every this many steps; the last step always gets one. Default: steps.' },
    stateEvery: { type: 'integer', minimum: 1, description: 'Save the resumable training state every this many steps (default: with every checkpoint).' },
    evalBatchSize: { type: 'integer', minimum: 1, default: defaultTrainConfig.evalBatchSize },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'Seeds data order, augmentation, dropout and (by default) the initial weights and class subset.' },
    engine: engineSchema,
    shuffleBuffer: { type: 'integer', minimum: 1, default: defaultTrainConfig.shuffleBuffer, description: 'Shuffle-buffer size (images) for streamed training data (the 64×64 npz files): each epoch reads the files in a seeded order and draws every sample at random from a buffer of this many, which memory holds (12 KB per 64×64 image). Larger is closer to a full shuffle. Image folders are permuted whole and ignore it.' },
  },
};

export const trainClassifierOutputsSchema: JSONSchema = {
  type: 'object',
  required: ['checkpoints', 'checkpointDir', 'steps', 'finalCheckpoint', 'records'],
  properties: {
    checkpoints: { type: 'array', items: { type: 'string' }, description: 'Checkpoint files in step order.' },
    checkpointSteps: { type: 'array', items: { type: 'integer' } },
    checkpointDir: { type: 'string', description: 'Folder of step-<7 digits>.safetensors files.' },
    finalCheckpoint: { type: 'string' },
    steps: { type: 'integer' },
    classes: { type: 'array', items: { type: 'string' } },
    records: { type: 'array', items: { type: 'object' }, description: 'Per checkpoint: step, path, trainLoss, valAccuracy, valLoss, valSamples.' },
    finalTrainLoss: { type: 'number' },
    stepsPerSecond: { type: 'number' },
    resumedFrom: { type: 'integer', description: 'Step the run resumed from (0: a fresh run).' },
    losses: { type: 'array', items: { type: 'number' } },
  },
};

/** Picks `count` of the class names at random (seeded), returned in their original order. */
export function chooseClasses(names: readonly string[], count: number, seed: number): string[] {
  if (count > names.length) {
    throw new InputError(`option "classes": ${count} classes requested but the training set has only ${names.length}`, { hint: `use at most ${names.length}` });
  }
  const idx = names.map((_, i) => i);
  const rng = new SeededRandom(seed, 'classes');
  for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(rng.uniform() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; }
  return idx.slice(0, count).sort((a, b) => a - b).map((i) => names[i]);
}

async function openSource(ref: { use: string; with?: Record<string, unknown> }, what: string, ctx: JobContext): Promise<LabeledImageSource> {
  const c = ctx.registry.get('dataset', ref.use);
  const ds = await c.open(ref.with ?? {}, { baseDir: ctx.baseDir });
  return toLabeledSource(ds, what);
}

export async function runTrainClassifier(raw: Record<string, unknown>, ctx: JobContext): Promise<Record<string, JsonValue>> {
  const o = checkOptions(trainClassifierJob, raw as Record<string, JsonValue>, `train-classifier (${ctx.stepId})`) as Record<string, any>;
  const engine = await selectEngine(o.engine as EngineOption, ctx.log);
  ctx.record('engine', engine as unknown as JsonValue);

  let train = await openSource(o.train, 'option "train"', ctx);
  if (o.classes !== undefined) train = selectClasses(train, chooseClasses(train.classes, o.classes, o.classSeed ?? o.seed));
  let val: LabeledImageSource | undefined;
  if (o.val) {
    val = selectClasses(await openSource(o.val, 'option "val"', ctx), train.classes);
    if (val.size === 0) throw new InputError(`option "val": none of its images belong to the ${train.classes.length} training classes (${train.classes.slice(0, 5).join(', ')}…)`);
    if (o.valLimitPerClass) val = limitPerClass(val, o.valLimitPerClass);
  }

  const backbone = ctx.registry.get('backbone', o.backbone.use);
  const bOpts: Record<string, unknown> = { ...(o.backbone.with ?? {}) };
  bOpts.classes ??= train.classes.length;
  bOpts.seed ??= o.seed;
  const props = (backbone.optionsSchema.properties ?? {}) as Record<string, unknown>;
  if ('imageSize' in props) bOpts.imageSize ??= o.imageSize;
  const spec = (await backbone.build(bOpts, { baseDir: ctx.baseDir })) as ModelSpec;
  if (spec.kind !== 'ir') throw new InputError(`option "backbone": "${o.backbone.use}" is a model file; training needs an IR architecture (resnet, vit, …)`);
  const model = spec as BackboneSpec;

  const config: TrainConfig = {
    ...defaultTrainConfig,
    steps: o.steps, batchSize: o.batchSize, imageSize: o.imageSize, optimizer: o.optimizer, lr: o.lr, momentum: o.momentum,
    schedule: o.schedule, warmup: o.warmup, weightDecay: o.weightDecay, labelSmoothing: o.labelSmoothing, dropout: o.dropout,
    crop: o.crop, flip: o.flip, cropFraction: o.cropFraction, shuffleBuffer: o.shuffleBuffer, checkpointEvery: o.checkpointEvery ?? o.steps, stateEvery: o.stateEvery,
    seed: o.seed, evalBatchSize: o.evalBatchSize,
  };
  const dataOrder: JsonValue = isSharded(train)
    ? { kind: 'shards + shuffle buffer', shards: train.shards.length, shuffleBuffer: config.shuffleBuffer }
    : { kind: 'permutation per epoch' };
  ctx.record('training', { model: model.graph.name, trainImages: train.size, valImages: val?.size ?? 0, classes: train.classes.length, lr: resolvedLr(config), dataOrder, initialWeights: model.provenance as unknown as JsonValue });
  ctx.log.info(`training ${model.graph.name} on ${train.description}: ${config.steps} steps of ${config.batchSize}, lr ${resolvedLr(config)}, ${engine.engine}`);

  // The engine clears a cell's directory before running it again, so the resumable state lives in
  // the run directory, keyed by the step and cell: `percept run --resume` continues a killed run.
  const stateDir = join(ctx.runDir, 'training-state', ctx.stepId.replace(/[^A-Za-z0-9._=,+-]/g, '_'));
  const res = await trainClassifier(config, {
    model: { graph: model.graph, weights: model.weights, preprocessing: model.preprocessing },
    train, val, outputDir: ctx.outputDir, stateDir, signal: ctx.signal, log: ctx.log,
    progress: (done, total, message) => ctx.progress(done, total, 'steps', message),
  });
  // Finished: the artifact holds every checkpoint, so the resumable state is no longer needed.
  await rm(stateDir, { recursive: true, force: true });
  const checkpoints = res.checkpoints.map((c) => c.path);
  return {
    checkpoints,
    checkpointSteps: res.checkpoints.map((c) => c.step),
    checkpointDir: join(ctx.outputDir, 'checkpoints'),
    finalCheckpoint: checkpoints[checkpoints.length - 1],
    steps: res.steps,
    classes: [...train.classes],
    records: res.checkpoints as unknown as JsonValue,
    finalTrainLoss: res.finalTrainLoss,
    stepsPerSecond: res.stepsPerSecond,
    resumedFrom: res.resumedFrom,
    losses: Array.from(res.losses, (v) => Math.round(v * 1e6) / 1e6),
  };
}

export const trainClassifierJob: JobContribution = {
  kind: 'job',
  name: 'train-classifier',
  description: 'Trains a classifier backbone (ResNet family incl. ResNet-6 and skip-free variants, ViT) on TensorFlow.js with the tensorflow/tpu recipe and Kumar et al.\'s knobs; writes torchvision-named safetensors checkpoints every K steps with validation accuracy and loss. Resumes a killed run from its training state.',
  optionsSchema: trainClassifierOptionsSchema,
  outputsSchema: trainClassifierOutputsSchema,
  run: runTrainClassifier,
};
