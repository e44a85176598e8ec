import { describe, it, expect, beforeAll } from 'vitest';
import { initTfjs, tf } from '@percept/backend-tfjs';
import { Optimizer } from './optimizer.js';

beforeAll(async () => { await initTfjs({ prefer: 'cpu' }); });

function setup(name: 'sgd-nesterov' | 'adam' | 'adamw', weightDecay = 0) {
  const v = tf.variable(tf.tensor1d([1, -2]));
  const opt = new Optimizer(new Map([['w', v]]), { name, weightDecay, decayed: new Set(['w']) });
  const step = (g: number[], lr: number) => { const t = tf.tensor1d(g); opt.apply({ w: t }, lr); t.dispose(); };
  return { v, opt, step, value: () => Array.from(v.dataSync()) };
}

describe('Optimizer', () => {
  it('applies TF Nesterov momentum with the L2 weight-decay gradient', () => {
    const { step, value, opt, v } = setup('sgd-nesterov', 0.1);
    step([0.5, 0.5], 0.1);
    // g = 0.5 + 0.1·v; a = g; v −= 0.1·(g + 0.9·a)
    expect(value()[0]).toBeCloseTo(1 - 0.1 * 1.9 * 0.6, 6);
    expect(value()[1]).toBeCloseTo(-2 - 0.1 * 1.9 * 0.3, 6);
    const v1 = value()[0];
    step([0.5, 0.5], 0.1);
    const g = 0.5 + 0.1 * v1, a = 0.9 * 0.6 + g;
    expect(value()[0]).toBeCloseTo(v1 - 0.1 * (g + 0.9 * a), 6);
    opt.dispose(); v.dispose();
  });

  it('decouples weight decay in AdamW, and restores its state exactly', async () => {
    const a = setup('adamw', 0.1);
    a.step([0.5, -0.25], 0.1);
    // First Adam step moves by lr·g/|g| (bias-corrected); AdamW first shrinks v by lr·wd·v.
    expect(a.value()[0]).toBeCloseTo(1 - 0.01 - 0.1, 5);
    expect(a.value()[1]).toBeCloseTo(-2 + 0.02 + 0.1, 5);
    const saved = await a.opt.exportState();
    expect([...saved.tensors.keys()]).toEqual(['m.w', 'v.w']);
    const b = setup('adamw', 0.1);
    b.v.assign(a.v);
    b.opt.importState(saved, 'state');
    a.step([0.3, 0.1], 0.05);
    b.step([0.3, 0.1], 0.05);
    expect(b.value()).toEqual(a.value());
    expect(() => setup('sgd-nesterov').opt.importState(saved, 'state.safetensors')).toThrow(/state.safetensors: optimizer state does not fit.*missing momentum.w/);
  });
});
