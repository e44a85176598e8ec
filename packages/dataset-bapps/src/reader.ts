/**
 * Streaming readers for BAPPS 2AFC and JND subsets.
 *
 * A dataset is opened in two phases: `open` lists and pairs every file (so size and subsets are
 * known up front, and layout errors surface before any compute), and iteration decodes batches.
 * Iteration keeps at most two batches in memory: while the consumer processes batch k, batch k+1
 * is already being decoded (one batch of prefetch). Batches never span two subsets.
 *
 * Image size: BAPPS patches are 64×64. The reference loader applies `transforms.Resize(64)`
 * (shorter side to 64, bilinear, antialiased as PIL does) to every image; we do the same for any
 * image that is not already 64×64. Batches need one size, so an image that is not square after
 * that resize is rejected (or skipped), where the reference would fail to collate the batch.
 */
import { join } from 'node:path';
import { InputError, type Dataset, type ImageBatch } from '@percept/core';
import { readImage, resizeShorter } from '@percept/images';
import { readNpy, npyToNumbers } from './npy.js';
import {
  indexSubset, JND_FOLDERS, JND_SUBSETS, TRAIN_SUBSETS, TWO_AFC_FOLDERS, VAL_SUBSETS,
  type FolderSpec, type IndexedSample, type OnError, type SkippedSample, type SubsetIndex,
} from './layout.js';

export const LOAD_SIZE = 64;

export interface TwoAfcBatch {
  subset: string;
  ref: ImageBatch;
  p0: ImageBatch;
  p1: ImageBatch;
  /** Fraction of raters who preferred p1, one per sample. */
  judge: Float32Array;
  /** Sample names (relative path without extension), one per sample. */
  names: string[];
}

export interface JndBatch {
  subset: string;
  p0: ImageBatch;
  p1: ImageBatch;
  /** Fraction of raters who answered "same", one per sample. */
  same: Float32Array;
  names: string[];
}

export interface BappsReadOptions {
  /** The folder holding `2afc/` and `jnd/`. */
  root: string;
  /** Subsets to read; default: every subset of the split (SPEC §6.1). */
  subsets?: readonly string[];
  /** Samples per batch (default 50, as the reference harness). */
  batchSize?: number;
  /** 'fail' (default): the first bad sample is an error. 'skip': drop it and count it in `skipped`. */
  onError?: OnError;
  /** Read at most this many samples from EACH subset (the first ones in sorted order). */
  limit?: number | null;
}

export interface TwoAfcReadOptions extends BappsReadOptions {
  split?: 'train' | 'val';
}

function checkCommon(o: BappsReadOptions, what: string): { batchSize: number; onError: OnError; limit: number | null } {
  if (typeof o.root !== 'string' || !o.root) throw new InputError(`${what}: option "root" must be the BAPPS folder path`);
  const batchSize = o.batchSize ?? 50;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`${what}: option "batchSize" must be a positive integer, got ${String(o.batchSize)}`);
  const onError = o.onError ?? 'fail';
  if (onError !== 'fail' && onError !== 'skip') throw new InputError(`${what}: option "onError" must be "fail" or "skip", got ${String(o.onError)}`);
  const limit = o.limit ?? null;
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw new InputError(`${what}: option "limit" must be a positive integer or null, got ${String(o.limit)}`);
  return { batchSize, onError, limit };
}

/** Loads one image at the BAPPS size; errors name the file. */
async function loadImage(file: string): Promise<ImageBatch> {
  let img = await readImage(file);
  const [, h, w] = img.shape;
  if (h !== LOAD_SIZE || w !== LOAD_SIZE) {
    img = resizeShorter(img, LOAD_SIZE, { filter: 'bilinear', antialias: true });
    if (img.shape[1] !== LOAD_SIZE || img.shape[2] !== LOAD_SIZE) {
      throw new InputError(`${file}: image is ${w}x${h} (WxH); after resizing its shorter side to ${LOAD_SIZE} it is ${img.shape[2]}x${img.shape[1]}, but a batch needs ${LOAD_SIZE}x${LOAD_SIZE} patches`);
    }
  }
  return img;
}

/** Loads a one-element judgement in [0,1]; errors name the file. */
async function loadFraction(file: string, field: string): Promise<number> {
  const arr = await readNpy(file);
  if (arr.data.length !== 1) {
    throw new InputError(`${file}: ${field} must hold exactly one value, found shape (${arr.shape.join(', ')})`);
  }
  const v = npyToNumbers(arr)[0];
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new InputError(`${file}: ${field} must be a number in [0,1], found ${v}`);
  return v;
}

interface Chunk { index: SubsetIndex; samples: IndexedSample[] }

/** A bad input file inside a sample, so skip mode can report which file it was. */
class SampleFileError extends InputError {
  constructor(readonly file: string, cause: InputError) {
    super(cause.message.includes(file) ? cause.message : `${file}: ${cause.message}`, { cause, hint: cause.hint });
  }
}

/** Attaches the file to any input error raised while loading it. */
async function fromFile<T>(file: string, load: (file: string) => Promise<T>): Promise<T> {
  try {
    return await load(file);
  } catch (e) {
    throw e instanceof InputError ? new SampleFileError(file, e) : e;
  }
}

/** The shared machinery of the two readers: indexing, batching, prefetch, skip accounting. */
abstract class BappsReader<B> implements Dataset<B> {
  readonly subsets: readonly string[];
  readonly size: number;
  /** Samples dropped while pairing (at open) and while decoding (during the latest iteration). */
  readonly skipped: SkippedSample[] = [];
  private readonly pairingSkips: number;

  protected constructor(
    readonly name: string,
    protected readonly indexes: SubsetIndex[],
    protected readonly batchSize: number,
    protected readonly onError: OnError,
  ) {
    this.subsets = indexes.map((i) => i.subset);
    this.size = indexes.reduce((a, i) => a + i.samples.length, 0);
    for (const i of indexes) this.skipped.push(...i.skipped);
    this.pairingSkips = this.skipped.length;
  }

  /** Samples per subset (after pairing and limit, before decode-time skips). */
  sizeOf(subset: string): number {
    return this.indexes.find((i) => i.subset === subset)?.samples.length ?? 0;
  }

  protected abstract decode(sample: IndexedSample): Promise<unknown[]>;
  protected abstract assemble(subset: string, decoded: unknown[][], names: string[]): B;

  private async loadChunk(chunk: Chunk): Promise<B | undefined> {
    const results = await Promise.all(chunk.samples.map(async (s) => {
      try {
        return await this.decode(s);
      } catch (e) {
        if (this.onError === 'fail' || !(e instanceof SampleFileError)) throw e;
        this.skipped.push({ subset: chunk.index.subset, name: s.name, file: e.file, reason: e.message });
        return undefined;
      }
    }));
    const decoded: unknown[][] = [];
    const names: string[] = [];
    results.forEach((r, i) => { if (r) { decoded.push(r); names.push(chunk.samples[i].name); } });
    return decoded.length ? this.assemble(chunk.index.subset, decoded, names) : undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    // A second pass must not count the same bad files twice.
    this.skipped.length = this.pairingSkips;
    const chunks: Chunk[] = [];
    for (const index of this.indexes) {
      for (let s = 0; s < index.samples.length; s += this.batchSize) {
        chunks.push({ index, samples: index.samples.slice(s, s + this.batchSize) });
      }
    }
    let pending = chunks.length ? this.loadChunk(chunks[0]) : undefined;
    for (let c = 0; c < chunks.length; c++) {
      const current = await pending!;
      pending = c + 1 < chunks.length ? this.loadChunk(chunks[c + 1]) : undefined;
      // If the consumer stops early the prefetched batch is never awaited; mark its failure handled.
      pending?.catch(() => undefined);
      if (current) yield current;
    }
  }
}

function stack(images: ImageBatch[]): ImageBatch {
  const len = LOAD_SIZE * LOAD_SIZE * 3;
  const data = new Float32Array(images.length * len);
  images.forEach((im, i) => data.set(im.data, i * len));
  return { data, shape: [images.length, LOAD_SIZE, LOAD_SIZE, 3] };
}

async function openIndexes(
  base: string,
  subsets: readonly string[],
  folders: readonly FolderSpec[],
  onError: OnError,
  limit: number | null,
): Promise<SubsetIndex[]> {
  const seen = new Set<string>();
  for (const s of subsets) {
    if (typeof s !== 'string' || !/^[\w.-]+$/.test(s)) throw new InputError(`subsets: "${String(s)}" is not a valid subset folder name`);
    if (seen.has(s)) throw new InputError(`subsets: "${s}" is listed twice`);
    seen.add(s);
  }
  const indexes = await Promise.all(subsets.map((s) => indexSubset(join(base, s), s, folders, onError)));
  if (limit !== null) for (const i of indexes) i.samples = i.samples.slice(0, limit);
  return indexes;
}

/** BAPPS 2AFC triplets: `<root>/2afc/<split>/<subset>/{ref,p0,p1,judge}`. */
export class TwoAfcReader extends BappsReader<TwoAfcBatch> {
  readonly split: 'train' | 'val';

  private constructor(split: 'train' | 'val', indexes: SubsetIndex[], batchSize: number, onError: OnError) {
    super('bapps-2afc', indexes, batchSize, onError);
    this.split = split;
  }

  static async open(options: TwoAfcReadOptions): Promise<TwoAfcReader> {
    const { batchSize, onError, limit } = checkCommon(options, 'bapps-2afc');
    const split = options.split ?? 'val';
    if (split !== 'train' && split !== 'val') throw new InputError(`bapps-2afc: option "split" must be "train" or "val", got ${String(split)}`);
    const subsets = options.subsets ?? (split === 'val' ? VAL_SUBSETS : TRAIN_SUBSETS);
    const indexes = await openIndexes(join(options.root, '2afc', split), subsets, TWO_AFC_FOLDERS, onError, limit);
    return new TwoAfcReader(split, indexes, batchSize, onError);
  }

  /**
   * The judges of every subset without decoding any image (for analyses that need only p).
   * Unreadable judge files fail or are skipped (and counted in `skipped`) per `onError`.
   */
  async judges(): Promise<Map<string, Float32Array>> {
    this.skipped.length = this.indexes.reduce((a, i) => a + i.skipped.length, 0);
    const out = new Map<string, Float32Array>();
    for (const index of this.indexes) {
      const values = await Promise.all(index.samples.map(async (s) => {
        const file = s.files[3];
        try {
          return await fromFile(file, (f) => loadFraction(f, 'judge'));
        } catch (e) {
          if (this.onError === 'fail' || !(e instanceof SampleFileError)) throw e;
          this.skipped.push({ subset: index.subset, name: s.name, file, reason: e.message });
          return undefined;
        }
      }));
      out.set(index.subset, Float32Array.from(values.filter((v): v is number => v !== undefined)));
    }
    return out;
  }

  protected async decode(s: IndexedSample): Promise<unknown[]> {
    const [ref, p0, p1, judge] = s.files;
    return Promise.all([
      fromFile(ref, loadImage), fromFile(p0, loadImage), fromFile(p1, loadImage),
      fromFile(judge, (f) => loadFraction(f, 'judge')),
    ]);
  }

  protected assemble(subset: string, decoded: unknown[][], names: string[]): TwoAfcBatch {
    return {
      subset,
      ref: stack(decoded.map((d) => d[0] as ImageBatch)),
      p0: stack(decoded.map((d) => d[1] as ImageBatch)),
      p1: stack(decoded.map((d) => d[2] as ImageBatch)),
      judge: Float32Array.from(decoded, (d) => d[3] as number),
      names,
    };
  }
}

/** BAPPS JND pairs: `<root>/jnd/val/<subset>/{p0,p1,same}`. */
export class JndReader extends BappsReader<JndBatch> {
  private constructor(indexes: SubsetIndex[], batchSize: number, onError: OnError) {
    super('bapps-jnd', indexes, batchSize, onError);
  }

  static async open(options: BappsReadOptions): Promise<JndReader> {
    const { batchSize, onError, limit } = checkCommon(options, 'bapps-jnd');
    const subsets = options.subsets ?? JND_SUBSETS;
    const indexes = await openIndexes(join(options.root, 'jnd', 'val'), subsets, JND_FOLDERS, onError, limit);
    return new JndReader(indexes, batchSize, onError);
  }

  protected async decode(s: IndexedSample): Promise<unknown[]> {
    const [p0, p1, same] = s.files;
    return Promise.all([fromFile(p0, loadImage), fromFile(p1, loadImage), fromFile(same, (f) => loadFraction(f, 'same'))]);
  }

  protected assemble(subset: string, decoded: unknown[][], names: string[]): JndBatch {
    return {
      subset,
      p0: stack(decoded.map((d) => d[0] as ImageBatch)),
      p1: stack(decoded.map((d) => d[1] as ImageBatch)),
      same: Float32Array.from(decoded, (d) => d[2] as number),
      names,
    };
  }
}

export function openTwoAfc(options: TwoAfcReadOptions): Promise<TwoAfcReader> {
  return TwoAfcReader.open(options);
}

export function openJnd(options: BappsReadOptions): Promise<JndReader> {
  return JndReader.open(options);
}
