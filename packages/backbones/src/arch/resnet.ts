/**
 * torchvision ResNet v1 (as in torchvision.models.resnet: the stride of a bottleneck block sits on
 * its 3×3 conv, "v1.5"), with the knobs Kumar et al. sweep: depth (`layers`), width, skip
 * connections, and the number of classes.
 *
 * ResNet-6 (Kumar et al. 2022, tensorflow/tpu PR #991). Our reading of that PR: the model is
 * `{ block: residual_block, layers: [0, 0, 0, 0] }`, and a block group with 0 blocks still runs its
 * first block, but with `second_conv = False`. So each of the four groups is ONE block holding a
 * single 3×3 conv (stride 1, 2, 2, 2) + BN, plus a 1×1 projection shortcut + BN (TF's first block
 * always projects, even in group 1 where the channel count does not change), then add, then ReLU.
 * Weight layers: stem conv + 4 convs + fc = 6. Here a `layers` entry of 0 means exactly that group
 * (basic blocks only); parameter names follow torchvision (`layerX.0.conv1`, `layerX.0.bn1`,
 * `layerX.0.downsample.0/1`). At 64×64 input the groups give 16×16×64, 8×8×128, 4×4×256, 2×2×512.
 *
 * Fewer groups: `layers` may list 0 to 4 groups; the network keeps the first ones, in order, and
 * the head pools whatever the last group gives. Kumar et al. Fig. 4 has "ResNet, reduced depth"
 * down to depth 2 but never defines ResNet-2…5; OUR reading (not the paper's) counts depth the way
 * ResNet-6 does and removes its groups from the deep end: ResNet-(2+k) = ResNet-6's stem + its
 * first k single-conv groups + fc, i.e. `layers` = k zeros. ResNet-5 = [0, 0, 0] (taps layer1..3),
 * ResNet-4 = [0, 0], ResNet-3 = [0] (tap layer1), ResNet-2 = [] (stem conv + fc). A network without
 * groups taps `stem`: the max-pool output that feeds the head (stem width channels, 4× downsampled,
 * 16×16 at 64×64, the same scale as layer1). ResNet-8 = basic [1, 1, 0, 0] (stem + 2 + 2 + 1 + 1
 * convs + fc) and ResNet-10 = basic [1, 1, 1, 1] are likewise our choices.
 */
import { InputError } from '@percept/core';
import type { IRGraph } from '../ir.js';
import { GraphBuilder } from '../graph/builder.js';

export type ResNetBlock = 'basic' | 'bottleneck';

export interface ResNetOptions {
  block: ResNetBlock;
  /**
   * Blocks per group, for the first 0 to 4 groups (the rest are left out). 0 = a single-conv
   * projection block (ResNet-6's groups; basic only). [] = stem + head only (our ResNet-2).
   */
  layers: readonly number[];
  /** Multiplier on the base widths 64 (stem and group 1), 128, 256, 512. Default 1. */
  width?: number;
  /** Classifier outputs; 0 drops the head (trunk only). Default 1000. */
  classes?: number;
  /** false removes every identity and projection shortcut (Kumar §8.5). Default true. */
  skip?: boolean;
  /** Only the ImageNet stem exists: 7×7/2 conv, BN, ReLU, 3×3/2 max-pool. */
  stem?: 'imagenet';
  /** Graph name (defaults to a description of the configuration). */
  name?: string;
}

const BASE_WIDTHS = [64, 128, 256, 512] as const;
const REDUCTION = ['4×', '8×', '16×', '32×'] as const;

function scaled(base: number, width: number): number {
  return Math.max(1, Math.round(base * width));
}

export function resnet(opts: ResNetOptions): IRGraph {
  const { block, layers } = opts;
  const width = opts.width ?? 1;
  const classes = opts.classes ?? 1000;
  const skip = opts.skip ?? true;
  if (block !== 'basic' && block !== 'bottleneck') throw new InputError(`resnet: option "block" must be "basic" or "bottleneck", got ${JSON.stringify(block)}`);
  if (!Array.isArray(layers) || layers.length > 4 || layers.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new InputError(`resnet: option "layers" must be 0 to 4 non-negative integers (blocks per group, for the first groups), got ${JSON.stringify(layers)}`);
  }
  if (block === 'bottleneck' && layers.some((n) => n === 0)) {
    throw new InputError('resnet: option "layers" may contain 0 (a single-conv projection group, as in ResNet-6) only with block "basic"');
  }
  if (!(width > 0) || !Number.isFinite(width)) throw new InputError(`resnet: option "width" must be a positive number, got ${width}`);
  if (!Number.isInteger(classes) || classes < 0) throw new InputError(`resnet: option "classes" must be a non-negative integer, got ${classes}`);
  if (opts.stem !== undefined && opts.stem !== 'imagenet') throw new InputError(`resnet: option "stem" must be "imagenet", got ${JSON.stringify(opts.stem)}`);

  const expansion = block === 'bottleneck' ? 4 : 1;
  const name = opts.name ?? `resnet-${block}-${layers.length > 0 ? layers.join('') : 'stem'}${width !== 1 ? `-w${width}` : ''}${skip ? '' : '-noskip'}`;
  const g = new GraphBuilder(name);

  const stemWidth = scaled(64, width);
  let x = g.conv('conv1', 'input', { in: 3, out: stemWidth, kernel: 7, stride: 2, pad: 3, bias: false });
  x = g.bn('bn1', x, { channels: stemWidth });
  x = g.relu('relu', x);
  x = g.maxpool('maxpool', x, { kernel: 3, stride: 2, pad: 1 });
  let inplanes = stemWidth;
  if (layers.length === 0) {
    g.tap('stem', x, `stem output: the max-pool after conv1/bn1/relu (${stemWidth} channels, 4× downsampled: 16×16 at 64×64); the only reduction stage of a network without block groups`);
  }

  for (let gi = 0; gi < layers.length; gi++) {
    const planes = scaled(BASE_WIDTHS[gi], width);
    const stride = gi === 0 ? 1 : 2;
    const group = `layer${gi + 1}`;
    const count = layers[gi];
    if (count === 0) {
      x = singleConvBlock(g, `${group}.0`, x, inplanes, planes, stride, skip);
      inplanes = planes;
    } else {
      for (let bi = 0; bi < count; bi++) {
        const s = bi === 0 ? stride : 1;
        const prefix = `${group}.${bi}`;
        x = block === 'basic'
          ? basicBlock(g, prefix, x, inplanes, planes, s, skip)
          : bottleneckBlock(g, prefix, x, inplanes, planes, s, skip);
        inplanes = planes * expansion;
      }
    }
    // The group's last node is its final ReLU; alias it by the group name so taps read "layer2".
    g.tap(group, x, `reduction stage ${gi + 1}: output of ${group} after its final ReLU (${inplanes} channels, ${REDUCTION[gi]} downsampled: ${64 / (4 * 2 ** gi)}×${64 / (4 * 2 ** gi)} at 64×64)`);
  }
  if (classes > 0) {
    let h = g.globalAvgPool('avgpool', x);
    h = g.flatten('flatten', h);
    h = g.dense('fc', h, { in: inplanes, out: classes });
    g.logits(h);
  }
  return g.build();
}

/** torchvision BasicBlock: conv3×3(stride)-BN-ReLU-conv3×3-BN, + shortcut, ReLU. */
function basicBlock(g: GraphBuilder, p: string, x: string, inplanes: number, planes: number, stride: number, skip: boolean): string {
  let h = g.conv(`${p}.conv1`, x, { in: inplanes, out: planes, kernel: 3, stride, pad: 1, bias: false });
  h = g.bn(`${p}.bn1`, h, { channels: planes });
  h = g.relu(`${p}.relu1`, h);
  h = g.conv(`${p}.conv2`, h, { in: planes, out: planes, kernel: 3, pad: 1, bias: false });
  h = g.bn(`${p}.bn2`, h, { channels: planes });
  return residual(g, p, x, h, inplanes, planes, stride, skip, stride !== 1 || inplanes !== planes);
}

/** torchvision Bottleneck: 1×1-BN-ReLU, 3×3(stride)-BN-ReLU, 1×1(×4)-BN, + shortcut, ReLU. */
function bottleneckBlock(g: GraphBuilder, p: string, x: string, inplanes: number, planes: number, stride: number, skip: boolean): string {
  const out = planes * 4;
  let h = g.conv(`${p}.conv1`, x, { in: inplanes, out: planes, kernel: 1, bias: false });
  h = g.bn(`${p}.bn1`, h, { channels: planes });
  h = g.relu(`${p}.relu1`, h);
  h = g.conv(`${p}.conv2`, h, { in: planes, out: planes, kernel: 3, stride, pad: 1, bias: false });
  h = g.bn(`${p}.bn2`, h, { channels: planes });
  h = g.relu(`${p}.relu2`, h);
  h = g.conv(`${p}.conv3`, h, { in: planes, out, kernel: 1, bias: false });
  h = g.bn(`${p}.bn3`, h, { channels: out });
  return residual(g, p, x, h, inplanes, out, stride, skip, stride !== 1 || inplanes !== out);
}

/** ResNet-6's group (PR #991, blocks = 0): one 3×3 conv + BN, always with a projection shortcut. */
function singleConvBlock(g: GraphBuilder, p: string, x: string, inplanes: number, planes: number, stride: number, skip: boolean): string {
  let h = g.conv(`${p}.conv1`, x, { in: inplanes, out: planes, kernel: 3, stride, pad: 1, bias: false });
  h = g.bn(`${p}.bn1`, h, { channels: planes });
  return residual(g, p, x, h, inplanes, planes, stride, skip, true);
}

function residual(g: GraphBuilder, p: string, x: string, h: string, inplanes: number, out: number, stride: number, skip: boolean, project: boolean): string {
  if (skip) {
    let shortcut = x;
    if (project) {
      shortcut = g.conv(`${p}.downsample.0`, x, { in: inplanes, out, kernel: 1, stride, bias: false });
      shortcut = g.bn(`${p}.downsample.1`, shortcut, { channels: out });
    }
    h = g.add(`${p}.add`, [h, shortcut]);
  }
  return g.relu(`${p}.relu`, h);
}

export interface ResNetPreset {
  name: string;
  description: string;
  options: Omit<ResNetOptions, 'classes' | 'width' | 'skip'>;
}

/** The named depths. resnet6 follows Kumar et al. / tensorflow/tpu PR #991 (see the module comment). */
export const resnetPresets: Readonly<Record<string, ResNetPreset>> = {
  resnet6: {
    name: 'resnet6',
    description: 'ResNet-6 (Kumar et al. 2022, tensorflow/tpu PR #991): stem conv, then 4 groups of ONE block each holding a single 3×3 conv + BN with a 1×1 projection shortcut, then fc — 6 weight layers',
    options: { block: 'basic', layers: [0, 0, 0, 0] },
  },
  resnet2: {
    name: 'resnet2',
    description: 'ResNet-2, reduced depth (our reading; Kumar et al. do not define it): ResNet-6\'s stem conv (+ BN, ReLU, max-pool) straight into fc, no block groups — 2 weight layers; taps the stem output',
    options: { block: 'basic', layers: [] },
  },
  resnet3: {
    name: 'resnet3',
    description: 'ResNet-3, reduced depth (our reading; Kumar et al. do not define it): ResNet-6\'s stem conv and its first single-conv projection group (layers [0]), then fc — 3 weight layers',
    options: { block: 'basic', layers: [0] },
  },
  resnet4: {
    name: 'resnet4',
    description: 'ResNet-4, reduced depth (our reading; Kumar et al. do not define it): ResNet-6\'s stem conv and its first 2 single-conv projection groups (layers [0, 0]), then fc — 4 weight layers',
    options: { block: 'basic', layers: [0, 0] },
  },
  resnet5: {
    name: 'resnet5',
    description: 'ResNet-5, reduced depth (our reading; Kumar et al. do not define it): ResNet-6\'s stem conv and its first 3 single-conv projection groups (layers [0, 0, 0]), then fc — 5 weight layers',
    options: { block: 'basic', layers: [0, 0, 0] },
  },
  resnet8: {
    name: 'resnet8',
    description: 'ResNet-8, reduced depth (our layout; Kumar et al. do not define it): basic blocks [1, 1, 0, 0] — stem conv, 2 + 2 convs in groups 1-2, one single-conv projection group each in 3-4, fc',
    options: { block: 'basic', layers: [1, 1, 0, 0] },
  },
  resnet10: { name: 'resnet10', description: 'ResNet-10: basic blocks [1, 1, 1, 1] (Kumar\'s "reduced depth"; presumed layout)', options: { block: 'basic', layers: [1, 1, 1, 1] } },
  resnet18: { name: 'resnet18', description: 'torchvision ResNet-18: basic blocks [2, 2, 2, 2]', options: { block: 'basic', layers: [2, 2, 2, 2] } },
  resnet34: { name: 'resnet34', description: 'torchvision ResNet-34: basic blocks [3, 4, 6, 3]', options: { block: 'basic', layers: [3, 4, 6, 3] } },
  resnet50: { name: 'resnet50', description: 'torchvision ResNet-50: bottleneck blocks [3, 4, 6, 3]', options: { block: 'bottleneck', layers: [3, 4, 6, 3] } },
  resnet101: { name: 'resnet101', description: 'torchvision ResNet-101: bottleneck blocks [3, 4, 23, 3]', options: { block: 'bottleneck', layers: [3, 4, 23, 3] } },
  resnet152: { name: 'resnet152', description: 'torchvision ResNet-152: bottleneck blocks [3, 8, 36, 3]', options: { block: 'bottleneck', layers: [3, 8, 36, 3] } },
  resnet200: { name: 'resnet200', description: 'ResNet-200 (He et al. 2016): bottleneck blocks [3, 24, 36, 3]', options: { block: 'bottleneck', layers: [3, 24, 36, 3] } },
};

type Knobs = Pick<ResNetOptions, 'classes' | 'width' | 'skip'>;
export const resnet6 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet6.options, name: 'resnet6', ...o });
export const resnet2 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet2.options, name: 'resnet2', ...o });
export const resnet3 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet3.options, name: 'resnet3', ...o });
export const resnet4 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet4.options, name: 'resnet4', ...o });
export const resnet5 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet5.options, name: 'resnet5', ...o });
export const resnet8 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet8.options, name: 'resnet8', ...o });
export const resnet10 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet10.options, name: 'resnet10', ...o });
export const resnet18 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet18.options, name: 'resnet18', ...o });
export const resnet34 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet34.options, name: 'resnet34', ...o });
export const resnet50 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet50.options, name: 'resnet50', ...o });
export const resnet101 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet101.options, name: 'resnet101', ...o });
export const resnet152 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet152.options, name: 'resnet152', ...o });
export const resnet200 = (o: Knobs = {}): IRGraph => resnet({ ...resnetPresets.resnet200.options, name: 'resnet200', ...o });
