import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '@percept/core';
import { applyDistortion, proceduralImages } from '@percept/distortions';
import { readImage, writePng } from '@percept/images';
import type { CliIO } from '../command.js';
import { dataSynth2afcCommand } from './data-synth-2afc.js';
import { distortCommand } from './distort.js';
import { distortionsSheetCommand } from './distortions-sheet.js';

const tmp = await mkdtemp(join(tmpdir(), 'percept-distort-cli-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

function io(): CliIO & { out: () => string; err: () => string } {
  let out = '', err = '';
  const sink = (f: (s: string) => void) => new Writable({ write(chunk, _e, cb) { f(String(chunk)); cb(); } });
  return {
    stdout: sink((s) => { out += s; }), stderr: sink((s) => { err += s; }),
    env: {}, cwd: tmp, verbose: false, out: () => out, err: () => err,
  };
}

const input = join(tmp, 'in.png');
await writePng(input, proceduralImages(1, 48, 2));

describe('percept distort', () => {
  it('writes the distorted image, equal to the library result after PNG rounding', async () => {
    const t = io();
    const code = await distortCommand.run(['in.png', '--distortion', 'gaussian-blur', '--severity', '0.5', '--seed', '3', '-o', 'out.png'], t);
    expect(code).toBe(ExitCode.ok);
    expect(t.out()).toMatch(/"sigmaPixels":1.5/);
    const out = await readImage(join(tmp, 'out.png'));
    const expected = await applyDistortion('gaussian-blur', await readImage(input), { severity: 0.5, seed: 3 });
    let worst = 0;
    for (let i = 0; i < out.data.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - expected.data[i]));
    expect(worst).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });

  it('passes --option values to the distortion', async () => {
    const t = io();
    await distortCommand.run(['in.png', '-d', 'lowpass', '-s', '0', '--option', 'r=0', '-o', 'flat.png'], t);
    const flat = await readImage(join(tmp, 'flat.png'));
    // r = 0 keeps only the mean colour: every pixel equal.
    for (let p = 3; p < flat.data.length; p += 3) expect(flat.data[p]).toBe(flat.data[0]);
  });

  it('runs a composition given as a JSON --option', async () => {
    const t = io();
    const steps = JSON.stringify([{ distortion: 'shift' }, { distortion: 'jpeg', severity: 0.2 }]);
    expect(await distortCommand.run(['in.png', '-d', 'compose', '-s', '0.5', '--option', `steps=${steps}`, '-o', 'composed.png'], t)).toBe(ExitCode.ok);
    expect(t.out()).toMatch(/"distortion":"shift".*"distortion":"jpeg","severity":0.2,"quality":82/);
    const out = await readImage(join(tmp, 'composed.png'));
    const expected = await applyDistortion('compose', await readImage(input), { severity: 0.5, seed: 0, steps: JSON.parse(steps) });
    let worst = 0;
    for (let i = 0; i < out.data.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - expected.data[i]));
    expect(worst).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });

  it('lists the distortions', async () => {
    const t = io();
    expect(await distortCommand.run(['--list'], t)).toBe(ExitCode.ok);
    expect(t.out()).toMatch(/chromatic-aberration\s+spatial/);
    expect(t.out()).toMatch(/20 BAPPS traditional distortions/);
  });

  it('reports usage errors and bad values by name', async () => {
    await expect(distortCommand.run(['in.png', '-s', '0.5', '-o', 'x.png'], io())).rejects.toThrow(/--distortion <name> is required/);
    await expect(distortCommand.run(['in.png', '-d', 'jpeg', '-s', 'lots', '-o', 'x.png'], io())).rejects.toThrow(/--severity must be a number, got "lots"/);
    await expect(distortCommand.run(['in.png', '-d', 'jpeg', '-s', '2', '-o', 'x.png'], io())).rejects.toThrow(/"severity" must be a number in \[0,1\]/);
    await expect(distortCommand.run(['in.png', '-d', 'jepg', '-s', '0.2', '-o', 'x.png'], io())).rejects.toThrow(/Unknown distortion "jepg"/);
    await expect(distortCommand.run(['missing.png', '-d', 'jpeg', '-s', '0.2', '-o', 'x.png'], io())).rejects.toThrow(/missing\.png/);
    await expect(distortCommand.run(['in.png', '-d', 'jpeg', '-s', '0.2', '--bogus'], io())).rejects.toThrow(/bogus/);
  });
});

describe('percept distortions sheet', () => {
  it('renders a sheet from a given image at the requested tile size', async () => {
    const t = io();
    expect(await distortionsSheetCommand.run(['-i', 'in.png', '-o', 'sheet.png', '--size', '32', '--severities', '0.5,1'], t)).toBe(ExitCode.ok);
    const sheet = await readImage(join(tmp, 'sheet.png'));
    // 21 rows (20 traditional + lowpass; compose needs steps) of 32-pixel tiles plus gaps; 3 columns.
    expect(sheet.shape[1]).toBeGreaterThan(21 * (32 + 4));
    expect(sheet.shape[2]).toBeGreaterThan(3 * 32);
    expect(t.out()).toMatch(/wrote .*sheet\.png/);
  });

  it('rejects bad severities', async () => {
    await expect(distortionsSheetCommand.run(['-o', 's.png', '--severities', '0.5,x'], io())).rejects.toThrow(/--severities must be comma-separated/);
  });
});

describe('percept data synth-2afc', () => {
  it('writes a synthetic dataset with manifest and README', async () => {
    const t = io();
    const code = await dataSynth2afcCommand.run(['-o', 'synth', '--count', '2', '--subsets', 'blur,compression', '--jnd', '--soft-judges', '3', '--seed', '4'], t);
    expect(code).toBe(ExitCode.ok);
    expect(t.out()).toMatch(/2 subset\(s\) x 2 triplets \(\+ JND pairs\)/);
    expect(t.err()).toMatch(/8\/8 items \(100%\)/);
    for (const d of ['2afc/val/blur/judge', '2afc/val/compression/p1', 'jnd/val/blur/same']) expect((await stat(join(tmp, 'synth', d))).isDirectory()).toBe(true);
    const manifest = JSON.parse(await readFile(join(tmp, 'synth', 'manifest.json'), 'utf8'));
    expect(manifest.settings).toMatchObject({ seed: 4, softJudges: 3, jnd: true, subsets: ['blur', 'compression'] });
  });

  it('rejects bad flags', async () => {
    await expect(dataSynth2afcCommand.run(['--count', '3'], io())).rejects.toThrow(/-o <dir> is required/);
    await expect(dataSynth2afcCommand.run(['-o', 'x', '--count', 'many'], io())).rejects.toThrow(/--count must be an integer/);
    await expect(dataSynth2afcCommand.run(['-o', 'x', '--split', 'test'], io())).rejects.toThrow(/--split must be val or train/);
  });
});
