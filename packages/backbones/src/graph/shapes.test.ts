import { describe, it, expect } from 'vitest';
import { GraphBuilder } from './builder.js';
import { inferShapes, validateGraph, windowOutput } from './shapes.js';
import type { IRGraph } from '../ir.js';

describe('windowOutput', () => {
  it('matches PyTorch floor and ceil pooling sizes', () => {
    expect(windowOutput(111, 3, 2, 0, 0, 1, true)).toBe(55); // SqueezeNet 1.0 first pool at 227
    expect(windowOutput(112, 3, 2, 0, 0, 1, false)).toBe(55);
    expect(windowOutput(112, 3, 2, 0, 0, 1, true)).toBe(56);
    expect(windowOutput(4, 2, 2, 1, 1, 1, true)).toBe(3);
    // Ceil mode never starts a window inside the right padding: the naive ceil formula gives 4, PyTorch 3.
    expect(windowOutput(5, 2, 2, 1, 1, 1, true)).toBe(3);
    expect(windowOutput(3, 3, 2, 1, 1, 1, true)).toBe(2);
  });
});

describe('inferShapes', () => {
  it('follows convs, concat, pooling, dense and tokens', () => {
    const g = new GraphBuilder('mix');
    const a = g.conv('a', 'input', { in: 3, out: 8, kernel: 3, stride: 2, pad: 1 });
    const b = g.conv('b', 'input', { in: 3, out: 4, kernel: 1, stride: 2 });
    const c = g.concat('c', [a, b]);
    const p = g.maxpool('p', c, { kernel: 2, ceil: true });
    const f = g.flatten('f', g.globalAvgPool('gp', p));
    g.dense('fc', f, { in: 12, out: 5 });
    const shapes = inferShapes(g.build(), [2, 3, 9, 9]);
    expect(shapes.get('a')).toEqual([2, 8, 5, 5]);
    expect(shapes.get('c')).toEqual([2, 12, 5, 5]);
    expect(shapes.get('p')).toEqual([2, 12, 3, 3]);
    expect(shapes.get('fc')).toEqual([2, 5]);
  });

  it('names the node whose input does not fit', () => {
    const g = new GraphBuilder('small');
    g.conv('big', 'input', { in: 3, out: 2, kernel: 7 });
    expect(() => inferShapes(g.build(), [1, 3, 4, 4])).toThrow(/IR graph "small": node "big" \(conv2d\): input 4x4 is too small for kernel 7x7/);
    const h = new GraphBuilder('dense');
    h.dense('fc', h.flatten('f', 'input'), { in: 10, out: 2 });
    expect(() => inferShapes(h.build(), [1, 3, 2, 2])).toThrow(/node "fc" \(dense\): expects last axis 10, got shape \[1, 12\]/);
  });
});

describe('mul and stochastic depth', () => {
  it('broadcast size-1 axes (a squeeze-excitation scale) and name mismatches', () => {
    const g = new GraphBuilder('se');
    const x = g.conv('x', 'input', { in: 3, out: 4, kernel: 1 });
    const s = g.sigmoid('gate', g.conv('fc', g.globalAvgPool('gap', x), { in: 4, out: 4, kernel: 1 }));
    g.stochasticDepth('sd', g.mul('scaled', s, g.silu('act', x)), 0.25);
    const shapes = inferShapes(g.build(), [2, 3, 5, 6]);
    expect(shapes.get('gate')).toEqual([2, 4, 1, 1]);
    expect(shapes.get('scaled')).toEqual([2, 4, 5, 6]);
    expect(shapes.get('sd')).toEqual([2, 4, 5, 6]);
    const bad = new GraphBuilder('bad');
    bad.mul('m', bad.conv('a', 'input', { in: 3, out: 4, kernel: 1 }), bad.conv('b', 'input', { in: 3, out: 2, kernel: 1 }));
    expect(() => inferShapes(bad.build(), [1, 3, 2, 2])).toThrow(/node "m" \(mul\): multiplies "a" \[1, 4, 2, 2\] and "b" \[1, 2, 2, 2\]: shapes must have the same rank/);
    const rate = new GraphBuilder('rate');
    rate.stochasticDepth('sd', 'input', 1);
    expect(() => inferShapes(rate.build(), [1, 3, 2, 2])).toThrow(/node "sd" \(stochasticdepth\): rate must be in \[0, 1\), got 1/);
  });
});

describe('validateGraph', () => {
  it('lists out-of-order inputs, unknown taps and param mismatches', () => {
    const bad: IRGraph = {
      name: 'broken',
      input: { name: 'input', channels: 3 },
      nodes: [
        { id: 'r', op: 'relu', inputs: ['later'] },
        { id: 'later', op: 'conv2d', inputs: ['input'], param: 'conv', inChannels: 3, outChannels: 2, kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1, bias: true },
      ],
      taps: { t: { node: 'nope', description: '' } },
      params: [
        { name: 'conv.weight', shape: [2, 3, 3, 3], role: 'weight' },
        { name: 'unused', shape: [1], role: 'bias' },
      ],
    };
    let msg = '';
    try { validateGraph(bad); } catch (e) { msg = (e as Error).message; }
    expect(msg).toContain('node "r": input "later" is not the graph input or an earlier node');
    expect(msg).toContain('parameter "conv.bias" [2] is missing from graph.params');
    expect(msg).toContain('parameter "conv.weight" is declared [2, 3, 3, 3] but the node reads [2, 3, 1, 1]');
    expect(msg).toContain('parameter "unused" is declared but no node reads it');
    expect(msg).toContain('tap "t" names node "nope"');
  });
});
