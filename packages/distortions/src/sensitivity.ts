/**
 * The `distortion-sensitivity` job (Kumar et al. §8.2, SPEC §4.3): for each distance, the margin
 * mean d(x, x_far) - mean d(x, x_near) over the unanimous 2AFC triplets of a BAPPS-layout dataset,
 * pooled over the subsets (the paper does not say which were pooled; SPEC assumes all) and per subset,
 * for the total distance and for each layer alone.
 *
 * It reads like the perceptual-score job: one extract call per batch for ref, p0 and p1, every
 * distance on the same features.
 */
import { readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  concatBatches, InputError, PerceptError,
  type Distance, type FeatureExtractor, type Features, type HostTensor, type JobContext, type JobContribution, type JSONSchema, type JsonValue,
} from '@percept/core';
import { describeModel, openTwoAfc, throwIfAborted, useWith, useWithSchema, type UseWith } from '@percept/dataset-bapps';
import { MarginAccumulator, type MarginResult } from './margin.js';

interface DistanceSpec extends UseWith { id: string }

export interface SensitivityOptions {
  root: string;
  split: 'train' | 'val';
  /** Undefined: every subset folder under 2afc/<split>. */
  subsets?: string[];
  backbone?: UseWith;
  backend: UseWith;
  distances: DistanceSpec[];
  batchSize: number;
  limit: number | null;
  onError: 'fail' | 'skip';
}

export const sensitivityOptionsSchema: JSONSchema = {
  type: 'object',
  properties: {
    root: { type: 'string', description: 'Folder holding 2afc/ (BAPPS, or a synthetic set from synth-2afc); relative to the workflow file.' },
    split: { enum: ['train', 'val'], default: 'val' },
    subsets: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true, description: 'Default: every subset folder under 2afc/<split>.' },
    backbone: { ...useWithSchema('backbone'), description: 'Feature backbone; may be omitted when every distance works on pixels.' },
    backend: { ...useWithSchema('backend'), default: { use: 'onnx', with: {} } },
    distances: {
      type: 'array', minItems: 1,
      items: {
        type: 'object',
        properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' }, use: { type: 'string' }, with: { type: 'object', default: {} } },
        required: ['use'],
        additionalProperties: false,
      },
    },
    batchSize: { type: 'integer', minimum: 1, default: 50 },
    limit: { type: ['integer', 'null'], minimum: 1, default: null, description: 'At most this many triplets per subset.' },
    onError: { enum: ['fail', 'skip'], default: 'fail' },
  },
  required: ['root', 'distances'],
  additionalProperties: false,
};

const marginSchema: JSONSchema = {
  type: 'object',
  properties: {
    n: { type: 'integer', description: 'Unanimous triplets used.' },
    seen: { type: 'integer', description: 'Triplets read.' },
    margin: { type: ['number', 'null'] },
    far: { type: ['number', 'null'], description: 'Mean distance from the reference to the patch nobody chose.' },
    near: { type: ['number', 'null'], description: 'Mean distance from the reference to the patch everybody chose.' },
  },
};

export const sensitivityOutputsSchema: JSONSchema = {
  type: 'object',
  properties: {
    subsets: { type: 'array', items: { type: 'string' } },
    unanimous: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Unanimous triplets per subset.' },
    distances: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          use: { type: 'string' },
          pooled: marginSchema,
          bySubset: { type: 'object', additionalProperties: marginSchema },
          layers: { type: 'array', items: { type: 'string' } },
          layerMargin: { type: 'object', additionalProperties: { type: ['number', 'null'] }, description: 'Pooled margin of each layer alone.' },
        },
      },
    },
  },
  required: ['subsets', 'unanimous', 'distances'],
};

const JOB = 'distortion-sensitivity';

function fail(field: string, expected: string, got: unknown): never {
  throw new InputError(`${JOB}: option "${field}" must be ${expected}, got ${JSON.stringify(got)}`);
}

export function parseSensitivityOptions(raw: Record<string, unknown>, baseDir: string): SensitivityOptions {
  if (typeof raw.root !== 'string' || !raw.root) fail('root', 'the dataset folder path', raw.root);
  const root = isAbsolute(raw.root) ? raw.root : resolve(baseDir, raw.root);
  const split = (raw.split ?? 'val') as SensitivityOptions['split'];
  if (split !== 'train' && split !== 'val') fail('split', '"train" or "val"', raw.split);
  let subsets: string[] | undefined;
  if (raw.subsets !== undefined) {
    if (!Array.isArray(raw.subsets) || raw.subsets.length === 0 || !raw.subsets.every((s) => typeof s === 'string')) fail('subsets', 'a non-empty array of subset names', raw.subsets);
    subsets = [...(raw.subsets as string[])];
  }
  const backbone = raw.backbone == null ? undefined : useWith(raw.backbone, 'backbone', JOB);
  const backend = raw.backend === undefined ? { use: 'onnx', with: {} } : useWith(raw.backend, 'backend', JOB);
  if (!Array.isArray(raw.distances) || raw.distances.length === 0) fail('distances', 'a non-empty array of { use, with }', raw.distances);
  const taken = new Set<string>();
  const distances = raw.distances.map((d, i) => {
    const uw = useWith(d, `distances[${i}]`, JOB);
    const given = (d as { id?: unknown }).id;
    if (given !== undefined && (typeof given !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(given))) fail(`distances[${i}].id`, 'a name of letters, digits, "_", "." or "-"', given);
    let id = typeof given === 'string' ? given : uw.use;
    if (taken.has(id)) {
      if (typeof given === 'string') fail(`distances[${i}].id`, 'unique', given);
      let k = 2;
      while (taken.has(`${uw.use}-${k}`)) k++;
      id = `${uw.use}-${k}`;
    }
    taken.add(id);
    return { ...uw, id };
  });
  const batchSize = raw.batchSize ?? 50;
  if (!Number.isInteger(batchSize) || (batchSize as number) < 1) fail('batchSize', 'a positive integer', raw.batchSize);
  const limit = (raw.limit ?? null) as number | null;
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) fail('limit', 'a positive integer or null', raw.limit);
  const onError = (raw.onError ?? 'fail') as 'fail' | 'skip';
  if (onError !== 'fail' && onError !== 'skip') fail('onError', '"fail" or "skip"', raw.onError);
  return { root, split, subsets, backbone, backend, distances, batchSize: batchSize as number, limit, onError };
}

/** The subset folders present under <root>/2afc/<split>, sorted. */
async function presentSubsets(root: string, split: string): Promise<string[]> {
  const dir = join(root, '2afc', split);
  try {
    const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.includes('.partial-')).map((e) => e.name);
    if (names.length === 0) throw new InputError(`distortion-sensitivity: ${dir} holds no subset folders`);
    return names.sort();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`distortion-sensitivity: cannot list subsets in ${dir}: ${(e as Error).message}`, { cause: e });
  }
}

function sliceFeatures(f: Features, start: number, n: number, total: number): Features {
  const taps: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(f.taps)) {
    if (t.shape[0] !== total) throw new InputError(`Feature tap "${name}" has batch size ${t.shape[0]}, expected ${total}`);
    const per = t.data.length / total;
    taps[name] = { data: t.data.subarray(start * per, (start + n) * per), shape: [n, ...t.shape.slice(1)], layout: t.layout };
  }
  return { taps };
}

function asJson(r: MarginResult): Record<string, JsonValue> {
  return { n: r.n, seen: r.seen, margin: r.margin, far: r.far, near: r.near };
}

interface Active {
  spec: DistanceSpec;
  distance: Distance;
  layers: string[];
  pooled: MarginAccumulator;
  bySubset: Map<string, MarginAccumulator>;
  perLayer: MarginAccumulator[];
}

export async function runDistortionSensitivity(raw: Record<string, unknown>, ctx: JobContext): Promise<Record<string, JsonValue>> {
  const opts = parseSensitivityOptions(raw, ctx.baseDir);
  const subsets = opts.subsets ?? (await presentSubsets(opts.root, opts.split));
  const reader = await openTwoAfc({ root: opts.root, split: opts.split, subsets, batchSize: opts.batchSize, onError: opts.onError, limit: opts.limit });
  const contributions = opts.distances.map((d) => ({ d, c: ctx.registry.get('distance', d.use) }));
  let extractor: FeatureExtractor | undefined;
  try {
    if (opts.backbone) {
      const spec = await ctx.registry.get('backbone', opts.backbone.use).build(opts.backbone.with, { baseDir: ctx.baseDir });
      const backend = await ctx.registry.get('backend', opts.backend.use).create(opts.backend.with);
      extractor = await backend.load(spec, { maxBatch: 3 * opts.batchSize });
      ctx.record('backbone', { use: opts.backbone.use, with: JSON.parse(JSON.stringify(opts.backbone.with)) as JsonValue, ...describeModel(spec) });
      ctx.record('engine', JSON.parse(JSON.stringify(extractor.info())) as JsonValue);
    }
    const active: Active[] = [];
    for (const { d, c } of contributions) {
      const distance = await c.create(d.with);
      if (distance.input === 'features' && !extractor) {
        throw new InputError(`distortion-sensitivity: distance "${d.id}" (${d.use}) compares features, so option "backbone" is required`);
      }
      active.push({ spec: d, distance, layers: [], pooled: new MarginAccumulator(), bySubset: new Map(), perLayer: [] });
    }
    ctx.record('distances', Object.fromEntries(active.map((a) => [a.spec.id, { use: a.spec.use, settings: a.distance.settings }])));

    let done = 0;
    ctx.progress(0, reader.size, 'triplets');
    for await (const batch of reader) {
      throwIfAborted(ctx);
      const n = batch.names.length;
      let fRef: Features | undefined, fP0: Features | undefined, fP1: Features | undefined;
      if (extractor) {
        const all = await extractor.extract(concatBatches([batch.ref, batch.p0, batch.p1]), { signal: ctx.signal });
        fRef = sliceFeatures(all, 0, n, 3 * n);
        fP0 = sliceFeatures(all, n, n, 3 * n);
        fP1 = sliceFeatures(all, 2 * n, n, 3 * n);
      }
      for (const a of active) {
        const [r0, r1] = a.distance.input === 'features'
          ? [a.distance.compute(fRef!, fP0!), a.distance.compute(fRef!, fP1!)]
          : [a.distance.compute(batch.ref, batch.p0), a.distance.compute(batch.ref, batch.p1)];
        if (r0.total.length !== n || r1.total.length !== n) throw new PerceptError(`Distance "${a.spec.id}" returned ${r0.total.length} values for a batch of ${n}`);
        if (!a.layers.length && r0.layers.length) {
          a.layers = [...r0.layers];
          a.perLayer = a.layers.map(() => new MarginAccumulator());
        }
        a.pooled.update(r0.total, r1.total, batch.judge);
        let acc = a.bySubset.get(batch.subset);
        if (!acc) { acc = new MarginAccumulator(); a.bySubset.set(batch.subset, acc); }
        acc.update(r0.total, r1.total, batch.judge);
        a.perLayer.forEach((la, l) => la.update(r0.perLayer[l], r1.perLayer[l], batch.judge));
      }
      done += n;
      ctx.progress(done, reader.size, 'triplets');
    }
    if (reader.skipped.length) {
      ctx.record('skipped', { count: reader.skipped.length, samples: reader.skipped.slice(0, 100).map((s) => ({ ...s })) });
      ctx.log.warn(`${ctx.stepId}: skipped ${reader.skipped.length} bad sample(s); see the manifest`);
    }
    const unanimous: Record<string, number> = {};
    const distances: Record<string, JsonValue> = {};
    for (const a of active) {
      const bySubset: Record<string, JsonValue> = {};
      for (const s of subsets) {
        const r = a.bySubset.get(s)?.compute();
        if (!r) continue;
        bySubset[s] = asJson(r);
        unanimous[s] = r.n;
      }
      const pooled = a.pooled.compute();
      if (pooled.n === 0) ctx.log.warn(`${ctx.stepId}: no unanimous triplet (judge 0 or 1) under ${opts.root}; the margin is undefined`);
      distances[a.spec.id] = {
        use: a.spec.use,
        pooled: asJson(pooled),
        bySubset,
        layers: a.layers,
        layerMargin: Object.fromEntries(a.layers.map((l, i) => [l, a.perLayer[i].compute().margin])),
      };
    }
    return { subsets, unanimous, distances };
  } finally {
    await extractor?.dispose();
  }
}

export const sensitivityJob: JobContribution = {
  kind: 'job',
  name: 'distortion-sensitivity',
  description:
    'Distortion-sensitivity margin (Kumar et al. §8.2): mean d(ref, farther) - mean d(ref, nearer) over unanimous 2AFC triplets, pooled, per subset and per layer.',
  optionsSchema: sensitivityOptionsSchema,
  outputsSchema: sensitivityOutputsSchema,
  run: runDistortionSensitivity,
};
