/**
 * Options and result schemas of the `perceptual-score` job, and their validation into a typed form.
 * The workflow engine validates against the schema before anything runs; `parseScoreOptions`
 * re-checks what the job relies on, so direct library callers get the same errors.
 */
import { isAbsolute, resolve } from 'node:path';
import { InputError, type JSONSchema } from '@percept/core';
import { JND_SUBSETS, TRAIN_SUBSETS, VAL_SUBSETS, type OnError } from './layout.js';

export interface UseWith {
  use: string;
  with: Record<string, unknown>;
}

export interface DistanceSpec extends UseWith {
  /** Key of this distance in the results (default: derived from use and with). */
  id: string;
}

export interface ScoreOptions {
  root: string;
  split: 'train' | 'val';
  subsets: string[];
  /** JND subsets, or [] when JND is not scored. */
  jnd: string[];
  backbone?: UseWith;
  backend: UseWith;
  distances: DistanceSpec[];
  batchSize: number;
  bootstrap: { resamples: number; seed: number } | null;
  onError: OnError;
  limit: number | null;
  /** Let the backend compute distances that have a head form (LPIPS) inside the model. */
  distanceHeads: boolean;
}

export const useWithSchema = (what: string): JSONSchema => ({
  type: 'object',
  description: `A ${what}: the registered name and its options.`,
  properties: {
    use: { type: 'string', description: `Registered ${what} name.` },
    with: { type: 'object', description: `Options of the ${what}.`, default: {} },
  },
  required: ['use'],
  additionalProperties: false,
});

export const scoreOptionsSchema: JSONSchema = {
  type: 'object',
  properties: {
    root: { type: 'string', description: 'BAPPS folder holding 2afc/ and jnd/ (as `percept data bapps fetch` creates it); relative to the workflow file.' },
    split: { enum: ['train', 'val'], default: 'val', description: '2AFC split. The paper PS is the val split.' },
    subsets: {
      type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true,
      description: `2AFC subsets. Default: all of the split (val: ${VAL_SUBSETS.join(', ')}; train: ${TRAIN_SUBSETS.join(', ')}).`,
    },
    jnd: {
      oneOf: [
        { type: 'array', items: { type: 'string' }, uniqueItems: true },
        { const: false },
      ],
      default: [...JND_SUBSETS],
      description: 'JND subsets scored by mAP, or false to skip JND.',
    },
    backbone: { ...useWithSchema('backbone'), description: 'Feature backbone; may be omitted when every distance works on pixels.' },
    backend: { ...useWithSchema('backend'), default: { use: 'onnx', with: {} } },
    distances: {
      type: 'array', minItems: 1,
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: 'Key of this distance in the results.' },
          use: { type: 'string' },
          with: {
            type: 'object', default: {},
            description: 'Distance options. For lpips, lin: "pretrained" (LPIPS v0.1 weights of the backbone) or a weights file path.',
          },
        },
        required: ['use'],
        additionalProperties: false,
      },
    },
    batchSize: { type: 'integer', minimum: 1, default: 50 },
    bootstrap: {
      oneOf: [
        {
          type: 'object',
          properties: { resamples: { type: 'integer', minimum: 1, default: 1000 }, seed: { type: 'integer', default: 0 } },
          additionalProperties: false,
        },
        { const: false },
      ],
      default: { resamples: 1000, seed: 0 },
      description: 'Percentile bootstrap for 95% confidence intervals, or false for none.',
    },
    onError: { enum: ['fail', 'skip'], default: 'fail', description: '"skip" drops unreadable samples and records how many in the manifest.' },
    limit: { type: ['integer', 'null'], minimum: 1, default: null, description: 'Use at most this many samples of each subset (quick runs).' },
    distanceHeads: {
      type: 'boolean',
      default: true,
      description: 'Let a backend that can (onnx, with Percept backbones) compute LPIPS distances inside the model, in float32, instead of returning every tap for JavaScript to compare in float64. The two agree to about 1e-6 relative; false reproduces the JavaScript values bit for bit.',
    },
  },
  required: ['root', 'distances'],
  additionalProperties: false,
};

const numberMap = { type: 'object', additionalProperties: { type: 'number' } };
const ci = { type: ['array', 'null'], items: { type: 'number' }, minItems: 2, maxItems: 2, description: '95% percentile-bootstrap interval (×100).' };

export const scoreOutputsSchema: JSONSchema = {
  type: 'object',
  properties: {
    ps: { ...numberMap, description: 'Overall 2AFC score ×100 per distance id: the unweighted mean of the subsets scored.' },
    paperPS: { type: 'boolean', description: 'True when all 6 val subsets were scored in full, i.e. `ps` is the published Perceptual Score.' },
    split: { enum: ['train', 'val'] },
    subsets: { type: 'array', items: { type: 'string' } },
    counts: { ...numberMap, description: 'Triplets scored per subset.' },
    humanCeiling: { ...numberMap, description: 'mean(p² + (1-p)²) ×100 per subset.' },
    oracle: { ...numberMap, description: 'mean(max(p, 1-p)) ×100 per subset.' },
    jndCounts: numberMap,
    skipped: { type: 'integer', description: 'Samples skipped (onError: "skip").' },
    distances: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          use: { type: 'string' },
          input: { enum: ['features', 'pixels'] },
          settings: { type: 'object' },
          twoAfc: { type: 'object', additionalProperties: { type: 'object', properties: { score: { type: 'number' }, ci95: ci, n: { type: 'integer' } } } },
          ps: { type: 'number' },
          psCI95: ci,
          layers: { type: 'array', items: { type: 'string' } },
          layerPS: { ...numberMap, description: 'PS of each layer alone (mean over subsets).' },
          layerTwoAfc: { type: 'object', additionalProperties: numberMap, description: 'Per layer, per subset 2AFC ×100.' },
          bestLayer: { type: ['object', 'null'], properties: { layer: { type: 'string' }, ps: { type: 'number' } } },
          jnd: {
            type: 'object',
            description: 'Per JND subset: mAP ×100 of the total distance and of each layer alone.',
            additionalProperties: { type: 'object', properties: { mAP: { type: 'number' }, n: { type: 'integer' }, perLayer: numberMap } },
          },
          jndMean: { type: ['number', 'null'] },
        },
      },
    },
  },
  required: ['ps', 'paperPS', 'subsets', 'counts', 'distances'],
};

function fail(field: string, expected: string, got: unknown, job = 'perceptual-score'): never {
  throw new InputError(`${job}: option "${field}" must be ${expected}, got ${JSON.stringify(got)}`);
}

/** Validates a `{ use, with }` option; errors name `job` (other jobs reuse this). */
export function useWith(v: unknown, field: string, job = 'perceptual-score'): UseWith {
  if (!v || typeof v !== 'object' || typeof (v as UseWith).use !== 'string') fail(field, 'an object { use, with }', v, job);
  const w = (v as { with?: unknown }).with ?? {};
  if (typeof w !== 'object' || w === null || Array.isArray(w)) fail(`${field}.with`, 'an object', w, job);
  return { use: (v as UseWith).use, with: w as Record<string, unknown> };
}

function stringList(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail(field, 'an array of subset names', v);
  return [...v];
}

/** A readable default id: "lpips-lin", "l2-lab", "lpips-baseline"… made unique with "-2", "-3". */
function distanceId(d: UseWith, taken: Set<string>): string {
  const w = d.with;
  const qualifier = [w.variant, w.colorspace].filter((x) => typeof x === 'string').join('-');
  const base = qualifier ? `${d.use}-${qualifier}` : d.use;
  let id = base;
  for (let k = 2; taken.has(id); k++) id = `${base}-${k}`;
  return id;
}

export function parseScoreOptions(raw: Record<string, unknown>, baseDir: string): ScoreOptions {
  if (typeof raw.root !== 'string' || !raw.root) fail('root', 'the BAPPS folder path', raw.root);
  const root = isAbsolute(raw.root) ? raw.root : resolve(baseDir, raw.root);
  const split = (raw.split ?? 'val') as ScoreOptions['split'];
  if (split !== 'train' && split !== 'val') fail('split', '"train" or "val"', raw.split);
  const subsets = raw.subsets === undefined ? [...(split === 'val' ? VAL_SUBSETS : TRAIN_SUBSETS)] : stringList(raw.subsets, 'subsets');
  if (subsets.length === 0) fail('subsets', 'a non-empty array', raw.subsets);
  const jnd = raw.jnd === false ? [] : raw.jnd === undefined ? [...JND_SUBSETS] : stringList(raw.jnd, 'jnd');
  const backbone = raw.backbone === undefined || raw.backbone === null ? undefined : useWith(raw.backbone, 'backbone');
  const backend = raw.backend === undefined ? { use: 'onnx', with: {} } : useWith(raw.backend, 'backend');
  if (!Array.isArray(raw.distances) || raw.distances.length === 0) fail('distances', 'a non-empty array of { use, with }', raw.distances);
  const taken = new Set<string>();
  const distances = raw.distances.map((d, i) => {
    const uw = useWith(d, `distances[${i}]`);
    const given = (d as { id?: unknown }).id;
    if (given !== undefined && (typeof given !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(given))) fail(`distances[${i}].id`, 'a name of letters, digits, "_", "." or "-"', given);
    if (typeof given === 'string' && taken.has(given)) fail(`distances[${i}].id`, 'unique', given);
    const id = typeof given === 'string' ? given : distanceId(uw, taken);
    taken.add(id);
    return { ...uw, id };
  });
  const batchSize = raw.batchSize ?? 50;
  if (!Number.isInteger(batchSize) || (batchSize as number) < 1) fail('batchSize', 'a positive integer', raw.batchSize);
  let bootstrap: ScoreOptions['bootstrap'] = { resamples: 1000, seed: 0 };
  if (raw.bootstrap === false) bootstrap = null;
  else if (raw.bootstrap !== undefined) {
    const b = raw.bootstrap as { resamples?: unknown; seed?: unknown };
    const resamples = b.resamples ?? 1000;
    const seed = b.seed ?? 0;
    if (!Number.isInteger(resamples) || (resamples as number) < 1) fail('bootstrap.resamples', 'a positive integer', b.resamples);
    if (!Number.isInteger(seed)) fail('bootstrap.seed', 'an integer', b.seed);
    bootstrap = { resamples: resamples as number, seed: seed as number };
  }
  const onError = (raw.onError ?? 'fail') as OnError;
  if (onError !== 'fail' && onError !== 'skip') fail('onError', '"fail" or "skip"', raw.onError);
  const limit = (raw.limit ?? null) as number | null;
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) fail('limit', 'a positive integer or null', raw.limit);
  const distanceHeads = raw.distanceHeads ?? true;
  if (typeof distanceHeads !== 'boolean') fail('distanceHeads', 'true or false', raw.distanceHeads);
  return { root, split, subsets, jnd, backbone, backend, distances, batchSize: batchSize as number, bootstrap, onError, limit, distanceHeads: distanceHeads as boolean };
}
