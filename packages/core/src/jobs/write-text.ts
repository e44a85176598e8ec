import { join } from 'node:path';
import type { JobContribution } from '../contracts.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';

/** Writes small text files into the step's artifact directory. */
export const writeTextJob: JobContribution = {
  kind: 'job',
  name: 'write-text',
  description: 'Writes the given text files into the step\'s artifact directory.',
  optionsSchema: {
    type: 'object',
    required: ['files'],
    properties: {
      files: {
        type: 'object',
        minProperties: 1,
        description: 'File name -> text content. Names are plain file names (no directories).',
        additionalProperties: { type: 'string' },
      },
    },
  },
  outputsSchema: {
    type: 'object',
    required: ['dir', 'files', 'bytes'],
    properties: {
      dir: { type: 'string', description: 'The directory holding exactly these files.' },
      files: { type: 'array', items: { type: 'string' }, description: 'Absolute paths of the written files, in name order.' },
      bytes: { type: 'integer', description: 'Total size in bytes.' },
    },
  },
  async run(options, ctx) {
    const files = options.files as Record<string, string>;
    const names = Object.keys(files).sort();
    // A subdirectory of their own, so `dir` holds exactly these files (not the cell's result.json).
    const dir = join(ctx.outputDir, 'files');
    const written: string[] = [];
    let bytes = 0;
    for (const [i, name] of names.entries()) {
      if (!/^[^/\\]+$/.test(name) || name === '.' || name === '..') {
        throw new InputError(`${ctx.stepId}: option files/${name}: expected a plain file name without "/" or "\\".`);
      }
      ctx.signal.throwIfAborted();
      const data = Buffer.from(files[name], 'utf8');
      await writeFileAtomic(join(dir, name), data);
      written.push(join(dir, name));
      bytes += data.length;
      ctx.progress(i + 1, names.length, 'files');
    }
    return { dir, files: written, bytes };
  },
};
