import { describe, it, expect } from 'vitest';
import { sharedAssets } from '@percept/core/testing';
import { InputError } from '@percept/core';
import { parseSafetensors, readSafetensors, writeSafetensors } from './safetensors.js';
import { halfToFloat } from './dtypes.js';

/** Builds a safetensors buffer from raw per-tensor bytes (to cover dtypes our writer does not emit). */
function rawSafetensors(entries: Array<{ name: string; dtype: string; shape: number[]; bytes: Uint8Array }>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let off = 0;
  for (const e of entries) { header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] }; off += e.bytes.length; }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const e of entries) { out.set(e.bytes, pos); pos += e.bytes.length; }
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata', () => {
    const t = new Map([['a.weight', { data: new Float32Array([1, -2.5, 3e-8, 4]), shape: [2, 2] }], ['b', { data: new Float32Array([7]), shape: [] }]]);
    const w = parseSafetensors(writeSafetensors(t, { note: 'hi' }), 'mem');
    expect(w.metadata).toEqual({ note: 'hi' });
    expect([...w.tensors.get('a.weight')!.data]).toEqual([...t.get('a.weight')!.data]);
    expect(w.tensors.get('b')!.shape).toEqual([]);
  });

  it('decodes F16, BF16, F64 and I64 to float32', () => {
    const f16 = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00]); // 1, -2, smallest subnormal
    const bf16 = new Uint8Array([0x80, 0x3f, 0x40, 0xc0]); // 1, -3
    const f64 = new Uint8Array(new Float64Array([0.1, -1e300]).buffer);
    const i64 = new Uint8Array(new BigInt64Array([12345n, -7n]).buffer);
    const w = parseSafetensors(rawSafetensors([
      { name: 'h', dtype: 'F16', shape: [3], bytes: f16 },
      { name: 'b', dtype: 'BF16', shape: [2], bytes: bf16 },
      { name: 'd', dtype: 'F64', shape: [2], bytes: f64 },
      { name: 'n', dtype: 'I64', shape: [2], bytes: i64 },
    ]), 'mem');
    expect([...w.tensors.get('h')!.data]).toEqual([1, -2, Math.fround(2 ** -24)]);
    expect([...w.tensors.get('b')!.data]).toEqual([1, -3]);
    expect(w.tensors.get('d')!.data[0]).toBeCloseTo(0.1, 7);
    expect(w.tensors.get('d')!.data[1]).toBe(-Infinity);
    expect([...w.tensors.get('n')!.data]).toEqual([12345, -7]);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('names the file and the problem for truncated or corrupt input', () => {
    const good = writeSafetensors(new Map([['x', { data: new Float32Array(16), shape: [4, 4] }]]));
    expect(() => parseSafetensors(good.subarray(0, good.length - 4), 'cut.safetensors')).toThrow(/cut\.safetensors: .*tensor "x" data ends .*truncated/);
    expect(() => parseSafetensors(good.subarray(0, 20), 'cut.safetensors')).toThrow(/header length \d+ runs past the end.*truncated/);
    expect(() => parseSafetensors(new Uint8Array(5), 'tiny.bin')).toThrow(InputError);
    const wrongDtype = rawSafetensors([{ name: 'q', dtype: 'F8_E4M3', shape: [1], bytes: new Uint8Array(1) }]);
    expect(() => parseSafetensors(wrongDtype, 'f8.safetensors')).toThrow(/tensor "q" has unsupported dtype "F8_E4M3"/);
    const badSize = rawSafetensors([{ name: 'q', dtype: 'F32', shape: [3], bytes: new Uint8Array(8) }]);
    expect(() => parseSafetensors(badSize, 's.safetensors')).toThrow(/tensor "q" \[3\] F32 needs 12 bytes but data_offsets span 8/);
    const notJson = new Uint8Array(12); new DataView(notJson.buffer).setBigUint64(0, 4n, true); notJson.set([0x7b, 0x7b, 0x20, 0x20], 8);
    expect(() => parseSafetensors(notJson, 'j.safetensors')).toThrow(/header is not valid UTF-8 JSON/);
  });
});

const assets = sharedAssets('weights/alexnet-features.safetensors', 'weights/lpips-v0.1-alex-lin.safetensors');
describe.skipIf(!assets.available)('safetensors on real files', () => {
  it('reads the AlexNet trunk with its metadata', async () => {
    const w = await readSafetensors(assets.path('weights/alexnet-features.safetensors'));
    expect(w.metadata.layout).toBe('OIHW');
    expect(w.tensors.get('features.0.weight')!.shape).toEqual([64, 3, 11, 11]);
    const bias = w.tensors.get('features.10.bias')!.data;
    expect(bias.length).toBe(256);
    expect(bias.every(Number.isFinite)).toBe(true);
    expect(bias.some((v) => v !== 0)).toBe(true);
  });

  it('every truncation is an InputError naming the file', async () => {
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(assets.path('weights/lpips-v0.1-alex-lin.safetensors'));
    for (let n = 0; n < bytes.length; n += 5) {
      expect(() => parseSafetensors(bytes.subarray(0, n), 'lin.safetensors'), `truncated at ${n}`).toThrow(/^lin\.safetensors: not a valid safetensors file/);
    }
  });
});
