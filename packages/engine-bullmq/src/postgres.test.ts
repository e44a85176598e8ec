import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullmqEngine } from './engine.js';
import { PG_BIN, startPostgres, waitFor, type PostgresServer } from './testing/servers.js';
import { artifacts, makeFixture, spawnWorker, workerMain, type WorkerProc } from './testing/fixture.js';

const installed = existsSync(`${PG_BIN}/initdb`) && existsSync(workerMain);
if (!installed) console.log(`engine-bullmq: skipping the PostgreSQL leg (${PG_BIN}/initdb or ${workerMain} missing)`);

describe.skipIf(!installed)('BullmqEngine on PostgreSQL (BullMQ 6.7 postgres backend)', () => {
  let pg: PostgresServer | string;
  const workers: WorkerProc[] = [];
  const fx = makeFixture();

  beforeAll(async () => {
    pg = await startPostgres();
    if (typeof pg === 'string') console.log(`engine-bullmq: PostgreSQL leg skipped: ${pg}`);
  });
  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 5000))])));
    if (typeof pg === 'object') await pg.dispose();
    fx.dispose();
  });

  it('runs a sweep with a worker killed -9 mid-cell; each cell leaves one artifact; a resubmission is all cache hits', async (ctx) => {
    if (typeof pg === 'string') return ctx.skip();
    const url = pg.url;
    const victim = spawnWorker(url, { lockMs: 1000, stalledMs: 300 });
    workers.push(victim);
    const wf = { steps: { p: { uses: 'sleepy', matrix: { i: [0, 1, 2, 3] }, with: { id: 'pg-${matrix.i}', ms: 400 } } } };
    const { plan, registry } = await fx.plan('pg', wf);
    const engine = new BullmqEngine({ broker: url, pollMs: 50, backoffMs: 100 });
    const running = engine.run({ plan, registry, runsDir: fx.runsDir, runId: 'r', cacheDir: fx.cacheDir, concurrency: 1 });
    await waitFor(() => [0, 1, 2, 3].some((i) => fx.runs(`pg-${i}`) > 0), 'a cell to start', 60_000);
    victim.proc.kill('SIGKILL');
    await victim.exited;
    workers.push(spawnWorker(url, { lockMs: 1000, stalledMs: 300 }));
    const r = await running;
    expect(r.status).toBe('succeeded');
    const outs = Object.entries(artifacts(r.runDir)).filter(([p]) => p.endsWith('out.txt')).map(([, v]) => v.trim()).sort();
    expect(outs).toEqual(['cell pg-0', 'cell pg-1', 'cell pg-2', 'cell pg-3']);
    const again = await engine.run({ plan, registry, runsDir: fx.runsDir, runId: 'r2', cacheDir: fx.cacheDir, concurrency: 1 });
    expect(again.manifest.cells.every((c) => c.cached)).toBe(true);
  });
});
