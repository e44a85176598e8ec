import { describe, expect, it } from 'vitest';
import { canDraw, drawText, GLYPH_H, textWidth } from './font.js';
import { renderDistortionSheet } from './sheet.js';
import { proceduralImages } from './procedural.js';

describe('bitmap font', () => {
  it('draws ink only inside the text box, and distinct glyphs differ', () => {
    const w = 40, h = 12;
    const canvas = () => ({ data: new Float32Array(w * h * 3).fill(1), h, w });
    const a = canvas();
    drawText(a, 'ab1', 2, 3);
    let ink = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (a.data[(y * w + x) * 3] === 0) {
          ink++;
          expect(x >= 2 && x < 2 + textWidth('ab1') && y >= 3 && y < 3 + GLYPH_H, `ink at ${x},${y}`).toBe(true);
        }
      }
    }
    expect(ink).toBeGreaterThan(20);
    const b = canvas();
    drawText(b, 'ab2', 2, 3);
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
    expect(textWidth('abc', 2)).toBe((3 * 6 - 1) * 2);
    expect(canDraw('gaussian-blur s=0.25')).toBe(true);
    expect(canDraw('é')).toBe(false);
  });
});

describe('renderDistortionSheet', () => {
  it('lays out the original and each severity per distortion, with labels', async () => {
    const size = 32;
    const img = proceduralImages(1, size, 1);
    const sheet = await renderDistortionSheet(img, { distortions: ['gaussian-blur', 'jpeg'], severities: [0.5, 1] });
    const [, H, W] = sheet.shape;
    expect(W).toBeGreaterThan(3 * size);
    expect(H).toBeGreaterThan(2 * size);
    // Find the original tile: it is pasted verbatim in each row, so search for its first row.
    const first = Array.from(img.data.subarray(0, size * 3));
    let found = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x + size <= W; x++) {
        const p = (y * W + x) * 3;
        if (sheet.data[p] === first[0] && Array.from(sheet.data.subarray(p, p + size * 3)).every((v, i) => v === first[i])) found++;
      }
    }
    expect(found).toBe(2);
    // Labels: dark pixels in the left column.
    let dark = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < 60; x++) if (sheet.data[(y * W + x) * 3] < 0.3) dark++;
    expect(dark).toBeGreaterThan(50);
  });

  it('rejects an unknown distortion and a batch of several images', async () => {
    await expect(renderDistortionSheet(proceduralImages(1, 16, 0), { distortions: ['nope'] })).rejects.toThrow(/unknown distortion "nope"/);
    await expect(renderDistortionSheet(proceduralImages(2, 16, 0))).rejects.toThrow(/expected one image/);
  });
});
