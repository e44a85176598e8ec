/**
 * Normalised activation entropy (Kumar §8.5, Figs. 15–16; SPEC §4.7): a softmax over ALL values of
 * one sample's representation (H×W×C of a map, or C of a vector), its Shannon entropy, divided by
 * log(HWC) so that 1 means "all activations equal" and 0 means "one activation dominates".
 */
import { InputError, type HostTensor } from '@percept/core';

/** Normalised softmax entropy of each sample of a tap; the batch axis is first in every layout. */
export function normalizedSoftmaxEntropy(t: HostTensor, tap = 'tensor'): Float64Array {
  const n = t.shape[0];
  if (!Number.isInteger(n) || n < 1) throw new InputError(`activation entropy: tap "${tap}" has no batch axis (shape [${t.shape.join(', ')}])`);
  const per = t.data.length / n;
  if (!Number.isInteger(per) || per < 2) {
    throw new InputError(`activation entropy: tap "${tap}" must hold at least 2 values per sample to normalise by log(HWC), got shape [${t.shape.join(', ')}]`);
  }
  const out = new Float64Array(n);
  const logN = Math.log(per);
  for (let i = 0; i < n; i++) {
    const x = t.data.subarray(i * per, (i + 1) * per);
    let m = -Infinity;
    for (let k = 0; k < per; k++) {
      if (Number.isNaN(x[k])) throw new InputError(`activation entropy: tap "${tap}" sample ${i} contains NaN`);
      if (x[k] > m) m = x[k];
    }
    // With q_k = e^{x_k−m}/S: H = −Σ q_k (x_k − m − log S) = log S − Σ q_k (x_k − m). Subtracting the max keeps e^· ≤ 1.
    let s = 0, sx = 0;
    for (let k = 0; k < per; k++) {
      const e = Math.exp(x[k] - m);
      s += e;
      sx += e * (x[k] - m);
    }
    const h = Math.log(s) - sx / s;
    out[i] = Math.min(Math.max(h / logN, 0), 1);
  }
  return out;
}
