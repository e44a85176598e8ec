/**
 * Which samples each step sees, on sample indices only (no pixels).
 *
 * Epoch e reads a stream of all samples and draws from it through a shuffle buffer:
 *  - random-access sources: the stream is a seeded permutation of all samples (Fisher–Yates with
 *    stream `order:<e>`) and there is no buffer: the epoch visits that permutation.
 *  - sharded sources (npz files): the stream is the shards in a seeded order (the same shuffle, over
 *    shards), each shard front to back. A buffer of `bufferSize` samples is filled from the stream;
 *    each draw picks a uniformly random slot (stream `buffer:<e>`), outputs it and refills the slot
 *    with the next stream sample (once the stream is exhausted, the last slot fills the hole).
 *    With bufferSize ≥ the sample count this is a uniform shuffle of the epoch.
 * Batches are consecutive draws; the last incomplete batch of an epoch is dropped (as the reference
 * input pipelines do), and its samples with it.
 *
 * The state at a batch boundary ({ epoch, batch, cursor, buffer }) is saved with the training
 * state, so a resumed run continues with exactly the same batches; the buffer's random stream is
 * restored by redrawing `batch · batchSize` numbers.
 */
import { InputError } from '@percept/core';
import { SeededRandom } from '@percept/backbones';

/** Where a data order stands after some batches: enough to continue it exactly. */
export interface DataOrderState {
  epoch: number;
  /** Batches already drawn in this epoch. */
  batch: number;
  /** Stream samples that have entered the buffer this epoch. */
  cursor: number;
  /** Sample indices in the buffer, by slot. */
  buffer: number[];
}

export interface BatchPosition {
  epoch: number;
  /** Index of the batch within its epoch. */
  batch: number;
}

export interface DataOrderOptions {
  size: number;
  batchSize: number;
  seed: number;
  /** Sample indices per shard (a sharded source); undefined: random access, one permutation per epoch. */
  shards?: readonly ArrayLike<number>[];
  /** Shuffle-buffer size in samples for sharded sources (ignored for random access). */
  bufferSize?: number;
}

/** One draw: the samples that entered the buffer before the pick, the sample drawn, the one that refilled its slot. */
export interface Draw {
  filled: number[];
  out: number;
  refill: number | undefined;
}

export class DataOrder {
  readonly size: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly stepsPerEpoch: number;
  /** 0 for random-access sources. */
  readonly bufferSize: number;
  readonly shards: readonly ArrayLike<number>[] | undefined;
  private cached: { epoch: number; perm: Uint32Array } | undefined;

  constructor(o: DataOrderOptions) {
    const { size, batchSize, seed } = o;
    if (size < batchSize) {
      throw new InputError(`training data has ${size} samples, fewer than one batch of ${batchSize}`, { hint: 'lower "batchSize" or add data' });
    }
    this.size = size; this.batchSize = batchSize; this.seed = seed;
    this.stepsPerEpoch = Math.floor(size / batchSize);
    this.shards = o.shards;
    if (o.shards) {
      const b = o.bufferSize ?? 0;
      if (!Number.isInteger(b) || b < 1) throw new InputError(`training option "shuffleBuffer" must be a positive integer, got ${JSON.stringify(o.bufferSize)}`);
      const total = o.shards.reduce((a, s) => a + s.length, 0);
      if (total !== size) throw new InputError(`training data: its shards hold ${total} samples but the source has ${size}`);
      this.bufferSize = b;
    } else {
      this.bufferSize = 0;
    }
  }

  position(step: number): BatchPosition {
    return { epoch: Math.floor(step / this.stepsPerEpoch), batch: step % this.stepsPerEpoch };
  }

  /** The seeded shuffle of epoch `epoch`: of sample indices (random access) or of shard numbers. */
  permutation(epoch: number): Uint32Array {
    if (this.cached?.epoch === epoch) return this.cached.perm;
    const perm = new Uint32Array(this.shards ? this.shards.length : this.size);
    for (let i = 0; i < perm.length; i++) perm[i] = i;
    const rng = new SeededRandom(this.seed, `order:${epoch}`);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    this.cached = { epoch, perm };
    return perm;
  }

  /** The state at the start of the run, or at the start of the epoch of `step`. */
  initialState(step = 0): DataOrderState {
    const { epoch, batch } = this.position(step);
    if (this.bufferSize === 0) return { epoch, batch, cursor: batch * this.batchSize, buffer: [] };
    if (batch !== 0) throw new Error(`DataOrder.initialState: a sharded order can only start at an epoch boundary (step ${step})`);
    return { epoch, batch: 0, cursor: 0, buffer: [] };
  }

  /** A cursor positioned at `state`, checked for consistency with this order. */
  cursor(state: DataOrderState = this.initialState(), what = 'data order state'): OrderCursor {
    const bad = (why: string) => new InputError(`${what}: ${why}`, { hint: 'the training state does not belong to this dataset and these options; use a fresh output directory' });
    const { epoch, batch, cursor, buffer } = state;
    if (![epoch, batch, cursor].every((v) => Number.isInteger(v) && v >= 0)) throw bad(`epoch/batch/cursor must be integers ≥ 0, got ${JSON.stringify({ epoch, batch, cursor })}`);
    if (batch >= this.stepsPerEpoch) throw bad(`batch ${batch} is beyond the ${this.stepsPerEpoch} batches of an epoch`);
    const drawn = batch * this.batchSize;
    const expectCursor = this.bufferSize === 0 ? drawn : drawn === 0 ? 0 : Math.min(this.size, this.bufferSize + drawn);
    if (cursor !== expectCursor) throw bad(`cursor ${cursor} does not match batch ${batch} (expected ${expectCursor})`);
    if (buffer.length !== cursor - drawn) throw bad(`buffer holds ${buffer.length} samples, expected ${cursor - drawn}`);
    const seen = new Set<number>();
    for (const i of buffer) {
      if (!Number.isInteger(i) || i < 0 || i >= this.size || seen.has(i)) throw bad(`buffer entry ${i} is not a distinct sample index below ${this.size}`);
      seen.add(i);
    }
    return new OrderCursor(this, state);
  }

  /** Sample index at position k of epoch `epoch`'s stream (before the buffer). */
  streamAt(epoch: number, k: number): number {
    return this.locate(epoch, k).sample;
  }

  /** Shard number and offset within it of stream position k (sharded), plus the sample there. */
  locate(epoch: number, k: number): { shard: number; offset: number; sample: number } {
    const perm = this.permutation(epoch);
    if (!this.shards) return { shard: -1, offset: 0, sample: perm[k] };
    let acc = 0;
    for (const s of perm) {
      const n = this.shards[s].length;
      if (k < acc + n) return { shard: s, offset: k - acc, sample: this.shards[s][k - acc] };
      acc += n;
    }
    throw new RangeError(`stream position ${k} is beyond the ${this.size} samples`);
  }

  /** Sample indices of the batch taken at `step` (replays its epoch up to it; for tests and messages). */
  indices(step: number): number[] {
    const { epoch, batch } = this.position(step);
    if (this.bufferSize === 0) {
      const perm = this.permutation(epoch);
      return Array.from(perm.subarray(batch * this.batchSize, (batch + 1) * this.batchSize));
    }
    const c = this.cursor(this.initialState(epoch * this.stepsPerEpoch));
    for (let b = 0; b < batch; b++) for (let k = 0; k < this.batchSize; k++) c.draw();
    return Array.from({ length: this.batchSize }, () => c.draw().out);
  }
}

/** Walks a DataOrder draw by draw from a state; `state()` at a batch boundary can be saved. */
export class OrderCursor {
  private epoch: number;
  private drawn: number;
  private next: number;
  private buffer: number[];
  private rng: SeededRandom | undefined;

  constructor(private readonly order: DataOrder, s: DataOrderState) {
    this.epoch = s.epoch;
    this.drawn = s.batch * order.batchSize;
    this.next = s.cursor;
    this.buffer = [...s.buffer];
    this.rng = this.bufferRng(this.drawn);
  }

  private bufferRng(skip: number): SeededRandom | undefined {
    if (this.order.bufferSize === 0) return undefined;
    const rng = new SeededRandom(this.order.seed, `buffer:${this.epoch}`);
    for (let i = 0; i < skip; i++) rng.uniform();
    return rng;
  }

  get position(): BatchPosition {
    return { epoch: this.epoch, batch: Math.floor(this.drawn / this.order.batchSize) };
  }

  /** The epoch's stream position of the next sample to enter the buffer. */
  get streamPosition(): number {
    return this.next;
  }

  /** Samples in the buffer now. */
  get buffered(): readonly number[] {
    return this.buffer;
  }

  /** Next sample of the epoch; an epoch ends after its last full batch. */
  draw(): Draw {
    const o = this.order;
    if (o.bufferSize === 0) {
      const out = o.streamAt(this.epoch, this.next++);
      this.advance();
      return { filled: [], out, refill: undefined };
    }
    const filled: number[] = [];
    if (this.drawn === 0 && this.next === 0) {
      const n = Math.min(o.bufferSize, o.size);
      for (let k = 0; k < n; k++) filled.push(o.streamAt(this.epoch, k));
      this.buffer = [...filled];
      this.next = n;
    }
    const j = Math.floor(this.rng!.uniform() * this.buffer.length);
    const out = this.buffer[j];
    let refill: number | undefined;
    if (this.next < o.size) {
      refill = o.streamAt(this.epoch, this.next++);
      this.buffer[j] = refill;
    } else {
      this.buffer[j] = this.buffer[this.buffer.length - 1];
      this.buffer.pop();
    }
    this.advance();
    return { filled, out, refill };
  }

  /** True when the last draw ended an epoch (the next draw starts a new one). */
  epochEnded = false;

  private advance(): void {
    this.drawn++;
    this.epochEnded = false;
    if (this.drawn === this.order.stepsPerEpoch * this.order.batchSize) {
      this.epoch++;
      this.drawn = 0;
      this.next = 0;
      this.buffer = [];
      this.rng = this.bufferRng(0);
      this.epochEnded = true;
    }
  }

  /** The state now; call at a batch boundary. */
  state(): DataOrderState {
    if (this.drawn % this.order.batchSize !== 0) throw new Error('OrderCursor.state() in the middle of a batch');
    return { epoch: this.epoch, batch: this.drawn / this.order.batchSize, cursor: this.next, buffer: [...this.buffer] };
  }
}
