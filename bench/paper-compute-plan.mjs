/**
 * What a paper workflow (workflows/paper/*.workflow.json) asks of the hardware at full scale, read
 * from its steps: the images every training run steps through and the images every scoring cell
 * sends through a model, per model. Pure functions (no timing, no models), so the counting is
 * tested on its own (packages/cli/test/paper-compute-plan.test.ts) and bench/paper-compute.mjs
 * only multiplies the counts by measured rates.
 *
 * Dataset sizes are the published ones (SPEC §6.2 for BAPPS, rounded to hundreds as LPIPS gives
 * them; ImageNet-64 has ImageNet's 1,281,167 training and 50,000 validation images).
 */
import { canonicalJson, expandMatrix } from '@percept/core';

export const IMAGENET_VAL_IMAGES = 50_000;
/** 2AFC val triplets per subset (3 images each: ref, p0, p1). */
export const BAPPS_2AFC_VAL = Object.freeze({ traditional: 4700, cnn: 4700, superres: 10_900, deblur: 9400, color: 4700, frameinterp: 1900 });
/** JND val pairs per subset (2 images each). */
export const BAPPS_JND_VAL = Object.freeze({ traditional: 4800, cnn: 4800 });
/** train-classifier's default batch size (packages/training defaultTrainConfig). */
const DEFAULT_TRAIN_BATCH = 256;

/**
 * Options that do not change a model's cost (or change it negligibly: `classes` resizes only the
 * last dense layer, `skip: false` drops the residual additions, dropout and stochastic depth are
 * elementwise), so models differing only in them share one measured rate.
 */
const COST_NEUTRAL = new Set(['weights', 'seed', 'sha256', 'select', 'stripPrefix', 'taps', 'preprocessing', 'classes', 'skip', 'dropout', 'stochasticDepth']);

/** A backbone `{ use, with }` reduced to the options that change its compute. */
export function costBackbone(backbone) {
  if (!backbone || typeof backbone.use !== 'string') throw new Error(`expected a backbone { use, with }, got ${JSON.stringify(backbone)}`);
  return { use: backbone.use, with: Object.fromEntries(Object.entries(backbone.with ?? {}).filter(([k]) => !COST_NEUTRAL.has(k))) };
}

/** The cost identity of a backbone `{ use, with }`: its name plus the options that change its compute. */
export function modelKey(backbone) {
  const b = costBackbone(backbone);
  return Object.keys(b.with).length ? `${b.use} ${canonicalJson(b.with)}` : b.use;
}

const VIT_PRESETS = [
  { name: 'B', dim: 768, layers: 12, heads: 12, mlpDim: 3072 },
  { name: 'L', dim: 1024, layers: 24, heads: 16, mlpDim: 4096 },
];

/**
 * A readable name and a command-line id for a (cost) backbone: ResNet-50 ×0.25 / resnet50-w0.25,
 * ViT-B/8 / vit-b8, ViT-L/4 d=256 / vit-l4-dim256, ViT-B/8 ×4 blocks / vit-b8-layers4. `preset`
 * marks the standard ViTs; `order` sorts families (ResNets, EfficientNets, ViTs, others).
 */
export function modelLabel(backbone) {
  const { use, with: o } = costBackbone(backbone);
  const rest = Object.entries(o).filter(([k]) => k !== 'width');
  const suffix = rest.length ? ` ${canonicalJson(Object.fromEntries(rest))}` : '';
  let m = /^resnet(\d+)$/.exec(use);
  if (m) {
    const w = o.width !== undefined && o.width !== 1 ? o.width : undefined;
    return { label: `ResNet-${m[1]}${w ? ` ×${w}` : ''}${suffix}`, id: `${use}${w ? `-w${w}` : ''}`, order: 100 + Number(m[1]) + (w ? 0.5 : 0) };
  }
  m = /^efficientnet_b(\d)$/.exec(use);
  if (m) return { label: `EfficientNet-B${m[1]}${o.width ? ` ×${o.width}` : ''}${suffix}`, id: `${use}${o.width ? `-w${o.width}` : ''}`, order: 400 + Number(m[1]) };
  if (use === 'vit') {
    const patch = o.patch ?? 8;
    const v = { dim: o.dim ?? 768, layers: o.layers ?? 12, heads: o.heads ?? 12, mlpDim: o.mlpDim ?? 3072 };
    const family = VIT_PRESETS.find((p) => p.heads === v.heads) ?? VIT_PRESETS[0];
    const base = `ViT-${family.name}/${patch}`;
    const diffs = ['dim', 'layers'].filter((k) => v[k] !== family[k]);
    const preset = diffs.length === 0 && v.mlpDim === family.mlpDim && (o.imageSize ?? 64) === 64;
    const id = `vit-${family.name.toLowerCase()}${patch}${diffs.map((k) => `-${k}${v[k]}`).join('')}`;
    const label = `${base}${diffs.map((k) => (k === 'dim' ? ` dim ${v.dim}` : ` ${v.layers} block${v.layers === 1 ? '' : 's'}`)).join(',')}`;
    return { label, id, preset, order: 700 + (family.name === 'L' ? 20 : 0) + (patch === 4 ? 10 : 0) + (preset ? 0 : 1) };
  }
  return { label: `${use}${suffix}`, id: use, order: 900 };
}

/** Replaces `${matrix.<key>}` in every string of a JSON value with the cell's value (whole-string references keep the value's type). */
export function substituteMatrix(value, cell) {
  if (typeof value === 'string') {
    const whole = /^\$\{matrix\.([A-Za-z0-9_-]+)\}$/.exec(value);
    if (whole && Object.hasOwn(cell, whole[1])) return cell[whole[1]];
    return value.replace(/\$\{matrix\.([A-Za-z0-9_-]+)\}/g, (m, k) => (Object.hasOwn(cell, k) ? String(cell[k]) : m));
  }
  if (Array.isArray(value)) return value.map((v) => substituteMatrix(v, cell));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteMatrix(v, cell)]));
  return value;
}

function sum(table, names, what) {
  let n = 0;
  for (const s of names) {
    if (!Object.hasOwn(table, s)) throw new Error(`${what}: unknown BAPPS subset "${s}" (known: ${Object.keys(table).join(', ')})`);
    n += table[s];
  }
  return n;
}

function twoAfcTriplets(w, where) {
  const split = w.split ?? 'val';
  if (split !== 'val') throw new Error(`${where}: split "${split}" has no size table here (only BAPPS val)`);
  return sum(BAPPS_2AFC_VAL, w.subsets ?? Object.keys(BAPPS_2AFC_VAL), `${where} option "subsets"`);
}

/**
 * Images one cell of a scoring step sends through its backbone, and which outputs it needs:
 * `taps` (features for distances or statistics) or `logits` (top-1). Undefined for steps that run
 * no backbone.
 */
export function passOf(uses, w, where) {
  switch (uses) {
    case 'perceptual-score': {
      if (!w.backbone) return undefined; // pixel metrics only
      const jnd = w.jnd === false ? [] : w.jnd ?? Object.keys(BAPPS_JND_VAL);
      return { outputs: 'taps', images: 3 * twoAfcTriplets(w, where) + 2 * sum(BAPPS_JND_VAL, jnd, `${where} option "jnd"`), what: 'BAPPS val' };
    }
    case 'distortion-sensitivity':
      return w.backbone ? { outputs: 'taps', images: 3 * twoAfcTriplets(w, where), what: 'BAPPS val 2AFC' } : undefined;
    case 'activation-entropy':
      // Reference patches only.
      return w.backbone ? { outputs: 'taps', images: twoAfcTriplets(w, where), what: 'BAPPS val references' } : undefined;
    case 'accuracy':
      return { outputs: 'logits', images: w.limit ?? IMAGENET_VAL_IMAGES, what: 'ImageNet val' };
    case 'lowpass-accuracy': {
      const radii = Array.isArray(w.r) ? w.r.length : 0;
      return { outputs: 'logits', images: (1 + radii) * (w.limit ?? IMAGENET_VAL_IMAGES), what: `ImageNet val × ${1 + radii} (clean + ${radii} radii)` };
    }
    default:
      return undefined;
  }
}

/**
 * Everything a workflow runs at full scale (profiles are not applied):
 * - trainings: one per train-classifier step (its matrix cells, if any), images = steps × batchSize;
 * - passes: one per cell of each scoring step that runs a backbone;
 * - other: steps that run no backbone (reports, pareto, pixel-only scores, dynamic-range).
 * Each entry names its model by modelKey, and `trainKey` identifies a training by all its options
 * (what a shared cache would reuse across workflows).
 */
export function planWorkflow(workflow, name = workflow?.name ?? 'workflow') {
  if (!workflow || typeof workflow.steps !== 'object' || workflow.steps === null) throw new Error(`${name}: no "steps" object`);
  const trainings = [];
  const passes = [];
  const other = [];
  for (const [id, step] of Object.entries(workflow.steps)) {
    const cells = step.matrix ? expandMatrix(step.matrix) : [{}];
    for (const cell of cells) {
      const w = substituteMatrix(step.with ?? {}, cell);
      const where = `${name}: step "${id}"`;
      if (step.uses === 'train-classifier') {
        if (!Number.isInteger(w.steps) || w.steps < 1) throw new Error(`${where}: "with.steps" must be a positive integer, got ${JSON.stringify(w.steps)}`);
        if (!w.backbone) throw new Error(`${where}: "with.backbone" is missing`);
        const batch = w.batchSize ?? DEFAULT_TRAIN_BATCH;
        trainings.push({ step: id, cell, model: modelKey(w.backbone), backbone: costBackbone(w.backbone), steps: w.steps, batchSize: batch, images: w.steps * batch, trainKey: canonicalJson(w) });
        continue;
      }
      const pass = passOf(step.uses, w, where);
      if (pass && w.backbone) passes.push({ step: id, uses: step.uses, cell, model: modelKey(w.backbone), backbone: costBackbone(w.backbone), ...pass });
      else other.push({ step: id, uses: step.uses, cell });
    }
  }
  return { name, trainings, passes, other };
}

/** Counts per job kind, for the docs' one-line summaries. */
export function summarisePlan(plan) {
  const byUses = {};
  for (const p of plan.passes) byUses[p.uses] = (byUses[p.uses] ?? 0) + 1;
  return {
    trainings: plan.trainings.length,
    trainImages: plan.trainings.reduce((a, t) => a + t.images, 0),
    passes: byUses,
    passImages: plan.passes.reduce((a, p) => a + p.images, 0),
    models: [...new Set([...plan.trainings.map((t) => t.model), ...plan.passes.map((p) => p.model)])],
  };
}

/**
 * Seconds a plan takes given per-model rates in images/s: `rates(model)` returns
 * { train, taps, logits } (any may be undefined: that part is then reported as missing).
 * Returns totals and the models whose rate was missing.
 */
export function estimatePlan(plan, rates) {
  const out = { trainSeconds: 0, tapSeconds: 0, logitSeconds: 0, missing: new Set() };
  for (const t of plan.trainings) {
    const r = rates(t.model)?.train;
    if (r > 0) out.trainSeconds += t.images / r; else out.missing.add(`${t.model} (training)`);
  }
  for (const p of plan.passes) {
    const r = rates(p.model)?.[p.outputs];
    if (r > 0) out[p.outputs === 'taps' ? 'tapSeconds' : 'logitSeconds'] += p.images / r; else out.missing.add(`${p.model} (${p.outputs})`);
  }
  return { ...out, missing: [...out.missing] };
}

/** Trainings of several plans with the same options counted once (a shared PERCEPT_CACHE). */
export function distinctTrainings(plans) {
  const seen = new Map();
  for (const plan of plans) for (const t of plan.trainings) if (!seen.has(t.trainKey)) seen.set(t.trainKey, t);
  return [...seen.values()];
}
