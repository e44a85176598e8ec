/**
 * The classifier training loop (issue #8): deterministic given a seed on a given engine, resumable
 * from its training state, writing torchvision-named checkpoints every K steps with validation
 * accuracy and loss for each.
 */
import { tf } from '@percept/backend-tfjs';
import { hashJson, InputError, PerceptError, type JsonValue, type Logger } from '@percept/core';
import type { IRGraph, Preprocessing, WeightMap } from '@percept/backbones';
import { TrainableClassifier, smoothedCrossEntropy } from './model.js';
import { Optimizer, type OptimizerName } from './optimizer.js';
import { learningRateAt, type ScheduleName } from './schedule.js';
import { TrainingStream, evalBatches, type StreamBatch, type StreamStats } from './data/batches.js';
import type { DataOrderState } from './data/order.js';
import { isSharded, type LabeledImageSource } from './data/source.js';
import type { CropMode } from './data/augment.js';
import { checkpointPath, readTrainingState, writeTrainingState, writeWeightsCheckpoint } from './checkpoint.js';
import { formatDuration } from './progress.js';
import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A second name for a finished file: a hard link where the file system allows, else a copy. */
async function mirrorFile(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await rm(to, { force: true });
  try { await link(from, to); } catch { await copyFile(from, to); }
}

/** The knobs of one run (SPEC §3.2 defaults where the reference has one). */
export interface TrainConfig {
  steps: number;
  batchSize: number;
  imageSize: number;
  optimizer: OptimizerName;
  /** Peak learning rate; undefined: 0.1·batch/256 for SGD (tensorflow/tpu), 1e-3 for Adam/AdamW. */
  lr?: number;
  momentum: number;
  schedule: ScheduleName;
  /** Warm-up fraction of the run; undefined: 5/90 for tpu-step, 0 otherwise. */
  warmup?: number;
  weightDecay: number;
  labelSmoothing: number;
  dropout: number;
  crop: CropMode;
  flip: boolean;
  cropFraction: number;
  /**
   * Shuffle-buffer size in samples for sharded (streamed) training data such as the 64×64 npz
   * files; memory holds this many images. Random-access data (image files) is permuted whole.
   */
  shuffleBuffer: number;
  checkpointEvery: number;
  /** How often the training state is saved; default: with every checkpoint. */
  stateEvery?: number;
  seed: number;
  /** Validation batch size. */
  evalBatchSize: number;
}

export const defaultTrainConfig: Omit<TrainConfig, 'steps'> = {
  batchSize: 256, imageSize: 64, optimizer: 'sgd-nesterov', momentum: 0.9, schedule: 'tpu-step', weightDecay: 1e-4,
  labelSmoothing: 0, dropout: 0, crop: 'inception', flip: true, cropFraction: 0.875, shuffleBuffer: 10_000, checkpointEvery: 1000, seed: 0, evalBatchSize: 100,
};

export interface CheckpointRecord {
  step: number;
  path: string;
  /** Mean training loss over the steps since the previous checkpoint. */
  trainLoss: number;
  valAccuracy?: number;
  valLoss?: number;
  valSamples?: number;
  [key: string]: JsonValue | undefined;
}

export interface TrainIO {
  model: { graph: IRGraph; weights: WeightMap; preprocessing: Preprocessing };
  train: LabeledImageSource;
  val?: LabeledImageSource;
  /** Checkpoints go here (and the training state, unless `stateDir` is given). */
  outputDir: string;
  /**
   * Where the resumable training state lives, with copies of the checkpoints written so far;
   * a state found here is resumed. Default: outputDir. A workflow engine that clears a step's
   * output directory before re-running it needs this outside that directory.
   */
  stateDir?: string;
  signal?: AbortSignal;
  log?: Logger;
  progress?: (done: number, total: number, message: string) => void;
  /** Called after every step with its loss (tests, benchmarks). */
  onStep?: (step: number, loss: number) => void;
  /** Called with every training batch before its step runs (tests). */
  onBatch?: (step: number, batch: StreamBatch) => void;
}

export interface TrainResult {
  steps: number;
  checkpoints: CheckpointRecord[];
  /** Loss of every step, including those of earlier (resumed) sessions. */
  losses: Float32Array;
  resumedFrom: number;
  finalTrainLoss: number;
  stepsPerSecond: number;
  /** What the training data stream read and held (samples) in this session. */
  data: StreamStats;
}

const silent: Logger = { info() {}, warn() {}, debug() {} };

export function resolvedLr(c: TrainConfig): number {
  return c.lr ?? (c.optimizer === 'sgd-nesterov' ? (0.1 * c.batchSize) / 256 : 1e-3);
}

/** Checks the ranges a JSON schema cannot express clearly (and guards direct library calls). */
export function checkConfig(c: TrainConfig): void {
  const bad = (field: string, expected: string, got: unknown) => new InputError(`training option "${field}" must be ${expected}, got ${JSON.stringify(got)}`);
  const posInt = (k: keyof TrainConfig) => { const v = c[k]; if (!Number.isInteger(v) || (v as number) < 1) throw bad(k, 'a positive integer', v); };
  posInt('steps'); posInt('batchSize'); posInt('imageSize'); posInt('checkpointEvery'); posInt('evalBatchSize');
  if (c.stateEvery !== undefined) posInt('stateEvery');
  posInt('shuffleBuffer');
  if (!(c.labelSmoothing >= 0 && c.labelSmoothing < 1)) throw bad('labelSmoothing', 'in [0, 1)', c.labelSmoothing);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw bad('dropout', 'in [0, 1)', c.dropout);
  if (!(c.weightDecay >= 0) || !Number.isFinite(c.weightDecay)) throw bad('weightDecay', 'a finite number ≥ 0', c.weightDecay);
  if (c.lr !== undefined && !(c.lr > 0 && Number.isFinite(c.lr))) throw bad('lr', 'a positive number', c.lr);
  if (!(c.momentum >= 0 && c.momentum < 1)) throw bad('momentum', 'in [0, 1)', c.momentum);
  if (c.warmup !== undefined && !(c.warmup >= 0 && c.warmup < 1)) throw bad('warmup', 'a fraction in [0, 1)', c.warmup);
  if (!(c.cropFraction > 0 && c.cropFraction <= 1)) throw bad('cropFraction', 'in (0, 1]', c.cropFraction);
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff) throw bad('seed', 'an integer in [0, 2^32)', c.seed);
}

/** Parameters weight decay applies to: everything but normalisation scales/offsets and running statistics. */
function decayedNames(graph: IRGraph): Set<string> {
  return new Set(graph.params.filter((p) => p.role === 'weight' || p.role === 'bias' || p.role === 'embedding').map((p) => p.name));
}

/** The options that determine the numbers a run produces; a training state made under others is refused. */
function configHash(c: TrainConfig, io: TrainIO): string {
  const { checkpointEvery: _c, stateEvery: _s, evalBatchSize: _e, shuffleBuffer, ...determining } = c;
  // The buffer and the shard layout shape the order of streamed data only.
  const stream = isSharded(io.train) ? { shuffleBuffer, shards: io.train.shards.map((s) => s.length) } : {};
  return hashJson({ ...determining, ...stream, lr: resolvedLr(c), graph: io.model.graph.name, params: io.model.graph.params.length, data: io.train.size, classes: io.train.classes });
}

export async function trainClassifier(config: TrainConfig, io: TrainIO): Promise<TrainResult> {
  checkConfig(config);
  const log = io.log ?? silent;
  const { graph, preprocessing } = io.model;
  const model0 = graph.nodes.find((n) => n.id === graph.logits);
  const headClasses = model0 && model0.op === 'dense' ? model0.outFeatures : undefined;
  if (headClasses !== undefined && io.train.classes.length < headClasses) {
    throw new InputError(`${io.train.description}: ${io.train.classes.length} classes, but the model's head "${graph.logits}" has ${headClasses} outputs`, {
      hint: `set the backbone's "classes" to ${io.train.classes.length} (or leave it unset so training sets it), or train on a dataset with ≥ ${headClasses} classes`,
    });
  }
  if (headClasses !== undefined && io.train.classes.length > headClasses) {
    throw new InputError(`${io.train.description}: ${io.train.classes.length} classes do not fit the model's ${headClasses}-way head "${graph.logits}"`, {
      hint: `set the backbone's "classes" to ${io.train.classes.length}, or pick a class subset with "classes": ${headClasses}`,
    });
  }
  const hash = configHash(config, io);
  const stateDir = io.stateDir ?? io.outputDir;
  const saved = await readTrainingState(stateDir);
  if (saved && saved.configHash !== hash) {
    throw new InputError(`${stateDir}: holds the training state of a run with different options (step ${saved.step}); refusing to resume it`, {
      hint: 'use a fresh output directory, or the exact options of the saved run',
    });
  }
  const start = saved?.step ?? 0;
  const aug = { crop: config.crop, flip: config.flip, size: config.imageSize, cropFraction: config.cropFraction };
  const streamOptions = { batchSize: config.batchSize, seed: config.seed, bufferSize: config.shuffleBuffer, aug, pre: preprocessing };
  let orderState: DataOrderState | undefined = saved?.dataOrder;
  if (saved && !orderState) {
    // States written before the data order was saved: random-access orders are a function of the step.
    if (isSharded(io.train)) throw new InputError(`${stateDir}: the training state has no data-order state, which streamed data needs to resume`, { hint: 'use a fresh output directory' });
    orderState = new TrainingStream(io.train, streamOptions).order.initialState(start);
  }
  const stream = new TrainingStream(io.train, streamOptions, orderState, `${stateDir}: data order of the saved state`);
  if (saved) {
    const { epoch, batch } = stream.order.position(start);
    if (orderState!.epoch !== epoch || orderState!.batch !== batch) {
      await stream.close();
      throw new InputError(`${stateDir}: the saved data order stands at epoch ${orderState!.epoch}, batch ${orderState!.batch}, but step ${start} is epoch ${epoch}, batch ${batch}`, { hint: 'the state does not belong to this dataset; use a fresh output directory' });
    }
  }
  const model = new TrainableClassifier(graph, saved ? saved.weights : io.model.weights, config.dropout, config.seed);
  const lr = resolvedLr(config);
  const optimizer = new Optimizer(model.variables, {
    name: config.optimizer, momentum: config.momentum, weightDecay: config.weightDecay, decayed: decayedNames(graph),
  });
  const losses = new Float32Array(config.steps);
  const records: CheckpointRecord[] = [];
  try {
    if (saved) {
      optimizer.importState({ tensors: saved.optimizer, t: saved.optimizerStep }, stateDir);
      losses.set(saved.losses.subarray(0, Math.min(saved.losses.length, config.steps)));
      for (const r of (saved.records as CheckpointRecord[]).filter((x) => x.step <= start)) {
        const path = checkpointPath(io.outputDir, r.step);
        if (stateDir !== io.outputDir) await mirrorFile(checkpointPath(stateDir, r.step), path);
        records.push({ ...r, path });
      }
      log.info(`resuming from step ${start} of ${config.steps} (${stateDir})`);
    }
    const varList = [...model.variables.values()];
    const nameOf = new Map(varList.map((v) => [v.name, [...model.variables].find(([, x]) => x === v)![0]]));
    const stateEvery = config.stateEvery ?? config.checkpointEvery;
    const t0 = performance.now();
    let next: Promise<StreamBatch> | undefined = start < config.steps ? stream.next() : undefined;
    let orderAfter: DataOrderState | undefined = orderState;
    for (let step = start; step < config.steps; step++) {
      const batch = await next!;
      orderAfter = batch.after;
      io.onBatch?.(step, batch);
      // The stream is sequential and independent of the model, so reading and decoding the next
      // batch (in libuv's threads, via sharp) while this one trains cannot change any number.
      next = step + 1 < config.steps ? stream.next() : undefined;
      next?.catch(() => undefined); // a failure surfaces when that step awaits it
      if (io.signal?.aborted) throw new PerceptError(`training interrupted at step ${step}; the last saved state resumes it`, { cause: io.signal.reason });
      const rate = learningRateAt(step, { name: config.schedule, lr, totalSteps: config.steps, warmup: config.warmup });
      const loss = trainStep(model, optimizer, batch, config, step, rate, varList, nameOf, io);
      losses[step] = loss;
      io.onStep?.(step, loss);
      const done = step + 1;
      const elapsed = (performance.now() - t0) / 1000;
      const speed = (done - start) / Math.max(elapsed, 1e-9);
      io.progress?.(done, config.steps, `loss ${loss.toFixed(4)} · lr ${rate.toPrecision(3)} · ${speed.toFixed(2)} steps/s · ETA ${formatDuration((config.steps - done) / speed)}`);
      const isCheckpoint = done % config.checkpointEvery === 0 || done === config.steps;
      if (isCheckpoint) {
        const path = checkpointPath(io.outputDir, done);
        const weights = await model.exportWeights();
        await writeWeightsCheckpoint(path, weights, { format: 'pt', producer: '@percept/training', model: graph.name, step: String(done) });
        if (stateDir !== io.outputDir) await mirrorFile(path, checkpointPath(stateDir, done));
        const from = records.length ? records[records.length - 1].step : 0;
        const record: CheckpointRecord = { step: done, path, trainLoss: mean(losses.subarray(from, done)) };
        if (io.val) Object.assign(record, await evaluate(model, io.val, config, preprocessing));
        records.push(record);
        log.info(`checkpoint step ${done}: train loss ${record.trainLoss.toFixed(4)}${record.valAccuracy !== undefined ? `, val accuracy ${(100 * record.valAccuracy).toFixed(2)}%, val loss ${record.valLoss!.toFixed(4)}` : ''}`);
      }
      if (done % stateEvery === 0 || done === config.steps) {
        const opt = await optimizer.exportState();
        await writeTrainingState(stateDir, {
          step: done, optimizerStep: opt.t, configHash: hash, weights: await model.exportWeights(), optimizer: opt.tensors,
          losses: losses.slice(0, done), records, dataOrder: orderAfter,
        });
      }
    }
    const elapsed = (performance.now() - t0) / 1000;
    return {
      steps: config.steps, checkpoints: records, losses, resumedFrom: start,
      finalTrainLoss: losses[config.steps - 1], stepsPerSecond: (config.steps - start) / Math.max(elapsed, 1e-9),
      data: { ...stream.stats },
    };
  } finally {
    await stream.close();
    optimizer.dispose();
    model.dispose();
  }
}

function trainStep(
  model: TrainableClassifier, optimizer: Optimizer, batch: StreamBatch, c: TrainConfig, step: number, rate: number,
  varList: tf.Variable[], nameOf: Map<string, string>, io: TrainIO,
): number {
  const [n, h, w] = batch.images.shape;
  const x = tf.tensor4d(batch.images.data, [n, h, w, 3]);
  try {
    const { value, grads } = tf.variableGrads(() => smoothedCrossEntropy(model.logits(x, true, step), batch.labels, c.labelSmoothing), varList);
    try {
      const loss = value.dataSync()[0];
      if (!Number.isFinite(loss)) {
        const { epoch, batch: b } = batch;
        const files = batch.indices.slice(0, 3).map((i) => io.train.name(i));
        throw new PerceptError(
          `training stopped: the loss is ${loss} at step ${step} (epoch ${epoch}, batch ${b}: samples ${batch.indices.slice(0, 8).join(', ')}${batch.indices.length > 8 ? ', …' : ''}; first files ${files.join(', ')}). The weights were not updated; the last good checkpoint in ${io.outputDir} and training state in ${io.stateDir ?? io.outputDir} are kept`,
          { hint: 'lower the learning rate ("lr"), or check the images of that batch' },
        );
      }
      // The TPU recipe's reported loss includes the weight-decay term wd·Σ½‖v‖² (before the update).
      const total = loss + (c.weightDecay > 0 ? weightDecayTerm(model, c.weightDecay) : 0);
      const named: Record<string, tf.Tensor> = {};
      for (const [k, g] of Object.entries(grads)) named[nameOf.get(k) ?? k] = g;
      optimizer.apply(named, rate);
      return total;
    } finally {
      value.dispose();
      tf.dispose(Object.values(grads));
    }
  } finally {
    x.dispose();
  }
}

function weightDecayTerm(model: TrainableClassifier, wd: number): number {
  const decayed = decayedNames(model.graph);
  return tf.tidy(() => {
    let acc: tf.Tensor = tf.scalar(0);
    for (const [name, v] of model.variables) if (decayed.has(name)) acc = tf.add(acc, tf.sum(tf.square(v)));
    return acc.dataSync()[0] * 0.5 * wd;
  });
}

/** Top-1 accuracy and mean cross-entropy (no smoothing) on a labelled set, with running statistics. */
export async function evaluate(model: TrainableClassifier, source: LabeledImageSource, c: TrainConfig, pre: Preprocessing): Promise<{ valAccuracy: number; valLoss: number; valSamples: number }> {
  let correct = 0, lossSum = 0, count = 0;
  for await (const b of evalBatches(source, c.evalBatchSize, c.imageSize, c.cropFraction, pre)) {
    const [n, h, w] = b.images.shape;
    const [pred, loss] = tf.tidy(() => {
      const logits = model.logits(tf.tensor4d(b.images.data, [n, h, w, 3]), false);
      const ce = tf.mul(smoothedCrossEntropy(logits, b.labels, 0), n);
      return [tf.argMax(logits, 1), ce];
    });
    const p = await pred.data();
    lossSum += (await loss.data())[0];
    tf.dispose([pred, loss]);
    for (let i = 0; i < n; i++) if (p[i] === b.labels[i]) correct++;
    count += n;
  }
  return { valAccuracy: correct / count, valLoss: lossSum / count, valSamples: count };
}

function mean(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return a.length ? s / a.length : NaN;
}
