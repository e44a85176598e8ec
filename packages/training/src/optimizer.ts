/**
 * Optimizers written out in full (rather than tf.train.*) so that their slot variables can be
 * saved into a training-state checkpoint and restored bit for bit, which a resumed run needs to
 * reproduce an uninterrupted one.
 *
 *   sgd-nesterov  TF's MomentumOptimizer(use_nesterov=True), as in tensorflow/tpu:
 *                 a ← μ·a + g;  v ← v − lr·(g + μ·a)
 *   adam          Kingma & Ba with bias correction (PyTorch/TF defaults β2 0.999, ε 1e-8);
 *                 weight decay, if any, is an L2 term added to the gradient
 *   adamw         Adam with decoupled weight decay (Loshchilov & Hutter): v ← v − lr·wd·v first
 *
 * For sgd-nesterov and adam, weight decay is the TPU recipe's loss term wd·Σ½‖v‖² over the
 * decayed variables, applied through its gradient wd·v.
 */
import { tf } from '@percept/backend-tfjs';
import { InputError, type JsonValue } from '@percept/core';
import type { WeightTensor } from '@percept/backbones';

export type OptimizerName = 'sgd-nesterov' | 'adam' | 'adamw';

export interface OptimizerOptions {
  name: OptimizerName;
  /** Nesterov momentum (sgd-nesterov), default 0.9. */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay: number;
  /** Names of the variables weight decay applies to (non-normalisation weights). */
  decayed: ReadonlySet<string>;
}

export class Optimizer {
  private readonly slots = new Map<string, tf.Variable[]>();
  /** Updates applied so far (Adam's bias-correction counter). */
  private t = 0;
  readonly settings: Record<string, JsonValue>;

  constructor(private readonly vars: ReadonlyMap<string, tf.Variable>, private readonly o: OptimizerOptions) {
    const momentum = o.momentum ?? 0.9;
    const beta1 = o.beta1 ?? 0.9;
    const beta2 = o.beta2 ?? 0.999;
    const epsilon = o.epsilon ?? 1e-8;
    this.o = { ...o, momentum, beta1, beta2, epsilon };
    this.settings = { name: o.name, weightDecay: o.weightDecay, ...(o.name === 'sgd-nesterov' ? { momentum } : { beta1, beta2, epsilon }) };
    const count = o.name === 'sgd-nesterov' ? 1 : 2;
    for (const [name, v] of vars) {
      this.slots.set(name, Array.from({ length: count }, () => {
        const zeros = tf.zerosLike(v);
        const slot = tf.variable(zeros, false);
        zeros.dispose(); // the variable holds its own reference
        return slot;
      }));
    }
  }

  /** Applies one update with learning rate `lr`; `grads` holds one gradient per variable. */
  apply(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    this.t += 1;
    const { momentum, beta1, beta2, epsilon, weightDecay, decayed, name } = this.o as Required<OptimizerOptions>;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (const [key, v] of this.vars) {
      const g0 = grads[key];
      if (!g0) throw new InputError(`optimizer: no gradient for variable "${key}"`);
      const slots = this.slots.get(key)!;
      const decay = weightDecay > 0 && decayed.has(key) ? weightDecay : 0;
      tf.tidy(() => {
        if (name === 'sgd-nesterov') {
          const g = decay ? tf.add(g0, tf.mul(v, decay)) : g0;
          const a = tf.add(tf.mul(slots[0], momentum), g);
          slots[0].assign(a);
          v.assign(tf.sub(v, tf.mul(tf.add(g, tf.mul(a, momentum)), lr)));
          return;
        }
        const base = name === 'adamw' && decay ? tf.sub(v, tf.mul(v, lr * decay)) : v;
        const g = name === 'adam' && decay ? tf.add(g0, tf.mul(v, decay)) : g0;
        const m = tf.add(tf.mul(slots[0], beta1), tf.mul(g, 1 - beta1));
        const s = tf.add(tf.mul(slots[1], beta2), tf.mul(tf.square(g), 1 - beta2));
        slots[0].assign(m);
        slots[1].assign(s);
        const step = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(s, c2)), epsilon));
        v.assign(tf.sub(base, tf.mul(step, lr)));
      });
    }
  }

  /** Slot values by `<slot>.<variable>` (tfjs layout) plus the update counter, for a training-state file. */
  async exportState(): Promise<{ tensors: Map<string, WeightTensor>; t: number }> {
    const tensors = new Map<string, WeightTensor>();
    const names = this.o.name === 'sgd-nesterov' ? ['momentum'] : ['m', 'v'];
    for (const [key, slots] of this.slots) {
      for (let i = 0; i < slots.length; i++) {
        tensors.set(`${names[i]}.${key}`, { data: (await slots[i].data()) as Float32Array, shape: slots[i].shape });
      }
    }
    return { tensors, t: this.t };
  }

  importState(state: { tensors: ReadonlyMap<string, WeightTensor>; t: number }, file: string): void {
    const names = this.o.name === 'sgd-nesterov' ? ['momentum'] : ['m', 'v'];
    const problems: string[] = [];
    for (const [key, slots] of this.slots) {
      slots.forEach((slot, i) => {
        const k = `${names[i]}.${key}`;
        const w = state.tensors.get(k);
        if (!w) { problems.push(`missing ${k}`); return; }
        if (w.shape.length !== slot.shape.length || w.shape.some((d, j) => d !== slot.shape[j])) {
          problems.push(`${k} has shape [${w.shape.join(', ')}], expected [${slot.shape.join(', ')}]`);
          return;
        }
        const value = tf.tensor(w.data, slot.shape, 'float32');
        slot.assign(value);
        value.dispose();
      });
    }
    if (problems.length) throw new InputError(`${file}: optimizer state does not fit the model (${this.o.name}): ${problems.join('; ')}`);
    this.t = state.t;
  }

  dispose(): void {
    for (const slots of this.slots.values()) for (const s of slots) s.dispose();
    this.slots.clear();
  }
}
