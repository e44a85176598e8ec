/**
 * `percept distortions sheet`: every distortion at a few severities on one image, as a labelled PNG grid.
 */
import { resolve } from 'node:path';
import { ExitCode, type ImageBatch } from '@percept/core';
import { proceduralImage, renderDistortionSheet } from '@percept/distortions';
import { centerCrop, readImage, resizeShorter, writePng } from '@percept/images';
import type { CommandImplementation } from '../command.js';
import { type Fail, parseCommandArgs, parseNumberFlag, usageFailer } from '../command-helpers.js';

const usage = `Usage: percept distortions sheet [-i <image>] -o <sheet.png> [--size <px>] [--seed <int>] [--severities 0.25,0.5,1]

Renders every distortion (rows) at the given severities (columns, after the original) on one image.
Without -i, a procedural landscape is used. The image is resized (shorter side) and centre-cropped to
--size x --size first (default 128) so the sheet stays a reasonable size.

Options:
  -i, --image <file>          the image to distort (default: procedural)
  -o, --output <sheet.png>    where to write the sheet
      --size <px>             tile size (default 128)
      --seed <int>            seed of the distortions and of the procedural image (default 0)
      --severities <list>     comma-separated severities in [0,1] (default 0.25,0.5,1)`;

// Annotated so that TypeScript narrows after fail(...) calls (it returns never).
const fail: Fail = usageFailer('distortions sheet', usage);

function int(text: string | undefined, flag: string, min: number, max: number, def: number): number {
  return parseNumberFlag(text, flag, fail, { integer: true, min, max }) ?? def;
}

export const distortionsSheetCommand: CommandImplementation = {
  name: 'distortions sheet',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(fail, {
      args: argv,
      options: {
        image: { type: 'string', short: 'i' },
        output: { type: 'string', short: 'o' },
        size: { type: 'string' },
        seed: { type: 'string' },
        severities: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.ok;
    }
    if (!values.output) fail('-o <sheet.png> is required');
    const size = int(values.size, '--size', 16, 1024, 128);
    const seed = int(values.seed, '--seed', -(2 ** 31), 2 ** 32 - 1, 0);
    const severities = values.severities === undefined
      ? [0.25, 0.5, 1]
      : values.severities.split(',').map((t) => {
          const v = Number(t);
          if (t.trim() === '' || !(v >= 0 && v <= 1)) fail(`--severities must be comma-separated numbers in [0,1], got "${values.severities}"`);
          return v;
        });
    let image: ImageBatch;
    if (values.image) {
      image = await readImage(resolve(io.cwd, values.image));
      image = centerCrop(resizeShorter(image, size, { filter: 'bicubic' }), size, size);
    } else {
      image = { data: proceduralImage('landscape', size, seed), shape: [1, size, size, 3] };
    }
    const sheet = await renderDistortionSheet(image, { severities, seed });
    const output = resolve(io.cwd, values.output);
    await writePng(output, sheet);
    io.stdout.write(`wrote ${output} (${sheet.shape[2]}x${sheet.shape[1]})\n`);
    return ExitCode.ok;
  },
};

export default distortionsSheetCommand;
