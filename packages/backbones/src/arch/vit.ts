/**
 * torchvision VisionTransformer (models/vision_transformer.py) with its parameter names:
 * `conv_proj`, `class_token`, `encoder.pos_embedding`, `encoder.layers.encoder_layer_{i}.{ln_1,
 * self_attention, ln_2, mlp.0, mlp.3}`, `encoder.ln`, `heads.head`. LayerNorm eps is 1e-6 and the
 * MLP's GELU is the exact (erf) one, as in torchvision.
 *
 * Taps `block1..blockN` are the CLS token after each encoder block, before the final LayerNorm
 * (Kumar: "the global CLS representation ... at the output of every encoder block"; whether the
 * final LN applies is unstated, and the reference values were produced without it).
 */
import { InputError } from '@percept/core';
import type { IRGraph } from '../ir.js';
import { GraphBuilder } from '../graph/builder.js';

export interface ViTOptions {
  imageSize: number;
  patch: number;
  layers: number;
  heads: number;
  dim: number;
  mlpDim: number;
  /** 0 drops the head. Default 1000. */
  classes?: number;
  /** Dropout rate after the embedding and in MLPs (training only). Default 0. */
  dropout?: number;
  name?: string;
}

const LN_EPS = 1e-6;

export function vit(opts: ViTOptions): IRGraph {
  const { imageSize, patch, layers, heads, dim, mlpDim } = opts;
  const classes = opts.classes ?? 1000;
  const dropout = opts.dropout ?? 0;
  for (const [k, v] of Object.entries({ imageSize, patch, layers, heads, dim, mlpDim })) {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`vit: option "${k}" must be a positive integer, got ${v}`);
  }
  if (imageSize % patch !== 0) throw new InputError(`vit: option "imageSize" (${imageSize}) must be divisible by "patch" (${patch})`);
  if (dim % heads !== 0) throw new InputError(`vit: option "dim" (${dim}) must be divisible by "heads" (${heads})`);
  if (!Number.isInteger(classes) || classes < 0) throw new InputError(`vit: option "classes" must be a non-negative integer, got ${classes}`);
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new InputError(`vit: option "dropout" must be in [0, 1), got ${dropout}`);
  const tokens = (imageSize / patch) ** 2 + 1;
  const g = new GraphBuilder(opts.name ?? `vit-p${patch}-l${layers}-d${dim}`);
  let x = g.patchEmbed('conv_proj', 'input', { in: 3, dim, patch });
  x = g.classToken('class_token', x, { param: 'class_token', dim });
  x = g.posEmbed('encoder.pos_embedding', x, { param: 'encoder.pos_embedding', tokens, dim });
  if (dropout > 0) x = g.dropout('encoder.dropout', x, dropout);
  for (let i = 0; i < layers; i++) {
    const p = `encoder.layers.encoder_layer_${i}`;
    let h = g.layerNorm(`${p}.ln_1`, x, { features: dim, eps: LN_EPS });
    h = g.attention(`${p}.self_attention`, h, { dim, heads });
    if (dropout > 0) h = g.dropout(`${p}.dropout`, h, dropout);
    const mid = g.add(`${p}.add_1`, [h, x]);
    let m = g.layerNorm(`${p}.ln_2`, mid, { features: dim, eps: LN_EPS });
    m = g.dense(`${p}.mlp.0`, m, { in: dim, out: mlpDim });
    m = g.gelu(`${p}.mlp.1`, m);
    if (dropout > 0) m = g.dropout(`${p}.mlp.2`, m, dropout);
    m = g.dense(`${p}.mlp.3`, m, { in: mlpDim, out: dim });
    if (dropout > 0) m = g.dropout(`${p}.mlp.4`, m, dropout);
    x = g.add(p, [mid, m]);
    const cls = g.token(`${p}.cls`, x, 0);
    g.tap(`block${i + 1}`, cls, `CLS token after encoder block ${i + 1} of ${layers} (before the final LayerNorm; ${dim} features)`);
  }
  if (classes > 0) {
    let h = g.layerNorm('encoder.ln', x, { features: dim, eps: LN_EPS });
    h = g.token('cls', h, 0);
    h = g.dense('heads.head', h, { in: dim, out: classes });
    g.logits(h);
  }
  return g.build();
}

/** Standard configurations (Dosovitskiy et al.), at a patch size and image size of your choice. */
export const vitPresets = {
  tiny: { layers: 12, heads: 3, dim: 192, mlpDim: 768 },
  small: { layers: 12, heads: 6, dim: 384, mlpDim: 1536 },
  base: { layers: 12, heads: 12, dim: 768, mlpDim: 3072 },
  large: { layers: 24, heads: 16, dim: 1024, mlpDim: 4096 },
} as const;
