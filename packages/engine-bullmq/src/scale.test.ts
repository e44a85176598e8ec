import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullmqEngine } from './engine.js';
import { cellQueueName } from './protocol.js';
import { REDIS_SERVER, startRedis, type RedisServer } from './testing/servers.js';
import { makeFixture, spawnWorker, workerMain, type WorkerProc } from './testing/fixture.js';

const available = existsSync(REDIS_SERVER) && existsSync(workerMain);
// 300 cells in the everyday suite; .ci/run and tools/ci/brokers.sh run the full 2,000 (about 30 s on 2 cores).
const N = Number(process.env.PERCEPT_BULLMQ_SCALE_CELLS ?? 300);

describe.skipIf(!available)(`${N} trivial cells`, () => {
  let redis: RedisServer;
  const workers: WorkerProc[] = [];
  const fx = makeFixture();
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 5000))])));
    await redis?.dispose();
    fx.dispose();
  });

  it('all complete, each once, and the broker keeps only a bounded number of finished jobs', async () => {
    for (let i = 0; i < 2; i++) {
      const w = spawnWorker(redis.url, { concurrency: 4, lockMs: 10_000, stalledMs: 5000 });
      workers.push(w);
    }
    const { plan, registry } = await fx.plan('scale', {
      steps: { t: { uses: 'sleepy', matrix: { i: Array.from({ length: N }, (_, k) => k) }, with: { id: 't-${matrix.i}', ms: 0 } } },
    });
    const client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
    await client.connect();
    const before = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
    const r = await new BullmqEngine({ broker: redis.url, pollMs: 250 }).run({
      plan, registry, runsDir: fx.runsDir, runId: 'r', cacheDir: fx.cacheDir, concurrency: 1,
    });
    expect(r.status).toBe('succeeded');
    expect(r.manifest.cells.filter((c) => c.status === 'succeeded')).toHaveLength(N);
    const multiple = Array.from({ length: N }, (_, i) => fx.runs(`t-${i}`)).filter((n) => n !== 1);
    expect(multiple).toEqual([]);
    // removeOnComplete keeps the last 1,000 finished jobs; the cache, not the broker, remembers the rest.
    const completed = await client.zcard(`bull:${cellQueueName('cpu')}:completed`);
    expect(completed).toBeLessThanOrEqual(1000);
    const after = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
    expect(after - before).toBeLessThan(32 * 1024 * 1024);
    console.log(`engine-bullmq scale: ${N} cells, broker memory +${((after - before) / 1048576).toFixed(1)} MiB, ${completed} finished jobs kept`);
    await client.quit();
  });
});
