/**
 * `percept distort`: applies one distortion of @percept/distortions to an image file.
 */
import { resolve } from 'node:path';
import { ExitCode, PerceptError } from '@percept/core';
import { applyDistortion, describeSeverity, getDistortion, traditionalDistortions, allDistortions } from '@percept/distortions';
import { readImage, writePng } from '@percept/images';
import type { CommandImplementation } from '../command.js';
import { type Fail, parseCommandArgs, parseNumberFlag, usageFailer } from '../command-helpers.js';

const usage = `Usage: percept distort <in.png> --distortion <name> --severity <0..1> [--seed <int>] [--option key=value ...] -o <out.png>
       percept distort --list

Applies a BAPPS-style distortion to an image and writes the result as PNG.

Options:
  -d, --distortion <name>   which distortion (see --list)
  -s, --severity <0..1>     0 = none (except jpeg: quality 100), 1 = the strongest documented setting
      --seed <int>          seed of the random parameters (default 0)
      --option key=value    a distortion-specific option, e.g. --option direction=up, --option r=20
                            (values are parsed as JSON when possible, else kept as text; repeatable)
  -o, --output <out.png>    where to write the result
      --list                list the distortions with their families and descriptions

Prints the physical parameters the severity maps to. Docs: docs/distortions.md.`;

// Annotated so that TypeScript narrows after fail(...) calls (it returns never).
const fail: Fail = usageFailer('distort', usage);

/** "key=value" -> [key, parsed value]. */
function parseOption(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) fail(`--option expects key=value, got "${text}"`);
  const key = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  try {
    return [key, JSON.parse(raw)];
  } catch {
    return [key, raw];
  }
}

export const distortCommand: CommandImplementation = {
  name: 'distort',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(fail, {
      args: argv,
      options: {
        distortion: { type: 'string', short: 'd' },
        severity: { type: 'string', short: 's' },
        seed: { type: 'string' },
        option: { type: 'string', multiple: true },
        output: { type: 'string', short: 'o' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.ok;
    }
    if (values.list) {
      const width = Math.max(...allDistortions.map((d) => d.name.length));
      for (const d of allDistortions) io.stdout.write(`${d.name.padEnd(width)}  ${d.family.padEnd(11)}  ${d.description}\n`);
      io.stdout.write(`\n${traditionalDistortions.length} BAPPS traditional distortions, plus lowpass and compose.\n`);
      return ExitCode.ok;
    }
    if (positionals.length !== 1) fail(`expected exactly one input image, got ${positionals.length}`);
    if (!values.distortion) fail('--distortion <name> is required');
    if (values.severity === undefined) fail('--severity <0..1> is required');
    if (!values.output) fail('-o <out.png> is required');
    const def = getDistortion(values.distortion);
    const severity = parseNumberFlag(values.severity, '--severity', fail)!;
    const seed = parseNumberFlag(values.seed, '--seed', fail, { integer: true }) ?? 0;
    const options = Object.fromEntries((values.option ?? []).map(parseOption));
    for (const reserved of ['severity', 'seed']) {
      if (reserved in options) throw new PerceptError(`percept distort: set ${reserved} with --${reserved}, not --option`, { exitCode: ExitCode.usage });
    }
    const input = resolve(io.cwd, positionals[0]);
    const output = resolve(io.cwd, values.output);
    const image = await readImage(input);
    const out = await applyDistortion(def, image, { severity, seed, ...options });
    await writePng(output, out);
    io.stdout.write(`${def.name} at severity ${severity} (seed ${seed}): ${JSON.stringify(describeSeverity(def.name, severity, options))}\n`);
    io.stdout.write(`wrote ${output}\n`);
    return ExitCode.ok;
  },
};

export default distortCommand;
