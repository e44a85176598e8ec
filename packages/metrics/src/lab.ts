/**
 * sRGB [0,1] -> CIE Lab exactly as scikit-image's rgb2lab (D65, 2° observer), for the Lab baselines.
 * @percept/images has the same conversion (rgbToLab); metrics depends on core only, so it keeps this
 * small private copy, tested against the same scikit-image values.
 */
const M = [0.412453, 0.35758, 0.180423, 0.212671, 0.71516, 0.072169, 0.019334, 0.119193, 0.950227];
const WHITE = [0.95047, 1.0, 1.08883];
const expand = (c: number) => (c > 0.04045 ? Math.pow((c + 0.055) / 1.055, 2.4) : c / 12.92);
const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);

/** Converts interleaved RGB triples to interleaved Lab triples (float64). */
export function rgbToLabValues(rgb: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const r = expand(rgb[i]), g = expand(rgb[i + 1]), b = expand(rgb[i + 2]);
    const x = f((M[0] * r + M[1] * g + M[2] * b) / WHITE[0]);
    const y = f((M[3] * r + M[4] * g + M[5] * b) / WHITE[1]);
    const z = f((M[6] * r + M[7] * g + M[8] * b) / WHITE[2]);
    out[i] = 116 * y - 16;
    out[i + 1] = 500 * (x - y);
    out[i + 2] = 200 * (y - z);
  }
  return out;
}
