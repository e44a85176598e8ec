import { describe, expect, it } from 'vitest';
import type { Expression } from './expressions.js';
import { interpolate, isWholeExpression, parseExpression, scanString } from './expressions.js';

const env: Record<string, string> = { ROOT: '/data', N: '3' };
const resolve = (e: Expression) => {
  if (e.kind === 'env') {
    const v = env[e.name] ?? e.default;
    if (v === undefined) throw new Error(`unset ${e.name}`);
    return v;
  }
  if (e.kind === 'matrix') return ({ seed: 7, bb: 'alexnet' } as Record<string, number | string>)[e.key];
  return { dir: '/x/out', sizes: [1, 2] }[e.output as 'dir' | 'sizes'];
};

describe('expressions', () => {
  it('parses the three namespaces and defaults', () => {
    expect(parseExpression('env.ROOT')).toEqual({ kind: 'env', name: 'ROOT' });
    expect(parseExpression('env.ROOT:-/tmp/x')).toEqual({ kind: 'env', name: 'ROOT', default: '/tmp/x' });
    expect(parseExpression('env.E:-')).toEqual({ kind: 'env', name: 'E', default: '' });
    expect(parseExpression('matrix.seed')).toEqual({ kind: 'matrix', key: 'seed' });
    expect(parseExpression('steps.make.outputs.dir')).toEqual({ kind: 'steps', step: 'make', output: 'dir' });
    expect(parseExpression('steps.make.dir')).toMatch(/is not an expression/);
    expect(parseExpression('steps.train.matching.outputs.dir')).toEqual({ kind: 'steps', step: 'train', output: 'dir', matching: true });
    // A step may itself be called "matching".
    expect(parseExpression('steps.matching.outputs.dir')).toEqual({ kind: 'steps', step: 'matching', output: 'dir' });
    expect(parseExpression('steps.train.matched.outputs.dir')).toMatch(/\$\{steps\.<id>\.matching\.outputs\.<key>\}/);
  });

  it('keeps the JSON type of a whole-string reference and stringifies embedded ones', () => {
    const out = interpolate({ seed: '${matrix.seed}', sizes: '${steps.a.outputs.sizes}', label: 'seed ${matrix.seed} of ${steps.a.outputs.sizes}', root: '${env.ROOT}/bapps' }, resolve);
    expect(out).toEqual({ seed: 7, sizes: [1, 2], label: 'seed 7 of [1,2]', root: '/data/bapps' });
  });

  it('reads env defaults only when unset, and $${ is a literal', () => {
    expect(interpolate('${env.N:-9}|${env.MISSING:-9}|$${env.N}', resolve)).toBe('3|9|${env.N}');
    expect(() => interpolate('${env.MISSING}', resolve)).toThrow('unset MISSING');
  });

  it('detects whole expressions', () => {
    expect(isWholeExpression('${matrix.seed}')).toBe(true);
    expect(isWholeExpression('x${matrix.seed}')).toBe(false);
    expect(scanString('a ${bogus} b')[0].error).toMatch(/not an expression/);
  });
});
