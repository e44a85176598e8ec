/**
 * Compiles an IR graph (PyTorch semantics, NCHW) into a TensorFlow.js program (NHWC). Weights are
 * converted once and owned by the compiled model; running it creates only intermediates, all of
 * which are released before `run` returns except the outputs the caller asked for.
 *
 * Layout rules: rank-4 activations are NHWC images, so the IR's channel axis 1 becomes axis 3;
 * rank-2 [N, C] and rank-3 [N, T, D] tensors are identical in both frameworks.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '@percept/core';
import type { ConvNode, IRGraph, IRNode, WeightMap, WeightTensor } from '@percept/backbones';
import { checkWeights, graphParams, hostToTfjsLayout, toTfjsLayout, toTorchLayout, type ParamUse } from './params.js';
import { conv2d } from './ops/conv.js';
import { globalAvgPool, pool2d } from './ops/pool.js';
import { batchNormInference, batchNormTraining } from './ops/batchnorm.js';
import { dense, gelu, layerNorm, selfAttention } from './ops/transformer.js';
import { silu } from './ops/activation.js';
import { seededDropout, seededStochasticDepth, type DropoutSeed } from './ops/dropout.js';
import { SeededRandom } from '@percept/backbones';

export interface CompileOptions {
  /**
   * Compile for training: parameters become tf.Variables (batch-norm running statistics are
   * non-trainable variables) so optimizers can update them. Inference-only models keep plain tensors.
   */
  training?: boolean;
  /**
   * Inference fusion (default false; ignored when training): a conv whose only reader is a batch
   * norm runs with the norm folded into its kernel and bias (W·γ/√(σ²+ε), (b−μ)·γ/√(σ²+ε)+β),
   * and a ReLU that only reads it runs inside the same kernel. A run that asks for the output of
   * a folded conv or norm falls back to the unfused ops for that group. Off by default because
   * it keeps a second copy of the folded kernels and, on the wasm engine (XNNPACK), measured no
   * faster (alternating A/B runs of ResNet-18); it is there for engines whose fused kernels pay off.
   */
  fuse?: boolean;
}

export interface RunOptions {
  /** Training-mode semantics for this call: dropout active, batch norm on batch statistics (updating running stats). Needs a model compiled with `training: true`. */
  training?: boolean;
  /**
   * Seeds the dropout masks of a training-mode run: dropout node n draws its mask from
   * SeededRandom(seed, `${stream}:${n.id}`), so a run is reproducible and resumable (a trainer
   * passes its run seed and a stream naming the step). Stochastic-depth nodes draw their per-sample
   * masks the same way. Required when a training-mode run meets a dropout or stochastic-depth node
   * with rate > 0; ignored outside training mode, where both are the identity.
   */
  dropoutSeed?: DropoutSeed;
}

export interface CompiledModel {
  readonly graph: IRGraph;
  readonly training: boolean;
  /**
   * Runs the graph on an NHWC float32 input (already preprocessed) and returns the outputs of
   * the requested nodes, in tfjs layout. The caller owns (and must dispose) the returned tensors.
   */
  run(input: tf.Tensor4D, outputs: readonly string[], options?: RunOptions): Record<string, tf.Tensor>;
  /** Parameters in tfjs layout, by PyTorch name. */
  readonly params: ReadonlyMap<string, tf.Tensor>;
  /** Trainable variables (empty unless compiled for training). */
  trainableVariables(): tf.Variable[];
  /** Current parameter values back in PyTorch layout, e.g. to save a checkpoint after training. */
  exportWeights(): Promise<Map<string, WeightTensor>>;
  dispose(): void;
}

export function compileGraph(graph: IRGraph, weights: WeightMap, options: CompileOptions = {}): CompiledModel {
  validateGraph(graph);
  const uses = graphParams(graph);
  checkWeights(graph, weights, uses);
  const training = options.training ?? false;
  const params = new Map<string, tf.Tensor>();
  const layouts = new Map<string, ParamUse>();
  try {
    for (const use of uses) {
      const t = toTfjsLayout(weights.get(use.name)!, use.layout);
      if (training) {
        params.set(use.name, tf.variable(t, use.trainable));
        t.dispose();
      } else {
        params.set(use.name, t);
      }
      layouts.set(use.name, use);
    }
  } catch (err) {
    for (const t of params.values()) t.dispose();
    throw err;
  }
  let fusions = new Map<string, Fusion>();
  if (!training && options.fuse === true) {
    try {
      fusions = planFusions(graph, weights);
    } catch (err) {
      for (const t of params.values()) t.dispose();
      throw err;
    }
  }
  return new Compiled(graph, params, layouts, training, fusions);
}

/** A conv → batchnorm (→ relu) chain computed by one fused kernel. */
interface Fusion {
  /** The nodes folded into the conv, in order; the last one receives the fused output. */
  absorbed: string[];
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
  activation: 'linear' | 'relu';
}

function planFusions(graph: IRGraph, weights: WeightMap): Map<string, Fusion> {
  const readers = new Map<string, IRNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const soleReader = (id: string): IRNode | undefined => {
    const r = readers.get(id);
    return r && r.length === 1 && r[0].inputs.length === 1 ? r[0] : undefined;
  };
  const host = (name: string) => weights.get(name)!.data;
  const out = new Map<string, Fusion>();
  try {
    for (const node of graph.nodes) {
      if (node.op !== 'conv2d') continue;
      const bn = soleReader(node.id);
      if (!bn || bn.op !== 'batchnorm') continue;
      const relu = soleReader(bn.id);
      const useRelu = relu?.op === 'relu';
      // Folded on the host in float64, then uploaded once.
      const gamma = host(`${bn.param}.weight`), beta = host(`${bn.param}.bias`);
      const mean = host(`${bn.param}.running_mean`), variance = host(`${bn.param}.running_var`);
      const bias0 = node.bias ? host(`${node.param}.bias`) : undefined;
      const o = node.outChannels;
      const scale = new Float64Array(o);
      const shift = new Float32Array(o);
      for (let c = 0; c < o; c++) {
        scale[c] = gamma[c] / Math.sqrt(variance[c] + bn.eps);
        shift[c] = ((bias0?.[c] ?? 0) - mean[c]) * scale[c] + beta[c];
      }
      const k = hostToTfjsLayout(weights.get(`${node.param}.weight`)!, 'oihw');
      const folded = new Float32Array(k.data.length);
      // HWIO keeps output channels last and contiguous.
      for (let j = 0; j < folded.length; j++) folded[j] = k.data[j] * scale[j % o];
      out.set(node.id, {
        absorbed: useRelu ? [bn.id, relu!.id] : [bn.id],
        kernel: tf.tensor4d(folded, k.shape as [number, number, number, number]),
        bias: tf.tensor1d(shift),
        activation: useRelu ? 'relu' : 'linear',
      });
    }
  } catch (err) {
    for (const f of out.values()) tf.dispose([f.kernel, f.bias]);
    throw err;
  }
  return out;
}

/** Structural checks a backend needs before it can trust the graph: ids, inputs, order. */
function validateGraph(graph: IRGraph): void {
  const known = new Set<string>([graph.input.name]);
  for (const node of graph.nodes) {
    if (known.has(node.id)) throw new InputError(`graph "${graph.name}": node id "${node.id}" is defined twice`);
    for (const inp of node.inputs) {
      if (!known.has(inp)) {
        throw new InputError(`graph "${graph.name}": node "${node.id}" reads "${inp}", which is not the graph input or an earlier node`);
      }
    }
    const arity = expectedArity(node);
    if (arity !== undefined && node.inputs.length !== arity) {
      throw new InputError(`graph "${graph.name}": node "${node.id}" (${node.op}) has ${node.inputs.length} inputs, expected ${arity}`);
    }
    if (node.op === 'concat' || node.op === 'add') {
      if (node.inputs.length < 2) throw new InputError(`graph "${graph.name}": node "${node.id}" (${node.op}) needs at least 2 inputs`);
    }
    if (node.op === 'conv2d' && (node.inChannels % node.groups !== 0 || node.outChannels % node.groups !== 0)) {
      throw new InputError(`graph "${graph.name}": conv "${node.id}" has ${node.inChannels}→${node.outChannels} channels, not divisible by groups=${node.groups}`);
    }
    if (node.op === 'attention' && node.dim % node.heads !== 0) {
      throw new InputError(`graph "${graph.name}": attention "${node.id}" has dim ${node.dim} not divisible by ${node.heads} heads`);
    }
    known.add(node.id);
  }
  for (const [tap, spec] of Object.entries(graph.taps)) {
    if (!known.has(spec.node)) throw new InputError(`graph "${graph.name}": tap "${tap}" refers to unknown node "${spec.node}"`);
  }
  if (graph.logits !== undefined && !known.has(graph.logits)) {
    throw new InputError(`graph "${graph.name}": logits refer to unknown node "${graph.logits}"`);
  }
}

function expectedArity(node: IRNode): number | undefined {
  if (node.op === 'mul') return 2;
  return node.op === 'add' || node.op === 'concat' ? undefined : 1;
}

class Compiled implements CompiledModel {
  private disposed = false;
  private readonly order: Map<string, number>;

  constructor(
    readonly graph: IRGraph,
    readonly params: Map<string, tf.Tensor>,
    private readonly layouts: Map<string, ParamUse>,
    readonly training: boolean,
    private readonly fusions: Map<string, Fusion>,
  ) {
    this.order = new Map(graph.nodes.map((n, i) => [n.id, i]));
  }

  run(input: tf.Tensor4D, outputs: readonly string[], options: RunOptions = {}): Record<string, tf.Tensor> {
    if (this.disposed) throw new InputError(`model "${this.graph.name}" was disposed`);
    const trainMode = options.training ?? false;
    if (trainMode && !this.training) {
      throw new InputError(`model "${this.graph.name}": training-mode run needs a model compiled with { training: true }`);
    }
    const dropoutSeed = trainMode ? options.dropoutSeed : undefined;
    if (dropoutSeed && !(Number.isInteger(dropoutSeed.seed) && dropoutSeed.seed >= 0 && dropoutSeed.seed <= 0xffffffff)) {
      throw new InputError(`model "${this.graph.name}": run option "dropoutSeed.seed" must be an integer in [0, 2^32), got ${dropoutSeed.seed}`);
    }
    if (input.rank !== 4 || input.shape[3] !== this.graph.input.channels) {
      throw new InputError(`model "${this.graph.name}": input "${this.graph.input.name}" has shape [${input.shape.join(', ')}], expected NHWC [N, H, W, ${this.graph.input.channels}]`);
    }
    let last = -1;
    for (const name of outputs) {
      const idx = name === this.graph.input.name ? -1 : this.order.get(name);
      if (idx === undefined) throw new InputError(`model "${this.graph.name}": no node named "${name}"`);
      last = Math.max(last, idx);
    }
    const wanted = new Set(outputs);
    // Free each intermediate as soon as its last reader has run, so peak memory stays near one
    // block's worth instead of the whole network's.
    const lastUse = new Map<string, number>();
    this.graph.nodes.forEach((n, i) => { for (const inp of n.inputs) lastUse.set(inp, i); });

    return tf.tidy(() => {
      const values = new Map<string, tf.Tensor>([[this.graph.input.name, input]]);
      const skip = new Set<string>();
      for (let i = 0; i <= last; i++) {
        const node = this.graph.nodes[i];
        if (skip.has(node.id)) continue;
        const args = node.inputs.map((id) => values.get(id)!);
        let out: tf.Tensor;
        let outId = node.id;
        try {
          const fusion = node.op === 'conv2d' && !trainMode ? this.fusions.get(node.id) : undefined;
          // Fuse only when nobody asked for an intermediate the fused kernel never materialises.
          if (fusion && !wanted.has(node.id) && fusion.absorbed.slice(0, -1).every((id) => !wanted.has(id))) {
            out = conv2d(expectRank(args[0], 4, node), fusion.kernel, fusion.bias, node as ConvNode, fusion.activation);
            outId = fusion.absorbed[fusion.absorbed.length - 1];
            for (const id of fusion.absorbed) skip.add(id);
          } else {
            out = this.apply(node, args, trainMode, dropoutSeed);
          }
        } catch (err) {
          if (err instanceof InputError) throw err;
          const shapes = args.map((a) => `[${a.shape.join(', ')}]`).join(', ');
          throw new InputError(`model "${this.graph.name}": node "${node.id}" (${node.op}) failed on input ${shapes}: ${(err as Error).message}`, { cause: err });
        }
        values.set(outId, out);
        for (const id of node.inputs) {
          if (lastUse.get(id) === i && !wanted.has(id) && id !== this.graph.input.name) values.get(id)?.dispose();
        }
      }
      const result: Record<string, tf.Tensor> = {};
      for (const name of outputs) result[name] = name === this.graph.input.name ? tf.clone(input) : values.get(name)!;
      return result;
    });
  }

  private p<T extends tf.Tensor>(name: string): T {
    return this.params.get(name) as T;
  }

  private apply(node: IRNode, args: tf.Tensor[], train: boolean, dropoutSeed: DropoutSeed | undefined): tf.Tensor {
    const x = args[0];
    switch (node.op) {
      case 'conv2d':
        return conv2d(expectRank(x, 4, node), this.p(`${node.param}.weight`), node.bias ? this.p(`${node.param}.bias`) : undefined, node);
      case 'batchnorm': {
        const state = {
          gamma: this.p<tf.Tensor1D>(`${node.param}.weight`),
          beta: this.p<tf.Tensor1D>(`${node.param}.bias`),
          mean: this.p<tf.Tensor1D>(`${node.param}.running_mean`),
          variance: this.p<tf.Tensor1D>(`${node.param}.running_var`),
        };
        return train ? batchNormTraining(x, state, node.eps, node.momentum) : batchNormInference(x, state, node.eps);
      }
      case 'relu':
        return tf.relu(x);
      case 'gelu':
        return gelu(x);
      case 'silu':
        return silu(x);
      case 'sigmoid':
        return tf.sigmoid(x);
      case 'mul':
        // Broadcasts size-1 axes (SE's [N, 1, 1, C] scale against [N, H, W, C]); NCHW→NHWC permutes
        // both operands alike, so what broadcasts in the IR broadcasts here.
        return tf.mul(x, args[1]);
      case 'maxpool':
      case 'avgpool':
        return pool2d(expectRank(x, 4, node), node);
      case 'globalavgpool':
        return globalAvgPool(expectRank(x, 4, node));
      case 'add':
        return args.slice(1).reduce((acc, t) => tf.add(acc, t), x);
      case 'concat':
        // The IR concatenates on PyTorch's axis 1: channels, which NHWC keeps last.
        return tf.concat(args, x.rank === 4 ? 3 : 1);
      case 'dense':
        return dense(x, this.p(`${node.param}.weight`), node.bias ? this.p(`${node.param}.bias`) : undefined);
      case 'flatten':
        return flattenTorchOrder(x);
      case 'layernorm':
        return layerNorm(x, this.p(`${node.param}.weight`), this.p(`${node.param}.bias`), node.eps);
      case 'attention':
        return selfAttention(expectRank(x, 3, node), {
          inW: this.p(`${node.param}.in_proj_weight`),
          inB: this.p(`${node.param}.in_proj_bias`),
          outW: this.p(`${node.param}.out_proj.weight`),
          outB: this.p(`${node.param}.out_proj.bias`),
        }, node.heads);
      case 'patchembed': {
        const img = expectRank(x, 4, node);
        const y = tf.add(
          tf.conv2d(img as tf.Tensor4D, this.p<tf.Tensor4D>(`${node.param}.weight`), node.patch, 'valid'),
          this.p<tf.Tensor1D>(`${node.param}.bias`),
        ) as tf.Tensor4D;
        // NHWC [N, h, w, D] is already row-major patch order: just merge h and w.
        return tf.reshape(y, [y.shape[0], y.shape[1] * y.shape[2], node.dim]);
      }
      case 'classtoken': {
        const seq = expectRank(x, 3, node);
        const tok = tf.tile(this.p<tf.Tensor3D>(node.param), [seq.shape[0], 1, 1]);
        return tf.concat([tok, seq], 1);
      }
      case 'posembed': {
        const seq = expectRank(x, 3, node);
        if (seq.shape[1] !== node.tokens) {
          throw new InputError(`model "${this.graph.name}": node "${node.id}" (posembed) got ${seq.shape[1]} tokens, expected ${node.tokens}; the input size must match the size the position embedding was trained for`);
        }
        return tf.add(seq, this.p(node.param));
      }
      case 'token': {
        const seq = expectRank(x, 3, node);
        const [n, t, d] = seq.shape;
        if (node.index < 0 || node.index >= t) throw new InputError(`model "${this.graph.name}": node "${node.id}" selects token ${node.index} of ${t}`);
        return tf.reshape(tf.slice(seq, [0, node.index, 0], [n, 1, d]), [n, d]);
      }
      case 'dropout':
        // A clone, not x itself: each node must own its tensor because intermediates are
        // disposed individually after their last reader.
        if (!train || node.rate <= 0) return tf.clone(x);
        if (!dropoutSeed) {
          throw new InputError(`model "${this.graph.name}": dropout node "${node.id}" (rate ${node.rate}) is active in a training-mode run, but the run has no "dropoutSeed"`, {
            hint: 'pass run options { training: true, dropoutSeed: { seed, stream } } (e.g. the run seed and the step) so the masks are reproducible',
          });
        }
        return seededDropout(x, node.rate, new SeededRandom(dropoutSeed.seed, `${dropoutSeed.stream}:${node.id}`));
      case 'stochasticdepth':
        if (!train || node.rate <= 0) return tf.clone(x);
        if (!dropoutSeed) {
          throw new InputError(`model "${this.graph.name}": stochastic-depth node "${node.id}" (rate ${node.rate}) is active in a training-mode run, but the run has no "dropoutSeed"`, {
            hint: 'pass run options { training: true, dropoutSeed: { seed, stream } } (e.g. the run seed and the step) so the masks are reproducible',
          });
        }
        return seededStochasticDepth(x, node.rate, new SeededRandom(dropoutSeed.seed, `${dropoutSeed.stream}:${node.id}`));
      default: {
        const never: never = node;
        throw new InputError(`model "${this.graph.name}": unsupported op "${(never as IRNode).op}"`);
      }
    }
  }

  trainableVariables(): tf.Variable[] {
    return [...this.params.values()].filter((t): t is tf.Variable => t instanceof tf.Variable && t.trainable);
  }

  async exportWeights(): Promise<Map<string, WeightTensor>> {
    const out = new Map<string, WeightTensor>();
    for (const [name, t] of this.params) out.set(name, await toTorchLayout(t, this.layouts.get(name)!.layout));
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.params.values()) t.dispose();
    for (const f of this.fusions.values()) tf.dispose([f.kernel, f.bias]);
    this.params.clear();
    this.fusions.clear();
  }
}

function expectRank<R extends tf.Rank>(x: tf.Tensor, rank: number, node: IRNode): tf.Tensor<R> {
  if (x.rank !== rank) {
    throw new InputError(`node "${node.id}" (${node.op}) expects a rank-${rank} input, got shape [${x.shape.join(', ')}]`);
  }
  return x as tf.Tensor<R>;
}

/**
 * PyTorch flattens NCHW in C-major order (c·H·W + h·W + w); NHWC memory is H-major, so the
 * tensor goes back to NCHW before the reshape. Anything of rank ≤ 2 is already flat.
 */
export function flattenTorchOrder(x: tf.Tensor): tf.Tensor {
  if (x.rank <= 2) return tf.clone(x);
  const n = x.shape[0];
  const chw = x.rank === 4 ? tf.transpose(x, [0, 3, 1, 2]) : x;
  return tf.reshape(chw, [n, -1]);
}
