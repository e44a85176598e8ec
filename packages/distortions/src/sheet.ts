/**
 * The distortion sheet: every distortion at a few severities on one image, as one labelled grid
 * (rows = distortions, columns = original + severities), for eyeballing what the severities mean.
 */
import type { ImageBatch } from '@percept/core';
import { InputError } from '@percept/core';
import { allDistortions, applyDistortion } from './catalog.js';
import { checkBatch } from './image.js';
import { drawText, GLYPH_H, textWidth } from './font.js';
import type { DistortionDef } from './types.js';

export interface SheetOptions {
  /** Default: 0.25, 0.5, 1. */
  severities?: readonly number[];
  /** Default: every distortion except compose (which needs steps). */
  distortions?: readonly string[];
  seed?: number;
  /** Integer scale of the label font (default 2). */
  textScale?: number;
}

const GAP = 4;
const MARGIN = 10;
const INK: [number, number, number] = [0.1, 0.1, 0.1];
const SUBTLE: [number, number, number] = [0.45, 0.45, 0.5];

/** Renders the sheet for a single image ([1,H,W,3]); returns one [1,SH,SW,3] image on white. */
export async function renderDistortionSheet(image: ImageBatch, options: SheetOptions = {}): Promise<ImageBatch> {
  checkBatch(image, 'distortion sheet image');
  if (image.shape[0] !== 1) throw new InputError(`distortion sheet image: expected one image, got a batch of ${image.shape[0]}`);
  const severities = options.severities ?? [0.25, 0.5, 1];
  const scale = options.textScale ?? 2;
  const seed = options.seed ?? 0;
  const defs: DistortionDef[] = options.distortions
    ? options.distortions.map((n) => {
        const d = allDistortions.find((x) => x.name === n);
        if (!d) throw new InputError(`distortion sheet: unknown distortion "${n}"`, { hint: `Known: ${allDistortions.map((x) => x.name).join(', ')}.` });
        return d;
      })
    : allDistortions.filter((d) => d.name !== 'compose');
  const [, th, tw] = image.shape;

  const lineH = GLYPH_H * scale;
  const labelW = Math.max(...defs.map((d) => textWidth(d.name, scale)), textWidth('DISTORTION', scale)) + 2 * GAP;
  const headerH = lineH + 2 * GAP;
  const rowH = Math.max(th, lineH * 2 + GAP) + GAP;
  const cols = severities.length + 1;
  const width = MARGIN * 2 + labelW + cols * (tw + GAP);
  const height = MARGIN * 2 + headerH + defs.length * rowH;
  const canvas = { data: new Float32Array(width * height * 3).fill(1), h: height, w: width };

  const paste = (src: Float32Array, x0: number, y0: number) => {
    for (let y = 0; y < th; y++) canvas.data.set(src.subarray(y * tw * 3, (y + 1) * tw * 3), ((y0 + y) * width + x0) * 3);
  };
  const colX = (c: number) => MARGIN + labelW + c * (tw + GAP);

  drawText(canvas, 'distortion', MARGIN, MARGIN + GAP, { scale, color: SUBTLE });
  const headers = ['original', ...severities.map((s) => `s=${s}`)];
  headers.forEach((t, c) => drawText(canvas, t, colX(c) + Math.max(0, (tw - textWidth(t, scale)) >> 1), MARGIN + GAP, { scale, color: SUBTLE }));

  for (let r = 0; r < defs.length; r++) {
    const d = defs[r];
    const y0 = MARGIN + headerH + r * rowH;
    const ty = y0 + Math.max(0, (th - 2 * lineH - GAP) >> 1);
    drawText(canvas, d.name, MARGIN, ty, { scale, color: INK });
    drawText(canvas, d.family, MARGIN, ty + lineH + GAP, { scale: Math.max(1, scale - 1), color: SUBTLE });
    paste(image.data, colX(0), y0);
    for (let c = 0; c < severities.length; c++) {
      const out = await applyDistortion(d, image, { severity: severities[c], seed });
      paste(out.data, colX(c + 1), y0);
    }
  }
  return { data: canvas.data, shape: [1, height, width, 3] };
}
