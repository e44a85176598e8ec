/**
 * The protobuf wire format, just enough for ONNX: varints, fixed32/64 and length-delimited fields.
 * We write our own instead of depending on a protobuf library because ONNX needs only a handful of
 * messages, and because editing user models must round-trip fields we do not model (kept as raw bytes).
 */

/** Wire types of the protobuf encoding. */
export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** An int64 as it appears in ONNX: a number when it fits exactly, otherwise a bigint. */
export type Int64 = number | bigint;

/** Raised while decoding; the caller adds which file was being read. */
export class WireError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'WireError';
  }
}

const TWO_32 = 0x1_0000_0000;

/**
 * Protobuf encoder. Small writes go into a scratch buffer; large payloads (weights) are kept by
 * reference and nested messages are spliced in as parts, so a 500 MB model is copied once, at `finish`.
 */
export class ProtoWriter {
  private parts: Uint8Array[] = [];
  private partsLength = 0;
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private flushScratch(): void {
    if (this.len === 0) return;
    this.parts.push(this.buf.slice(0, this.len));
    this.partsLength += this.len;
    this.len = 0;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.partsLength + this.len;
  }

  /** Unsigned varint of a non-negative integer (number up to 2^53) or any int64 (negatives as two's complement). */
  varint(value: Int64): void {
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw new RangeError(`varint: ${value} is not an integer`);
      if (value < 0 || value > Number.MAX_SAFE_INTEGER) { this.varint(BigInt(value)); return; }
      this.ensure(10);
      let v = value;
      while (v >= 0x80) {
        this.buf[this.len++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buf[this.len++] = v;
      return;
    }
    // int64 semantics: negative values become their 64-bit two's complement (10 bytes on the wire).
    let v = BigInt.asUintN(64, value);
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }

  tag(field: number, wire: WireType): void {
    this.varint(field * 8 + wire);
  }

  /** Appends bytes; large arrays are referenced, not copied, so the caller must not mutate them before `finish`. */
  raw(bytes: Uint8Array): void {
    if (bytes.length >= 4096) {
      this.flushScratch();
      this.parts.push(bytes);
      this.partsLength += bytes.length;
      return;
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** Appends everything another writer holds (its parts are shared, not copied). */
  private splice(inner: ProtoWriter): void {
    inner.flushScratch();
    this.flushScratch();
    for (const p of inner.parts) this.parts.push(p);
    this.partsLength += inner.partsLength;
  }

  float32(value: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, value, true);
    this.len += 4;
  }

  // Field helpers: each writes tag + payload.
  int64Field(field: number, value: Int64): void { this.tag(field, WireType.varint); this.varint(value); }
  floatField(field: number, value: number): void { this.tag(field, WireType.fixed32); this.float32(value); }
  bytesField(field: number, bytes: Uint8Array): void {
    this.tag(field, WireType.bytes);
    this.varint(bytes.length);
    this.raw(bytes);
  }
  stringField(field: number, value: string): void { this.bytesField(field, new TextEncoder().encode(value)); }
  /** An embedded message, encoded by `body` into a nested writer. */
  messageField(field: number, body: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    body(inner);
    this.tag(field, WireType.bytes);
    this.varint(inner.length);
    this.splice(inner);
  }
  packedInt64(field: number, values: readonly Int64[]): void {
    if (values.length === 0) return;
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    this.bytesField(field, inner.finish());
  }
  packedFloat(field: number, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.float32(values[i]);
    this.bytesField(field, inner.finish());
  }

  /** The encoded bytes, in one contiguous array. */
  finish(): Uint8Array {
    if (this.parts.length === 0) return this.buf.subarray(0, this.len);
    this.flushScratch();
    if (this.parts.length === 1) return this.parts[0];
    const out = new Uint8Array(this.partsLength);
    let off = 0;
    for (const p of this.parts) { out.set(p, off); off += p.length; }
    this.parts = [out];
    return out;
  }
}

/** One decoded field: its number, wire type, value and the exact bytes it occupied (for lossless copies). */
export interface RawField {
  field: number;
  wire: WireType;
  /** varint: the value; fixed32/fixed64: undefined (read `bytes`); bytes: the payload. */
  varint?: Int64;
  payload?: Uint8Array;
  /** The whole field as encoded (tag included). */
  encoded: Uint8Array;
}

/** Reads a varint at `pos`; returns the value and the next position. */
export function readVarint(buf: Uint8Array, pos: number): [Int64, number] {
  let result = 0;
  let mul = 1;
  const start = pos;
  // Fast path: up to 7 bytes (49 bits) stay exact as a double.
  for (let i = 0; i < 7; i++) {
    if (pos >= buf.length) throw new WireError('unexpected end of data inside a varint', start);
    const b = buf[pos++];
    result += (b & 0x7f) * mul;
    if (b < 0x80) return [result, pos];
    mul *= 0x80;
  }
  // Long varints (large or negative int64): redo with bigint.
  let big = 0n;
  let shift = 0n;
  pos = start;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new WireError('unexpected end of data inside a varint', start);
    const b = buf[pos++];
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) {
      const signed = BigInt.asIntN(64, big);
      const asNumber = Number(signed);
      return [Number.isSafeInteger(asNumber) ? asNumber : signed, pos];
    }
    shift += 7n;
  }
  throw new WireError('varint longer than 10 bytes', start);
}

/** Splits a message into its fields, in wire order. Payloads are views into `buf` (no copies). */
export function readFields(buf: Uint8Array): RawField[] {
  const fields: RawField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [tagValue, afterTag] = readVarint(buf, pos);
    const tag = Number(tagValue);
    const field = Math.floor(tag / 8);
    const wire = (tag & 7) as WireType;
    if (field === 0) throw new WireError('field number 0 is invalid', start);
    pos = afterTag;
    let varint: Int64 | undefined;
    let payload: Uint8Array | undefined;
    switch (wire) {
      case WireType.varint:
        [varint, pos] = readVarint(buf, pos);
        break;
      case WireType.fixed64:
        payload = take(buf, pos, 8, start);
        pos += 8;
        break;
      case WireType.fixed32:
        payload = take(buf, pos, 4, start);
        pos += 4;
        break;
      case WireType.bytes: {
        const [lenValue, afterLen] = readVarint(buf, pos);
        const len = Number(lenValue);
        if (len < 0) throw new WireError(`negative length ${len}`, start);
        payload = take(buf, afterLen, len, start);
        pos = afterLen + len;
        break;
      }
      default:
        throw new WireError(`unsupported wire type ${wire as number} for field ${field}`, start);
    }
    fields.push({ field, wire, varint, payload, encoded: buf.subarray(start, pos) });
  }
  return fields;
}

function take(buf: Uint8Array, pos: number, len: number, fieldStart: number): Uint8Array {
  if (pos + len > buf.length) {
    throw new WireError(`field needs ${len} bytes at offset ${pos} but only ${buf.length - pos} remain (truncated data)`, fieldStart);
  }
  return buf.subarray(pos, pos + len);
}

export function decodeString(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Reads a repeated int64 field that may be packed (bytes) or unpacked (one varint). */
export function readInt64s(f: RawField, into: Int64[]): void {
  if (f.wire === WireType.varint) { into.push(f.varint!); return; }
  if (f.wire !== WireType.bytes) throw new WireError(`field ${f.field}: expected varint or packed varints`, 0);
  const p = f.payload!;
  let pos = 0;
  while (pos < p.length) {
    const [v, next] = readVarint(p, pos);
    into.push(v);
    pos = next;
  }
}

/** Reads a repeated float field that may be packed or unpacked. */
export function readFloats(f: RawField, into: number[]): void {
  const p = f.payload!;
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (f.wire === WireType.fixed32) { into.push(view.getFloat32(0, true)); return; }
  if (f.wire !== WireType.bytes || p.length % 4 !== 0) throw new WireError(`field ${f.field}: expected packed float32`, 0);
  for (let i = 0; i < p.length; i += 4) into.push(view.getFloat32(i, true));
}

export function readFloat(f: RawField): number {
  const p = f.payload!;
  return new DataView(p.buffer, p.byteOffset, 4).getFloat32(0, true);
}

/** Converts an Int64 to a number, failing loudly if it does not fit. */
export function toNumber(v: Int64, what: string): number {
  if (typeof v === 'number') return v;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what}: ${v} does not fit in a JavaScript number`);
  return n;
}
