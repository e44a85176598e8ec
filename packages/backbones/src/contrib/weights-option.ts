/**
 * The `weights` option shared by every IR backbone:
 *   "random"      seeded initialisation (option `seed`, default 0): the untrained baseline
 *   "pretrained"  the backbone's known local file under PERCEPT_ASSETS (until the model zoo exists)
 *   "zoo:<id>"    a model-zoo entry (not available yet)
 *   anything else a checkpoint path (safetensors, PyTorch zip or legacy), relative to the workflow
 */
import { existsSync } from 'node:fs';
import { extname, isAbsolute, join, resolve } from 'node:path';
import { assetsDir, InputError } from '@percept/core';
import type { IRGraph, WeightsProvenance, WeightTensor } from '../ir.js';
import { readWeights } from '../weights/read.js';
import { loadWeightsStrict } from '../weights/strict.js';
import { randomWeights } from '../weights/random.js';
import { sha256File } from '../weights/hash.js';

export interface WeightsOptions {
  weights?: unknown;
  seed?: unknown;
  sha256?: unknown;
  select?: unknown;
  stripPrefix?: unknown;
}

export const weightsSchemaProperties = {
  weights: {
    type: 'string',
    default: 'random',
    description: '"random" (seeded, see `seed`), "pretrained" (the known ImageNet weights, found under PERCEPT_ASSETS), "zoo:<id>", or a checkpoint path (.safetensors, PyTorch zip or legacy .pth; the format is detected from the content) relative to the workflow file.',
  },
  seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'Seed of the random initialisation (weights: "random").' },
  sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'Expected sha256 of the weights file; loading fails on a mismatch.' },
  select: { type: 'string', description: 'Use only checkpoint keys starting with this prefix (e.g. "features." for a trunk from a full classifier checkpoint).' },
  stripPrefix: { type: 'string', description: 'Remove this prefix from checkpoint keys (e.g. "module.").' },
} as const;

const CHECKPOINT_EXT = new Set(['.pth', '.pt', '.bin', '.ckpt', '.safetensors', '.tar']);

export interface ResolvedWeights {
  weights: Map<string, WeightTensor>;
  provenance: WeightsProvenance;
}

function str(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new InputError(`option "${name}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}

export async function resolveWeights(
  backbone: string,
  graph: IRGraph,
  options: WeightsOptions,
  ctx: { baseDir: string },
  pretrained?: { asset: string; select?: string },
): Promise<ResolvedWeights> {
  const spec = str(options.weights, 'weights') ?? 'random';
  if (spec === 'random') {
    const seed = options.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new InputError(`option "seed" must be an integer in [0, 4294967295], got ${JSON.stringify(seed)}`);
    }
    return { weights: randomWeights(graph, seed), provenance: { source: 'random', seed } };
  }
  if (spec.startsWith('zoo:')) {
    throw new InputError(`model zoo not available yet: cannot resolve weights "${spec}" for backbone "${backbone}"`, {
      hint: 'pass a local checkpoint path, "pretrained" (with PERCEPT_ASSETS), or "random"',
    });
  }
  let path: string;
  let select = str(options.select, 'select');
  if (spec === 'pretrained') {
    if (!pretrained) {
      throw new InputError(`backbone "${backbone}" has no known pretrained weights yet (model zoo not available yet)`, { hint: 'pass a checkpoint path or "random"' });
    }
    const dir = assetsDir();
    const candidate = dir ? join(dir, pretrained.asset) : undefined;
    if (!candidate || !existsSync(candidate)) {
      throw new InputError(`pretrained weights for "${backbone}" not found: expected ${pretrained.asset} under ${dir ?? 'PERCEPT_ASSETS (unset, and no ../shared/assets)'}; model zoo downloads are not available yet`);
    }
    path = candidate;
    select ??= pretrained.select;
  } else {
    path = isAbsolute(spec) ? spec : resolve(ctx.baseDir, spec);
    if (!existsSync(path)) {
      const looksLikePath = /[\\/]/.test(spec) || CHECKPOINT_EXT.has(extname(spec).toLowerCase());
      if (looksLikePath) throw new InputError(`option "weights": file not found: ${path}`);
      throw new InputError(`option "weights": "${spec}" is neither "random", "pretrained", an existing file, nor a zoo id ("zoo:<id>"); model zoo not available yet`);
    }
  }
  const sha256 = await sha256File(path);
  const expected = str(options.sha256, 'sha256');
  if (expected && expected.toLowerCase() !== sha256) {
    throw new InputError(`${path}: sha256 ${sha256} does not match the expected ${expected.toLowerCase()} (option "sha256"): the file is corrupt or not the intended one`);
  }
  const file = await readWeights(path);
  const weights = loadWeightsStrict(graph, file, { select, stripPrefix: str(options.stripPrefix, 'stripPrefix') });
  return { weights, provenance: { source: 'file', path, sha256 } };
}
