/** The `onnx` backend's options: the JSON Schema workflows are validated against, and its checks for library callers. */
import { InputError } from '@percept/core';
import type { GraphOptimizationLevel, OnnxSessionOptions } from './session.js';

const optimisationLevels: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'layout', 'all'];

/** Options accepted by the `onnx` backend in workflows and on the command line. */
export const onnxBackendOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    executionProviders: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      default: ['cpu'],
      description: 'Execution providers to try in order, e.g. ["cuda", "cpu"]; the first that loads runs the model.',
    },
    intraOpNumThreads: { type: 'integer', minimum: 0, description: 'Threads within one operator (0: one per core).' },
    interOpNumThreads: { type: 'integer', minimum: 0, description: 'Threads across operators (executionMode "parallel" only).' },
    graphOptimizationLevel: { enum: [...optimisationLevels], default: 'all', description: 'onnxruntime graph optimisation level.' },
    executionMode: { enum: ['sequential', 'parallel'], default: 'sequential' },
    sessionThread: {
      enum: ['worker', 'main'],
      default: 'worker',
      description: 'Where the session runs: "worker" (a worker thread, so inference overlaps decoding and distances on the main thread) or "main" (the calling thread, which each forward pass then blocks).',
    },
  },
} as const;

/** Checks options that did not come through schema validation (library callers). */
export function parseOnnxBackendOptions(options: Record<string, unknown>): OnnxSessionOptions {
  const known = new Set(Object.keys(onnxBackendOptionsSchema.properties));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new InputError(`onnx backend: unknown option "${key}"; known options: ${[...known].join(', ')}.`);
  }
  const eps = options.executionProviders;
  if (eps !== undefined && (!Array.isArray(eps) || eps.length === 0 || eps.some((e) => typeof e !== 'string' || e === ''))) {
    throw new InputError(`onnx backend: "executionProviders" must be a non-empty list of provider names, got ${JSON.stringify(eps)}.`);
  }
  for (const key of ['intraOpNumThreads', 'interOpNumThreads'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 0)) {
      throw new InputError(`onnx backend: "${key}" must be a non-negative integer, got ${JSON.stringify(v)}.`);
    }
  }
  const level = options.graphOptimizationLevel;
  if (level !== undefined && !optimisationLevels.includes(level as GraphOptimizationLevel)) {
    throw new InputError(`onnx backend: "graphOptimizationLevel" must be one of ${optimisationLevels.join(', ')}, got ${JSON.stringify(level)}.`);
  }
  const mode = options.executionMode;
  if (mode !== undefined && mode !== 'sequential' && mode !== 'parallel') {
    throw new InputError(`onnx backend: "executionMode" must be "sequential" or "parallel", got ${JSON.stringify(mode)}.`);
  }
  const thread = options.sessionThread;
  if (thread !== undefined && thread !== 'worker' && thread !== 'main') {
    throw new InputError(`onnx backend: "sessionThread" must be "worker" or "main", got ${JSON.stringify(thread)}.`);
  }
  return options as OnnxSessionOptions;
}
