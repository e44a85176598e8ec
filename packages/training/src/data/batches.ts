/**
 * Training batches from a source, in the order of ./order.ts, augmented on the fly.
 *
 * Random-access sources decode each batch's samples when the batch is assembled. Sharded sources
 * are read front to back, shard by shard in the epoch's order; a sample's pixels (uint8) are kept
 * from the moment it enters the shuffle buffer until it is drawn, so the stream holds at most
 * `bufferSize` samples plus the batch being assembled, whatever the size of the data.
 */
import { InputError, type ImageBatch } from '@percept/core';
import { SeededRandom } from '@percept/backbones';
import type { Preprocessing } from '@percept/backbones';
import { isSharded, pixelsToImage, type LabeledImageSource, type SamplePixels, type ShardedSource } from './source.js';
import { augment, evalView, type AugmentOptions } from './augment.js';
import { DataOrder, type DataOrderState, type OrderCursor } from './order.js';

export { DataOrder, type DataOrderState, type BatchPosition } from './order.js';

/** A batch ready for the network: normalised NHWC pixels and integer labels. */
export interface TrainBatch {
  images: ImageBatch;
  labels: Int32Array;
  indices: number[];
}

/** A training batch with where it came from and the data order's state after it. */
export interface StreamBatch extends TrainBatch {
  epoch: number;
  /** Index of the batch within its epoch. */
  batch: number;
  /** Resumes the stream right after this batch. */
  after: DataOrderState;
}

/** Applies the backbone's channel order, scale and mean/std to [0,1] RGB pixels, in place. */
export function normalizeInPlace(data: Float32Array, pre: Preprocessing): void {
  const bgr = pre.channelOrder === 'BGR';
  const mean = pre.mean, std = pre.std;
  for (let p = 0; p < data.length; p += 3) {
    const r = data[p] * pre.scale, g = data[p + 1] * pre.scale, b = data[p + 2] * pre.scale;
    const c0 = bgr ? b : r, c2 = bgr ? r : b;
    data[p] = (c0 - mean[0]) / std[0];
    data[p + 1] = (g - mean[1]) / std[1];
    data[p + 2] = (c2 - mean[2]) / std[2];
  }
}

async function assemble(
  source: LabeledImageSource, indices: readonly number[], size: number, pre: Preprocessing,
  image: (idx: number, k: number) => Promise<ImageBatch>, view: (img: ImageBatch, i: number) => ImageBatch,
): Promise<TrainBatch> {
  const per = size * size * 3;
  const data = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  await Promise.all(indices.map(async (idx, k) => {
    const img = view(await image(idx, k), idx);
    if (img.shape[1] !== size || img.shape[2] !== size) {
      throw new InputError(`${source.name(idx)}: pipeline produced ${img.shape[1]}×${img.shape[2]}, expected ${size}×${size}`);
    }
    data.set(img.data, k * per);
    labels[k] = source.label(idx);
  }));
  normalizeInPlace(data, pre);
  return { images: { data, shape: [indices.length, size, size, 3] }, labels, indices: [...indices] };
}

export interface StreamOptions {
  batchSize: number;
  seed: number;
  /** Shuffle-buffer size in samples (sharded sources). */
  bufferSize: number;
  aug: AugmentOptions;
  pre: Preprocessing;
}

/** Counters of what a sharded stream holds, for tests and logs. */
export interface StreamStats {
  /** Samples whose pixels the stream holds now (buffer + batch being assembled). */
  held: number;
  /** The most it ever held. */
  peakHeld: number;
  /** Samples read from shards so far. */
  read: number;
}

/**
 * The training batches of a run, one per step, continuing from a saved data-order state. `next()`
 * calls are served one after another (the trainer prefetches one batch ahead).
 */
export class TrainingStream {
  readonly order: DataOrder;
  readonly stats: StreamStats = { held: 0, peakHeld: 0, read: 0 };
  private readonly cursor: OrderCursor;
  private queue: Promise<unknown> = Promise.resolve();
  /** Pixels of the samples in the buffer (sharded sources). */
  private readonly store = new Map<number, SamplePixels>();
  private reader: { epoch: number; position: number; it: AsyncIterator<{ index: number; pixels: SamplePixels }> | undefined; shardEnd: number } | undefined;
  private shardOf: Int32Array | undefined;
  private restored = false;
  private closed = false;
  /** Samples drawn for the batch being assembled (no longer in the store). */
  private inAssembly = 0;

  constructor(readonly source: LabeledImageSource, readonly options: StreamOptions, state?: DataOrderState, what?: string) {
    this.order = new DataOrder({
      size: source.size, batchSize: options.batchSize, seed: options.seed,
      shards: isSharded(source) ? source.shards : undefined, bufferSize: options.bufferSize,
    });
    this.cursor = this.order.cursor(state ?? this.order.initialState(), what);
    if (!isSharded(source) || this.cursor.buffered.length === 0) this.restored = true;
  }

  /** The next step's batch. */
  next(): Promise<StreamBatch> {
    const p = this.queue.then(() => this.produce());
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async produce(): Promise<StreamBatch> {
    if (this.closed) throw new Error('TrainingStream: closed');
    const { epoch, batch } = this.cursor.position;
    const { aug, pre, seed } = this.options;
    const view = (img: ImageBatch, idx: number) => augment(img, aug, new SeededRandom(seed, `aug:${epoch}:${idx}`));
    const source = this.source;
    if (!isSharded(source)) {
      const indices = Array.from({ length: this.options.batchSize }, () => this.cursor.draw().out);
      const b = await assemble(source, indices, aug.size, pre, (idx) => source.load(idx), view);
      return { ...b, epoch, batch, after: this.cursor.state() };
    }
    if (!this.restored) await this.restore(source);
    const indices: number[] = [];
    const taken: SamplePixels[] = [];
    for (let k = 0; k < this.options.batchSize; k++) {
      const d = this.cursor.draw();
      for (const id of d.filled) await this.pull(source, epoch, id);
      const px = this.store.get(d.out);
      if (!px) throw new Error(`TrainingStream: sample ${d.out} was drawn but never read`);
      this.store.delete(d.out);
      this.inAssembly++;
      indices.push(d.out); taken.push(px);
      if (d.refill !== undefined) await this.pull(source, epoch, d.refill);
    }
    if (this.cursor.epochEnded) await this.endEpoch();
    const b = await assemble(source, indices, aug.size, pre, async (_idx, k) => pixelsToImage(taken[k]), view);
    this.inAssembly = 0;
    this.stats.held = this.store.size;
    return { ...b, epoch, batch, after: this.cursor.state() };
  }

  private count(extra: number): void {
    this.stats.held = this.store.size + extra;
    if (this.stats.held > this.stats.peakHeld) this.stats.peakHeld = this.stats.held;
  }

  /** Reads the next sample of the epoch's stream, which must be `expected`, into the store. */
  private async pull(source: ShardedSource, epoch: number, expected: number): Promise<void> {
    for (;;) {
      const r = this.reader;
      if (r && r.epoch === epoch && r.it && r.position < r.shardEnd) {
        const res = await r.it.next();
        if (res.done) throw new InputError(`${source.description}: a shard ended early while reading sample ${expected} (${source.name(expected)})`);
        r.position++;
        if (res.value.index !== expected) throw new Error(`TrainingStream: read sample ${res.value.index}, expected ${expected}`);
        this.store.set(expected, res.value.pixels);
        this.stats.read++;
        this.count(this.inAssembly);
        return;
      }
      // A fresh epoch reads from its start; past the end of a shard, the next one in the epoch's order.
      await this.openShardAt(source, epoch, r && r.epoch === epoch ? r.position : 0);
    }
  }

  /** Opens the shard holding stream position `position` of `epoch`, positioned there. */
  private async openShardAt(source: ShardedSource, epoch: number, position: number): Promise<void> {
    await this.closeReader();
    const { shard, offset } = this.order.locate(epoch, position);
    const members = source.shards[shard];
    const rest = Array.from({ length: members.length - offset }, (_, k) => members[offset + k]);
    this.reader = { epoch, position, it: source.read(shard, rest)[Symbol.asyncIterator](), shardEnd: position + rest.length };
  }

  private async closeReader(): Promise<void> {
    const it = this.reader?.it;
    this.reader = undefined;
    await it?.return?.(undefined);
  }

  private async endEpoch(): Promise<void> {
    // The samples of the dropped partial batch leave with the epoch.
    this.store.clear();
    await this.closeReader();
  }

  /** Re-reads the pixels of the samples a saved state has in its buffer, shard by shard. */
  private async restore(source: ShardedSource): Promise<void> {
    if (!this.shardOf) {
      this.shardOf = new Int32Array(source.size).fill(-1);
      source.shards.forEach((members, s) => { for (let k = 0; k < members.length; k++) this.shardOf![members[k]] = s; });
    }
    const byShard = new Map<number, number[]>();
    for (const id of this.cursor.buffered) {
      const s = this.shardOf[id];
      byShard.set(s, [...(byShard.get(s) ?? []), id]);
    }
    for (const [s, ids] of byShard) {
      ids.sort((a, b) => a - b);
      let k = 0;
      for await (const { index, pixels } of source.read(s, ids)) {
        if (index !== ids[k]) throw new Error(`TrainingStream: restoring read sample ${index}, expected ${ids[k]}`);
        this.store.set(index, pixels);
        this.stats.read++;
        k++;
      }
      if (k !== ids.length) throw new InputError(`${source.description}: shard ${s} ended before sample ${ids[k]} (${source.name(ids[k])}) could be restored`);
      this.count(0);
    }
    // The stream continues at the cursor's position.
    const { epoch } = this.cursor.position;
    if (this.cursor.streamPosition < this.order.size) await this.openShardAt(source, epoch, this.cursor.streamPosition);
    this.restored = true;
  }

  /** Releases the open shard reader. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.closeReader();
    this.store.clear();
  }
}

/** The augmented training batch of `step`, replaying the order (tests; the trainer uses TrainingStream). */
export async function trainBatch(source: LabeledImageSource, order: DataOrder, step: number, aug: AugmentOptions, pre: Preprocessing): Promise<TrainBatch> {
  const { epoch } = order.position(step);
  if (isSharded(source)) throw new InputError('trainBatch: sharded sources are read through a TrainingStream');
  return assemble(source, order.indices(step), aug.size, pre, (idx) => source.load(idx), (img, idx) => augment(img, aug, new SeededRandom(order.seed, `aug:${epoch}:${idx}`)));
}

/** Evaluation batches over the whole source, in order (the last one may be smaller). */
export async function* evalBatches(source: LabeledImageSource, batchSize: number, size: number, cropFraction: number, pre: Preprocessing): AsyncGenerator<TrainBatch> {
  const view = (img: ImageBatch) => evalView(img, size, cropFraction);
  if (isSharded(source)) {
    // Shard by shard, front to back; a batch may span shards.
    let idx: number[] = [], px: SamplePixels[] = [];
    const flush = () => {
      const p = px;
      const b = assemble(source, idx, size, pre, async (_i, k) => pixelsToImage(p[k]), view);
      idx = []; px = [];
      return b;
    };
    for (let s = 0; s < source.shards.length; s++) {
      for await (const { index, pixels } of source.read(s, Array.from(source.shards[s]))) {
        idx.push(index); px.push(pixels);
        if (idx.length === batchSize) yield await flush();
      }
    }
    if (idx.length) yield await flush();
    return;
  }
  let next: Promise<TrainBatch> | undefined;
  const load = (start: number) => {
    const idx = Array.from({ length: Math.min(batchSize, source.size - start) }, (_, k) => start + k);
    return assemble(source, idx, size, pre, (i) => source.load(i), view);
  };
  for (let start = 0; start < source.size; start += batchSize) {
    const current = next ?? load(start);
    // Decode the next batch while the engine works on this one.
    next = start + batchSize < source.size ? load(start + batchSize) : undefined;
    next?.catch(() => undefined); // surfaces when awaited; a consumer that stops early leaves no unhandled rejection
    yield await current;
  }
}
