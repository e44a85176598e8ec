/**
 * Streaming readers for BAPPS 2AFC and JND subsets.
 *
 * A dataset is opened in two phases: `open` lists and pairs every file (so size and subsets are
 * known up front, and layout errors surface before any compute), and iteration decodes batches.
 * Iteration keeps at most two batches in memory: while the consumer processes batch k, batch k+1
 * is already being decoded (one batch of prefetch). Batches never span two subsets.
 *
 * Each batch's images live in one buffer, every field's samples after the previous field's (2AFC:
 * all refs, then all p0s, then all p1s), and each image is decoded straight into its slot. So
 * `images` is what a feature extractor takes for one pass over ref, p0 and p1, and `ref`, `p0`,
 * `p1` are views into it: no per-batch copies.
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
  /** ref, p0 and p1 stacked, [3N,64,64,3]; the three fields below are views into it. */
  images: ImageBatch;
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
  /** p0 and p1 stacked, [2N,64,64,3]; the two fields below are views into it. */
  images: ImageBatch;
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
  /**
   * Decode into two image buffers that take turns, instead of a new buffer per batch (default
   * false). A batch's images are then overwritten once the consumer asks for the batch after the
   * next, so only a consumer that keeps nothing from one batch to another (neither the batch nor
   * views of its images) may set this. It saves faulting in a few fresh megabytes per batch.
   */
  reuseBuffers?: boolean;
}

export interface TwoAfcReadOptions extends BappsReadOptions {
  split?: 'train' | 'val';
}

interface CommonOptions { batchSize: number; onError: OnError; limit: number | null; reuseBuffers: boolean }

function checkCommon(o: BappsReadOptions, what: string): CommonOptions {
  if (typeof o.root !== 'string' || !o.root) throw new InputError(`${what}: option "root" must be the BAPPS folder path`);
  const batchSize = o.batchSize ?? 50;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`${what}: option "batchSize" must be a positive integer, got ${String(o.batchSize)}`);
  const onError = o.onError ?? 'fail';
  if (onError !== 'fail' && onError !== 'skip') throw new InputError(`${what}: option "onError" must be "fail" or "skip", got ${String(o.onError)}`);
  const limit = o.limit ?? null;
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw new InputError(`${what}: option "limit" must be a positive integer or null, got ${String(o.limit)}`);
  if (o.reuseBuffers !== undefined && typeof o.reuseBuffers !== 'boolean') throw new InputError(`${what}: option "reuseBuffers" must be true or false, got ${String(o.reuseBuffers)}`);
  return { batchSize, onError, limit, reuseBuffers: o.reuseBuffers ?? false };
}

/** Values per image at the BAPPS size. */
const IMAGE_LEN = LOAD_SIZE * LOAD_SIZE * 3;

/**
 * Loads one image at the BAPPS size into `slot` (IMAGE_LEN values); errors name the file.
 * A 64×64 image is decoded straight into the slot; any other is resized, then copied in.
 */
async function loadImage(file: string, slot: Float32Array): Promise<void> {
  const img = await readImage(file, { into: (h, w) => (h === LOAD_SIZE && w === LOAD_SIZE ? slot : undefined) });
  if (img.data === slot) return;
  const [, h, w] = img.shape;
  const resized = resizeShorter(img, LOAD_SIZE, { filter: 'bilinear', antialias: true });
  if (resized.shape[1] !== LOAD_SIZE || resized.shape[2] !== LOAD_SIZE) {
    throw new InputError(`${file}: image is ${w}x${h} (WxH); after resizing its shorter side to ${LOAD_SIZE} it is ${resized.shape[2]}x${resized.shape[1]}, but a batch needs ${LOAD_SIZE}x${LOAD_SIZE} patches`);
  }
  slot.set(resized.data);
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

  protected readonly batchSize: number;
  protected readonly onError: OnError;
  private readonly reuseBuffers: boolean;

  protected constructor(readonly name: string, protected readonly indexes: SubsetIndex[], options: CommonOptions) {
    this.batchSize = options.batchSize;
    this.onError = options.onError;
    this.reuseBuffers = options.reuseBuffers;
    this.subsets = indexes.map((i) => i.subset);
    this.size = indexes.reduce((a, i) => a + i.samples.length, 0);
    for (const i of indexes) this.skipped.push(...i.skipped);
    this.pairingSkips = this.skipped.length;
  }

  /** Samples per subset (after pairing and limit, before decode-time skips). */
  sizeOf(subset: string): number {
    return this.indexes.find((i) => i.subset === subset)?.samples.length ?? 0;
  }

  /** Images per sample (2AFC: ref, p0, p1; JND: p0, p1): the first files of each sample. */
  protected abstract readonly imageFields: number;
  /** Reads the sample's judgement file (its last file). */
  protected abstract loadJudgement(file: string): Promise<number>;
  protected abstract assemble(subset: string, images: ImageBatch, fields: ImageBatch[], judgements: Float32Array, names: string[]): B;

  /** Decodes a chunk into `buffer` (at least imageFields·samples images long), or a new one. */
  private async loadChunk(chunk: Chunk, buffer?: Float32Array): Promise<B | undefined> {
    const m = chunk.samples.length;
    const fields = this.imageFields;
    // Field k of sample i goes to slot k·m + i, so each field's images are contiguous.
    buffer ??= new Float32Array(fields * m * IMAGE_LEN);
    const slot = (k: number, i: number) => buffer.subarray((k * m + i) * IMAGE_LEN, (k * m + i + 1) * IMAGE_LEN);
    const results = await Promise.all(chunk.samples.map(async (s, i) => {
      // allSettled, not all: a skipped sample's slots are reused below, so none of its loads may
      // still be writing when the chunk is assembled. The first bad file in folder order is reported.
      const loads = await Promise.allSettled([
        ...Array.from({ length: fields }, (_, k) => fromFile(s.files[k], (f) => loadImage(f, slot(k, i)))),
        fromFile(s.files[fields], (f) => this.loadJudgement(f)),
      ]);
      const failed = loads.find((l): l is PromiseRejectedResult => l.status === 'rejected');
      if (!failed) return (loads[fields] as PromiseFulfilledResult<number>).value;
      const e: unknown = failed.reason;
      if (this.onError === 'fail' || !(e instanceof SampleFileError)) throw e;
      this.skipped.push({ subset: chunk.index.subset, name: s.name, file: e.file, reason: e.message });
      return undefined;
    }));
    const kept: number[] = [];
    results.forEach((r, i) => { if (r !== undefined) kept.push(i); });
    const n = kept.length;
    if (n === 0) return undefined;
    if (n < m) {
      // Close the gaps left by skipped samples. Every image moves to a lower (or the same) offset,
      // so copying in increasing order never overwrites an image not yet moved.
      for (let k = 0; k < fields; k++) {
        kept.forEach((i, j) => buffer.copyWithin((k * n + j) * IMAGE_LEN, (k * m + i) * IMAGE_LEN, (k * m + i + 1) * IMAGE_LEN));
      }
    }
    const len = n * IMAGE_LEN;
    const images: ImageBatch = { data: buffer.subarray(0, fields * len), shape: [fields * n, LOAD_SIZE, LOAD_SIZE, 3] };
    const views = Array.from({ length: fields }, (_, k): ImageBatch => ({ data: buffer.subarray(k * len, (k + 1) * len), shape: [n, LOAD_SIZE, LOAD_SIZE, 3] }));
    return this.assemble(chunk.index.subset, images, views, Float32Array.from(kept, (i) => results[i]!), kept.map((i) => chunk.samples[i].name));
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
    // With reuseBuffers, chunk c decodes into ring[c % 2]: the buffer of chunk c-2, which the
    // consumer gave back by asking for chunk c-1 (chunk c starts loading after that request).
    const ring: Float32Array[] = [];
    const bufferFor = (c: number) => {
      if (!this.reuseBuffers) return undefined;
      ring[c % 2] ??= new Float32Array(this.imageFields * this.batchSize * IMAGE_LEN);
      return ring[c % 2];
    };
    let pending = chunks.length ? this.loadChunk(chunks[0], bufferFor(0)) : undefined;
    for (let c = 0; c < chunks.length; c++) {
      const current = await pending!;
      pending = c + 1 < chunks.length ? this.loadChunk(chunks[c + 1], bufferFor(c + 1)) : undefined;
      // If the consumer stops early the prefetched batch is never awaited; mark its failure handled.
      pending?.catch(() => undefined);
      if (current) yield current;
    }
  }
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

  private constructor(split: 'train' | 'val', indexes: SubsetIndex[], options: CommonOptions) {
    super('bapps-2afc', indexes, options);
    this.split = split;
  }

  static async open(options: TwoAfcReadOptions): Promise<TwoAfcReader> {
    const common = checkCommon(options, 'bapps-2afc');
    const split = options.split ?? 'val';
    if (split !== 'train' && split !== 'val') throw new InputError(`bapps-2afc: option "split" must be "train" or "val", got ${String(split)}`);
    const subsets = options.subsets ?? (split === 'val' ? VAL_SUBSETS : TRAIN_SUBSETS);
    const indexes = await openIndexes(join(options.root, '2afc', split), subsets, TWO_AFC_FOLDERS, common.onError, common.limit);
    return new TwoAfcReader(split, indexes, common);
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

  protected readonly imageFields = 3;

  protected loadJudgement(file: string): Promise<number> {
    return loadFraction(file, 'judge');
  }

  protected assemble(subset: string, images: ImageBatch, [ref, p0, p1]: ImageBatch[], judge: Float32Array, names: string[]): TwoAfcBatch {
    return { subset, images, ref, p0, p1, judge, names };
  }
}

/** BAPPS JND pairs: `<root>/jnd/val/<subset>/{p0,p1,same}`. */
export class JndReader extends BappsReader<JndBatch> {
  private constructor(indexes: SubsetIndex[], options: CommonOptions) {
    super('bapps-jnd', indexes, options);
  }

  static async open(options: BappsReadOptions): Promise<JndReader> {
    const common = checkCommon(options, 'bapps-jnd');
    const subsets = options.subsets ?? JND_SUBSETS;
    const indexes = await openIndexes(join(options.root, 'jnd', 'val'), subsets, JND_FOLDERS, common.onError, common.limit);
    return new JndReader(indexes, common);
  }

  protected readonly imageFields = 2;

  protected loadJudgement(file: string): Promise<number> {
    return loadFraction(file, 'same');
  }

  protected assemble(subset: string, images: ImageBatch, [p0, p1]: ImageBatch[], same: Float32Array, names: string[]): JndBatch {
    return { subset, images, p0, p1, same, names };
  }
}

export function openTwoAfc(options: TwoAfcReadOptions): Promise<TwoAfcReader> {
  return TwoAfcReader.open(options);
}

export function openJnd(options: BappsReadOptions): Promise<JndReader> {
  return JndReader.open(options);
}
