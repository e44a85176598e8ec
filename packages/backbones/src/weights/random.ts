/**
 * Deterministic random initialisation: the "untrained network" baseline of LPIPS and Kumar et al.
 *
 * Generator: xoshiro128** (Blackman & Vigna), a 32-bit generator with 128 bits of state, seeded
 * by running splitmix32 over (seed, FNV-1a hash of the parameter name). Each parameter therefore
 * gets its own stream: the values of `layer1.0.conv1.weight` depend only on the seed and that
 * name, not on which other parameters the graph has. Normals come from Box–Muller.
 */
import { InputError } from '@percept/core';
import type { IRGraph, ParamSpec, WeightTensor } from '../ir.js';

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}

/** splitmix32 step: returns [next state, output]. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) >>> 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [s, (z ^ (z >>> 16)) >>> 0];
}

export class SeededRandom {
  private a: number; private b: number; private c: number; private d: number;
  private spare: number | undefined;

  constructor(seed: number, stream = '') {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InputError(`random weights: "seed" must be an integer in [0, 2^32), got ${seed}`);
    let s = (seed ^ fnv1a(stream)) >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) { let w: number; [s, w] = splitmix32(s); words.push(w); }
    [this.a, this.b, this.c, this.d] = words;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // xoshiro's all-zero state is a fixed point
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in (0, 1): never 0, so log() below is finite. */
  uniform(): number {
    return (this.nextU32() + 0.5) / 4294967296;
  }

  normal(): number {
    if (this.spare !== undefined) { const v = this.spare; this.spare = undefined; return v; }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Standard deviation of embedding initialisation (ViT class token and position embedding use 0.02). */
const EMBEDDING_STD = 0.02;

function initParam(p: ParamSpec, seed: number): WeightTensor {
  const count = p.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  switch (p.role) {
    case 'weight': {
      // Kaiming-normal, fan-in mode, ReLU gain: std = sqrt(2 / fan_in), fan_in = product of all but the output axis.
      const fanIn = p.shape.slice(1).reduce((a, b) => a * b, 1) || 1;
      const std = Math.sqrt(2 / fanIn);
      const rng = new SeededRandom(seed, p.name);
      for (let i = 0; i < count; i++) data[i] = rng.normal() * std;
      break;
    }
    case 'embedding': {
      const rng = new SeededRandom(seed, p.name);
      for (let i = 0; i < count; i++) data[i] = rng.normal() * EMBEDDING_STD;
      break;
    }
    case 'bn-weight': case 'bn-var': data.fill(1); break;
    case 'bias': case 'bn-bias': case 'bn-mean': case 'bn-count': break; // zeros
  }
  return { data, shape: [...p.shape] };
}

/**
 * Seeded initial weights for every parameter of the graph: conv/dense weights kaiming-normal,
 * biases 0, batch/layer-norm scale 1 and offset 0, running mean 0 and variance 1, embeddings
 * N(0, 0.02²). Optional bookkeeping parameters are left out.
 */
export function randomWeights(graph: IRGraph, seed: number): Map<string, WeightTensor> {
  const out = new Map<string, WeightTensor>();
  for (const p of graph.params) if (!p.optional) out.set(p.name, initParam(p, seed));
  return out;
}
