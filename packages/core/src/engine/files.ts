import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { isAtomicTempFile } from '../util/atomic.js';
import { canonicalJson, sha256 } from '../util/canonical.js';

/** Files of a directory tree, relative paths with "/" separators, sorted; temp files skipped. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && !isAtomicTempFile(e.name)) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/**
 * The content hash of a cell's artifact: every file's path and sha256 except `exclude` (the
 * provenance file, which is metadata about the artifact rather than part of it).
 */
export async function hashTree(root: string, exclude: readonly string[] = []): Promise<string> {
  const entries: Array<{ path: string; sha256: string }> = [];
  for (const f of await listFiles(root)) {
    if (exclude.includes(f)) continue;
    entries.push({ path: f, sha256: (await hashFile(join(root, f))).sha256 });
  }
  return sha256(canonicalJson(entries));
}

export async function copyTree(src: string, dst: string): Promise<void> {
  await mkdir(dst, { recursive: true });
  for (const e of await readdir(src, { withFileTypes: true })) {
    if (isAtomicTempFile(e.name)) continue;
    const from = join(src, e.name), to = join(dst, e.name);
    if (e.isDirectory()) await copyTree(from, to);
    else if (e.isFile()) await copyFile(from, to);
  }
}

/**
 * Replaces `dst` with a copy of `src` so that no reader sees a half-copied tree: copy into a
 * sibling temp directory, then swap it in with rename.
 */
export async function replaceTreeAtomic(src: string, dst: string): Promise<void> {
  const tmp = join(dirname(dst), `.${basename(dst)}.${process.pid}.${randomBytes(4).toString('hex')}.dir`);
  await rm(tmp, { recursive: true, force: true });
  try {
    await copyTree(src, tmp);
    await rm(dst, { recursive: true, force: true });
    await rename(tmp, dst);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
