/**
 * Compiles a Percept IR graph (packages/backbones/src/ir.ts) to an ONNX model at opset 17.
 *
 * Preprocessing is compiled into the graph head: the model's input `input` takes NCHW float32 RGB
 * in [0,1] and the graph itself applies channel order, scale, mean and std. An exported file is then
 * self-contained (nobody has to know the backbone's normalisation to use it), and the JS side only
 * resizes and transposes NHWC to NCHW before the session runs.
 */
import { InputError, didYouMean, sizeOf } from '@percept/core';
import { inferShapes, type IRGraph, type IRNode, type IRModelSpec, type Preprocessing, type WeightMap, type WeightTensor } from '@percept/backbones';
import type { LpipsHeadSpec } from '@percept/core';
import { GraphBuilder, floatValueInfo, int32ValueInfo } from './builder.js';
import { emitLpipsHeads, PAIR_A, PAIR_B, type CompiledHead, type HeadTap } from './heads.js';
import { encodeModel, type OnnxModel } from './proto/onnx.js';

export const ONNX_OPSET = 17;
/** IR version 8 is what opset 17 shipped with (ONNX 1.12). */
export const ONNX_IR_VERSION = 8;
export const INPUT_NAME = 'input';

export interface CompileOptions {
  /** Tap names (or IR node ids) to expose as outputs. Empty/absent: every tap the graph declares. */
  taps?: readonly string[];
  /** Also output the logits (error when the graph has no head). */
  logits?: boolean;
  /** Preprocessing to compile into the head; null or absent leaves the input untouched. */
  preprocessing?: Preprocessing | null;
  /** Model doc string (e.g. weights provenance). */
  docString?: string;
  /** LPIPS heads over the taps (heads.ts); they add the int32 inputs `pair_a` and `pair_b`. */
  heads?: readonly LpipsHeadSpec[];
  /** false: no tap outputs (heads and logits only). Default true. */
  tapOutputs?: boolean;
}

export interface CompiledOutput {
  /** Tap name, or "logits". */
  key: string;
  kind: 'tap' | 'logits';
  /** The ONNX graph output name. */
  output: string;
  /** Rank of the tensor: 4 for NCHW maps, 3 for [N, T, D] tokens, 2 for [N, C]. */
  rank: number;
}

export interface CompiledModel {
  model: OnnxModel;
  inputName: string;
  /** Tap and logits outputs (no taps when compiled with `tapOutputs: false`). */
  outputs: CompiledOutput[];
  /** Every tap the model was compiled with, output or not, shallow to deep. */
  taps: string[];
  /** Distance heads and their per-layer outputs. */
  heads: CompiledHead[];
  /** The pair inputs the heads read, when there are heads. */
  pairInputs?: { a: string; b: string };
  /** Serialises the model (encoded on demand: large models are only copied when needed). */
  encode(): Uint8Array;
}

/** Compiles a loaded IR backbone with its own preprocessing in the head. */
export function compileModelSpec(spec: IRModelSpec, options: Omit<CompileOptions, 'preprocessing'> = {}): CompiledModel {
  return compileIR(spec.graph, spec.weights, { ...options, preprocessing: spec.preprocessing });
}

export function compileIR(graph: IRGraph, weights: WeightMap, options: CompileOptions = {}): CompiledModel {
  return new IRCompiler(graph, weights).compile(options);
}

/** True when preprocessing changes values (anything beyond resizing). */
export function hasNormalisation(p: Preprocessing): boolean {
  return p.channelOrder === 'BGR' || p.scale !== 1 || p.mean.some((m) => m !== 0) || p.std.some((s) => s !== 1);
}

/**
 * Emits channel order, scale, mean and std as Gather/Mul/Sub/Div on `input`, returning the
 * normalised tensor's name. `layout` says where the channel axis is.
 */
export function emitPreprocessing(b: GraphBuilder, input: string, p: Preprocessing, layout: 'NCHW' | 'NHWC', outName?: string): string {
  const axis = layout === 'NCHW' ? 1 : 3;
  const channelShape = layout === 'NCHW' ? [1, 3, 1, 1] : [3];
  const steps: Array<(x: string, out: string) => string> = [];
  if (p.channelOrder === 'BGR') steps.push((x, out) => b.node('Gather', [x, b.int64Const([2, 1, 0])], [out], { axis }));
  if (p.scale !== 1) steps.push((x, out) => b.node('Mul', [x, b.floatConst([p.scale], [])], [out]));
  if (p.mean.some((m) => m !== 0)) steps.push((x, out) => b.node('Sub', [x, b.floatConst([...p.mean], channelShape)], [out]));
  if (p.std.some((s) => s !== 1)) steps.push((x, out) => b.node('Div', [x, b.floatConst([...p.std], channelShape)], [out]));
  let x = input;
  steps.forEach((step, i) => {
    const last = i === steps.length - 1;
    x = step(x, last && outName ? outName : b.fresh(`preprocess/${i}`));
  });
  return x;
}

class IRCompiler {
  private readonly b = new GraphBuilder();
  /** IR tensor name -> ONNX tensor name. */
  private readonly tensor = new Map<string, string>();
  /** IR tensor name -> rank. */
  private readonly rank = new Map<string, number>();

  constructor(private readonly graph: IRGraph, private readonly weights: WeightMap) {}

  compile(options: CompileOptions): CompiledModel {
    const { graph, b } = this;
    b.reserve(INPUT_NAME);
    // Initializers keep their state-dict names; a node id that equals a parameter name (ViT's
    // `class_token` node reading the `class_token` parameter) gets a suffixed output name instead.
    for (const p of graph.params) b.reserve(p.name);
    for (const name of this.weights.keys()) b.reserve(name);
    const fixedSize = options.preprocessing?.size ?? null;
    const inputInfo = floatValueInfo(INPUT_NAME, ['N', graph.input.channels, fixedSize ? fixedSize[0] : 'H', fixedSize ? fixedSize[1] : 'W']);

    let head = INPUT_NAME;
    if (options.preprocessing && hasNormalisation(options.preprocessing)) {
      head = emitPreprocessing(b, INPUT_NAME, options.preprocessing, 'NCHW');
    }
    this.tensor.set(graph.input.name, head);
    this.rank.set(graph.input.name, 4);

    for (const node of graph.nodes) this.emit(node);

    const withHeads = (options.heads?.length ?? 0) > 0;
    if (withHeads) {
      b.reserve(PAIR_A);
      b.reserve(PAIR_B);
    }
    const all = this.outputs(options);
    const heads = withHeads ? emitLpipsHeads(b, options.heads!, this.headTaps(all, options.preprocessing?.size ?? null)) : [];
    const outputs = options.tapOutputs === false ? all.filter((o) => o.kind !== 'tap') : all;
    if (outputs.length === 0 && heads.length === 0) throw new InputError(`Backbone "${graph.name}" compiled with no outputs: ask for taps, logits or distance heads.`);
    const inputs = [inputInfo];
    if (withHeads) inputs.push(int32ValueInfo(PAIR_A, ['M']), int32ValueInfo(PAIR_B, ['M']));
    const model: OnnxModel = {
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'percept',
      producerVersion: '0.1.0',
      docString: options.docString,
      graph: b.graph(graph.name, inputs, [
        ...outputs.map((o) => floatValueInfo(o.output)),
        ...heads.flatMap((h) => h.outputs.map((o) => floatValueInfo(o, ['M']))),
      ]),
      unknown: [],
    };
    return {
      model, inputName: INPUT_NAME, outputs, heads, taps: all.filter((o) => o.kind === 'tap').map((o) => o.key),
      pairInputs: withHeads ? { a: PAIR_A, b: PAIR_B } : undefined,
      encode: () => encodeModel(model),
    };
  }

  /**
   * The taps heads may read, with their channel counts where shape inference can tell (at the
   * preprocessing size, or 64×64 when the backbone takes any size), so lin weights of the wrong
   * length fail at load with the layer's name.
   */
  private headTaps(outputs: readonly CompiledOutput[], size: readonly [number, number] | null): Map<string, HeadTap> {
    let shapes: Map<string, readonly number[]> | undefined;
    try {
      shapes = inferShapes(this.graph, [1, this.graph.input.channels, size?.[0] ?? 64, size?.[1] ?? 64]);
    } catch {
      shapes = undefined;
    }
    const taps = new Map<string, HeadTap>();
    for (const o of outputs) {
      if (o.kind !== 'tap') continue;
      const node = this.graph.taps[o.key]?.node ?? o.key;
      const shape = shapes?.get(node);
      const channels = shape ? shape[o.rank === 3 ? 2 : 1] : undefined;
      taps.set(o.key, { tensor: this.tensor.get(node)!, rank: o.rank, channels });
    }
    return taps;
  }

  private outputs(options: CompileOptions): CompiledOutput[] {
    const { graph, b } = this;
    const requested = options.taps && options.taps.length > 0 ? options.taps : Object.keys(graph.taps);
    const list: Array<{ key: string; kind: 'tap' | 'logits'; node: string }> = [];
    for (const tap of requested) {
      const spec = graph.taps[tap];
      if (spec) list.push({ key: tap, kind: 'tap', node: spec.node });
      else if (graph.nodes.some((n) => n.id === tap)) list.push({ key: tap, kind: 'tap', node: tap });
      else {
        const hint = didYouMean(tap, [...Object.keys(graph.taps), ...graph.nodes.map((n) => n.id)]);
        throw new InputError(
          `Backbone "${graph.name}" has no tap or node named "${tap}".${hint ? ` ${hint}` : ''}`,
          { hint: `Its taps are: ${Object.keys(graph.taps).join(', ') || '(none)'}.` },
        );
      }
    }
    if (options.logits) {
      if (!graph.logits) throw new InputError(`Backbone "${graph.name}" has no classifier head, so it has no logits to output.`);
      list.push({ key: 'logits', kind: 'logits', node: graph.logits });
    }
    const taken = new Set<string>();
    return list.map(({ key, kind, node }) => {
      const source = this.tensor.get(node);
      if (!source) throw new InputError(`Backbone "${graph.name}": tap "${key}" refers to node "${node}", which the graph does not define.`);
      // Graph outputs are named after the tap when possible; an Identity gives each output its own
      // name (two taps may share a node, and a tap name may clash with an internal tensor).
      let output = source;
      if (key !== source || taken.has(source) || source === INPUT_NAME) {
        output = b.node('Identity', [source], [b.fresh(b.isUsed(key) ? `${key}:out` : key)]);
      }
      taken.add(output);
      return { key, kind, output, rank: this.rank.get(node)! };
    });
  }

  private in(node: IRNode, i: number): string {
    const name = node.inputs[i];
    if (name === undefined) throw new InputError(`IR node "${node.id}" (${node.op}) needs input ${i}, but lists only ${node.inputs.length}.`);
    const t = this.tensor.get(name);
    if (!t) throw new InputError(`IR node "${node.id}" reads "${name}", which no earlier node produces (nodes must be in topological order).`);
    return t;
  }

  private inRank(node: IRNode, i = 0): number {
    return this.rank.get(node.inputs[i])!;
  }

  /** Adds a parameter as an initializer after checking its shape. */
  private param(node: IRNode, name: string, shape: readonly number[]): string {
    const w: WeightTensor | undefined = this.weights.get(name);
    if (!w) {
      throw new InputError(`Weights for "${this.graph.name}" lack "${name}" (shape [${shape.join(', ')}]), needed by node "${node.id}".`);
    }
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]) || w.data.length !== sizeOf(shape)) {
      throw new InputError(
        `Weight "${name}" has shape [${w.shape.join(', ')}] but node "${node.id}" (${node.op}) expects [${shape.join(', ')}].`,
      );
    }
    if (!this.b.initializers.some((t) => t.name === name)) this.b.floatInit(name, shape, w.data);
    return name;
  }

  private set(node: IRNode, out: string, rank: number): void {
    this.tensor.set(node.id, out);
    this.rank.set(node.id, rank);
  }

  private emit(node: IRNode): void {
    const { b } = this;
    const id = b.fresh(node.id);
    switch (node.op) {
      case 'conv2d': {
        const w = this.param(node, `${node.param}.weight`, [node.outChannels, node.inChannels / node.groups, node.kernel[0], node.kernel[1]]);
        const inputs = [this.in(node, 0), w];
        if (node.bias) inputs.push(this.param(node, `${node.param}.bias`, [node.outChannels]));
        b.node('Conv', inputs, [id], {
          kernel_shape: [...node.kernel], strides: [...node.stride], pads: [...node.pads],
          dilations: [...node.dilation], group: node.groups,
        });
        this.set(node, id, 4);
        return;
      }
      case 'batchnorm': {
        const c = [node.channels];
        b.node('BatchNormalization', [
          this.in(node, 0),
          this.param(node, `${node.param}.weight`, c), this.param(node, `${node.param}.bias`, c),
          this.param(node, `${node.param}.running_mean`, c), this.param(node, `${node.param}.running_var`, c),
        ], [id], { epsilon: { float: node.eps } });
        this.set(node, id, this.inRank(node));
        return;
      }
      case 'relu':
      case 'sigmoid':
        b.node(node.op === 'relu' ? 'Relu' : 'Sigmoid', [this.in(node, 0)], [id]);
        this.set(node, id, this.inRank(node));
        return;
      case 'gelu': {
        // Opset 17 has no Gelu: the exact (erf) form, as torch.nn.GELU() computes it.
        const x = this.in(node, 0);
        const scaled = b.op('Div', [x, b.floatConst([Math.SQRT2], [])], `${id}/div`);
        const erf = b.op('Erf', [scaled], `${id}/erf`);
        const onePlus = b.op('Add', [erf, b.floatConst([1], [])], `${id}/add`);
        const xTimes = b.op('Mul', [x, onePlus], `${id}/mul`);
        b.node('Mul', [xTimes, b.floatConst([0.5], [])], [id]);
        this.set(node, id, this.inRank(node));
        return;
      }
      case 'silu': {
        // Opset 17 has no SiLU/Swish: x·σ(x), as torch.nn.SiLU computes it.
        const x = this.in(node, 0);
        b.node('Mul', [x, b.op('Sigmoid', [x], `${id}/sigmoid`)], [id]);
        this.set(node, id, this.inRank(node));
        return;
      }
      case 'mul':
        // ONNX Mul broadcasts numpy-style, so SE's [N, C, 1, 1] scale needs no expand.
        b.node('Mul', [this.in(node, 0), this.in(node, 1)], [id]);
        this.set(node, id, Math.max(this.inRank(node, 0), this.inRank(node, 1)));
        return;
      case 'maxpool':
      case 'avgpool': {
        const attrs: Record<string, number | number[]> = {
          kernel_shape: [...node.kernel], strides: [...node.stride], pads: [...node.pads], ceil_mode: node.ceil ? 1 : 0,
        };
        if (node.op === 'avgpool') attrs.count_include_pad = node.countIncludePad === false ? 0 : 1;
        b.node(node.op === 'maxpool' ? 'MaxPool' : 'AveragePool', [this.in(node, 0)], [id], attrs);
        this.set(node, id, 4);
        return;
      }
      case 'globalavgpool':
        b.node('GlobalAveragePool', [this.in(node, 0)], [id]);
        this.set(node, id, 4);
        return;
      case 'add':
        b.node('Add', [this.in(node, 0), this.in(node, 1)], [id]);
        this.set(node, id, Math.max(this.inRank(node, 0), this.inRank(node, 1)));
        return;
      case 'concat':
        b.node('Concat', node.inputs.map((_, i) => this.in(node, i)), [id], { axis: 1 });
        this.set(node, id, this.inRank(node));
        return;
      case 'dense':
        this.dense(node, this.in(node, 0), this.inRank(node), node.param, node.inFeatures, node.outFeatures, node.bias, id);
        return;
      case 'flatten':
        b.node('Flatten', [this.in(node, 0)], [id], { axis: 1 });
        this.set(node, id, 2);
        return;
      case 'layernorm':
        b.node('LayerNormalization', [
          this.in(node, 0),
          this.param(node, `${node.param}.weight`, [node.features]),
          this.param(node, `${node.param}.bias`, [node.features]),
        ], [id], { axis: -1, epsilon: { float: node.eps } });
        this.set(node, id, this.inRank(node));
        return;
      case 'attention':
        this.attention(node, id);
        return;
      case 'patchembed': {
        const p = node.patch;
        const conv = b.op('Conv', [
          this.in(node, 0),
          this.param(node, `${node.param}.weight`, [node.dim, node.inChannels, p, p]),
          this.param(node, `${node.param}.bias`, [node.dim]),
        ], `${id}/conv`, { kernel_shape: [p, p], strides: [p, p], pads: [0, 0, 0, 0] });
        // [N, D, h, w] -> [N, D, h·w] -> [N, h·w, D]: tokens in row-major patch order, as torchvision.
        const flat = b.op('Reshape', [conv, b.int64Const([0, node.dim, -1])], `${id}/reshape`);
        b.node('Transpose', [flat], [id], { perm: [0, 2, 1] });
        this.set(node, id, 3);
        return;
      }
      case 'classtoken': {
        const x = this.in(node, 0);
        const token = this.param(node, node.param, [1, 1, node.dim]);
        const batch = b.op('Shape', [x], `${id}/batch`, { start: 0, end: 1 });
        const shape = b.op('Concat', [batch, b.int64Const([1, node.dim])], `${id}/shape`, { axis: 0 });
        const tokens = b.op('Expand', [token, shape], `${id}/expand`);
        b.node('Concat', [tokens, x], [id], { axis: 1 });
        this.set(node, id, 3);
        return;
      }
      case 'posembed':
        b.node('Add', [this.in(node, 0), this.param(node, node.param, [1, node.tokens, node.dim])], [id]);
        this.set(node, id, 3);
        return;
      case 'token':
        // A scalar index drops the token axis: [N, T, D] -> [N, D].
        b.node('Gather', [this.in(node, 0), b.int64Const([node.index], [])], [id], { axis: 1 });
        this.set(node, id, 2);
        return;
      case 'dropout':
      case 'stochasticdepth':
        // Inference graph: dropout and stochastic depth are the identity.
        b.node('Identity', [this.in(node, 0)], [id]);
        this.set(node, id, this.inRank(node));
        return;
      default: {
        const op = (node as { op: string }).op;
        throw new InputError(`IR node "${(node as IRNode).id}" has op "${op}", which backend-onnx cannot compile.`);
      }
    }
  }

  /** y = x Wᵀ + b: Gemm for [N, C]; MatMul + Add for [N, T, D]. */
  private dense(node: IRNode, x: string, rank: number, param: string, inF: number, outF: number, bias: boolean, out: string): void {
    const { b } = this;
    const w = this.param(node, `${param}.weight`, [outF, inF]);
    const bName = bias ? this.param(node, `${param}.bias`, [outF]) : undefined;
    if (rank === 2) {
      b.node('Gemm', bName ? [x, w, bName] : [x, w], [out], { transB: 1 });
    } else {
      // The transpose of an initializer is constant-folded by onnxruntime when the session loads.
      const wt = b.op('Transpose', [w], `${param}.weight/T`, { perm: [1, 0] });
      if (bName) {
        const mm = b.op('MatMul', [x, wt], `${out}/matmul`);
        b.node('Add', [mm, bName], [out]);
      } else {
        b.node('MatMul', [x, wt], [out]);
      }
    }
    this.tensor.set(node.id, out);
    this.rank.set(node.id, rank);
  }

  /**
   * torch.nn.MultiheadAttention (self-attention, no mask, eval mode): one packed in-projection
   * split into q, k, v; softmax(q kᵀ / √(D/heads)) v per head; then the out-projection.
   */
  private attention(node: IRNode & { op: 'attention' }, id: string): void {
    const { b } = this;
    const { dim, heads, param } = node;
    if (dim % heads !== 0) throw new InputError(`Attention node "${id}": dim ${dim} is not divisible by ${heads} heads.`);
    const headDim = dim / heads;
    const x = this.in(node, 0);
    const inW = this.param(node, `${param}.in_proj_weight`, [3 * dim, dim]);
    const inB = this.param(node, `${param}.in_proj_bias`, [3 * dim]);
    const inWT = b.op('Transpose', [inW], `${param}.in_proj_weight/T`, { perm: [1, 0] });
    const qkv = b.op('Add', [b.op('MatMul', [x, inWT], `${id}/qkv_mm`), inB], `${id}/qkv`);
    const [q, k, v] = [b.fresh(`${id}/q`), b.fresh(`${id}/k`), b.fresh(`${id}/v`)];
    b.node('Split', [qkv, b.int64Const([dim, dim, dim])], [q, k, v], { axis: -1 });
    const split = b.int64Const([0, 0, heads, headDim]);
    // q -> [N, H, T, Dh] (scaled); k -> [N, H, Dh, T]; v -> [N, H, T, Dh].
    const qh = b.op('Transpose', [b.op('Reshape', [q, split], `${id}/q_heads`)], `${id}/q_t`, { perm: [0, 2, 1, 3] });
    const qs = b.op('Mul', [qh, b.floatConst([1 / Math.sqrt(headDim)], [])], `${id}/q_scaled`);
    const kh = b.op('Transpose', [b.op('Reshape', [k, split], `${id}/k_heads`)], `${id}/k_t`, { perm: [0, 2, 3, 1] });
    const vh = b.op('Transpose', [b.op('Reshape', [v, split], `${id}/v_heads`)], `${id}/v_t`, { perm: [0, 2, 1, 3] });
    const scores = b.op('MatMul', [qs, kh], `${id}/scores`);
    const weights = b.op('Softmax', [scores], `${id}/softmax`, { axis: -1 });
    const ctx = b.op('MatMul', [weights, vh], `${id}/context`);
    const merged = b.op('Reshape', [b.op('Transpose', [ctx], `${id}/context_t`, { perm: [0, 2, 1, 3] }), b.int64Const([0, 0, dim])], `${id}/merged`);
    this.dense(node, merged, 3, `${param}.out_proj`, dim, dim, true, id);
  }
}
