/**
 * Turns an architecture (options → IRGraph) into a registry contribution: options schema with
 * the shared `weights`/`taps`/`preprocessing` knobs, and a build() that returns an IRModelSpec.
 */
import { InputError, didYouMean, type BackboneContribution, type JSONSchema } from '@percept/core';
import type { IRGraph, IRModelSpec, Preprocessing } from '../ir.js';
import { preprocessingSchema, resolvePreprocessing } from '../preprocessing.js';
import { resolveWeights, weightsSchemaProperties } from './weights-option.js';

export interface IRBackboneDefinition {
  name: string;
  aliases?: string[];
  description: string;
  /** JSON Schema properties of the architecture knobs. */
  archProperties: Record<string, JSONSchema>;
  /** Builds the graph from the (schema-valid) options. */
  graph(options: Record<string, unknown>): IRGraph;
  /** Default preprocessing for the options. */
  preprocessing(options: Record<string, unknown>): Preprocessing;
  /** The model-zoo entry behind weights: "pretrained", if any. */
  pretrained?(options: Record<string, unknown>): string | undefined;
  /** Whether the graph is the trunk only (no classifier head) for these options; default false. */
  trunk?(options: Record<string, unknown>): boolean;
}

export const tapsSchema = {
  type: 'array',
  items: { type: 'string' },
  uniqueItems: true,
  description: 'Subset of the backbone\'s taps to expose (default: all, shallow to deep).',
} as const;

/** Keeps only the requested taps (in the graph's shallow-to-deep order); unknown names are errors. */
export function selectTaps(graph: IRGraph, taps: unknown, backbone: string): IRGraph {
  if (taps === undefined) return graph;
  if (!Array.isArray(taps) || taps.some((t) => typeof t !== 'string')) throw new InputError(`backbone "${backbone}": option "taps" must be an array of tap names`);
  const available = Object.keys(graph.taps);
  for (const t of taps as string[]) {
    if (!available.includes(t)) {
      throw new InputError(`backbone "${backbone}": unknown tap "${t}" (option "taps"); available: ${available.join(', ')}`, { hint: didYouMean(t, available) });
    }
  }
  if (taps.length === 0) throw new InputError(`backbone "${backbone}": option "taps" is empty; omit it to use every tap`);
  const keep = new Set(taps as string[]);
  return { ...graph, taps: Object.fromEntries(Object.entries(graph.taps).filter(([t]) => keep.has(t))) };
}

export function irBackbone(def: IRBackboneDefinition): BackboneContribution {
  const optionsSchema: JSONSchema = {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...def.archProperties,
      ...weightsSchemaProperties,
      taps: tapsSchema,
      preprocessing: preprocessingSchema,
    },
  };
  const known = Object.keys(optionsSchema.properties as object);
  return {
    kind: 'backbone',
    name: def.name,
    ...(def.aliases ? { aliases: def.aliases } : {}),
    description: def.description,
    optionsSchema,
    async build(options, ctx): Promise<IRModelSpec> {
      for (const k of Object.keys(options)) {
        if (!known.includes(k)) throw new InputError(`backbone "${def.name}": unknown option "${k}"`, { hint: didYouMean(k, known) ?? `options: ${known.join(', ')}` });
      }
      const full = def.graph(options);
      const graph = selectTaps(full, options.taps, def.name);
      const preprocessing = resolvePreprocessing(options.preprocessing, def.preprocessing(options));
      const { weights, provenance } = await resolveWeights(def.name, full, options, ctx, {
        zooId: def.pretrained?.(options),
        trunk: def.trunk?.(options) ?? false,
      });
      return { kind: 'ir', name: def.name, graph, weights, preprocessing, provenance };
    },
  };
}
