/**
 * The `perceptual-score` job: 2AFC Perceptual Score (Kumar et al. Eq. 2 / LPIPS `score_2afc_dataset`)
 * and JND mAP on BAPPS, for any number of distances, in ONE pass over the data.
 *
 * Per batch, ref, p0 and p1 go through the feature extractor in a single `extract` call; every
 * feature distance (and each of its layers, for layer-wise PS) then runs on those same features,
 * and pixel distances run on the decoded images. The reader decodes the next batch meanwhile.
 */
import {
  ExitCode, InputError, PerceptError,
  type Distance, type DistanceResult, type FeatureExtractor, type Features, type HostTensor,
  type JobContext, type JobContribution, type JsonValue, type ModelSpec,
} from '@percept/core';
import { openJnd, openTwoAfc } from './reader.js';
import { VAL_SUBSETS } from './layout.js';
import { parseScoreOptions, scoreOptionsSchema, scoreOutputsSchema, type DistanceSpec, type ScoreOptions } from './job-options.js';
import { resolveLinWeights } from './lin-weights.js';
import { bestLayer, humanCeiling, JndAccumulator, oracle, overallPS, TwoAfcAccumulator } from '@percept/metrics';
import { stratifiedMeanCI } from './scoring.js';

export const PACKAGE_VERSION = '0.1.0';

interface ActiveDistance {
  spec: DistanceSpec;
  distance: Distance;
  layers: string[];
  /** Per subset: per-triplet 2AFC scores of the total distance and of each layer alone. */
  twoAfc: Map<string, TwoAfcAccumulator>;
  /** Per JND subset: distances and "same" fractions, ranked at the end. */
  jnd: Map<string, JndAccumulator>;
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

function checkResult(r: DistanceResult, n: number, id: string): DistanceResult {
  if (r.total.length !== n) throw new PerceptError(`Distance "${id}" returned ${r.total.length} values for a batch of ${n}`);
  return r;
}

/** Resolves the `lin` option of an lpips distance (a name or path) into weights keyed by tap. */
async function distanceOptions(
  spec: DistanceSpec, ctx: JobContext, opts: ScoreOptions, extractor: FeatureExtractor | undefined,
): Promise<Record<string, unknown>> {
  const w = { ...spec.with };
  if (typeof w.lin === 'string') {
    if (!extractor) throw new InputError(`perceptual-score: distance "${spec.id}" uses lin weights but no backbone is configured`);
    // The canonical name, so aliases such as "alex" find the same weights as "alexnet".
    const backbone = opts.backbone ? ctx.registry.get('backbone', opts.backbone.use).name : undefined;
    const lin = await resolveLinWeights(w.lin, { backbone, taps: extractor.taps, baseDir: ctx.baseDir });
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
    // A backbone is loaded only when given; feature distances without one fail below with a clear message.
    if (opts.backbone) {
      const backbone = ctx.registry.get('backbone', opts.backbone.use);
      const spec = await backbone.build(opts.backbone.with, { baseDir: ctx.baseDir });
      const backend = await ctx.registry.get('backend', opts.backend.use).create(opts.backend.with);
      extractor = await backend.load(spec, { maxBatch: 3 * opts.batchSize });
      ctx.record('backbone', { use: opts.backbone.use, with: opts.backbone.with as Record<string, JsonValue>, ...describeModel(spec) });
      const pre = (spec as { preprocessing?: unknown }).preprocessing;
      if (pre) ctx.record('preprocessing', JSON.parse(JSON.stringify(pre)) as JsonValue);
      ctx.record('engine', JSON.parse(JSON.stringify(extractor.info())) as JsonValue);
      ctx.record('taps', [...extractor.taps]);
    }
    for (const { d, c } of contributions) {
      const distance = await c.create(await distanceOptions(d, ctx, opts, extractor));
      if (distance.input === 'features' && !extractor) {
        throw new InputError(`perceptual-score: distance "${d.id}" (${d.use}) compares features, so option "backbone" is required`);
      }
      active.push({ spec: d, distance, layers: [], twoAfc: new Map(), jnd: new Map() });
    }
    ctx.record('distances', Object.fromEntries(active.map((a) => [a.spec.id, { use: a.spec.use, settings: a.distance.settings }])));
    ctx.record('packages', { '@percept/dataset-bapps': PACKAGE_VERSION });

    // ---- 2AFC: one pass -------------------------------------------------------------------
    const judges = new Map<string, number[]>();
    let done = 0;
    const total = reader.size;
    ctx.progress(0, total, 'triplets');
    for await (const batch of reader) {
      throwIfAborted(ctx);
      const n = batch.names.length;
      let fRef: Features | undefined, fP0: Features | undefined, fP1: Features | undefined;
      if (extractor) {
        // The reader stacks ref, p0 and p1 in one buffer: one forward pass, no copy.
        const all = await extractor.extract(batch.images, { signal: ctx.signal });
        fRef = sliceFeatures(all, 0, n, 3 * n);
        fP0 = sliceFeatures(all, n, n, 3 * n);
        fP1 = sliceFeatures(all, 2 * n, n, 3 * n);
      }
      const p = batch.judge;
      const js = judges.get(batch.subset) ?? judges.set(batch.subset, []).get(batch.subset)!;
      for (const v of p) js.push(v);
      for (const a of active) {
        const [r0, r1] = a.distance.input === 'features'
          ? [a.distance.compute(fRef!, fP0!), a.distance.compute(fRef!, fP1!)]
          : [a.distance.compute(batch.ref, batch.p0), a.distance.compute(batch.ref, batch.p1)];
        checkResult(r0, n, a.spec.id);
        checkResult(r1, n, a.spec.id);
        if (!a.layers.length) a.layers = [...r0.layers];
        let acc = a.twoAfc.get(batch.subset);
        if (!acc) { acc = new TwoAfcAccumulator(); a.twoAfc.set(batch.subset, acc); }
        acc.update(r0, r1, p);
      }
      done += n;
      ctx.progress(done, total, 'triplets');
    }

    // ---- JND ---------------------------------------------------------------------------------
    const jndCounts: Record<string, number> = {};
    if (jndReader) {
      let jdone = 0;
      ctx.progress(0, jndReader.size, 'pairs', 'JND');
      for await (const batch of jndReader) {
        throwIfAborted(ctx);
        const n = batch.names.length;
        let f0: Features | undefined, f1: Features | undefined;
        if (extractor) {
          const all = await extractor.extract(batch.images, { signal: ctx.signal });
          f0 = sliceFeatures(all, 0, n, 2 * n);
          f1 = sliceFeatures(all, n, n, 2 * n);
        }
        for (const a of active) {
          const r = checkResult(a.distance.input === 'features' ? a.distance.compute(f0!, f1!) : a.distance.compute(batch.p0, batch.p1), n, a.spec.id);
          let acc = a.jnd.get(batch.subset);
          if (!acc) { acc = new JndAccumulator(); a.jnd.set(batch.subset, acc); }
          acc.update(r, batch.same);
        }
        jndCounts[batch.subset] = (jndCounts[batch.subset] ?? 0) + n;
        jdone += n;
        ctx.progress(jdone, jndReader.size, 'pairs', 'JND');
      }
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
