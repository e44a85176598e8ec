/**
 * Conversions from the element types checkpoints use to Float32 (the one type weights have in
 * Percept). Every reader goes through here so that F16/BF16/I64 handling is written once.
 */
import { endianness } from 'node:os';

export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const dtypeSize: Readonly<Record<DType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(dtypeSize, s);
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** IEEE 754 half precision to number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Decodes `count` little-endian elements of `dtype` starting at `offset` in `bytes` into a new
 * Float32Array. The source need not be aligned.
 */
export function decodeToFloat32(bytes: Uint8Array, offset: number, count: number, dtype: DType): Float32Array {
  const size = dtypeSize[dtype];
  const out = new Float32Array(count);
  if (dtype === 'F32' && LITTLE_ENDIAN_HOST) {
    // Fast path: one copy into an aligned buffer.
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * size);
  switch (dtype) {
    case 'F32': for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true); break;
    case 'F64': for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true); break;
    case 'F16': for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true)); break;
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) { tmp.setUint32(0, view.getUint16(i * 2, true) << 16, true); out[i] = tmp.getFloat32(0, true); }
      break;
    }
    case 'I64': for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true)); break;
    case 'I32': for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true); break;
    case 'I16': for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true); break;
    case 'I8': for (let i = 0; i < count; i++) out[i] = view.getInt8(i); break;
    case 'U8': case 'BOOL': for (let i = 0; i < count; i++) out[i] = view.getUint8(i); break;
  }
  return out;
}
