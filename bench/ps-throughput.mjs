#!/usr/bin/env node
/**
 * Perceptual Score throughput, end to end: BAPPS-layout PNG triplets decoded, AlexNet features,
 * LPIPS (lin) distances and 2AFC scores, in triplets per second. Percept runs the real
 * `perceptual-score` job (runPerceptualScore: its reader with prefetch, the onnx backend, the lpips
 * distance); PyTorch runs an equivalent loop (bench/ps_throughput_torch.py: PIL decoding, torchvision
 * AlexNet, the same safetensors weights) with the same thread count. The two alternate, each in a
 * fresh process, so both see the same machine load. Model loading is not timed on either side.
 *
 *   npm run build && node bench/ps-throughput.mjs [--threads 2] [--count 400] [--repeats 3] [--batch 50] [--variants]
 *
 * --count is triplets per synthetic subset (5 subsets, 64×64). --variants adds Percept with its
 * LPIPS computed in JavaScript (distanceHeads false), alone and with a main-thread session. PERCEPT_ASSETS must hold
 * weights/alexnet-features.safetensors and weights/lpips-v0.1-alex-lin.safetensors.
 * Runs against the packages' dist/ builds. Machines are shared and noisy: read the ratios.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const bin = join(repo, 'packages/cli/dist/bin.js');
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const threads = Number(opt('--threads', Math.min(2, os.availableParallelism())));
// 5 × 400 = 2,000 triplets: long enough that start-up (a new session's first, slow runs) does not
// dominate, as it does not in a real evaluation (BAPPS val 2AFC has ~36k triplets).
const count = Number(opt('--count', 400));
const repeats = Number(opt('--repeats', 3));
const batch = Number(opt('--batch', 50));
const PYTHON = process.env.PERCEPT_PYTHON ?? '/usr/bin/python3';
const assets = resolve(process.env.PERCEPT_ASSETS ?? join(repo, '../shared/assets'));
const weights = join(assets, 'weights/alexnet-features.safetensors');
const lin = join(assets, 'weights/lpips-v0.1-alex-lin.safetensors');

// ---- worker: one timed pass of the perceptual-score job ----------------------------------------
if (args.includes('--worker')) {
  const { createRegistry } = await import('@percept/cli');
  const { runPerceptualScore } = await import('@percept/dataset-bapps');
  const root = opt('--root');
  const registry = await createRegistry({ cwd: process.cwd() });
  let t0 = 0;
  let t1 = 0;
  let cpu0;
  let cpu = 0;
  let triplets = 0;
  const records = {};
  const ctx = {
    stepId: 'bench', outputDir: root, runDir: root, baseDir: process.cwd(), registry,
    signal: new AbortController().signal,
    log: { info() {}, warn: (m) => console.error(m), error: (m) => console.error(m), debug() {} },
    // The job reports 0/total right before its loop over the triplets and done/total after each batch.
    progress(done, total, unit) {
      if (unit !== 'triplets') return;
      if (done === 0) { t0 = performance.now(); cpu0 = process.cpuUsage(); }
      else {
        t1 = performance.now();
        triplets = done;
        const c = process.cpuUsage(cpu0);
        cpu = (c.user + c.system) / 1e6;
      }
    },
    record(key, value) { records[key] = value; },
  };
  const result = await runPerceptualScore({
    root,
    jnd: false,
    subsets: opt('--subsets').split(','),
    backbone: { use: 'alexnet', with: { weights: 'pretrained' } },
    backend: { use: 'onnx', with: { intraOpNumThreads: threads, sessionThread: opt('--session-thread', 'worker') } },
    distances: [{ id: 'lin', use: 'lpips', with: { variant: 'lin', lin: 'pretrained' } }],
    batchSize: batch,
    bootstrap: false,
    distanceHeads: !args.includes('--no-heads'),
  }, ctx);
  const seconds = (t1 - t0) / 1000;
  console.log(JSON.stringify({ triplets, seconds, cpuSeconds: cpu, tripletsPerSecond: triplets / seconds, score: result.ps.lin, engine: records.engine }));
  process.exit(0);
}

// ---- breakdown worker: decoding alone (the job's reader), then the forward pass alone -----------
if (args.includes('--breakdown-worker')) {
  const { createRegistry } = await import('@percept/cli');
  const { openTwoAfc } = await import('@percept/dataset-bapps');
  const root = opt('--root');
  const registry = await createRegistry({ cwd: process.cwd() });
  const spec = await registry.get('backbone', 'alexnet').build({ weights: 'pretrained' }, { baseDir: process.cwd() });
  const backend = await registry.get('backend', 'onnx').create({ intraOpNumThreads: threads });
  const extractor = await backend.load(spec, { maxBatch: 3 * batch });
  let t = performance.now();
  const inputs = [];
  // batch.images holds ref, p0 and p1 stacked, as the job feeds them to the extractor.
  for await (const b of await openTwoAfc({ root, subsets: opt('--subsets').split(','), batchSize: batch })) inputs.push(b.images);
  const decode = (performance.now() - t) / 1000;
  await extractor.extract(inputs[0]); // warm-up
  t = performance.now();
  for (const x of inputs) await extractor.extract(x);
  const forward = (performance.now() - t) / 1000;
  await extractor.dispose();
  // What the job runs: the forward pass with the LPIPS head, (ref, p0) and (ref, p1) per triplet.
  const { LpipsDistance } = await import('@percept/metrics');
  const { resolveLinWeights } = await import('@percept/dataset-bapps');
  const linWeights = await resolveLinWeights('pretrained', { backbone: 'alexnet', taps: extractor.taps, baseDir: process.cwd() });
  const head = new LpipsDistance({ variant: 'lin', lin: { weights: linWeights.weights } }).head('lin', extractor.taps);
  const fused = await backend.load(spec, { maxBatch: 3 * batch, heads: [head], tapOutputs: false });
  const pairs = (n) => ({ a: Int32Array.from({ length: 2 * n }, (_, i) => i % n), b: Int32Array.from({ length: 2 * n }, (_, i) => n + i) });
  await fused.extract(inputs[0], { pairs: pairs(inputs[0].shape[0] / 3) }); // warm-up
  t = performance.now();
  for (const x of inputs) await fused.extract(x, { pairs: pairs(x.shape[0] / 3) });
  const forwardLpips = (performance.now() - t) / 1000;
  await fused.dispose();
  console.log(JSON.stringify({ images: inputs.reduce((a, x) => a + x.shape[0], 0), decode, forward, forwardLpips }));
  process.exit(0);
}

// ---- orchestrator ----------------------------------------------------------------------------
for (const f of [bin, weights, lin]) {
  if (!existsSync(f)) {
    console.error(`missing ${f}${f === bin ? ' (run npm run build first)' : ' (set PERCEPT_ASSETS)'}`);
    process.exit(2);
  }
}
const sha256 = (f) => createHash('sha256').update(readFileSync(f)).digest('hex');
const env = { ...process.env, ORT_DISABLE_TELEMETRY: '1', PERCEPT_ASSETS: assets };
const tmp = mkdtempSync(join(os.tmpdir(), 'percept-ps-bench-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const root = join(tmp, 'bapps');
const gen = spawnSync(process.execPath, [bin, 'data', 'synth-2afc', '-o', root, '--count', String(count), '--size', '64', '--soft-judges', '5'], { env, encoding: 'utf8' });
if (gen.status !== 0) {
  console.error(`synth-2afc failed:\n${gen.stderr}`);
  process.exit(1);
}
const subsets = ['photometric', 'noise', 'blur', 'spatial', 'compression'];

// Pinning a run to `threads` cores (taskset) leaves it no other core for anything: libuv's file
// reads, V8's GC threads, a DataLoader process. It is the strict same-cores comparison.
const cores = Array.from({ length: threads }, (_, i) => i).join(',');
const canPin = threads < os.availableParallelism() && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pinned = (cmd, argv, pin) => (pin ? ['taskset', ['-c', cores, cmd, ...argv]] : [cmd, argv]);

function percept(uvThreads, pin = false, extra = []) {
  const r = spawnSync(...pinned(process.execPath, [fileURLToPath(import.meta.url), '--worker', '--root', root, '--subsets', subsets.join(','), '--threads', String(threads), '--batch', String(batch), ...extra], pin),
    { env: { ...env, UV_THREADPOOL_SIZE: String(uvThreads) }, encoding: 'utf8', cwd: repo });
  if (r.status !== 0) throw new Error(`percept worker failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function torch(loaderWorkers, pin = false) {
  const r = spawnSync(...pinned(PYTHON, [join(here, 'ps_throughput_torch.py'), '--root', root, '--subsets', subsets.join(','), '--weights', weights, '--lin', lin,
    '--threads', String(threads), '--batch', String(batch), '--loader-workers', String(loaderWorkers)], pin),
  { env: { ...env, OMP_NUM_THREADS: String(threads) }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`PyTorch run failed (${PYTHON}):\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  return { ...lines.find((l) => !l.info), info: lines.find((l) => l.info)?.info };
}

const ort = await import('onnxruntime-node');
const sharp = (await import('sharp')).default;
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`node ${process.version}, onnxruntime-node ${ort.env.versions?.node ?? '?'}, sharp ${sharp.versions?.sharp ?? '?'} (libvips ${sharp.versions?.vips ?? '?'})`);
console.log(`data: ${subsets.length * count} synthetic 64×64 BAPPS-layout triplets (percept data synth-2afc), batch ${batch}, ${threads} compute thread(s) on each side`);
console.log(`weights: alexnet-features.safetensors sha256 ${sha256(weights).slice(0, 16)}…, lpips-v0.1-alex-lin.safetensors sha256 ${sha256(lin).slice(0, 16)}…`);

// Each configuration: [label, run]. Percept with the default libuv pool (4) and with one of `threads`
// size, so decoding cannot borrow more threads than PyTorch has; PyTorch decoding inline and with a
// DataLoader worker process prefetching the next batch.
const configs = [
  ['Percept perceptual-score (onnx), defaults: session in a worker thread, LPIPS head in the graph', () => percept(4)],
  ['Percept, session on the main thread (sessionThread "main")', () => percept(4, false, ['--session-thread', 'main'])],
  ['PyTorch loop, PIL decode inline', () => torch(0)],
  ['PyTorch loop, DataLoader 1 worker process', () => torch(1)],
];
if (args.includes('--variants')) {
  configs.push(
    ['Percept, LPIPS in JavaScript on the returned taps (distanceHeads false)', () => percept(4, false, ['--no-heads'])],
    ['Percept, both: main-thread session and JavaScript LPIPS (the design before worker sessions and heads)', () => percept(4, false, ['--session-thread', 'main', '--no-heads'])],
  );
}
if (canPin) {
  configs.push(
    [`Percept perceptual-score (onnx), defaults, pinned to ${threads} core(s)`, () => percept(4, true)],
    [`PyTorch loop, PIL decode inline, pinned to ${threads} core(s)`, () => torch(0, true)],
  );
}
const runs = configs.map(() => []);
let torchInfo;
for (let r = 0; r < repeats; r++) {
  for (const [i, [label, run]] of configs.entries()) {
    const res = run();
    if (res.info) torchInfo = res.info;
    runs[i].push(res);
    console.error(`repeat ${r + 1}/${repeats}: ${label}: ${res.tripletsPerSecond.toFixed(1)} triplets/s (2AFC ${res.score.toFixed(2)})`);
  }
}
if (torchInfo) console.log(`torch ${torchInfo.torch}, torchvision ${torchInfo.torchvision}, Pillow ${torchInfo.pillow}, torch threads ${torchInfo.threads}`);
const engine = runs[0][0].engine;
if (engine) console.log(`percept engine: ${JSON.stringify(engine)}`);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const best = (i) => Math.max(...runs[i].map((x) => x.tripletsPerSecond));
const med = (i) => median(runs[i].map((x) => x.tripletsPerSecond));
const torchBest = best(2);
const torchMed = med(2);
console.log('');
// CPU seconds of the whole process (every thread) over the timed loop: less sensitive to other
// load than wall time, and it shows what a side spends beyond its compute threads.
const cpuMed = (i) => median(runs[i].map((x) => x.cpuSeconds));
console.log(`| engine | triplets/s (median of ${repeats}) | best | vs PyTorch inline (median) | CPU s (median) | 2AFC score |`);
console.log('|---|---|---|---|---|---|');
for (const [i, [label]] of configs.entries()) {
  console.log(`| ${label} | ${med(i).toFixed(1)} | ${best(i).toFixed(1)} | ${(med(i) / torchMed).toFixed(2)}× | ${cpuMed(i).toFixed(2)} | ${runs[i][0].score.toFixed(2)} |`);
}
// Per-repeat ratios: each repeat's runs are minutes apart at most, so they saw similar load.
const ratios = runs[0].map((p, r) => p.tripletsPerSecond / runs[2][r].tripletsPerSecond);
console.log('');
console.log(`Percept (default) ÷ PyTorch inline, per repeat: ${ratios.map((x) => `${x.toFixed(2)}×`).join(', ')}; best ÷ best ${(best(0) / torchBest).toFixed(2)}×`);
// Percept's default spends a second thread (decoding beside the worker's forward pass); so does a
// DataLoader with one worker process: the like-for-like two-thread comparison.
const loaderRatios = runs[0].map((p, r) => p.tripletsPerSecond / runs[3][r].tripletsPerSecond);
console.log(`Percept (default) ÷ PyTorch with a 1-worker DataLoader, per repeat: ${loaderRatios.map((x) => `${x.toFixed(2)}×`).join(', ')}`);
if (canPin) {
  const at = (prefix) => configs.findIndex(([label]) => label.startsWith(prefix) && label.includes('pinned'));
  const pinnedRatios = runs[at('Percept')].map((p, r) => p.tripletsPerSecond / runs[at('PyTorch')][r].tripletsPerSecond);
  console.log(`Percept ÷ PyTorch inline, both pinned to ${threads} core(s), per repeat: ${pinnedRatios.map((x) => `${x.toFixed(2)}×`).join(', ')}`);
}
console.log(`load average after the runs: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

// Where the time goes: each side's decoding alone and forward pass alone (one warm-up batch first).
const bd = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--breakdown-worker', '--root', root, '--subsets', subsets.join(','), '--threads', String(threads), '--batch', String(batch)],
  { env: { ...env, UV_THREADPOOL_SIZE: '4' }, encoding: 'utf8', cwd: repo });
const tb = spawnSync(PYTHON, [join(here, 'ps_throughput_torch.py'), '--breakdown', '--root', root, '--subsets', subsets.join(','), '--weights', weights, '--lin', lin,
  '--threads', String(threads), '--batch', String(batch)], { env: { ...env, OMP_NUM_THREADS: String(threads) }, encoding: 'utf8' });
if (bd.status === 0 && tb.status === 0) {
  const p = JSON.parse(bd.stdout.trim().split('\n').pop());
  const q = JSON.parse(tb.stdout.trim().split('\n').pop());
  console.log('');
  console.log(`| stage (${p.images} images) | Percept s | PyTorch s |`);
  console.log('|---|---|---|');
  console.log(`| decode PNG → float batches | ${p.decode.toFixed(2)} (the job's reader) | ${q.decode.toFixed(2)} (PIL) |`);
  console.log(`| AlexNet forward to the taps | ${p.forward.toFixed(2)} (onnxruntime, taps returned) | ${q.forward.toFixed(2)} (torch) |`);
  console.log(`| forward + LPIPS lin of both pairs | ${p.forwardLpips.toFixed(2)} (onnxruntime, LPIPS head in the graph) | ${q.forwardLpips.toFixed(2)} (torch) |`);
} else {
  console.error(`breakdown failed:\n${bd.stderr}\n${tb.stderr}`);
}
const scores = new Set(runs.flat().map((x) => x.score.toFixed(3)));
console.log(scores.size === 1 ? `Both compute the same 2AFC score (${[...scores][0]}).` : `2AFC scores differ between engines: ${[...scores].join(', ')}`);
