/**
 * LPIPS linear-calibration weights ("lin" layers, SPEC §7.1) for the perceptual-score job.
 *
 * `lin: "pretrained"` resolves the LPIPS v0.1 weights for the job's backbone through the model zoo
 * (entry `lpips/v0.1-<net>`: PERCEPT_ASSETS local names first, then the PERCEPT_HOME cache filled by
 * `percept models fetch`); any other string is a weights file path in any
 * format @percept/backbones reads (safetensors, PyTorch zip, the legacy pickle LPIPS ships). The file holds
 * `lin{k}.model.1.weight` of shape [1, C_k, 1, 1]; lin k weights the k-th tap of the backbone,
 * in tap order.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { InputError } from '@percept/core';
import { entryHashMatches, findZooEntry, locateZooFile, parseWeights, type WeightTensor } from '@percept/backbones';

/** The LPIPS network name of each backbone that has published lin weights. */
export const LPIPS_NET: Readonly<Record<string, string>> = {
  alexnet: 'alex',
  squeezenet1_1: 'squeeze',
  vgg16: 'vgg',
};

export interface LinWeights {
  /** Per tap: the C_k channel weights. */
  weights: Record<string, Float32Array>;
  file: string;
  sha256: string;
}

/** Where `lin: "pretrained"` looks for the weights of `backbone`. */
export function pretrainedLinPath(backbone: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const net = backbone ? LPIPS_NET[backbone] : undefined;
  if (!net) {
    throw new InputError(`distances: lin: "pretrained" needs a backbone with published LPIPS weights (${Object.keys(LPIPS_NET).join(', ')}), got ${backbone ? `"${backbone}"` : 'no backbone'}`, {
      hint: 'Pass lin as a path to a .safetensors/.pth file with keys lin{k}.model.1.weight instead.',
    });
  }
  const entry = findZooEntry(`lpips/v0.1-${net}`);
  try {
    return locateZooFile(entry, { env }).path;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(`distances: lin: "pretrained" for ${backbone}: ${e.message}`, { hint: e.hint, cause: e });
  }
}

/** Maps `lin{k}.model.1.weight` to the taps in order; every tap needs exactly one lin layer. */
export function linWeightsFromTensors(tensors: ReadonlyMap<string, WeightTensor>, taps: readonly string[], file: string): Record<string, Float32Array> {
  const pattern = /^lin(\d+)\.model\.1\.weight$/;
  const found = new Map<number, WeightTensor>();
  const unexpected: string[] = [];
  for (const [key, t] of tensors) {
    const m = pattern.exec(key);
    if (m) found.set(Number(m[1]), t);
    else unexpected.push(key);
  }
  const problems: string[] = [];
  if (unexpected.length) problems.push(`unexpected keys ${unexpected.join(', ')}`);
  const missing = taps.map((_, k) => `lin${k}.model.1.weight`).filter((_, k) => !found.has(k));
  if (missing.length) problems.push(`missing keys ${missing.join(', ')}`);
  const extra = [...found.keys()].filter((k) => k >= taps.length).map((k) => `lin${k}.model.1.weight`);
  if (extra.length) problems.push(`keys ${extra.join(', ')} beyond the backbone's ${taps.length} taps (${taps.join(', ')})`);
  const out: Record<string, Float32Array> = {};
  taps.forEach((tap, k) => {
    const t = found.get(k);
    if (!t) return;
    const [o, c, kh, kw] = t.shape;
    if (t.shape.length !== 4 || o !== 1 || kh !== 1 || kw !== 1) {
      problems.push(`lin${k}.model.1.weight has shape [${t.shape.join(',')}], expected [1,C,1,1]`);
      return;
    }
    const neg = t.data.findIndex((v) => !(v >= 0));
    if (neg >= 0) problems.push(`lin${k}.model.1.weight[${neg}] is ${t.data[neg]}; LPIPS weights must be non-negative`);
    out[tap] = Float32Array.from(t.data.subarray(0, c));
  });
  if (problems.length) throw new InputError(`${file}: not LPIPS lin weights for taps ${taps.join(', ')}: ${problems.join('; ')}`);
  return out;
}

/** Resolves a `lin` option ("pretrained" or a path) into per-tap weights with their provenance. */
export async function resolveLinWeights(
  spec: string,
  context: { backbone?: string; taps: readonly string[]; baseDir: string; env?: NodeJS.ProcessEnv },
): Promise<LinWeights> {
  const file = spec === 'pretrained'
    ? pretrainedLinPath(context.backbone, context.env)
    : isAbsolute(spec) ? spec : resolve(context.baseDir, spec);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new InputError(`distances: lin weights file ${file} cannot be read (${(e as Error).message})`, { cause: e });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (spec === 'pretrained') {
    // Official copies (the cache, lpips-v0.1-original/*.pth) must carry the LPIPS project's hash.
    const entry = findZooEntry(`lpips/v0.1-${LPIPS_NET[context.backbone!]}`);
    const location = locateZooFile(entry, { env: context.env });
    if (location.checkHash && !entryHashMatches(entry, sha256)) {
      throw new InputError(`${file}: sha256 ${sha256} does not match zoo entry "${entry.id}" (${entry.sha256}): the file is corrupt or not the official one`, {
        hint: `run \`percept models fetch ${entry.id} --force\``,
      });
    }
  }
  const { tensors } = parseWeights(bytes, file);
  return { weights: linWeightsFromTensors(tensors, context.taps, file), file, sha256 };
}
