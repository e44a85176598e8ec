/**
 * `percept data synth-2afc`: writes a synthetic BAPPS-layout dataset (ordinal or simulated-observer
 * judges, never human ones) with @percept/distortions.
 */
import { resolve } from 'node:path';
import { ExitCode } from '@percept/core';
import { synthTwoAfc } from '@percept/distortions';
import type { CliIO, CommandImplementation } from '../command.js';
import { type Fail, parseCommandArgs, parseNumberFlag, statusLine, usageFailer, withInterrupt } from '../command-helpers.js';

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

// Annotated so that TypeScript narrows after fail(...) calls (it returns never).
const fail: Fail = usageFailer('data synth-2afc', usage);

function num(text: string | undefined, flag: string, integer: boolean): number | undefined {
  return parseNumberFlag(text, flag, fail, { integer });
}

/** "done/total items (pct%)", redrawn on a TTY and printed every 10% elsewhere. */
function progress(io: CliIO): (done: number, total: number) => void {
  const line = statusLine(io.stderr, 100);
  return (done, total) => {
    const pct = Math.floor((100 * done) / total);
    line.update(`${done}/${total} items (${pct}%)`, Math.floor(pct / 10), done === total);
    if (line.tty && done === total) io.stderr.write('\n');
  };
}

export const dataSynth2afcCommand: CommandImplementation = {
  name: 'data synth-2afc',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(fail, {
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
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.ok;
    }
    if (!values.output) fail('-o <dir> is required');
    if (values.split !== undefined && values.split !== 'val' && values.split !== 'train') fail(`--split must be val or train, got "${values.split}"`);
    const subsets = values.subsets?.split(',').map((s) => s.trim()).filter(Boolean);
    if (subsets && subsets.length === 0) fail('--subsets is empty');
    const options = {
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
    };
    const res = await withInterrupt('Interrupted; no partial subset was left behind.', (signal) => synthTwoAfc({ ...options, signal }));
    io.stdout.write(`wrote ${res.subsets.length} subset(s) x ${res.count} triplets${res.jnd ? ' (+ JND pairs)' : ''} to ${res.root}\n`);
    io.stdout.write(`subsets: ${res.subsets.join(', ')}\n`);
    io.stdout.write('These judges are synthetic (from distortion severities), not human judgments; see README.md there.\n');
    return ExitCode.ok;
  },
};

export default dataSynth2afcCommand;
