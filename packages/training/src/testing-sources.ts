/**
 * Synthetic labelled images for tests and benchmarks: class c is a noisy image whose mean colour
 * and stripe direction depend on c, so a tiny network can learn it in a few steps.
 */
import { SeededRandom } from '@percept/backbones';
import type { ImageBatch } from '@percept/core';
import type { RandomAccessSource } from './data/source.js';

export function syntheticSource(options: { classes: number; perClass: number; size: number; seed?: number; name?: string }): RandomAccessSource {
  const { classes, perClass, size } = options;
  const seed = options.seed ?? 0;
  const n = classes * perClass;
  return {
    description: options.name ?? `synthetic ${classes}-class source`,
    size: n,
    classes: Array.from({ length: classes }, (_, c) => `class${c}`),
    label: (i) => i % classes,
    name: (i) => `synthetic/${i % classes}/${Math.floor(i / classes)}`,
    async load(i): Promise<ImageBatch> {
      const c = i % classes;
      const rng = new SeededRandom(seed, `synthetic:${i}`);
      const data = new Float32Array(size * size * 3);
      const hue = c / classes;
      const base = [0.5 + 0.4 * Math.cos(2 * Math.PI * hue), 0.5 + 0.4 * Math.cos(2 * Math.PI * (hue + 1 / 3)), 0.5 + 0.4 * Math.cos(2 * Math.PI * (hue + 2 / 3))];
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        const stripe = c % 2 === 0 ? (y % 2) : (x % 2);
        for (let k = 0; k < 3; k++) {
          const v = base[k] + 0.15 * (stripe - 0.5) + 0.1 * (rng.uniform() - 0.5);
          data[(y * size + x) * 3 + k] = Math.min(1, Math.max(0, v));
        }
      }
      return { data, shape: [1, size, size, 3] };
    },
  };
}
