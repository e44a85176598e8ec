/**
 * OnnxBackend: runs Percept IR backbones (compiled to ONNX) and users' ONNX files on onnxruntime-node.
 *
 * Where preprocessing happens:
 * - IR backbones: channel order, scale, mean and std are compiled into the graph head (see compile.ts);
 *   JS only resizes/crops and transposes to NCHW.
 * - User ONNX files: the file's input contract is the user's, so we leave the graph's input alone and
 *   apply the declared preprocessing in JS with @percept/images' `preprocess`, in the file's layout.
 */
import * as ort from 'onnxruntime-node';
import {
  InputError, PerceptError,
  type Backend, type EngineInfo, type FeatureExtractor, type Features, type HostTensor, type ImageBatch,
  type LoadOptions, type ModelSpec,
} from '@percept/core';
import type { FileModelSpec, IRModelSpec, Preprocessing } from '@percept/backbones';
import { preprocess } from '@percept/images';
import { compileModelSpec } from './compile.js';
import { readOnnxFile, tapOnnxModel } from './file-model.js';
import { dequantize, type QuantParams } from './quant.js';
import { ENGINE, engineVersion, openSession, supportedProviders, type OnnxSessionOptions } from './session.js';
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
  prepare(batch: ImageBatch, scratch: InputScratch): ort.Tensor;
  outputs: OutputPlan[];
  /** Layout to report for rank-4 outputs. */
  mapLayout: 'NCHW' | 'NHWC';
}

/** Geometry only: the IR graph head does the normalisation. */
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
    const compiled = compileModelSpec(spec, { taps: options.taps, logits: options.logits });
    const { session, info } = await openSession(compiled.encode(), this.options, `backbone "${spec.name}"`);
    const geometry = geometryOnly(spec.preprocessing);
    return new OnnxFeatureExtractor(session, info, {
      label: `backbone "${spec.name}"`,
      inputName: compiled.inputName,
      prepare: (batch, scratch) => {
        const t = preprocess(batch, geometry, 'NCHW', scratch);
        return new ort.Tensor('float32', t.data, t.shape);
      },
      outputs: compiled.outputs.map((o) => ({ key: o.key, kind: o.kind, output: o.output })),
      mapLayout: 'NCHW',
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
    const outputs: OutputPlan[] = tapped.taps.map((t) => ({ key: t, kind: 'tap', output: t, quant: tapped.quant.get(t) }));
    if (tapped.logits) outputs.push({ key: 'logits', kind: 'logits', output: tapped.logits, quant: tapped.quant.get(tapped.logits) });
    return new OnnxFeatureExtractor(session, info, {
      label: spec.path,
      inputName: tapped.inputName,
      prepare: (batch, scratch) => {
        const t = preprocess(batch, spec.preprocessing, spec.inputLayout, scratch);
        return new ort.Tensor('float32', t.data, t.shape);
      },
      outputs,
      mapLayout: spec.inputLayout,
    });
  }
}

/** Offers an array of `length` floats for the input tensor, or undefined for a new one. */
type InputScratch = (length: number) => Float32Array | undefined;

export class OnnxFeatureExtractor implements FeatureExtractor {
  readonly taps: readonly string[];
  private disposed = false;
  /**
   * The input tensor's array, kept from one batch to the next: a batch of 150 64×64 images is
   * 7 MB, and faulting in a fresh allocation of that size per batch cost more than filling it.
   * The session reads it only during `run`, so one buffer serves every call that does not
   * overlap another (overlapping calls get their own arrays).
   */
  private input?: Float32Array;
  private inputBusy = false;

  constructor(private readonly session: ort.InferenceSession, private readonly engine: EngineInfo, private readonly plan: ExtractorPlan) {
    this.taps = plan.outputs.filter((o) => o.kind === 'tap').map((o) => o.key);
  }

  async extract(batch: ImageBatch, options: { signal?: AbortSignal } = {}): Promise<Features> {
    if (this.disposed) throw new PerceptError(`The ONNX feature extractor for ${this.plan.label} was disposed.`);
    options.signal?.throwIfAborted();
    const reuse = !this.inputBusy;
    const input = this.plan.prepare(batch, (length) => {
      if (!reuse) return undefined;
      if (!this.input || this.input.length < length) this.input = new Float32Array(length);
      return this.input.subarray(0, length);
    });
    const fetches = [...new Set(this.plan.outputs.map((o) => o.output))];
    let results: ort.InferenceSession.ReturnType;
    if (reuse) this.inputBusy = true;
    try {
      results = await this.session.run({ [this.plan.inputName]: input }, fetches);
    } finally {
      if (reuse) this.inputBusy = false;
    }
    options.signal?.throwIfAborted();
    const features: Features = { taps: {} };
    for (const o of this.plan.outputs) {
      const t = results[o.output];
      const host = this.toHost(o, t);
      if (o.kind === 'logits') features.logits = host;
      else features.taps[o.key] = host;
    }
    return features;
  }

  private toHost(o: OutputPlan, t: ort.Tensor): HostTensor {
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
