/**
 * Options and outputs of the `accuracy` job, as JSON Schemas (checked by the engine before a run)
 * and as a parser that re-checks what the job relies on, so library callers get the same errors.
 */
import { InputError, type JSONSchema } from '@percept/core';

export interface UseWith {
  use: string;
  with: Record<string, unknown>;
}

export interface AccuracyOptions {
  dataset: UseWith;
  backbone: UseWith;
  backend: UseWith;
  batchSize: number;
  limit: number | null;
  classOffset: number;
  /** Score only these dataset classes, the model's outputs in this order (a class-subset model). */
  classes: string[] | null;
  distortion: UseWith | null;
  onError: 'fail' | 'skip' | null;
}

const useWithSchema = (what: string, example: string): JSONSchema => ({
  type: 'object',
  description: `A ${what}: its registered name and options, e.g. ${example}.`,
  properties: {
    use: { type: 'string', description: `Registered ${what} name.` },
    with: { type: 'object', default: {}, description: `Options of the ${what}.` },
  },
  required: ['use'],
  additionalProperties: false,
});

export const accuracyOptionsSchema: JSONSchema = {
  type: 'object',
  properties: {
    dataset: useWithSchema('dataset', '{ "use": "imagenet-val", "with": { "root": "…" } }'),
    backbone: useWithSchema('backbone (a classifier: it must produce logits)', '{ "use": "squeezenet1_0", "with": { "weights": "pretrained" } }'),
    backend: { ...useWithSchema('backend', '{ "use": "onnx" }'), default: { use: 'onnx', with: {} } },
    batchSize: { type: 'integer', minimum: 1, default: 32, description: 'Images per engine call (overrides the dataset\'s batchSize).' },
    limit: { type: ['integer', 'null'], minimum: 1, default: null, description: 'Score only the first N images of the dataset (quick runs).' },
    classOffset: {
      type: 'integer', minimum: 0, default: 0,
      description: 'Model output index of dataset class 0. 1 for models with a background class at index 0 (1001 outputs, e.g. TF-slim/Keras-hub checkpoints).',
    },
    classes: {
      type: ['array', 'null'], items: { type: 'string' }, minItems: 1, uniqueItems: true, default: null,
      description: 'For a model trained on a subset of the classes (Kumar §8.4): the class names it was trained on, in the order of its outputs (train-classifier\'s "classes" output). Only images of these classes are scored, labels renumbered to match.',
    },
    distortion: {
      ...useWithSchema('distortion applied to every image before the model', '{ "use": "lowpass", "with": { "r": 16 } }'),
      description: 'Applied to each image after resizing/cropping to the network input, before normalisation (Kumar §8.6 low-pass accuracy).',
    },
    onError: { enum: ['fail', 'skip'], description: 'Overrides the dataset\'s onError: "skip" drops unreadable images and records how many in the manifest.' },
  },
  required: ['dataset', 'backbone'],
  additionalProperties: false,
};

const interval = { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2, description: 'Wilson score 95% interval, as fractions.' };

export const accuracyOutputsSchema: JSONSchema = {
  type: 'object',
  properties: {
    top1: { type: 'number', minimum: 0, maximum: 1, description: 'Top-1 accuracy as a fraction.' },
    top5: { type: ['number', 'null'], minimum: 0, maximum: 1, description: 'Top-5 accuracy as a fraction (null with fewer than 5 outputs).' },
    top1CI95: interval,
    top5CI95: { ...interval, type: ['array', 'null'] },
    correct: { type: 'object', properties: { top1: { type: 'integer' }, top5: { type: ['integer', 'null'] } } },
    count: { type: 'integer', description: 'Images scored.' },
    skipped: { type: 'integer', description: 'Images skipped (onError "skip").' },
    classes: { type: 'integer', description: 'Classes of the dataset.' },
    outputs: { type: 'integer', description: 'Logits per image of the model.' },
    classOffset: { type: 'integer' },
    perClass: {
      type: 'object',
      description: 'Per class present in the data: top-1 correct, top-5 correct, total.',
      additionalProperties: {
        type: 'object',
        properties: { correct: { type: 'integer' }, correct5: { type: ['integer', 'null'] }, total: { type: 'integer' } },
        required: ['correct', 'total'],
      },
    },
    distortion: { type: ['object', 'null'] },
  },
  required: ['top1', 'top5', 'top1CI95', 'count', 'perClass', 'classes'],
};

/** `job` names the job in messages (the lowpass-accuracy job parses its shared options here too). */
export function parseAccuracyOptions(raw: Record<string, unknown>, job = 'accuracy'): AccuracyOptions {
  function fail(field: string, expected: string, got: unknown): never {
    throw new InputError(`${job}: option "${field}" must be ${expected}, got ${JSON.stringify(got)}`);
  }
  function useWith(v: unknown, field: string): UseWith {
    if (!v || typeof v !== 'object' || Array.isArray(v) || typeof (v as UseWith).use !== 'string') fail(field, 'an object { use, with }', v);
    const w = (v as { with?: unknown }).with ?? {};
    if (typeof w !== 'object' || w === null || Array.isArray(w)) fail(`${field}.with`, 'an object', w);
    return { use: (v as UseWith).use, with: w as Record<string, unknown> };
  }
  const known = Object.keys(accuracyOptionsSchema.properties as object);
  for (const k of Object.keys(raw)) if (!known.includes(k)) fail(k, `one of the known options (${known.join(', ')})`, raw[k]);
  const dataset = useWith(raw.dataset, 'dataset');
  const backbone = useWith(raw.backbone, 'backbone');
  const backend = raw.backend === undefined ? { use: 'onnx', with: {} } : useWith(raw.backend, 'backend');
  const batchSize = raw.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || (batchSize as number) < 1) fail('batchSize', 'a positive integer', raw.batchSize);
  const limit = (raw.limit ?? null) as number | null;
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) fail('limit', 'a positive integer or null', raw.limit);
  const classOffset = raw.classOffset ?? 0;
  if (!Number.isInteger(classOffset) || (classOffset as number) < 0) fail('classOffset', 'a non-negative integer', raw.classOffset);
  const classes = (raw.classes ?? null) as string[] | null;
  if (classes !== null && (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === 'string'))) {
    fail('classes', 'a non-empty array of class names or null', raw.classes);
  }
  const distortion = raw.distortion === undefined || raw.distortion === null ? null : useWith(raw.distortion, 'distortion');
  const onError = (raw.onError ?? null) as AccuracyOptions['onError'];
  if (onError !== null && onError !== 'fail' && onError !== 'skip') fail('onError', '"fail" or "skip"', raw.onError);
  return { dataset, backbone, backend, batchSize: batchSize as number, limit, classOffset: classOffset as number, classes, distortion, onError };
}
