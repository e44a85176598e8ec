import { describe, it, expect } from 'vitest';
import { decodeImage } from './io.js';
import { colormapRgb, heatmapPng } from './heatmap.js';

describe('heatmapPng', () => {
  it('maps the minimum and maximum to the colormap ends', async () => {
    const png = await heatmapPng([0, 1, 2, 3], 2, 2);
    const img = await decodeImage(png);
    expect(img.shape).toEqual([1, 2, 2, 3]);
    const px = (i: number) => Array.from(img.data.subarray(i * 3, i * 3 + 3)).map((v) => Math.round(v * 255));
    expect(px(0)).toEqual([0x44, 0x01, 0x54]);
    expect(px(3)).toEqual([0xfd, 0xe7, 0x25]);
    // Viridis brightens monotonically in green.
    expect(px(1)[1]).toBeLessThan(px(2)[1]);
  });

  it('honours a fixed range and the gray colormap', () => {
    expect(colormapRgb(0.5, 'gray')).toEqual([0.5, 0.5, 0.5]);
    expect(colormapRgb(2)).toEqual(colormapRgb(1));
  });

  it('rejects a map of the wrong size', () => {
    expect(() => heatmapPng([1, 2, 3], 2, 2)).toThrow(/3 values, expected 2x2 = 4/);
  });
});
