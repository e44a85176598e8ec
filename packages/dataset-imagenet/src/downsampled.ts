/**
 * Downsampled ImageNet (Chrabaszcz, Loshchilov & Hutter 2017: "A Downsampled Variant of ImageNet
 * as an Alternative to the CIFAR datasets"), the 64×64 ImageNet that Kumar et al. train and
 * evaluate on. Each file is an npz with
 *   data    uint8 [N, 3·S·S], every row one image in CHW order (the R plane, then G, then B);
 *   labels  integers [N], 1-based (1..1000);
 *   mean    (train batches only; unused here).
 * Files: `train_data_batch_1.npz` … `train_data_batch_10.npz` and `val_data.npz` (S = 64; the 32×32
 * and 16×16 variants have the same layout). Labels are read at open so size is known up front;
 * image rows are streamed (see zip.ts), so memory holds about two batches whatever the file size.
 *
 * Training reads the files as shards (`shards`, `readRows`): chosen rows of one file, in file
 * order, as uint8 HWC. A stored member is read at the rows' offsets; a deflated one is inflated as a
 * stream, so memory holds one read chunk however large the file.
 */
import { readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError, type JsonValue } from '@percept/core';
import { applyGeometry } from '@percept/images';
import { checkCommon, type ClassificationDataset, type CommonReadOptions, type ImagenetBatch, type IterateOptions, type SkippedImage } from './dataset.js';
import { npyIntegers, parseNpyHeader, type NpyHeader } from './npy.js';
import { readZipDirectory, readZipEntry, streamZipEntry, StoredZipMember, type ZipEntry } from './zip.js';

export interface DownsampledOptions extends CommonReadOptions {
  /** Folder holding the npz files. */
  root?: string;
  /** Which files under root: "val" = val_data.npz, "train" = train_data_batch_*.npz. Default "val". */
  split?: 'train' | 'val';
  /** Explicit npz files (relative to root, or absolute) instead of split. */
  files?: readonly string[];
  /** Number of classes (labels must be 1..classes). Default 1000. */
  classes?: number;
}

interface NpzFile {
  file: string;
  data: ZipEntry;
  /** Bytes of the .npy header before the first row of `data`. */
  dataOffset: number;
  labels: number[];
  /** Images used from this file (after limit). */
  count: number;
}

function member(entries: ZipEntry[], name: string, file: string): ZipEntry {
  const e = entries.find((x) => x.name === `${name}.npy`);
  if (!e) throw new InputError(`${file}: no array "${name}" (member ${name}.npy); found ${entries.map((x) => x.name).join(', ') || 'nothing'}`, { hint: 'downsampled ImageNet npz files hold "data" and "labels"' });
  return e;
}

/** Reads just the .npy header at the start of a streamed member. */
async function streamHeader(file: string, entry: ZipEntry): Promise<NpyHeader> {
  let buf = new Uint8Array(0);
  for await (const c of streamZipEntry(file, entry, 64 * 1024)) {
    const next = new Uint8Array(buf.length + c.length);
    next.set(buf); next.set(c, buf.length);
    buf = next;
    const h = parseNpyHeader(buf, `${file}:${entry.name}`);
    if (h) return h;
  }
  throw new InputError(`${file}: member ${entry.name} ends inside its .npy header`);
}

const trainBatchNo = (f: string) => Number(/train_data_batch_(\d+)/.exec(f)?.[1] ?? NaN);

export class DownsampledImagenetDataset implements ClassificationDataset {
  readonly name = 'imagenet-downsampled';
  readonly subsets = ['all'] as const;
  readonly size: number;
  readonly classNames: readonly string[];
  readonly skipped: SkippedImage[] = [];

  private constructor(
    private readonly files: NpzFile[],
    readonly side: number,
    readonly classes: number,
    readonly batchSize: number,
  ) {
    this.size = files.reduce((a, f) => a + f.count, 0);
    this.classNames = Array.from({ length: classes }, (_, i) => String(i));
  }

  describe(): Record<string, JsonValue> {
    return { layout: 'imagenet-downsampled-npz', files: this.files.map((f) => f.file), side: this.side, images: this.size, classes: this.classes };
  }

  static async open(o: DownsampledOptions): Promise<DownsampledImagenetDataset> {
    const what = 'imagenet-downsampled';
    const { batchSize, limit } = checkCommon(o, what);
    const classes = o.classes ?? 1000;
    if (!Number.isInteger(classes) || classes < 1) throw new InputError(`${what}: option "classes" must be a positive integer`);
    const root = o.root ? resolve(o.root) : process.cwd();
    let paths: string[];
    if (o.files) {
      if (!Array.isArray(o.files) || o.files.length === 0) throw new InputError(`${what}: option "files" must be a non-empty array of npz paths`);
      paths = o.files.map((f) => (isAbsolute(f) ? f : resolve(root, f)));
    } else {
      if (!o.root) throw new InputError(`${what}: give option "root" (with "split") or "files"`);
      const split = o.split ?? 'val';
      let names: string[];
      try {
        names = await readdir(root);
      } catch (e) {
        throw new InputError(`${what}: option "root": cannot list ${root}: ${(e as Error).message}`, { cause: e });
      }
      if (split === 'val') names = names.filter((n) => n === 'val_data.npz');
      else if (split === 'train') names = names.filter((n) => /^train_data_batch_\d+\.npz$/.test(n)).sort((a, b) => trainBatchNo(a) - trainBatchNo(b));
      else throw new InputError(`${what}: option "split" must be "train" or "val", got ${JSON.stringify(split)}`);
      if (names.length === 0) throw new InputError(`${what}: no ${split === 'val' ? 'val_data.npz' : 'train_data_batch_<k>.npz'} in ${root}`);
      paths = names.map((n) => join(root, n));
    }
    const files: NpzFile[] = [];
    let side = 0;
    let remaining = limit ?? Infinity;
    for (const file of paths) {
      const entries = await readZipDirectory(file);
      const labelsEntry = member(entries, 'labels', file);
      const dataEntry = member(entries, 'data', file);
      const lbytes = await readZipEntry(file, labelsEntry);
      const lh = parseNpyHeader(lbytes, `${file}:labels`);
      if (!lh) throw new InputError(`${file}: labels.npy is truncated`);
      const labels = npyIntegers(lbytes, lh, `${file}:labels`);
      labels.forEach((l, i) => {
        if (!(l >= 1 && l <= classes)) throw new InputError(`${file}: labels[${i}] is ${l}; downsampled ImageNet labels are 1-based, expected 1..${classes}`);
      });
      const dh = await streamHeader(file, dataEntry);
      if (dh.dtype !== 'u1') throw new InputError(`${file}: data has dtype "${dh.descr}", expected uint8 ("|u1")`);
      if (dh.fortranOrder) throw new InputError(`${file}: data is stored in Fortran order; expected C order (one image per row)`);
      if (dh.shape.length !== 2) throw new InputError(`${file}: data has shape (${dh.shape.join(', ')}), expected (N, 3·S·S)`);
      const [n, d] = dh.shape;
      const s = Math.round(Math.sqrt(d / 3));
      if (3 * s * s !== d) throw new InputError(`${file}: data rows hold ${d} values, which is not 3·S·S for a square S×S RGB image`);
      if (side && s !== side) throw new InputError(`${file}: images are ${s}×${s} but ${files[0].file} holds ${side}×${side}`);
      side = s;
      if (n !== labels.length) throw new InputError(`${file}: data has ${n} rows but labels has ${labels.length} entries`);
      const count = Math.min(n, remaining);
      remaining -= count;
      files.push({ file, data: dataEntry, dataOffset: dh.dataOffset, labels: labels.map((l) => l - 1), count });
      if (remaining <= 0) break;
    }
    return new DownsampledImagenetDataset(files, side, classes, batchSize);
  }

  [Symbol.asyncIterator](): AsyncIterator<ImagenetBatch> {
    return this.iterate()[Symbol.asyncIterator]();
  }

  iterate(options: IterateOptions = {}): AsyncIterable<ImagenetBatch> {
    return { [Symbol.asyncIterator]: () => readAhead(this.batches(options)) };
  }

  /** One shard per npz file, in file order: its path and the 0-based labels of the rows used (after `limit`). */
  get shards(): readonly { name: string; labels: readonly number[] }[] {
    return this.files.map((f) => ({ name: f.file, labels: f.labels.slice(0, f.count) }));
  }

  /** Most bytes `readRows` has held at once in read chunks not yet yielded, since open (instrumentation; tests reset it). */
  readonly readStats = { peakPendingBytes: 0 };

  /**
   * The rows `rows` (strictly ascending, < the shard's row count) of shard `shard` as uint8 HWC RGB
   * images, in that order. Stored members are read at the rows' offsets (runs of consecutive rows
   * in one read of at most `chunkBytes`); deflated members are inflated from the start of the
   * member in `chunkBytes` chunks, dropping the rows not asked for, and reading stops after the last.
   */
  async *readRows(shard: number, rows: readonly number[], options: { chunkBytes?: number } = {}): AsyncGenerator<{ row: number; data: Uint8Array; height: number; width: number }> {
    const f = this.files[shard];
    if (!f) throw new InputError(`imagenet-downsampled: no shard ${shard} (there are ${this.files.length} files)`);
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      if (!Number.isInteger(r) || r < 0 || r >= f.count || (k > 0 && r <= rows[k - 1])) {
        throw new InputError(`${f.file}: readRows needs strictly ascending rows in 0..${f.count - 1}; got ${r} at position ${k}${k > 0 ? ` after ${rows[k - 1]}` : ''}`);
      }
    }
    if (rows.length === 0) return;
    const s = this.side, rowBytes = 3 * s * s;
    const chunkBytes = Math.max(rowBytes, options.chunkBytes ?? 1 << 20);
    const out = (row: number, src: Uint8Array, at: number) => ({ row, data: chwToHwc(src, at, s), height: s, width: s });
    const note = (bytes: number) => { if (bytes > this.readStats.peakPendingBytes) this.readStats.peakPendingBytes = bytes; };
    if (f.data.method === 0) {
      const member = await StoredZipMember.open(f.file, f.data);
      try {
        const perRead = Math.max(1, Math.floor(chunkBytes / rowBytes));
        for (let k = 0; k < rows.length;) {
          // A run of consecutive rows, read at once.
          let n = 1;
          while (n < perRead && k + n < rows.length && rows[k + n] === rows[k] + n) n++;
          const bytes = await member.read(f.dataOffset + rows[k] * rowBytes, n * rowBytes);
          note(bytes.length);
          for (let i = 0; i < n; i++) yield out(rows[k + i], bytes, i * rowBytes);
          k += n;
        }
      } finally {
        await member.close();
      }
      return;
    }
    const first = rows[0];
    let next = 0; // index into rows of the next wanted row
    let row = first; // row number of the first byte in `pending`
    let pending = new Uint8Array(0);
    for await (const chunk of streamZipEntry(f.file, f.data, chunkBytes, f.dataOffset + first * rowBytes)) {
      const joined = new Uint8Array(pending.length + chunk.length);
      joined.set(pending); joined.set(chunk, pending.length);
      note(joined.length);
      let at = 0;
      while (joined.length - at >= rowBytes && next < rows.length) {
        if (row === rows[next]) { yield out(row, joined, at); next++; }
        at += rowBytes; row++;
      }
      if (next === rows.length) return;
      pending = joined.slice(at);
    }
    throw new InputError(`${f.file}: data.npy ends at row ${row}, before row ${rows[next]}`);
  }

  /** Batches in order, never spanning two files. */
  private async *batches(options: IterateOptions): AsyncGenerator<ImagenetBatch> {
    const s = this.side, plane = s * s, row = 3 * plane;
    let start = 0;
    for (const f of this.files) {
      if (f.count === 0) continue;
      let header: NpyHeader | undefined;
      let pending = new Uint8Array(0);
      let index = 0;
      const emit = async (rows: Uint8Array, n: number): Promise<ImagenetBatch> => {
        // CHW uint8 rows -> NHWC float [0,1].
        const data = new Float32Array(n * row);
        for (let i = 0; i < n; i++) {
          const src = i * row;
          for (let p = 0; p < plane; p++) {
            const o = (i * plane + p) * 3;
            data[o] = rows[src + p] / 255;
            data[o + 1] = rows[src + plane + p] / 255;
            data[o + 2] = rows[src + 2 * plane + p] / 255;
          }
        }
        let images = { data, shape: [n, s, s, 3] as [number, number, number, number] };
        if (options.geometry) images = applyGeometry(images, options.geometry) as typeof images;
        const batch: ImagenetBatch = {
          images,
          labels: Int32Array.from(f.labels.slice(index, index + n)),
          names: Array.from({ length: n }, (_, i) => `${f.file}#${index + i}`),
        };
        const out = options.transform ? await options.transform(batch, start) : batch;
        index += n;
        start += n;
        return out;
      };
      const want = this.batchSize * row;
      for await (const chunk of streamZipEntry(f.file, f.data)) {
        const joined = new Uint8Array(pending.length + chunk.length);
        joined.set(pending); joined.set(chunk, pending.length);
        pending = joined;
        if (!header) {
          header = parseNpyHeader(pending, `${f.file}:data.npy`);
          if (!header) continue;
          pending = pending.slice(header.dataOffset);
        }
        while (pending.length >= want && index + this.batchSize <= f.count) {
          yield await emit(pending.subarray(0, want), this.batchSize);
          pending = pending.slice(want);
        }
        if (index + Math.floor(pending.length / row) >= f.count) break;
      }
      const left = f.count - index;
      if (left > 0) {
        if (pending.length < left * row) throw new InputError(`${f.file}: data.npy ends after ${index + Math.floor(pending.length / row)} of ${f.count} images`);
        for (let k = 0; k < left; k += this.batchSize) {
          const n = Math.min(this.batchSize, left - k);
          yield await emit(pending.subarray(k * row, (k + n) * row), n);
        }
      }
    }
  }
}

/** One CHW uint8 row (starting at `at`) as HWC uint8. */
function chwToHwc(src: Uint8Array, at: number, s: number): Uint8Array {
  const plane = s * s;
  const out = new Uint8Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    out[3 * p] = src[at + p];
    out[3 * p + 1] = src[at + plane + p];
    out[3 * p + 2] = src[at + 2 * plane + p];
  }
  return out;
}

/** Wraps a sequential batch producer with one batch of read-ahead. */
async function* readAhead<B>(source: AsyncGenerator<B>): AsyncGenerator<B> {
  let pending = source.next();
  try {
    for (;;) {
      const r = await pending;
      if (r.done) return;
      pending = source.next();
      pending.catch(() => undefined);
      yield r.value;
    }
  } finally {
    // Stopping early closes the file stream once the in-flight read settles.
    await pending.then(() => source.return(undefined), () => undefined);
  }
}

export function openDownsampledImagenet(options: DownsampledOptions): Promise<DownsampledImagenetDataset> {
  return DownsampledImagenetDataset.open(options);
}
