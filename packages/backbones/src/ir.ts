/**
 * The backend-neutral layer graph (IR). Architectures are written once as an IRGraph; each backend
 * compiles it (backend-onnx to an ONNX graph, backend-tfjs to TensorFlow.js ops).
 *
 * Semantics follow PyTorch: activations are NCHW for images and [N, T, D] for token sequences,
 * conv weights are OIHW and dense weights are [out, in], exactly as torchvision/timm store them,
 * so a real state dict maps onto `params` by name with no conversion. Backends that prefer other
 * layouts (tfjs: NHWC, HWIO) transpose while compiling.
 *
 * Every node names its single output after its `id`; inputs refer to earlier node ids or to
 * `IRGraph.input.name`. Nodes are listed in topological order.
 */
import type { ModelSpec } from '@percept/core';

/** [top, left, bottom, right], as explicit as ONNX's pads. */
export type Pads4 = readonly [number, number, number, number];
export type Pair = readonly [number, number];

export interface ConvNode {
  op: 'conv2d';
  /** Parameter prefix: weight `${param}.weight` [O, I/groups, kh, kw]; bias `${param}.bias` [O] when `bias`. */
  param: string;
  inChannels: number;
  outChannels: number;
  kernel: Pair;
  stride: Pair;
  pads: Pads4;
  dilation: Pair;
  groups: number;
  bias: boolean;
}

export interface BatchNormNode {
  op: 'batchnorm';
  /** `${param}.weight`, `.bias`, `.running_mean`, `.running_var` (and unused `.num_batches_tracked`). */
  param: string;
  channels: number;
  eps: number;
  /** Momentum for training-mode running-stat updates (PyTorch convention: new = (1-m)·old + m·batch). */
  momentum: number;
}

/** Element-wise activations. `silu` is x·σ(x) (torch.nn.SiLU, "swish"); `sigmoid` is σ(x) = 1/(1+e^−x). */
export interface ActivationNode { op: 'relu' | 'gelu' | 'silu' | 'sigmoid' }

export interface PoolNode {
  op: 'maxpool' | 'avgpool';
  kernel: Pair;
  stride: Pair;
  pads: Pads4;
  ceil: boolean;
  /** avgpool only: whether zero padding counts in the divisor (PyTorch default true). */
  countIncludePad?: boolean;
}

/** Mean over H and W, keeping [N, C, 1, 1]. */
export interface GlobalPoolNode { op: 'globalavgpool' }

export interface AddNode { op: 'add' }
/**
 * Element-wise product of two tensors of the same rank whose axes agree or are 1 in one of them
 * (broadcasting), e.g. squeeze-and-excitation's [N, C, 1, 1] scale times its [N, C, H, W] input.
 */
export interface MulNode { op: 'mul' }
/** Concatenation along the channel axis (axis 1 in NCHW). */
export interface ConcatNode { op: 'concat' }

/** y = x Wᵀ + b over the last axis. Weight `${param}.weight` [out, in], bias `${param}.bias`. */
export interface DenseNode {
  op: 'dense';
  param: string;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
}

/** [N, C, H, W] -> [N, C·H·W] in PyTorch (C-major) order. */
export interface FlattenNode { op: 'flatten' }

/** Layer norm over the last axis. `${param}.weight`, `${param}.bias`. */
export interface LayerNormNode {
  op: 'layernorm';
  param: string;
  features: number;
  eps: number;
}

/**
 * Multi-head self-attention on [N, T, D], torchvision `nn.MultiheadAttention` parameters:
 * `${param}.in_proj_weight` [3D, D], `${param}.in_proj_bias` [3D],
 * `${param}.out_proj.weight` [D, D], `${param}.out_proj.bias` [D].
 */
export interface AttentionNode {
  op: 'attention';
  param: string;
  dim: number;
  heads: number;
}

/**
 * Patch embedding: conv with kernel = stride = patch, then [N, D, h, w] -> [N, h·w, D]
 * (row-major patch order). Weight `${param}.weight` [D, 3, p, p], bias `${param}.bias`.
 */
export interface PatchEmbedNode {
  op: 'patchembed';
  param: string;
  inChannels: number;
  dim: number;
  patch: number;
}

/** Prepends a learned token: [N, T, D] -> [N, T+1, D]. Parameter `param` has shape [1, 1, D]. */
export interface ClassTokenNode { op: 'classtoken'; param: string; dim: number }

/** Adds a learned position embedding. Parameter `param` has shape [1, T, D]. */
export interface PosEmbedNode { op: 'posembed'; param: string; tokens: number; dim: number }

/** Selects one token: [N, T, D] -> [N, D]. */
export interface TokenNode { op: 'token'; index: number }

/** Dropout: active only when a backend compiles for training. */
export interface DropoutNode { op: 'dropout'; rate: number }

/**
 * Stochastic depth, torchvision.ops.StochasticDepth(rate, "row"): in a training-mode run each sample
 * of the batch is zeroed with probability `rate`, else scaled by 1/(1−rate); the identity otherwise.
 * Sits on a residual branch just before its add.
 */
export interface StochasticDepthNode { op: 'stochasticdepth'; rate: number }

export type IROp =
  | ConvNode | BatchNormNode | ActivationNode | PoolNode | GlobalPoolNode | AddNode | ConcatNode
  | DenseNode | FlattenNode | LayerNormNode | AttentionNode | PatchEmbedNode | ClassTokenNode
  | PosEmbedNode | TokenNode | DropoutNode | MulNode | StochasticDepthNode;

export type IRNode = IROp & {
  /** Unique node id; also the name of its output tensor. */
  id: string;
  inputs: readonly string[];
};

export type ParamRole = 'weight' | 'bias' | 'bn-weight' | 'bn-bias' | 'bn-mean' | 'bn-var' | 'bn-count' | 'embedding';

export interface ParamSpec {
  name: string;
  shape: readonly number[];
  role: ParamRole;
  /** Present in real checkpoints but not used for inference (e.g. `num_batches_tracked`). */
  optional?: boolean;
}

export interface TapSpec {
  /** The node whose output is tapped. */
  node: string;
  /** What this tap means, e.g. "relu1: after conv1's ReLU" or "reduction stage 2 (8×8 at 64×64)". */
  description: string;
}

export interface IRGraph {
  name: string;
  input: { name: string; channels: number };
  nodes: readonly IRNode[];
  /** Named taps, shallow to deep. */
  taps: Readonly<Record<string, TapSpec>>;
  /** The classifier output, when the architecture has a head. */
  logits?: string;
  /** Every parameter the graph reads, in a stable order. */
  params: readonly ParamSpec[];
}

/**
 * How a backbone wants its pixels. Callers always pass NHWC float32 RGB in [0,1]; the feature
 * extractor applies this, so nobody normalises by hand.
 */
export interface Preprocessing {
  /** Network input size [H, W]; null means any size (fully convolutional use, e.g. LPIPS on 64×64 patches). */
  size: Pair | null;
  /**
   * How an image reaches `size`: 'none' (must already match, or any size when size is null),
   * 'resize' (stretch to size), 'resize-shorter-crop' (shorter side to `resizeShorter`, then centre crop to size),
   * 'center-crop-fraction' (centre crop of `cropFraction`, then resize to size).
   */
  resize: 'none' | 'resize' | 'resize-shorter-crop' | 'center-crop-fraction';
  resizeShorter?: number;
  cropFraction?: number;
  interpolation: 'bilinear' | 'bicubic';
  channelOrder: 'RGB' | 'BGR';
  /** Pixels are multiplied by this first: 1 for [0,1] networks, 255 for Caffe-style networks. */
  scale: number;
  /** Subtracted after scaling, in the network's channel order. */
  mean: readonly [number, number, number];
  /** Divided after subtracting, in the network's channel order. */
  std: readonly [number, number, number];
}

/** Named tensors in PyTorch layout, as read from a checkpoint. */
export interface WeightTensor {
  data: Float32Array;
  shape: readonly number[];
}
export type WeightMap = ReadonlyMap<string, WeightTensor>;

export interface WeightsProvenance {
  /** 'file' (with its sha256), 'random' (with its seed), or 'zoo' (entry id + file sha256). */
  source: 'file' | 'random' | 'zoo';
  path?: string;
  sha256?: string;
  seed?: number;
  zooId?: string;
}

/** A backbone defined by the IR, with its weights loaded (strictly) and its preprocessing. */
export interface IRModelSpec extends ModelSpec {
  readonly kind: 'ir';
  readonly graph: IRGraph;
  readonly weights: WeightMap;
  readonly preprocessing: Preprocessing;
  readonly provenance: WeightsProvenance;
}

/** A user's model file: ONNX, or a TensorFlow.js graph/layers model. */
export interface FileModelSpec extends ModelSpec {
  readonly kind: 'file';
  readonly format: 'onnx' | 'tfjs-graph' | 'tfjs-layers';
  readonly path: string;
  readonly sha256: string;
  readonly preprocessing: Preprocessing;
  /** Tensor or node names, or patterns such as `op:Conv` (every output of an op type), to expose as taps. */
  readonly taps: readonly string[];
  /** The tensor holding logits, when the file is a classifier. */
  readonly logits?: string;
  /** Input tensor name (default: the model's only input). */
  readonly inputName?: string;
  /** Input layout the file expects. */
  readonly inputLayout: 'NCHW' | 'NHWC';
}

export type BackboneModelSpec = IRModelSpec | FileModelSpec;

/**
 * The taps a backend reports for this model, when they are known without loading it: an IR
 * backbone's declared taps, in the order backends return them. A model file's taps may be patterns
 * (`op:Conv`) that only a backend resolves, so they give undefined.
 */
export function declaredTaps(spec: ModelSpec): string[] | undefined {
  return spec.kind === 'ir' ? Object.keys((spec as IRModelSpec).graph.taps) : undefined;
}
