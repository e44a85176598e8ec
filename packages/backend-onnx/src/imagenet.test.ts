/**
 * A real ImageNet classifier through the IR -> ONNX path with a non-trivial compiled head: the
 * Deep Compression SqueezeNet 1.0 wants Caffe input (BGR, 0..255 minus the mean, 227×227), which
 * the ONNX graph applies itself (Gather on the channel axis, Mul, Sub). A wrong channel order or
 * scale would collapse the accuracy.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedAssets } from '@percept/core/testing';
import backbones, { type IRModelSpec } from '@percept/backbones';
import { readImages } from '@percept/images';
import { OnnxBackend } from './backend.js';

const DATA = 'datasets/imagenet-val-subset';
const assets = sharedAssets('weights/squeezenet1_0-deepcompression.safetensors', `${DATA}/val.txt`);

describe.skipIf(!assets.available)('squeezenet1_0 (Caffe BGR preprocessing compiled into the graph) on ImageNet images', () => {
  it('top-1 on 24 validation images is far above chance', async () => {
    const contribution = backbones.contributes.find((c) => c.kind === 'backbone' && c.name === 'squeezenet1_0');
    if (contribution?.kind !== 'backbone') throw new Error('@percept/backbones does not contribute "squeezenet1_0"');
    const spec = (await contribution.build({ weights: 'pretrained' }, { baseDir: process.cwd() })) as IRModelSpec;
    expect(spec.preprocessing.channelOrder).toBe('BGR');

    const labels = new Map(readFileSync(assets.path(`${DATA}/val.txt`), 'utf8').trim().split('\n').map((l) => {
      const [file, label] = l.split(' ');
      return [file, Number(label)] as const;
    }));
    // Images from the end of the sorted list, so this does not repeat the MobileNet test's images.
    const files = readdirSync(assets.path(`${DATA}/ILSVRC2012_img_val`)).sort().slice(-24);
    const batch = await readImages(files.map((f) => join(assets.path(`${DATA}/ILSVRC2012_img_val`), f)));
    const extractor = await new OnnxBackend({ intraOpNumThreads: 2 }).load(spec, { taps: ['fire9'], logits: true });
    try {
      const out = await extractor.extract(batch);
      expect(out.taps.fire9.shape).toEqual([24, 512, 13, 13]);
      const logits = out.logits!;
      const classes = logits.shape[1];
      expect(classes).toBe(1000);
      let correct = 0;
      files.forEach((f, i) => {
        const row = Array.from(logits.data.subarray(i * classes, (i + 1) * classes));
        if (row.indexOf(Math.max(...row)) === labels.get(f)) correct++;
      });
      // About 71% is expected on this subset; chance is 0.1%.
      expect(correct).toBeGreaterThanOrEqual(12);
    } finally {
      await extractor.dispose();
    }
  });
});
