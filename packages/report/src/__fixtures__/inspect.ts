/** Test helpers that inspect rendered SVG and PNG bytes without extra dependencies. */
import { inflateSync } from 'node:zlib';

/**
 * Number of items (path/line/text/rect) drawn by the Vega mark named `name` (`<name>_marks` group).
 * Mark groups of symbols, rules, lines and text hold flat item lists, so the first </g> closes them.
 */
export function countMarks(svg: string, name: string): number {
  const re = new RegExp(`<g class="mark-[a-z]+ role-mark (?:${name}_marks|${name})"[^>]*>([\\s\\S]*?)</g>`, "g");
  let total = 0;
  let found = false;
  for (const m of svg.matchAll(re)) {
    found = true;
    total += (m[1].match(/<(path|line|text|rect)\b/g) ?? []).length;
  }
  if (!found) throw new Error(`no mark group "${name}_marks" in SVG`);
  return total;
}

export function hasMarkGroup(svg: string, name: string): boolean {
  return new RegExp(`role-mark ${name}_marks"`).test(svg);
}

export function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  if (!m) throw new Error('no <svg width height>');
  return { width: Number(m[1]), height: Number(m[2]) };
}

export function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&amp;/g, '&'));
}

export interface PngInfo {
  width: number;
  height: number;
  /** Number of distinct RGB values over a sample of pixels (capped at 1000). */
  distinctColours: number;
}

/** Parses the PNG signature, IHDR and (8-bit RGB/RGBA, non-interlaced) pixel rows. */
export function inspectPng(png: Uint8Array): PngInfo {
  const buf = Buffer.from(png);
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => buf[i] === b)) throw new Error('not a PNG signature');
  if (buf.toString('latin1', 12, 16) !== 'IHDR') throw new Error('first chunk is not IHDR');
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const bitDepth = buf[24];
  const colourType = buf[25];
  if (bitDepth !== 8 || (colourType !== 6 && colourType !== 2) || buf[28] !== 0) {
    throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colourType}, interlace ${buf[28]}`);
  }
  const idat: Buffer[] = [];
  for (let off = 8; off < buf.length; ) {
    const len = buf.readUInt32BE(off);
    if (buf.toString('latin1', off + 4, off + 8) === 'IDAT') idat.push(buf.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const bpp = colourType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  let prev = new Uint8Array(stride);
  let cur = new Uint8Array(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? cur[x - bpp] : 0;
      const b = prev[x];
      const c = x >= bpp ? prev[x - bpp] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[x] = v & 255;
    }
    for (let x = 0; x < width && colours.size < 1000; x += 3) {
      const o = x * bpp;
      colours.add((cur[o] << 16) | (cur[o + 1] << 8) | cur[o + 2]);
    }
    [prev, cur] = [cur, prev];
  }
  return { width, height, distinctColours: colours.size };
}

/** A Vega-Lite layer as the tests look at it. */
export type SpecLayer = { name?: string; layer?: SpecLayer[]; encoding?: Record<string, any>; data?: { values: any[] }; mark?: any; transform?: any[] };

/** Every layer of a layered spec, nested layers included, depth first. */
export function specLayers(spec: unknown): SpecLayer[] {
  const flat = (ls: SpecLayer[]): SpecLayer[] => ls.flatMap((l) => [l, ...flat(l.layer ?? [])]);
  return flat((spec as { layer: SpecLayer[] }).layer);
}

/** The layer called `name`, at any depth. */
export const namedLayer = (spec: unknown, name: string): SpecLayer | undefined => specLayers(spec).find((l) => l.name === name);
