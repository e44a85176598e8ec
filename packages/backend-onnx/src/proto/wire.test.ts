import { describe, it, expect } from 'vitest';
import { ProtoWriter, readFields, readVarint, readInt64s, WireError } from './wire.js';
import { AttributeType, DataType, decodeModel, encodeModel, type OnnxModel } from './onnx.js';

describe('protobuf wire format', () => {
  it('round-trips varints across the int64 range, including negatives as two\'s complement', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 53 - 1, -1, -(2 ** 40), 9223372036854775807n, -9223372036854775808n];
    for (const v of values) {
      const w = new ProtoWriter();
      w.varint(v);
      const bytes = w.finish();
      const [back, end] = readVarint(bytes, 0);
      expect(end).toBe(bytes.length);
      expect(BigInt(back)).toBe(BigInt(v));
    }
    // -1 is ten bytes on the wire, as protobuf's int64 requires.
    const w = new ProtoWriter();
    w.varint(-1);
    expect(w.finish().length).toBe(10);
  });

  it('reads packed and unpacked repeated int64 fields alike', () => {
    const packed = new ProtoWriter();
    packed.packedInt64(8, [1, -1, 300]);
    const unpacked = new ProtoWriter();
    for (const v of [1, -1, 300]) unpacked.int64Field(8, v);
    for (const bytes of [packed.finish(), unpacked.finish()]) {
      const out: Array<number | bigint> = [];
      for (const f of readFields(bytes)) readInt64s(f, out);
      expect(out).toEqual([1, -1, 300]);
    }
  });

  it('keeps large payloads by reference and splices nested messages without corrupting them', () => {
    const big = new Uint8Array(10_000).map((_, i) => i % 251);
    const w = new ProtoWriter();
    w.stringField(1, 'a');
    w.messageField(2, (inner) => { inner.bytesField(3, big); inner.int64Field(4, 7); });
    const fields = readFields(w.finish());
    expect(fields.map((f) => f.field)).toEqual([1, 2]);
    const nested = readFields(fields[1].payload!);
    expect(Buffer.from(nested[0].payload!).equals(Buffer.from(big))).toBe(true);
    expect(nested[1].varint).toBe(7);
  });

  it('reports truncated data with the offset of the broken field', () => {
    const w = new ProtoWriter();
    w.int64Field(1, 5);
    w.bytesField(2, new Uint8Array(100));
    const cut = w.finish().subarray(0, 50);
    expect(() => readFields(cut)).toThrow(WireError);
    try { readFields(cut); } catch (e) { expect((e as WireError).offset).toBe(2); }
  });
});

describe('ONNX messages', () => {
  it('preserves fields it does not model (unknown fields) through decode and encode', () => {
    const model: OnnxModel = {
      irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'x',
      graph: {
        name: 'g', nodes: [{ opType: 'Relu', inputs: ['a'], outputs: ['b'], attributes: [{ name: 'alpha', type: AttributeType.FLOAT, f: 0.5, unknown: [] }], unknown: [] }],
        initializers: [], inputs: [{ name: 'a', type: { elemType: DataType.FLOAT, shape: ['N', 3] }, unknown: [] }],
        outputs: [{ name: 'b', unknown: [] }], valueInfo: [], unknown: [],
      },
      unknown: [],
    };
    // Field 14 (metadata_props) is not modelled: add it by hand and check it survives.
    const extra = new ProtoWriter();
    extra.messageField(14, (kv) => { kv.stringField(1, 'author'); kv.stringField(2, 'me'); });
    const bytes = new Uint8Array([...encodeModel(model), ...extra.finish()]);
    const decoded = decodeModel(bytes);
    expect(decoded.unknown.length).toBe(1);
    expect(decoded.graph.inputs[0].type?.shape).toEqual(['N', 3]);
    expect(decoded.graph.nodes[0].attributes[0].f).toBeCloseTo(0.5);
    expect(Buffer.from(encodeModel(decoded)).equals(Buffer.from(bytes))).toBe(true);
  });
});
