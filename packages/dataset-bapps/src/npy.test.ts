import { describe, it, expect } from 'vitest';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@percept/core';
import { encodeNpy, npyToNumbers, parseNpy, readNpy } from './npy.js';

// Bytes written by NumPy 2.4 (`np.lib.format.write_array`), so the parser is checked against the
// reference writer rather than against itself.
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const NUMPY = {
  // np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3))
  fortran2x3f4: '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00000000000040400000803f00008040000000400000a040',
  // np.array([0.6], dtype=np.float32): the shape BAPPS-style judgements are written with
  judge1f4: '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028312c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a9a99193f',
  // np.array(0.4, dtype=np.float64): a 0-d array
  scalarf8: '934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a9a9999999999d93f',
  // np.arange(4, dtype='<f2').reshape(2, 2) saved with version=(2, 0)
  v2f2: '934e554d50590200740000007b276465736372273a20273c6632272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000003c00400042',
  // np.array([[1, 2], [3, 4]], dtype='>i8'): big-endian int64
  bigI8: '934e554d5059010076007b276465736372273a20273e6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000000000000001000000000000000200000000000000030000000000000004',
  // np.asfortranarray(np.arange(24, dtype='|u1').reshape(2, 3, 4))
  fortran3dU1: '934e554d5059010076007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c20332c2034292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000c04100814010d05110915020e06120a16030f07130b17',
};

describe('parseNpy', () => {
  it('transposes Fortran-ordered 2-D data to C order', () => {
    const a = parseNpy(fromHex(NUMPY.fortran2x3f4), 'f.npy');
    expect(a.dtype).toBe('f4');
    expect(a.shape).toEqual([2, 3]);
    expect(a.fortranOrder).toBe(true);
    expect(Array.from(a.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('transposes Fortran-ordered 3-D data to C order', () => {
    const a = parseNpy(fromHex(NUMPY.fortran3dU1));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data as Uint8Array)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('reads shape (1,) float32 and 0-d float64 single values', () => {
    const j = parseNpy(fromHex(NUMPY.judge1f4));
    expect(j.shape).toEqual([1]);
    expect(j.data[0]).toBeCloseTo(0.6, 6);
    const s = parseNpy(fromHex(NUMPY.scalarf8));
    expect(s.shape).toEqual([]);
    expect(s.data).toBeInstanceOf(Float64Array);
    expect(s.data[0]).toBe(0.4);
  });

  it('reads a version 2.0 header with float16 data', () => {
    const a = parseNpy(fromHex(NUMPY.v2f2));
    expect(a.dtype).toBe('f2');
    expect(a.shape).toEqual([2, 2]);
    expect(Array.from(a.data as Float32Array)).toEqual([0, 1, 2, 3]);
  });

  it('reads big-endian int64 as BigInt64Array and converts to numbers', () => {
    const a = parseNpy(fromHex(NUMPY.bigI8));
    expect(a.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(npyToNumbers(a))).toEqual([1, 2, 3, 4]);
  });

  it('rejects bad magic, naming the file', () => {
    const bytes = fromHex(NUMPY.judge1f4);
    bytes[1] = 0x00;
    expect(() => parseNpy(bytes, 'judge/000001.npy')).toThrowError(/judge\/000001\.npy: not a \.npy file/);
    expect(() => parseNpy(bytes, 'x.npy')).toThrowError(InputError);
  });

  it('rejects truncated data and unsupported dtypes, naming the file', () => {
    const bytes = fromHex(NUMPY.fortran2x3f4);
    expect(() => parseNpy(bytes.subarray(0, bytes.length - 4), 'cut.npy')).toThrowError(/cut\.npy: truncated \.npy data.*needs 24 bytes, file has 20/);
    const complex = encodeNpy({ shape: [1], data: [1] });
    const text = Buffer.from(complex).toString('latin1').replace("'<f4'", "'<c8'");
    expect(() => parseNpy(Buffer.from(text, 'latin1'), 'c.npy')).toThrowError(/c\.npy: unsupported \.npy dtype "<c8"/);
  });
});

describe('encodeNpy', () => {
  it('writes the same bytes as np.save for a (1,) float32 judgement', () => {
    expect(Buffer.from(encodeNpy({ shape: [1], data: [0.6] })).toString('hex')).toBe(NUMPY.judge1f4);
  });

  it('round-trips float64 and 0-d arrays through a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'percept-npy-'));
    try {
      const p = join(dir, 'a.npy');
      await writeFile(p, encodeNpy({ dtype: 'f8', shape: [2, 2], data: [0.1, 0.2, 0.3, 0.4] }));
      const a = await readNpy(p);
      expect(a.shape).toEqual([2, 2]);
      expect(Array.from(a.data as Float64Array)).toEqual([0.1, 0.2, 0.3, 0.4]);
      expect(parseNpy(encodeNpy({ shape: [], data: [0.25] })).data[0]).toBe(0.25);
      expect(Buffer.from(encodeNpy({ dtype: 'f8', shape: [], data: [0.4] })).toString('hex')).toBe(NUMPY.scalarf8);
      await expect(readNpy(join(dir, 'missing.npy'))).rejects.toThrowError(/missing\.npy: cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => encodeNpy({ shape: [2], data: [1] })).toThrowError(/shape \(2\) holds 2 values but 1/);
  });
});
