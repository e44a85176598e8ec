/**
 * Renders Vega-Lite specs in Node: vega's headless View (renderer 'none') produces SVG without a canvas,
 * and resvg rasterises that SVG to PNG.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PerceptError, InputError } from '@percept/core';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { VegaLiteSpec } from './charts/common.js';

/** Compiles Vega-Lite to Vega, turning compile errors into an InputError that names the spec. */
export function toVega(spec: VegaLiteSpec, name = 'chart'): vega.Spec {
  try {
    return compile(spec).spec as vega.Spec;
  } catch (e) {
    throw new InputError(`${name}: invalid Vega-Lite spec: ${(e as Error).message}`, { cause: e });
  }
}

/** Renders a Vega-Lite spec to an SVG document string. */
export async function renderSvg(spec: VegaLiteSpec, options: { name?: string } = {}): Promise<string> {
  const view = new vega.View(vega.parse(toVega(spec, options.name)), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface PngOptions {
  /** Device pixel ratio: the PNG is (SVG width × scale) pixels wide (default 2). */
  scale?: number;
  /** Extra font files (TTF/OTF) for text; system fonts are always loaded. */
  fontFiles?: string[];
  name?: string;
}

const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', '/System/Library/Fonts', '/Library/Fonts', 'C:\\Windows\\Fonts'];

/** True when at least one font file exists in the usual system font directories (searched a few levels deep). */
function systemHasFonts(): boolean {
  const walk = (dir: string, depth: number): boolean => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const e of entries) {
      if (e.isFile() && /\.(ttf|otf|ttc)$/i.test(e.name)) return true;
      if (e.isDirectory() && depth < 3 && walk(join(dir, e.name), depth + 1)) return true;
    }
    return false;
  };
  return FONT_DIRS.some((d) => existsSync(d) && walk(d, 0));
}

let fontsChecked: boolean | undefined;

/** Rasterises SVG text to PNG bytes. Without any font resvg silently drops all text, so that is an error. */
export function svgToPng(svg: string, options: PngOptions = {}): Uint8Array {
  const scale = options.scale ?? 2;
  if (!Number.isFinite(scale) || scale <= 0 || scale > 16) {
    throw new InputError(`PNG option "scale" must be in (0, 16], got ${scale}`);
  }
  for (const f of options.fontFiles ?? []) {
    if (!existsSync(f)) throw new InputError(`PNG option "fontFiles": ${f} does not exist`);
  }
  fontsChecked ??= systemHasFonts();
  if (!fontsChecked && !options.fontFiles?.length) {
    throw new PerceptError('PNG rendering needs at least one font, and no system fonts were found', {
      hint: 'install a font package (e.g. apt-get install fonts-dejavu-core) or pass fontFiles',
    });
  }
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: {
      loadSystemFonts: true,
      fontFiles: options.fontFiles ?? [],
      // Generic families ("sans-serif") resolve to this when the SVG's first choice is missing.
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
    background: 'white',
  });
  return resvg.render().asPng();
}

/** Renders a Vega-Lite spec to PNG bytes. */
export async function renderPng(spec: VegaLiteSpec, options: PngOptions = {}): Promise<Uint8Array> {
  return svgToPng(await renderSvg(spec, { name: options.name }), options);
}
