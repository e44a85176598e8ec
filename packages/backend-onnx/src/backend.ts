/**
 * OnnxBackend: runs Percept IR backbones (compiled to ONNX) and users' ONNX files on onnxruntime-node.
 *
 * Where preprocessing happens:
 * - IR backbones: JS resizes/crops, transposes to NCHW and applies channel order, scale, mean and
 *   std with the float32 roundings of the graph head that exported models carry (normalise.ts).
 * - User ONNX files: the file's input contract is the user's, so we leave the graph's input alone and
 *   apply the declared preprocessing in JS with @percept/images' `preprocess`, in the file's layout.
 */
import * as ort from 'onnxruntime-node';
import {
  InputError, PerceptError,
  type Backend, type EngineInfo, type FeatureExtractor, type Features, type HostTensor, type ImageBatch,
  type ImagePairs, type LoadOptions, type ModelSpec, type DistanceResult,
} from '@percept/core';
import type { FileModelSpec, IRModelSpec, Preprocessing } from '@percept/backbones';
import { preprocess } from '@percept/images';
import { compileIR, hasNormalisation } from './compile.js';
import { normaliseNchwAsGraph } from './normalise.js';
import type { CompiledHead } from './heads.js';
import { readOnnxFile, tapOnnxModel } from './file-model.js';
import { dequantize, type QuantParams } from './quant.js';
import { ENGINE, engineVersion, openSession, supportedProviders, type OnnxSessionOptions } from './session.js';
import type { RunnableSession, SessionOutput } from './session-worker.js';
import { parseOnnxBackendOptions } from './options.js';

interface OutputPlan {
  /** Key in Features.taps (or 'logits'). */
  key: string;
  kind: 'tap' | 'logits';
  /** Graph output name. */
  output: string;
  quant?: QuantParams;
}

interface ExtractorPlan {
  label: string;
  inputName: string;
  /** NHWC [0,1] batch -> the session's input tensor, in `scratch`'s array when it offers one. */
  prepare(batch: ImageBatch, scratch: InputScratch): { data: Float32Array; shape: readonly number[] };
  outputs: OutputPlan[];
  /** Layout to report for rank-4 outputs. */
  mapLayout: 'NCHW' | 'NHWC';
  /** The model's taps (also when they are not outputs). */
  taps: string[];
  heads: CompiledHead[];
  pairInputs?: { a: string; b: string };
}

/** Geometry only: the normalisation happens separately (normalise.ts, or a graph head). */
function geometryOnly(p: Preprocessing): Preprocessing {
  return { ...p, channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] };
}

function isIRModel(m: ModelSpec): m is IRModelSpec {
  return m.kind === 'ir';
}
function isFileModel(m: ModelSpec): m is FileModelSpec {
  return m.kind === 'file';
}

export class OnnxBackend implements Backend {
  readonly name = 'onnx';
  /** LPIPS heads compile into IR backbones' graphs (heads.ts); ONNX files run as they are. */
  readonly heads = ['lpips'] as const;

  private readonly options: OnnxSessionOptions;

  /** Options are checked here too, so library callers get the same errors as workflows. */
  constructor(options: OnnxSessionOptions = {}) {
    this.options = parseOnnxBackendOptions(options as Record<string, unknown>);
  }

  /**
   * What would run, without loading a model: the first requested provider shipped inside the npm
   * package. Providers that need separately installed libraries (cuda, tensorrt) are only known
   * to work once a session loads; `FeatureExtractor.info()` reports what actually ran.
   */
  async describe(): Promise<EngineInfo> {
    const requested = this.options.executionProviders?.length ? this.options.executionProviders : ['cpu'];
    const backends = ort.listSupportedBackends();
    const bundled = requested.find((p) => backends.some((b) => b.name === p && b.bundled));
    const external = requested.filter((p) => backends.some((b) => b.name === p && !b.bundled));
    const notes = [`requested providers: ${requested.join(', ')}`, `providers in this build: ${supportedProviders().join(', ')}`];
    if (external.length) notes.push(`${external.join(', ')}: need separately installed libraries; tried when a model loads`);
    return {
      engine: ENGINE,
      engineVersion: engineVersion(),
      provider: bundled ?? external[0] ?? 'none',
      threads: this.options.intraOpNumThreads,
      notes,
    };
  }

  async load(model: ModelSpec, options: LoadOptions = {}): Promise<FeatureExtractor> {
    if (isIRModel(model)) return this.loadIR(model, options);
    if (isFileModel(model)) {
      if (model.format !== 'onnx') {
        throw new InputError(`Model "${model.name}" is a ${model.format} file; the onnx backend runs only .onnx files.`, {
          hint: 'Use the tfjs backend for TensorFlow.js models.',
        });
      }
      return this.loadFile(model, options);
    }
    throw new InputError(`The onnx backend cannot load model "${model.name}" of kind "${model.kind}" (expected "ir" or "file").`);
  }

  private async loadIR(spec: IRModelSpec, options: LoadOptions): Promise<FeatureExtractor> {
    // The graph gets no preprocessing head: `prepare` normalises with the head's exact float32
    // arithmetic on the calling thread (normalise.ts), off the session's thread. Exported models
    // (export.ts) keep the head so they stand alone.
    const geometry = geometryOnly(spec.preprocessing);
    const compiled = compileIR(spec.graph, spec.weights, {
      taps: options.taps, logits: options.logits, heads: options.heads, tapOutputs: options.tapOutputs, preprocessing: geometry,
    });
    const { session, info } = await openSession(compiled.encode(), this.options, `backbone "${spec.name}"`);
    const normalise = hasNormalisation(spec.preprocessing);
    return new OnnxFeatureExtractor(session, info, {
      label: `backbone "${spec.name}"`,
      inputName: compiled.inputName,
      prepare: (batch, scratch) => {
        const t = preprocess(batch, geometry, 'NCHW', scratch);
        if (normalise) normaliseNchwAsGraph(t.data, t.shape, spec.preprocessing);
        return t;
      },
      outputs: compiled.outputs.map((o) => ({ key: o.key, kind: o.kind, output: o.output })),
      mapLayout: 'NCHW',
      taps: compiled.taps,
      heads: compiled.heads,
      pairInputs: compiled.pairInputs,
    });
  }

  private async loadFile(spec: FileModelSpec, options: LoadOptions): Promise<FeatureExtractor> {
    const model = await readOnnxFile(spec.path);
    const taps = options.taps && options.taps.length > 0 ? options.taps : spec.taps;
    const tapped = tapOnnxModel(model, spec.path, {
      taps,
      logits: options.logits ? (spec.logits ?? true) : undefined,
      inputName: spec.inputName,
    });
    const { session, info } = await openSession(tapped.encode(), this.options, spec.path);
    // ONNX files take no distance heads (their taps' layouts are the file's); callers compute
    // distances from the taps, so they are returned whatever `tapOutputs` says.
    const outputs: OutputPlan[] = tapped.taps.map((t) => ({ key: t, kind: 'tap', output: t, quant: tapped.quant.get(t) }));
    if (tapped.logits) outputs.push({ key: 'logits', kind: 'logits', output: tapped.logits, quant: tapped.quant.get(tapped.logits) });
    return new OnnxFeatureExtractor(session, info, {
      label: spec.path,
      inputName: tapped.inputName,
      prepare: (batch, scratch) => {
        return preprocess(batch, spec.preprocessing, spec.inputLayout, scratch);
      },
      outputs,
      mapLayout: spec.inputLayout,
      taps: [...tapped.taps],
      heads: [],
    });
  }
}

/** A head's per-layer outputs as a distance result: the total sums the layers in float64, as `lpips` does. */
function headResult(head: CompiledHead, outputs: Record<string, SessionOutput>): DistanceResult {
  const perLayer = head.outputs.map((name) => outputs[name].data as Float32Array);
  const m = perLayer[0]?.length ?? 0;
  const total = new Float32Array(m);
  for (let k = 0; k < m; k++) {
    let sum = 0;
    for (const layer of perLayer) sum += layer[k];
    total[k] = sum;
  }
  return { total, perLayer, layers: [...head.layers] };
}

/** Offers an array of `length` floats for the input tensor, or undefined for a new one. */
type InputScratch = (length: number) => Float32Array | undefined;

/** Input arrays kept between batches; more than this many only happen with many overlapping calls. */
const MAX_POOLED_INPUTS = 4;

export class OnnxFeatureExtractor implements FeatureExtractor {
  readonly taps: readonly string[];
  private disposed = false;
  /**
   * Input tensor arrays, kept from one batch to the next: a batch of 150 64×64 images is 7 MB, and
   * faulting in a fresh allocation of that size per batch cost more than filling it. A session
   * owns an array only while it runs on it (in a worker it is transferred there and back), so
   * each call takes one from the pool, or a new one when every pooled array is in flight.
   */
  private readonly inputs: Float32Array[] = [];

  readonly heads: readonly string[];

  constructor(private readonly session: RunnableSession, private readonly engine: EngineInfo, private readonly plan: ExtractorPlan) {
    this.taps = [...plan.taps];
    this.heads = plan.heads.map((h) => h.id);
  }

  async extract(batch: ImageBatch, options: { signal?: AbortSignal; pairs?: ImagePairs } = {}): Promise<Features> {
    if (this.disposed) throw new PerceptError(`The ONNX feature extractor for ${this.plan.label} was disposed.`);
    options.signal?.throwIfAborted();
    const indices = this.pairFeeds(batch, options.pairs);
    let taken: Float32Array | undefined;
    const input = this.plan.prepare(batch, (length) => {
      const i = this.inputs.findIndex((a) => a.length >= length);
      taken = i >= 0 ? this.inputs.splice(i, 1)[0] : new Float32Array(length);
      return taken.subarray(0, length);
    });
    const fetches = [...new Set([...this.plan.outputs.map((o) => o.output), ...this.plan.heads.flatMap((h) => h.outputs)])];
    const { outputs, input: returned } = await this.session.run(this.plan.inputName, input.data, input.shape, fetches, indices);
    // The array came back (as a new view after a worker round trip): keep its whole buffer.
    if (taken) this.keepInput(new Float32Array(returned.buffer as ArrayBuffer));
    options.signal?.throwIfAborted();
    const features: Features = { taps: {} };
    for (const o of this.plan.outputs) {
      const t = outputs[o.output];
      const host = this.toHost(o, t);
      if (o.kind === 'logits') features.logits = host;
      else features.taps[o.key] = host;
    }
    if (this.plan.heads.length) features.heads = Object.fromEntries(this.plan.heads.map((h) => [h.id, headResult(h, outputs)]));
    return features;
  }

  /** The pair inputs of the heads, checked against the batch. */
  private pairFeeds(batch: ImageBatch, pairs: ImagePairs | undefined): Record<string, Int32Array> | undefined {
    const inputs = this.plan.pairInputs;
    if (!inputs) return undefined;
    if (!pairs) throw new InputError(`The ONNX feature extractor for ${this.plan.label} computes distance heads (${this.heads.join(', ')}), so extract needs "pairs".`);
    const n = batch.shape[0];
    if (pairs.a.length !== pairs.b.length) throw new InputError(`extract: pairs.a has ${pairs.a.length} entries but pairs.b has ${pairs.b.length}.`);
    for (const side of [pairs.a, pairs.b]) {
      const bad = side.findIndex((i) => !(i >= 0 && i < n));
      if (bad >= 0) throw new InputError(`extract: pair ${bad} names image ${side[bad]}, but the batch has ${n} images.`);
    }
    return { [inputs.a]: pairs.a, [inputs.b]: pairs.b };
  }

  private keepInput(array: Float32Array): void {
    if (this.inputs.length < MAX_POOLED_INPUTS) {
      this.inputs.push(array);
      return;
    }
    // A full pool keeps its largest arrays, so a bigger batch does not allocate on every call.
    const smallest = this.inputs.reduce((k, a, i) => (a.length < this.inputs[k].length ? i : k), 0);
    if (this.inputs[smallest].length < array.length) this.inputs[smallest] = array;
  }

  private toHost(o: OutputPlan, t: SessionOutput): HostTensor {
    let data: Float32Array;
    if (t.type === 'float32') {
      data = t.data as Float32Array;
    } else if (t.type === 'uint8' || t.type === 'int8') {
      if (!o.quant) {
        throw new InputError(`Tensor "${o.output}" in ${this.plan.label} is ${t.type} but no scale/zero point was found for it, so it cannot be dequantized.`);
      }
      data = dequantize(t.data as Uint8Array | Int8Array, o.quant);
    } else if (t.type === 'float64' || t.type === 'int32' || t.type === 'int16' || t.type === 'uint16') {
      data = Float32Array.from(t.data as ArrayLike<number>);
    } else if (t.type === 'int64') {
      data = Float32Array.from(t.data as BigInt64Array, (v) => Number(v));
    } else {
      throw new InputError(`Tensor "${o.output}" in ${this.plan.label} has type ${t.type}; only numeric tensors can be features.`);
    }
    const dims = t.dims.map(Number);
    switch (dims.length) {
      case 4: return { data, shape: dims, layout: this.plan.mapLayout };
      // Token sequences [N, T, D] are reported as NHWC maps of height 1: D is the channel axis.
      case 3: return { data, shape: [dims[0], 1, dims[1], dims[2]], layout: 'NHWC' };
      case 2: return { data, shape: dims, layout: 'NC' };
      case 1: return { data, shape: dims, layout: 'N' };
      default:
        throw new InputError(`Tensor "${o.output}" in ${this.plan.label} has rank ${dims.length}; features must have rank 1 to 4.`);
    }
  }

  info(): EngineInfo {
    return { ...this.engine, notes: this.engine.notes ? [...this.engine.notes] : undefined };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }
}
