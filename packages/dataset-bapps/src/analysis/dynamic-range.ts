/**
 * The `dynamic-range` job (Kumar Fig. 3, SPEC §4.1): how the 2AFC score of a simulated distance
 * falls from the oracle to chance as its noise σ grows, on the real BAPPS judges. Only the judge
 * files are read; no image is decoded.
 */
import { isAbsolute, resolve } from 'node:path';
import { InputError, type JobContribution, type JSONSchema, type JsonValue } from '@percept/core';
import { logSpace, simulateDynamicRange } from '@percept/metrics';
import { openTwoAfc } from '../reader.js';
import { VAL_SUBSETS, TRAIN_SUBSETS } from '../layout.js';
import { PACKAGE_VERSION } from '../perceptual-score.js';

const DEFAULT_GRID = { min: 0.01, max: 10, count: 25 };

export const dynamicRangeOptionsSchema: JSONSchema = {
  type: 'object',
  properties: {
    root: { type: 'string', description: 'BAPPS folder holding 2afc/; relative to the workflow file.' },
    split: { enum: ['train', 'val'], default: 'val' },
    subsets: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true, description: 'Default: every subset of the split.' },
    sigmas: {
      oneOf: [
        { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1 },
        {
          type: 'object',
          properties: { min: { type: 'number', exclusiveMinimum: 0 }, max: { type: 'number', exclusiveMinimum: 0 }, count: { type: 'integer', minimum: 1 } },
          required: ['min', 'max', 'count'], additionalProperties: false,
        },
      ],
      default: DEFAULT_GRID,
      description: 'Noise levels σ: explicit values, or a log-spaced grid { min, max, count } (the paper gives no grid).',
    },
    repeats: { type: 'integer', minimum: 1, default: 20, description: 'Simulations per σ; the interval is their 2.5–97.5% percentile range.' },
    seed: { type: 'integer', default: 0 },
    onError: { enum: ['fail', 'skip'], default: 'fail' },
    limit: { type: ['integer', 'null'], minimum: 1, default: null, description: 'At most this many triplets of each subset.' },
  },
  required: ['root'],
  additionalProperties: false,
};

export const dynamicRangeOutputsSchema: JSONSchema = {
  type: 'object',
  properties: {
    sigmas: { type: 'array', items: { type: 'number' } },
    ps: { type: 'array', items: { type: 'number' }, description: 'Mean simulated PS ×100 per σ (same order as sigmas).' },
    curve: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          sigma: { type: 'number' }, ps: { type: 'number' },
          ci95: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
          bySubset: { type: 'object', additionalProperties: { type: 'number' } },
        },
      },
    },
    oracle: { type: 'number', description: 'σ → 0 limit: mean over subsets of mean(max(p, 1−p)) ×100.' },
    chance: { type: 'number', description: 'σ → ∞ limit (50).' },
    subsets: { type: 'array', items: { type: 'string' } },
    counts: { type: 'object', additionalProperties: { type: 'integer' } },
  },
  required: ['sigmas', 'ps', 'curve', 'oracle', 'chance', 'subsets', 'counts'],
};

function sigmaGrid(raw: unknown): number[] {
  if (raw === undefined) return logSpace(DEFAULT_GRID.min, DEFAULT_GRID.max, DEFAULT_GRID.count);
  if (Array.isArray(raw)) return raw as number[];
  if (raw && typeof raw === 'object') {
    const g = raw as { min?: unknown; max?: unknown; count?: unknown };
    if (typeof g.min === 'number' && typeof g.max === 'number' && typeof g.count === 'number') return logSpace(g.min, g.max, g.count);
  }
  throw new InputError(`dynamic-range: option "sigmas" must be an array of positive numbers or { min, max, count }, got ${JSON.stringify(raw)}`);
}

export async function runDynamicRange(o: Record<string, unknown>, ctx: { baseDir: string; record(k: string, v: JsonValue): void; log: { warn(m: string): void }; stepId: string }): Promise<Record<string, JsonValue>> {
  if (typeof o.root !== 'string' || !o.root) throw new InputError(`dynamic-range: option "root" must be the BAPPS folder path, got ${JSON.stringify(o.root)}`);
  const root = isAbsolute(o.root) ? o.root : resolve(ctx.baseDir, o.root);
  const split = (o.split ?? 'val') as 'train' | 'val';
  const subsets = (o.subsets as string[] | undefined) ?? [...(split === 'train' ? TRAIN_SUBSETS : VAL_SUBSETS)];
  const sigmas = sigmaGrid(o.sigmas);
  const repeats = (o.repeats ?? 20) as number;
  const seed = (o.seed ?? 0) as number;
  if (!Number.isInteger(seed)) throw new InputError(`dynamic-range: option "seed" must be an integer, got ${JSON.stringify(o.seed)}`);
  const reader = await openTwoAfc({
    root, split, subsets, onError: o.onError as 'fail' | 'skip' | undefined, limit: (o.limit ?? null) as number | null,
  });
  const judges = await reader.judges();
  const kept = Object.fromEntries([...judges].filter(([, p]) => p.length > 0));
  if (Object.keys(kept).length === 0) throw new InputError(`dynamic-range: no judge could be read under ${root}/2afc/${split}`);
  ctx.record('skipped', { count: reader.skipped.length, samples: reader.skipped.slice(0, 100).map((s) => ({ ...s })) });
  if (reader.skipped.length) ctx.log.warn(`${ctx.stepId}: skipped ${reader.skipped.length} bad sample(s); see the manifest`);
  ctx.record('packages', { '@percept/dataset-bapps': PACKAGE_VERSION });
  const r = simulateDynamicRange(kept, sigmas, { repeats, seed });
  return {
    sigmas: r.curve.map((c) => c.sigma),
    ps: r.curve.map((c) => c.ps),
    curve: r.curve.map((c) => ({ sigma: c.sigma, ps: c.ps, ci95: c.ci95, bySubset: c.bySubset })),
    oracle: r.oracle,
    chance: r.chance,
    subsets: Object.keys(kept),
    counts: Object.fromEntries(Object.entries(kept).map(([s, p]) => [s, p.length])),
  };
}

export const dynamicRangeJob: JobContribution = {
  kind: 'job',
  name: 'dynamic-range',
  description: 'Kumar Fig. 3: PS of distances drawn from truncated normals on [0,1] that agree with the human majority, as a function of their noise σ (from the oracle down to 50).',
  optionsSchema: dynamicRangeOptionsSchema,
  outputsSchema: dynamicRangeOutputsSchema,
  run: runDynamicRange,
};
