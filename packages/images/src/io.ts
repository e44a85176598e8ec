/**
 * Decoding and encoding through sharp (libvips). Every image that enters Percept passes through
 * here and becomes an ImageBatch: NHWC float32 RGB in [0,1].
 *
 * The uint8 <-> float convention is x/255 exactly (and x/65535 for 16-bit files). LPIPS' im2tensor
 * maps uint8 to [-1,1] with x/127.5 - 1, which equals 2·(x/255) - 1, so a [0,1] batch from here
 * followed by a backbone's declared preprocessing reproduces it exactly.
 */
import { readFile as readFileCallback } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { InputError, type ImageBatch } from '@percept/core';
import { decodeSimplePng } from './png.js';

export type ImageSource = string | Buffer | Uint8Array;

function describe(source: ImageSource, label?: string): string {
  if (label) return label;
  return typeof source === 'string' ? source : `<${source.length}-byte buffer>`;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface DecodeOptions {
  /** Names the image in error messages (default: the path, or the buffer size). */
  label?: string;
  /**
   * Where to write the pixels: called with the decoded height and width, returns a Float32Array of
   * height·width·3 values (typically a view into the caller's batch buffer, which saves a copy per
   * image), or undefined to get a new array. The returned batch's data is that array.
   */
  into?: (height: number, width: number) => Float32Array | undefined;
}

/**
 * fs.readFile with a callback, as a promise. For the small files datasets are made of it costs
 * about half the CPU of fs/promises' readFile, which takes several promise round trips per file
 * (Node 20, 1,500 64×64 PNGs read 150 at a time: 180-290 vs 65-145 ms of CPU).
 */
function readBytes(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => readFileCallback(path, (e, bytes) => (e ? reject(e) : resolve(bytes))));
}

async function readSource(source: ImageSource): Promise<Buffer> {
  if (typeof source !== 'string') {
    return Buffer.isBuffer(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  }
  // Read the file ourselves so a missing file gets the fs error (ENOENT) rather than sharp's vaguer one.
  try {
    return await readBytes(source);
  } catch (e) {
    throw new InputError(`Cannot read image file ${source}: ${reason(e)}`, { cause: e });
  }
}

/**
 * Decodes an encoded image (PNG, JPEG, WebP, TIFF, …) into a [1,H,W,3] batch.
 * Alpha is dropped (not composited), greyscale is replicated to RGB, 16-bit files keep their precision.
 * Small 8-bit non-interlaced PNGs are decoded synchronously in JS (png.ts, byte-identical to sharp);
 * everything else goes through sharp.
 * `options` may be just the label that names the image in error messages.
 */
export async function decodeImage(source: ImageSource, options: string | DecodeOptions = {}): Promise<ImageBatch> {
  const { label, into } = typeof options === 'string' ? { label: options, into: undefined } : options;
  const name = describe(source, label);
  const input = await readSource(source);
  const png = decodeSimplePng(input);
  if (png) return toBatch(png.data, png.width, png.height, png.channels, 255, name, into);
  try {
    const meta = await sharp(input).metadata();
    const sixteen = meta.depth === 'ushort' || (meta.bitsPerSample ?? 8) > 8;
    const pipeline = sharp(input).removeAlpha();
    if (sixteen) {
      const { data, info } = await pipeline.toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
      const src = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
      return toBatch(src, info.width, info.height, info.channels, 65535, name, into);
    }
    const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return toBatch(data, info.width, info.height, info.channels, 255, name, into);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`Cannot decode image ${name}: ${reason(e)}`, { cause: e });
  }
}

/** x/255 for every byte, as float32: the same values as dividing, without a division per sample. */
const UNIT_BYTE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/**
 * Samples -> RGB floats x/max. `channels` 1 or 2 (grey, grey+alpha) replicate grey; 2 and 4 drop
 * alpha. sharp's output is always 3 channels; the PNG decoder's may be any of the four.
 */
function toBatch(
  src: Uint8Array | Uint16Array, w: number, h: number, channels: number, max: number, name: string,
  into: DecodeOptions['into'],
): ImageBatch {
  if (channels < 1 || channels > 4 || (max === 65535 && channels !== 3)) {
    throw new InputError(`Image ${name}: decoder produced ${channels} channels, expected 3 (RGB)`);
  }
  const len = h * w * 3;
  const data = into?.(h, w) ?? new Float32Array(len);
  if (data.length !== len) throw new RangeError(`decodeImage: target for ${name} holds ${data.length} values, expected ${h}x${w}x3 = ${len}`);
  if (src instanceof Uint16Array) wordsToUnit(src, max, data);
  else if (channels === 3) rgbBytesToUnit(src, data);
  else bytesToUnitRgb(src, channels, data);
  return { data, shape: [1, h, w, 3] };
}

// Separate loops per sample type and layout keep each one monomorphic (one typed-array kind, no
// per-sample branches), which V8 compiles to tight code: this runs for every pixel of a dataset.

function rgbBytesToUnit(src: Uint8Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = UNIT_BYTE[src[i]];
}

function bytesToUnitRgb(src: Uint8Array, channels: number, out: Float32Array): void {
  const grey = channels < 3;
  for (let i = 0, o = 0; o < out.length; i += channels, o += 3) {
    out[o] = UNIT_BYTE[src[i]];
    out[o + 1] = UNIT_BYTE[src[grey ? i : i + 1]];
    out[o + 2] = UNIT_BYTE[src[grey ? i : i + 2]];
  }
}

function wordsToUnit(src: Uint16Array, max: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = src[i] / max;
}

/** Reads one image file as a [1,H,W,3] batch in [0,1]. */
export function readImage(path: string, options: Omit<DecodeOptions, 'label'> = {}): Promise<ImageBatch> {
  return decodeImage(path, options);
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
