import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyTree, exists, replaceTreeAtomic } from './files.js';

export const RESULT_FILE = 'result.json';
export const CELL_FILE = 'cell.json';

/**
 * The content-addressed cell cache: `<dir>/cells/<cache key>/` holds a finished cell's whole
 * artifact. An entry appears by rename, so it is either complete or absent.
 */
export class CellCache {
  constructor(readonly dir: string) {}

  entryDir(key: string): string {
    return join(this.dir, 'cells', key);
  }

  async has(key: string): Promise<boolean> {
    return exists(join(this.entryDir(key), RESULT_FILE));
  }

  /** Copies a cached artifact into `cellDir` (replacing it). False when the key is not cached. */
  async restore(key: string, cellDir: string): Promise<boolean> {
    if (!(await this.has(key))) return false;
    await replaceTreeAtomic(this.entryDir(key), cellDir);
    return true;
  }

  /** Stores a finished cell. A concurrent store of the same key keeps whichever landed first (they are equal). */
  async store(key: string, cellDir: string): Promise<void> {
    if (await this.has(key)) return;
    const cells = join(this.dir, 'cells');
    await mkdir(cells, { recursive: true });
    const tmp = join(cells, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.dir`);
    try {
      await copyTree(cellDir, tmp);
      await rename(tmp, this.entryDir(key)).catch((e: NodeJS.ErrnoException) => {
        // Another process stored the same key first; entries with one key are interchangeable.
        if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}
