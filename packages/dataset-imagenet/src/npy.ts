/**
 * A small reader for NumPy `.npy` headers and integer/uint8 payloads, as found in downsampled
 * ImageNet's npz files (`data` uint8 [N, 3·S·S], `labels` int64 [N]).
 *
 * @percept/dataset-bapps has a complete .npy parser, but it works on whole buffers and this package
 * does not depend on that one (a dataset package depending on another would invert the layering),
 * so the header is parsed here and the payload is streamed by the caller.
 *
 * Header: `\x93NUMPY`, major, minor, header length (uint16 LE for v1, uint32 LE for v2/v3), then
 * a Python dict literal `{'descr': '<i8', 'fortran_order': False, 'shape': (50000,), }`.
 */
import { InputError } from '@percept/core';

export interface NpyHeader {
  /** e.g. "<i8", "|u1". */
  descr: string;
  /** Type without byte order: "u1", "i8", "f4", … */
  dtype: string;
  littleEndian: boolean;
  itemSize: number;
  fortranOrder: boolean;
  shape: number[];
  /** Bytes before the data. */
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Parses the header from the first bytes of a .npy; returns undefined when more bytes are needed. */
export function parseNpyHeader(bytes: Uint8Array, what: string): NpyHeader | undefined {
  if (bytes.length < 10) return undefined;
  for (let i = 0; i < 6; i++) if (bytes[i] !== MAGIC[i]) throw new InputError(`${what}: not a .npy array (bad magic bytes)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let len: number, start: number;
  if (major === 1) { len = view.getUint16(8, true); start = 10; }
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) return undefined;
    len = view.getUint32(8, true); start = 12;
  } else throw new InputError(`${what}: unsupported .npy format version ${major}.${bytes[7]}`);
  if (bytes.length < start + len) return undefined;
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + len));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new InputError(`${what}: malformed .npy header ${JSON.stringify(text.trim())}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new InputError(`${what}: bad shape (${shapeText}) in .npy header`);
  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  if (!m) throw new InputError(`${what}: unsupported dtype "${descr}" (structured or object arrays are not image data)`);
  const itemSize = Number(m[3]);
  return {
    descr, dtype: `${m[2]}${m[3]}`, littleEndian: m[1] !== '>', itemSize,
    fortranOrder: fortran === 'True', shape, dataOffset: start + len,
  };
}

/** Reads an integer array (labels) as numbers; floats and other kinds are rejected. */
export function npyIntegers(bytes: Uint8Array, h: NpyHeader, what: string): number[] {
  const n = h.shape.reduce((a, b) => a * b, 1);
  const kind = h.dtype[0];
  if (kind !== 'i' && kind !== 'u') throw new InputError(`${what}: labels must be an integer array, got dtype "${h.descr}"`);
  if (bytes.length < h.dataOffset + n * h.itemSize) throw new InputError(`${what}: holds ${bytes.length - h.dataOffset} data bytes, shape (${h.shape.join(', ')}) needs ${n * h.itemSize}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset, n * h.itemSize);
  const le = h.littleEndian;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const at = i * h.itemSize;
    switch (h.dtype) {
      case 'u1': out[i] = view.getUint8(at); break;
      case 'i1': out[i] = view.getInt8(at); break;
      case 'u2': out[i] = view.getUint16(at, le); break;
      case 'i2': out[i] = view.getInt16(at, le); break;
      case 'u4': out[i] = view.getUint32(at, le); break;
      case 'i4': out[i] = view.getInt32(at, le); break;
      case 'u8': out[i] = Number(view.getBigUint64(at, le)); break;
      case 'i8': out[i] = Number(view.getBigInt64(at, le)); break;
      default: throw new InputError(`${what}: unsupported integer dtype "${h.descr}"`);
    }
  }
  return out;
}

/** Encodes a C-order .npy (v1.0) — used by tests and tools that write small npz fixtures. */
export function encodeNpy(descr: string, shape: readonly number[], data: Uint8Array): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Header padded with spaces so that data starts on a 64-byte boundary, ending in "\n".
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set(MAGIC, 0);
  out[6] = 1; out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, total);
  return out;
}
