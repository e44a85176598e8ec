/**
 * The ONNX messages Percept reads and writes, with field numbers from onnx.proto (IR version 8/9).
 * Every decoded message keeps the fields it does not model in `unknown` (exact encoded bytes), and
 * re-encoding writes them back, so loading, adding graph outputs and saving a user's model is lossless.
 */
import {
  ProtoWriter, WireType, readFields, decodeString, readInt64s, readFloats, readFloat, toNumber,
  type Int64, type RawField,
} from './wire.js';

/** TensorProto.DataType values used by Percept. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13,
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
  TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian element bytes (Percept always writes weights here). */
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  unknown: Uint8Array[];
}

/** A tensor type: element type and shape (a number, a symbolic name, or null for an unknown dim). */
export interface OnnxTypeInfo {
  elemType?: number;
  shape?: Array<number | string | null>;
  /** The original encoded TypeProto; written back unchanged when present. */
  raw?: Uint8Array;
}

export interface OnnxValueInfo {
  name: string;
  type?: OnnxTypeInfo;
  docString?: string;
  unknown: Uint8Array[];
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: OnnxTensor;
  g?: OnnxGraph;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  unknown: Uint8Array[];
}

export interface OnnxNode {
  inputs: string[];
  outputs: string[];
  name?: string;
  opType: string;
  domain?: string;
  attributes: OnnxAttribute[];
  docString?: string;
  unknown: Uint8Array[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  docString?: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
  unknown: Uint8Array[];
}

export interface OnnxOpset { domain: string; version: Int64 }

export interface OnnxModel {
  irVersion: Int64;
  opsetImport: OnnxOpset[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph: OnnxGraph;
  unknown: Uint8Array[];
}

// ---------------------------------------------------------------- decoding

function str(f: RawField): string {
  return decodeString(f.payload!);
}

export function decodeTensor(buf: Uint8Array): OnnxTensor {
  const t: OnnxTensor = { name: '', dims: [], dataType: 0, unknown: [] };
  const dims: Int64[] = [];
  for (const f of readFields(buf)) {
    switch (f.field) {
      case 1: readInt64s(f, dims); break;
      case 2: t.dataType = Number(f.varint); break;
      case 4: readFloats(f, (t.floatData ??= [])); break;
      case 5: { const v: Int64[] = []; readInt64s(f, v); (t.int32Data ??= []).push(...v.map((x) => Number(x))); break; }
      case 7: readInt64s(f, (t.int64Data ??= [])); break;
      case 8: t.name = str(f); break;
      case 9: t.rawData = f.payload!; break;
      default: t.unknown.push(f.encoded);
    }
  }
  t.dims = dims.map((d) => toNumber(d, `tensor ${t.name} dims`));
  return t;
}

function decodeTypeInfo(buf: Uint8Array): OnnxTypeInfo {
  const info: OnnxTypeInfo = { raw: buf };
  for (const f of readFields(buf)) {
    if (f.field !== 1 || f.wire !== WireType.bytes) continue; // only tensor types are interpreted
    for (const tf of readFields(f.payload!)) {
      if (tf.field === 1) info.elemType = Number(tf.varint);
      if (tf.field === 2) {
        info.shape = [];
        for (const df of readFields(tf.payload!)) {
          if (df.field !== 1) continue;
          let dim: number | string | null = null;
          for (const d of readFields(df.payload!)) {
            if (d.field === 1) dim = Number(d.varint);
            if (d.field === 2) dim = str(d);
          }
          info.shape.push(dim);
        }
      }
    }
  }
  return info;
}

export function decodeValueInfo(buf: Uint8Array): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', unknown: [] };
  for (const f of readFields(buf)) {
    switch (f.field) {
      case 1: v.name = str(f); break;
      case 2: v.type = decodeTypeInfo(f.payload!); break;
      case 3: v.docString = str(f); break;
      default: v.unknown.push(f.encoded);
    }
  }
  return v;
}

function decodeAttribute(buf: Uint8Array): OnnxAttribute {
  const a: OnnxAttribute = { name: '', type: 0, unknown: [] };
  for (const f of readFields(buf)) {
    switch (f.field) {
      case 1: a.name = str(f); break;
      case 2: a.f = readFloat(f); break;
      case 3: a.i = f.varint!; break;
      case 4: a.s = f.payload!; break;
      case 5: a.t = decodeTensor(f.payload!); break;
      case 6: a.g = decodeGraph(f.payload!); break;
      case 7: readFloats(f, (a.floats ??= [])); break;
      case 8: readInt64s(f, (a.ints ??= [])); break;
      case 9: (a.strings ??= []).push(f.payload!); break;
      case 20: a.type = Number(f.varint); break;
      default: a.unknown.push(f.encoded);
    }
  }
  return a;
}

export function decodeNode(buf: Uint8Array): OnnxNode {
  const n: OnnxNode = { inputs: [], outputs: [], opType: '', attributes: [], unknown: [] };
  for (const f of readFields(buf)) {
    switch (f.field) {
      case 1: n.inputs.push(str(f)); break;
      case 2: n.outputs.push(str(f)); break;
      case 3: n.name = str(f); break;
      case 4: n.opType = str(f); break;
      case 5: n.attributes.push(decodeAttribute(f.payload!)); break;
      case 6: n.docString = str(f); break;
      case 7: n.domain = str(f); break;
      default: n.unknown.push(f.encoded);
    }
  }
  return n;
}

export function decodeGraph(buf: Uint8Array): OnnxGraph {
  const g: OnnxGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [], unknown: [] };
  for (const f of readFields(buf)) {
    switch (f.field) {
      case 1: g.nodes.push(decodeNode(f.payload!)); break;
      case 2: g.name = str(f); break;
      case 5: g.initializers.push(decodeTensor(f.payload!)); break;
      case 10: g.docString = str(f); break;
      case 11: g.inputs.push(decodeValueInfo(f.payload!)); break;
      case 12: g.outputs.push(decodeValueInfo(f.payload!)); break;
      case 13: g.valueInfo.push(decodeValueInfo(f.payload!)); break;
      default: g.unknown.push(f.encoded);
    }
  }
  return g;
}

/** Decodes a ModelProto. Throws WireError (with a byte offset) on malformed or truncated data. */
export function decodeModel(buf: Uint8Array): OnnxModel {
  let graph: OnnxGraph | undefined;
  const m: Omit<OnnxModel, 'graph'> = { irVersion: 0, opsetImport: [], unknown: [] };
  for (const f of readFields(buf)) {
    switch (f.field) {
      case 1: m.irVersion = f.varint!; break;
      case 2: m.producerName = str(f); break;
      case 3: m.producerVersion = str(f); break;
      case 4: m.domain = str(f); break;
      case 5: m.modelVersion = f.varint!; break;
      case 6: m.docString = str(f); break;
      case 7: graph = decodeGraph(f.payload!); break;
      case 8: {
        const op: OnnxOpset = { domain: '', version: 0 };
        for (const o of readFields(f.payload!)) {
          if (o.field === 1) op.domain = str(o);
          if (o.field === 2) op.version = o.varint!;
        }
        m.opsetImport.push(op);
        break;
      }
      default: m.unknown.push(f.encoded);
    }
  }
  if (!graph) throw new Error('the ModelProto has no graph (field 7)');
  return { ...m, graph };
}

// ---------------------------------------------------------------- encoding

function writeUnknown(w: ProtoWriter, unknown: readonly Uint8Array[]): void {
  for (const u of unknown) w.raw(u);
}

export function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  w.packedInt64(1, t.dims);
  w.int64Field(2, t.dataType);
  if (t.floatData) w.packedFloat(4, t.floatData);
  if (t.int32Data) w.packedInt64(5, t.int32Data);
  if (t.int64Data) w.packedInt64(7, t.int64Data);
  if (t.name) w.stringField(8, t.name);
  if (t.rawData) w.bytesField(9, t.rawData);
  writeUnknown(w, t.unknown);
}

function writeTypeInfo(w: ProtoWriter, info: OnnxTypeInfo): void {
  if (info.raw) { w.raw(info.raw); return; }
  w.messageField(1, (tw) => {
    if (info.elemType !== undefined) tw.int64Field(1, info.elemType);
    if (info.shape) {
      tw.messageField(2, (sw) => {
        for (const d of info.shape!) {
          sw.messageField(1, (dw) => {
            if (typeof d === 'number') dw.int64Field(1, d);
            else if (typeof d === 'string') dw.stringField(2, d);
          });
        }
      });
    }
  });
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.stringField(1, v.name);
  if (v.type) w.messageField(2, (tw) => writeTypeInfo(tw, v.type!));
  if (v.docString) w.stringField(3, v.docString);
  writeUnknown(w, v.unknown);
}

function writeAttribute(w: ProtoWriter, a: OnnxAttribute): void {
  w.stringField(1, a.name);
  if (a.f !== undefined) w.floatField(2, a.f);
  if (a.i !== undefined) w.int64Field(3, a.i);
  if (a.s !== undefined) w.bytesField(4, a.s);
  if (a.t) w.messageField(5, (tw) => writeTensor(tw, a.t!));
  if (a.g) w.messageField(6, (gw) => writeGraph(gw, a.g!));
  if (a.floats) w.packedFloat(7, a.floats);
  if (a.ints) w.packedInt64(8, a.ints);
  if (a.strings) for (const s of a.strings) w.bytesField(9, s);
  w.int64Field(20, a.type);
  writeUnknown(w, a.unknown);
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  if (n.name) w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const a of n.attributes) w.messageField(5, (aw) => writeAttribute(aw, a));
  if (n.docString) w.stringField(6, n.docString);
  if (n.domain) w.stringField(7, n.domain);
  writeUnknown(w, n.unknown);
}

export function writeGraph(w: ProtoWriter, g: OnnxGraph): void {
  for (const n of g.nodes) w.messageField(1, (nw) => writeNode(nw, n));
  w.stringField(2, g.name);
  for (const t of g.initializers) w.messageField(5, (tw) => writeTensor(tw, t));
  if (g.docString) w.stringField(10, g.docString);
  for (const v of g.inputs) w.messageField(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.messageField(12, (vw) => writeValueInfo(vw, v));
  for (const v of g.valueInfo) w.messageField(13, (vw) => writeValueInfo(vw, v));
  writeUnknown(w, g.unknown);
}

/** Serialises a model to ONNX bytes. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int64Field(1, m.irVersion);
  if (m.producerName) w.stringField(2, m.producerName);
  if (m.producerVersion) w.stringField(3, m.producerVersion);
  if (m.domain) w.stringField(4, m.domain);
  if (m.modelVersion !== undefined) w.int64Field(5, m.modelVersion);
  if (m.docString) w.stringField(6, m.docString);
  w.messageField(7, (gw) => writeGraph(gw, m.graph));
  for (const o of m.opsetImport) {
    w.messageField(8, (ow) => {
      if (o.domain) ow.stringField(1, o.domain);
      ow.int64Field(2, o.version);
    });
  }
  writeUnknown(w, m.unknown);
  return w.finish();
}

// ---------------------------------------------------------------- tensor helpers

/** A float32 initializer with its data in raw_data (little-endian); shares `data`'s memory. */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): OnnxTensor {
  return { name, dims: [...dims], dataType: DataType.FLOAT, rawData: littleEndianBytes(data), unknown: [] };
}

/** An int64 initializer (shapes, indices) in raw_data. */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): OnnxTensor {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [...dims], dataType: DataType.INT64, rawData: raw, unknown: [] };
}

function littleEndianBytes(data: Float32Array): Uint8Array {
  // Every platform Node runs on is little-endian, so the bytes are the raw_data as they are. A view,
  // not a copy: a VGG16 is 528 MB, and the model is encoded right after compiling.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Reads a tensor's values as float64 numbers (float, integer types; raw_data or typed fields). */
export function tensorValues(t: OnnxTensor): number[] {
  if (t.rawData) {
    const r = t.rawData;
    const view = new DataView(r.buffer, r.byteOffset, r.byteLength);
    const out: number[] = [];
    const step: Record<number, [number, (o: number) => number]> = {
      [DataType.FLOAT]: [4, (o) => view.getFloat32(o, true)],
      [DataType.DOUBLE]: [8, (o) => view.getFloat64(o, true)],
      [DataType.UINT8]: [1, (o) => view.getUint8(o)],
      [DataType.INT8]: [1, (o) => view.getInt8(o)],
      [DataType.INT16]: [2, (o) => view.getInt16(o, true)],
      [DataType.UINT16]: [2, (o) => view.getUint16(o, true)],
      [DataType.INT32]: [4, (o) => view.getInt32(o, true)],
      [DataType.INT64]: [8, (o) => Number(view.getBigInt64(o, true))],
    };
    const s = step[t.dataType];
    if (!s) throw new Error(`tensor "${t.name}": reading data type ${t.dataType} is not supported`);
    for (let o = 0; o + s[0] <= r.length; o += s[0]) out.push(s[1](o));
    return out;
  }
  if (t.floatData) return t.floatData;
  // uint8/int8/int16/int32 values are all stored in int32_data.
  if (t.int32Data) return t.int32Data;
  if (t.int64Data) return t.int64Data.map((v) => Number(v));
  return [];
}
