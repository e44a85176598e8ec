/**
 * The `lowpass-accuracy` job (Kumar et al. §8.6, Fig. 17; SPEC §4.8): top-1 of a classifier on clean
 * images and on the same images through the square low-pass Fourier filter of side r, for every r
 * listed, and the normalised accuracy top1(r) / top1(clean).
 *
 * The model is loaded once; the dataset is read once clean and once per r (the filter runs on each
 * batch inside the reader's decode-ahead, after the backbone's resize/crop, before normalisation, as
 * in the `accuracy` job). The filter itself is the registry's `lowpass` distortion (@percept/distortions),
 * looked up by name so this package does not depend on that one.
 *
 * Confidence intervals: top1 gets the Wilson 95% interval (as in `accuracy`). The normalised accuracy
 * is a ratio of two proportions measured on the same images, so numerator and denominator are
 * correlated; its 95% interval is a paired percentile bootstrap over images: each resample draws n
 * images with replacement and recomputes Σ correct(r) / Σ correct(clean) on them (one set of draws
 * shared by every r, seeded, deterministic).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, type JobContext, type JobContribution, type JSONSchema, type JsonValue } from '@percept/core';
import { seededRandom, quantileSorted, wilsonInterval } from '@percept/metrics';
import type { IterateOptions } from './dataset.js';
import { openClassifierSession, perClassCounts, type ClassifierEvaluation } from './accuracy.js';
import { accuracyOptionsSchema, parseAccuracyOptions, type AccuracyOptions } from './accuracy-options.js';

const JOB = 'lowpass-accuracy';
const { distortion: _distortion, ...sharedProperties } = accuracyOptionsSchema.properties as Record<string, JSONSchema>;

export const lowpassAccuracyOptionsSchema: JSONSchema = {
  type: 'object',
  properties: {
    ...sharedProperties,
    r: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'integer', minimum: 1 },
      description: 'Sides of the kept square of the centred spectrum, in cycles per image (Kumar §8.6: r = 8..64 at 64×64). Each must be at most the side of the images the network sees (checked when the run starts).',
    },
    bootstrap: {
      oneOf: [
        {
          type: 'object',
          properties: {
            resamples: { type: 'integer', minimum: 1, default: 1000 },
            seed: { type: 'integer', default: 0 },
          },
          additionalProperties: false,
        },
        { const: false },
      ],
      default: { resamples: 1000, seed: 0 },
      description: 'Paired percentile bootstrap over images for the 95% interval of the normalised accuracy, or false for none.',
    },
  },
  required: ['dataset', 'backbone', 'r'],
  additionalProperties: false,
};

const interval = { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 };
const nullableInterval = { ...interval, type: ['array', 'null'] };

export const lowpassAccuracyOutputsSchema: JSONSchema = {
  type: 'object',
  properties: {
    r: { type: 'array', items: { type: 'integer' }, description: 'Filter sides, in the order given.' },
    normalizedAccuracy: { type: 'array', items: { type: ['number', 'null'] }, description: 'top1(r) / top1(clean) per r (null when clean top-1 is 0).' },
    normalizedCI95: { type: 'array', items: nullableInterval, description: 'Paired bootstrap 95% interval of each ratio (null without bootstrap).' },
    top1: { type: 'array', items: { type: 'number' }, description: 'Top-1 on filtered images per r, as a fraction.' },
    clean: {
      type: 'object',
      properties: { top1: { type: 'number' }, top1CI95: interval, correct: { type: 'integer' }, count: { type: 'integer' } },
      required: ['top1', 'top1CI95', 'correct', 'count'],
    },
    curve: {
      type: 'array',
      description: 'One entry per r: the numbers above together (what the report charts).',
      items: {
        type: 'object',
        properties: {
          r: { type: 'integer' }, top1: { type: 'number' }, top1CI95: interval, correct: { type: 'integer' },
          normalizedAccuracy: { type: ['number', 'null'] }, normalizedCI95: nullableInterval,
        },
        required: ['r', 'top1', 'top1CI95', 'correct', 'normalizedAccuracy', 'normalizedCI95'],
      },
    },
    count: { type: 'integer', description: 'Images scored in every pass (the same images).' },
    imageSize: { type: 'array', items: { type: 'integer' }, description: '[height, width] of the images the filter ran on.' },
    skipped: { type: 'integer' },
    classes: { type: 'integer' },
    outputs: { type: 'integer' },
    classOffset: { type: 'integer' },
    perClass: { type: 'object', description: 'Clean pass: per class top-1 correct, top-5 correct, total.' },
    bootstrap: { type: ['object', 'null'] },
  },
  required: ['r', 'normalizedAccuracy', 'normalizedCI95', 'top1', 'clean', 'curve', 'count'],
};

export interface LowpassAccuracyOptions extends Omit<AccuracyOptions, 'distortion'> {
  r: number[];
  bootstrap: { resamples: number; seed: number } | null;
}

function fail(field: string, expected: string, got: unknown): never {
  throw new InputError(`${JOB}: option "${field}" must be ${expected}, got ${JSON.stringify(got)}`);
}

export function parseLowpassAccuracyOptions(raw: Record<string, unknown>): LowpassAccuracyOptions {
  const { r, bootstrap, ...rest } = raw;
  if ('distortion' in rest) fail('distortion', 'absent (this job applies the lowpass filter itself; list the sides in "r")', rest.distortion);
  const base = parseAccuracyOptions(rest, JOB);
  if (!Array.isArray(r) || r.length === 0) fail('r', 'a non-empty array of integers >= 1 (filter sides in cycles per image)', r);
  r.forEach((x, i) => { if (!Number.isInteger(x) || (x as number) < 1) fail(`r[${i}]`, 'an integer >= 1', x); });
  const seen = new Set<number>();
  r.forEach((x, i) => { if (seen.has(x as number)) fail(`r[${i}]`, 'listed once (r values must be unique)', x); seen.add(x as number); });
  let boot: LowpassAccuracyOptions['bootstrap'] = { resamples: 1000, seed: 0 };
  if (bootstrap === false) boot = null;
  else if (bootstrap !== undefined) {
    if (!bootstrap || typeof bootstrap !== 'object' || Array.isArray(bootstrap)) fail('bootstrap', 'an object { resamples, seed } or false', bootstrap);
    const b = bootstrap as Record<string, unknown>;
    for (const k of Object.keys(b)) if (k !== 'resamples' && k !== 'seed') fail(`bootstrap.${k}`, 'absent (known: resamples, seed)', b[k]);
    const resamples = b.resamples ?? 1000, seed = b.seed ?? 0;
    if (!Number.isInteger(resamples) || (resamples as number) < 1) fail('bootstrap.resamples', 'a positive integer', b.resamples);
    if (!Number.isInteger(seed)) fail('bootstrap.seed', 'an integer', b.seed);
    boot = { resamples: resamples as number, seed: seed as number };
  }
  const { distortion: _d, ...shared } = base;
  return { ...shared, r: r as number[], bootstrap: boot };
}

/** Checks each r against the side of the images the filter will see. */
function checkSides(r: readonly number[], h: number, w: number, where: string): void {
  const side = Math.min(h, w);
  r.forEach((x, i) => {
    if (x > side) {
      throw new InputError(`${JOB}: option "r[${i}]" is ${x}, larger than the ${h}×${w} images the network sees (${where}); r must be at most ${side} (r = ${side} already keeps every frequency)`);
    }
  });
}

/** Per-image 0/1 top-1 correctness. */
function hits(ev: ClassifierEvaluation): Uint8Array {
  return Uint8Array.from(ev.labels, (l, i) => (ev.predictions[i] === l ? 1 : 0));
}

/**
 * Paired percentile bootstrap of Σ num[r] / Σ den over images, one set of draws for every r.
 * Resamples whose clean sum is 0 have no ratio and are left out (their count is returned).
 */
export function pairedRatioBootstrap(
  den: Uint8Array,
  nums: readonly Uint8Array[],
  resamples: number,
  seed: number,
): { intervals: Array<[number, number] | null>; undefinedResamples: number } {
  const n = den.length;
  const rand = seededRandom(seed);
  const stats = nums.map(() => new Float64Array(resamples));
  const draw = new Uint32Array(n);
  let kept = 0, dropped = 0;
  for (let b = 0; b < resamples; b++) {
    let d = 0;
    for (let i = 0; i < n; i++) { const k = Math.floor(rand() * n); draw[i] = k; d += den[k]; }
    if (d === 0) { dropped++; continue; }
    nums.forEach((num, j) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += num[draw[i]];
      stats[j][kept] = s / d;
    });
    kept++;
  }
  const intervals = stats.map((st) => {
    if (kept === 0) return null;
    const sorted = st.subarray(0, kept).sort();
    return [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)] as [number, number];
  });
  return { intervals, undefinedResamples: dropped };
}

export async function runLowpassAccuracy(raw: Record<string, unknown>, ctx: JobContext): Promise<Record<string, JsonValue>> {
  const opts = parseLowpassAccuracyOptions(raw);
  const lowpass = ctx.registry.get('distortion', 'lowpass');
  const session = await openClassifierSession(opts, ctx, JOB);
  try {
    const size = session.geometry?.size;
    if (size) checkSides(opts.r, size[0], size[1], `the backbone's input size ${size[0]}×${size[1]}`);
    ctx.record('distortion', { use: 'lowpass', r: opts.r, note: 'square low-pass Fourier filter of side r (cycles per image), applied after resize/crop, before normalisation' });
    const passes = opts.r.length + 1;
    const total = session.dataset.size === null ? null : session.dataset.size * passes;
    const per = session.dataset.size ?? 0;

    const seen: { size: [number, number] | null } = { size: null };
    const cleanTransform: IterateOptions['transform'] = (b) => {
      if (!seen.size) {
        seen.size = [b.images.shape[1], b.images.shape[2]];
        checkSides(opts.r, seen.size[0], seen.size[1], 'the first batch');
      }
      return b;
    };
    const clean = await session.pass(cleanTransform, { offset: 0, total, message: 'clean' });
    const skipped = session.recordSkipped();
    const cleanHits = hits(clean);

    const filtered: ClassifierEvaluation[] = [];
    for (const [k, r] of opts.r.entries()) {
      const ev = await session.pass(
        async (b, start) => ({ ...b, images: await lowpass.apply(b.images, { r, severity: 0, seed: start }) }),
        { offset: per * (k + 1), total, message: `r=${r}` },
      );
      // Every pass must score the same images in the same order, or the ratio compares different sets.
      if (ev.count !== clean.count || ev.names.some((nm, i) => nm !== clean.names[i])) {
        throw new InputError(`${JOB}: the pass with r = ${r} scored ${ev.count} images, the clean pass ${clean.count} (or in another order); the dataset must yield the same images on every pass`);
      }
      filtered.push(ev);
    }
    const filteredHits = filtered.map(hits);

    const boot = opts.bootstrap && clean.correct1 > 0 ? pairedRatioBootstrap(cleanHits, filteredHits, opts.bootstrap.resamples, opts.bootstrap.seed) : null;
    if (boot?.undefinedResamples) ctx.log.warn(`${ctx.stepId}: ${boot.undefinedResamples} bootstrap resample(s) had no correct clean image and were left out of the intervals`);
    if (clean.correct1 === 0) ctx.log.warn(`${ctx.stepId}: clean top-1 is 0, so the normalised accuracy is undefined (null)`);

    const curve = opts.r.map((r, k) => {
      const ev = filtered[k];
      const ci = wilsonInterval(ev.correct1, ev.count);
      return {
        r,
        top1: ev.correct1 / ev.count,
        top1CI95: [ci.lower, ci.upper],
        correct: ev.correct1,
        normalizedAccuracy: clean.correct1 > 0 ? ev.correct1 / clean.correct1 : null,
        normalizedCI95: boot?.intervals[k] ?? null,
      };
    });

    // One line per image and pass, so results can be compared image by image.
    const header = ['name', 'label', 'clean', ...opts.r.map((r) => `r=${r}`)].join('\t');
    const lines = clean.names.map((nm, i) => [nm, clean.labels[i], clean.predictions[i], ...filtered.map((ev) => ev.predictions[i])].join('\t'));
    await writeFile(join(ctx.outputDir, 'predictions.tsv'), [header, ...lines].join('\n') + '\n');

    const cleanCI = wilsonInterval(clean.correct1, clean.count);
    return {
      r: opts.r,
      normalizedAccuracy: curve.map((c) => c.normalizedAccuracy),
      normalizedCI95: curve.map((c) => c.normalizedCI95),
      top1: curve.map((c) => c.top1),
      clean: { top1: clean.correct1 / clean.count, top1CI95: [cleanCI.lower, cleanCI.upper], correct: clean.correct1, count: clean.count },
      curve,
      count: clean.count,
      imageSize: seen.size,
      skipped,
      classes: session.classNames.length,
      outputs: clean.outputs,
      classOffset: opts.classOffset,
      perClass: perClassCounts(clean, session.classNames),
      bootstrap: opts.bootstrap
        ? { method: 'paired percentile bootstrap over images (same draws for every r)', level: 0.95, ...opts.bootstrap, undefinedResamples: boot?.undefinedResamples ?? null }
        : null,
    } as Record<string, JsonValue>;
  } finally {
    await session.dispose();
  }
}

export const lowpassAccuracyJob: JobContribution = {
  kind: 'job',
  name: JOB,
  description: 'Kumar §8.6 / Fig. 17: top-1 on clean images and through the square low-pass Fourier filter of each side r (one model load, one pass per r), and the normalised accuracy top1(r)/top1(clean) with paired-bootstrap 95% intervals.',
  optionsSchema: lowpassAccuracyOptionsSchema,
  outputsSchema: lowpassAccuracyOutputsSchema,
  run: runLowpassAccuracy,
};
