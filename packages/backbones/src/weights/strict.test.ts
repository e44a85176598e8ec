import { describe, it, expect } from 'vitest';
import { InputError } from '@percept/core';
import { GraphBuilder } from '../graph/builder.js';
import { loadWeightsStrict } from './strict.js';
import { randomWeights, SeededRandom } from './random.js';
import type { WeightTensor } from '../ir.js';

function tiny() {
  const g = new GraphBuilder('tiny');
  let x = g.conv('features.0', 'input', { in: 3, out: 4, kernel: 3, pad: 1 });
  x = g.bn('features.1', x, { channels: 4 });
  x = g.relu('features.2', x);
  g.tap('relu1', x, 'after the first ReLU');
  return g.build();
}

const t = (shape: number[]): WeightTensor => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape });

describe('loadWeightsStrict', () => {
  it('accepts exact weights with or without num_batches_tracked, in graph order', () => {
    const g = tiny();
    const w = new Map<string, WeightTensor>([
      ['features.1.running_var', t([4])], ['features.0.weight', t([4, 3, 3, 3])], ['features.0.bias', t([4])],
      ['features.1.weight', t([4])], ['features.1.bias', t([4])], ['features.1.running_mean', t([4])],
    ]);
    expect([...loadWeightsStrict(g, w).keys()]).toEqual(['features.0.weight', 'features.0.bias', 'features.1.weight', 'features.1.bias', 'features.1.running_mean', 'features.1.running_var']);
    w.set('features.1.num_batches_tracked', t([]));
    expect(loadWeightsStrict(g, w).has('features.1.num_batches_tracked')).toBe(true);
  });

  it('lists every missing, unexpected and mis-shaped key in one error', () => {
    const g = tiny();
    const w = new Map<string, WeightTensor>([
      ['features.0.weight', t([4, 3, 5, 5])], ['features.1.weight', t([4])], ['features.1.bias', t([4])],
      ['features.1.running_mean', t([4])], ['classifier.weight', t([10, 4])], ['lin0.model.1.weight', t([1, 4, 1, 1])],
    ]);
    let err: unknown;
    try { loadWeightsStrict(g, w, { file: 'bad.pth' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^bad\.pth: weights do not match model "tiny" \(2 missing, 2 unexpected, 1 wrong shape\)/);
    for (const k of ['features.0.bias [4]', 'features.1.running_var [4]', 'classifier.weight [10, 4]', 'lin0.model.1.weight', 'features.0.weight: file has [4, 3, 5, 5], graph expects [4, 3, 3, 3]']) {
      expect(msg).toContain(k);
    }
  });

  it('strips, selects and ignores prefixes, and hints at a missing strip', () => {
    const g = tiny();
    const names = g.params.filter((p) => !p.optional);
    const wrapped = new Map(names.map((p) => [`module.${p.name}`, t([...p.shape])]));
    wrapped.set('module.classifier.weight', t([2, 2]));
    let err: InputError | undefined;
    try { loadWeightsStrict(g, wrapped, { file: 'dp.pth' }); } catch (e) { err = e as InputError; }
    expect(err?.hint).toMatch(/stripPrefix "module\."/);
    expect(() => loadWeightsStrict(g, wrapped, { stripPrefix: 'module.' })).toThrow(/unexpected \(1\):\n\s+classifier\.weight/);
    expect(loadWeightsStrict(g, wrapped, { stripPrefix: 'module.', ignore: [/classifier/] }).size).toBe(names.length);
    expect(loadWeightsStrict(g, wrapped, { select: 'module.features.', stripPrefix: 'module.' }).size).toBe(names.length);
  });
});

describe('randomWeights', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const g = tiny();
    const a = randomWeights(g, 7), b = randomWeights(g, 7), c = randomWeights(g, 8);
    expect([...a.get('features.0.weight')!.data]).toEqual([...b.get('features.0.weight')!.data]);
    expect([...a.get('features.0.weight')!.data]).not.toEqual([...c.get('features.0.weight')!.data]);
    expect(a.has('features.1.num_batches_tracked')).toBe(false);
    expect([...a.get('features.1.weight')!.data]).toEqual([1, 1, 1, 1]);
    expect([...a.get('features.1.running_var')!.data]).toEqual([1, 1, 1, 1]);
    expect([...a.get('features.0.bias')!.data]).toEqual([0, 0, 0, 0]);
    expect(loadWeightsStrict(g, a).size).toBe(6);
  });

  it('draws kaiming-normal weights (std ≈ sqrt(2/fan_in))', () => {
    const g = new GraphBuilder('wide');
    g.conv('c', 'input', { in: 3, out: 512, kernel: 3, bias: false });
    const w = randomWeights(g.build(), 1).get('c.weight')!.data;
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(std).toBeGreaterThan(Math.sqrt(2 / 27) * 0.95);
    expect(std).toBeLessThan(Math.sqrt(2 / 27) * 1.05);
  });

  it('rejects seeds that are not 32-bit unsigned integers', () => {
    expect(() => new SeededRandom(-1)).toThrow(/"seed" must be an integer/);
    expect(() => new SeededRandom(1.5)).toThrow(/"seed"/);
    const r = new SeededRandom(42);
    const u = Array.from({ length: 1000 }, () => r.uniform());
    expect(Math.min(...u)).toBeGreaterThan(0);
    expect(Math.max(...u)).toBeLessThan(1);
  });
});
