import { stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { JobContribution } from '../contracts.js';
import { InputError } from '../errors.js';
import { hashFile, listFiles } from '../engine/files.js';
import { canonicalJson, sha256 } from '../util/canonical.js';

/**
 * sha256 over files and directory trees. The digest covers each file's path relative to the root
 * it was found under and its content, so it does not depend on where the inputs live.
 */
export const checksumJob: JobContribution = {
  kind: 'job',
  name: 'checksum',
  description: 'Computes one sha256 over the given files and directories (relative paths and contents).',
  optionsSchema: {
    type: 'object',
    required: ['paths'],
    properties: {
      paths: {
        description: 'A file or directory, or a list of them; relative paths resolve against the workflow file.',
        anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }],
      },
    },
  },
  outputsSchema: {
    type: 'object',
    required: ['sha256', 'files', 'bytes'],
    properties: {
      sha256: { type: 'string', description: 'Digest over every file, in input order then path order.' },
      files: { type: 'integer' },
      bytes: { type: 'integer' },
    },
  },
  async run(options, ctx) {
    const roots = (Array.isArray(options.paths) ? options.paths : [options.paths]) as string[];
    const entries: Array<{ root: number; path: string; sha256: string }> = [];
    const todo: Array<{ root: number; abs: string; rel: string }> = [];
    for (const [i, p] of roots.entries()) {
      const abs = isAbsolute(p) ? p : resolve(ctx.baseDir, p);
      const st = await stat(abs).catch(() => {
        throw new InputError(`${ctx.stepId}: option paths${Array.isArray(options.paths) ? `/${i}` : ''}: "${abs}" does not exist.`);
      });
      if (st.isDirectory()) for (const f of await listFiles(abs)) todo.push({ root: i, abs: join(abs, f), rel: f });
      else todo.push({ root: i, abs, rel: basename(abs) });
    }
    let bytes = 0;
    for (const [n, f] of todo.entries()) {
      ctx.signal.throwIfAborted();
      const h = await hashFile(f.abs);
      bytes += h.bytes;
      entries.push({ root: f.root, path: f.rel, sha256: h.sha256 });
      ctx.progress(n + 1, todo.length, 'files');
    }
    ctx.record('files', entries.length);
    return { sha256: sha256(canonicalJson(entries)), files: entries.length, bytes };
  },
};
