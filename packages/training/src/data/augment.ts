/**
 * Training and evaluation image pipelines (SPEC §3.2, tensorflow/tpu resnet_preprocessing):
 *   inception  random crop as tf.image.sample_distorted_bounding_box draws it (area 8–100% of the
 *              image, aspect 3/4–4/3, at least 10% of the image covered, 10 attempts), falling back
 *              to the evaluation crop, then a bicubic resize to the training size
 *   central    the evaluation crop (central `cropFraction` of each side) and a bicubic resize
 * plus an optional random horizontal flip. Each sample's randomness comes from its own stream
 * (seed, epoch, sample index), so augmentation never depends on batching or on where a run resumed.
 */
import type { ImageBatch } from '@percept/core';
import { SeededRandom } from '@percept/backbones';
import { centerCropFraction, crop, resize } from '@percept/images';

export type CropMode = 'inception' | 'central';

export interface AugmentOptions {
  crop: CropMode;
  flip: boolean;
  /** Output side length. */
  size: number;
  /** Side fraction kept by the central (evaluation) crop; 0.875 as tensorflow/tpu's CROP_FRACTION. */
  cropFraction: number;
}

const AREA: readonly [number, number] = [0.08, 1];
const ASPECT: readonly [number, number] = [3 / 4, 4 / 3];
const MIN_COVERED = 0.1;
const ATTEMPTS = 10;

/** The evaluation view of an image: central crop, then resize to size×size. */
export function evalView(img: ImageBatch, size: number, cropFraction: number): ImageBatch {
  const c = cropFraction < 1 ? centerCropFraction(img, cropFraction) : img;
  return c.shape[1] === size && c.shape[2] === size ? c : resize(c, size, size, { filter: 'bicubic', antialias: false });
}

/** A random crop box [top, left, h, w] in the inception style, or undefined after 10 misses. */
export function inceptionBox(h: number, w: number, rng: SeededRandom): [number, number, number, number] | undefined {
  const area = h * w;
  for (let a = 0; a < ATTEMPTS; a++) {
    const target = area * (AREA[0] + (AREA[1] - AREA[0]) * rng.uniform());
    // Aspect ratio drawn uniformly, as the TF kernel does (not log-uniform like torchvision).
    const ratio = ASPECT[0] + (ASPECT[1] - ASPECT[0]) * rng.uniform();
    const cw = Math.round(Math.sqrt(target * ratio));
    const ch = Math.round(Math.sqrt(target / ratio));
    if (cw < 1 || ch < 1 || cw > w || ch > h || cw * ch < MIN_COVERED * area) continue;
    const top = Math.floor(rng.uniform() * (h - ch + 1));
    const left = Math.floor(rng.uniform() * (w - cw + 1));
    return [top, left, ch, cw];
  }
  return undefined;
}

export function flipHorizontal(img: ImageBatch): ImageBatch {
  const [n, h, w] = img.shape;
  const out = new Float32Array(img.data.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) {
    const row = (b * h + y) * w;
    for (let x = 0; x < w; x++) {
      const s = (row + x) * 3, d = (row + w - 1 - x) * 3;
      out[d] = img.data[s]; out[d + 1] = img.data[s + 1]; out[d + 2] = img.data[s + 2];
    }
  }
  return { data: out, shape: img.shape };
}

export function augment(img: ImageBatch, o: AugmentOptions, rng: SeededRandom): ImageBatch {
  let out: ImageBatch;
  const box = o.crop === 'inception' ? inceptionBox(img.shape[1], img.shape[2], rng) : undefined;
  if (box) {
    const c = crop(img, box[0], box[1], box[2], box[3]);
    out = c.shape[1] === o.size && c.shape[2] === o.size ? c : resize(c, o.size, o.size, { filter: 'bicubic', antialias: false });
  } else {
    out = evalView(img, o.size, o.cropFraction);
  }
  if (o.flip && rng.uniform() < 0.5) out = flipHorizontal(out);
  return out;
}
