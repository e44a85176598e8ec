/**
 * torchvision SqueezeNet 1.0 and 1.1. Fire modules keep torchvision's parameter names
 * (`features.N.squeeze`, `.expand1x1`, `.expand3x3`); every max-pool is ceil-mode, as in
 * torchvision and the original Caffe release.
 */
import { InputError } from '@percept/core';
import type { IRGraph } from '../ir.js';
import { GraphBuilder } from '../graph/builder.js';

/** Fire: squeeze 1×1 + ReLU, then concat(expand 1×1 + ReLU, expand 3×3 + ReLU) on channels. */
function fire(g: GraphBuilder, id: string, x: string, inplanes: number, squeeze: number, e1: number, e3: number): string {
  let s = g.conv(`${id}.squeeze`, x, { in: inplanes, out: squeeze, kernel: 1 });
  s = g.relu(`${id}.squeeze_activation`, s);
  let a = g.conv(`${id}.expand1x1`, s, { in: squeeze, out: e1, kernel: 1 });
  a = g.relu(`${id}.expand1x1_activation`, a);
  let b = g.conv(`${id}.expand3x3`, s, { in: squeeze, out: e3, kernel: 3, pad: 1 });
  b = g.relu(`${id}.expand3x3_activation`, b);
  return g.concat(id, [a, b]);
}

const pool = (g: GraphBuilder, id: string, x: string) => g.maxpool(id, x, { kernel: 3, stride: 2, ceil: true });

/**
 * SqueezeNet 1.1 trunk (the LPIPS "squeeze" network) with its 7 LPIPS taps: slices [0:2], [2:5],
 * [5:8], [8:10], [10:11], [11:12], [12:13] of `features` end at features.1, .4, .7, .9, .10, .11,
 * .12. LPIPS calls them relu1..relu7; the LPIPS paper's Fig. 10d names them conv1, fire3, fire5,
 * fire6, fire7, fire8, fire9.
 */
export function squeezenet1_1(): IRGraph {
  const g = new GraphBuilder('squeezenet1_1-features');
  let x = g.conv('features.0', 'input', { in: 3, out: 64, kernel: 3, stride: 2 });
  x = g.relu('features.1', x);
  g.tap('relu1', x, 'conv1 (3×3/2, 64) after ReLU');
  x = pool(g, 'features.2', x);
  x = fire(g, 'features.3', x, 64, 16, 64, 64);
  x = fire(g, 'features.4', x, 128, 16, 64, 64);
  g.tap('relu2', x, 'fire3 output (128 channels)');
  x = pool(g, 'features.5', x);
  x = fire(g, 'features.6', x, 128, 32, 128, 128);
  x = fire(g, 'features.7', x, 256, 32, 128, 128);
  g.tap('relu3', x, 'fire5 output (256 channels)');
  x = pool(g, 'features.8', x);
  x = fire(g, 'features.9', x, 256, 48, 192, 192);
  g.tap('relu4', x, 'fire6 output (384 channels)');
  x = fire(g, 'features.10', x, 384, 48, 192, 192);
  g.tap('relu5', x, 'fire7 output (384 channels)');
  x = fire(g, 'features.11', x, 384, 64, 256, 256);
  g.tap('relu6', x, 'fire8 output (512 channels)');
  x = fire(g, 'features.12', x, 512, 64, 256, 256);
  g.tap('relu7', x, 'fire9 output (512 channels)');
  return g.build();
}

export interface SqueezeNet10Options {
  /** Give `classifier.1` padding 1, as in the original Caffe release (and the Deep Compression weights). */
  caffePaddedClassifier?: boolean;
  classes?: number;
}

/**
 * SqueezeNet 1.0 with its classifier: dropout, `classifier.1` 1×1 conv 512→classes, ReLU, global
 * average pool, flatten → logits. Taps: `conv1` (features.1, after ReLU) and `fire2`..`fire9`
 * (Caffe's module names for features.3, .4, .5, .7, .8, .9, .10, .12), i.e. every block output
 * before the max-pools that follow fire4 and fire8.
 */
export function squeezenet1_0(opts: SqueezeNet10Options = {}): IRGraph {
  const classes = opts.classes ?? 1000;
  if (!Number.isInteger(classes) || classes < 1) throw new InputError(`squeezenet1_0: option "classes" must be a positive integer, got ${classes}`);
  const g = new GraphBuilder(opts.caffePaddedClassifier ? 'squeezenet1_0-caffe' : 'squeezenet1_0');
  let x = g.conv('features.0', 'input', { in: 3, out: 96, kernel: 7, stride: 2 });
  x = g.relu('features.1', x);
  g.tap('conv1', x, 'conv1 (7×7/2, 96) after ReLU');
  x = pool(g, 'features.2', x);
  const fires: Array<[string, number, number, number, number] | 'pool'> = [
    ['features.3', 96, 16, 64, 64], ['features.4', 128, 16, 64, 64], ['features.5', 128, 32, 128, 128], 'pool',
    ['features.7', 256, 32, 128, 128], ['features.8', 256, 48, 192, 192], ['features.9', 384, 48, 192, 192],
    ['features.10', 384, 64, 256, 256], 'pool', ['features.12', 512, 64, 256, 256],
  ];
  let fireNo = 2;
  let index = 3;
  for (const f of fires) {
    if (f === 'pool') { x = pool(g, `features.${index++}`, x); continue; }
    const [id, inp, s, e1, e3] = f;
    x = fire(g, id, x, inp, s, e1, e3);
    index++;
    g.tap(`fire${fireNo}`, x, `fire${fireNo} output (${id}, ${e1 + e3} channels)`);
    fireNo++;
  }
  x = g.dropout('classifier.0', x, 0.5);
  x = g.conv('classifier.1', x, { in: 512, out: classes, kernel: 1, pad: opts.caffePaddedClassifier ? 1 : 0 });
  x = g.relu('classifier.2', x);
  x = g.globalAvgPool('classifier.3', x);
  x = g.flatten('flatten', x);
  g.logits(x);
  return g.build();
}
