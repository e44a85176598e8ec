import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '@percept/core';
import { BullmqEngine } from './engine.js';
import { REDIS_SERVER, startRedis, waitFor, type RedisServer } from './testing/servers.js';
import { artifacts, makeFixture, spawnWorker, workerMain, type WorkerProc } from './testing/fixture.js';

const available = existsSync(REDIS_SERVER) && existsSync(workerMain);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!available)('broker outages and duplicate delivery (Redis)', () => {
  let redis: RedisServer;
  let workers: WorkerProc[] = [];
  const fx = makeFixture();
  const worker = () => {
    const w = spawnWorker(redis.url, { lockMs: 1000, stalledMs: 300 });
    workers.push(w);
    return w;
  };
  const start = async (name: string, prefix: string, n: number, ms: number) => {
    const { plan, registry } = await fx.plan(name, {
      steps: { s: { uses: 'sleepy', matrix: { i: Array.from({ length: n }, (_, k) => k) }, with: { id: `${prefix}-\${matrix.i}`, ms } } },
    });
    return new BullmqEngine({ broker: redis.url, pollMs: 50, backoffMs: 100, attempts: 5 }).run({
      plan, registry, runsDir: fx.runsDir, runId: 'r', cacheDir: fx.cacheDir, concurrency: 1,
    });
  };
  const started = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => fx.runs(`${prefix}-${i}`)).filter((x) => x > 0).length;
  /** Every cell succeeded, each has exactly one artifact, and the cache holds one entry per cell. */
  const expectComplete = (r: RunResult, prefix: string, n: number) => {
    expect(r.manifest.cells.filter((c) => c.status !== 'succeeded')).toEqual([]);
    const outs = Object.entries(artifacts(r.runDir)).filter(([p]) => p.endsWith('out.txt')).map(([, v]) => v.trim()).sort();
    expect(outs).toEqual(Array.from({ length: n }, (_, i) => `cell ${prefix}-${i}`).sort());
    for (const c of r.manifest.cells) expect(existsSync(join(fx.cacheDir, 'cells', c.cacheKey!, 'result.json'))).toBe(true);
    // No scratch directory of any attempt is left behind.
    expect(existsSync(join(fx.cacheDir, 'scratch')) ? readdirSync(join(fx.cacheDir, 'scratch')) : []).toEqual([]);
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const w of workers) {
      if (w.proc.signalCode === 'SIGSTOP') w.proc.kill('SIGCONT');
      if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    }
    await Promise.all(workers.map((w) => Promise.race([w.exited, sleep(5000)])));
    workers = [];
  });
  afterAll(async () => {
    await redis?.dispose();
    fx.dispose();
  });

  it('a short broker restart: workers and coordinator reconnect and finish', async () => {
    worker();
    worker();
    const running = start('restart', 'rs', 6, 300);
    await waitFor(() => started('rs', 6) > 0, 'a cell to start', 30_000);
    await redis.stop(); // SIGTERM: the append-only file is flushed, the queues survive
    await sleep(300);
    await redis.restart();
    expectComplete(await running, 'rs', 6);
  });

  it('an outage longer than the lock: lost locks kill their cells, the jobs run again, one artifact each', async () => {
    worker();
    worker();
    const running = start('outage', 'out', 4, 600);
    await waitFor(() => started('out', 4) > 0, 'a cell to start', 30_000);
    await redis.stop();
    await sleep(2500); // longer than the 1 s lock
    await redis.restart();
    expectComplete(await running, 'out', 4);
  });

  it('duplicate delivery (a worker stopped with SIGSTOP past its lock, then continued) leaves one artifact', async () => {
    const a = worker();
    const running = start('stop', 'st', 1, 3000);
    await waitFor(() => started('st', 1) > 0, 'the cell to start', 30_000);
    a.proc.kill('SIGSTOP');
    worker(); // takes over the stalled job once the frozen worker's lock expires
    await sleep(2500);
    a.proc.kill('SIGCONT');
    const r = await running;
    expectComplete(r, 'st', 1);
    // The cell really was delivered (and executed) twice, yet the run holds one artifact.
    expect(fx.runs('st-0')).toBe(2);
  });
});
