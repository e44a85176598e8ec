/**
 * safetensors: an 8-byte little-endian header length, a JSON header mapping tensor names to
 * { dtype, shape, data_offsets: [begin, end] } (offsets relative to the end of the header) plus an
 * optional `__metadata__` of strings, then the raw little-endian data.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '@percept/core';
import { decodeToFloat32, dtypeSize, isDType } from './dtypes.js';
import type { WeightFile } from './types.js';

/** Headers larger than this are rejected before parsing (the format's own reference limit is 100 MB). */
const MAX_HEADER = 100 * 1024 * 1024;

export async function readSafetensors(input: string | Uint8Array, label?: string): Promise<WeightFile> {
  const source = typeof input === 'string' ? input : label ?? '<buffer>';
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  return parseSafetensors(bytes, source);
}

export function parseSafetensors(bytes: Uint8Array, source: string): WeightFile {
  const bad = (what: string): never => { throw new InputError(`${source}: not a valid safetensors file: ${what}`); };
  if (bytes.length < 8) bad(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER)) bad(`header length ${headerLen} exceeds ${MAX_HEADER} bytes`);
  const n = Number(headerLen);
  if (8 + n > bytes.length) bad(`header length ${n} runs past the end of the file (${bytes.length} bytes): the file is truncated`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    bad(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) bad('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors: WeightFile['tensors'] = new Map();
  let metadata: Record<string, string> = {};
  const ranges: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) bad('"__metadata__" is not an object');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') bad(`"__metadata__.${k}" is not a string`);
      }
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') bad(`tensor "${name}" entry is not an object`);
    if (typeof e.dtype !== 'string' || !isDType(e.dtype)) bad(`tensor "${name}" has unsupported dtype ${JSON.stringify(e.dtype)} (expected one of F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)`);
    const dtype = e.dtype as keyof typeof dtypeSize;
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) bad(`tensor "${name}" has an invalid shape ${JSON.stringify(e.shape)}`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || offs.some((d) => !Number.isInteger(d) || d < 0) || offs[0] > offs[1]) {
      bad(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const shape = e.shape as number[];
    const [begin, end] = offs as [number, number];
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * dtypeSize[dtype]) {
      bad(`tensor "${name}" [${shape.join(', ')}] ${dtype} needs ${count * dtypeSize[dtype]} bytes but data_offsets span ${end - begin}`);
    }
    if (end > dataLen) bad(`tensor "${name}" data ends at byte ${end} of the data section but the file holds only ${dataLen} data bytes: the file is truncated`);
    ranges.push([begin, end, name]);
    tensors.set(name, { data: decodeToFloat32(bytes, dataStart + begin, count, dtype), shape });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) bad(`tensors "${ranges[i - 1][2]}" and "${ranges[i][2]}" overlap in the data section`);
  }
  return { format: 'safetensors', source, tensors, metadata };
}

/** Serialises float32 tensors as safetensors (used for fixtures and exports). */
export function writeSafetensors(tensors: ReadonlyMap<string, { data: Float32Array; shape: readonly number[] }>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new InputError(`writeSafetensors: tensor "${name}" has ${t.data.length} values but shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    const dv = new DataView(out.buffer, pos, t.data.length * 4);
    for (let i = 0; i < t.data.length; i++) dv.setFloat32(i * 4, t.data[i], true);
    pos += t.data.length * 4;
  }
  return out;
}
