/**
 * Just enough of the ZIP format to stream the members of a NumPy `.npz` without loading the file:
 * the central directory (with ZIP64, which NumPy forces on every member it writes), then each
 * member's bytes read in chunks and inflated with Node's zlib (raw deflate, in libuv's thread pool,
 * so inflating overlaps with work on the main thread such as a training step). Downsampled
 * ImageNet training batches are ~1.5 GB each, so reading a member whole is not an option.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import * as zlib from 'node:zlib';
import { InputError, crc32 } from '@percept/core';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** CRC-32 of the uncompressed bytes, from the central directory. */
  crc32: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`64-bit zip field ${v} is too large`);
  return Number(v);
}

async function readAt(fh: FileHandle, position: number, length: number, file: string, what: string): Promise<DataView> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw new InputError(`${file}: truncated zip (${what} at byte ${position} needs ${length} bytes, file ends after ${bytesRead})`);
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

async function openForReading(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (e) {
    throw new InputError(`Cannot open ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Lists the members of a zip file from its central directory. */
export async function readZipDirectory(file: string): Promise<ZipEntry[]> {
  const fh = await openForReading(file);
  try {
    const fileSize = (await fh.stat()).size;
    // The end record is 22 bytes plus a comment of at most 65535 bytes.
    const tailLen = Math.min(fileSize, 22 + 65535);
    const tail = await readAt(fh, fileSize - tailLen, tailLen, file, 'end of central directory');
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) if (tail.getUint32(i, true) === EOCD) { eocd = i; break; }
    if (eocd < 0) throw new InputError(`${file}: not a zip file (no end-of-central-directory record); an .npz must be a zip of .npy files`);
    let count = tail.getUint16(eocd + 10, true);
    let cdSize = tail.getUint32(eocd + 12, true);
    let cdOffset = tail.getUint32(eocd + 16, true);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || tail.getUint32(loc, true) !== ZIP64_LOCATOR) throw new InputError(`${file}: zip needs ZIP64 fields but has no ZIP64 locator`);
      const z = await readAt(fh, u64(tail, loc + 8), 56, file, 'ZIP64 end record');
      if (z.getUint32(0, true) !== ZIP64_EOCD) throw new InputError(`${file}: corrupt ZIP64 end-of-central-directory record`);
      count = u64(z, 32);
      cdSize = u64(z, 40);
      cdOffset = u64(z, 48);
    }
    const cd = await readAt(fh, cdOffset, cdSize, file, 'central directory');
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let k = 0; k < count; k++) {
      if (cd.getUint32(p, true) !== CENTRAL) throw new InputError(`${file}: corrupt central directory (entry ${k})`);
      const flags = cd.getUint16(p + 8, true);
      const method = cd.getUint16(p + 10, true);
      let compressedSize = cd.getUint32(p + 20, true);
      let size = cd.getUint32(p + 24, true);
      const nameLen = cd.getUint16(p + 28, true);
      const extraLen = cd.getUint16(p + 30, true);
      const commentLen = cd.getUint16(p + 32, true);
      const crc = cd.getUint32(p + 16, true);
      let localHeaderOffset = cd.getUint32(p + 42, true);
      const name = new TextDecoder().decode(new Uint8Array(cd.buffer, cd.byteOffset + p + 46, nameLen));
      // ZIP64 extra field (id 1): the 64-bit values of exactly those fields that read 0xFFFFFFFF.
      for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
        const id = cd.getUint16(e, true);
        const len = cd.getUint16(e + 2, true);
        if (id === 1) {
          let q = e + 4;
          if (size === 0xffffffff) { size = u64(cd, q); q += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = u64(cd, q); q += 8; }
          if (localHeaderOffset === 0xffffffff) { localHeaderOffset = u64(cd, q); q += 8; }
        }
        e += 4 + len;
      }
      if (flags & 1) throw new InputError(`${file}: member ${name} is encrypted`);
      entries.push({ name, method, compressedSize, size, localHeaderOffset, crc32: crc });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  } finally {
    await fh.close();
  }
}

/** Byte offset in the zip file where a member's (compressed) data starts, after its local header. */
async function memberDataStart(fh: FileHandle, file: string, entry: ZipEntry): Promise<number> {
  const local = await readAt(fh, entry.localHeaderOffset, 30, file, `local header of ${entry.name}`);
  if (local.getUint32(0, true) !== LOCAL) throw new InputError(`${file}: corrupt local header for member ${entry.name}`);
  return entry.localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
}

function checkMethod(file: string, entry: ZipEntry): void {
  if (entry.method !== 0 && entry.method !== 8) {
    throw new InputError(`${file}: member ${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
  }
}

/**
 * Streams one member's uncompressed bytes in chunks; memory stays at about one chunk. `from` skips
 * that many uncompressed bytes first: a stored member is read from that offset, a deflated one is
 * inflated from its start and the skipped bytes are dropped as they come. A member read to its end
 * is checked against its CRC-32 (not possible for a stored member read from an offset), because
 * inflate alone lets damage inside a deflate block through.
 */
export async function* streamZipEntry(file: string, entry: ZipEntry, chunkSize = 1 << 20, from = 0): AsyncGenerator<Uint8Array> {
  checkMethod(file, entry);
  if (!(Number.isInteger(from) && from >= 0 && from <= entry.size)) throw new RangeError(`${file}: member ${entry.name}: start offset ${from} is outside 0..${entry.size}`);
  const fh = await open(file, 'r');
  let dataStart: number;
  try {
    dataStart = await memberDataStart(fh, file, entry);
  } finally {
    await fh.close();
  }
  const stored = entry.method === 0;
  let produced = stored ? from : 0;
  let skip = stored ? 0 : from;
  const checked = !stored || from === 0;
  let crc = 0;
  const begin = stored ? dataStart + from : dataStart;
  const end = dataStart + entry.compressedSize - 1;
  if (entry.compressedSize > 0 && begin <= end) {
    const raw = createReadStream(file, { start: begin, end, highWaterMark: chunkSize });
    // Backpressure bounds what the pipe holds: about one read chunk and one inflated chunk.
    const inflater = stored ? undefined : zlib.createInflateRaw({ chunkSize: Math.max(64, Math.min(chunkSize, 1 << 20)) });
    const stream = inflater ? raw.pipe(inflater) : raw;
    raw.on('error', (e) => inflater?.destroy(e));
    try {
      for await (const buf of stream as AsyncIterable<Buffer>) {
        let chunk: Uint8Array = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
        produced += chunk.length;
        if (checked) crc = crc32(chunk, crc);
        if (skip > 0) {
          // Drops the first `from` inflated bytes of a deflated member.
          if (skip >= chunk.length) { skip -= chunk.length; continue; }
          chunk = chunk.subarray(skip);
          skip = 0;
        }
        yield chunk;
      }
    } catch (e) {
      if (e instanceof InputError || !inflater) throw e;
      throw new InputError(`${file}: member ${entry.name} is corrupt (inflate failed: ${(e as Error).message})`, { cause: e });
    } finally {
      raw.destroy();
      inflater?.destroy();
    }
  }
  if (produced !== entry.size) throw new InputError(`${file}: member ${entry.name} should hold ${entry.size} bytes but ${produced} were read (truncated or corrupt file)`);
  if (checked && crc !== entry.crc32) {
    const hex = (v: number) => v.toString(16).padStart(8, '0');
    throw new InputError(`${file}: member ${entry.name} fails its CRC-32 check (the zip says ${hex(entry.crc32)}, its bytes give ${hex(crc)}): the file is corrupt; download it again`);
  }
}

/**
 * Positioned reads inside a stored (uncompressed) member, e.g. single rows of a large .npy array
 * without reading what lies before them. Deflated members cannot be read at an offset; stream them.
 */
export class StoredZipMember {
  private constructor(private readonly fh: FileHandle, readonly file: string, readonly entry: ZipEntry, private readonly dataStart: number) {}

  static async open(file: string, entry: ZipEntry): Promise<StoredZipMember> {
    if (entry.method !== 0) throw new InputError(`${file}: member ${entry.name} is compressed (method ${entry.method}); only stored members can be read at an offset`);
    const fh = await openForReading(file);
    try {
      return new StoredZipMember(fh, file, entry, await memberDataStart(fh, file, entry));
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** `length` bytes of the member from byte `offset`. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.entry.size) {
      throw new InputError(`${this.file}: member ${this.entry.name}: bytes ${offset}..${offset + length} are outside its ${this.entry.size} bytes`);
    }
    const view = await readAt(this.fh, this.dataStart + offset, length, this.file, `member ${this.entry.name}`);
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Reads one (small) member whole. */
export async function readZipEntry(file: string, entry: ZipEntry): Promise<Uint8Array> {
  const out = new Uint8Array(entry.size);
  let at = 0;
  for await (const c of streamZipEntry(file, entry)) { out.set(c, at); at += c.length; }
  return out;
}
