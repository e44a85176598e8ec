/**
 * Synthetic BAPPS-style 2AFC (and optionally JND) datasets with ordinal ground truth.
 *
 * A 2AFC triplet: a 64x64 reference patch (a random crop from an image folder, or a procedural
 * image), and two distorted copies made with the SAME distortion type at DIFFERENT severities.
 * The truth is ordinal: the less distorted patch is the closer one. With `softJudges` = K, the
 * judge is instead the fraction of K simulated observers who chose p1, each observer perceiving
 * every severity with independent Gaussian noise (a Thurstone case V observer):
 *   observer prefers p1  iff  s1 + e1 < s0 + e0,  e ~ N(0, observerNoise^2).
 * A JND pair: the reference and one distorted copy; pair i has a severity drawn from U(0, jndThreshold)
 * when i % 3 = 0 and from U(jndThreshold, JND_MAX_SEVERITY) otherwise (a third "same", as in BAPPS,
 * and both answers in any subset of 2+ pairs). same = 1 iff severity <= jndThreshold (or, with K
 * observers, the fraction whose noisy severity s + e is <= jndThreshold).
 *
 * None of this is human data; the manifest and README written into the dataset say so.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { ImageBatch, JsonValue } from '@percept/core';
import { InputError } from '@percept/core';
import { writeJndSubset, writeTwoAfcSubset, type JndPair, type TwoAfcTriplet } from '@percept/dataset-bapps';
import { crop, readImage, resizeShorter } from '@percept/images';
import { applyDistortion, compose, distortionNames, getDistortion, traditionalDistortions } from './catalog.js';
import { proceduralImage, proceduralKinds } from './procedural.js';
import { rngFor, type Rng } from './prng.js';
import { distortionFamilies, type DistortionDef } from './types.js';

export const SYNTH_VERSION = '0.1.0';
/** Severities of 2AFC patches are drawn from U(SEVERITY_MIN, 1). */
export const SEVERITY_MIN = 0.05;
/** JND severities are drawn from U(0, JND_MAX_SEVERITY). */
export const JND_MAX_SEVERITY = 0.35;
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff']);
const IMAGE_CACHE = 32;

export interface SynthOptions {
  /** Dataset root to write (BAPPS layout below it). */
  out: string;
  /** Folder of source images (searched recursively); default: built-in procedural images. */
  images?: string;
  /** Triplets per subset (and JND pairs per subset). Default 100. */
  count?: number;
  /** Patch side in pixels. Default 64 (BAPPS). */
  size?: number;
  /**
   * Subsets to write. Each is a family (photometric, noise, blur, spatial, compression), a single
   * distortion name, or "traditional" (all 20 mixed). Default: the five families.
   */
  subsets?: readonly string[];
  seed?: number;
  /** 0 (default): ordinal judges in {0,1}. K > 0: the fraction of K noisy observers. */
  softJudges?: number;
  /** Standard deviation of an observer's perceived severity (severity units). Default 0.15. */
  observerNoise?: number;
  /** Smallest severity difference within a triplet. Default 0.1. */
  minGap?: number;
  /** Whether p0 and p1 share the distortion's random draws (then only the strength differs). Default false. */
  sharedSeed?: boolean;
  /**
   * Fraction of items (0..1) whose distortion is a sequential composition of two different types of
   * the subset, as BAPPS composes pairs; both patches then get the same pair. Default 0.
   */
  composeFraction?: number;
  /** Also write jnd/val/<subset>. */
  jnd?: boolean;
  /** Severity at or below which a JND pair counts as "same". Default 0.1. */
  jndThreshold?: number;
  /** 2AFC split folder. Default "val" (what the perceptual-score job reads). */
  split?: 'train' | 'val';
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface SynthResult {
  root: string;
  subsets: string[];
  /** Triplets per subset. */
  count: number;
  jnd: boolean;
  manifest: Record<string, JsonValue>;
}

/** Distortions a subset draws from. */
export function subsetDistortions(subset: string): DistortionDef[] {
  if (subset === 'traditional') return [...traditionalDistortions];
  if ((distortionFamilies as readonly string[]).includes(subset)) return traditionalDistortions.filter((d) => d.family === subset);
  if (distortionNames().includes(subset) && subset !== 'compose') return [getDistortion(subset)];
  throw new InputError(`synth-2afc: unknown subset "${subset}"`, {
    hint: `A subset is "traditional", a family (${distortionFamilies.join(', ')}) or a distortion name (${distortionNames().filter((n) => n !== 'compose').join(', ')}).`,
  });
}

function intOption(v: unknown, name: string, min: number, max: number, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InputError(`synth-2afc: "${name}" must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function numOption(v: unknown, name: string, min: number, max: number, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new InputError(`synth-2afc: "${name}" must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(p);
    }
  };
  try {
    if (!(await stat(dir)).isDirectory()) throw new InputError(`synth-2afc: --images ${dir} is not a folder`);
    await walk(dir);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`synth-2afc: cannot read image folder ${dir}: ${(e as Error).message}`, { cause: e });
  }
  if (out.length === 0) {
    throw new InputError(`synth-2afc: image folder ${dir} holds no images (${[...IMAGE_EXTENSIONS].join(', ')})`);
  }
  return out.sort();
}

/** Source patches: random crops from files (decoded images kept in a small LRU cache) or procedural images. */
class PatchSource {
  private cache = new Map<string, ImageBatch>();
  constructor(private readonly files: string[] | null, private readonly size: number) {}

  private async load(path: string): Promise<ImageBatch> {
    const hit = this.cache.get(path);
    if (hit) {
      this.cache.delete(path);
      this.cache.set(path, hit);
      return hit;
    }
    let img = await readImage(path);
    const [, h, w] = img.shape;
    // Small images are enlarged so a patch fits; large ones are cropped as they are (BAPPS crops at native scale).
    if (h < this.size || w < this.size) img = resizeShorter(img, this.size, { filter: 'bicubic' });
    this.cache.set(path, img);
    if (this.cache.size > IMAGE_CACHE) this.cache.delete(this.cache.keys().next().value!);
    return img;
  }

  async patch(rng: Rng): Promise<{ image: ImageBatch; source: string }> {
    if (!this.files) {
      const kind = rng.pick(proceduralKinds);
      const data = proceduralImage(kind, this.size, rng.nextUint32());
      return { image: { data, shape: [1, this.size, this.size, 3] }, source: `procedural:${kind}` };
    }
    const file = this.files[rng.int(this.files.length)];
    const img = await this.load(file);
    const [, h, w] = img.shape;
    const top = rng.int(h - this.size + 1);
    const left = rng.int(w - this.size + 1);
    return { image: crop(img, top, left, this.size, this.size), source: file };
  }
}

interface Treatment {
  /** e.g. "gaussian-blur" or "gaussian-blur+jpeg". */
  name: string;
  apply(ref: ImageBatch, severity: number, seed: number): Promise<ImageBatch>;
}

/**
 * The distortion of one item: a type drawn from the subset, or with probability composeFraction two
 * different types in sequence. The same number of values is drawn either way, so the option does not
 * shift the rest of the item's stream.
 */
function pickTreatment(rng: Rng, defs: readonly DistortionDef[], composeFraction: number): Treatment {
  const first = rng.pick(defs);
  const roll = rng.next();
  const offset = defs.length > 1 ? 1 + rng.int(defs.length - 1) : 0;
  if (roll < composeFraction && defs.length > 1) {
    const second = defs[(defs.indexOf(first) + offset) % defs.length];
    const steps = [{ distortion: first.name }, { distortion: second.name }];
    return { name: `${first.name}+${second.name}`, apply: (ref, severity, seed) => applyDistortion(compose, ref, { severity, seed, steps }) };
  }
  return { name: first.name, apply: (ref, severity, seed) => applyDistortion(first, ref, { severity, seed }) };
}

/** The fraction of K observers who prefer p1, each seeing severities through N(0, sigma^2) noise. */
export function softJudge(rng: Rng, s0: number, s1: number, observers: number, sigma: number): number {
  let p1 = 0;
  for (let k = 0; k < observers; k++) if (s1 + sigma * rng.normal() < s0 + sigma * rng.normal()) p1++;
  return p1 / observers;
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('synth-2afc: aborted');
}

async function existingNonEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch {
    return false;
  }
}

/** Writes the dataset; returns what was written. Deterministic for given options (byte-identical PNGs). */
export async function synthTwoAfc(options: SynthOptions): Promise<SynthResult> {
  if (!options || typeof options.out !== 'string' || options.out === '') {
    throw new InputError('synth-2afc: "out" (the dataset root to write) is required');
  }
  const root = resolve(options.out);
  const count = intOption(options.count, 'count', 1, 999_999, 100);
  const size = intOption(options.size, 'size', 8, 1024, 64);
  const seed = intOption(options.seed, 'seed', -(2 ** 31), 2 ** 32 - 1, 0);
  const softJudges = intOption(options.softJudges, 'softJudges', 0, 1000, 0);
  const observerNoise = numOption(options.observerNoise, 'observerNoise', 0, 10, 0.15);
  const minGap = numOption(options.minGap, 'minGap', 0, 0.9, 0.1);
  const composeFraction = numOption(options.composeFraction, 'composeFraction', 0, 1, 0);
  const jndThreshold = numOption(options.jndThreshold, 'jndThreshold', 0, JND_MAX_SEVERITY, 0.1);
  const split = options.split ?? 'val';
  if (split !== 'val' && split !== 'train') throw new InputError(`synth-2afc: "split" must be "val" or "train", got ${JSON.stringify(split)}`);
  const subsets = [...(options.subsets ?? distortionFamilies)];
  if (subsets.length === 0) throw new InputError('synth-2afc: "subsets" is empty');
  if (new Set(subsets).size !== subsets.length) throw new InputError(`synth-2afc: "subsets" lists a subset twice: ${subsets.join(', ')}`);
  const defsBySubset = new Map(subsets.map((s) => [s, subsetDistortions(s)]));
  const sharedSeed = options.sharedSeed ?? false;
  const withJnd = options.jnd ?? false;

  // Refuse before writing anything, rather than after some subsets are already on disk.
  for (const s of subsets) {
    for (const dir of [join(root, '2afc', split, s), ...(withJnd ? [join(root, 'jnd', 'val', s)] : [])]) {
      if (await existingNonEmpty(dir)) throw new InputError(`synth-2afc: ${dir} already exists and is not empty`, { hint: 'Choose a fresh output folder.' });
    }
  }
  const files = options.images ? await listImages(resolve(options.images)) : null;
  const source = new PatchSource(files, size);
  const total = subsets.length * count * (withJnd ? 2 : 1);
  let done = 0;
  const tick = () => { done++; options.onProgress?.(done, total); };

  const twoAfcStats: Record<string, JsonValue> = {};
  for (const subset of subsets) {
    const defs = defsBySubset.get(subset)!;
    const perDistortion: Record<string, number> = {};
    let judgeSum = 0;
    async function* triplets(): AsyncGenerator<TwoAfcTriplet> {
      for (let i = 0; i < count; i++) {
        checkAbort(options.signal);
        const rng = rngFor(seed, 'synth-2afc', subset, i);
        const { image: ref } = await source.patch(rng);
        const treatment = pickTreatment(rng, defs, composeFraction);
        let sa = rng.uniform(SEVERITY_MIN, 1);
        let sb = rng.uniform(SEVERITY_MIN, 1);
        // Resample until the pair is at least minGap apart (bounded: always possible for minGap <= 0.9).
        for (let t = 0; Math.abs(sa - sb) < minGap && t < 1000; t++) { sa = rng.uniform(SEVERITY_MIN, 1); sb = rng.uniform(SEVERITY_MIN, 1); }
        const lessInP1 = rng.next() < 0.5;
        const [s0, s1] = lessInP1 ? [Math.max(sa, sb), Math.min(sa, sb)] : [Math.min(sa, sb), Math.max(sa, sb)];
        const seed0 = rng.nextUint32();
        const seed1 = sharedSeed ? seed0 : rng.nextUint32();
        const p0 = await treatment.apply(ref, s0, seed0);
        const p1 = await treatment.apply(ref, s1, seed1);
        const judge = softJudges > 0 ? softJudge(rng, s0, s1, softJudges, observerNoise) : s1 < s0 ? 1 : 0;
        perDistortion[treatment.name] = (perDistortion[treatment.name] ?? 0) + 1;
        judgeSum += judge;
        tick();
        yield { ref, p0, p1, judge };
      }
    }
    await writeTwoAfcSubset(root, split, subset, triplets());
    twoAfcStats[subset] = { count, distortions: perDistortion, meanJudge: Math.round((judgeSum / count) * 1e4) / 1e4 };
  }

  const jndStats: Record<string, JsonValue> = {};
  if (withJnd) {
    for (const subset of subsets) {
      const defs = defsBySubset.get(subset)!;
      let sameSum = 0;
      async function* pairs(): AsyncGenerator<JndPair> {
        for (let i = 0; i < count; i++) {
          checkAbort(options.signal);
          const rng = rngFor(seed, 'synth-jnd', subset, i);
          const { image: ref } = await source.patch(rng);
          const treatment = pickTreatment(rng, defs, composeFraction);
          // Stratified so every subset of 2 or more pairs has both answers (a JND mAP needs some "same"):
          // pairs 0, 3, 6, ... fall at or below the threshold, the others above it.
          const s = i % 3 === 0 ? rng.uniform(0, jndThreshold) : rng.uniform(jndThreshold, JND_MAX_SEVERITY);
          const distorted = await treatment.apply(ref, s, rng.nextUint32());
          let same: number;
          if (softJudges > 0) {
            let n = 0;
            for (let k = 0; k < softJudges; k++) if (s + observerNoise * rng.normal() <= jndThreshold) n++;
            same = n / softJudges;
          } else same = s <= jndThreshold ? 1 : 0;
          sameSum += same;
          tick();
          yield { p0: ref, p1: distorted, same };
        }
      }
      await writeJndSubset(root, subset, pairs());
      jndStats[subset] = { count, meanSame: Math.round((sameSum / count) * 1e4) / 1e4 };
    }
  }

  const manifest: Record<string, JsonValue> = {
    kind: 'percept-synthetic-bapps',
    generator: { package: '@percept/distortions', job: 'synth-2afc', version: SYNTH_VERSION },
    humanJudgments: false,
    note: 'Synthetic data: judges are ordinal truth derived from distortion severities (or simulated observers), NOT human judgments.',
    settings: {
      seed, count, size, split, subsets, softJudges, observerNoise, minGap, sharedSeed, composeFraction, jnd: withJnd, jndThreshold,
      severityRange: [SEVERITY_MIN, 1], jndSeverityRange: [0, JND_MAX_SEVERITY],
      source: files ? { images: resolve(options.images!), files: files.length } : { procedural: [...proceduralKinds] },
    },
    subsets: Object.fromEntries(subsets.map((s) => [s, defsBySubset.get(s)!.map((d) => d.name)])),
    twoAfc: twoAfcStats,
    ...(withJnd ? { jndSets: jndStats } : {}),
  };
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  await writeFile(join(root, 'README.md'), readme({ subsetMap: Object.fromEntries(subsets.map((s) => [s, defsBySubset.get(s)!.map((d) => d.name)])), subsets, count, size, softJudges, noise: observerNoise, jnd: withJnd, threshold: jndThreshold, split, seed, images: files ? resolve(options.images!) : null, composeFraction }));
  return { root, subsets, count, jnd: withJnd, manifest };
}

interface ReadmeFacts {
  subsetMap: Record<string, string[]>; subsets: string[]; count: number; size: number; softJudges: number; noise: number;
  jnd: boolean; threshold: number; split: string; seed: number; images: string | null; composeFraction: number;
}

function readme({ subsetMap, subsets, count, size, softJudges, noise, jnd, threshold, split, seed, images, composeFraction }: ReadmeFacts): string {
  return `# Synthetic BAPPS-style dataset (not human judgments)

This folder was generated by Percept (\`percept data synth-2afc\`, job \`synth-2afc\`, generator ${SYNTH_VERSION}).
**It contains no human judgments.** Every judge value is synthetic: it is derived from the
distortion severities that produced the patches, not from people.

- Layout: BAPPS (\`2afc/${split}/<subset>/{ref,p0,p1,judge}\`${jnd ? ', `jnd/val/<subset>/{p0,p1,same}`' : ''}), ${count} items per subset, ${size}x${size} PNG patches.
- Source patches: ${images ? `random crops from the images under \`${images}\`` : 'built-in procedural images (textures, gradients, shapes, stripes, landscapes)'}.
- Seed: ${seed}. The same settings regenerate identical files.
- In each triplet, p0 and p1 are the reference with the SAME distortion type at two DIFFERENT severities
  (drawn uniformly in [${SEVERITY_MIN}, 1], at least the configured gap apart).${composeFraction > 0 ? `
  A fraction ${composeFraction} of the items use a sequential composition of two different types of the subset instead.` : ''}
- Judge: ${softJudges > 0
    ? `the fraction of ${softJudges} simulated observers who chose p1. Each observer perceives a severity s as s + e with e ~ N(0, ${noise}^2), independently per patch and observer, and chooses the patch with the smaller perceived severity.`
    : 'ordinal truth: 1 if p1 is the less distorted patch (so it is closer to the reference), else 0.'}
${jnd ? `- JND: p0 is the reference and p1 one distorted copy; every third pair (0, 3, 6, ...) has a severity drawn uniformly in [0, ${threshold}], the others in [${threshold}, ${JND_MAX_SEVERITY}]; same = ${softJudges > 0 ? `the fraction of ${softJudges} observers whose noisy severity s + e is <= ${threshold}` : `1 if the severity is <= ${threshold}, else 0`}.\n` : ''}
Subsets and the distortions they draw from:

${subsets.map((s) => `- \`${s}\`: ${subsetMap[s].join(', ')}`).join('\n')}

Scores on this data measure agreement with the severity ordering of these distortions, which is a
sanity check of a metric, not a measure of agreement with human perception. See \`manifest.json\`
for every generator setting.
`;
}
