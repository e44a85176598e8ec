/**
 * NumPy `.npy` reader and writer (format versions 1.0, 2.0 and 3.0).
 *
 * File layout: the magic `\x93NUMPY`, a major and a minor version byte, the header length
 * (uint16 LE for v1, uint32 LE for v2/v3), then a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }` padded with spaces and a newline,
 * then the raw element data. BAPPS stores each human judgement as a one-element `.npy`.
 *
 * Arrays are always returned in C (row-major) order: Fortran-ordered data is transposed on read,
 * so callers never see the storage order.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { InputError } from '@percept/core';

export type NpyDtype =
  | 'f2' | 'f4' | 'f8'
  | 'i1' | 'i2' | 'i4' | 'i8'
  | 'u1' | 'u2' | 'u4' | 'u8'
  | 'b1';

export type NpyData =
  | Float32Array | Float64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export interface NpyArray {
  /** Element type without byte order (the data is always converted to host order). */
  dtype: NpyDtype;
  shape: number[];
  /** C-order elements. `f2` is widened to Float32Array; `b1` is a Uint8Array of 0/1. */
  data: NpyData;
  /** Whether the file stored the data in Fortran order (informational; `data` is C order regardless). */
  fortranOrder: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const ITEM_SIZE: Record<NpyDtype, number> = {
  f2: 2, f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, u8: 8, b1: 1,
};

/* ------------------------------------------------------------------------------------------------
 * The header: a tiny parser for the subset of Python literal syntax NumPy writes.
 * ---------------------------------------------------------------------------------------------- */

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string, private readonly file: string) {}

  parse(): PyValue {
    const v = this.value();
    this.ws();
    if (this.pos !== this.text.length) this.fail(`unexpected "${this.text.slice(this.pos, this.pos + 10)}"`);
    return v;
  }

  private fail(why: string): never {
    throw new InputError(`${this.file}: malformed .npy header (${why} at offset ${this.pos}): ${JSON.stringify(this.text)}`);
  }

  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private value(): PyValue {
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.dict();
    if (c === '(' || c === '[') return this.sequence(c === '(' ? ')' : ']');
    if (c === "'" || c === '"') return this.string();
    if (c !== undefined && /[-+0-9]/.test(c)) return this.number();
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (this.text.startsWith(word, this.pos)) { this.pos += word.length; return v; }
    }
    return this.fail('expected a value');
  }

  private dict(): { [k: string]: PyValue } {
    this.pos++; // {
    const out: { [k: string]: PyValue } = {};
    for (;;) {
      this.ws();
      if (this.text[this.pos] === '}') { this.pos++; return out; }
      const key = this.value();
      if (typeof key !== 'string') this.fail('dict keys must be strings');
      this.ws();
      if (this.text[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      out[key] = this.value();
      this.ws();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail('expected "," or "}"');
    }
  }

  private sequence(close: string): PyValue[] {
    this.pos++;
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.text[this.pos] === close) { this.pos++; return out; }
      out.push(this.value());
      this.ws();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected "," or "${close}"`);
    }
  }

  private string(): string {
    const quote = this.text[this.pos++];
    const start = this.pos;
    while (this.pos < this.text.length && this.text[this.pos] !== quote) {
      if (this.text[this.pos] === '\\') this.fail('escapes are not supported in header strings');
      this.pos++;
    }
    if (this.pos >= this.text.length) this.fail('unterminated string');
    return this.text.slice(start, this.pos++);
  }

  private number(): number {
    const m = /^[-+]?\d+L?/.exec(this.text.slice(this.pos)); // Python 2 wrote shapes as (3L,)
    if (!m) this.fail('expected an integer');
    this.pos += m[0].length;
    return Number.parseInt(m[0], 10);
  }
}

interface ParsedDescr { dtype: NpyDtype; littleEndian: boolean }

function parseDescr(descr: string, file: string): ParsedDescr {
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const dtype = m ? (`${m[2]}${m[3]}` as NpyDtype) : undefined;
  if (!m || !dtype || !(dtype in ITEM_SIZE)) {
    throw new InputError(`${file}: unsupported .npy dtype "${descr}"`, {
      hint: 'Supported: float16/32/64, int8/16/32/64, uint8/16/32/64 and bool, either byte order.',
    });
  }
  // '=' is native order; every platform Node supports in practice is little-endian.
  return { dtype, littleEndian: m[1] !== '>' };
}

/* ------------------------------------------------------------------------------------------------
 * Reading
 * ---------------------------------------------------------------------------------------------- */

/** IEEE 754 half -> number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function allocate(dtype: NpyDtype, n: number): NpyData {
  switch (dtype) {
    case 'f2': case 'f4': return new Float32Array(n);
    case 'f8': return new Float64Array(n);
    case 'i1': return new Int8Array(n);
    case 'i2': return new Int16Array(n);
    case 'i4': return new Int32Array(n);
    case 'i8': return new BigInt64Array(n);
    case 'u1': case 'b1': return new Uint8Array(n);
    case 'u2': return new Uint16Array(n);
    case 'u4': return new Uint32Array(n);
    case 'u8': return new BigUint64Array(n);
  }
}

/** Reads element `i` (in storage order) from the data view. */
function reader(dtype: NpyDtype, view: DataView, le: boolean): (i: number) => number | bigint {
  switch (dtype) {
    case 'f2': return (i) => halfToNumber(view.getUint16(i * 2, le));
    case 'f4': return (i) => view.getFloat32(i * 4, le);
    case 'f8': return (i) => view.getFloat64(i * 8, le);
    case 'i1': return (i) => view.getInt8(i);
    case 'i2': return (i) => view.getInt16(i * 2, le);
    case 'i4': return (i) => view.getInt32(i * 4, le);
    case 'i8': return (i) => view.getBigInt64(i * 8, le);
    case 'u1': return (i) => view.getUint8(i);
    case 'b1': return (i) => (view.getUint8(i) ? 1 : 0);
    case 'u2': return (i) => view.getUint16(i * 2, le);
    case 'u4': return (i) => view.getUint32(i * 4, le);
    case 'u8': return (i) => view.getBigUint64(i * 8, le);
  }
}

/**
 * Maps a C-order flat index to the Fortran-order flat index of the same element. For shape
 * (d0, …, dk) the C strides are (d1·…·dk, …, 1) and the Fortran strides are (1, d0, d0·d1, …).
 */
function fortranIndexer(shape: readonly number[]): (cIndex: number) => number {
  const k = shape.length;
  const fStride = new Array<number>(k);
  let s = 1;
  for (let d = 0; d < k; d++) { fStride[d] = s; s *= shape[d]; }
  return (cIndex) => {
    let rest = cIndex;
    let f = 0;
    for (let d = k - 1; d >= 0; d--) {
      const coord = rest % shape[d];
      rest = (rest - coord) / shape[d];
      f += coord * fStride[d];
    }
    return f;
  };
}

/** Parses `.npy` bytes. `file` names the source in every error. */
export function parseNpy(bytes: Uint8Array, file = '<buffer>'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new InputError(`${file}: not a .npy file (missing the \\x93NUMPY magic bytes)`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) throw new InputError(`${file}: unsupported .npy format version ${major}.${minor} (expected 1.x, 2.x or 3.x)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new InputError(`${file}: truncated .npy header`);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (bytes.length < dataStart) {
    throw new InputError(`${file}: truncated .npy header (header says ${headerLen} bytes, file has ${bytes.length - 8 - lenBytes})`);
  }
  // v1/v2 headers are latin1; v3 allows UTF-8.
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenBytes, dataStart)).trim();
  const header = new LiteralParser(headerText, file).parse();
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new InputError(`${file}: .npy header is not a dict: ${headerText}`);
  }
  const { descr, fortran_order: fortranOrder, shape } = header;
  if (typeof descr !== 'string') throw new InputError(`${file}: .npy header field "descr" must be a dtype string, got ${JSON.stringify(descr)}`);
  if (typeof fortranOrder !== 'boolean') throw new InputError(`${file}: .npy header field "fortran_order" must be True or False, got ${JSON.stringify(fortranOrder)}`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw new InputError(`${file}: .npy header field "shape" must be a tuple of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  const { dtype, littleEndian } = parseDescr(descr, file);
  const count = dims.reduce((a, b) => a * b, 1);
  const need = count * ITEM_SIZE[dtype];
  if (bytes.length - dataStart < need) {
    throw new InputError(`${file}: truncated .npy data: shape (${dims.join(', ')}) of ${descr} needs ${need} bytes, file has ${bytes.length - dataStart}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, need);
  const get = reader(dtype, view, littleEndian);
  const out = allocate(dtype, count);
  const set = out as unknown as { [i: number]: number | bigint };
  const fromC = fortranOrder && dims.length > 1 ? fortranIndexer(dims) : (i: number) => i;
  for (let i = 0; i < count; i++) set[i] = get(fromC(i));
  return { dtype, shape: dims, data: out, fortranOrder };
}

/** Reads a `.npy` file. */
export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read .npy file (${(e as Error).message})`, { cause: e });
  }
  return parseNpy(bytes, path);
}

/** The elements as float64 numbers (int64 values beyond 2^53 lose precision). */
export function npyToNumbers(arr: NpyArray): Float64Array {
  const out = new Float64Array(arr.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(arr.data[i]);
  return out;
}

/* ------------------------------------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------------------------------- */

export interface NpyWriteInput {
  /** 'f4' (default) or 'f8'. */
  dtype?: 'f4' | 'f8';
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** Encodes a little-endian C-order float array as `.npy` v1.0 bytes, exactly as `np.save` lays them out. */
export function encodeNpy(input: NpyWriteInput): Uint8Array {
  const dtype = input.dtype ?? 'f4';
  const count = input.shape.reduce((a, b) => a * b, 1);
  if (count !== input.data.length) {
    throw new InputError(`encodeNpy: shape (${input.shape.join(', ')}) holds ${count} values but ${input.data.length} were given`);
  }
  // Python's tuple repr: (), (3,), (2, 3).
  const shapeRepr = input.shape.length === 1 ? `(${input.shape[0]},)` : `(${input.shape.join(', ')})`;
  let header = `{'descr': '<${dtype}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  // NumPy pads magic + version + length + header + '\n' to a multiple of 64 bytes.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const size = ITEM_SIZE[dtype];
  const out = new Uint8Array(10 + header.length + count * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const base = 10 + header.length;
  for (let i = 0; i < count; i++) {
    if (dtype === 'f4') dv.setFloat32(base + i * 4, input.data[i], true);
    else dv.setFloat64(base + i * 8, input.data[i], true);
  }
  return out;
}

export async function writeNpy(path: string, input: NpyWriteInput): Promise<void> {
  await writeFile(path, encodeNpy(input));
}
