/** The built-in IR backbones as registry contributions. */
import { InputError, type BackboneContribution } from '@percept/core';
import { alexnet } from '../arch/alexnet.js';
import { vgg16 } from '../arch/vgg.js';
import { squeezenet1_0, squeezenet1_1 } from '../arch/squeezenet.js';
import { resnet, resnetPresets, type ResNetBlock } from '../arch/resnet.js';
import { vit, vitPresets } from '../arch/vit.js';
import { efficientnet, efficientnetPreset, efficientnetPresets } from '../arch/efficientnet.js';
import { caffeBgr, imagenetNormalize, lpipsPreprocessing, torchvisionImagenet } from '../preprocessing.js';
import { irBackbone } from './backbone.js';

type Opts = Record<string, unknown>;

function int(o: Opts, key: string, fallback: number, min = 0): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InputError(`option "${key}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}
function bool(o: Opts, key: string, fallback: boolean): boolean {
  const v = o[key] ?? fallback;
  if (typeof v !== 'boolean') throw new InputError(`option "${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
function num(o: Opts, key: string, fallback: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InputError(`option "${key}" must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

const classesSchema = (def: number, min = 1) => ({ type: 'integer', minimum: min, default: def, description: `Classifier outputs${min === 0 ? ' (0: no head)' : ''}.` });
const LPIPS_TAPS_NOTE = 'Default preprocessing is LPIPS\' (ImageNet normalisation via its ScalingLayer), any input size.';

const alexnetContribution = irBackbone({
  name: 'alexnet',
  aliases: ['alex'],
  description: `torchvision AlexNet trunk, the LPIPS "alex" network. Taps relu1..relu5 (after each conv's ReLU, before pooling). ${LPIPS_TAPS_NOTE}`,
  archProperties: {
    classifier: { type: 'boolean', default: false, description: 'Add the torchvision classifier head (needs 224×224 input).' },
    classes: classesSchema(1000),
  },
  graph: (o) => alexnet({ classifier: bool(o, 'classifier', false), classes: int(o, 'classes', 1000, 1) }),
  preprocessing: (o) => (o.classifier ? torchvisionImagenet(224) : lpipsPreprocessing),
  pretrained: () => 'torchvision/alexnet',
  trunk: (o) => !o.classifier,
});

const vggContribution = irBackbone({
  name: 'vgg16',
  aliases: ['vgg'],
  description: `torchvision VGG16 trunk, the LPIPS "vgg" network. Taps relu1_2, relu2_2, relu3_3, relu4_3, relu5_3. ${LPIPS_TAPS_NOTE}`,
  archProperties: {
    classifier: { type: 'boolean', default: false, description: 'Add the torchvision classifier head (needs 224×224 input).' },
    classes: classesSchema(1000),
  },
  graph: (o) => vgg16({ classifier: bool(o, 'classifier', false), classes: int(o, 'classes', 1000, 1) }),
  preprocessing: (o) => (o.classifier ? torchvisionImagenet(224) : lpipsPreprocessing),
  pretrained: () => 'torchvision/vgg16',
  trunk: (o) => !o.classifier,
});

const squeeze11Contribution = irBackbone({
  name: 'squeezenet1_1',
  aliases: ['squeeze'],
  description: `torchvision SqueezeNet 1.1 trunk, the LPIPS "squeeze" network. 7 taps relu1..relu7 (conv1, fire3, fire5, fire6, fire7, fire8, fire9). ${LPIPS_TAPS_NOTE}`,
  archProperties: {},
  graph: () => squeezenet1_1(),
  preprocessing: () => lpipsPreprocessing,
  pretrained: () => 'torchvision/squeezenet1_1',
  trunk: () => true,
});

const caffePadded = (o: Opts) => bool(o, 'caffePaddedClassifier', o.weights === 'pretrained');
const squeeze10Contribution = irBackbone({
  name: 'squeezenet1_0',
  description: 'SqueezeNet 1.0 ImageNet classifier (torchvision names). Taps conv1, fire2..fire9, plus logits. weights "pretrained" is the Deep Compression release, which needs Caffe preprocessing (BGR, 0..255 minus mean, 227×227) and classifier padding 1 — both the defaults then.',
  archProperties: {
    caffePaddedClassifier: { type: 'boolean', description: 'Give classifier.1 padding 1, as in the original Caffe release. Default: true with weights "pretrained", else false.' },
    classes: classesSchema(1000),
  },
  graph: (o) => squeezenet1_0({ caffePaddedClassifier: caffePadded(o), classes: int(o, 'classes', 1000, 1) }),
  preprocessing: (o) => (caffePadded(o) ? caffeBgr : torchvisionImagenet(224)),
  pretrained: () => 'deepcompression/squeezenet1_0',
});

const resnetKnobs = {
  width: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Multiplier on the base widths 64/128/256/512 (Kumar\'s width sweep).' },
  classes: classesSchema(1000, 0),
  skip: { type: 'boolean', default: true, description: 'false removes every identity and projection shortcut (Kumar §8.5).' },
} as const;
const RESNET_TAPS = 'Taps layer1..layer4: the 4 reduction stages (16, 8, 4, 2 pixels at 64×64), after each group\'s final ReLU; logits from fc. Default preprocessing: ImageNet mean/std at any size.';
/** The taps sentence for a preset with fewer than 4 groups (reduced-depth ResNets). */
function resnetTapsNote(groups: number): string {
  if (groups === 4) return RESNET_TAPS;
  const sizes = [16, 8, 4, 2].slice(0, groups).join(', ');
  const taps = groups === 0
    ? 'Taps stem: the max-pool output (16 pixels at 64×64), the only reduction stage'
    : `Taps ${groups === 1 ? 'layer1' : `layer1..layer${groups}`}: the ${groups} reduction stage${groups === 1 ? '' : 's'} it has (${sizes} pixels at 64×64), after each group's final ReLU`;
  return `${taps}; logits from fc. Default preprocessing: ImageNet mean/std at any size.`;
}

const resnetContribution = irBackbone({
  name: 'resnet',
  description: `torchvision ResNet v1 with configurable block, depth (1 to 4 block groups), width and skips. ${RESNET_TAPS} With fewer than 4 groups, only their taps exist.`,
  archProperties: {
    block: { enum: ['basic', 'bottleneck'], description: 'Residual block type.' },
    layers: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1, maxItems: 4, description: 'Blocks per group for the first 1 to 4 groups (fewer entries = fewer groups, fewer taps); 0 = one single-conv projection block (ResNet-6\'s groups, basic only). The stem-only network is the preset "resnet2".' },
    ...resnetKnobs,
    stem: { enum: ['imagenet'], default: 'imagenet', description: '7×7/2 conv, BN, ReLU, 3×3/2 max-pool.' },
  },
  graph: (o) => {
    if (o.block === undefined || o.layers === undefined) throw new InputError('backbone "resnet": options "block" and "layers" are required (or use a preset such as "resnet18")');
    if (Array.isArray(o.layers) && o.layers.length === 0) {
      throw new InputError('backbone "resnet": option "layers" is empty; give blocks for 1 to 4 groups (e.g. [0] for ResNet-3), or use the preset "resnet2" for the stem-only network');
    }
    if (Array.isArray(o.layers) && o.layers.length > 4) {
      throw new InputError(`backbone "resnet": option "layers" has ${o.layers.length} entries, but a ResNet has at most 4 block groups; got ${JSON.stringify(o.layers)}`);
    }
    return resnet({
      block: o.block as ResNetBlock, layers: o.layers as number[], width: num(o, 'width', 1), classes: int(o, 'classes', 1000), skip: bool(o, 'skip', true),
      stem: (o.stem as 'imagenet' | undefined) ?? 'imagenet',
    });
  },
  preprocessing: () => imagenetNormalize,
});

const resnetPresetContributions = Object.values(resnetPresets).map((preset) => irBackbone({
  name: preset.name,
  description: `${preset.description}. ${resnetTapsNote(preset.options.layers.length)}`,
  archProperties: { ...resnetKnobs },
  graph: (o) => resnet({ ...preset.options, name: preset.name, width: num(o, 'width', 1), classes: int(o, 'classes', 1000), skip: bool(o, 'skip', true) }),
  preprocessing: () => imagenetNormalize,
  // torchvision publishes ResNet-18 and -50; the other presets have no zoo entry.
  pretrained: () => (['resnet18', 'resnet50'].includes(preset.name) ? `torchvision/${preset.name}` : undefined),
  trunk: (o) => o.classes === 0,
}));

const vitContribution = irBackbone({
  name: 'vit',
  description: 'torchvision VisionTransformer. Taps block1..blockN: the CLS token after each encoder block (before the final LayerNorm); logits from heads.head. Defaults: ViT-Base, 64×64 input, patch 8 (Kumar\'s ViT-B/8). Default preprocessing: resize to imageSize, ImageNet mean/std.',
  archProperties: {
    config: { enum: Object.keys(vitPresets), default: 'base', description: 'Standard depth/width configuration; the fields below override it.' },
    imageSize: { type: 'integer', minimum: 1, default: 64 },
    patch: { type: 'integer', minimum: 1, default: 8 },
    layers: { type: 'integer', minimum: 1 },
    heads: { type: 'integer', minimum: 1 },
    dim: { type: 'integer', minimum: 1 },
    mlpDim: { type: 'integer', minimum: 1 },
    classes: classesSchema(1000, 0),
    dropout: { type: 'number', minimum: 0, maximum: 1, default: 0 },
  },
  graph: (o) => {
    const name = (o.config as string | undefined) ?? 'base';
    const base = vitPresets[name as keyof typeof vitPresets];
    if (!base) throw new InputError(`backbone "vit": option "config" must be one of ${Object.keys(vitPresets).join(', ')}, got ${JSON.stringify(name)}`);
    return vit({
      imageSize: int(o, 'imageSize', 64, 1), patch: int(o, 'patch', 8, 1), layers: int(o, 'layers', base.layers, 1), heads: int(o, 'heads', base.heads, 1),
      dim: int(o, 'dim', base.dim, 1), mlpDim: int(o, 'mlpDim', base.mlpDim, 1), classes: int(o, 'classes', 1000), dropout: (o.dropout as number | undefined) ?? 0,
    });
  },
  preprocessing: (o) => {
    const s = int(o, 'imageSize', 64, 1);
    return { ...imagenetNormalize, size: [s, s], resize: 'resize' };
  },
});

const EFFICIENTNET_TAPS = 'Taps reduction2..reduction5: the TF code\'s reduction endpoints the paper uses, features.2, .3, .5 and .7 (16, 8, 4, 2 pixels at 64×64); logits from classifier.1. Default preprocessing: ImageNet mean/std at any size.';
const rate = (o: Opts, key: string, fallback: number): number => {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new InputError(`option "${key}" must be a number in [0, 1), got ${JSON.stringify(v)}`);
  return v;
};
const efficientnetKnobs = (dropout: number) => ({
  classes: classesSchema(1000, 0),
  dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: dropout, description: 'Dropout before the classifier\'s linear layer (training only).' },
  stochasticDepth: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.2, description: 'Stochastic-depth rate of the last block; block b of B drops its residual branch with rate·b/B (training only).' },
}) as const;

const efficientnetContribution = irBackbone({
  name: 'efficientnet',
  description: `torchvision EfficientNet (v1, the B0 stage table) at any width_mult/depth_mult. ${EFFICIENTNET_TAPS}`,
  archProperties: {
    width: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'torchvision width_mult: channels scale by it, rounded to multiples of 8.' },
    depth: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'torchvision depth_mult: blocks per stage scale by it, rounded up.' },
    ...efficientnetKnobs(0.2),
  },
  graph: (o) => efficientnet({
    width: num(o, 'width', 1), depth: num(o, 'depth', 1), classes: int(o, 'classes', 1000),
    dropout: rate(o, 'dropout', 0.2), stochasticDepth: rate(o, 'stochasticDepth', 0.2),
  }),
  preprocessing: () => imagenetNormalize,
  trunk: (o) => o.classes === 0,
});

const efficientnetPresetContributions = Object.values(efficientnetPresets).map((preset) => irBackbone({
  name: preset.name,
  description: `${preset.description}. ${EFFICIENTNET_TAPS}`,
  archProperties: {
    width: { type: 'number', exclusiveMinimum: 0, default: 1, description: `Multiplier on this variant's width_mult (${preset.width}), for width sweeps.` },
    depth: { type: 'number', exclusiveMinimum: 0, default: 1, description: `Multiplier on this variant's depth_mult (${preset.depth}), for depth sweeps.` },
    ...efficientnetKnobs(preset.dropout),
  },
  graph: (o) => efficientnetPreset(preset.name, {
    width: num(o, 'width', 1), depth: num(o, 'depth', 1), classes: int(o, 'classes', 1000),
    dropout: rate(o, 'dropout', preset.dropout), stochasticDepth: rate(o, 'stochasticDepth', 0.2),
  }),
  preprocessing: () => imagenetNormalize,
  trunk: (o) => o.classes === 0,
}));

export const architectureContributions: BackboneContribution[] = [
  alexnetContribution, vggContribution, squeeze11Contribution, squeeze10Contribution, resnetContribution, ...resnetPresetContributions, vitContribution,
  efficientnetContribution, ...efficientnetPresetContributions,
];
