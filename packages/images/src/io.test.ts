import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { InputError, type ImageBatch } from '@percept/core';
import { sharedAssets } from '@percept/core/testing';
import { decodeImage, encodeJpeg, encodePng, readImage, readImages, toUint8, writePng } from './io.js';

const dir = mkdtempSync(join(tmpdir(), 'percept-images-'));

function gradient(h: number, w: number): ImageBatch {
  const data = new Float32Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 37) % 256) / 255;
  return { data, shape: [1, h, w, 3] };
}

describe('PNG round trip', () => {
  it('decodes exactly what it encoded (x/255 convention)', async () => {
    const img = gradient(5, 7);
    const back = await decodeImage(await encodePng(img));
    expect(back.shape).toEqual([1, 5, 7, 3]);
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
  });

  it('writes a file that readImage reads back', async () => {
    const img = gradient(3, 4);
    const path = join(dir, 'rt.png');
    await writePng(path, img);
    const back = await readImage(path);
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
  });

  it('clips and rounds with Math.round(x*255)', () => {
    const img: ImageBatch = { data: new Float32Array([-0.2, 0.5, 1.5, 0.1, Number.NaN, 1]), shape: [1, 1, 2, 3] };
    expect(Array.from(toUint8(img).data)).toEqual([0, 128, 255, 26, 0, 255]);
  });

  it('refuses to encode a batch of more than one image', async () => {
    const two: ImageBatch = { data: new Float32Array(2 * 3), shape: [2, 1, 1, 3] };
    await expect(encodePng(two)).rejects.toThrow(/2 images, expected exactly 1/);
  });
});

describe('decoding special formats', () => {
  it('keeps 16-bit precision (x/65535)', async () => {
    const px = new Uint16Array([65535, 0, 32768, 1000, 2000, 3000]);
    const png = await sharp(px, { raw: { width: 2, height: 1, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    const img = await decodeImage(png);
    expect(img.shape).toEqual([1, 1, 2, 3]);
    for (let i = 0; i < px.length; i++) expect(img.data[i]).toBeCloseTo(px[i] / 65535, 7);
  });

  it('expands greyscale to RGB', async () => {
    const png = await sharp(new Uint8Array([10, 200]), { raw: { width: 2, height: 1, channels: 1 } }).png().toBuffer();
    const img = await decodeImage(png);
    expect(Array.from(img.data)).toEqual([10, 10, 10, 200, 200, 200].map((v) => Math.fround(v / 255)));
  });

  it('drops alpha', async () => {
    const png = await sharp(new Uint8Array([255, 0, 128, 10]), { raw: { width: 1, height: 1, channels: 4 } }).png().toBuffer();
    const img = await decodeImage(png);
    expect(Array.from(img.data)).toEqual([1, 0, Math.fround(128 / 255)]);
  });

  it('JPEG goes through a real lossy codec: close to the source, smaller at lower quality', async () => {
    const h = 16, w = 16;
    const data = new Float32Array(h * w * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
      data[(y * w + x) * 3 + c] = 0.5 + 0.4 * Math.sin((x + 2 * y + c) / 3);
    }
    const img: ImageBatch = { data, shape: [1, h, w, 3] };
    const hi = await encodeJpeg(img, 95);
    const lo = await encodeJpeg(img, 10);
    expect(hi[0]).toBe(0xff);
    expect(hi[1]).toBe(0xd8);
    expect(lo.length).toBeLessThan(hi.length);
    const back = await decodeImage(hi);
    let err = 0, errLo = 0;
    const backLo = await decodeImage(lo);
    for (let i = 0; i < data.length; i++) { err += Math.abs(back.data[i] - data[i]); errLo += Math.abs(backLo.data[i] - data[i]); }
    expect(err / data.length).toBeLessThan(0.03);
    expect(errLo).toBeGreaterThan(err);
    await expect(encodeJpeg(img, 0)).rejects.toThrow(/quality/);
  });
});

describe('errors', () => {
  it('names a corrupt file and gives the decoder reason', async () => {
    const path = join(dir, 'corrupt.png');
    writeFileSync(path, Buffer.from('this is not an image'));
    const err = await readImage(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/Cannot decode image .*: \S+/);
  });

  it('names a missing file', async () => {
    const path = join(dir, 'missing.png');
    await expect(readImage(path)).rejects.toThrow(new RegExp(`Cannot read image file ${path}.*ENOENT`));
  });

  it('readImages names both files and sizes when they differ', async () => {
    const a = join(dir, 'a.png'), b = join(dir, 'b.png');
    await writePng(a, gradient(2, 3));
    await writePng(b, gradient(4, 3));
    const err = await readImages([a, b]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(`${a} is 3x2`);
    expect((err as Error).message).toContain(`${b} is 3x4`);
  });

  it('readImages stacks same-size images in order', async () => {
    const a = join(dir, 's1.png'), b = join(dir, 's2.png');
    const ia = gradient(2, 2);
    const ib: ImageBatch = { data: ia.data.map((v) => 1 - v), shape: [1, 2, 2, 3] };
    await writePng(a, ia);
    await writePng(b, ib);
    const batch = await readImages([a, b]);
    expect(batch.shape).toEqual([2, 2, 2, 3]);
    expect(Array.from(batch.data.subarray(12))).toEqual(Array.from(ib.data).map((v) => Math.fround(Math.round(v * 255) / 255)));
  });
});

const assets = sharedAssets('images/lpips-examples/ex_ref.png');
describe.skipIf(!assets.available)('real images', () => {
  it('reads the LPIPS example patch as 64x64 RGB in [0,1]', async () => {
    const img = await readImage(assets.path('images/lpips-examples/ex_ref.png'));
    expect(img.shape).toEqual([1, 64, 64, 3]);
    let min = Infinity, max = -Infinity;
    for (const v of img.data) { min = Math.min(min, v); max = Math.max(max, v); }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(min);
    // Every value is an exact k/255.
    for (let i = 0; i < 50; i++) expect(Math.round(img.data[i] * 255) / 255).toBeCloseTo(img.data[i], 7);
  });
});
