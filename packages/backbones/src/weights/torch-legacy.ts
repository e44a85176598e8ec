/**
 * PyTorch's legacy (pre-1.6, non-zip) checkpoint format, as LPIPS distributes its weights:
 *   pickle 1: the magic number 0x1950a86a20f9469cfc6c
 *   pickle 2: the protocol version (1001)
 *   pickle 3: sys_info {protocol_version, little_endian, type_sizes}
 *   pickle 4: the object; storages are persistent ids ('storage', type, key, location, numel, view)
 *   pickle 5: the list of storage keys, in the order their data follows
 *   then, per key: an int64 little-endian element count and the raw little-endian elements.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '@percept/core';
import { unpickle } from './pickle.js';
import { collectTensors, parseStoragePid, torchGlobals, type StorageRef } from './torch.js';
import { dtypeSize, type DType } from './dtypes.js';
import type { WeightFile } from './types.js';

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

export async function readTorchLegacy(input: string | Uint8Array, label?: string): Promise<WeightFile> {
  const source = typeof input === 'string' ? input : label ?? '<buffer>';
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  return parseTorchLegacy(bytes, source);
}

export function parseTorchLegacy(bytes: Uint8Array, source: string): WeightFile {
  const plain = { source, globals: {} };
  const magic = unpickle(bytes, 0, plain);
  if (magic.value !== LEGACY_MAGIC) throw new InputError(`${source}: not a legacy PyTorch file (magic number ${String(magic.value)} is not ${LEGACY_MAGIC})`);
  const proto = unpickle(bytes, magic.end, plain);
  if (proto.value !== PROTOCOL_VERSION) throw new InputError(`${source}: legacy PyTorch protocol version ${String(proto.value)} is not supported (expected ${PROTOCOL_VERSION})`);
  const sys = unpickle(bytes, proto.end, plain);
  if (sys.value instanceof Map && sys.value.get('little_endian') === false) {
    throw new InputError(`${source}: the file was written on a big-endian machine; only little-endian checkpoints are supported`);
  }

  // Storages are declared while unpickling the object, but their bytes come after the key list.
  const declared = new Map<string, { dtype: DType; numel: number }>();
  const raw = new Map<string, Uint8Array>();
  const refs = new Map<string, StorageRef>();
  const ref = (key: string, dtype: DType, numel: number, view: [string, number, number] | null): StorageRef => {
    if (!declared.has(key)) declared.set(key, { dtype, numel });
    const id = view ? `${key}/${view[0]}` : key;
    let r = refs.get(id);
    if (!r) {
      r = {
        key: id, dtype, numel: view ? view[2] : numel,
        bytes: () => {
          const b = raw.get(key);
          if (!b) throw new InputError(`${source}: storage "${key}" has no data`);
          if (!view) return b;
          const size = dtypeSize[dtype];
          return b.subarray(view[1] * size, (view[1] + view[2]) * size);
        },
      };
      refs.set(id, r);
    }
    return r;
  };
  const obj = unpickle(bytes, sys.end, {
    source,
    globals: torchGlobals(source),
    persistentLoad: (pid) => {
      const { type, key, numel, view } = parseStoragePid(pid, source);
      return ref(key, type.dtype, numel, view);
    },
  });
  const keys = unpickle(bytes, obj.end, plain);
  if (!Array.isArray(keys.value) || keys.value.some((k) => typeof k !== 'string')) {
    throw new InputError(`${source}: the storage key list after the object is not a list of strings`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const d = declared.get(key);
    if (!d) throw new InputError(`${source}: storage "${key}" is listed but never referenced by the object`);
    if (pos + 8 > bytes.length) throw new InputError(`${source}: storage "${key}" element count at byte ${pos} is past the end of the file (${bytes.length} bytes): the file is truncated`);
    const n = Number(view.getBigInt64(pos, true));
    pos += 8;
    if (n !== d.numel) throw new InputError(`${source}: storage "${key}" has ${n} elements on disk but ${d.numel} in its reference`);
    const len = n * dtypeSize[d.dtype];
    if (pos + len > bytes.length) {
      throw new InputError(`${source}: storage "${key}" needs ${len} bytes at byte ${pos} but the file ends at ${bytes.length}: the file is truncated`);
    }
    raw.set(key, bytes.subarray(pos, pos + len));
    pos += len;
  }
  for (const key of declared.keys()) {
    if (!raw.has(key)) throw new InputError(`${source}: storage "${key}" is referenced by the object but missing from the storage key list`);
  }
  const { tensors, metadata } = collectTensors(obj.value, source);
  return { format: 'torch-legacy', source, tensors, metadata };
}
