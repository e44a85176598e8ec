/**
 * Distance heads compiled into the model: LPIPS between pairs of images of a batch, computed by
 * onnxruntime right after the taps it reads, so a session returns a few numbers per pair instead of
 * every tap (a 150-image AlexNet batch has 19 MB of taps; copying them out of onnxruntime, faulting
 * in fresh memory for them and collecting them afterwards cost more than the arithmetic).
 *
 * Per layer, as `lpips` in @percept/metrics (SPEC §1.2), in float32:
 *   x̂ = x / (sqrt(Σ_c x²) + ε);  d = Σ_c w_c (x̂_a − x̂_b)²;  value = mean over positions of d.
 * The graph takes two int32 inputs, `pair_a` and `pair_b` [m]: pair k compares images a[k] and b[k]
 * of the batch. Each tap is normalised once per ε, whatever the number of heads reading it.
 */
import { InputError, type LpipsHeadSpec } from '@percept/core';
import type { GraphBuilder } from './builder.js';

export const PAIR_A = 'pair_a';
export const PAIR_B = 'pair_b';

/** A tap as the head sees it: its tensor in the graph and where its channel axis is. */
export interface HeadTap {
  tensor: string;
  /** 4: NCHW maps; 3: [N, T, D] tokens (channels last); 2: [N, C]. */
  rank: number;
  /** Channels, when known (checked against lin weights). */
  channels?: number;
}

export interface CompiledHead {
  id: string;
  layers: string[];
  /** Graph output per layer, each [m]. */
  outputs: string[];
}

function channelAxis(rank: number): number {
  if (rank === 4 || rank === 2) return 1;
  if (rank === 3) return 2;
  throw new InputError(`Distance heads need taps of rank 2 to 4, got rank ${rank}.`);
}

/** Broadcast shape of per-channel weights for a tap of this rank. */
function weightShape(rank: number, c: number): number[] {
  if (rank === 4) return [1, c, 1, 1];
  if (rank === 3) return [1, 1, c];
  return [1, c];
}

/** Emits every head; `taps` maps tap names to their tensors. The pair inputs must be declared by the caller. */
export function emitLpipsHeads(b: GraphBuilder, heads: readonly LpipsHeadSpec[], taps: ReadonlyMap<string, HeadTap>): CompiledHead[] {
  const normalised = new Map<string, string>();
  const ids = new Set<string>();
  return heads.map((head) => {
    if (head.kind !== 'lpips') throw new InputError(`The onnx backend cannot compile a distance head of kind "${String(head.kind)}".`);
    if (ids.has(head.id)) throw new InputError(`Two distance heads share the id "${head.id}".`);
    ids.add(head.id);
    if (head.weights.length !== head.layers.length) {
      throw new InputError(`Distance head "${head.id}": ${head.weights.length} weight entries for ${head.layers.length} layers.`);
    }
    if (!(head.epsilon >= 0)) throw new InputError(`Distance head "${head.id}": epsilon must be >= 0, got ${head.epsilon}.`);
    const outputs = head.layers.map((layer, l) => {
      const tap = taps.get(layer);
      if (!tap) throw new InputError(`Distance head "${head.id}" reads layer "${layer}", which is not a tap of this model (taps: ${[...taps.keys()].join(', ')}).`);
      const ca = channelAxis(tap.rank);
      const key = `${tap.tensor}|${head.epsilon}`;
      let xn = normalised.get(key);
      if (!xn) {
        const base = `head/${layer}`;
        const sumSq = b.op('ReduceSumSquare', [tap.tensor], `${base}/sumsq`, { axes: [ca], keepdims: 1 });
        const norm = b.op('Sqrt', [sumSq], `${base}/norm`);
        const den = b.op('Add', [norm, b.floatConst([head.epsilon], [])], `${base}/norm_eps`);
        xn = b.op('Div', [tap.tensor, den], `${base}/unit`);
        normalised.set(key, xn);
      }
      const base = `head/${head.id}/${layer}`;
      const a = b.op('Gather', [xn, PAIR_A], `${base}/a`, { axis: 0 });
      const bb = b.op('Gather', [xn, PAIR_B], `${base}/b`, { axis: 0 });
      const diff = b.op('Sub', [a, bb], `${base}/diff`);
      let sq = b.op('Mul', [diff, diff], `${base}/sq`);
      const w = head.weights[l];
      if (w) {
        if (tap.channels !== undefined && w.length !== tap.channels) {
          throw new InputError(`Distance head "${head.id}": ${w.length} lin weights for layer "${layer}", which has ${tap.channels} channels.`);
        }
        const wName = b.floatInit(b.fresh(`${base}/lin`), weightShape(tap.rank, w.length), w);
        sq = b.op('Mul', [sq, wName], `${base}/weighted`);
      }
      const perPosition = b.op('ReduceSum', [sq, b.int64Const([ca])], `${base}/channels`, { keepdims: 0 });
      // Positions left after the channel axis is gone: [m, H, W] → axes 1, 2; [m, T] → axis 1; [m] → none.
      const spatial = tap.rank === 4 ? [1, 2] : tap.rank === 3 ? [1] : [];
      const name = b.fresh(`lpips:${head.id}:${layer}`);
      if (spatial.length) b.node('ReduceMean', [perPosition], [name], { axes: spatial, keepdims: 0 });
      else b.node('Identity', [perPosition], [name]);
      return name;
    });
    return { id: head.id, layers: [...head.layers], outputs };
  });
}
