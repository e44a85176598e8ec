/**
 * The `perceptual-score` job: 2AFC Perceptual Score (Kumar et al. Eq. 2 / LPIPS `score_2afc_dataset`)
 * and JND mAP on BAPPS, for any number of distances, in ONE pass over the data.
 *
 * Per batch, ref, p0 and p1 go through the feature extractor in a single `extract` call; every
 * feature distance (and each of its layers, for layer-wise PS) then runs on those same features,
 * and pixel distances run on the decoded images. The next batch's forward pass is queued before a
 * batch's feature distances run, and the reader decodes the batch after it meanwhile (see `pipeline`).
 */
import {
  ExitCode, InputError, PerceptError,
  type Distance, type DistanceHeadSpec, type DistanceResult, type FeatureExtractor, type Features, type HostTensor, type ImageBatch, type ImagePairs,
  type JobContext, type JobContribution, type JsonValue, type ModelSpec,
} from '@percept/core';
import { openJnd, openTwoAfc } from './reader.js';
import { VAL_SUBSETS } from './layout.js';
import { parseScoreOptions, scoreOptionsSchema, scoreOutputsSchema, type DistanceSpec, type ScoreOptions } from './job-options.js';
import { resolveLinWeights } from './lin-weights.js';
import { bestLayer, humanCeiling, JndAccumulator, oracle, overallPS, TwoAfcAccumulator } from '@percept/metrics';
import { stratifiedMeanCI } from './scoring.js';
import { declaredTaps } from '@percept/backbones';

export const PACKAGE_VERSION = '0.1.0';

interface ActiveDistance {
  spec: DistanceSpec;
  distance: Distance;
  layers: string[];
  /** Per subset: per-triplet 2AFC scores of the total distance and of each layer alone. */
  twoAfc: Map<string, TwoAfcAccumulator>;
  /** Per JND subset: distances and "same" fractions, ranked at the end. */
  jnd: Map<string, JndAccumulator>;
  /** Computed by the backend inside the model: results come in `Features.heads[spec.id]`. */
  head: boolean;
}

/** Takes samples [start, start+n) of every tap (the batch axis is first in every layout). */
function sliceFeatures(f: Features, start: number, n: number, total: number): Features {
  const taps: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(f.taps)) {
    if (t.shape[0] !== total) throw new InputError(`Feature tap "${name}" has batch size ${t.shape[0]}, expected ${total} (the images passed to extract)`);
    const per = t.data.length / total;
    taps[name] = { data: t.data.subarray(start * per, (start + n) * per), shape: [n, ...t.shape.slice(1)], layout: t.layout };
  }
  return { taps };
}

/** Image pairs for a batch of `n` samples stacked by field: field pair [f, g] compares image f·n+i with g·n+i. */
const pairCache = new Map<string, ImagePairs>();
function pairsOf(n: number, fields: ReadonlyArray<readonly [number, number]>): ImagePairs {
  const key = `${n}:${fields.join(';')}`;
  let pairs = pairCache.get(key);
  if (!pairs) {
    const a = new Int32Array(fields.length * n), b = new Int32Array(fields.length * n);
    fields.forEach(([f, g], j) => {
      for (let i = 0; i < n; i++) { a[j * n + i] = f * n + i; b[j * n + i] = g * n + i; }
    });
    pairCache.set(key, (pairs = { a, b }));
  }
  return pairs;
}

function headOf(features: Features, a: ActiveDistance): DistanceResult {
  const r = features.heads?.[a.spec.id];
  if (!r) throw new PerceptError(`perceptual-score: the backend returned no result for distance head "${a.spec.id}"`);
  return r;
}

/** Values [start, start+n) of a distance result. */
function sliceResult(r: DistanceResult, start: number, n: number): DistanceResult {
  return { total: r.total.subarray(start, start + n), perLayer: r.perLayer.map((l) => l.subarray(start, start + n)), layers: r.layers };
}

function checkResult(r: DistanceResult, n: number, id: string): DistanceResult {
  if (r.total.length !== n) throw new PerceptError(`Distance "${id}" returned ${r.total.length} values for a batch of ${n}`);
  return r;
}

function accumulateTwoAfc(a: ActiveDistance, subset: string, r0: DistanceResult, r1: DistanceResult, judge: Float32Array, n: number): void {
  checkResult(r0, n, a.spec.id);
  checkResult(r1, n, a.spec.id);
  if (!a.layers.length) a.layers = [...r0.layers];
  let acc = a.twoAfc.get(subset);
  if (!acc) { acc = new TwoAfcAccumulator(); a.twoAfc.set(subset, acc); }
  acc.update(r0, r1, judge);
}

function accumulateJnd(a: ActiveDistance, subset: string, r: DistanceResult, same: Float32Array, n: number): void {
  checkResult(r, n, a.spec.id);
  let acc = a.jnd.get(subset);
  if (!acc) { acc = new JndAccumulator(); a.jnd.set(subset, acc); }
  acc.update(r, same);
}

/**
 * One pass over a reader with the forward pass of the next batch always queued: each batch's images
 * go to the extractor as soon as the reader hands the batch over, `withImages` runs at once (pixel
 * distances, judges: the reader reuses a batch's buffer once the batch after next is requested, so
 * nothing may read the images later), and the function it returns gets the batch's features one
 * batch later, after the next batch has been submitted. With the onnx backend's worker-thread
 * session, decoding, pixel distances and feature distances thereby run beside inference. Every
 * accumulator still sees its batches in reader order, so results do not depend on the overlap.
 */
async function pipeline<B extends { images: ImageBatch; names: readonly string[] }>(
  batches: AsyncIterable<B>, extractor: FeatureExtractor | undefined, ctx: JobContext,
  pairs: (n: number) => ImagePairs,
  withImages: (batch: B) => (features: Features | undefined) => void,
): Promise<void> {
  let previous: { finish: (features: Features | undefined) => void; features?: Promise<Features> } | undefined;
  const withHeads = (extractor?.heads?.length ?? 0) > 0;
  for await (const batch of batches) {
    throwIfAborted(ctx);
    const features = extractor?.extract(batch.images, { signal: ctx.signal, pairs: withHeads ? pairs(batch.names.length) : undefined });
    // Awaited below; if this pass fails first, the rejection is not left unhandled.
    features?.catch(() => undefined);
    const finish = withImages(batch);
    if (previous) previous.finish(await previous.features);
    previous = { finish, features };
  }
  if (previous) previous.finish(await previous.features);
}

/** Resolves the `lin` option of an lpips distance (a name or path) into weights keyed by tap. */
async function distanceOptions(
  spec: DistanceSpec, ctx: JobContext, opts: ScoreOptions, taps: readonly string[] | undefined,
): Promise<Record<string, unknown>> {
  const w = { ...spec.with };
  if (typeof w.lin === 'string') {
    if (!taps) throw new InputError(`perceptual-score: distance "${spec.id}" uses lin weights but no backbone is configured`);
    // The canonical name, so aliases such as "alex" find the same weights as "alexnet".
    const backbone = opts.backbone ? ctx.registry.get('backbone', opts.backbone.use).name : undefined;
    const lin = await resolveLinWeights(w.lin, { backbone, taps, baseDir: ctx.baseDir });
    ctx.record(`linWeights.${spec.id}`, { file: lin.file, sha256: lin.sha256 });
    w.lin = { weights: lin.weights };
  }
  return w;
}

export function describeModel(spec: ModelSpec): Record<string, JsonValue> {
  const s = spec as ModelSpec & { provenance?: unknown; preprocessing?: unknown; sha256?: string; path?: string };
  return JSON.parse(JSON.stringify({
    kind: spec.kind, name: spec.name,
    weights: s.provenance ?? (s.sha256 ? { source: 'file', path: s.path, sha256: s.sha256 } : null),
  })) as Record<string, JsonValue>;
}

export function throwIfAborted(ctx: JobContext): void {
  if (ctx.signal.aborted) {
    throw ctx.signal.reason instanceof Error
      ? ctx.signal.reason
      : new PerceptError(`${ctx.stepId}: interrupted`, { exitCode: ExitCode.interrupted });
  }
}

export async function runPerceptualScore(rawOptions: Record<string, unknown>, ctx: JobContext): Promise<Record<string, JsonValue>> {
  const opts = parseScoreOptions(rawOptions, ctx.baseDir);
  // Nothing below keeps a batch (or a view of its images) past its iteration, so the readers may
  // decode into two alternating buffers.
  const reader = await openTwoAfc({
    root: opts.root, split: opts.split, subsets: opts.subsets, batchSize: opts.batchSize, onError: opts.onError, limit: opts.limit,
    reuseBuffers: true,
  });
  const jndReader = opts.jnd.length
    ? await openJnd({ root: opts.root, subsets: opts.jnd, batchSize: opts.batchSize, onError: opts.onError, limit: opts.limit, reuseBuffers: true })
    : undefined;

  // Look every distance up before loading a network, so a misspelt name fails in milliseconds.
  const contributions = opts.distances.map((d) => ({ d, c: ctx.registry.get('distance', d.use) }));

  let extractor: FeatureExtractor | undefined;
  const active: ActiveDistance[] = [];
  try {
    const createDistances = async (taps: readonly string[] | undefined) => {
      for (const { d, c } of contributions) {
        const distance = await c.create(await distanceOptions(d, ctx, opts, taps));
        if (distance.input === 'features' && !opts.backbone) {
          throw new InputError(`perceptual-score: distance "${d.id}" (${d.use}) compares features, so option "backbone" is required`);
        }
        active.push({ spec: d, distance, layers: [], twoAfc: new Map(), jnd: new Map(), head: false });
      }
    };
    // A backbone is loaded only when given; feature distances without one fail with a clear message.
    if (opts.backbone) {
      const backbone = ctx.registry.get('backbone', opts.backbone.use);
      const spec = await backbone.build(opts.backbone.with, { baseDir: ctx.baseDir });
      const backend = await ctx.registry.get('backend', opts.backend.use).create(opts.backend.with);
      // Distances that have a head form run inside the model when the backend can compute it
      // there. That needs the distances (and their lin weights) before the model loads, so only
      // models whose taps are known up front (Percept backbones) qualify.
      const declared = opts.distanceHeads && backend.heads?.includes('lpips') ? declaredTaps(spec) : undefined;
      if (declared) {
        await createDistances(declared);
        const heads = active.flatMap((a) => (a.distance.input === 'features' && a.distance.head ? [a.distance.head(a.spec.id, declared)] : []))
          .filter((h): h is DistanceHeadSpec => h !== undefined && (backend.heads ?? []).includes(h.kind));
        const needTaps = active.some((a) => a.distance.input === 'features' && !heads.some((h) => h.id === a.spec.id));
        extractor = await backend.load(spec, { maxBatch: 3 * opts.batchSize, heads, tapOutputs: needTaps });
        const taken = new Set(extractor.heads ?? []);
        const dropped = heads.filter((h) => !taken.has(h.id));
        if (dropped.length && !needTaps) {
          throw new PerceptError(`perceptual-score: backend "${opts.backend.use}" declares "lpips" heads but did not take ${dropped.map((h) => h.id).join(', ')}`);
        }
        for (const a of active) a.head = taken.has(a.spec.id);
      } else {
        extractor = await backend.load(spec, { maxBatch: 3 * opts.batchSize });
        await createDistances(extractor.taps);
      }
      ctx.record('backbone', { use: opts.backbone.use, with: opts.backbone.with as Record<string, JsonValue>, ...describeModel(spec) });
      const pre = (spec as { preprocessing?: unknown }).preprocessing;
      if (pre) ctx.record('preprocessing', JSON.parse(JSON.stringify(pre)) as JsonValue);
      ctx.record('engine', JSON.parse(JSON.stringify(extractor.info())) as JsonValue);
      ctx.record('taps', [...extractor.taps]);
    } else {
      await createDistances(undefined);
    }
    ctx.record('distances', Object.fromEntries(active.map((a) => [a.spec.id, {
      use: a.spec.use,
      settings: a.distance.settings,
      ...(a.distance.input === 'features' ? { computedBy: a.head ? `${opts.backend.use} backend, inside the model (float32)` : 'JavaScript on the returned taps (float64)' } : {}),
    }])));
    ctx.record('packages', { '@percept/dataset-bapps': PACKAGE_VERSION });

    // ---- 2AFC: one pass -------------------------------------------------------------------
    const judges = new Map<string, number[]>();
    let done = 0;
    const total = reader.size;
    ctx.progress(0, total, 'triplets');
    // Heads compare (ref, p0) for every triplet, then (ref, p1).
    await pipeline(reader, extractor, ctx, (n) => pairsOf(n, [[0, 1], [0, 2]]), (batch) => {
      const n = batch.names.length;
      const subset = batch.subset;
      const p = batch.judge;
      const js = judges.get(subset) ?? judges.set(subset, []).get(subset)!;
      for (const v of p) js.push(v);
      for (const a of active) {
        if (a.distance.input === 'features') continue;
        accumulateTwoAfc(a, subset, a.distance.compute(batch.ref, batch.p0), a.distance.compute(batch.ref, batch.p1), p, n);
      }
      return (all: Features | undefined) => {
        if (all) {
          // The reader stacks ref, p0 and p1 in one buffer: one forward pass, no copy.
          const fRef = sliceFeatures(all, 0, n, 3 * n);
          const fP0 = sliceFeatures(all, n, n, 3 * n);
          const fP1 = sliceFeatures(all, 2 * n, n, 3 * n);
          for (const a of active) {
            if (a.distance.input !== 'features') continue;
            if (a.head) {
              const r = headOf(all, a);
              accumulateTwoAfc(a, subset, sliceResult(r, 0, n), sliceResult(r, n, n), p, n);
            } else {
              accumulateTwoAfc(a, subset, a.distance.compute(fRef, fP0), a.distance.compute(fRef, fP1), p, n);
            }
          }
        }
        done += n;
        ctx.progress(done, total, 'triplets');
      };
    });

    // ---- JND ---------------------------------------------------------------------------------
    const jndCounts: Record<string, number> = {};
    if (jndReader) {
      let jdone = 0;
      ctx.progress(0, jndReader.size, 'pairs', 'JND');
      await pipeline(jndReader, extractor, ctx, (n) => pairsOf(n, [[0, 1]]), (batch) => {
        const n = batch.names.length;
        const subset = batch.subset;
        const same = batch.same;
        for (const a of active) {
          if (a.distance.input === 'features') continue;
          accumulateJnd(a, subset, a.distance.compute(batch.p0, batch.p1), same, n);
        }
        return (all: Features | undefined) => {
          if (all) {
            const f0 = sliceFeatures(all, 0, n, 2 * n);
            const f1 = sliceFeatures(all, n, n, 2 * n);
            for (const a of active) {
              if (a.distance.input !== 'features') continue;
              accumulateJnd(a, subset, a.head ? headOf(all, a) : a.distance.compute(f0, f1), same, n);
            }
          }
          jndCounts[subset] = (jndCounts[subset] ?? 0) + n;
          jdone += n;
          ctx.progress(jdone, jndReader.size, 'pairs', 'JND');
        };
      });
    }

    // ---- Scores ------------------------------------------------------------------------------
    const skippedList = [...reader.skipped, ...(jndReader?.skipped ?? [])];
    ctx.record('skipped', { count: skippedList.length, samples: skippedList.slice(0, 100).map((s) => ({ ...s })) });
    if (skippedList.length) ctx.log.warn(`${ctx.stepId}: skipped ${skippedList.length} bad sample(s); see the manifest`);

    const scored = opts.subsets.filter((s) => (judges.get(s)?.length ?? 0) > 0);
    if (scored.length === 0) throw new InputError(`perceptual-score: no triplet could be scored under ${opts.root}`);
    const counts = Object.fromEntries(scored.map((s) => [s, judges.get(s)!.length]));
    const paperPS = opts.split === 'val' && opts.limit === null && skippedList.length === 0
      && VAL_SUBSETS.every((s) => scored.includes(s));
    const boot = opts.bootstrap;

    const distances: Record<string, JsonValue> = {};
    const ps: Record<string, number> = {};
    for (const a of active) {
      const accs = scored.map((s) => a.twoAfc.get(s)!);
      const results = accs.map((acc) => acc.compute());
      const twoAfc: Record<string, JsonValue> = {};
      const bySubset: Record<string, number> = {};
      scored.forEach((s, i) => {
        const ci = boot ? accs[i].ci({ resamples: boot.resamples, seed: boot.seed }) : null;
        bySubset[s] = results[i].score;
        twoAfc[s] = { score: 100 * results[i].score, ci95: ci ? [100 * ci.lower, 100 * ci.upper] : null, n: results[i].n };
      });
      const overall = 100 * overallPS(bySubset);
      ps[a.spec.id] = overall;
      const overallCI = boot ? stratifiedMeanCI(accs.map((acc) => acc.scores()), boot.resamples, boot.seed) : null;
      // Layer-wise PS (Kumar §8.3): each layer's distance alone, scored like the total.
      const layerTwoAfc: Record<string, Record<string, number>> = {};
      const layerPS: Record<string, number> = {};
      for (const layer of a.layers) {
        const perSubset = Object.fromEntries(scored.map((s, i) => [s, results[i].perLayer[layer]]));
        layerTwoAfc[layer] = Object.fromEntries(Object.entries(perSubset).map(([s, v]) => [s, 100 * v]));
        layerPS[layer] = 100 * overallPS(perSubset);
      }
      const best = a.layers.length ? bestLayer(layerPS) : null;
      const jnd: Record<string, JsonValue> = {};
      const jndValues: number[] = [];
      for (const [s, acc] of a.jnd) {
        const r = acc.compute();
        jnd[s] = { mAP: 100 * r.map, n: r.n, perLayer: Object.fromEntries(Object.entries(r.perLayer as Record<string, number>).map(([l, v]) => [l, 100 * v])) };
        jndValues.push(100 * r.map);
      }
      distances[a.spec.id] = {
        use: a.spec.use,
        input: a.distance.input,
        settings: a.distance.settings,
        twoAfc,
        ps: overall,
        psCI95: overallCI ? [100 * overallCI.lower, 100 * overallCI.upper] : null,
        layers: a.layers,
        layerPS,
        layerTwoAfc,
        bestLayer: best ? { layer: best.layer, ps: best.score } : null,
        jnd,
        jndMean: jndValues.length ? jndValues.reduce((x, y) => x + y, 0) / jndValues.length : null,
      };
    }
    return {
      ps,
      paperPS,
      split: opts.split,
      subsets: scored,
      counts,
      humanCeiling: Object.fromEntries(scored.map((s) => [s, 100 * humanCeiling(judges.get(s)!)])),
      oracle: Object.fromEntries(scored.map((s) => [s, 100 * oracle(judges.get(s)!)])),
      jndCounts,
      skipped: skippedList.length,
      distances,
    };
  } finally {
    await extractor?.dispose();
  }
}

export const perceptualScoreJob: JobContribution = {
  kind: 'job',
  name: 'perceptual-score',
  description: 'BAPPS 2AFC Perceptual Score (per subset, overall, per layer, bootstrap CIs) and JND mAP for any set of distances, in one pass over the images.',
  optionsSchema: scoreOptionsSchema,
  outputsSchema: scoreOutputsSchema,
  run: runPerceptualScore,
};
