/**
 * PyTorch's zip checkpoint format (torch.save since 1.6): a zip archive `<name>/data.pkl` (the
 * pickled object, whose storages are persistent ids), `<name>/data/<key>` (raw little-endian
 * storage bytes), `<name>/version` and optionally `<name>/byteorder`.
 */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { InputError } from '@percept/core';
import { unpickle } from './pickle.js';
import { collectTensors, parseStoragePid, torchGlobals, type StorageRef } from './torch.js';
import type { WeightFile } from './types.js';

export async function readTorchZip(input: string | Uint8Array, label?: string): Promise<WeightFile> {
  const source = typeof input === 'string' ? input : label ?? '<buffer>';
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  return parseTorchZip(bytes, source);
}

export function parseTorchZip(bytes: Uint8Array, source: string): WeightFile {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new InputError(`${source}: not a readable PyTorch zip checkpoint: ${(e as Error).message} (is the file truncated?)`, { cause: e });
  }
  const pkl = Object.keys(files).find((n) => n === 'data.pkl' || /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new InputError(`${source}: zip archive has no "<archive>/data.pkl": not a PyTorch checkpoint (entries: ${Object.keys(files).slice(0, 5).join(', ')})`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = files[`${prefix}byteorder`];
  if (order && new TextDecoder().decode(order).trim() !== 'little') {
    throw new InputError(`${source}: storages are ${new TextDecoder().decode(order).trim()}-endian; only little-endian checkpoints are supported`);
  }
  const storages = new Map<string, StorageRef>();
  const { value } = unpickle(files[pkl], 0, {
    source: `${source} (${pkl})`,
    globals: torchGlobals(source),
    persistentLoad: (pid) => {
      const { type, key, numel } = parseStoragePid(pid, source);
      let ref = storages.get(key);
      if (!ref) {
        const entry = `${prefix}data/${key}`;
        ref = {
          key, dtype: type.dtype, numel,
          bytes: () => {
            const b = files[entry];
            if (!b) throw new InputError(`${source}: storage "${key}" is referenced by data.pkl but "${entry}" is missing from the archive`);
            return b;
          },
        };
        storages.set(key, ref);
      }
      return ref;
    },
  });
  const { tensors, metadata } = collectTensors(value, source);
  return { format: 'torch-zip', source, tensors, metadata };
}
