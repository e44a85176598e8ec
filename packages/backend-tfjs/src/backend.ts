/**
 * The `tfjs` backend: IR backbones compiled to tfjs ops, and user TensorFlow.js model files.
 *
 * Preprocessing runs on the host with @percept/images' `preprocess(batch, spec, 'NHWC')`, the
 * same code the ONNX backend uses, so both backends see bit-identical network inputs (resizing
 * with antialiasing, crops, channel order, scale, mean/std) and any difference between them is
 * the engines' own.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, didYouMean, type Backend, type EngineInfo, type FeatureExtractor, type Features, type HostTensor, type ImageBatch, type LoadOptions, type ModelSpec } from '@percept/core';
import type { FileModelSpec, IRModelSpec } from '@percept/backbones';
import { preprocess } from '@percept/images';
import { compileGraph, type CompiledModel } from './compile.js';
import { initTfjs, type EnginePreference } from './engine.js';
import { toHost } from './host.js';
import { loadTfjsModelFile } from './model-file.js';

export interface TfjsBackendOptions {
  /** First engine to try (default node-gpu, falling back through node, wasm, cpu). */
  engine?: EnginePreference;
  threads?: number;
  log?: (message: string) => void;
}

export class TfjsBackend implements Backend {
  readonly name = 'tfjs';
  constructor(private readonly options: TfjsBackendOptions = {}) {}

  describe(): Promise<EngineInfo> {
    return initTfjs({ prefer: this.options.engine, threads: this.options.threads, log: this.options.log });
  }

  async load(model: ModelSpec, options: LoadOptions = {}): Promise<FeatureExtractor> {
    const engine = await this.describe();
    if (model.kind === 'ir') return loadIR(model as IRModelSpec, options, engine);
    if (model.kind === 'file') {
      const spec = model as FileModelSpec;
      if (spec.format !== 'tfjs-graph' && spec.format !== 'tfjs-layers') {
        throw new InputError(`backend tfjs: model file "${spec.path}" has format "${spec.format}"; this backend reads "tfjs-graph" and "tfjs-layers" (use the onnx backend for ONNX files)`);
      }
      return loadTfjsModelFile(spec, options, engine);
    }
    throw new InputError(`backend tfjs: cannot load model "${model.name}" of kind "${model.kind}", expected "ir" or "file"`);
  }
}

/** Resolves requested tap names against the graph's declared taps (or raw node ids). */
function resolveIRTaps(spec: IRModelSpec, requested: readonly string[] | undefined): Array<[string, string]> {
  const g = spec.graph;
  const declared = Object.keys(g.taps);
  if (!requested || requested.length === 0) return declared.map((t) => [t, g.taps[t].node]);
  const nodeIds = new Set(g.nodes.map((n) => n.id));
  return requested.map((name): [string, string] => {
    if (g.taps[name]) return [name, g.taps[name].node];
    if (nodeIds.has(name)) return [name, name];
    const hint = didYouMean(name, [...declared, ...nodeIds]);
    throw new InputError(`backbone "${spec.name}": no tap or node named "${name}"; taps are ${declared.join(', ') || '(none)'}`, { hint });
  });
}

async function loadIR(spec: IRModelSpec, options: LoadOptions, engine: EngineInfo): Promise<FeatureExtractor> {
  const taps = resolveIRTaps(spec, options.taps);
  const logitsNode = options.logits ? spec.graph.logits : undefined;
  const compiled = compileGraph(spec.graph, spec.weights);
  return new IRFeatureExtractor(spec, compiled, taps, logitsNode, engine);
}

class IRFeatureExtractor implements FeatureExtractor {
  readonly taps: readonly string[];
  private readonly nodes: string[];

  constructor(
    private readonly spec: IRModelSpec,
    private readonly model: CompiledModel,
    private readonly tapNodes: ReadonlyArray<[string, string]>,
    private readonly logitsNode: string | undefined,
    private readonly engine: EngineInfo,
  ) {
    this.taps = tapNodes.map(([t]) => t);
    this.nodes = [...new Set([...tapNodes.map(([, n]) => n), ...(logitsNode ? [logitsNode] : [])])];
  }

  async extract(batch: ImageBatch, options: { signal?: AbortSignal } = {}): Promise<Features> {
    options.signal?.throwIfAborted();
    const input = preprocess(batch, this.spec.preprocessing, 'NHWC');
    const outs = tf.tidy(() => this.model.run(tf.tensor4d(input.data, input.shape), this.nodes));
    try {
      const host = new Map<string, HostTensor>();
      for (const node of this.nodes) host.set(node, await toHost(outs[node]));
      const taps: Record<string, HostTensor> = {};
      for (const [tap, node] of this.tapNodes) taps[tap] = host.get(node)!;
      return this.logitsNode ? { taps, logits: host.get(this.logitsNode)! } : { taps };
    } finally {
      for (const t of Object.values(outs)) t.dispose();
    }
  }

  info(): EngineInfo {
    const notes = [...(this.engine.notes ?? []), `model ${this.spec.name}: IR compiled to tfjs ops (NHWC)`];
    // tfjs has one global backend: another load may have switched it since this model was compiled.
    const now = tf.getBackend();
    if (now !== this.engine.provider) notes.push(`tfjs backend is now "${now}" (compiled under "${this.engine.provider}")`);
    return { ...this.engine, provider: now, notes };
  }

  dispose(): void {
    this.model.dispose();
  }
}
