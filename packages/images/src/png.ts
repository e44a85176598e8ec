/**
 * A small synchronous decoder for the PNGs datasets are made of: non-interlaced, 8 bits per sample,
 * greyscale, grey+alpha, RGB or RGBA. BAPPS patches are 64×64 RGB PNGs; for images that small,
 * sharp's per-call overhead (a libuv round trip per pipeline, metadata probing) costs more than the
 * decoding itself, whereas zlib's inflateSync plus a JS unfilter takes tens of microseconds.
 *
 * Anything outside that scope returns `undefined` and the caller falls back to sharp, which stays
 * the reference decoder: 16-bit and palette files, interlacing, colour-management chunks (iCCP, and
 * gAMA/cHRM/sRGB/cICP, which sharp may act on), unknown ancillary chunks, and every malformed file
 * (bad CRC, truncated data, bad filter byte), so error messages and the tolerance to damage are
 * sharp's. When this decoder does answer, its samples are byte-identical to sharp's (tested).
 */
import * as zlib from 'node:zlib';
import { crc32 } from '@percept/core';

/** Decoded 8-bit samples, interleaved, `channels` per pixel, rows top to bottom, no padding. */
export interface PngPixels {
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** PNG colour type -> samples per pixel, for the colour types handled here (not 3, palette). */
const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 4: 2, 2: 3, 6: 4 };

/** Ancillary chunks that carry only metadata: sharp's decoded pixels do not depend on them. */
const METADATA_CHUNKS = new Set(['tEXt', 'zTXt', 'iTXt', 'tIME', 'pHYs']);

/**
 * Larger images go to sharp: decoding them here would block the event loop for milliseconds, while
 * sharp decodes on the libuv thread pool, where its fixed per-call cost no longer matters. 1 MiB of
 * filtered rows is e.g. 590×590 RGB.
 */
const MAX_RAW_BYTES = 2 ** 20;

/** True when the bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < SIGNATURE.length) return false;
  for (let i = 0; i < SIGNATURE.length; i++) if (bytes[i] !== SIGNATURE[i]) return false;
  return true;
}

/**
 * Decodes a PNG within this decoder's scope (see the module comment), or returns undefined so the
 * caller uses sharp. Never throws on bad input.
 */
export function decodeSimplePng(bytes: Uint8Array): PngPixels | undefined {
  if (!isPng(bytes)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = SIGNATURE.length;
  let width = 0, height = 0, channels: 1 | 2 | 3 | 4 | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos + 12 <= bytes.length) {
    const length = view.getUint32(pos);
    const end = pos + 12 + length;
    if (end > bytes.length) return undefined;
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    // The CRC covers the type and the data.
    if (crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== view.getUint32(pos + 8 + length)) return undefined;
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (pos === SIGNATURE.length) {
      if (type !== 'IHDR' || length !== 13) return undefined;
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      const [depth, colourType, compression, filter, interlace] = data.subarray(8, 13);
      channels = CHANNELS[colourType];
      if (depth !== 8 || !channels || compression !== 0 || filter !== 0 || interlace !== 0) return undefined;
      if (width === 0 || height === 0 || height * (1 + width * channels) > MAX_RAW_BYTES) return undefined;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
      break;
    } else if (!METADATA_CHUNKS.has(type)) {
      return undefined;
    }
    pos = end;
  }
  if (!ended || !channels || idat.length === 0) return undefined;
  const stride = width * channels;
  const expected = height * (stride + 1);
  let raw: Uint8Array;
  try {
    raw = zlib.inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: expected + 1 });
  } catch {
    return undefined;
  }
  if (raw.length !== expected) return undefined;
  const data = unfilter(raw, height, stride, channels);
  return data ? { width, height, channels, data } : undefined;
}

/**
 * Reverses the per-row filters (PNG spec §9) in place and returns the pixel rows without their
 * filter bytes, or undefined on an unknown filter type. `bpp` is bytes per pixel; row r's filter
 * byte sits at r·(stride+1), followed by its stride bytes.
 */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number): Uint8Array | undefined {
  const out = new Uint8Array(height * stride);
  for (let r = 0; r < height; r++) {
    const filter = raw[r * (stride + 1)];
    const src = r * (stride + 1) + 1;
    const o = r * stride;
    const up = o - stride; // previous output row; absent (zeros) for r = 0
    switch (filter) {
      case 0: // None
        out.set(raw.subarray(src, src + stride), o);
        break;
      case 1: // Sub: + left
        for (let i = 0; i < bpp; i++) out[o + i] = raw[src + i];
        for (let i = bpp; i < stride; i++) out[o + i] = raw[src + i] + out[o + i - bpp];
        break;
      case 2: // Up: + above
        if (r === 0) out.set(raw.subarray(src, src + stride), o);
        else for (let i = 0; i < stride; i++) out[o + i] = raw[src + i] + out[up + i];
        break;
      case 3: // Average: + floor((left + above) / 2)
        if (r === 0) {
          for (let i = 0; i < bpp; i++) out[o + i] = raw[src + i];
          for (let i = bpp; i < stride; i++) out[o + i] = raw[src + i] + (out[o + i - bpp] >> 1);
        } else {
          for (let i = 0; i < bpp; i++) out[o + i] = raw[src + i] + (out[up + i] >> 1);
          for (let i = bpp; i < stride; i++) out[o + i] = raw[src + i] + ((out[o + i - bpp] + out[up + i]) >> 1);
        }
        break;
      case 4: // Paeth: + whichever of left, above, upper-left is closest to left + above - upper-left
        if (r === 0) {
          // With no row above, Paeth predicts from the left alone (the same as Sub).
          for (let i = 0; i < bpp; i++) out[o + i] = raw[src + i];
          for (let i = bpp; i < stride; i++) out[o + i] = raw[src + i] + out[o + i - bpp];
        } else {
          for (let i = 0; i < bpp; i++) out[o + i] = raw[src + i] + out[up + i];
          for (let i = bpp; i < stride; i++) {
            const a = out[o + i - bpp], b = out[up + i], c = out[up + i - bpp];
            const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
            out[o + i] = raw[src + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          }
        }
        break;
      default:
        return undefined;
    }
  }
  return out;
}
