import { describe, it, expect } from 'vitest';
import { ExitCode, PerceptError } from '@percept/core';
import { downloadProgress, parseCommandArgs, parseNumberFlag, usageFailer } from './command-helpers.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: Object.assign({ write: (s: string) => { chunks.push(s); return true; } }, { isTTY }) as unknown as NodeJS.WritableStream & { isTTY?: boolean } };
}

describe('command helpers', () => {
  const fail = usageFailer('demo', 'Usage: percept demo');

  it('turns parseArgs errors into usage errors naming the command', () => {
    let err: unknown;
    try { parseCommandArgs(fail, { args: ['--nope'], options: {}, strict: true }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(PerceptError);
    expect((err as PerceptError).message).toMatch(/^percept demo: .*--nope/);
    expect((err as PerceptError).exitCode).toBe(ExitCode.usage);
  });

  it('parses number flags and names the flag and range on bad values', () => {
    expect(parseNumberFlag(undefined, '--n', fail)).toBeUndefined();
    expect(parseNumberFlag('2.5', '--n', fail)).toBe(2.5);
    expect(() => parseNumberFlag('2.5', '--n', fail, { integer: true })).toThrow('percept demo: --n must be an integer, got "2.5"');
    expect(() => parseNumberFlag(' ', '--n', fail)).toThrow('--n must be a number');
    expect(() => parseNumberFlag('9', '--size', fail, { integer: true, min: 1, max: 8 })).toThrow('--size must be an integer in 1..8, got "9"');
  });

  it('prints download progress every 10% off a TTY', () => {
    const out = sink(false);
    const show = downloadProgress(out.stream, 'a.tar.gz');
    for (let b = 0; b <= 2000; b += 100) show(b, 2000);
    expect(out.chunks).toHaveLength(11);
    expect(out.chunks[5]).toBe('a.tar.gz: 1.0 kB / 2.0 kB (50%)\n');
    expect(out.chunks.at(-1)).toBe('a.tar.gz: 2.0 kB / 2.0 kB (100%)\n');
  });
});
