/**
 * `percept data synth-2afc`: writes a synthetic BAPPS-layout dataset (ordinal or simulated-observer
 * judges, never human ones) with @percept/distortions.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ExitCode, PerceptError } from '@percept/core';
import { synthTwoAfc } from '@percept/distortions';
import type { CliCommand, CliIO } from '../command.js';

const usage = `Usage: percept data synth-2afc -o <dir> [--images <dir>] [--count N] [--size 64] [--subsets a,b]
                               [--seed S] [--soft-judges K] [--observer-noise S] [--min-gap G]
                               [--shared-seed] [--compose-fraction F] [--jnd] [--jnd-threshold T] [--split val|train]

Writes a SYNTHETIC dataset in BAPPS layout (<dir>/2afc/<split>/<subset>/{ref,p0,p1,judge}, and with --jnd
<dir>/jnd/val/<subset>/{p0,p1,same}) plus manifest.json and README.md. Each triplet distorts one patch
with the same distortion type at two different severities; the judge says which is less distorted.
These are NOT human judgments.

Options:
  -o, --output <dir>        dataset root (required; existing subsets are never overwritten)
      --images <dir>        take random crops from the images in this folder (default: procedural images)
      --count N             triplets (and JND pairs) per subset (default 100)
      --size N              patch size in pixels (default 64)
      --subsets a,b         families (photometric,noise,blur,spatial,compression), distortion names,
                            or "traditional" (default: the five families)
      --seed S              seed (default 0); the same settings regenerate identical files
      --soft-judges K       judge = fraction of K simulated observers choosing p1 (default 0: ordinal 0/1)
      --observer-noise S    std of an observer's perceived severity (default 0.15)
      --min-gap G           smallest severity difference within a triplet (default 0.1)
      --shared-seed         p0 and p1 share the distortion's random draws (only the strength differs)
      --compose-fraction F  fraction of items distorted by two different types in sequence (default 0)
      --jnd                 also write JND pairs (same = severity <= --jnd-threshold, default 0.1)
      --split val|train     2AFC split folder (default val)`;

function fail(message: string): never {
  throw new PerceptError(`percept data synth-2afc: ${message}`, { hint: usage, exitCode: ExitCode.usage });
}

function num(text: string | undefined, flag: string, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) fail(`${flag} must be ${integer ? 'an integer' : 'a number'}, got "${text}"`);
  return v;
}

function progress(io: CliIO): (done: number, total: number) => void {
  const tty = Boolean(io.stderr.isTTY);
  let lastDecile = -1;
  let lastDraw = 0;
  return (done, total) => {
    const pct = Math.floor((100 * done) / total);
    if (tty) {
      const now = Date.now();
      if (now - lastDraw > 100 || done === total) {
        io.stderr.write(`\r\x1b[K${done}/${total} items (${pct}%)${done === total ? '\n' : ''}`);
        lastDraw = now;
      }
    } else if (Math.floor(pct / 10) !== lastDecile) {
      lastDecile = Math.floor(pct / 10);
      io.stderr.write(`${done}/${total} items (${pct}%)\n`);
    }
  };
}

export const dataSynth2afcCommand: CliCommand = {
  name: 'data synth-2afc',
  summary: 'Write a synthetic BAPPS-layout 2AFC/JND dataset (judges from distortion severities, not humans)',
  usage,
  async run(argv, io) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          output: { type: 'string', short: 'o' },
          images: { type: 'string' },
          count: { type: 'string' },
          size: { type: 'string' },
          subsets: { type: 'string' },
          seed: { type: 'string' },
          'soft-judges': { type: 'string' },
          'observer-noise': { type: 'string' },
          'min-gap': { type: 'string' },
          'shared-seed': { type: 'boolean' },
          'compose-fraction': { type: 'string' },
          jnd: { type: 'boolean' },
          'jnd-threshold': { type: 'string' },
          split: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (e) {
      fail((e as Error).message);
    }
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.ok;
    }
    if (!values.output) fail('-o <dir> is required');
    if (values.split !== undefined && values.split !== 'val' && values.split !== 'train') fail(`--split must be val or train, got "${values.split}"`);
    const subsets = values.subsets?.split(',').map((s) => s.trim()).filter(Boolean);
    if (subsets && subsets.length === 0) fail('--subsets is empty');
    const controller = new AbortController();
    const onSignal = () => controller.abort(new PerceptError('Interrupted; no partial subset was left behind.', { exitCode: ExitCode.interrupted }));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const res = await synthTwoAfc({
        out: resolve(io.cwd, values.output),
        images: values.images === undefined ? undefined : resolve(io.cwd, values.images),
        count: num(values.count, '--count', true),
        size: num(values.size, '--size', true),
        subsets,
        seed: num(values.seed, '--seed', true),
        softJudges: num(values['soft-judges'], '--soft-judges', true),
        observerNoise: num(values['observer-noise'], '--observer-noise', false),
        minGap: num(values['min-gap'], '--min-gap', false),
        sharedSeed: values['shared-seed'],
        composeFraction: num(values['compose-fraction'], '--compose-fraction', false),
        jnd: values.jnd,
        jndThreshold: num(values['jnd-threshold'], '--jnd-threshold', false),
        split: values.split as 'val' | 'train' | undefined,
        onProgress: progress(io),
        signal: controller.signal,
      });
      io.stdout.write(`wrote ${res.subsets.length} subset(s) x ${res.count} triplets${res.jnd ? ' (+ JND pairs)' : ''} to ${res.root}\n`);
      io.stdout.write(`subsets: ${res.subsets.join(', ')}\n`);
      io.stdout.write('These judges are synthetic (from distortion severities), not human judgments; see README.md there.\n');
      return ExitCode.ok;
    } catch (e) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

export default dataSynth2afcCommand;
