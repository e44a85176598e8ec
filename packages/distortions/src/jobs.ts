/** The `synth-2afc` job: a synthetic BAPPS-layout dataset as a workflow step. */
import { isAbsolute, join, resolve } from 'node:path';
import type { JobContribution, JSONSchema } from '@percept/core';
import { InputError } from '@percept/core';
import { JND_MAX_SEVERITY, synthTwoAfc } from './synth.js';

export const synthOptionsSchema: JSONSchema = {
  type: 'object',
  properties: {
    out: { type: 'string', description: "Dataset root to write; relative paths resolve against the workflow's folder. Default: <step output>/dataset." },
    images: { type: 'string', description: 'Folder of source images (random crops); default: built-in procedural images.' },
    count: { type: 'integer', minimum: 1, maximum: 999999, default: 100, description: 'Triplets (and JND pairs) per subset.' },
    size: { type: 'integer', minimum: 8, maximum: 1024, default: 64, description: 'Patch side in pixels.' },
    subsets: {
      type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true,
      description: 'Families (photometric, noise, blur, spatial, compression), distortion names, or "traditional". Default: the five families.',
    },
    seed: { type: 'integer', default: 0 },
    softJudges: { type: 'integer', minimum: 0, maximum: 1000, default: 0, description: '0: ordinal judges; K: fraction of K simulated noisy observers.' },
    observerNoise: { type: 'number', minimum: 0, maximum: 10, default: 0.15, description: "Std of an observer's perceived severity." },
    minGap: { type: 'number', minimum: 0, maximum: 0.9, default: 0.1, description: 'Smallest severity difference within a triplet.' },
    sharedSeed: { type: 'boolean', default: false, description: "p0 and p1 share the distortion's random draws." },
    composeFraction: { type: 'number', minimum: 0, maximum: 1, default: 0, description: 'Fraction of items distorted by a composition of two different types of the subset (BAPPS composes pairs).' },
    jnd: { type: 'boolean', default: false, description: 'Also write jnd/val/<subset>.' },
    jndThreshold: { type: 'number', minimum: 0, maximum: JND_MAX_SEVERITY, default: 0.1, description: 'Severity at or below which a JND pair is "same".' },
    split: { enum: ['val', 'train'], default: 'val' },
  },
  additionalProperties: false,
};

function str(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new InputError(`job "synth-2afc": option "${name}" must be a non-empty string path, got ${JSON.stringify(v)}`);
  return v;
}

export const synthJob: JobContribution = {
  kind: 'job',
  name: 'synth-2afc',
  description:
    'Writes a synthetic BAPPS-layout 2AFC (and optional JND) dataset: same distortion at two severities, ordinal or simulated-observer judges. Not human data.',
  optionsSchema: synthOptionsSchema,
  outputsSchema: {
    type: 'object',
    properties: {
      root: { type: 'string', description: 'The dataset root (holds 2afc/, jnd/, manifest.json).' },
      subsets: { type: 'array', items: { type: 'string' } },
      count: { type: 'integer', description: 'Triplets per subset.' },
    },
    required: ['root', 'subsets', 'count'],
  },
  async run(options, ctx) {
    const at = (p: string) => (isAbsolute(p) ? p : resolve(ctx.baseDir, p));
    const out = str(options.out, 'out');
    const images = str(options.images, 'images');
    if (options.subsets !== undefined && (!Array.isArray(options.subsets) || options.subsets.some((s) => typeof s !== 'string'))) {
      throw new InputError(`job "synth-2afc": option "subsets" must be an array of strings, got ${JSON.stringify(options.subsets)}`);
    }
    for (const b of ['sharedSeed', 'jnd'] as const) {
      if (options[b] !== undefined && typeof options[b] !== 'boolean') throw new InputError(`job "synth-2afc": option "${b}" must be true or false, got ${JSON.stringify(options[b])}`);
    }
    const result = await synthTwoAfc({
      out: out ? at(out) : join(ctx.outputDir, 'dataset'),
      images: images ? at(images) : undefined,
      count: options.count as number | undefined,
      size: options.size as number | undefined,
      subsets: options.subsets as string[] | undefined,
      seed: options.seed as number | undefined,
      softJudges: options.softJudges as number | undefined,
      observerNoise: options.observerNoise as number | undefined,
      minGap: options.minGap as number | undefined,
      sharedSeed: options.sharedSeed as boolean | undefined,
      composeFraction: options.composeFraction as number | undefined,
      jnd: options.jnd as boolean | undefined,
      jndThreshold: options.jndThreshold as number | undefined,
      split: options.split as 'val' | 'train' | undefined,
      signal: ctx.signal,
      onProgress: (done, total) => ctx.progress(done, total, 'items'),
    });
    ctx.record('synthetic-dataset', result.manifest);
    return { root: result.root, subsets: result.subsets, count: result.count };
  },
};
