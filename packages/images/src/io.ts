/**
 * Decoding and encoding through sharp (libvips). Every image that enters Percept passes through
 * here and becomes an ImageBatch: NHWC float32 RGB in [0,1].
 *
 * The uint8 <-> float convention is x/255 exactly (and x/65535 for 16-bit files). LPIPS' im2tensor
 * maps uint8 to [-1,1] with x/127.5 - 1, which equals 2·(x/255) - 1, so a [0,1] batch from here
 * followed by a backbone's declared preprocessing reproduces it exactly.
 */
import { writeFile, readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { InputError, type ImageBatch } from '@percept/core';

export type ImageSource = string | Buffer | Uint8Array;

function describe(source: ImageSource, label?: string): string {
  if (label) return label;
  return typeof source === 'string' ? source : `<${source.length}-byte buffer>`;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Decodes an encoded image (PNG, JPEG, WebP, TIFF, …) into a [1,H,W,3] batch.
 * Alpha is dropped (not composited), greyscale is replicated to RGB, 16-bit files keep their precision.
 * `label` names the image in error messages (defaults to the path, or the buffer size).
 */
export async function decodeImage(source: ImageSource, label?: string): Promise<ImageBatch> {
  const name = describe(source, label);
  let input: string | Buffer;
  if (typeof source === 'string') {
    // Read the file ourselves so a missing file gets the fs error (ENOENT) rather than sharp's vaguer one.
    try {
      input = await readFile(source);
    } catch (e) {
      throw new InputError(`Cannot read image file ${source}: ${reason(e)}`, { cause: e });
    }
  } else {
    input = Buffer.isBuffer(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  }
  try {
    const meta = await sharp(input).metadata();
    const sixteen = meta.depth === 'ushort' || (meta.bitsPerSample ?? 8) > 8;
    const pipeline = sharp(input).removeAlpha();
    if (sixteen) {
      const { data, info } = await pipeline.toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
      const src = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
      return toBatch(src, info.width, info.height, info.channels, 65535, name);
    }
    const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return toBatch(data, info.width, info.height, info.channels, 255, name);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`Cannot decode image ${name}: ${reason(e)}`, { cause: e });
  }
}

function toBatch(src: ArrayLike<number>, w: number, h: number, channels: number, max: number, name: string): ImageBatch {
  if (channels !== 3) {
    throw new InputError(`Image ${name}: decoder produced ${channels} channels, expected 3 (RGB)`);
  }
  const data = new Float32Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = src[i] / max;
  return { data, shape: [1, h, w, 3] };
}

/** Reads one image file as a [1,H,W,3] batch in [0,1]. */
export function readImage(path: string): Promise<ImageBatch> {
  return decodeImage(path);
}

/** Reads several image files of the same size into one [N,H,W,3] batch. */
export async function readImages(paths: readonly string[]): Promise<ImageBatch> {
  if (paths.length === 0) throw new InputError('readImages: no image paths given');
  const images = await Promise.all(paths.map((p) => decodeImage(p)));
  const [, h, w] = images[0].shape;
  for (let i = 1; i < images.length; i++) {
    const [, hi, wi] = images[i].shape;
    if (hi !== h || wi !== w) {
      throw new InputError(
        `Images differ in size: ${paths[0]} is ${w}x${h} (WxH) but ${paths[i]} is ${wi}x${hi}; a batch needs one size`,
        { hint: 'Resize them first, or read them one at a time.' },
      );
    }
  }
  const data = new Float32Array(images.length * h * w * 3);
  images.forEach((im, i) => data.set(im.data, i * h * w * 3));
  return { data, shape: [images.length, h, w, 3] };
}

/** float [0,1] -> uint8 with clipping and Math.round(x*255), the inverse of x/255. */
export function toUint8(batch: ImageBatch, what = 'image'): { data: Uint8Array; width: number; height: number } {
  const [n, h, w, c] = batch.shape;
  if (n !== 1) throw new InputError(`Cannot encode ${what}: batch holds ${n} images, expected exactly 1 (use batchItem)`);
  if (c !== 3) throw new InputError(`Cannot encode ${what}: ${c} channels, expected 3`);
  const out = new Uint8Array(h * w * 3);
  const src = batch.data;
  for (let i = 0; i < out.length; i++) {
    const x = src[i];
    // NaN maps to 0 (x > 0 is false) rather than poisoning the output.
    out[i] = x > 0 ? (x >= 1 ? 255 : Math.round(x * 255)) : 0;
  }
  return { data: out, width: w, height: h };
}

function rawSharp(batch: ImageBatch, what: string) {
  const { data, width, height } = toUint8(batch, what);
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** Encodes a single image ([1,H,W,3]) as an 8-bit RGB PNG. */
export async function encodePng(batch: ImageBatch): Promise<Buffer> {
  return rawSharp(batch, 'PNG').png().toBuffer();
}

/**
 * Encodes a single image as baseline JPEG at `quality` (1..100) with libjpeg(-turbo)'s standard
 * tables and 4:2:0 chroma subsampling, like PIL's default save.
 */
export async function encodeJpeg(batch: ImageBatch, quality: number): Promise<Buffer> {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new InputError(`encodeJpeg: quality must be an integer in 1..100, got ${quality}`);
  }
  return rawSharp(batch, 'JPEG').jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false }).toBuffer();
}

/** Writes a single image ([1,H,W,3]) as an 8-bit PNG file. */
export async function writePng(path: string, batch: ImageBatch): Promise<void> {
  const buf = await encodePng(batch);
  try {
    await writeFile(path, buf);
  } catch (e) {
    throw new InputError(`Cannot write PNG ${path}: ${reason(e)}`, { cause: e });
  }
}
