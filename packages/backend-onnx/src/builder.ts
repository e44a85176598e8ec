/**
 * A small helper for emitting ONNX graphs: unique names, attribute encoding and initializers.
 */
import {
  AttributeType, DataType, floatTensor, int64Tensor,
  type OnnxAttribute, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo,
} from './proto/onnx.js';

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

/** Attribute constructors: plain numbers are INT/INTS; floats must be tagged so 1.0 is not written as an int. */
export function attr(name: string, value: AttrValue): OnnxAttribute {
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value, unknown: [] };
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value), unknown: [] };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value, unknown: [] };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float, unknown: [] };
  return { name, type: AttributeType.FLOATS, floats: value.floats, unknown: [] };
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** Reserves a tensor name; a clash gets a numeric suffix. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Marks names that exist already (graph input, params) so fresh names never collide with them. */
  reserve(name: string): void {
    this.used.add(name);
  }

  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  /** Adds a node; returns its first output name. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    this.nodes.push({
      opType,
      name: `${outputs[0]}/${opType}`,
      inputs: [...inputs],
      outputs: [...outputs],
      attributes: Object.entries(attrs).map(([k, v]) => attr(k, v)),
      unknown: [],
    });
    return outputs[0];
  }

  /** A node whose single output gets a fresh name derived from `base`. */
  op(opType: string, inputs: readonly string[], base: string, attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, inputs, [this.fresh(base)], attrs);
  }

  floatInit(name: string, dims: readonly number[], data: Float32Array): string {
    this.reserve(name);
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  /** A shared int64 constant (shapes, axes, indices), deduplicated by value. */
  int64Const(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh(`const_i64_${values.join('_').replace(/-/g, 'm')}`);
    this.initializers.push(int64Tensor(name, dims, values));
    this.constants.set(key, name);
    return name;
  }

  /** A shared float32 constant, deduplicated by value. */
  floatConst(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `f32:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('const_f32');
    this.initializers.push(floatTensor(name, dims, Float32Array.from(values)));
    this.constants.set(key, name);
    return name;
  }

  graph(name: string, inputs: OnnxValueInfo[], outputs: OnnxValueInfo[]): OnnxGraph {
    return { name, nodes: this.nodes, initializers: this.initializers, inputs, outputs, valueInfo: [], unknown: [] };
  }
}

/** A float tensor value-info with a shape whose entries are sizes, symbolic names or null (unknown). */
export function floatValueInfo(name: string, shape?: Array<number | string | null>): OnnxValueInfo {
  return { name, type: { elemType: DataType.FLOAT, shape }, unknown: [] };
}

/** An int32 tensor value-info (index inputs such as the image pairs of distance heads). */
export function int32ValueInfo(name: string, shape?: Array<number | string | null>): OnnxValueInfo {
  return { name, type: { elemType: DataType.INT32, shape }, unknown: [] };
}
