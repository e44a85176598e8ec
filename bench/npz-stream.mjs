#!/usr/bin/env node
/**
 * The streamed npz training data (docs/training.md, "Training data: streaming and the shuffle
 * buffer"): two files of N random 64×64 images in the downsampled-ImageNet layout (data uint8
 * [N, 12288] CHW, labels int64 1-based), one deflated (as np.savez_compressed writes) and one stored
 * (np.savez), written with fflate into a temp dir that is removed at the end. They are opened with
 * the real reader (@percept/dataset-imagenet's openDownsampledImagenet) and adapted with
 * toLabeledSource, and one epoch of batches is read through TrainingStream, as the trainer does
 * (no model: this times reading, inflating, buffering, augmenting and normalising only).
 *
 * Per crop mode it reports images/s over the epoch, the stream's peak held images (stats.peakHeld;
 * at most buffer + batch), peak RSS against RSS before the stream started, and the time of the
 * first batch of a stream resumed mid-epoch from the saved DataOrderState (which re-reads the
 * buffered images). Each crop mode runs in its own node process, so peak RSS is that run's own.
 *
 *   npx nx run @percept/training:build && node bench/npz-stream.mjs [--images 10000] [--buffer 5000] [--batch 256] [--crop central|inception]
 *
 * --images is per file. central = central crop (cropFraction 0.875) resized to 64, no flip;
 * inception = inception crop + random flip (the trainer's defaults). Without --crop, both.
 * Runs against the packages' dist/ builds.
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { zipSync } from 'fflate';
import { imagenetNormalize } from '@percept/backbones';
import { encodeNpy, openDownsampledImagenet } from '@percept/dataset-imagenet';
import { TrainingStream, isSharded, toLabeledSource } from '@percept/training';

const SIDE = 64;
const ROW = 3 * SIDE * SIDE;
const CLASSES = 1000;

const { values } = parseArgs({
  options: {
    images: { type: 'string' }, buffer: { type: 'string' }, batch: { type: 'string' }, crop: { type: 'string' },
    seed: { type: 'string' }, worker: { type: 'string' }, // --worker <dir>: internal, one crop mode in this process
  },
});
const images = Number(values.images ?? 10_000);
const buffer = Number(values.buffer ?? 5_000);
const batch = Number(values.batch ?? 256);
const seed = Number(values.seed ?? 0);
const crops = values.crop ? [values.crop] : ['central', 'inception'];
for (const [name, v] of [['images', images], ['buffer', buffer], ['batch', batch]]) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${values[name]}`);
}
for (const c of crops) if (c !== 'central' && c !== 'inception') throw new Error(`--crop must be central or inception, got ${c}`);
if (2 * images < batch) throw new Error(`--images ${images} per file gives fewer than one batch of ${batch}`);

const mb = (bytes) => bytes / 1e6;

/** One crop mode: one epoch, then a resume from the middle of it. Prints a JSON line. */
async function worker(root, crop) {
  const ds = await openDownsampledImagenet({ root, split: 'train', classes: CLASSES });
  const source = await toLabeledSource(ds, 'option "train"');
  if (!isSharded(source)) throw new Error('expected the npz files to be read as shards');
  const options = {
    batchSize: batch, seed, bufferSize: buffer, pre: imagenetNormalize,
    aug: crop === 'central' ? { crop: 'central', flip: false, size: SIDE, cropFraction: 0.875 } : { crop: 'inception', flip: true, size: SIDE, cropFraction: 0.875 },
  };
  global.gc?.();
  const rssBefore = process.memoryUsage.rss();
  const stream = new TrainingStream(source, options);
  const steps = stream.order.stepsPerEpoch;
  const mid = Math.floor(steps / 2);
  let saved, expected, firstBatch;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const b = await stream.next();
    if (s === 0) firstBatch = (performance.now() - t0) / 1000;
    if (s === mid - 1) saved = JSON.parse(JSON.stringify(b.after)); // through JSON, as in the training-state file
    if (s === mid) expected = b.indices;
  }
  const seconds = (performance.now() - t0) / 1000;
  const { peakHeld, read } = stream.stats;
  await stream.close();

  // Resume after batch `mid` of the epoch: the first next() re-reads the buffered images, then draws a batch.
  const r0 = performance.now();
  const resumed = new TrainingStream(source, options, saved, 'saved state');
  const first = await resumed.next();
  const resumeSeconds = (performance.now() - r0) / 1000;
  const resumeRead = resumed.stats.read;
  await resumed.close();
  if (first.indices.join() !== expected.join()) throw new Error('the resumed stream drew a different batch than the uninterrupted one');

  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({
    crop, steps, imagesPerEpoch: steps * batch, seconds, firstBatch, peakHeld, read,
    rssBefore, peakRss, resumeAt: mid, buffered: saved.buffer.length, resumeRead, resumeSeconds,
  }));
}

if (values.worker) {
  await worker(values.worker, crops[0]);
} else {
  const root = mkdtempSync(join(os.tmpdir(), 'percept-npz-bench-'));
  const rows = [];
  try {
    // train_data_batch_1.npz deflated (level 6), train_data_batch_2.npz stored.
    const tw = performance.now();
    const files = [];
    for (const [k, level] of [[1, 6], [2, 0]]) {
      const data = randomFillSync(new Uint8Array(images * ROW));
      const labels = new BigInt64Array(images);
      for (let i = 0; i < images; i++) labels[i] = BigInt(1 + Math.floor(Math.random() * CLASSES));
      const file = join(root, `train_data_batch_${k}.npz`);
      writeFileSync(file, zipSync({
        'data.npy': [encodeNpy('|u1', [images, ROW], data), { level }],
        'labels.npy': [encodeNpy('<i8', [images], new Uint8Array(labels.buffer)), { level }],
      }));
      files.push(`${file.slice(root.length + 1)} (${level ? 'deflated' : 'stored'}, ${mb(statSync(file).size).toFixed(0)} MB)`);
    }
    process.stderr.write(`wrote ${files.join(', ')} in ${((performance.now() - tw) / 1000).toFixed(1)} s\n`);
    const self = fileURLToPath(import.meta.url);
    for (const crop of crops) {
      const loadBefore = os.loadavg()[0];
      const r = spawnSync(process.execPath, ['--expose-gc', self, '--worker', root, '--crop', crop, '--images', String(images), '--buffer', String(buffer), '--batch', String(batch), '--seed', String(seed)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (r.status !== 0) throw new Error(`${crop} run failed (exit ${r.status ?? r.signal})`);
      const row = JSON.parse(r.stdout.trim().split('\n').pop());
      row.load = [loadBefore, os.loadavg()[0]];
      rows.push(row);
      process.stderr.write(`${crop}: ${row.seconds.toFixed(1)} s\n`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  console.log(`\nmachine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}; node ${process.version}`);
  console.log(`2 files × ${images} random 64×64 images (${mb(2 * images * ROW).toFixed(0)} MB of pixels; one deflated, one stored), batch ${batch}, shuffle buffer ${buffer}, seed ${seed}; load average (1 min) before/after each run in the table`);
  console.log('');
  console.log('| crop | batches | images/s | first batch s | peak held (buffer + batch) | RSS before MB | peak RSS MB | resume at batch | re-read images | resume first batch s | load |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const label = r.crop === 'central' ? 'central 0.875, no flip' : 'inception + flip';
    console.log(`| ${label} | ${r.steps} | ${(r.imagesPerEpoch / r.seconds).toFixed(0)} | ${r.firstBatch.toFixed(2)} | ${r.peakHeld} (${buffer + batch}) | ${mb(r.rssBefore).toFixed(0)} | ${mb(r.peakRss).toFixed(0)} | ${r.resumeAt} | ${r.buffered} | ${r.resumeSeconds.toFixed(2)} | ${r.load.map((l) => l.toFixed(1)).join(' → ')} |`);
  }
  console.log('\nresume first batch = re-reading the buffered images from the files + drawing one batch (one batch alone takes about batch / images/s).');
}
