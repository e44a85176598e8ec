/**
 * A tiny 5x7 bitmap font for labelling images without any system font or text renderer: the
 * distortion sheet must render the same on a server without fonts. Upper-case letters, digits and a
 * little punctuation; lower-case letters are drawn as upper-case.
 */
import { InputError } from '@percept/core';

export const GLYPH_W = 5;
export const GLYPH_H = 7;

// Each glyph: 7 rows of 5 columns, '#' = ink.
const glyphs: Record<string, string> = {
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '####. #...# #...# #...# #...# #...# ####.',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '####. ....# ....# .###. ....# ....# ####.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  ' ': '..... ..... ..... ..... ..... ..... .....',
  '-': '..... ..... ..... .###. ..... ..... .....',
  '_': '..... ..... ..... ..... ..... ..... #####',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ',': '..... ..... ..... ..... .##.. ..#.. .#...',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '/': '....# ....# ...#. ..#.. .#... #.... #....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '%': '##..# ##..# ...#. ..#.. .#... #..## #..##',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
};

const bitmaps = new Map<string, Uint8Array>(
  Object.entries(glyphs).map(([ch, rows]) => {
    const bits = rows.replace(/ /g, '');
    if (bits.length !== GLYPH_W * GLYPH_H) throw new Error(`internal: glyph "${ch}" has ${bits.length} cells`);
    return [ch, Uint8Array.from(bits, (b) => (b === '#' ? 1 : 0))];
  }),
);

/** Width in pixels of `text` at integer `scale` (one blank column between glyphs). */
export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_W + 1) - 1) * scale;
}

/** Characters the font can draw (after upper-casing). */
export function canDraw(text: string): boolean {
  return [...text.toUpperCase()].every((c) => bitmaps.has(c));
}

/**
 * Draws `text` into an interleaved RGB float image (h x w) with its top-left corner at (x, y),
 * clipped to the image. Unknown characters are drawn as '?'.
 */
export function drawText(
  target: { data: Float32Array; h: number; w: number },
  text: string,
  x: number,
  y: number,
  options: { scale?: number; color?: readonly [number, number, number] } = {},
): void {
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1) throw new InputError(`drawText: "scale" must be a positive integer, got ${scale}`);
  const color = options.color ?? [0, 0, 0];
  let cx = x;
  for (const ch of text.toUpperCase()) {
    const bm = bitmaps.get(ch) ?? bitmaps.get('?')!;
    for (let gy = 0; gy < GLYPH_H; gy++) {
      for (let gx = 0; gx < GLYPH_W; gx++) {
        if (!bm[gy * GLYPH_W + gx]) continue;
        for (let sy = 0; sy < scale; sy++) {
          const py = y + gy * scale + sy;
          if (py < 0 || py >= target.h) continue;
          for (let sx = 0; sx < scale; sx++) {
            const px = cx + gx * scale + sx;
            if (px < 0 || px >= target.w) continue;
            const p = (py * target.w + px) * 3;
            target.data[p] = color[0];
            target.data[p + 1] = color[1];
            target.data[p + 2] = color[2];
          }
        }
      }
    }
    cx += (GLYPH_W + 1) * scale;
  }
}
