/**
 * Every distortion by name, the batch-level `applyDistortion`, the `compose` distortion and the
 * registry contributions.
 */
import type { DistortionContribution, DistortionParams, ImageBatch, JSONSchema, JsonValue } from '@percept/core';
import { InputError } from '@percept/core';
import { blurDistortions } from './blur.js';
import { compressionDistortions } from './compression.js';
import { checkBatch, makeImg, mapBatch, type Img } from './image.js';
import { lowpassDistortion } from './lowpass.js';
import { noiseDistortions } from './noise.js';
import { photometricDistortions } from './photometric.js';
import { deriveSeed, rngFor } from './prng.js';
import { spatialDistortions } from './spatial.js';
import type { DistortionCall, DistortionDef, DistortionFamily } from './types.js';

/** One step of a `compose` chain. */
export interface ComposeStep {
  distortion: string;
  /** Defaults to the severity given to `compose`. */
  severity?: number;
  [option: string]: unknown;
}

function checkSeverity(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new InputError(`${what}: "severity" must be a number in [0,1], got ${JSON.stringify(v)}`);
  }
  return v;
}

function checkSeed(v: unknown, what: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new InputError(`${what}: "seed" must be an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function checkOptions(def: DistortionDef, options: Record<string, unknown>, what: string): void {
  const known = Object.keys(def.options);
  for (const [key, value] of Object.entries(options)) {
    const schema = def.options[key];
    if (!schema) {
      throw new InputError(`${what}: unknown option "${key}"`, {
        hint: known.length ? `Options of "${def.name}": severity, seed, ${known.join(', ')}.` : `"${def.name}" takes only severity and seed.`,
      });
    }
    if (value === undefined) continue;
    const type = schema.type;
    const bad =
      (type === 'number' && (typeof value !== 'number' || !Number.isFinite(value))) ||
      (type === 'integer' && !Number.isInteger(value)) ||
      (type === 'array' && !Array.isArray(value)) ||
      (Array.isArray(schema.enum) && !schema.enum.includes(value)) ||
      (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum) ||
      (typeof schema.maximum === 'number' && typeof value === 'number' && value > schema.maximum);
    if (bad) {
      const expected = Array.isArray(schema.enum)
        ? `one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`
        : `${String(type)}${typeof schema.minimum === 'number' ? ` >= ${schema.minimum}` : ''}${typeof schema.maximum === 'number' ? ` <= ${schema.maximum}` : ''}`;
      throw new InputError(`${what}: option "${key}" must be ${expected}, got ${JSON.stringify(value)}`);
    }
  }
}

function splitParams(params: Record<string, unknown>): { severity: unknown; seed: unknown; options: Record<string, unknown> } {
  const { severity, seed, ...options } = params;
  return { severity, seed, options };
}

/** Runs one distortion on one image (shared by applyDistortion and compose). */
function runOn(def: DistortionDef, img: Img, severity: number, seed: number, index: number, options: Record<string, unknown>) {
  const call: DistortionCall = { severity, seed, index, options, rng: rngFor(seed, def.name, index) };
  return def.apply(img, call);
}

export const compose: DistortionDef = {
  name: 'compose',
  family: 'composite',
  description:
    'Applies several distortions in sequence (BAPPS composes pairs). Each step may set its own severity and options; step i uses seed deriveSeed(seed, "compose", i).',
  random: true,
  identityAtZero: false,
  options: {
    steps: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['distortion'],
        properties: { distortion: { type: 'string' }, severity: { type: 'number', minimum: 0, maximum: 1 } },
        additionalProperties: true,
      },
      description: 'The distortions to apply, in order: { distortion, severity?, ...options }.',
    },
  },
  describeSeverity(s, o) {
    if (o?.steps === undefined) return { steps: 'set by the "steps" option; each step maps its own severity' };
    const steps = parseSteps(o?.steps, 'distortion "compose"');
    return {
      steps: steps.map((st) => {
        const sev = st.severity ?? s;
        return { distortion: st.def.name, severity: sev, ...st.def.describeSeverity(sev, st.options) };
      }),
    };
  },
  async apply(img, call) {
    const steps = parseSteps(call.options.steps, 'distortion "compose"');
    let cur = img;
    for (let i = 0; i < steps.length; i++) {
      const st = steps[i];
      const data = await runOn(st.def, cur, st.severity ?? call.severity, deriveSeed(call.seed, 'compose', i), call.index, st.options);
      cur = makeImg(img.h, img.w, data);
    }
    return cur === img ? Float32Array.from(img.data) : cur.data;
  },
};

interface ParsedStep { def: DistortionDef; severity?: number; options: Record<string, unknown> }

function parseSteps(raw: unknown, what: string): ParsedStep[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new InputError(`${what}: option "steps" must be a non-empty array of { distortion, severity?, ...options }, got ${JSON.stringify(raw)}`);
  }
  return raw.map((step, i) => {
    const where = `${what} steps[${i}]`;
    if (!step || typeof step !== 'object' || typeof (step as ComposeStep).distortion !== 'string') {
      throw new InputError(`${where}: expected an object with a string "distortion", got ${JSON.stringify(step)}`);
    }
    const { distortion, severity, seed, ...options } = step as ComposeStep;
    if (seed !== undefined) throw new InputError(`${where}: "seed" cannot be set per step; steps derive theirs from the compose seed`);
    const def = getDistortion(distortion);
    if (severity !== undefined) checkSeverity(severity, where);
    checkOptions(def, options, where);
    return { def, severity, options };
  });
}

/** The BAPPS traditional distortions (LPIPS Table 2), in taxonomy order. */
export const traditionalDistortions: readonly DistortionDef[] = [
  ...photometricDistortions,
  ...noiseDistortions,
  ...blurDistortions,
  ...spatialDistortions,
  ...compressionDistortions,
];

/** Every distortion: the 20 traditional ones, the low-pass filter and compose. */
export const allDistortions: readonly DistortionDef[] = [...traditionalDistortions, lowpassDistortion, compose];

const byName = new Map(allDistortions.map((d) => [d.name, d]));

export function distortionNames(): string[] {
  return allDistortions.map((d) => d.name);
}

export function distortionsInFamily(family: DistortionFamily): DistortionDef[] {
  return allDistortions.filter((d) => d.family === family);
}

export function getDistortion(name: string): DistortionDef {
  const def = byName.get(name);
  if (!def) {
    throw new InputError(`Unknown distortion "${name}"`, { hint: `Known distortions: ${distortionNames().join(', ')}.` });
  }
  return def;
}

/**
 * Applies a distortion to every image of a batch. Image i of the batch uses the random stream
 * rngFor(seed, name, i), so image 0 of any batch matches a one-image call with the same seed.
 * Output: a new batch of the same shape, values in [0,1].
 */
export async function applyDistortion(
  distortion: string | DistortionDef,
  batch: ImageBatch,
  params: DistortionParams | { severity: number; seed?: number; [key: string]: unknown },
): Promise<ImageBatch> {
  const def = typeof distortion === 'string' ? getDistortion(distortion) : distortion;
  const what = `distortion "${def.name}"`;
  checkBatch(batch, what);
  if (!params || typeof params !== 'object') throw new InputError(`${what}: params must be an object with "severity"`);
  const { severity, seed, options } = splitParams(params);
  const s = checkSeverity(severity, what);
  const sd = checkSeed(seed, what);
  checkOptions(def, options, what);
  return mapBatch(batch, (img, i) => runOn(def, img, s, sd, i, options));
}

/** The physical parameters of a distortion at a severity, for docs and manifests. */
export function describeSeverity(name: string, severity: number, options: Record<string, unknown> = {}): Record<string, JsonValue> {
  const def = getDistortion(name);
  checkSeverity(severity, `distortion "${name}"`);
  return def.describeSeverity(severity, options);
}

function optionsSchemaOf(def: DistortionDef): JSONSchema {
  return {
    type: 'object',
    properties: {
      severity: { type: 'number', minimum: 0, maximum: 1, description: '0 = none (where defined), 1 = strongest documented setting.' },
      seed: { type: 'integer', default: 0, description: 'Seed of the random parameters (ignored by deterministic distortions).' },
      ...def.options,
    },
    required: ['severity', ...(def.name === 'compose' ? ['steps'] : [])],
    additionalProperties: false,
  };
}

/** A registry contribution for one distortion. */
export function distortionContribution(def: DistortionDef): DistortionContribution {
  return {
    kind: 'distortion',
    name: def.name,
    description: `${def.description} [${def.family}]`,
    optionsSchema: optionsSchemaOf(def),
    describeSeverity: (s) => def.describeSeverity(s),
    apply: (batch, params) => applyDistortion(def, batch, params),
  };
}
