/**
 * Strict loading: a checkpoint must hold exactly the parameters the graph reads, with exactly
 * their shapes. Unlike PyTorch's `strict=False` (which LPIPS uses, and which silently leaves
 * layers random when a name is wrong), any mismatch is an error listing every offender at once.
 */
import { InputError } from '@percept/core';
import type { IRGraph, WeightMap, WeightTensor } from '../ir.js';
import { sameShape } from '../graph/params.js';
import type { WeightFile } from './types.js';

export interface StrictLoadOptions {
  /** The checkpoint's path, named in errors. Defaults to WeightFile.source, else "<weights>". */
  file?: string;
  /** Consider only checkpoint keys starting with this prefix (e.g. "features." to take a trunk out of a full classifier). */
  select?: string;
  /** Remove this prefix from keys that have it (e.g. "module." from DataParallel checkpoints). Applied after `select`. */
  stripPrefix?: string;
  /** Checkpoint keys to ignore: exact prefixes (strings) or patterns. Matched against the original key. */
  ignore?: readonly (string | RegExp)[];
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function loadWeightsStrict(graph: IRGraph, weights: WeightMap | WeightFile, options: StrictLoadOptions = {}): Map<string, WeightTensor> {
  const isFile = !(weights instanceof Map) && 'tensors' in weights;
  const map: WeightMap = isFile ? (weights as WeightFile).tensors : (weights as WeightMap);
  const file = options.file ?? (isFile ? (weights as WeightFile).source : '<weights>');

  const available = new Map<string, WeightTensor>();
  for (const [key, t] of map) {
    if (options.select !== undefined && !key.startsWith(options.select)) continue;
    if (options.ignore?.some((p) => (typeof p === 'string' ? key.startsWith(p) : p.test(key)))) continue;
    const name = options.stripPrefix !== undefined && key.startsWith(options.stripPrefix) ? key.slice(options.stripPrefix.length) : key;
    if (available.has(name)) {
      throw new InputError(`${file}: keys collide after removing prefix "${options.stripPrefix}": two tensors map to "${name}"`);
    }
    available.set(name, t);
  }

  const missing: string[] = [];
  const misshaped: string[] = [];
  const out = new Map<string, WeightTensor>();
  const expected = new Set<string>();
  for (const p of graph.params) {
    expected.add(p.name);
    const t = available.get(p.name);
    if (!t) {
      if (!p.optional) missing.push(`${p.name} ${fmt(p.shape)}`);
      continue;
    }
    if (!sameShape(t.shape, p.shape)) {
      // A scalar bookkeeping tensor saved as [1] instead of [] is harmless; real parameters must match exactly.
      if (p.optional && t.data.length === 1) { out.set(p.name, t); continue; }
      misshaped.push(`${p.name}: file has ${fmt(t.shape)}, graph expects ${fmt(p.shape)}`);
      continue;
    }
    if (t.data.length !== p.shape.reduce((a, b) => a * b, 1)) {
      misshaped.push(`${p.name}: ${t.data.length} values do not fill ${fmt(p.shape)}`);
      continue;
    }
    out.set(p.name, t);
  }
  const unexpected = [...available.keys()].filter((k) => !expected.has(k)).map((k) => `${k} ${fmt(available.get(k)!.shape)}`);

  if (missing.length || unexpected.length || misshaped.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing (${missing.length}):\n    ${missing.join('\n    ')}`);
    if (unexpected.length) parts.push(`unexpected (${unexpected.length}):\n    ${unexpected.join('\n    ')}`);
    if (misshaped.length) parts.push(`wrong shape (${misshaped.length}):\n    ${misshaped.join('\n    ')}`);
    throw new InputError(
      `${file}: weights do not match model "${graph.name}" (${missing.length} missing, ${unexpected.length} unexpected, ${misshaped.length} wrong shape):\n  ${parts.join('\n  ')}`,
      { hint: prefixHint(graph, [...available.keys()]) },
    );
  }
  return out;
}

/** Suggests `stripPrefix`/`select` when the checkpoint's keys are the graph's names behind a common prefix. */
function prefixHint(graph: IRGraph, keys: string[]): string | undefined {
  const names = new Set(graph.params.filter((p) => !p.optional).map((p) => p.name));
  const prefixes = new Map<string, number>();
  for (const k of keys) {
    for (let i = k.indexOf('.'); i > 0; i = k.indexOf('.', i + 1)) {
      if (names.has(k.slice(i + 1))) prefixes.set(k.slice(0, i + 1), (prefixes.get(k.slice(0, i + 1)) ?? 0) + 1);
    }
  }
  let best: [string, number] | undefined;
  for (const e of prefixes) if (!best || e[1] > best[1]) best = e;
  if (best && best[1] >= names.size / 2) return `the file's keys look like the model's names behind the prefix "${best[0]}": try stripPrefix "${best[0]}"`;
  return undefined;
}
