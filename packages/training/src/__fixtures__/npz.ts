/**
 * Writes small downsampled-ImageNet-style npz files (train_data_batch_<k>.npz: data uint8 [N, 3·S·S]
 * in CHW row order, labels int64 1-based) from the synthetic source, for streaming tests. Files
 * alternate between deflated and stored members, as np.savez_compressed and np.savez write them.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { encodeNpy } from '@percept/dataset-imagenet';
import { syntheticSource } from '../testing-sources.js';

export async function writeNpzShards(root: string, sizes: readonly number[], o: { side: number; classes: number; seed?: number }): Promise<void> {
  await mkdir(root, { recursive: true });
  const total = sizes.reduce((a, b) => a + b, 0);
  const src = syntheticSource({ classes: o.classes, perClass: Math.ceil(total / o.classes), size: o.side, seed: o.seed ?? 0 });
  const plane = o.side * o.side, row = 3 * plane;
  let first = 0;
  for (let k = 0; k < sizes.length; k++) {
    const n = sizes[k];
    const data = new Uint8Array(n * row);
    const labels = new Uint8Array(n * 8);
    const lv = new DataView(labels.buffer);
    for (let i = 0; i < n; i++) {
      const img = await src.load(first + i);
      for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[i * row + c * plane + p] = Math.round(img.data[p * 3 + c] * 255);
      lv.setBigInt64(i * 8, BigInt(src.label(first + i) + 1), true);
    }
    const level = k % 2 === 0 ? 6 : 0;
    await writeFile(join(root, `train_data_batch_${k + 1}.npz`), zipSync({
      'data.npy': [encodeNpy('|u1', [n, row], data), { level }],
      'labels.npy': [encodeNpy('<i8', [n], labels), { level }],
    }));
    first += n;
  }
}
