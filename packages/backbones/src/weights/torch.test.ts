import { describe, it, expect } from 'vitest';
import { zipSync } from 'fflate';
import { sharedAssets } from '@percept/core/testing';
import { InputError } from '@percept/core';
import { unpickle, PyTuple } from './pickle.js';
import { parseTorchZip, readTorchZip } from './torch-zip.js';
import { parseTorchLegacy, readTorchLegacy } from './torch-legacy.js';
import { readSafetensors } from './safetensors.js';
import { readWeights, parseWeights, sniffWeightFormat } from './read.js';

/** A tiny pickle writer for fixtures: enough protocol-2 opcodes to describe state dicts. */
class P {
  private parts: number[] = [0x80, 2];
  op(...b: number[]) { this.parts.push(...b); return this; }
  str(s: string) { const b = new TextEncoder().encode(s); this.parts.push(0x58, ...le32(b.length), ...b); return this; }
  int(n: number) { this.parts.push(0x4a, ...le32(n)); return this; }
  global(mod: string, name: string) { this.parts.push(0x63, ...new TextEncoder().encode(`${mod}\n${name}\n`)); return this; }
  mark() { return this.op(0x28); }
  tuple() { return this.op(0x74); }
  bytes() { return new Uint8Array([...this.parts, 0x2e]); }
}
const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];

/** _rebuild_tensor_v2(('storage', <type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict()). */
function tensor(p: P, type: string, key: string, numel: number, offset: number, size: number[], stride: number[]) {
  p.global('torch._utils', '_rebuild_tensor_v2').mark();
  p.mark().str('storage').global('torch', type).str(key).str('cpu').int(numel).tuple().op(0x51);
  p.int(offset).mark(); size.forEach((s) => p.int(s)); p.tuple();
  p.mark(); stride.forEach((s) => p.int(s)); p.tuple();
  p.op(0x89).global('collections', 'OrderedDict').op(0x29, 0x52).tuple().op(0x52);
}

function f32(values: number[]) { return new Uint8Array(new Float32Array(values).buffer); }

function fixtureZip(): Uint8Array {
  const p = new P();
  p.global('collections', 'OrderedDict').op(0x29, 0x52).mark();
  // w: a [2, 3] view with strides (1, 2) over storage [0..5] = the transpose of [[0,1],[2,3],[4,5]].
  p.str('w'); tensor(p, 'FloatStorage', '0', 6, 0, [2, 3], [1, 2]);
  // h: float16 [1, -2] at offset 1 of a 3-element storage.
  p.str('h'); tensor(p, 'HalfStorage', '1', 3, 1, [2], [1]);
  p.str('n'); tensor(p, 'LongStorage', '2', 1, 0, [], []);
  p.op(0x75); // SETITEMS
  // state_dict._metadata, as torch.save writes it: BUILD with a dict state.
  p.op(0x7d).str('_metadata').op(0x7d, 0x73, 0x62);
  return zipSync({
    'ckpt/data.pkl': p.bytes(),
    'ckpt/data/0': f32([0, 1, 2, 3, 4, 5]),
    'ckpt/data/1': new Uint8Array([0xff, 0xff, 0x00, 0x3c, 0x00, 0xc0]),
    'ckpt/data/2': new Uint8Array(new BigInt64Array([42n]).buffer),
    'ckpt/version': new TextEncoder().encode('3\n'),
  });
}

describe('restricted unpickler', () => {
  it('refuses os.system with an error naming the global and the file', () => {
    const evil = new P().global('os', 'system').str('echo pwned').op(0x85, 0x52).bytes();
    let err: unknown;
    try { unpickle(evil, 0, { source: 'evil.pth', globals: {} }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^evil\.pth: .*refusing to load the Python global "os\.system"/);
    // The same through STACK_GLOBAL and inside a zip checkpoint.
    const stackGlobal = new P().str('builtins').str('eval').op(0x93).str('1').op(0x85, 0x52).bytes();
    expect(() => parseTorchZip(zipSync({ 'a/data.pkl': stackGlobal }), 'evil.zip')).toThrow(/evil\.zip.*"builtins\.eval"/);
  });

  it('decodes the basic types', () => {
    const b = new P().mark().int(-5).op(0x4b, 7).op(0x4d, 0x34, 0x12).op(0x88, 0x4e).str('é').op(0x8a, 1, 0xff).tuple().bytes();
    const { value } = unpickle(b, 0, { source: 'x', globals: {} });
    expect(value).toBeInstanceOf(PyTuple);
    expect([...(value as unknown[])]).toEqual([-5, 7, 0x1234, true, null, 'é', -1]);
  });

  it('reports truncation and bad opcodes with the byte offset', () => {
    const b = new P().str('abcdef').bytes();
    expect(() => unpickle(b.subarray(0, 6), 0, { source: 'cut.pkl', globals: {} })).toThrow(/cut\.pkl: cannot unpickle at byte \d+: .*truncated/);
    expect(() => unpickle(new Uint8Array([0x80, 2, 0xff]), 0, { source: 'odd.pkl', globals: {} })).toThrow(/byte 2: unsupported or disallowed pickle opcode 0xff/);
  });
});

describe('torch zip reader', () => {
  it('handles strides, offsets, float16, int64 and _metadata', () => {
    const w = parseTorchZip(fixtureZip(), 'fixture.pth');
    expect(w.format).toBe('torch-zip');
    expect(w.tensors.get('w')).toEqual({ data: new Float32Array([0, 2, 4, 1, 3, 5]), shape: [2, 3] });
    expect([...w.tensors.get('h')!.data]).toEqual([1, -2]);
    expect(w.tensors.get('n')).toEqual({ data: new Float32Array([42]), shape: [] });
    expect(sniffWeightFormat(fixtureZip())).toBe('torch-zip');
  });

  it('names a missing storage entry and a truncated archive', () => {
    const zip = fixtureZip();
    expect(() => parseTorchZip(zip.subarray(0, zip.length - 30), 'cut.pth')).toThrow(/cut\.pth: not a readable PyTorch zip checkpoint/);
    const p = new P(); p.global('collections', 'OrderedDict').op(0x29, 0x52).mark().str('x'); tensor(p, 'FloatStorage', '9', 2, 0, [2], [1]); p.op(0x75);
    expect(() => parseTorchZip(zipSync({ 'a/data.pkl': p.bytes() }), 'hole.pth')).toThrow(/hole\.pth: storage "9" .*"a\/data\/9" is missing/);
  });
});

const assets = sharedAssets(
  'weights/alexnet-features.pth', 'weights/alexnet-features.safetensors',
  'weights/lpips-v0.1-original/alex.pth', 'weights/lpips-v0.1-alex-lin.safetensors',
  'weights/lpips-v0.1-original/squeeze.pth', 'weights/lpips-v0.1-squeeze-lin.safetensors',
  'weights/lpips-v0.1-original/vgg.pth', 'weights/lpips-v0.1-vgg-lin.safetensors',
);

function expectSame(a: Map<string, { data: Float32Array; shape: readonly number[] }>, b: typeof a) {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, t] of a) {
    expect(t.shape, k).toEqual(b.get(k)!.shape);
    expect(Buffer.from(t.data.buffer).equals(Buffer.from(b.get(k)!.data.buffer)), k).toBe(true);
  }
}

describe.skipIf(!assets.available)('readers agree on real files', () => {
  it('alexnet .pth (zip) equals .safetensors bit for bit', async () => {
    const zip = await readTorchZip(assets.path('weights/alexnet-features.pth'));
    const st = await readSafetensors(assets.path('weights/alexnet-features.safetensors'));
    expect(zip.tensors.size).toBe(10);
    expectSame(zip.tensors, st.tensors);
  });

  it('legacy LPIPS alex.pth / squeeze.pth equal the safetensors copies', async () => {
    for (const net of ['alex', 'squeeze', 'vgg']) {
      const legacy = await readTorchLegacy(assets.path(`weights/lpips-v0.1-original/${net}.pth`));
      const st = await readSafetensors(assets.path(`weights/lpips-v0.1-${net}-lin.safetensors`));
      expect(legacy.format).toBe('torch-legacy');
      expectSame(legacy.tensors, st.tensors);
    }
  });

  it('readWeights picks the format by content, not by extension', async () => {
    expect((await readWeights(assets.path('weights/alexnet-features.pth'))).format).toBe('torch-zip');
    expect((await readWeights(assets.path('weights/lpips-v0.1-original/alex.pth'))).format).toBe('torch-legacy');
    expect((await readWeights(assets.path('weights/lpips-v0.1-alex-lin.safetensors'))).format).toBe('safetensors');
    await expect(readWeights(assets.path('weights/no-such-file.pth'))).rejects.toThrow(/no-such-file\.pth: cannot open weights file \(ENOENT\)/);
  });

  it('names the file when a legacy checkpoint is truncated', async () => {
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(assets.path('weights/lpips-v0.1-original/alex.pth'));
    expect(() => parseTorchLegacy(bytes.subarray(0, bytes.length - 100), 'alex-cut.pth')).toThrow(/alex-cut\.pth: storage "\d+" needs \d+ bytes .*truncated/);
    expect(() => parseTorchLegacy(bytes.subarray(0, 600), 'alex-cut.pth')).toThrow(/alex-cut\.pth: cannot unpickle .*truncated/);
    expect(() => parseWeights(new Uint8Array([1, 2, 3]), 'junk.bin')).toThrow(/junk\.bin: unrecognised weights format/);
  });

  it('every truncation of a legacy file is an InputError naming it (never a RangeError or a silent success)', async () => {
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(assets.path('weights/lpips-v0.1-original/alex.pth'));
    for (let n = 0; n < bytes.length; n += 7) {
      let err: unknown;
      try { parseTorchLegacy(bytes.subarray(0, n), 'alex.pth'); } catch (e) { err = e; }
      expect(err, `truncated at ${n}`).toBeInstanceOf(InputError);
      expect((err as Error).message.startsWith('alex.pth: ')).toBe(true);
    }
  });
});
