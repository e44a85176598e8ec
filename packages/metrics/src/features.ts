/**
 * Layout-independent access to feature maps. Backends deliver taps as NCHW, NHWC or NC (vectors such
 * as a ViT CLS token, treated as a 1×1 map); every feature distance reads them through a TapView so
 * the arithmetic is written once and the layout never changes a result.
 */
import { InputError, type Features, type HostTensor } from '@percept/core';

export interface TapView {
  name: string;
  data: Float32Array;
  n: number;
  /** Channels. */
  c: number;
  h: number;
  w: number;
  /** Spatial positions h·w. */
  s: number;
  /** Element offset of sample i, position p, channel k = i·nStride + p·sStride + k·cStride. */
  nStride: number;
  sStride: number;
  cStride: number;
}

export function tapView(t: HostTensor, name: string): TapView {
  const sh = t.shape;
  let n: number, c: number, h: number, w: number;
  if (t.layout === 'NCHW' && sh.length === 4) [n, c, h, w] = sh;
  else if (t.layout === 'NHWC' && sh.length === 4) [n, h, w, c] = sh;
  else if (t.layout === 'NC' && sh.length === 2) { [n, c] = sh; h = 1; w = 1; }
  else {
    throw new InputError(
      `Feature tap "${name}": layout ${t.layout} with shape [${sh.join(',')}] is not supported; expected NCHW or NHWC (4-D) or NC (2-D)`,
    );
  }
  const s = h * w;
  if (t.data.length !== n * c * s) {
    throw new InputError(`Feature tap "${name}": shape [${sh.join(',')}] implies ${n * c * s} values but data holds ${t.data.length}`);
  }
  const nchw = t.layout === 'NCHW';
  return { name, data: t.data, n, c, h, w, s, nStride: c * s, sStride: nchw ? 1 : c, cStride: nchw ? s : 1 };
}

/** Looks up the same tap in both feature sets and checks that they can be compared. */
export function pairedTaps(a: Features, b: Features, layer: string): [TapView, TapView] {
  const ta = a.taps[layer], tb = b.taps[layer];
  const avail = Object.keys(a.taps).join(', ') || '(none)';
  if (!ta) throw new InputError(`Feature tap "${layer}" is missing from the first feature set (available: ${avail})`);
  if (!tb) throw new InputError(`Feature tap "${layer}" is missing from the second feature set (available: ${Object.keys(b.taps).join(', ') || '(none)'})`);
  const va = tapView(ta, layer), vb = tapView(tb, layer);
  if (va.n !== vb.n || va.c !== vb.c || va.h !== vb.h || va.w !== vb.w) {
    throw new InputError(
      `Feature tap "${layer}": the two inputs differ in shape (N,C,H,W) = (${va.n},${va.c},${va.h},${va.w}) vs (${vb.n},${vb.c},${vb.h},${vb.w})`,
    );
  }
  return [va, vb];
}

/** The layers to use: the given list, or every tap of `a` in the order the backend produced them. */
export function resolveLayers(a: Features, layers?: readonly string[]): string[] {
  const list = layers && layers.length > 0 ? [...layers] : Object.keys(a.taps);
  if (list.length === 0) throw new InputError('Feature distance: no layers to compare (the features hold no taps)');
  const seen = new Set<string>();
  for (const l of list) {
    if (seen.has(l)) throw new InputError(`Feature distance: layer "${l}" is listed twice in "layers"`);
    seen.add(l);
  }
  return list;
}

/** Checks every layer agrees on the batch size and returns it. */
export function batchSize(views: readonly TapView[]): number {
  const n = views[0].n;
  for (const v of views) {
    if (v.n !== n) throw new InputError(`Feature taps disagree on batch size: "${views[0].name}" has ${n} samples, "${v.name}" has ${v.n}`);
  }
  return n;
}
