/** Reads any supported checkpoint, choosing the format by content (magic bytes), never by extension. */
import { open, readFile } from 'node:fs/promises';
import { InputError } from '@percept/core';
import { parseSafetensors } from './safetensors.js';
import { parseTorchZip } from './torch-zip.js';
import { parseTorchLegacy } from './torch-legacy.js';
import type { WeightFile, WeightFormat } from './types.js';

/** Identifies a checkpoint from its first bytes; undefined when it is none of the three formats. */
export function sniffWeightFormat(head: Uint8Array): WeightFormat | undefined {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'torch-zip';
  // Legacy: a protocol-2 pickle whose first value is the LONG1 magic number.
  if (head.length >= 4 && head[0] === 0x80 && head[2] === 0x8a && head[3] === 0x0a) return 'torch-legacy';
  // safetensors: u64 header length, then a JSON object.
  if (head.length >= 9 && head[8] === 0x7b) return 'safetensors';
  return undefined;
}

export async function readWeights(path: string): Promise<WeightFile> {
  let head: Uint8Array;
  try {
    const fh = await open(path, 'r');
    try {
      head = new Uint8Array(16);
      const { bytesRead } = await fh.read(head, 0, 16, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new InputError(`${path}: cannot open weights file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  const format = sniffWeightFormat(head);
  if (!format) {
    throw new InputError(`${path}: unrecognised weights format: expected safetensors, a PyTorch zip checkpoint, or a legacy PyTorch file`, {
      hint: 'Keras/TF checkpoints must first be converted (see tools/ for export helpers).',
    });
  }
  return parseWeights(await readFile(path), path, format);
}

export function parseWeights(bytes: Uint8Array, source: string, format = sniffWeightFormat(bytes.subarray(0, 16))): WeightFile {
  switch (format) {
    case 'torch-zip': return parseTorchZip(bytes, source);
    case 'torch-legacy': return parseTorchLegacy(bytes, source);
    case 'safetensors': return parseSafetensors(bytes, source);
    default: throw new InputError(`${source}: unrecognised weights format: expected safetensors, a PyTorch zip checkpoint, or a legacy PyTorch file`);
  }
}
