/**
 * torchvision EfficientNet (models/efficientnet.py, v1: B0–B7) with its module paths as node ids
 * and parameter names, so a torchvision state dict loads by name:
 *
 *   features.0            stem: 3×3/2 conv, BN, SiLU (`features.0.0`, `features.0.1`)
 *   features.1 … 7        the 7 MBConv stages of the B0 table, block j of stage i is
 *                         `features.i.j.block.k`: [expand 1×1 conv-BN-SiLU when expand ratio ≠ 1],
 *                         depthwise k×k conv-BN-SiLU (stride on the stage's first block),
 *                         squeeze-excitation (`avgpool`, `fc1` 1×1 conv, SiLU, `fc2` 1×1 conv,
 *                         sigmoid, times the input), project 1×1 conv-BN; plus the input when the
 *                         block keeps stride 1 and its channel count (after stochastic depth)
 *   features.8            head: 1×1 conv to 4× the last stage's channels, BN, SiLU
 *   avgpool, classifier   global average pool, flatten, `classifier.0` dropout, `classifier.1` linear
 *
 * Channels are `_make_divisible(c · width, 8)`, block counts `ceil(n · depth)`; the SE bottleneck is
 * max(1, block input channels // 4). B0–B4 use BatchNorm2d's defaults (eps 1e-5, momentum 0.1),
 * B5–B7 eps 1e-3, momentum 0.01, as torchvision does. Stochastic depth follows torchvision: block b of
 * B blocks (counted over all stages) drops its residual branch with probability 0.2·b/B, "row" mode,
 * in training-mode runs only (the tfjs compiler draws it from the run's seeded stream, like dropout;
 * inference is the identity). Conv weights' random initialisation is Percept's shared seeded
 * kaiming-normal (fan-in), not torchvision's fan-out; checkpoints are unaffected.
 *
 * Taps (Kumar et al.: "the outputs of the 4 reduction stages ... 16×16, 8×8, 4×4 and 2×2" at 64×64).
 * The paper does not name EfficientNet's endpoints; SPEC says they are the released TF code's
 * `reduction_i` endpoints. In tensorflow/tpu's efficientnet_model.py, `reduction_i` is the output of
 * the last block before a block with stride 2 (or of the last block), i.e. the last block at each
 * resolution, before the head conv. For the B0 stage table (strides 1, 2, 2, 2, 1, 2, 1 after the
 * stride-2 stem) those are the outputs of stages 1, 2, 3, 5 and 7: `reduction_1` is 32×32 at 64×64 and
 * the four the paper uses are
 *   reduction2 = features.2 (16×16), reduction3 = features.3 (8×8),
 *   reduction4 = features.5 (4×4),   reduction5 = features.7 (2×2).
 * features.4 (stride 2) and features.6 (stride 2) are not endpoints: the stride-1 stage after each
 * still runs at the same resolution. The taps keep TF's numbers so the mapping stays visible.
 * TF's EfficientNet pads 'same' (asymmetrically for stride 2) where torchvision pads (k−1)/2 on every
 * side; we follow torchvision so its checkpoints load unchanged.
 */
import { InputError } from '@percept/core';
import type { IRGraph } from '../ir.js';
import { GraphBuilder } from '../graph/builder.js';

export interface EfficientNetOptions {
  /** torchvision's width_mult: channels scale by it, rounded to multiples of 8. Default 1 (B0). */
  width?: number;
  /** torchvision's depth_mult: blocks per stage scale by it, rounded up. Default 1 (B0). */
  depth?: number;
  /** Classifier outputs; 0 drops avgpool and classifier (features.0 … features.8 remain). Default 1000. */
  classes?: number;
  /** Dropout before the classifier's linear layer (training only). Default 0.2 (B0's). */
  dropout?: number;
  /** Stochastic-depth rate of the last block; block b of B gets rate·b/B (training only). Default 0.2. */
  stochasticDepth?: number;
  /** Batch-norm eps. Default 1e-5 (torchvision's B0–B4); B5–B7 use 1e-3. */
  bnEps?: number;
  /** Batch-norm momentum, PyTorch convention. Default 0.1 (B0–B4); B5–B7 use 0.01. */
  bnMomentum?: number;
  /** Graph name (defaults to a description of the configuration). */
  name?: string;
}

/** One row of the EfficientNet-B0 table: expand ratio, kernel, stride, in, out, blocks. */
interface StageRow { expand: number; kernel: number; stride: number; in: number; out: number; blocks: number }

/** torchvision's `_efficientnet_conf("efficientnet_b*")` (EfficientNet paper, Table 1). */
const B0_STAGES: readonly StageRow[] = [
  { expand: 1, kernel: 3, stride: 1, in: 32, out: 16, blocks: 1 },
  { expand: 6, kernel: 3, stride: 2, in: 16, out: 24, blocks: 2 },
  { expand: 6, kernel: 5, stride: 2, in: 24, out: 40, blocks: 2 },
  { expand: 6, kernel: 3, stride: 2, in: 40, out: 80, blocks: 3 },
  { expand: 6, kernel: 5, stride: 1, in: 80, out: 112, blocks: 3 },
  { expand: 6, kernel: 5, stride: 2, in: 112, out: 192, blocks: 4 },
  { expand: 6, kernel: 3, stride: 1, in: 192, out: 320, blocks: 1 },
];

/** The reduction endpoints the paper uses: tap name, stage index in `features`, resolution at 64×64. */
const TAPS: ReadonlyArray<readonly [string, number, number]> = [
  ['reduction2', 2, 16], ['reduction3', 3, 8], ['reduction4', 5, 4], ['reduction5', 7, 2],
];

/** torchvision's _make_divisible (from the TF MobileNet code): nearest multiple of 8, at least 8, never more than 10% below v. */
export function makeDivisible(v: number, divisor = 8): number {
  let out = Math.max(divisor, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

/** torchvision's MBConvConfig.adjust_depth: ceil(n · depth). */
export function adjustDepth(blocks: number, depth: number): number {
  // Same double arithmetic as Python's int(math.ceil(n * depth)), so e.g. 3 × 1.1 = 3.3000000000000003 → 4 in both.
  return Math.ceil(blocks * depth);
}

export function efficientnet(opts: EfficientNetOptions = {}): IRGraph {
  const width = opts.width ?? 1;
  const depth = opts.depth ?? 1;
  const classes = opts.classes ?? 1000;
  const dropout = opts.dropout ?? 0.2;
  const sdRate = opts.stochasticDepth ?? 0.2;
  const eps = opts.bnEps ?? 1e-5;
  const momentum = opts.bnMomentum ?? 0.1;
  for (const [k, v] of Object.entries({ width, depth, bnEps: eps })) {
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new InputError(`efficientnet: option "${k}" must be a positive number, got ${JSON.stringify(v)}`);
  }
  if (!Number.isInteger(classes) || classes < 0) throw new InputError(`efficientnet: option "classes" must be a non-negative integer, got ${JSON.stringify(classes)}`);
  for (const [k, v] of Object.entries({ dropout, stochasticDepth: sdRate })) {
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new InputError(`efficientnet: option "${k}" must be in [0, 1), got ${JSON.stringify(v)}`);
  }
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new InputError(`efficientnet: option "bnMomentum" must be in [0, 1], got ${JSON.stringify(momentum)}`);

  const stages = B0_STAGES.map((s) => ({ ...s, in: makeDivisible(s.in * width), out: makeDivisible(s.out * width), blocks: adjustDepth(s.blocks, depth) }));
  const name = opts.name ?? `efficientnet-w${width}-d${depth}`;
  const g = new GraphBuilder(name);
  const bn = (id: string, x: string, channels: number, param = id) => g.bn(id, x, { param, channels, eps, momentum });

  // features.0: Conv2dNormActivation(3, 32·w, 3, stride 2), SiLU.
  const stem = stages[0].in;
  let x = g.conv('features.0.0', 'input', { in: 3, out: stem, kernel: 3, stride: 2, pad: 1, bias: false });
  x = bn('features.0.1', x, stem);
  x = g.silu('features.0.2', x);

  const total = stages.reduce((a, s) => a + s.blocks, 0);
  let blockId = 0;
  const stageOut: string[] = [x];
  stages.forEach((stage, si) => {
    for (let bi = 0; bi < stage.blocks; bi++) {
      const input = bi === 0 ? stage.in : stage.out;
      const stride = bi === 0 ? stage.stride : 1;
      x = mbconv(g, `features.${si + 1}.${bi}`, x, {
        input, out: stage.out, expand: stage.expand, kernel: stage.kernel, stride, bn,
        stochasticDepth: (sdRate * blockId) / total,
      });
      blockId++;
    }
    stageOut.push(x);
  });
  for (const [tap, si, res] of TAPS) {
    g.tap(tap, stageOut[si], `TF reduction_${tap.slice(-1)}: output of features.${si} (stage ${si}'s last block, ${stages[si - 1].out} channels; ${res}×${res} at 64×64)`);
  }

  // features.8: Conv2dNormActivation(320·w, 4·320·w, 1), SiLU.
  const lastIn = stages[stages.length - 1].out;
  const lastOut = 4 * lastIn;
  x = g.conv('features.8.0', x, { in: lastIn, out: lastOut, kernel: 1, bias: false });
  x = bn('features.8.1', x, lastOut);
  x = g.silu('features.8.2', x);
  if (classes > 0) {
    let h = g.globalAvgPool('avgpool', x);
    h = g.flatten('flatten', h);
    if (dropout > 0) h = g.dropout('classifier.0', h, dropout);
    h = g.dense('classifier.1', h, { in: lastOut, out: classes });
    g.logits(h);
  }
  return g.build();
}

interface MBConvArgs {
  input: number;
  out: number;
  expand: number;
  kernel: number;
  stride: number;
  stochasticDepth: number;
  /** Appends a batch norm: node id, input, channels, parameter prefix (default: the id). */
  bn: (id: string, x: string, channels: number, param?: string) => string;
}

/** torchvision MBConv: the block's output node is named after the block (`features.i.j`). */
function mbconv(g: GraphBuilder, p: string, x: string, a: MBConvArgs): string {
  const expanded = makeDivisible(a.input * a.expand);
  let k = 0;
  let h = x;
  if (expanded !== a.input) {
    h = g.conv(`${p}.block.${k}.0`, h, { in: a.input, out: expanded, kernel: 1, bias: false });
    h = a.bn(`${p}.block.${k}.1`, h, expanded);
    h = g.silu(`${p}.block.${k}.2`, h);
    k++;
  }
  h = g.conv(`${p}.block.${k}.0`, h, {
    in: expanded, out: expanded, kernel: a.kernel, stride: a.stride, pad: (a.kernel - 1) / 2, groups: expanded, bias: false,
  });
  h = a.bn(`${p}.block.${k}.1`, h, expanded);
  h = g.silu(`${p}.block.${k}.2`, h);
  k++;
  // Squeeze-excitation on the expanded channels, bottleneck from the block's input width.
  const squeeze = Math.max(1, Math.floor(a.input / 4));
  const se = `${p}.block.${k}`;
  let s = g.globalAvgPool(`${se}.avgpool`, h);
  s = g.conv(`${se}.fc1`, s, { in: expanded, out: squeeze, kernel: 1 });
  s = g.silu(`${se}.activation`, s);
  s = g.conv(`${se}.fc2`, s, { in: squeeze, out: expanded, kernel: 1 });
  s = g.sigmoid(`${se}.scale_activation`, s);
  h = g.mul(se, s, h);
  k++;
  h = g.conv(`${p}.block.${k}.0`, h, { in: expanded, out: a.out, kernel: 1, bias: false });
  const residual = a.stride === 1 && a.input === a.out;
  // Without a residual, the projection's batch norm is the block's output: its node takes the block's name.
  h = a.bn(residual ? `${p}.block.${k}.1` : p, h, a.out, `${p}.block.${k}.1`);
  if (!residual) return h;
  if (a.stochasticDepth > 0) h = g.stochasticDepth(`${p}.stochastic_depth`, h, a.stochasticDepth);
  return g.add(p, [h, x]);
}

export interface EfficientNetPreset {
  name: string;
  description: string;
  /** torchvision's width_mult, depth_mult and classifier dropout for this variant. */
  width: number;
  depth: number;
  dropout: number;
  bnEps: number;
  bnMomentum: number;
}

const preset = (i: number, width: number, depth: number, dropout: number): EfficientNetPreset => {
  const tf = i >= 5;
  return {
    name: `efficientnet_b${i}`,
    description: `torchvision EfficientNet-B${i}: width ${width}, depth ${depth}, classifier dropout ${dropout}${tf ? ', batch norm eps 1e-3, momentum 0.01' : ''}`,
    width, depth, dropout, bnEps: tf ? 1e-3 : 1e-5, bnMomentum: tf ? 0.01 : 0.1,
  };
};

/** torchvision's efficientnet_b0 … b7 coefficients (EfficientNet paper's compound scaling). */
export const efficientnetPresets: Readonly<Record<string, EfficientNetPreset>> = Object.fromEntries([
  preset(0, 1.0, 1.0, 0.2), preset(1, 1.0, 1.1, 0.2), preset(2, 1.1, 1.2, 0.3), preset(3, 1.2, 1.4, 0.3),
  preset(4, 1.4, 1.8, 0.4), preset(5, 1.6, 2.2, 0.4), preset(6, 1.8, 2.6, 0.5), preset(7, 2.0, 3.1, 0.5),
].map((p) => [p.name, p]));

/** Knobs of a named variant: `width`/`depth` multiply the variant's own coefficients (1 = the variant as published). */
export type EfficientNetKnobs = Pick<EfficientNetOptions, 'classes' | 'width' | 'depth' | 'dropout' | 'stochasticDepth'>;

/** A named variant; `width`/`depth` scale its coefficients (e.g. B5 with width 0.5 has width_mult 0.8). */
export function efficientnetPreset(variant: string, o: EfficientNetKnobs = {}): IRGraph {
  const p = efficientnetPresets[variant];
  if (!p) throw new InputError(`efficientnet: unknown variant ${JSON.stringify(variant)}; expected one of ${Object.keys(efficientnetPresets).join(', ')}`);
  const w = o.width ?? 1;
  const d = o.depth ?? 1;
  return efficientnet({
    width: p.width * w, depth: p.depth * d, classes: o.classes, dropout: o.dropout ?? p.dropout, stochasticDepth: o.stochasticDepth,
    bnEps: p.bnEps, bnMomentum: p.bnMomentum,
    name: `${p.name}${w !== 1 ? `-w${w}` : ''}${d !== 1 ? `-d${d}` : ''}`,
  });
}

export const efficientnet_b0 = (o: EfficientNetKnobs = {}): IRGraph => efficientnetPreset('efficientnet_b0', o);
export const efficientnet_b1 = (o: EfficientNetKnobs = {}): IRGraph => efficientnetPreset('efficientnet_b1', o);
export const efficientnet_b2 = (o: EfficientNetKnobs = {}): IRGraph => efficientnetPreset('efficientnet_b2', o);
export const efficientnet_b3 = (o: EfficientNetKnobs = {}): IRGraph => efficientnetPreset('efficientnet_b3', o);
export const efficientnet_b4 = (o: EfficientNetKnobs = {}): IRGraph => efficientnetPreset('efficientnet_b4', o);
export const efficientnet_b5 = (o: EfficientNetKnobs = {}): IRGraph => efficientnetPreset('efficientnet_b5', o);
export const efficientnet_b6 = (o: EfficientNetKnobs = {}): IRGraph => efficientnetPreset('efficientnet_b6', o);
export const efficientnet_b7 = (o: EfficientNetKnobs = {}): IRGraph => efficientnetPreset('efficientnet_b7', o);
