/**
 * The preprocessing head of a compiled IR graph (compile.ts `emitPreprocessing`: channel order,
 * then ·scale, −mean, ÷std, each a float32 operation) done in JavaScript with the same roundings.
 *
 * Sessions run this step on the caller's thread instead of in the graph: with the session in a
 * worker, the forward pass is the pipeline's longest stage, and the head's broadcast Div was a few
 * percent of it (about 6 ms of a 150-image AlexNet batch at 64×64), while the main thread had time
 * to spare. Every operation is rounded to float32 as onnxruntime's element-wise kernels round
 * it (Math.fround of a double result is the correctly rounded float32 result for +, −, ×, ÷ of
 * float32 operands), so the network sees exactly the values the in-graph head would give it.
 */
import type { Preprocessing } from '@percept/backbones';

/** Normalises an NCHW RGB [0,1] batch (`preprocess` output: always 3 channels) in place, as the graph head would. */
export function normaliseNchwAsGraph(data: Float32Array, shape: readonly number[], p: Preprocessing): void {
  const [n, , h, w] = shape;
  const plane = h * w;
  const f = Math.fround;
  const scale = f(p.scale);
  const withScale = p.scale !== 1;
  const withMean = p.mean.some((m) => m !== 0);
  const withStd = p.std.some((s) => s !== 1);
  const mean = p.mean.map(f);
  const std = p.std.map(f);
  const bgr = p.channelOrder === 'BGR';
  for (let b = 0; b < n; b++) {
    const base = b * 3 * plane;
    if (bgr) {
      // Gather([2, 1, 0]) over channels: swap the R and B planes.
      const r = data.slice(base, base + plane);
      data.copyWithin(base, base + 2 * plane, base + 3 * plane);
      data.set(r, base + 2 * plane);
    }
    for (let ch = 0; ch < 3; ch++) {
      const m = mean[ch], s = std[ch];
      for (let i = base + ch * plane, end = i + plane; i < end; i++) {
        let x = data[i];
        if (withScale) x = f(x * scale);
        if (withMean) x = f(x - m);
        if (withStd) x = f(x / s);
        data[i] = x;
      }
    }
  }
}
