/** User model files as backbones: ONNX and TensorFlow.js, tapped by tensor/node name. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { InputError, didYouMean, type BackboneContribution, type JSONSchema } from '@percept/core';
import type { FileModelSpec } from '../ir.js';
import { preprocessingSchema, preprocessingPresets, resolvePreprocessing } from '../preprocessing.js';
import { sha256File } from '../weights/hash.js';

const common: Record<string, JSONSchema> = {
  path: { type: 'string', description: 'The model file, relative to the workflow file.' },
  sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'Expected sha256 of the file; loading fails on a mismatch.' },
  taps: { type: 'array', items: { type: 'string' }, uniqueItems: true, description: 'Tensor or node names to expose as taps, or patterns such as "op:Conv".' },
  logits: { type: 'string', description: 'The tensor holding logits, when the model is a classifier.' },
  inputName: { type: 'string', description: 'Input tensor name (default: the model\'s only input).' },
  preprocessing: { ...preprocessingSchema, description: 'Required: how this model wants its pixels (a preset name or explicit fields). There is no safe default for a foreign file.' },
};

function str(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new InputError(`${where}: option "${key}" must be a non-empty string`);
  return v;
}

async function fileBasics(kind: string, o: Record<string, unknown>, ctx: { baseDir: string }, known: string[]) {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new InputError(`backbone "${kind}": unknown option "${k}"`, { hint: didYouMean(k, known) });
  const rel = str(o, 'path', `backbone "${kind}"`);
  if (!rel) throw new InputError(`backbone "${kind}": option "path" is required`);
  const path = isAbsolute(rel) ? rel : resolve(ctx.baseDir, rel);
  if (!existsSync(path)) throw new InputError(`backbone "${kind}": option "path": file not found: ${path}`);
  if (o.preprocessing === undefined) {
    throw new InputError(`backbone "${kind}": option "preprocessing" is required for ${path}`, { hint: `a preset (${Object.keys(preprocessingPresets).join(', ')}) or explicit size/mean/std fields` });
  }
  const sha256 = await sha256File(path);
  const expected = str(o, 'sha256', `backbone "${kind}"`);
  if (expected && expected.toLowerCase() !== sha256) throw new InputError(`${path}: sha256 ${sha256} does not match the expected ${expected.toLowerCase()} (option "sha256")`);
  const taps = o.taps ?? [];
  if (!Array.isArray(taps) || taps.some((t) => typeof t !== 'string')) throw new InputError(`backbone "${kind}": option "taps" must be an array of names`);
  // Preprocessing is resolved against the identity so that every field comes from the user or a preset.
  const preprocessing = resolvePreprocessing(o.preprocessing, preprocessingPresets.none);
  return {
    path, sha256, taps: taps as string[], preprocessing,
    logits: str(o, 'logits', `backbone "${kind}"`), inputName: str(o, 'inputName', `backbone "${kind}"`),
  };
}

const onnxSchema: JSONSchema = {
  type: 'object', additionalProperties: false, required: ['path', 'preprocessing'],
  properties: { ...common, inputLayout: { enum: ['NCHW', 'NHWC'], default: 'NCHW' } },
};

export const onnxFileContribution: BackboneContribution = {
  kind: 'backbone',
  name: 'onnx-file',
  description: 'A user ONNX model. Taps expose intermediate tensors by name (the backend adds them as graph outputs).',
  optionsSchema: onnxSchema,
  async build(o, ctx): Promise<FileModelSpec> {
    const b = await fileBasics('onnx-file', o, ctx, Object.keys(onnxSchema.properties as object));
    const layout = (o.inputLayout as string | undefined) ?? 'NCHW';
    if (layout !== 'NCHW' && layout !== 'NHWC') throw new InputError('backbone "onnx-file": option "inputLayout" must be "NCHW" or "NHWC"');
    return {
      kind: 'file', name: 'onnx-file', format: 'onnx', path: b.path, sha256: b.sha256, preprocessing: b.preprocessing, taps: b.taps,
      ...(b.logits ? { logits: b.logits } : {}), ...(b.inputName ? { inputName: b.inputName } : {}), inputLayout: layout,
    };
  },
};

const tfjsSchema: JSONSchema = {
  type: 'object', additionalProperties: false, required: ['path', 'preprocessing'],
  properties: {
    ...common,
    path: { type: 'string', description: 'The model.json of a TensorFlow.js graph or layers model, relative to the workflow file.' },
    format: { enum: ['tfjs-graph', 'tfjs-layers'], description: 'Default: read from model.json\'s "format" field.' },
    inputLayout: { enum: ['NCHW', 'NHWC'], default: 'NHWC' },
  },
};

export const tfjsFileContribution: BackboneContribution = {
  kind: 'backbone',
  name: 'tfjs-file',
  description: 'A user TensorFlow.js model (model.json). Taps name graph nodes (graph models) or layers (layers models).',
  optionsSchema: tfjsSchema,
  async build(o, ctx): Promise<FileModelSpec> {
    const b = await fileBasics('tfjs-file', o, ctx, Object.keys(tfjsSchema.properties as object));
    let format = o.format as FileModelSpec['format'] | undefined;
    if (format !== undefined && format !== 'tfjs-graph' && format !== 'tfjs-layers') throw new InputError('backbone "tfjs-file": option "format" must be "tfjs-graph" or "tfjs-layers"');
    if (!format) {
      let json: { format?: unknown; modelTopology?: unknown };
      try {
        json = JSON.parse(await readFile(b.path, 'utf8'));
      } catch (e) {
        throw new InputError(`${b.path}: not a TensorFlow.js model.json (${(e as Error).message})`, { cause: e });
      }
      if (json.format === 'graph-model') format = 'tfjs-graph';
      else if (json.format === 'layers-model') format = 'tfjs-layers';
      else throw new InputError(`${b.path}: field "format" is ${JSON.stringify(json.format)}, expected "graph-model" or "layers-model"; set option "format" explicitly`);
    }
    const layout = (o.inputLayout as string | undefined) ?? 'NHWC';
    if (layout !== 'NCHW' && layout !== 'NHWC') throw new InputError('backbone "tfjs-file": option "inputLayout" must be "NCHW" or "NHWC"');
    return {
      kind: 'file', name: 'tfjs-file', format, path: b.path, sha256: b.sha256, preprocessing: b.preprocessing, taps: b.taps,
      ...(b.logits ? { logits: b.logits } : {}), ...(b.inputName ? { inputName: b.inputName } : {}), inputLayout: layout,
    };
  },
};
