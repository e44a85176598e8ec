#!/usr/bin/env node
/**
 * ResNet-18 inference throughput on onnxruntime-node (Percept's IR compiled to ONNX), compared in the
 * same run with PyTorch (Debian's python3-torch + torchvision resnet18) on the same thread count.
 * Random weights (seeded): speed does not depend on the values. Machines are shared and noisy, so
 * read the ratios, not the absolute numbers.
 *
 *   npx nx run @percept/backend-onnx:build && node bench/onnx-resnet18.mjs [--threads 2] [--quick] [--variants]
 *
 * --variants also times other session settings (optimisation levels, parallel execution).
 * Runs against the packages' dist/ builds.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { randomWeights, resnet18 } from '@percept/backbones';
import { compileIR } from '@percept/backend-onnx';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const threads = Number(opt('--threads', Math.min(2, os.availableParallelism())));
const quick = args.includes('--quick');
const variants = args.includes('--variants');
const PYTHON = process.env.PERCEPT_PYTHON ?? '/usr/bin/python3';
const BATCH = 32;
const sizes = [64, 224];
const iters = (size) => (quick ? 1 : size === 64 ? 10 : 3);

function input(size) {
  const data = new Float32Array(BATCH * 3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  return new ort.Tensor('float32', data, [BATCH, 3, size, size]);
}

async function timeOrt(bytes, size, sessionOptions) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, ...sessionOptions });
  const feeds = { input: input(size) };
  await session.run(feeds); // warm-up: first run allocates and picks kernels
  const n = iters(size);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await session.run(feeds);
  const seconds = (performance.now() - t0) / 1000;
  await session.release();
  return (n * BATCH) / seconds;
}

function timeTorch() {
  const script = `
import json, sys, time, torch, torchvision
torch.set_num_threads(${threads})
torch.manual_seed(0)
model = torchvision.models.resnet18().eval()
out = {"torch": torch.__version__, "torchvision": torchvision.__version__, "threads": torch.get_num_threads()}
with torch.inference_mode():
    for size, n in ${JSON.stringify(sizes.map((s) => [s, iters(s)]))}:
        x = torch.rand(${BATCH}, 3, size, size)
        model(x)
        t0 = time.perf_counter()
        for _ in range(n):
            model(x)
        out[str(size)] = n * ${BATCH} / (time.perf_counter() - t0)
print(json.dumps(out))
`;
  const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  if (r.status !== 0) {
    console.error(`PyTorch run failed (${PYTHON}):\n${r.stderr}`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const graph = resnet18({ classes: 1000 });
const compiled = compileIR(graph, randomWeights(graph, 0), { logits: true, taps: [] });
const bytes = compiled.encode();

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`);
console.log(`node ${process.version}, onnxruntime-node ${ort.env.versions.node}, threads ${threads}, batch ${BATCH}, model ${(bytes.length / 1e6).toFixed(1)} MB`);

const torch = timeTorch();
if (torch) console.log(`torch ${torch.torch}, torchvision ${torch.torchvision}, torch threads ${torch.threads}`);

const settings = [['ort (optimisation all, sequential)', { graphOptimizationLevel: 'all' }]];
if (variants) {
  settings.push(['ort (optimisation basic)', { graphOptimizationLevel: 'basic' }]);
  settings.push(['ort (optimisation disabled)', { graphOptimizationLevel: 'disabled' }]);
  settings.push(['ort (all, parallel, 2 inter-op)', { graphOptimizationLevel: 'all', executionMode: 'parallel', interOpNumThreads: 2 }]);
}

console.log('');
console.log('| engine | input | images/s | vs PyTorch |');
console.log('|---|---|---|---|');
for (const size of sizes) {
  const ref = torch?.[String(size)];
  if (ref) console.log(`| PyTorch ${torch.torch} (torchvision resnet18) | ${size}×${size} | ${ref.toFixed(1)} | 1.00× |`);
  for (const [label, options] of settings) {
    const ips = await timeOrt(bytes, size, options);
    console.log(`| ${label} | ${size}×${size} | ${ips.toFixed(1)} | ${ref ? `${(ips / ref).toFixed(2)}×` : 'n/a'} |`);
  }
}
