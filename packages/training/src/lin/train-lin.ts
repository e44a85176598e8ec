/**
 * LPIPS linear calibration (SPEC §7.5, lpips/trainer.py): non-negative per-channel weights w on a
 * frozen trunk, learned through the small judge network G from BAPPS 2AFC judgments.
 *
 *   d0 = Σ w·D(x, x0), d1 = Σ w·D(x, x1)              (see channel-distances.ts)
 *   G(d0, d1) = sigmoid(conv1×1(32→1)(lrelu(conv1×1(32→32)(lrelu(conv1×1(5→32)(
 *               [d0, d1, d0−d1, d0/(d1+0.1), d1/(d0+0.1)]))))))   LeakyReLU slope 0.2
 *   loss = BCE(G, h)                                    h = fraction of raters who chose x1
 *   Adam(lr 1e-4, β 0.5/0.999) on w and G; after every step w ← max(w, 0)
 *   epochs 1..5 at lr, then 5 more: after each epoch beyond the 5th, lr −= lr0/5
 *   batch 50, shuffled each epoch (seeded)
 * Initial values follow PyTorch's Conv2d default (uniform ±1/√fan_in), as the reference trains
 * from a fresh LPIPS module.
 */
import { tf } from '@percept/backend-tfjs';
import { InputError, type Logger } from '@percept/core';
import { SeededRandom, type WeightTensor } from '@percept/backbones';
import { twoAfcScores } from '@percept/metrics';
import type { ChannelDistances } from './channel-distances.js';

export interface LinTrainOptions {
  epochs: number;
  decayEpochs: number;
  batchSize: number;
  lr: number;
  beta1: number;
  beta2: number;
  seed: number;
  /** Width of G's hidden layers (reference: 32). */
  hidden: number;
}

export const defaultLinOptions: LinTrainOptions = { epochs: 5, decayEpochs: 5, batchSize: 50, lr: 1e-4, beta1: 0.5, beta2: 0.999, seed: 0, hidden: 32 };

export interface LinTrainResult {
  /** Learned weights per layer. */
  weights: Float32Array[];
  /** The judge network G, PyTorch layout, LPIPS names (`rankLoss.net.model.{0,2,4}.{weight,bias}`). */
  judge: Map<string, WeightTensor>;
  /** Per epoch: mean BCE loss and the training accuracy LPIPS prints (d1<d0 ? h : 1−h). */
  epochs: Array<{ epoch: number; lr: number; loss: number; accuracy: number }>;
}

const EPS = 0.1;
const SLOPE = 0.2;

function uniformInit(n: number, fanIn: number, rng: SeededRandom): Float32Array {
  const b = 1 / Math.sqrt(fanIn);
  return Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * b);
}

/** 2AFC score (×1, mean over pairs) of distances Σ w·D on a cache. */
export function linTwoAfc(cache0: ChannelDistances, cache1: ChannelDistances, judge: Float32Array, weights: readonly Float32Array[] | null): number {
  const d = (c: ChannelDistances) => {
    const out = new Float64Array(c.count);
    for (let i = 0; i < c.count; i++) {
      let s = 0;
      const row = i * c.width;
      c.channels.forEach((ch, l) => {
        const o = row + c.offsets[l];
        for (let k = 0; k < ch; k++) s += (weights ? weights[l][k] : 1) * c.data[o + k];
      });
      out[i] = s;
    }
    return out;
  };
  return twoAfcScores(d(cache0), d(cache1), judge).mean;
}

export async function trainLin(
  cache0: ChannelDistances, cache1: ChannelDistances, judge: Float32Array, options: Partial<LinTrainOptions> = {},
  hooks: { log?: Logger; progress?: (done: number, total: number, message: string) => void; signal?: AbortSignal } = {},
): Promise<LinTrainResult> {
  const o = { ...defaultLinOptions, ...options };
  if (cache0.count !== cache1.count || cache0.width !== cache1.width || judge.length !== cache0.count) {
    throw new InputError(`lin training: ${cache0.count} (x, x0) pairs, ${cache1.count} (x, x1) pairs and ${judge.length} judgments must match`);
  }
  for (const [k, v] of Object.entries({ epochs: o.epochs, batchSize: o.batchSize, hidden: o.hidden })) {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`lin training: "${k}" must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(o.decayEpochs) || o.decayEpochs < 0) throw new InputError(`lin training: "decayEpochs" must be an integer ≥ 0, got ${o.decayEpochs}`);
  if (!(o.lr > 0)) throw new InputError(`lin training: "lr" must be positive, got ${o.lr}`);
  const n = cache0.count, width = cache0.width, H = o.hidden;
  const rng = new SeededRandom(o.seed, 'lpips-lin');
  // tf.variable keeps its own reference to the initial value, so the initial tensor is released here.
  const variable = (t: tf.Tensor) => { const v = tf.variable(t); t.dispose(); return v; };
  // Lin weights: one 1×1 conv C_l → 1 per layer, concatenated into one vector.
  const w = variable(tf.tensor2d(Float32Array.from(cache0.channels.flatMap((c) => Array.from(uniformInit(c, c, rng)))), [width, 1]));
  const g = {
    w1: variable(tf.tensor2d(uniformInit(5 * H, 5, rng), [H, 5])), b1: variable(tf.tensor1d(uniformInit(H, 5, rng))),
    w2: variable(tf.tensor2d(uniformInit(H * H, H, rng), [H, H])), b2: variable(tf.tensor1d(uniformInit(H, H, rng))),
    w3: variable(tf.tensor2d(uniformInit(H, H, rng), [1, H])), b3: variable(tf.tensor1d(uniformInit(1, H, rng))),
  };
  const vars = [w, g.w1, g.b1, g.w2, g.b2, g.w3, g.b3];
  const optimizer = tf.train.adam(o.lr, o.beta1, o.beta2, 1e-8);
  const epochs: LinTrainResult['epochs'] = [];
  const total = o.epochs + o.decayEpochs;
  const steps = Math.ceil(n / o.batchSize);
  let lr = o.lr;
  try {
    for (let epoch = 1; epoch <= total; epoch++) {
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const perm = Uint32Array.from({ length: n }, (_, i) => i);
      const erng = new SeededRandom(o.seed, `lin-order:${epoch}`);
      for (let i = n - 1; i > 0; i--) { const j = Math.floor(erng.uniform() * (i + 1)); const t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
      let lossSum = 0, accSum = 0;
      for (let s = 0; s < steps; s++) {
        if (hooks.signal?.aborted) throw new InputError('lin training interrupted');
        const idx = perm.subarray(s * o.batchSize, Math.min(n, (s + 1) * o.batchSize));
        const b = idx.length;
        const x0 = new Float32Array(b * width), x1 = new Float32Array(b * width), h = new Float32Array(b);
        idx.forEach((r, k) => {
          x0.set(cache0.data.subarray(r * width, (r + 1) * width), k * width);
          x1.set(cache1.data.subarray(r * width, (r + 1) * width), k * width);
          h[k] = judge[r];
        });
        const [lossV, accV] = tf.tidy(() => {
          const D0 = tf.tensor2d(x0, [b, width]), D1 = tf.tensor2d(x1, [b, width]), target = tf.tensor2d(h, [b, 1]);
          let acc: tf.Tensor | undefined;
          const loss = optimizer.minimize(() => {
            const d0 = tf.matMul(D0, w), d1 = tf.matMul(D1, w);
            acc = tf.keep(tf.mean(tf.where(tf.less(d1, d0), target, tf.sub(1, target))));
            const feats = tf.concat([d0, d1, tf.sub(d0, d1), tf.div(d0, tf.add(d1, EPS)), tf.div(d1, tf.add(d0, EPS))], 1);
            const z1 = tf.leakyRelu(tf.add(tf.matMul(feats, g.w1, false, true), g.b1), SLOPE);
            const z2 = tf.leakyRelu(tf.add(tf.matMul(z1, g.w2, false, true), g.b2), SLOPE);
            const z = tf.add(tf.matMul(z2, g.w3, false, true), g.b3);
            // BCE of p = sigmoid(z) as torch.nn.BCELoss (log terms clamped at −100), written with
            // log p = −softplus(−z) and log(1−p) = −softplus(z): the same values, but a saturated
            // sigmoid gives a finite gradient instead of 0·∞ = NaN.
            const logp = tf.maximum(tf.neg(tf.softplus(tf.neg(z))), -100), log1p = tf.maximum(tf.neg(tf.softplus(z)), -100);
            return tf.neg(tf.mean(tf.add(tf.mul(target, logp), tf.mul(tf.sub(1, target), log1p)))) as tf.Scalar;
          }, true, vars)!;
          // Projected gradient: back into the constraint set w ≥ 0 after every step.
          w.assign(tf.relu(w));
          return [loss, acc!];
        });
        lossSum += (await lossV.data())[0] * b;
        accSum += (await accV.data())[0] * b;
        tf.dispose([lossV, accV]);
      }
      epochs.push({ epoch, lr, loss: lossSum / n, accuracy: accSum / n });
      hooks.log?.info(`lin epoch ${epoch}/${total}: lr ${lr.toExponential(2)}, loss ${(lossSum / n).toFixed(4)}, train accuracy ${(100 * accSum / n).toFixed(2)}%`);
      hooks.progress?.(epoch, total, `loss ${(lossSum / n).toFixed(4)}`);
      if (epoch > o.epochs && o.decayEpochs > 0) lr -= o.lr / o.decayEpochs;
    }
    const flat = (await w.data()) as Float32Array;
    const weights = cache0.channels.map((c, l) => flat.slice(cache0.offsets[l], cache0.offsets[l] + c));
    const judgeNet = new Map<string, WeightTensor>();
    const put = async (name: string, t: tf.Tensor, shape: number[]) => judgeNet.set(name, { data: (await t.data()) as Float32Array, shape });
    await put('rankLoss.net.model.0.weight', g.w1, [H, 5, 1, 1]); await put('rankLoss.net.model.0.bias', g.b1, [H]);
    await put('rankLoss.net.model.2.weight', g.w2, [H, H, 1, 1]); await put('rankLoss.net.model.2.bias', g.b2, [H]);
    await put('rankLoss.net.model.4.weight', g.w3, [1, H, 1, 1]); await put('rankLoss.net.model.4.bias', g.b3, [1]);
    return { weights, judge: judgeNet, epochs };
  } finally {
    optimizer.dispose();
    tf.dispose(vars);
  }
}

/** The lin weights as LPIPS stores them: `lin{k}.model.1.weight` [1, C_k, 1, 1], k in tap order. */
export function linTensors(weights: readonly Float32Array[]): Map<string, WeightTensor> {
  return new Map(weights.map((w, k) => [`lin${k}.model.1.weight`, { data: w, shape: [1, w.length, 1, 1] }]));
}
