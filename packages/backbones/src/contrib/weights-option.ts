/**
 * The `weights` option shared by every IR backbone:
 *   "random"      seeded initialisation (option `seed`, default 0): the untrained baseline
 *   "pretrained"  the backbone's default model-zoo entry (see zoo/entries.ts)
 *   "torchvision" the zoo entry `torchvision/<backbone>`
 *   "zoo:<id>"    any model-zoo entry (id or alias) made for this backbone
 *   anything else a checkpoint path (safetensors, PyTorch zip or legacy), relative to the workflow
 * Zoo entries are found offline under PERCEPT_ASSETS (their local names) first, then in the
 * PERCEPT_HOME cache (hash-verified); `percept models fetch <id>` fills the cache.
 */
import { existsSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { InputError } from '@percept/core';
import type { IRGraph, WeightsProvenance, WeightTensor } from '../ir.js';
import { readWeights } from '../weights/read.js';
import { loadWeightsStrict } from '../weights/strict.js';
import { randomWeights } from '../weights/random.js';
import { sha256File } from '../weights/hash.js';
import { findZooEntry, resolveZooFile, type ZooContext } from '../zoo/resolve.js';
import type { ZooEntry } from '../zoo/types.js';

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
    description: '"random" (seeded, see `seed`), "pretrained" (the backbone\'s default model-zoo entry), "torchvision" (zoo entry torchvision/<backbone>), "zoo:<id>" (see `percept models list`; found under PERCEPT_ASSETS or in the PERCEPT_HOME cache, filled by `percept models fetch`), or a checkpoint path (.safetensors, PyTorch zip or legacy .pth; the format is detected from the content) relative to the workflow file.',
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

/** How a backbone declares its zoo weights. */
export interface PretrainedSpec {
  /** The zoo entry behind weights: "pretrained". */
  zooId?: string;
  /** The graph has no classifier head, so the entry's `trunk` key selection applies. */
  trunk: boolean;
}

/** Picks the zoo entry a `weights` value names, or undefined when it is not a zoo reference. */
function zooEntryFor(spec: string, backbone: string, pretrained: PretrainedSpec | undefined, zoo: ZooContext): ZooEntry | undefined {
  if (spec === 'pretrained') {
    if (!pretrained?.zooId) {
      throw new InputError(`backbone "${backbone}" has no default pretrained weights in the model zoo (option "weights": "pretrained")`, {
        hint: 'pass "zoo:<id>" (see `percept models list`), a checkpoint path, or "random"',
      });
    }
    return findZooEntry(pretrained.zooId, zoo);
  }
  if (spec === 'torchvision') {
    const id = `torchvision/${backbone}`;
    try {
      return findZooEntry(id, zoo);
    } catch {
      throw new InputError(`backbone "${backbone}": no torchvision weights in the model zoo (option "weights": "torchvision" looks for entry ${id})`, {
        hint: 'run `percept models list` for the entries and pass "zoo:<id>"',
      });
    }
  }
  if (spec.startsWith('zoo:')) {
    const entry = findZooEntry(spec.slice(4), zoo);
    if (entry.architecture.backbone !== backbone) {
      throw new InputError(`option "weights": zoo entry "${entry.id}" is for ${entry.architecture.backbone ? `backbone "${entry.architecture.backbone}"` : 'no IR backbone'}, not "${backbone}"`, {
        hint: entry.architecture.note ?? `use {"use": "${entry.architecture.backbone}"} with this entry`,
      });
    }
    return entry;
  }
  return undefined;
}

export async function resolveWeights(
  backbone: string,
  graph: IRGraph,
  options: WeightsOptions,
  ctx: { baseDir: string },
  pretrained?: PretrainedSpec,
  zoo: ZooContext = {},
): Promise<ResolvedWeights> {
  const spec = str(options.weights, 'weights') ?? 'random';
  if (spec === 'random') {
    const seed = options.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new InputError(`option "seed" must be an integer in [0, 4294967295], got ${JSON.stringify(seed)}`);
    }
    return { weights: randomWeights(graph, seed), provenance: { source: 'random', seed } };
  }
  const expected = str(options.sha256, 'sha256');
  const stripPrefix = str(options.stripPrefix, 'stripPrefix');
  const entry = zooEntryFor(spec, backbone, pretrained, zoo);
  if (entry) {
    const trunk = pretrained?.trunk ?? false;
    const found = await resolveZooFile(entry, { ...zoo, trunk });
    if (expected && expected.toLowerCase() !== found.sha256) {
      throw new InputError(`${found.path}: sha256 ${found.sha256} does not match the expected ${expected.toLowerCase()} (option "sha256")`);
    }
    const select = str(options.select, 'select') ?? (trunk ? entry.trunk?.select : undefined);
    const ignore = trunk ? entry.trunk?.ignore : undefined;
    const file = await readWeights(found.path);
    const weights = loadWeightsStrict(graph, file, { select, stripPrefix, ...(ignore ? { ignore } : {}) });
    return { weights, provenance: { source: 'zoo', zooId: entry.id, path: found.path, sha256: found.sha256 } };
  }
  const path = isAbsolute(spec) ? spec : resolve(ctx.baseDir, spec);
  if (!existsSync(path)) {
    const looksLikePath = /[\\/]/.test(spec) || CHECKPOINT_EXT.has(extname(spec).toLowerCase());
    if (looksLikePath) throw new InputError(`option "weights": file not found: ${path}`);
    throw new InputError(`option "weights": "${spec}" is neither "random", "pretrained", "torchvision", a zoo id ("zoo:<id>"), nor an existing file`, {
      hint: 'run `percept models list` for the zoo ids',
    });
  }
  const sha256 = await sha256File(path);
  if (expected && expected.toLowerCase() !== sha256) {
    throw new InputError(`${path}: sha256 ${sha256} does not match the expected ${expected.toLowerCase()} (option "sha256"): the file is corrupt or not the intended one`);
  }
  const file = await readWeights(path);
  const weights = loadWeightsStrict(graph, file, { select: str(options.select, 'select'), stripPrefix });
  return { weights, provenance: { source: 'file', path, sha256 } };
}
