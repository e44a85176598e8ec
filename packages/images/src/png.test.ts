import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { sharedAssets } from '@percept/core/testing';
import { decodeSimplePng } from './png.js';
import { decodeImage } from './io.js';

/** Deterministic bytes (mulberry32), so a failure reproduces. */
function bytes(n: number, seed: number): Uint8Array {
  let a = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/** Smooth-ish content: filters then produce small residuals, as in photos (random bytes do not). */
function smooth(n: number, seed: number): Uint8Array {
  const noise = bytes(n, seed);
  return noise.map((v, i) => (i * 7 + (v & 15)) & 0xff);
}

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const COLOUR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

interface EncodeOptions {
  /** Filter type per row (cycled); default 0 for every row. */
  filters?: number[];
  /** Split the zlib stream over this many IDAT chunks. */
  idatChunks?: number;
  /** Extra chunks inserted before IDAT. */
  extra?: Buffer[];
  depth?: number;
  colourType?: number;
  interlace?: number;
}

/** A test encoder that applies a chosen filter to each row, so every unfilter path is exercised. */
function encodePng(px: Uint8Array, w: number, h: number, channels: 1 | 2 | 3 | 4, o: EncodeOptions = {}): Buffer {
  const stride = w * channels;
  const filters = o.filters ?? [0];
  const raw = new Uint8Array(h * (stride + 1));
  for (let r = 0; r < h; r++) {
    const f = filters[r % filters.length];
    raw[r * (stride + 1)] = f;
    for (let i = 0; i < stride; i++) {
      const x = px[r * stride + i];
      const a = i >= channels ? px[r * stride + i - channels] : 0;
      const b = r > 0 ? px[(r - 1) * stride + i] : 0;
      const c = r > 0 && i >= channels ? px[(r - 1) * stride + i - channels] : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      raw[r * (stride + 1) + 1 + i] = (x - pred) & 0xff;
    }
  }
  const z = deflateSync(raw);
  const parts = Math.max(1, o.idatChunks ?? 1);
  const idat: Buffer[] = [];
  for (let k = 0; k < parts; k++) idat.push(chunk('IDAT', z.subarray(Math.floor((k * z.length) / parts), Math.floor(((k + 1) * z.length) / parts))));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([o.depth ?? 8, o.colourType ?? COLOUR_TYPE[channels], 0, 0, o.interlace ?? 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), ...(o.extra ?? []), ...idat, chunk('IEND', new Uint8Array(0)),
  ]);
}

/** sharp's 8-bit sRGB samples, alpha kept (sharp turns grey into RGB, so 3 or 4 channels). */
async function sharpSamples(png: Buffer): Promise<{ data: Buffer; channels: number; width: number; height: number }> {
  const { data, info } = await sharp(png).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels, width: info.width, height: info.height };
}

/** Our samples in sharp's channel layout: grey replicated to RGB, alpha kept. */
function asRgb(data: Uint8Array, channels: number): Buffer {
  if (channels > 2) return Buffer.from(data);
  const pixels = data.length / channels;
  const out = Buffer.alloc(pixels * (channels + 2));
  for (let p = 0, o = 0; p < pixels; p++) {
    const g = data[p * channels];
    out[o++] = g; out[o++] = g; out[o++] = g;
    if (channels === 2) out[o++] = data[p * 2 + 1];
  }
  return out;
}

/** What decodeImage computed before the fast path existed: sharp only. */
async function sharpFloats(png: Buffer): Promise<Float32Array> {
  const { data } = await sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return Float32Array.from(data, (v) => v / 255);
}

describe('decodeSimplePng against sharp', () => {
  const sizes: Array<[number, number]> = [[1, 1], [2, 1], [1, 3], [3, 2], [5, 7], [17, 4], [64, 64], [63, 5]];
  const filterSets = [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4], [4, 3, 2, 1]];

  for (const channels of [1, 2, 3, 4] as const) {
    it(`${channels} channel(s): every filter type, odd widths, byte-identical samples`, async () => {
      let cases = 0;
      for (const [w, h] of sizes) {
        for (const [fi, filters] of filterSets.entries()) {
          for (const content of [bytes, smooth]) {
            const px = content(w * h * channels, 1000 * w + 10 * h + fi);
            const png = encodePng(px, w, h, channels, { filters });
            const ours = decodeSimplePng(png);
            expect(ours, `${w}x${h} filters ${filters}`).toBeDefined();
            expect(ours!.channels).toBe(channels);
            expect(Buffer.from(ours!.data).equals(Buffer.from(px))).toBe(true);
            const ref = await sharpSamples(png);
            expect([ref.width, ref.height, ref.channels]).toEqual([w, h, channels % 2 ? 3 : 4]);
            expect(asRgb(ours!.data, channels).equals(ref.data), `${w}x${h} ${channels}ch filters ${filters}`).toBe(true);
            cases++;
          }
        }
      }
      expect(cases).toBe(sizes.length * filterSets.length * 2);
    });
  }

  it('decodes PNGs written by sharp (libspng, adaptive filtering) identically', async () => {
    for (const [w, h, channels] of [[64, 64, 3], [31, 9, 4], [8, 8, 1], [13, 3, 2]] as const) {
      for (const adaptiveFiltering of [false, true]) {
        const px = smooth(w * h * channels, w + h);
        const png = await sharp(px, { raw: { width: w, height: h, channels } }).png({ adaptiveFiltering, compressionLevel: 9 }).toBuffer();
        const ours = decodeSimplePng(png);
        expect(ours).toBeDefined();
        expect(asRgb(ours!.data, ours!.channels).equals((await sharpSamples(png)).data), `${w}x${h} ${channels}ch -> ${ours!.channels}`).toBe(true);
      }
    }
  });

  it('decodeImage gives the same floats as the sharp-only path (grey replicated, alpha dropped)', async () => {
    for (const channels of [1, 2, 3, 4] as const) {
      const px = bytes(9 * 5 * channels, channels);
      const png = encodePng(px, 9, 5, channels, { filters: [0, 1, 2, 3, 4] });
      const img = await decodeImage(png);
      expect(img.shape).toEqual([1, 5, 9, 3]);
      expect(Array.from(img.data)).toEqual(Array.from(await sharpFloats(png)));
    }
  });

  it('joins several IDAT chunks and skips metadata chunks', async () => {
    const px = smooth(20 * 6 * 3, 7);
    const text = chunk('tEXt', Buffer.from('Comment\0hello', 'latin1'));
    const phys = chunk('pHYs', Buffer.from([0, 0, 11, 19, 0, 0, 11, 19, 1]));
    const png = encodePng(px, 20, 6, 3, { filters: [4, 1], idatChunks: 3, extra: [text, phys] });
    expect(Buffer.from(decodeSimplePng(png)!.data).equals(Buffer.from(px))).toBe(true);
    expect(Buffer.from(decodeSimplePng(png)!.data).equals((await sharpSamples(png)).data)).toBe(true);
  });

  it('writes into the target the caller provides', async () => {
    const px = bytes(4 * 4 * 3, 3);
    const batch = new Float32Array(2 * 4 * 4 * 3).fill(-1);
    const img = await decodeImage(encodePng(px, 4, 4, 3), { into: (h, w) => (h === 4 && w === 4 ? batch.subarray(48) : undefined) });
    expect(img.data.buffer).toBe(batch.buffer);
    expect(Array.from(batch.subarray(0, 48))).toEqual(new Array(48).fill(-1));
    expect(Array.from(batch.subarray(48))).toEqual(Array.from(px, (v) => Math.fround(v / 255)));
  });
});

describe('decodeSimplePng leaves everything else to sharp', () => {
  const px = smooth(6 * 4 * 3, 11);
  const cases: Array<[string, () => Promise<Buffer> | Buffer]> = [
    ['16-bit', () => sharp(new Uint16Array(6 * 4 * 3).fill(40000), { raw: { width: 6, height: 4, channels: 3 } }).toColourspace('rgb16').png().toBuffer()],
    ['palette', () => sharp(px, { raw: { width: 6, height: 4, channels: 3 } }).png({ palette: true }).toBuffer()],
    ['interlaced', () => sharp(px, { raw: { width: 6, height: 4, channels: 3 } }).png({ progressive: true }).toBuffer()],
    ['an ICC profile (sharp converts colours)', () => sharp(px, { raw: { width: 6, height: 4, channels: 3 } }).withIccProfile('p3').png().toBuffer()],
    ['gAMA', () => encodePng(px, 6, 4, 3, { extra: [chunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f]))] })],
    ['an unknown ancillary chunk', () => encodePng(px, 6, 4, 3, { extra: [chunk('zzZz', Buffer.from([1]))] })],
    ['a JPEG', () => sharp(px, { raw: { width: 6, height: 4, channels: 3 } }).jpeg().toBuffer()],
  ];
  for (const [what, make] of cases) {
    it(`${what}: returns undefined, and decodeImage still decodes it`, async () => {
      const buf = await make();
      expect(decodeSimplePng(buf)).toBeUndefined();
      const img = await decodeImage(buf);
      expect(img.shape).toEqual([1, 4, 6, 3]);
    });
  }

  it('damaged files: undefined here, and decodeImage reports sharp\'s error', async () => {
    const good = encodePng(px, 6, 4, 3, { filters: [1] });
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 20] ^= 0xff; // inside the IDAT data: its CRC no longer matches
    const truncated = good.subarray(0, good.length - 20);
    const badFilter = encodePng(px, 6, 4, 3, { filters: [5] });
    for (const buf of [badCrc, truncated, badFilter]) {
      expect(decodeSimplePng(buf)).toBeUndefined();
      await expect(decodeImage(buf, 'damaged.png')).rejects.toThrow(/Cannot decode image damaged\.png: \S+/);
    }
  });

  it('does not throw on garbage', () => {
    for (let n = 0; n < 60; n++) {
      const junk = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), bytes(n, n)]);
      expect(decodeSimplePng(junk)).toBeUndefined();
    }
  });
});

const assets = sharedAssets('images/lpips-examples/ex_ref.png', 'images/lpips-examples/ex_p0.png', 'images/lpips-examples/ex_p1.png');
describe.skipIf(!assets.available)('real BAPPS-style patches', () => {
  it('the LPIPS example patches decode in JS, identical to sharp', async () => {
    for (const f of ['ex_ref.png', 'ex_p0.png', 'ex_p1.png']) {
      const png = readFileSync(assets.path(`images/lpips-examples/${f}`));
      const ours = decodeSimplePng(png);
      expect(ours, f).toBeDefined();
      expect(asRgb(ours!.data, ours!.channels).equals((await sharpSamples(png)).data), f).toBe(true);
    }
  });
});
