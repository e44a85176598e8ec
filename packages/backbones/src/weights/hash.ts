import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { InputError } from '@percept/core';

/** Hex sha256 of a file, streamed (checkpoints can be hundreds of MB). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (e) {
    throw new InputError(`${path}: cannot read file to hash it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  return hash.digest('hex');
}
