/**
 * The shape every reader of this package yields, and the machinery they share: batching, one batch
 * of decode-ahead, per-image geometry, skip accounting.
 *
 * A batch is `{ images, labels, names }`: images NHWC [0,1] RGB of one size, labels as class
 * indices 0..classes-1. Images of a folder or of ILSVRC2012 val come in many sizes, and an
 * ImageBatch holds one size, so a consumer passes the network's geometry (resize/crop policy) to
 * `iterate`: it is applied to each image as it is decoded, before batching, off the critical path.
 */
import { InputError, type Dataset, type ImageBatch, type JsonValue } from '@percept/core';
import { applyGeometry, readImage, type PreprocessingLike } from '@percept/images';

export interface ImagenetBatch {
  images: ImageBatch;
  /** Class index per image, 0-based. */
  labels: Int32Array;
  /**
   * Image identifiers: the file name without extension for ILSVRC val, the path relative to the
   * root for image folders (class folder included), "<file>#<row>" for array files.
   */
  names: string[];
}

export type OnError = 'fail' | 'skip';

export interface SkippedImage {
  name: string;
  file: string;
  reason: string;
}

export interface IterateOptions {
  /** Brings every image to one size before batching (a backbone's resize/crop policy). */
  geometry?: PreprocessingLike | null;
  /**
   * Runs on each assembled batch inside the decode-ahead (e.g. a distortion), so it overlaps with
   * the consumer's work. `start` is the index of the batch's first image in the dataset order.
   */
  transform?: (batch: ImagenetBatch, start: number) => ImagenetBatch | Promise<ImagenetBatch>;
}

/** A labelled image dataset: sizes and classes known before the first image is decoded. */
export interface ClassificationDataset extends Dataset<ImagenetBatch> {
  /** Number of classes; labels are 0..classes-1. */
  readonly classes: number;
  /** Class names (synset ids or folder names) in index order. */
  readonly classNames: readonly string[];
  /** Images dropped under onError "skip" during the latest pass (and while indexing). */
  readonly skipped: readonly SkippedImage[];
  readonly batchSize: number;
  iterate(options?: IterateOptions): AsyncIterable<ImagenetBatch>;
  /** What was read, for the manifest (layout, label file, counts). */
  describe(): Record<string, JsonValue>;
}

export interface CommonReadOptions {
  batchSize?: number;
  onError?: OnError;
  /** Read at most this many images (the first ones in the reader's order). */
  limit?: number | null;
}

export function checkCommon(o: CommonReadOptions, what: string): { batchSize: number; onError: OnError; limit: number | null } {
  const batchSize = o.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`${what}: option "batchSize" must be a positive integer, got ${JSON.stringify(o.batchSize)}`);
  const onError = o.onError ?? 'fail';
  if (onError !== 'fail' && onError !== 'skip') throw new InputError(`${what}: option "onError" must be "fail" or "skip", got ${JSON.stringify(o.onError)}`);
  const limit = o.limit ?? null;
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw new InputError(`${what}: option "limit" must be a positive integer or null, got ${JSON.stringify(o.limit)}`);
  return { batchSize, onError, limit };
}

/** Stacks single images of one size into a batch; a different size is an error naming the image. */
export function stackImages(images: ImageBatch[], names: string[], files: string[]): ImageBatch {
  const [, h, w] = images[0].shape;
  const len = h * w * 3;
  const data = new Float32Array(images.length * len);
  images.forEach((im, i) => {
    if (im.shape[1] !== h || im.shape[2] !== w) {
      throw new InputError(`${files[i]}: image ${names[i]} is ${im.shape[2]}x${im.shape[1]} (WxH) but ${names[0]} in the same batch is ${w}x${h}; a batch needs one size`, {
        hint: 'give the reader a geometry (the accuracy job passes the backbone\'s resize/crop policy), or resize the images',
      });
    }
    data.set(im.data, i * len);
  });
  return { data, shape: [images.length, h, w, 3] };
}

/**
 * Yields `load(k)` for k = 0..count-1 while `load(k+1)` is already running: exactly one batch of
 * decode-ahead, so memory holds at most two batches. `undefined` results (all skipped) are dropped.
 */
export async function* prefetched<B>(count: number, load: (k: number) => Promise<B | undefined>): AsyncGenerator<B> {
  let pending = count > 0 ? load(0) : undefined;
  for (let k = 0; k < count; k++) {
    const current = await pending!;
    pending = k + 1 < count ? load(k + 1) : undefined;
    // If the consumer stops early the prefetched batch is never awaited; mark its failure handled.
    pending?.catch(() => undefined);
    if (current) yield current;
  }
}

/** One image of a file-based dataset. */
export interface FileItem {
  name: string;
  file: string;
  label: number;
}

/** A decode failure of one file (so skip mode can name it). */
class ImageFileError extends InputError {
  constructor(readonly file: string, cause: InputError) {
    super(cause.message.includes(file) ? cause.message : `${file}: ${cause.message}`, { cause, hint: cause.hint });
  }
}

/** Datasets of image files (ILSVRC val, class folders): decode, geometry, batch, prefetch. */
export abstract class FileImageDataset implements ClassificationDataset {
  readonly size: number;
  readonly subsets: readonly string[];
  readonly skipped: SkippedImage[] = [];
  private readonly indexSkips: number;

  protected constructor(
    readonly name: string,
    protected readonly items: readonly FileItem[],
    readonly classes: number,
    readonly classNames: readonly string[],
    readonly batchSize: number,
    protected readonly onError: OnError,
    indexSkipped: SkippedImage[] = [],
    subsets: readonly string[] = ['all'],
  ) {
    this.size = items.length;
    this.subsets = subsets;
    this.skipped.push(...indexSkipped);
    this.indexSkips = indexSkipped.length;
  }

  abstract describe(): Record<string, JsonValue>;

  /** The image files in dataset order (for tests and `percept data` listings). */
  files(): readonly FileItem[] {
    return this.items;
  }

  [Symbol.asyncIterator](): AsyncIterator<ImagenetBatch> {
    return this.iterate()[Symbol.asyncIterator]();
  }

  iterate(options: IterateOptions = {}): AsyncIterable<ImagenetBatch> {
    // A new pass must not count the same bad files twice.
    this.skipped.length = this.indexSkips;
    const chunks = Math.ceil(this.items.length / this.batchSize);
    return prefetched(chunks, (k) => this.loadChunk(k * this.batchSize, options));
  }

  private async loadOne(item: FileItem, geometry: PreprocessingLike | null | undefined): Promise<ImageBatch> {
    try {
      const img = await readImage(item.file);
      return geometry ? applyGeometry(img, geometry) : img;
    } catch (e) {
      throw e instanceof InputError ? new ImageFileError(item.file, e) : e;
    }
  }

  private async loadChunk(start: number, options: IterateOptions): Promise<ImagenetBatch | undefined> {
    const chunk = this.items.slice(start, start + this.batchSize);
    const results = await Promise.all(chunk.map(async (item) => {
      try {
        return await this.loadOne(item, options.geometry);
      } catch (e) {
        if (this.onError === 'fail' || !(e instanceof ImageFileError)) throw e;
        this.skipped.push({ name: item.name, file: item.file, reason: e.message });
        return undefined;
      }
    }));
    let kept = chunk.filter((_, i) => results[i] !== undefined);
    let images = results.filter((r): r is ImageBatch => r !== undefined);
    if (!options.geometry && images.length > 1) {
      // Without a geometry, an image whose size differs from the batch's first is a per-file problem.
      const [, h, w] = images[0].shape;
      const ok = images.map((im) => im.shape[1] === h && im.shape[2] === w);
      if (this.onError === 'skip') {
        kept.forEach((item, i) => {
          if (!ok[i]) this.skipped.push({ name: item.name, file: item.file, reason: `${item.file}: image is ${images[i].shape[2]}x${images[i].shape[1]}, the batch is ${w}x${h}` });
        });
        kept = kept.filter((_, i) => ok[i]);
        images = images.filter((_, i) => ok[i]);
      }
    }
    if (images.length === 0) return undefined;
    const batch: ImagenetBatch = {
      images: stackImages(images, kept.map((k) => k.name), kept.map((k) => k.file)),
      labels: Int32Array.from(kept, (k) => k.label),
      names: kept.map((k) => k.name),
    };
    return options.transform ? options.transform(batch, start) : batch;
  }
}
