/**
 * User ONNX files: read, expose intermediate tensors as taps by adding graph outputs, re-serialise.
 *
 * Tap syntax: an exact tensor name; a glob (`*`, `?`); a regular expression written `/…/flags`;
 * or `op:<OpType>` for every output of every node of that type. Taps come out in graph order.
 */
import { readFile } from 'node:fs/promises';
import { InputError, closestNames } from '@percept/core';
import { decodeModel, encodeModel, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxValueInfo } from './proto/onnx.js';
import { WireError } from './proto/wire.js';
import { findQuantParams, type QuantParams } from './quant.js';

/** Parses ONNX bytes; malformed or truncated data becomes an InputError naming the file. */
export function parseOnnx(bytes: Uint8Array, file: string): OnnxModel {
  try {
    return decodeModel(bytes);
  } catch (e) {
    const where = e instanceof WireError ? ` at byte ${e.offset} of ${bytes.length}` : '';
    throw new InputError(`${file} is not a readable ONNX model: ${(e as Error).message}${where}.`, {
      hint: 'The file may be truncated or not an ONNX ModelProto; download or export it again.',
      cause: e,
    });
  }
}

export async function readOnnxFile(path: string): Promise<OnnxModel> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new InputError(`Cannot read ONNX file ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseOnnx(bytes, path);
}

/** Where each tensor comes from, and every activation tensor in graph order. */
export class GraphIndex {
  readonly producers = new Map<string, OnnxNode>();
  /** Graph inputs (minus initializers) then node outputs, in order. */
  readonly tensors: string[] = [];
  readonly initializerNames: Set<string>;

  constructor(readonly graph: OnnxGraph) {
    this.initializerNames = new Set(graph.initializers.map((t) => t.name));
    for (const i of graph.inputs) if (!this.initializerNames.has(i.name)) this.tensors.push(i.name);
    for (const n of graph.nodes) {
      for (const o of n.outputs) {
        if (!o) continue; // optional outputs left empty
        this.producers.set(o, n);
        this.tensors.push(o);
      }
    }
  }

  /** The real inputs (graph inputs that are not initializers). */
  inputs(): OnnxValueInfo[] {
    return this.graph.inputs.filter((i) => !this.initializerNames.has(i.name));
  }

  has(tensor: string): boolean {
    return this.producers.has(tensor) || this.inputs().some((i) => i.name === tensor);
  }
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Expands tap names and patterns to tensor names, in graph order (shallow to deep), without duplicates. */
export function resolveTaps(index: GraphIndex, taps: readonly string[], file: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (t: string) => { if (!seen.has(t)) { seen.add(t); out.push(t); } };
  for (const tap of taps) {
    if (tap.startsWith('op:')) {
      const opType = tap.slice(3);
      const matches = index.graph.nodes.filter((n) => n.opType === opType);
      if (matches.length === 0) {
        const ops = [...new Set(index.graph.nodes.map((n) => n.opType))];
        const close = closestNames(opType, ops);
        throw new InputError(
          `${file} has no node of op type "${opType}" (tap "${tap}").${close.length ? ` Did you mean ${close.map((c) => `"op:${c}"`).join(' or ')}?` : ''}`,
          { hint: `Op types in this graph: ${ops.sort().join(', ')}.` },
        );
      }
      for (const n of matches) for (const o of n.outputs) if (o) add(o);
      continue;
    }
    const regex = /^\/(.+)\/([a-z]*)$/.exec(tap);
    if (regex || /[*?]/.test(tap)) {
      let re: RegExp;
      try {
        re = regex ? new RegExp(regex[1], regex[2]) : globToRegExp(tap);
      } catch (e) {
        throw new InputError(`Tap pattern "${tap}" is not a valid regular expression: ${(e as Error).message}`);
      }
      const matches = index.tensors.filter((t) => re.test(t));
      if (matches.length === 0) {
        throw new InputError(`Tap pattern "${tap}" matches no tensor in ${file}.`, {
          hint: `Some tensor names: ${index.tensors.slice(0, 8).join(', ')}${index.tensors.length > 8 ? ', …' : ''}.`,
        });
      }
      matches.forEach(add);
      continue;
    }
    if (!index.has(tap)) {
      const close = closestNames(tap, index.tensors);
      const isInit = index.initializerNames.has(tap);
      throw new InputError(
        isInit
          ? `"${tap}" in ${file} is a weight (initializer), not an activation, so it cannot be a tap.`
          : `${file} has no tensor named "${tap}".${close.length ? ` Did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : ''}`,
        { hint: 'Taps may be exact tensor names, globs such as "*_quantized", regular expressions "/…/", or "op:<OpType>".' },
      );
    }
    add(tap);
  }
  const position = new Map(index.tensors.map((t, i) => [t, i]));
  return out.sort((a, b) => position.get(a)! - position.get(b)!);
}

export interface TappedOnnxModel {
  model: OnnxModel;
  inputName: string;
  /** Tensor names exposed as taps, in graph order. */
  taps: string[];
  logits?: string;
  /** Quantization parameters for tap/logit tensors produced by quantizing ops. */
  quant: Map<string, QuantParams>;
  encode(): Uint8Array;
}

/**
 * Adds graph outputs for the requested taps (and logits) so onnxruntime returns them. The model
 * is edited in place; nodes, weights and unknown fields are kept as they were.
 */
export function tapOnnxModel(
  model: OnnxModel,
  file: string,
  request: { taps: readonly string[]; logits?: string | boolean; inputName?: string },
): TappedOnnxModel {
  const index = new GraphIndex(model.graph);
  const inputs = index.inputs();
  let inputName = request.inputName;
  if (inputName) {
    if (!inputs.some((i) => i.name === inputName)) {
      throw new InputError(`${file} has no input named "${inputName}"; its inputs are: ${inputs.map((i) => i.name).join(', ')}.`);
    }
  } else {
    if (inputs.length !== 1) {
      throw new InputError(`${file} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); set "inputName" to choose the image input.`);
    }
    inputName = inputs[0].name;
  }

  const taps = resolveTaps(index, request.taps, file);
  let logits: string | undefined;
  if (typeof request.logits === 'string') {
    logits = resolveTaps(index, [request.logits], file)[0];
  } else if (request.logits) {
    logits = model.graph.outputs[0]?.name;
    if (!logits) throw new InputError(`${file} declares no graph output to use as logits.`);
  }

  const typeOf = new Map(model.graph.valueInfo.map((v) => [v.name, v.type]));
  const outputNames = new Set(model.graph.outputs.map((o) => o.name));
  for (const t of [...taps, ...(logits ? [logits] : [])]) {
    if (outputNames.has(t)) continue;
    // onnxruntime infers the type of an output that has none; reuse value_info when the file has it.
    const type = typeOf.get(t);
    model.graph.outputs.push({ name: t, type: type ? { ...type } : undefined, unknown: [] });
    outputNames.add(t);
  }

  const quant = new Map<string, QuantParams>();
  for (const t of [...taps, ...(logits ? [logits] : [])]) {
    const q = findQuantParams(model.graph, index.producers, t, file);
    if (q) quant.set(t, q);
  }
  return { model, inputName, taps, logits, quant, encode: () => encodeModel(model) };
}
