/**
 * What PyTorch checkpoints (zip and legacy) have in common: the allowed pickle globals, tensor
 * references produced by `torch._utils._rebuild_tensor_v2`, and turning the unpickled object tree
 * into named Float32 tensors.
 */
import { InputError } from '@percept/core';
import type { WeightTensor } from '../ir.js';
import { decodeToFloat32, dtypeSize, type DType } from './dtypes.js';
import { PyGlobal, PyTuple, type PickleGlobals } from './pickle.js';

/** A storage class global such as torch.FloatStorage, carrying its element type. */
export class StorageType extends PyGlobal {
  constructor(name: string, readonly dtype: DType) { super('torch', name); }
}

export const storageTypes: Readonly<Record<string, DType>> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

/** A storage as named by a persistent id; its bytes are fetched on demand. */
export interface StorageRef {
  key: string;
  dtype: DType;
  /** Elements in the storage. */
  numel: number;
  /** Raw little-endian bytes (numel × element size). */
  bytes(): Uint8Array;
}

export class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: readonly number[], readonly stride: readonly number[]) {}
}

function ints(v: unknown, what: string, source: string): number[] {
  if (!Array.isArray(v) || v.some((d) => typeof d !== 'number' || !Number.isInteger(d))) {
    throw new InputError(`${source}: ${what} is not a tuple of integers`);
  }
  return v as number[];
}

/** The allow-list for PyTorch state dicts. Nothing here can execute code or touch the system. */
export function torchGlobals(source: string): PickleGlobals {
  const rebuild = (storage: unknown, offset: unknown, size: unknown, stride: unknown): TensorRef => {
    if (!storage || typeof storage !== 'object' || !('key' in storage)) throw new InputError(`${source}: _rebuild_tensor_v2 received something other than a storage`);
    if (typeof offset !== 'number') throw new InputError(`${source}: _rebuild_tensor_v2 storage offset is not an integer`);
    return new TensorRef(storage as StorageRef, offset, ints(size, 'tensor size', source), ints(stride, 'tensor stride', source));
  };
  const g: Record<string, unknown> = {
    'collections.OrderedDict': (items?: unknown) => {
      const m = new Map<unknown, unknown>();
      if (Array.isArray(items)) for (const kv of items) if (Array.isArray(kv) && kv.length === 2) m.set(kv[0], kv[1]);
      return m;
    },
    'torch._utils._rebuild_tensor_v2': rebuild,
    'torch._utils._rebuild_tensor': rebuild,
    'torch._utils._rebuild_parameter': (data: unknown) => data,
    'torch._utils._rebuild_parameter_with_state': (data: unknown) => data,
  };
  for (const [name, dtype] of Object.entries(storageTypes)) g[`torch.${name}`] = new StorageType(name, dtype);
  return g;
}

/** Parses a persistent id tuple ('storage', StorageType, key, location, numel[, view_metadata]). */
export function parseStoragePid(pid: unknown, source: string): { type: StorageType; key: string; numel: number; view: [string, number, number] | null } {
  if (!(pid instanceof PyTuple) || pid[0] !== 'storage' || pid.length < 5) {
    throw new InputError(`${source}: unsupported persistent id ${describe(pid)} (expected a ('storage', …) tuple)`);
  }
  const [, type, key, , numel, view] = pid;
  if (!(type instanceof StorageType)) throw new InputError(`${source}: storage ${String(key)} has an unsupported storage type`);
  if (typeof key !== 'string' || typeof numel !== 'number') throw new InputError(`${source}: malformed storage reference ${describe(pid)}`);
  let v: [string, number, number] | null = null;
  if (view instanceof PyTuple && view.length === 3) v = [String(view[0]), Number(view[1]), Number(view[2])];
  return { type, key, numel, view: v };
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `(${v.map(describe).join(', ')})`;
  if (v instanceof PyGlobal) return v.qualified;
  return JSON.stringify(v) ?? String(v);
}

/** Copies a (possibly strided) tensor out of its storage as a contiguous Float32Array. */
export function materialize(t: TensorRef, name: string, source: string, cache: Map<StorageRef, Float32Array>): WeightTensor {
  const { size, stride, offset, storage } = t;
  if (size.length !== stride.length) throw new InputError(`${source}: tensor "${name}" has ${size.length} sizes but ${stride.length} strides`);
  const count = size.reduce((a, b) => a * b, 1);
  let last = offset;
  for (let i = 0; i < size.length; i++) if (size[i] > 0) last += (size[i] - 1) * stride[i];
  if (count > 0 && (offset < 0 || last >= storage.numel)) {
    throw new InputError(`${source}: tensor "${name}" [${size.join(', ')}] reads element ${last} of storage "${storage.key}", which holds ${storage.numel}`);
  }
  let flat = cache.get(storage);
  if (!flat) {
    const bytes = storage.bytes();
    const want = storage.numel * dtypeSize[storage.dtype];
    if (bytes.length < want) throw new InputError(`${source}: storage "${storage.key}" has ${bytes.length} bytes, expected ${want} (${storage.numel} × ${storage.dtype}): the file is truncated or corrupt`);
    flat = decodeToFloat32(bytes, 0, storage.numel, storage.dtype);
    cache.set(storage, flat);
  }
  const out = new Float32Array(count);
  const contiguous = size.every((_, i) => stride[i] === size.slice(i + 1).reduce((a, b) => a * b, 1) || size[i] === 1);
  if (contiguous) {
    out.set(flat.subarray(offset, offset + count));
  } else {
    const idx = new Array<number>(size.length).fill(0);
    for (let n = 0; n < count; n++) {
      let src = offset;
      for (let i = 0; i < size.length; i++) src += idx[i] * stride[i];
      out[n] = flat[src];
      for (let i = size.length - 1; i >= 0; i--) { if (++idx[i] < size[i]) break; idx[i] = 0; }
    }
  }
  return { data: out, shape: [...size] };
}

/**
 * Walks the unpickled object: tensors under (nested) dicts become "a.b.c" entries; other scalar
 * leaves (epoch counters, strings) are kept as metadata so nothing disappears silently.
 */
export function collectTensors(root: unknown, source: string): { tensors: Map<string, WeightTensor>; metadata: Record<string, string> } {
  const tensors = new Map<string, WeightTensor>();
  const metadata: Record<string, string> = {};
  const cache = new Map<StorageRef, Float32Array>();
  const walk = (v: unknown, path: string) => {
    if (v instanceof TensorRef) { tensors.set(path, materialize(v, path, source, cache)); return; }
    if (v instanceof Map) {
      for (const [k, child] of v) walk(child, path ? `${path}.${String(k)}` : String(k));
      return;
    }
    if (Array.isArray(v)) { v.forEach((child, i) => walk(child, path ? `${path}.${i}` : String(i))); return; }
    if (v === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof v)) {
      metadata[path || '<root>'] = String(v);
      return;
    }
    throw new InputError(`${source}: unsupported value at "${path || '<root>'}" (${v instanceof PyGlobal ? v.qualified : typeof v})`);
  };
  walk(root, '');
  if (tensors.size === 0) throw new InputError(`${source}: the checkpoint holds no tensors`);
  return { tensors, metadata };
}
