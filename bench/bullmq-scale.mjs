#!/usr/bin/env node
/**
 * Scale-out of the bullmq engine on one machine: a sweep of sleep-bound cells (each waits a fixed
 * time, so the cores are not the limit) run by 1, 2, 4 and 8 local worker processes, against a
 * redis-server this script starts on 127.0.0.1 and stops again. Reports wall time and speed-up
 * against the ideal (N workers = N× faster). Each round uses fresh cell ids, so nothing is cached.
 *
 *   npx nx run @percept/engine-bullmq:build && node bench/bullmq-scale.mjs [--cells 48] [--ms 250] [--workers 1,2,4,8]
 *
 * Runs against the packages' dist/ builds.
 */
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { BullmqEngine } from '@percept/engine-bullmq';
import { startRedis, waitFor } from '../packages/engine-bullmq/dist/testing/servers.js';
import { makeFixture, spawnWorker } from '../packages/engine-bullmq/dist/testing/fixture.js';

const { values } = parseArgs({ options: { cells: { type: 'string' }, ms: { type: 'string' }, workers: { type: 'string' } } });
const cells = Number(values.cells ?? 48);
const ms = Number(values.ms ?? 250);
const counts = (values.workers ?? '1,2,4,8').split(',').map(Number);

const redis = await startRedis();
const fx = makeFixture();
const rows = [];
try {
  for (const n of counts) {
    const workers = Array.from({ length: n }, () => spawnWorker(redis.url, { lockMs: 30_000, stalledMs: 30_000 }));
    await waitFor(() => workers.every((w) => /worker: ready/.test(w.log())), 'workers ready', 60_000);
    const sweep = async (tag, count, cellMs) => {
      const { plan, registry } = await fx.plan(`scale-${tag}`, {
        steps: { s: { uses: 'sleepy', matrix: { i: Array.from({ length: count }, (_, k) => k) }, with: { id: `${tag}-\${matrix.i}`, ms: cellMs } } },
      });
      const t0 = performance.now();
      const r = await new BullmqEngine({ broker: redis.url, pollMs: 50 }).run({ plan, registry, runsDir: fx.runsDir, runId: 'r', cacheDir: fx.cacheDir, concurrency: 1 });
      if (r.status !== 'succeeded') throw new Error(`sweep ${tag} ${r.status}`);
      return (performance.now() - t0) / 1000;
    };
    // Warm-up: every worker forks its cell process and loads the plugin once.
    await sweep(`warm${n}`, 2 * n, 10);
    const seconds = await sweep(`w${n}`, cells, ms);
    rows.push({ n, seconds });
    process.stderr.write(`${n} worker(s): ${seconds.toFixed(2)} s\n`);
    for (const w of workers) w.proc.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }
} finally {
  await redis.dispose();
  fx.dispose();
}
console.log(`\n${cells} cells × ${ms} ms (sequential ${(cells * ms / 1000).toFixed(1)} s); ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; node ${process.version}\n`);
console.log('| workers | wall s | speed-up vs 1 | ideal | efficiency |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  const speedup = rows[0].seconds / r.seconds;
  console.log(`| ${r.n} | ${r.seconds.toFixed(2)} | ${speedup.toFixed(2)}× | ${(r.n / rows[0].n).toFixed(0)}× | ${(100 * speedup / (r.n / rows[0].n)).toFixed(0)}% |`);
}
