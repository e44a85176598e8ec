/**
 * User TensorFlow.js model files (model.json plus binary weight shards) as feature extractors.
 * Taps are node names for graph models (`model.execute(inputs, names)`) and layer names for
 * layers models (a sub-model whose outputs are those layers'). Both accept `op:<Type>` patterns:
 * every node of that op (graph) or every layer of that class (layers), in model order.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError, didYouMean, type EngineInfo, type FeatureExtractor, type Features, type HostTensor, type ImageBatch, type LoadOptions } from '@percept/core';
import type { FileModelSpec } from '@percept/backbones';
import { preprocess } from '@percept/images';
import { toHost } from './host.js';

interface ModelJsonFile {
  modelTopology?: unknown;
  format?: string;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  [key: string]: unknown;
}

async function readModelJson(path: string): Promise<ModelJsonFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`tfjs model file "${path}" cannot be read: ${(err as Error).message}`, { cause: err });
  }
  let json: ModelJsonFile;
  try {
    json = JSON.parse(text) as ModelJsonFile;
  } catch (err) {
    throw new InputError(`tfjs model file "${path}" is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!json || typeof json !== 'object' || !json.modelTopology) {
    throw new InputError(`tfjs model file "${path}": field "modelTopology" is missing; expected a TensorFlow.js model.json`);
  }
  if (!Array.isArray(json.weightsManifest)) {
    throw new InputError(`tfjs model file "${path}": field "weightsManifest" is missing or not an array`);
  }
  return json;
}

/**
 * An IOHandler that loads a model.json and its weight shards from the local file system, so
 * tfjs's loaders work in Node without tfjs-node's file:// handler.
 */
export function fileLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  const path = resolve(modelJsonPath);
  return {
    async load() {
      const json = await readModelJson(path);
      return tf.io.getModelArtifactsForJSON(json as unknown as tf.io.ModelJSON, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const shard of group.paths) {
            const shardPath = join(dirname(path), shard);
            let bytes: Buffer;
            try {
              bytes = await readFile(shardPath);
            } catch (err) {
              throw new InputError(`tfjs model file "${path}": weight shard "${shard}" cannot be read (${(err as Error).message})`, { cause: err });
            }
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
          specs.push(...group.weights);
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** An IOHandler that saves a model as `dir/model.json` plus one `dir/weights.bin` shard. */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts) {
      await mkdir(dir, { recursive: true });
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
      const json: Record<string, unknown> = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.signature) json.signature = artifacts.signature;
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(weights));
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    },
  };
}

/** Expands `op:<Type>` patterns and checks every name; unknown names get a did-you-mean. */
function resolveNames(
  requested: readonly string[],
  names: readonly string[],
  typeOf: (name: string) => string | undefined,
  what: string,
  path: string,
): string[] {
  const out: string[] = [];
  const known = new Set(names);
  for (const req of requested) {
    if (req.startsWith('op:')) {
      const type = req.slice(3);
      const matches = names.filter((n) => typeOf(n) === type);
      if (matches.length === 0) {
        const types = new Set(names.map(typeOf).filter((t): t is string => !!t));
        throw new InputError(`tfjs model file "${path}": pattern "${req}" matches no ${what}`, { hint: didYouMean(type, types) ?? `types present: ${[...types].join(', ')}` });
      }
      out.push(...matches);
      continue;
    }
    const base = req.replace(/:0$/, '');
    if (!known.has(base)) {
      throw new InputError(`tfjs model file "${path}" has no ${what} named "${req}"`, { hint: didYouMean(base, names) });
    }
    out.push(base);
  }
  return [...new Set(out)];
}

export async function loadTfjsModelFile(spec: FileModelSpec, options: LoadOptions, engine: EngineInfo): Promise<FeatureExtractor> {
  const json = await readModelJson(resolve(spec.path));
  const requested = options.taps && options.taps.length > 0 ? options.taps : spec.taps;
  const logits = options.logits && spec.logits ? spec.logits : undefined;
  if (spec.format === 'tfjs-graph') {
    const nodes = ((json.modelTopology as { node?: Array<{ name: string; op: string }> }).node ?? []);
    if (nodes.length === 0) throw new InputError(`tfjs model file "${spec.path}": "modelTopology.node" is empty; is this a graph model (format "tfjs-graph")?`);
    const opOf = new Map(nodes.map((n) => [n.name, n.op]));
    const names = nodes.map((n) => n.name);
    const taps = resolveNames(requested, names, (n) => opOf.get(n), 'node', spec.path);
    const logitNode = logits ? resolveNames([logits], names, (n) => opOf.get(n), 'node', spec.path)[0] : undefined;
    const model = await tf.loadGraphModel(fileLoadHandler(spec.path));
    const inputName = spec.inputName ?? onlyInput(model.inputs.map((i) => i.name), spec.path);
    // Tapping a Const node returns the model's own weight tensor: hand out a copy, since the
    // extractor disposes what it downloads.
    const weightIds = new Set(Object.values(model.weights).flat().map((t) => t.id));
    const owned = (res: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(res) ? res : [res]).map((t) => (weightIds.has(t.id) ? tf.clone(t) : t));
    // Graphs with control flow (dynamic ops) only run asynchronously; try the faster sync path first.
    let dynamic = false;
    const run = async (x: tf.Tensor4D, outputs: string[]): Promise<tf.Tensor[]> => {
      const inputs = { [inputName]: x };
      if (!dynamic) {
        try {
          return owned(model.execute(inputs, outputs));
        } catch (err) {
          if (!/executeAsync/.test((err as Error).message)) throw err;
          dynamic = true;
        }
      }
      return owned(await model.executeAsync(inputs, outputs));
    };
    return new FileFeatureExtractor(spec, taps, logitNode, run, () => model.dispose(), engine);
  }
  const model = await tf.loadLayersModel(fileLoadHandler(spec.path));
  const names = model.layers.map((l) => l.name);
  const classOf = new Map(model.layers.map((l) => [l.name, l.getClassName()]));
  const taps = resolveNames(requested, names, (n) => classOf.get(n), 'layer', spec.path);
  const logitLayer = logits ? resolveNames([logits], names, (n) => classOf.get(n), 'layer', spec.path)[0] : undefined;
  const outputs = [...taps, ...(logitLayer && !taps.includes(logitLayer) ? [logitLayer] : [])];
  const symbolic = outputs.map((n) => {
    const out = model.getLayer(n).output;
    if (Array.isArray(out)) throw new InputError(`tfjs model file "${spec.path}": layer "${n}" has ${out.length} outputs; tap a single-output layer`);
    return out;
  });
  const sub = tf.model({ inputs: model.inputs, outputs: symbolic });
  const run = async (x: tf.Tensor4D, wanted: string[]): Promise<tf.Tensor[]> => {
    const res = sub.predict(x);
    const all = Array.isArray(res) ? res : [res];
    return wanted.map((w) => all[outputs.indexOf(w)]);
  };
  return new FileFeatureExtractor(spec, taps, logitLayer, run, () => model.dispose(), engine);
}

function onlyInput(names: string[], path: string): string {
  if (names.length !== 1) {
    throw new InputError(`tfjs model file "${path}" has ${names.length} inputs (${names.join(', ')}); set "inputName" to choose one`);
  }
  return names[0];
}

class FileFeatureExtractor implements FeatureExtractor {
  private readonly outputs: string[];

  constructor(
    private readonly spec: FileModelSpec,
    readonly taps: readonly string[],
    private readonly logits: string | undefined,
    /** Returns exactly `outputs`, newly allocated; the model frees its own intermediates. */
    private readonly run: (x: tf.Tensor4D, outputs: string[]) => Promise<tf.Tensor[]>,
    private readonly release: () => void,
    private readonly engine: EngineInfo,
  ) {
    this.outputs = [...new Set([...taps, ...(logits ? [logits] : [])])];
  }

  async extract(batch: ImageBatch, options: { signal?: AbortSignal } = {}): Promise<Features> {
    options.signal?.throwIfAborted();
    const input = preprocess(batch, this.spec.preprocessing, this.spec.inputLayout);
    const x = tf.tensor4d(input.data, input.shape);
    let outs: tf.Tensor[];
    try {
      outs = await this.run(x, this.outputs);
    } finally {
      x.dispose();
    }
    try {
      const host = new Map<string, HostTensor>();
      for (let i = 0; i < this.outputs.length; i++) host.set(this.outputs[i], await toHost(outs[i], this.spec.inputLayout));
      const taps: Record<string, HostTensor> = {};
      for (const t of this.taps) taps[t] = host.get(t)!;
      return this.logits ? { taps, logits: host.get(this.logits)! } : { taps };
    } finally {
      for (const t of outs) t.dispose();
    }
  }

  info(): EngineInfo {
    return { ...this.engine, notes: [...(this.engine.notes ?? []), `model file ${this.spec.path} (${this.spec.format})`] };
  }

  dispose(): void {
    this.release();
  }
}
