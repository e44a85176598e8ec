#!/usr/bin/env node
/**
 * Compute the paper workflows need at full scale (issue #9): every model that workflows/paper/
 * trains or scores is measured here at 64×64 with seeded random weights (speed does not depend on
 * the values), then each workflow's steps are counted (bench/paper-compute-plan.mjs) and multiplied
 * out.
 *
 * Measured per model:
 * - inference on onnxruntime (cpu provider, 1 intra-op thread), through OnnxBackend as the jobs load
 *   it: "taps" = the perceptual-score job's load (LPIPS baseline head over every tap computed inside
 *   the model, no tap outputs; batches of ref/p0/p1 triplets with their two pairs), "logits" = the
 *   accuracy job's (logits only). One warm-up run, then runs until ~2 s have passed; images/s over
 *   the timed runs.
 * - training with @percept/training's trainClassifier (the train-classifier job's trainer: inception
 *   crop + flip, Nesterov SGD with weight decay, the tpu-step schedule) on synthetic 64×64 images
 *   of 1000 classes, on the engine `engine: "auto"` picks here (selectEngine). One warm-up step,
 *   then a few timed steps (images/s over them); the batch is small (the paper's is 1024) and chosen
 *   per model so a step takes seconds.
 * - parameters (from the IR's params) and multiply-accumulates per 64×64 image of the conv, dense,
 *   patch-embedding and attention layers (from the IR's inferred shapes), for other hardware.
 * Models the workflows use but that are not measured (ViT width/depth sweep points above 2 GMAC, or
 * anything left out by --models) get rates scaled by MACs from the measured model of the same family
 * nearest in MACs, marked "scaled"; so do the training rates of models whose step would take over a
 * minute (ViT-B/4, ViT-L/8, ViT-L/4: scaled from ViT-B/8).
 *
 *   npm run build   # or: npx nx run-many -t build -p @percept/backend-onnx @percept/training @percept/metrics
 *   node bench/paper-compute.mjs [--quick] [--models resnet6,resnet50,vit-b8] [--no-train] [--workflows fig01,fig05]
 *
 * --quick: one timed run/step and ~0.5 s of inference per model; models whose training step would
 * take over ~20 s are scaled instead of trained. --models takes bench ids (resnet6, resnet50-w0.25,
 * vit-b8, vit-l4, efficientnet_b0, alexnet, …; "list" prints them; "none" measures nothing and
 * prints only the counts, parameters and FLOPs). Runs against the packages' dist/.
 * Machines are shared: the load average is printed; read the figures as approximate.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { Registry, imageBatch } from '@percept/core';
import backbones, { countParams, declaredTaps, inferShapes, vit } from '@percept/backbones';
import { OnnxBackend } from '@percept/backend-onnx';
import { tf } from '@percept/backend-tfjs';
import { LPIPS_EPSILON } from '@percept/metrics';
import { defaultTrainConfig, selectEngine, syntheticSource, trainClassifier } from '@percept/training';
import { IMAGENET_VAL_IMAGES, BAPPS_2AFC_VAL, BAPPS_JND_VAL, distinctTrainings, estimatePlan, modelLabel, planWorkflow, summarisePlan } from './paper-compute-plan.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const quick = args.includes('--quick');
const noTrain = args.includes('--no-train');
const INFER_SECONDS = quick ? 0.5 : 2;
const TRAIN_STEPS = quick ? 1 : 2;
/** Rough single-thread speeds used only to size batches (measured ResNet-18 ≈ 20 GMAC/s on onnx; ResNet-50 training ≈ 0.8 GMAC/s on wasm). */
const ONNX_GMACS = 20;
const TRAIN_GMACS = 0.8;
/** Training is measured only when a step of one image is expected to take less than this (seconds); bigger models are scaled. */
const TRAIN_MAX_STEP = 60;

// ---------------------------------------------------------------------------------------------
// Workflows and the models they use.

const paperDir = resolve(here, '../workflows/paper');
const onlyWorkflows = opt('--workflows')?.split(',');
const plans = readdirSync(paperDir).filter((f) => f.endsWith('.workflow.json')).sort()
  .filter((f) => !onlyWorkflows || onlyWorkflows.some((w) => f.startsWith(w)))
  .map((f) => planWorkflow(JSON.parse(readFileSync(join(paperDir, f), 'utf8')), f.replace('.workflow.json', '')));

/** Every model of the plans: key → { backbone (cost-relevant options), label, id }. */
const models = new Map();
for (const p of plans) for (const e of [...p.trainings, ...p.passes]) if (!models.has(e.model)) models.set(e.model, { key: e.model, backbone: e.backbone, ...modelLabel(e.backbone) });

/** Measured by default: everything but the larger ViT sweep points (their rates scale with MACs within a family). */
const SWEEP_VIT_MAX_GMACS = 2;
const isSweepVit = (m) => m.backbone.use === 'vit' && !m.preset && macsPerImage(vitGraph(m.backbone.with)) / 1e9 > SWEEP_VIT_MAX_GMACS;
const wanted = opt('--models');
if (wanted === 'list') {
  for (const m of models.values()) console.log(`${m.id.padEnd(28)} ${m.label}${isSweepVit(m) ? ' (scaled by default)' : ''}`);
  process.exit(0);
}
const wantedIds = wanted === 'none' ? [] : wanted?.split(',');
if (wantedIds) {
  const unknown = wantedIds.filter((id) => ![...models.values()].some((m) => m.id === id));
  if (unknown.length) {
    console.error(`--models: unknown id(s) ${unknown.join(', ')}; run with --models list`);
    process.exit(2);
  }
}
const toMeasure = [...models.values()].filter((m) => (wantedIds ? wantedIds.includes(m.id) : !isSweepVit(m)));

// ---------------------------------------------------------------------------------------------
// Cost from the IR.

const registry = new Registry([backbones]);

/** Multiply-accumulates per image (batch 1, 64×64) of conv, dense, patch-embedding and attention nodes. */
function macsPerImage(graph) {
  const shapes = inferShapes(graph, [1, 3, 64, 64]);
  const prod = (s) => s.reduce((a, b) => a * b, 1);
  let macs = 0;
  for (const n of graph.nodes) {
    const out = shapes.get(n.id);
    if (!out) continue;
    if (n.op === 'conv2d') macs += prod(out) * (n.inChannels / n.groups) * n.kernel[0] * n.kernel[1];
    else if (n.op === 'dense') macs += prod(out) * n.inFeatures;
    else if (n.op === 'patchembed') macs += prod(out) * n.inChannels * n.patch * n.patch;
    else if (n.op === 'attention') {
      const [, t, d] = out;
      macs += 4 * t * d * d + 2 * t * t * d; // q, k, v and output projections; scores and weighted sum
    }
  }
  return macs;
}

function vitGraph(o) {
  return vit({ imageSize: o.imageSize ?? 64, patch: o.patch ?? 8, layers: o.layers ?? 12, heads: o.heads ?? 12, dim: o.dim ?? 768, mlpDim: o.mlpDim ?? 3072 });
}

/** The graph alone (no weights) for cost counting; ViTs are built directly because their random weights take seconds. */
async function graphOf(m) {
  if (m.backbone.use === 'vit') return vitGraph(m.backbone.with);
  return (await build(m)).graph;
}

async function build(m) {
  return registry.get('backbone', m.backbone.use).build({ ...m.backbone.with, weights: 'random', seed: 0 }, { baseDir: here });
}

// ---------------------------------------------------------------------------------------------
// Measurements.

const pow2Floor = (x) => 2 ** Math.floor(Math.log2(Math.max(1, x)));
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

function pixels(n) {
  const data = new Float32Array(n * 64 * 64 * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  return imageBatch(data, n, 64, 64);
}

/** Warm-up run, then runs until `INFER_SECONDS` have passed; images/s over the timed runs. */
async function timeExtract(extractor, images, options) {
  await extractor.extract(images, options);
  let n = 0;
  const t0 = performance.now();
  do {
    await extractor.extract(images, options);
    n++;
  } while (performance.now() - t0 < INFER_SECONDS * 1000);
  return (n * images.shape[0]) / ((performance.now() - t0) / 1000);
}

async function measureInference(spec, gmacs) {
  const batch = clamp(pow2Floor((3 * ONNX_GMACS) / gmacs), 1, 64);
  const backend = new OnnxBackend({ intraOpNumThreads: 1 });
  // perceptual-score: triplets (ref, p0, p1 stacked by field), LPIPS baseline over every tap inside the model.
  const triplets = Math.max(1, Math.floor(batch / 3));
  const layers = declaredTaps(spec);
  const head = { kind: 'lpips', id: 'lpips', layers, weights: layers.map(() => null), epsilon: LPIPS_EPSILON };
  const ps = await backend.load(spec, { maxBatch: 3 * triplets, heads: [head], tapOutputs: false });
  let taps;
  try {
    if (!(ps.heads ?? []).includes('lpips')) throw new Error(`${spec.name}: the onnx backend did not take the LPIPS head`);
    const refs = Int32Array.from({ length: 2 * triplets }, (_, i) => i % triplets);
    const others = Int32Array.from({ length: 2 * triplets }, (_, i) => triplets + i); // p0 then p1
    const pairs = { a: refs, b: others };
    taps = await timeExtract(ps, pixels(3 * triplets), { pairs });
  } finally {
    await ps.dispose();
  }
  // accuracy: logits only (trunks such as the LPIPS AlexNet have none).
  let logits;
  if (spec.graph.logits) {
    const acc = await backend.load(spec, { logits: true, taps: [spec.graph.logits], maxBatch: batch });
    try {
      logits = await timeExtract(acc, pixels(batch), {});
    } finally {
      await acc.dispose();
    }
  }
  return { taps, tapsBatch: 3 * triplets, logits, logitsBatch: logits ? batch : undefined };
}

let trainEngine;
async function measureTraining(spec, gmacs) {
  trainEngine ??= await selectEngine('auto');
  const stepSeconds = (b) => (3 * gmacs * b) / TRAIN_GMACS;
  const batch = clamp(pow2Floor(4 / stepSeconds(1)), stepSeconds(2) > TRAIN_MAX_STEP ? 1 : 2, 32);
  if (stepSeconds(batch) > (quick ? 20 : TRAIN_MAX_STEP)) return { skipped: `a step would take ~${stepSeconds(batch).toFixed(0)} s` };
  const steps = stepSeconds(batch) > 20 ? 1 : TRAIN_STEPS;
  const head = spec.graph.nodes.find((n) => n.id === spec.graph.logits);
  const classes = head?.op === 'dense' ? head.outFeatures : 1000;
  const dir = mkdtempSync(join(os.tmpdir(), 'percept-paper-compute-'));
  const stop = new AbortController();
  const times = [];
  let last;
  try {
    await trainClassifier(
      { ...defaultTrainConfig, steps: 1_000_000, batchSize: batch, imageSize: 64, checkpointEvery: 1_000_000, shuffleBuffer: 64 },
      {
        model: { graph: spec.graph, weights: spec.weights, preprocessing: spec.preprocessing },
        train: syntheticSource({ classes, perClass: 1, size: 72 }),
        outputDir: dir,
        signal: stop.signal,
        onStep: (step) => {
          const now = performance.now();
          if (step >= 1) times.push(now - last); // step 0 is the warm-up
          last = now;
          if (times.length >= steps) stop.abort();
        },
      },
    );
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = times.reduce((a, b) => a + b, 0) / 1000;
  return { rate: (times.length * batch) / seconds, batch, steps: times.length };
}

// ---------------------------------------------------------------------------------------------

const cpu = os.cpus();
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`machine: ${cpu[0]?.model ?? 'unknown cpu'} ×${cpu.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}; node ${process.version}`);
console.log(`onnxruntime-node ${ort.env.versions.node} (cpu provider, 1 intra-op thread); tfjs ${tf.version.tfjs}`);
console.log(`load average at start: ${load()}${quick ? '; --quick' : ''}`);
console.log(`workflows: ${plans.map((p) => p.name).join(', ')}`);
console.log(`models used by them: ${models.size}; measured here: ${toMeasure.length}${noTrain ? ' (inference only, --no-train)' : ''}`);
const efficientnets = [...models.values()].filter((m) => m.backbone.use.startsWith('efficientnet'));
if (!efficientnets.length) console.log('note: no workflow uses an EfficientNet');
try {
  registry.get('backbone', 'efficientnet_b0');
} catch {
  console.log('note: the backbone registry has no efficientnet_b0..b5: EfficientNets skipped');
}
const results = new Map(); // key → { params, macs, taps, logits, train, ... , measured: bool }
const t00 = performance.now();
for (const m of toMeasure) {
  const t0 = performance.now();
  let spec;
  try {
    spec = await build(m);
  } catch (err) {
    console.log(`  ${m.label}: skipped, it does not build (${err.message})`);
    continue;
  }
  const macs = macsPerImage(spec.graph);
  const r = { params: countParams(spec.graph), macs, measured: true };
  const inf = await measureInference(spec, macs / 1e9);
  Object.assign(r, inf);
  if (!noTrain && spec.graph.logits) {
    try {
      r.train = await measureTraining(spec, macs / 1e9);
    } catch (err) {
      r.train = { skipped: err.message.split('\n')[0] };
    }
  }
  results.set(m.key, r);
  spec = undefined;
  const train = r.train?.rate ? `train ${r.train.rate.toFixed(2)} img/s (batch ${r.train.batch}, ${r.train.steps} step${r.train.steps > 1 ? 's' : ''})` : r.train?.skipped ? `train skipped: ${r.train.skipped}` : 'no training';
  console.log(`  ${m.label}: ${(macs / 1e9).toFixed(3)} GMAC, taps ${r.taps.toFixed(1)} img/s, logits ${r.logits?.toFixed(1) ?? '–'} img/s, ${train} [${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load()}]`);
}
console.log(`measuring took ${((performance.now() - t00) / 60000).toFixed(1)} min; load average at the end: ${load()}; training engine: ${trainEngine ? `${trainEngine.engine} ${trainEngine.engineVersion} (${trainEngine.provider}${trainEngine.threads ? `, ${trainEngine.threads} thread(s)` : ''})` : 'none used'}`);

const family = (m) => (m.backbone.use === 'vit' ? `vit/p${m.backbone.with.patch ?? 8}` : m.backbone.use.replace(/\d+$/, '').replace(/_b$/, ''));
// Training not measured (too slow for this bench): scale by MACs from the trained model of the
// family nearest in MACs (ViTs of any patch size form one family: their cost is matrix products).
const trainFamily = (m) => (m.backbone.use === 'vit' ? 'vit' : family(m));
for (const [k, r] of results) if (r.measured && r.train && !r.train.rate) {
  // Training skipped (its step would take too long): scale from a trained model of the family.
  const m = models.get(k);
  const refs = [...results.entries()].filter(([k2, x]) => x.measured && x.train?.rate && !x.train.scaledFrom && trainFamily(models.get(k2)) === trainFamily(m));
  if (refs.length) {
    const [rk, ref] = refs.sort((a, b) => Math.abs(Math.log(a[1].macs / r.macs)) - Math.abs(Math.log(b[1].macs / r.macs)))[0];
    r.train = { rate: (ref.train.rate * ref.macs) / r.macs, scaledFrom: models.get(rk).label, skipped: r.train.skipped };
  }
}

// Unmeasured models: scale by MACs from the measured model of the same family nearest in MACs.
const nearest = (macs, ok) => [...results.entries()].filter(([k, x]) => x.measured && ok(models.get(k), x))
  .sort((a, b) => Math.abs(Math.log(a[1].macs / macs)) - Math.abs(Math.log(b[1].macs / macs)))[0];
for (const m of models.values()) {
  if (results.has(m.key)) continue;
  const graph = await graphOf(m);
  const macs = macsPerImage(graph);
  const r = { macs, params: countParams(graph), measured: false };
  const inf = nearest(macs, (o) => family(o) === family(m));
  if (inf) Object.assign(r, { scaledFrom: models.get(inf[0]).label, taps: (inf[1].taps * inf[1].macs) / macs, logits: inf[1].logits && (inf[1].logits * inf[1].macs) / macs });
  const tr = nearest(macs, (o, x) => x.train?.rate > 0 && !x.train.scaledFrom && trainFamily(o) === trainFamily(m));
  if (tr) r.train = { rate: (tr[1].train.rate * tr[1].macs) / macs, scaledFrom: models.get(tr[0]).label };
  results.set(m.key, r);
}

// ---------------------------------------------------------------------------------------------
// Tables.

const TRAIN_IMAGES_90 = 112_590 * 1024; // the workflows' 90 epochs at batch 1024
const PS_IMAGES = 3 * Object.values(BAPPS_2AFC_VAL).reduce((a, b) => a + b, 0) + 2 * Object.values(BAPPS_JND_VAL).reduce((a, b) => a + b, 0);
function duration(s) {
  if (!Number.isFinite(s)) return '–';
  if (s < 90) return `${s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(0)} min`;
  if (s < 2 * 86400) return `${(s / 3600).toFixed(1)} h`;
  if (s < 2 * 365 * 86400) return `${(s / 86400).toFixed(0)} d`;
  const y = s / (365 * 86400);
  return `${y < 100 ? y.toFixed(1) : Math.round(y).toLocaleString('en-US')} y`;
}
const fmt = (x, d = 1) => (x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(x >= 10 ? d : Math.max(d, 2)));

console.log('\n### Per model (64×64, random weights; measured on this machine unless marked scaled)\n');
console.log(`PS pass = BAPPS val 2AFC (${Object.values(BAPPS_2AFC_VAL).reduce((a, b) => a + b, 0)} triplets × 3 images) + JND (${Object.values(BAPPS_JND_VAL).reduce((a, b) => a + b, 0)} pairs × 2) = ${PS_IMAGES} images; accuracy pass = ${IMAGENET_VAL_IMAGES} images; 90 epochs = 112590 steps × 1024 = ${(TRAIN_IMAGES_90 / 1e6).toFixed(1)}M images (extrapolated).\n`);
console.log('| model | params (M) | GMAC / image | PS taps, onnx img/s (batch) | logits, onnx img/s (batch) | training, tfjs img/s (batch) | one PS pass | one accuracy pass | 90 epochs of training |');
console.log('|---|---|---|---|---|---|---|---|---|');
const ordered = [...models.values()].sort((a, b) => a.order - b.order || results.get(a.key).macs - results.get(b.key).macs);
for (const m of ordered) {
  const r = results.get(m.key);
  const tag = r.measured ? '' : r.scaledFrom ? ` (scaled from ${r.scaledFrom})` : ' (not measured)';
  const trainCell = r.train?.rate
    ? `${fmt(r.train.rate, 2)}${r.train.batch ? ` (${r.train.batch})` : ''}${r.train.scaledFrom && r.measured ? ` (scaled from ${r.train.scaledFrom}: ${r.train.skipped})` : ''}`
    : r.train?.skipped ? `skipped: ${r.train.skipped}` : '–';
  console.log(`| ${m.label}${tag} | ${r.params !== undefined ? (r.params / 1e6).toFixed(2) : '–'} | ${(r.macs / 1e9).toFixed(3)} | ${fmt(r.taps)}${r.tapsBatch ? ` (${r.tapsBatch})` : ''} | ${fmt(r.logits)}${r.logitsBatch ? ` (${r.logitsBatch})` : ''} | ${trainCell} | ${duration(PS_IMAGES / r.taps)} | ${duration(IMAGENET_VAL_IMAGES / r.logits)} | ${duration(TRAIN_IMAGES_90 / r.train?.rate)} |`);
}

const rates = (key) => {
  const r = results.get(key);
  return r && { taps: r.taps, logits: r.logits, train: r.train?.rate };
};

console.log('\n### Per workflow (extrapolated from the per-model rates; one process, 1 thread, no GPU)\n');
console.log('Training ≈ 6 FLOPs per MAC and image (forward, backward), scoring ≈ 2 (forward only); PFLOP = 10¹⁵.\n');
console.log('| workflow | trainings | training images | training PFLOP | scoring cells | scored images | scoring PFLOP | training time | scoring time | rates scaled by MACs, not measured |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const p of plans) {
  const s = summarisePlan(p);
  const e = estimatePlan(p, rates);
  const noRate = [...new Set(e.missing.map((x) => { const k = x.replace(/ \((training|taps|logits)\)$/, ''); return `${models.get(k)?.label ?? k} (${x.slice(k.length + 2, -1)})`; }))];
  const scaled = s.models.filter((k) => !results.get(k)?.measured && results.get(k)?.scaledFrom).map((k) => models.get(k).label);
  const trained = new Set(p.trainings.map((t) => t.model));
  const scaledTraining = s.models.filter((k) => results.get(k)?.measured && trained.has(k) && results.get(k).train?.scaledFrom).map((k) => `${models.get(k).label} (training)`);
  scaled.push(...scaledTraining);
  const cells = Object.entries(s.passes).map(([u, n]) => `${n} ${u}`).join(', ') || '–';
  const trainPflop = p.trainings.reduce((a, t) => a + 6 * t.images * results.get(t.model).macs, 0) / 1e15;
  const scorePflop = p.passes.reduce((a, q) => a + 2 * q.images * results.get(q.model).macs, 0) / 1e15;
  const pf = (x) => (x === 0 ? '0' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(2));
  console.log(`| ${p.name} | ${s.trainings} | ${(s.trainImages / 1e9).toFixed(2)}G | ${pf(trainPflop)} | ${cells} | ${(s.passImages / 1e6).toFixed(1)}M | ${pf(scorePflop)} | ${s.trainings ? duration(e.trainSeconds) : '–'} | ${s.passImages ? `${duration(e.tapSeconds + e.logitSeconds)} (taps ${duration(e.tapSeconds)}, logits ${duration(e.logitSeconds)})` : '–'} | ${[...scaled, ...(noRate.length ? [`no rate (left out of the times, which are lower bounds): ${noRate.join(', ')}`] : [])].join('; ') || '–'} |`);
}
const shared = distinctTrainings(plans);
const sharedSeconds = estimatePlan({ trainings: shared, passes: [] }, rates).trainSeconds;
const allTrain = plans.reduce((a, p) => a + p.trainings.length, 0);
const allScoring = plans.reduce((a, p) => { const e = estimatePlan(p, rates); return a + e.tapSeconds + e.logitSeconds; }, 0);
console.log(`\nAll workflows: ${allTrain} train-classifier runs, ${shared.length} with distinct options (a shared PERCEPT_CACHE trains those once): ${duration(sharedSeconds)} of training on this machine (extrapolated); scoring, summed over the workflows without sharing: ${duration(allScoring)}.`);
