/**
 * The `accuracy` job: top-1/top-5 classification accuracy of a backbone's logits on a labelled
 * dataset, with Wilson 95% intervals, per-class counts and full provenance.
 *
 * Preprocessing follows the backbone's declared policy. Images leave the reader as [0,1] RGB; the
 * resize/crop part of the policy is applied per image while decoding (ImageNet images come in many
 * sizes and a batch holds one), and the extractor applies the rest (channel order, scale, mean,
 * std). An optional distortion runs between the two, on the image the network will see.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ExitCode, InputError, PerceptError,
  type DistortionContribution, type FeatureExtractor, type HostTensor, type ImageBatch, type JobContext,
  type JobContribution, type JsonValue, type ModelSpec,
} from '@percept/core';
import { applyGeometry, type PreprocessingLike } from '@percept/images';
import { topK, wilsonInterval } from '@percept/metrics';
import type { ClassificationDataset, ImagenetBatch, IterateOptions } from './dataset.js';
import { accuracyOptionsSchema, accuracyOutputsSchema, parseAccuracyOptions, type AccuracyOptions, type UseWith } from './accuracy-options.js';
import { classSubset, selectClassBatches } from './class-subset.js';

export const PACKAGE_VERSION = '0.1.0';

/** Plain JSON copy (drops undefined, typed arrays become objects — callers pass plain data). */
const json = (v: unknown): JsonValue => JSON.parse(JSON.stringify(v ?? null)) as JsonValue;

export interface ClassifierEvaluation {
  count: number;
  outputs: number;
  correct1: number;
  /** null when the model has fewer than 5 outputs. */
  correct5: number | null;
  /** Per dataset class: [top-1 correct, top-5 correct, total]. */
  perClass: Map<number, [number, number, number]>;
  /** Per scored image, in order: name, label and top-1 prediction (both as dataset class indices; -1 = an output outside the dataset's classes). */
  names: string[];
  labels: Int32Array;
  predictions: Int32Array;
}

export interface EvaluateOptions {
  classOffset?: number;
  signal?: AbortSignal;
  onBatch?: (done: number) => void;
  /** Labels for messages. */
  modelLabel?: string;
  datasetLabel?: string;
}

function checkAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new PerceptError(`${what}: interrupted`, { exitCode: ExitCode.interrupted });
  }
}

/** The error for a model whose outputs do not line up with the dataset's classes. */
export function classMismatch(outputs: number, classes: number, offset: number, model: string, dataset: string): InputError {
  let hint: string;
  if (outputs === classes + 1 && offset === 0) hint = 'the model has one extra output, probably a background class at index 0: set "classOffset": 1';
  else if (outputs === classes && offset > 0) hint = `the outputs already match the ${classes} classes: remove "classOffset"`;
  else hint = `use a model with ${classes + offset} outputs (e.g. backbone option "classes": ${classes}) or a dataset with ${outputs - offset} classes`;
  return new InputError(
    `accuracy: ${model} produces ${outputs} logits per image but ${dataset} has ${classes} classes` +
    `${offset ? ` and classOffset is ${offset}, so ${classes + offset} outputs are expected` : ''}; scoring would silently compare the wrong classes`,
    { hint },
  );
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

/** Scores a classifier over a dataset in one pass (the work of the job, without the registry). */
export async function evaluateClassifier(
  batches: AsyncIterable<ImagenetBatch>,
  classes: number,
  extractor: FeatureExtractor,
  options: EvaluateOptions = {},
): Promise<ClassifierEvaluation> {
  const offset = options.classOffset ?? 0;
  const model = options.modelLabel ?? 'the model';
  const dsName = options.datasetLabel ?? 'the dataset';
  let outputs = 0, correct1 = 0, correct5 = 0, count = 0;
  const perClass = new Map<number, [number, number, number]>();
  const names: string[] = [];
  const labels: number[] = [];
  const predictions: number[] = [];
  for await (const batch of batches) {
    checkAborted(options.signal, 'accuracy');
    const n = batch.labels.length;
    const { logits } = await extractor.extract(batch.images, { signal: options.signal });
    if (!logits) throw new InputError(`accuracy: ${model} returned no logits; the accuracy job needs a classifier (a backbone with a head, or a model file with its logits output)`);
    const l2 = toRows(logits, n, model);
    if (!outputs) {
      outputs = l2.shape[1];
      if (outputs !== classes + offset) throw classMismatch(outputs, classes, offset, model, dsName);
    } else if (l2.shape[1] !== outputs) {
      throw new PerceptError(`accuracy: ${model} returned ${l2.shape[1]} logits per image in a later batch, ${outputs} before`);
    }
    const shifted = Int32Array.from(batch.labels, (l) => l + offset);
    const hit1 = topK(l2, shifted, 1).correct;
    const hit5 = outputs >= 5 ? topK(l2, shifted, 5).correct : null;
    for (let i = 0; i < n; i++) {
      const label = batch.labels[i];
      const c = perClass.get(label) ?? [0, 0, 0];
      c[0] += hit1[i]; c[1] += hit5 ? hit5[i] : 0; c[2] += 1;
      perClass.set(label, c);
      correct1 += hit1[i];
      if (hit5) correct5 += hit5[i];
      const p = argmax(l2.data.subarray(i * outputs, (i + 1) * outputs)) - offset;
      predictions.push(p >= 0 && p < classes ? p : -1);
      labels.push(label);
      names.push(batch.names[i]);
    }
    count += n;
    options.onBatch?.(count);
  }
  return {
    count, outputs, correct1, correct5: outputs >= 5 ? correct5 : null, perClass,
    names, labels: Int32Array.from(labels), predictions: Int32Array.from(predictions),
  };
}

/** Logits as [N, C]: accepts [N, C] and [N, C, 1, 1]-style maps whose spatial size is 1. */
function toRows(t: HostTensor, n: number, model: string): HostTensor {
  if (t.shape[0] !== n) throw new PerceptError(`accuracy: ${model} returned logits for ${t.shape[0]} images, expected ${n}`);
  const c = t.data.length / n;
  const spatial = t.shape.length === 4 ? (t.layout === 'NHWC' ? t.shape[1] * t.shape[2] : t.shape[2] * t.shape[3]) : 1;
  if (t.shape.length !== 2 && spatial !== 1) throw new InputError(`accuracy: ${model} logits have shape [${t.shape.join(',')}]; expected [N, classes]`);
  return { data: t.data, shape: [n, c], layout: 'NC' };
}

/** Geometry is taken out of the extractor's preprocessing and applied per image by the reader. */
function splitPreprocessing(spec: ModelSpec): { geometry: PreprocessingLike | null; loadSpec: ModelSpec; declared: PreprocessingLike | null } {
  const declared = (spec as { preprocessing?: PreprocessingLike }).preprocessing ?? null;
  if (!declared || declared.size === null || declared.resize === 'none') return { geometry: null, loadSpec: spec, declared };
  // With resize "none" and the same size, the extractor only checks that images arrive at the input size.
  const loadSpec = { ...spec, preprocessing: { ...declared, resize: 'none' } } as ModelSpec;
  return { geometry: declared, loadSpec, declared };
}

/** Taps to fetch: for IR graphs only the logits node (the declared taps of a big net would cost memory for nothing). */
function minimalTaps(spec: ModelSpec): string[] | undefined {
  const logits = (spec as { kind: string; graph?: { logits?: string } }).graph?.logits;
  return spec.kind === 'ir' && logits ? [logits] : undefined;
}

function describeModel(spec: ModelSpec): Record<string, JsonValue> {
  const s = spec as ModelSpec & { provenance?: unknown; sha256?: string; path?: string; format?: string };
  return json({
    kind: spec.kind, name: spec.name, format: s.format,
    weights: s.provenance ?? (s.sha256 ? { source: 'file', path: s.path, sha256: s.sha256 } : null),
  }) as Record<string, JsonValue>;
}

function isClassificationDataset(d: unknown): d is ClassificationDataset {
  const x = d as Partial<ClassificationDataset>;
  return !!x && Number.isInteger(x.classes) && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** Distortion parameters: severity may be omitted when the distortion's own options (e.g. lowpass r) set it. */
function distortionParams(d: UseWith): { severity: number; seed: number; [k: string]: unknown } {
  const { severity, seed, ...rest } = d.with;
  if (severity === undefined && Object.keys(rest).length === 0) {
    throw new InputError(`accuracy: option "distortion.with" for "${d.use}" needs "severity" (0..1) or the distortion's own parameters (e.g. lowpass "r")`);
  }
  if (severity !== undefined && typeof severity !== 'number') throw new InputError(`accuracy: option "distortion.with.severity" must be a number in 0..1, got ${JSON.stringify(severity)}`);
  if (seed !== undefined && !Number.isInteger(seed)) throw new InputError(`accuracy: option "distortion.with.seed" must be an integer, got ${JSON.stringify(seed)}`);
  return { ...rest, severity: (severity as number | undefined) ?? 0, seed: (seed as number | undefined) ?? 0 };
}

async function openDataset(opts: ClassifierOptions, ctx: JobContext, job: string): Promise<ClassificationDataset> {
  const c = ctx.registry.get('dataset', opts.dataset.use);
  const w: Record<string, unknown> = { ...opts.dataset.with, batchSize: opts.batchSize };
  if (opts.limit !== null) w.limit = opts.limit;
  if (opts.onError !== null) w.onError = opts.onError;
  const ds = await c.open(w, { baseDir: ctx.baseDir });
  if (!isClassificationDataset(ds)) {
    throw new InputError(`${job}: dataset "${opts.dataset.use}" does not yield labelled image batches ({ images, labels, names } with "classes" known up front)`, {
      hint: 'use imagenet-val, imagenet-folders, image-folder or imagenet-downsampled',
    });
  }
  return ds;
}

/** The options every classifier-scoring job shares (accuracy, lowpass-accuracy). */
export type ClassifierOptions = Pick<AccuracyOptions, 'dataset' | 'backbone' | 'backend' | 'batchSize' | 'limit' | 'classOffset' | 'onError'>
  & Partial<Pick<AccuracyOptions, 'classes'>>;

/**
 * A classifier loaded once, with its dataset opened: `pass` scores the whole dataset once (optionally
 * transforming each batch, e.g. a distortion), so a job can make several passes with one model.
 */
export interface ClassifierSession {
  dataset: ClassificationDataset;
  /** The classes scored, in model-output order: the dataset's, or the `classes` subset. */
  classNames: readonly string[];
  /** The resize/crop applied per image while decoding (null: images go to the extractor as read). */
  geometry: PreprocessingLike | null;
  pass(transform?: IterateOptions['transform'], progress?: { offset: number; total: number | null; message?: string }): Promise<ClassifierEvaluation>;
  /** Images skipped by the latest pass (onError "skip"), recorded in the manifest. */
  recordSkipped(): number;
  dispose(): Promise<void>;
}

/**
 * Opens the dataset, builds and loads the backbone, and records their provenance (dataset, backbone,
 * preprocessing, engine, package). `job` names the job in messages. Dispose the session when done.
 */
export async function openClassifierSession(opts: ClassifierOptions, ctx: JobContext, job: string): Promise<ClassifierSession> {
  // Look every name up first, so a misspelling fails before any file is read.
  const backboneC = ctx.registry.get('backbone', opts.backbone.use);
  const backendC = ctx.registry.get('backend', opts.backend.use);
  ctx.registry.get('dataset', opts.dataset.use);

  const dataset = await openDataset(opts, ctx, job);
  ctx.record('dataset', { use: opts.dataset.use, ...dataset.describe() });
  const subset = opts.classes ? classSubset(opts.classes, dataset.classNames, job) : null;
  if (subset) ctx.record('classSubset', { count: subset.names.length, names: subset.names });
  const spec = await backboneC.build(opts.backbone.with, { baseDir: ctx.baseDir });
  const { geometry, loadSpec, declared } = splitPreprocessing(spec);
  ctx.record('backbone', { use: opts.backbone.use, with: json(opts.backbone.with), ...describeModel(spec) });
  ctx.record('preprocessing', json(declared ? { ...declared, appliedAs: geometry ? 'geometry per image while decoding; normalisation in the extractor' : 'in the extractor' } : null));
  ctx.record('packages', { '@percept/dataset-imagenet': PACKAGE_VERSION });

  const backend = await backendC.create(opts.backend.with);
  const extractor = await backend.load(loadSpec, { logits: true, taps: minimalTaps(spec), maxBatch: opts.batchSize });
  ctx.record('engine', json(extractor.info()));
  return {
    dataset,
    classNames: subset ? subset.names : dataset.classNames,
    geometry,
    async pass(transform, progress) {
      const all: AsyncIterable<ImagenetBatch> = typeof dataset.iterate === 'function'
        ? dataset.iterate({ geometry, transform })
        : mapBatches(dataset, geometry, transform);
      const batches = subset ? selectClassBatches(all, subset) : all;
      const offset = progress?.offset ?? 0;
      const total = progress ? progress.total : dataset.size;
      ctx.progress(offset, total, 'images', progress?.message);
      const ev = await evaluateClassifier(batches, subset ? subset.names.length : dataset.classes, extractor, {
        classOffset: opts.classOffset,
        signal: ctx.signal,
        onBatch: (done) => ctx.progress(offset + done, total, 'images', progress?.message),
        modelLabel: `backbone "${opts.backbone.use}"`,
        datasetLabel: `dataset "${opts.dataset.use}"`,
      });
      if (ev.count === 0) {
        throw new InputError(`${job}: no image of dataset "${opts.dataset.use}" could be scored${subset ? ` (none belongs to the ${subset.names.length} classes of option "classes"${opts.limit !== null ? ' among the first "limit" images' : ''})` : ''}`);
      }
      return ev;
    },
    recordSkipped() {
      const skipped = [...(dataset.skipped ?? [])];
      ctx.record('skipped', { count: skipped.length, images: skipped.slice(0, 100).map((s) => ({ ...s })) });
      if (skipped.length) ctx.log.warn(`${ctx.stepId}: skipped ${skipped.length} unreadable image(s); see the manifest`);
      return skipped.length;
    },
    dispose: async () => { await extractor.dispose(); },
  };
}

/** Per-class counts keyed by class name, as both accuracy jobs report them. */
export function perClassCounts(ev: ClassifierEvaluation, classNames: readonly string[]): Record<string, JsonValue> {
  const perClass: Record<string, JsonValue> = {};
  for (const [label, [c1, c5, total]] of [...ev.perClass].sort((a, b) => a[0] - b[0])) {
    perClass[classNames[label] ?? String(label)] = { correct: c1, correct5: ev.correct5 === null ? null : c5, total };
  }
  return perClass;
}

export async function runAccuracy(raw: Record<string, unknown>, ctx: JobContext): Promise<Record<string, JsonValue>> {
  const opts = parseAccuracyOptions(raw);
  const distortionC: DistortionContribution | null = opts.distortion ? ctx.registry.get('distortion', opts.distortion.use) : null;
  const distortion = opts.distortion && distortionC ? { c: distortionC, params: distortionParams(opts.distortion) } : null;
  const session = await openClassifierSession(opts, ctx, 'accuracy');
  if (distortion) {
    ctx.record('distortion', json({ use: opts.distortion!.use, params: distortion.params, physical: distortion.c.describeSeverity(distortion.params.severity) }));
  }
  try {
    const transform: IterateOptions['transform'] = distortion
      ? async (b, start) => ({ ...b, images: await distortion.c.apply(b.images, { ...distortion.params, seed: distortion.params.seed + start }) })
      : undefined;
    const ev = await session.pass(transform);
    const dataset = session.dataset;
    const skipped = session.recordSkipped();

    // One line per image, so two runs (e.g. two backends) can be compared image by image.
    const tsv = ['name\tlabel\tprediction', ...ev.names.map((n, i) => `${n}\t${ev.labels[i]}\t${ev.predictions[i]}`)].join('\n') + '\n';
    await writeFile(join(ctx.outputDir, 'predictions.tsv'), tsv);

    const ci1 = wilsonInterval(ev.correct1, ev.count);
    const ci5 = ev.correct5 === null ? null : wilsonInterval(ev.correct5, ev.count);
    return {
      top1: ev.correct1 / ev.count,
      top5: ev.correct5 === null ? null : ev.correct5 / ev.count,
      top1CI95: [ci1.lower, ci1.upper],
      top5CI95: ci5 ? [ci5.lower, ci5.upper] : null,
      correct: { top1: ev.correct1, top5: ev.correct5 },
      count: ev.count,
      skipped,
      classes: session.classNames.length,
      outputs: ev.outputs,
      classOffset: opts.classOffset,
      perClass: perClassCounts(ev, session.classNames),
      distortion: distortion ? json({ use: opts.distortion!.use, ...distortion.params }) : null,
    };
  } finally {
    await session.dispose();
  }
}

/** For datasets of other packages that only offer plain iteration: geometry and transform here. */
async function* mapBatches(ds: AsyncIterable<ImagenetBatch>, geometry: PreprocessingLike | null, transform: IterateOptions['transform']): AsyncGenerator<ImagenetBatch> {
  let start = 0;
  for await (const b of ds) {
    let out: ImagenetBatch = geometry ? { ...b, images: applyGeometry(b.images, geometry) as ImageBatch } : b;
    if (transform) out = await transform(out, start);
    start += b.labels.length;
    yield out;
  }
}

export const accuracyJob: JobContribution = {
  kind: 'job',
  name: 'accuracy',
  description: 'Top-1/top-5 accuracy (Wilson 95% intervals, per-class counts) of a classifier backbone on a labelled image dataset, optionally on distorted images (e.g. low-pass, Kumar §8.6).',
  optionsSchema: accuracyOptionsSchema,
  outputsSchema: accuracyOutputsSchema,
  run: runAccuracy,
};
