/**
 * torchvision AlexNet (the LPIPS "alex" trunk). Node ids are torchvision's `features.N` module
 * paths, so `features.0` reads `features.0.weight`. Taps relu1..relu5 are the ReLU outputs after
 * conv1..conv5, before any max-pool (lpips/pretrained_networks.py slices [0:2], [2:5], [5:8],
 * [8:10], [10:12]).
 */
import { InputError } from '@percept/core';
import type { IRGraph } from '../ir.js';
import { GraphBuilder } from '../graph/builder.js';

export interface AlexNetOptions {
  /**
   * Add torchvision's classifier (features.12 max-pool, flatten, classifier.1/.4/.6 with ReLUs and
   * dropout). torchvision's AdaptiveAvgPool2d(6×6) sits between them; it is the identity when the
   * trunk already yields 6×6 (224×224 input), which is the only size the head then accepts, so it
   * is omitted rather than approximated.
   */
  classifier?: boolean;
  classes?: number;
}

export function alexnet(opts: AlexNetOptions = {}): IRGraph {
  const classes = opts.classes ?? 1000;
  if (!Number.isInteger(classes) || classes < 1) throw new InputError(`alexnet: option "classes" must be a positive integer, got ${classes}`);
  const g = new GraphBuilder(opts.classifier ? 'alexnet' : 'alexnet-features');
  let x = g.conv('features.0', 'input', { in: 3, out: 64, kernel: 11, stride: 4, pad: 2 });
  x = g.relu('features.1', x);
  g.tap('relu1', x, 'conv1 (11×11/4, 64) after ReLU; 15×15 at 64×64, 55×55 at 224×224');
  x = g.maxpool('features.2', x, { kernel: 3, stride: 2 });
  x = g.conv('features.3', x, { in: 64, out: 192, kernel: 5, pad: 2 });
  x = g.relu('features.4', x);
  g.tap('relu2', x, 'conv2 (5×5, 192) after ReLU; 7×7 at 64×64');
  x = g.maxpool('features.5', x, { kernel: 3, stride: 2 });
  x = g.conv('features.6', x, { in: 192, out: 384, kernel: 3, pad: 1 });
  x = g.relu('features.7', x);
  g.tap('relu3', x, 'conv3 (3×3, 384) after ReLU; 3×3 at 64×64');
  x = g.conv('features.8', x, { in: 384, out: 256, kernel: 3, pad: 1 });
  x = g.relu('features.9', x);
  g.tap('relu4', x, 'conv4 (3×3, 256) after ReLU; 3×3 at 64×64');
  x = g.conv('features.10', x, { in: 256, out: 256, kernel: 3, pad: 1 });
  x = g.relu('features.11', x);
  g.tap('relu5', x, 'conv5 (3×3, 256) after ReLU; 3×3 at 64×64');
  if (opts.classifier) {
    x = g.maxpool('features.12', x, { kernel: 3, stride: 2 });
    x = g.flatten('flatten', x);
    x = g.dropout('classifier.0', x, 0.5);
    x = g.dense('classifier.1', x, { in: 256 * 6 * 6, out: 4096 });
    x = g.relu('classifier.2', x);
    x = g.dropout('classifier.3', x, 0.5);
    x = g.dense('classifier.4', x, { in: 4096, out: 4096 });
    x = g.relu('classifier.5', x);
    x = g.dense('classifier.6', x, { in: 4096, out: classes });
    g.logits(x);
  }
  return g.build();
}
