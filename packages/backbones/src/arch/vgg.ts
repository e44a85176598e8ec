/**
 * torchvision VGG16 (configuration "D", no batch norm), the LPIPS "vgg" trunk. Taps are the ReLUs
 * before each max-pool (lpips slices [0:4], [4:9], [9:16], [16:23], [23:30]): relu1_2 =
 * features.3, relu2_2 = features.8, relu3_3 = features.15, relu4_3 = features.22, relu5_3 = features.29.
 */
import { InputError } from '@percept/core';
import type { IRGraph } from '../ir.js';
import { GraphBuilder } from '../graph/builder.js';

export interface Vgg16Options {
  /**
   * Add torchvision's classifier (features.30 max-pool, flatten, classifier.0/.3/.6). torchvision's
   * AdaptiveAvgPool2d(7×7) is the identity at 224×224 input, the only size the head accepts, so it
   * is omitted.
   */
  classifier?: boolean;
  classes?: number;
}

const CFG: ReadonlyArray<number | 'M'> = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];
const TAPS = ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3'] as const;

export function vgg16(opts: Vgg16Options = {}): IRGraph {
  const classes = opts.classes ?? 1000;
  if (!Number.isInteger(classes) || classes < 1) throw new InputError(`vgg16: option "classes" must be a positive integer, got ${classes}`);
  const g = new GraphBuilder(opts.classifier ? 'vgg16' : 'vgg16-features');
  let x = 'input';
  let channels = 3;
  let index = 0;
  let stage = 0;
  for (const v of CFG) {
    if (v === 'M') {
      // The trunk ends at relu5_3: the last pool belongs to the classifier.
      if (stage === 4 && !opts.classifier) break;
      g.tap(TAPS[stage], x, `${TAPS[stage]}: last ReLU of block ${stage + 1} (${channels} channels, before its max-pool; ${64 >> stage}×${64 >> stage} at 64×64)`);
      x = g.maxpool(`features.${index++}`, x, { kernel: 2, stride: 2 });
      stage++;
      continue;
    }
    x = g.conv(`features.${index++}`, x, { in: channels, out: v, kernel: 3, pad: 1 });
    x = g.relu(`features.${index++}`, x);
    channels = v;
  }
  if (!opts.classifier) {
    g.tap(TAPS[4], x, `relu5_3: last ReLU of block 5 (512 channels, before its max-pool; 4×4 at 64×64)`);
    return g.build();
  }
  x = g.flatten('flatten', x);
  x = g.dense('classifier.0', x, { in: 512 * 7 * 7, out: 4096 });
  x = g.relu('classifier.1', x);
  x = g.dropout('classifier.2', x, 0.5);
  x = g.dense('classifier.3', x, { in: 4096, out: 4096 });
  x = g.relu('classifier.4', x);
  x = g.dropout('classifier.5', x, 0.5);
  x = g.dense('classifier.6', x, { in: 4096, out: classes });
  g.logits(x);
  return g.build();
}
