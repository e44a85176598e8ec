/**
 * Classification accuracy from logits.
 */
import { InputError, type HostTensor } from '@percept/core';

/**
 * Top-k correctness per sample for logits [N, C]: a sample is correct when fewer than k classes
 * have a strictly larger logit than its label's (ties count in the label's favour).
 */
export function topK(logits: HostTensor, labels: ArrayLike<number>, k: number): { correct: Uint8Array; accuracy: number } {
  if (logits.shape.length !== 2) throw new InputError(`topK: logits must be [N, C], got shape [${logits.shape.join(',')}]`);
  const [n, c] = logits.shape;
  if (labels.length !== n) throw new InputError(`topK: ${labels.length} labels for ${n} rows of logits`);
  if (!Number.isInteger(k) || k < 1 || k > c) throw new InputError(`topK: k must be an integer in 1..${c}, got ${k}`);
  const correct = new Uint8Array(n);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= c) throw new InputError(`topK: label ${i} is ${label}, expected a class index in 0..${c - 1}`);
    const row = i * c;
    const v = logits.data[row + label];
    if (Number.isNaN(v)) throw new InputError(`topK: logit of sample ${i}, class ${label} is NaN`);
    let above = 0;
    for (let j = 0; j < c && above < k; j++) if (logits.data[row + j] > v) above++;
    if (above < k) { correct[i] = 1; hits++; }
  }
  return { correct, accuracy: n === 0 ? NaN : hits / n };
}
