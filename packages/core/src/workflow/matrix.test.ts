import { describe, expect, it } from 'vitest';
import { cellKeys, cellLabel, expandMatrix, matrixKeys } from './matrix.js';

describe('matrix expansion', () => {
  it('is the cartesian product in file order, first axis slowest', () => {
    expect(expandMatrix({ backbone: ['a', 'b'], seed: [1, 2] })).toEqual([
      { backbone: 'a', seed: 1 }, { backbone: 'a', seed: 2 }, { backbone: 'b', seed: 1 }, { backbone: 'b', seed: 2 },
    ]);
  });

  it('applies exclude (partial match) before include (appended cells)', () => {
    const cells = expandMatrix({
      backbone: ['a', 'b'], seed: [1, 2],
      exclude: [{ backbone: 'b', seed: 2 }, { backbone: 'a' }],
      include: [{ backbone: 'c', seed: 1 }],
    });
    expect(cells).toEqual([{ backbone: 'b', seed: 1 }, { backbone: 'c', seed: 1 }]);
  });

  it('extends matching cells with an include that overwrites no original value', () => {
    const cells = expandMatrix({
      lang: ['en', 'fr'], who: ['x'],
      include: [{ lang: 'fr', greeting: 'Bonjour' }, { greeting: 'Hi' }, { lang: 'de', who: 'x' }],
    });
    // {greeting:'Hi'} fits both cells; on fr it overwrites the value an earlier include added (allowed).
    expect(cells).toEqual([
      { lang: 'en', who: 'x', greeting: 'Hi' },
      { lang: 'fr', who: 'x', greeting: 'Hi' },
      { lang: 'de', who: 'x' },
    ]);
    expect(matrixKeys({ lang: ['en'], include: [{ greeting: 'Hi' }] })).toEqual(['lang', 'greeting']);
  });

  it('a matrix of only includes has exactly those cells', () => {
    expect(expandMatrix({ include: [{ a: 1 }, { a: 2 }] })).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('names cells readably and safely, hashing collisions', () => {
    const keys = cellKeys([{ bb: 'a/b', seed: 1 }, { bb: 'a_b', seed: 1 }, { bb: 'x', seed: 2 }]);
    expect(keys[2]).toBe('bb=x,seed=2');
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[0]).toMatch(/^bb=a_b,seed=1~[0-9a-f]{12}$/);
    expect(cellLabel({ bb: 'a', seed: 1 })).toBe('a/1');
  });
});
