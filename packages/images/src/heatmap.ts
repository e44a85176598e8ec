/**
 * Renders a scalar map (e.g. an LPIPS spatial distance map) as a colour PNG.
 */
import { InputError } from '@percept/core';
import { encodePng } from './io.js';

export type Colormap = 'viridis' | 'gray';

// Viridis sampled at 9 evenly spaced stops (0, 1/8, …, 1); colours in between are interpolated
// linearly in sRGB. Close to matplotlib's 256-entry table, small enough to keep here.
const VIRIDIS = [
  0x440154, 0x472c7a, 0x3b518b, 0x2c718e, 0x21908d, 0x27ad81, 0x5cc863, 0xaadc32, 0xfde725,
].map((c) => [(c >> 16) & 255, (c >> 8) & 255, c & 255]);

/** Colour (0..1 per channel) of t in [0,1]. */
export function colormapRgb(t: number, colormap: Colormap = 'viridis'): [number, number, number] {
  const u = Number.isFinite(t) ? Math.min(Math.max(t, 0), 1) : 0;
  if (colormap === 'gray') return [u, u, u];
  if (colormap !== 'viridis') throw new InputError(`heatmap: unknown colormap "${String(colormap)}", expected viridis or gray`);
  const pos = u * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(pos), VIRIDIS.length - 2);
  const frac = pos - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  return [0, 1, 2].map((k) => (a[k] + (b[k] - a[k]) * frac) / 255) as [number, number, number];
}

export interface HeatmapOptions {
  colormap?: Colormap;
  /** Value mapped to the colormap's start (default: the map's minimum). */
  min?: number;
  /** Value mapped to the colormap's end (default: the map's maximum). */
  max?: number;
}

/** Encodes an h×w row-major map as a PNG through a colormap. A constant map renders as the start colour. */
export function heatmapPng(values: ArrayLike<number>, h: number, w: number, options: HeatmapOptions = {}): Promise<Buffer> {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new InputError(`heatmapPng: size must be positive integers, got ${h}x${w} (HxW)`);
  }
  if (values.length !== h * w) {
    throw new InputError(`heatmapPng: map has ${values.length} values, expected ${h}x${w} = ${h * w}`);
  }
  let lo = options.min ?? Infinity, hi = options.max ?? -Infinity;
  if (options.min === undefined || options.max === undefined) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (options.min === undefined && v < lo) lo = v;
      if (options.max === undefined && v > hi) hi = v;
    }
  }
  const span = hi - lo;
  const data = new Float32Array(h * w * 3);
  for (let i = 0; i < values.length; i++) {
    const t = span > 0 ? (values[i] - lo) / span : 0;
    const [r, g, b] = colormapRgb(t, options.colormap ?? 'viridis');
    data[i * 3] = r; data[i * 3 + 1] = g; data[i * 3 + 2] = b;
  }
  return encodePng({ data, shape: [1, h, w, 3] });
}
