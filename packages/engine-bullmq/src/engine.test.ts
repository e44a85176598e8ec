import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine, type RunEvent, type RunResult } from '@percept/core';
import { BullmqEngine } from './engine.js';
import { REDIS_SERVER, startRedis, type RedisServer } from './testing/servers.js';
import { artifacts, makeFixture, spawnWorker, workerMain, type WorkerProc } from './testing/fixture.js';

const available = existsSync(REDIS_SERVER) && existsSync(workerMain);
if (!available) console.log(`engine-bullmq: skipping broker tests (${existsSync(REDIS_SERVER) ? `build first: ${workerMain} missing` : `${REDIS_SERVER} not installed`})`);

const cellsOf = (n: number, ms: number, extra: Record<string, unknown> = {}) => ({
  uses: 'sleepy', matrix: { i: Array.from({ length: n }, (_, k) => k) }, with: { id: `c-\${matrix.i}`, ms, ...extra },
});

describe.skipIf(!available)('BullmqEngine on Redis with real worker processes', () => {
  let redis: RedisServer;
  const workers: WorkerProc[] = [];
  const fx = makeFixture();
  const worker = (o?: Parameters<typeof spawnWorker>[1]) => {
    const w = spawnWorker(redis.url, o);
    workers.push(w);
    return w;
  };
  const engine = (o: Partial<ConstructorParameters<typeof BullmqEngine>[0]> = {}) => new BullmqEngine({ broker: redis.url, pollMs: 50, backoffMs: 100, ...o });
  const run = async (name: string, wf: Record<string, unknown>, runId: string, o: Partial<ConstructorParameters<typeof BullmqEngine>[0]> = {}, extra: Record<string, unknown> = {}) => {
    const { plan, registry } = await fx.plan(name, wf);
    return engine(o).run({ plan, registry, runsDir: fx.runsDir, runId, cacheDir: fx.cacheDir, concurrency: 1, ...extra });
  };
  const expectComplete = (r: RunResult, ids: string[]) => {
    expect(r.status).toBe('succeeded');
    const files = artifacts(r.runDir);
    for (const id of ids) {
      const outs = Object.entries(files).filter(([p, v]) => p.endsWith('out.txt') && (v === `cell ${id}\n` || v.startsWith(`cell ${id} after`)));
      expect(outs.map(([p]) => p), `artifact of ${id}`).toHaveLength(1);
    }
    expect(r.manifest.cells.every((c) => c.status === 'succeeded' && c.artifactHash)).toBe(true);
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 5000))])));
    await redis?.dispose();
    fx.dispose();
  });

  it('runs a matrix and a dependent step on two workers; a resubmission runs nothing again', async () => {
    worker();
    worker();
    const wf = { steps: { a: cellsOf(6, 100), b: { uses: 'sleepy', with: { id: 'after-a', ms: 10, from: '${steps.a.outputs.value}' } } } };
    const events: RunEvent[] = [];
    const r = await run('basic', wf, 'r1', {}, { onEvent: (e: RunEvent) => events.push(e) });
    // The workers' progress reaches the coordinator's event stream.
    expect(events.some((e) => e.type === 'cell-progress' && e.step === 'a' && e.unit === 'ms')).toBe(true);
    expect(events.filter((e) => e.type === 'cell-finish' && e.status === 'succeeded')).toHaveLength(7);
    expectComplete(r, ['c-0', 'c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'after-a']);
    expect(r.manifest.engine).toBe('bullmq');
    for (let i = 0; i < 6; i++) expect(fx.runs(`c-${i}`)).toBe(1);
    expect(artifacts(r.runDir)['b/out.txt']).toBe('cell after-a after ["c-0","c-1","c-2","c-3","c-4","c-5"]\n');

    // The same workflow again (a duplicate submission): every cell is a cache hit, none runs.
    const again = await run('basic', wf, 'r2');
    expect(again.manifest.cells.every((c) => c.cached)).toBe(true);
    expect(artifacts(again.runDir)).toEqual(artifacts(r.runDir));
    for (let i = 0; i < 6; i++) expect(fx.runs(`c-${i}`)).toBe(1);

    // Switching engines keeps the cache: the local engine finds every cell cached as well.
    const { plan, registry } = await fx.plan('basic', wf);
    const local = await new LocalEngine().run({ plan, registry, runsDir: fx.runsDir, runId: 'r3', cacheDir: fx.cacheDir, concurrency: 1 });
    expect(local.manifest.cells.every((c) => c.cached)).toBe(true);
    expect(artifacts(local.runDir)).toEqual(artifacts(r.runDir));
  });

  it('a job that reads its own run (like report) sees the run manifest and its upstream cells on a worker', async () => {
    worker();
    const wf = { steps: { a: cellsOf(2, 10), b: { uses: 'sleepy', with: { id: 'reader', ms: 10, readRun: true, from: '${steps.a.outputs.value}' } } } };
    const r = await run('reads-run', wf, 'r1');
    expect(r.status).toBe('succeeded');
    const seen = JSON.parse(artifacts(r.runDir)['b/run.json']) as { runId: string; engine: string; cells: Array<{ dir: string; present: boolean }> };
    expect(seen.runId).toBe('r1');
    expect(seen.engine).toBe('bullmq');
    const upstream = r.manifest.cells.filter((c) => c.step === 'a').map((c) => c.dir).sort();
    expect(seen.cells.map((c) => c.dir).sort()).toEqual(upstream);
    expect(seen.cells.every((c) => c.present)).toBe(true);
  });

  it('a run interrupted on the local engine and resumed on bullmq keeps its finished cells', async () => {
    const wf = {
      steps: {
        x: cellsOf(3, 10, { id: 'sw-\${matrix.i}' }),
        // y reads x's artifacts: the workers can only get them if the coordinator puts the kept
        // cells into the shared cache first.
        y: { uses: 'sleepy', with: { id: 'sw-y', ms: 10, from: '\${steps.x.outputs.file}' } },
        z: { uses: 'sleepy', with: { id: 'sw-z', ms: 10, from: '\${steps.y.outputs.value}' } },
      },
    };
    const { plan, registry } = await fx.plan('switch', wf);
    // The local leg gets as far as step x (as if it had been stopped there) without a cache, so
    // the bullmq leg can only keep x by recognising the finished cells in the run directory.
    const local = await new LocalEngine().run({
      plan: { ...plan, steps: plan.steps.filter((s) => s.id === 'x') }, registry, runsDir: fx.runsDir, runId: 'sw', cacheDir: null, concurrency: 2,
    });
    expect(local.status).toBe('succeeded');
    const r = await engine().run({ plan, registry, runsDir: fx.runsDir, runId: 'sw', cacheDir: fx.cacheDir, concurrency: 1, resume: local.manifest });
    expectComplete(r, ['sw-0', 'sw-1', 'sw-2', 'sw-y', 'sw-z']);
    expect(r.manifest.cells.filter((c) => c.step === 'x').map((c) => c.reused)).toEqual([true, true, true]);
    expect(artifacts(r.runDir)['z/out.txt']).toBe('cell sw-z after "sw-y"\n');
    expect(artifacts(r.runDir)['y/out.txt']).toMatch(/^cell sw-y after \[".*x\/i=0/);
    for (const id of ['sw-0', 'sw-1', 'sw-2', 'sw-y', 'sw-z']) expect(fx.runs(id)).toBe(1);
  });

  it('two coordinators submitting the same cells at once run each cell once', async () => {
    const wf = { steps: { d: cellsOf(4, 150, { id: 'dup-${matrix.i}' }) } };
    const [x, y] = await Promise.all([run('dup', wf, 'x'), run('dup', wf, 'y')]);
    expectComplete(x, ['dup-0', 'dup-1', 'dup-2', 'dup-3']);
    expectComplete(y, ['dup-0', 'dup-1', 'dup-2', 'dup-3']);
    for (let i = 0; i < 4; i++) expect(fx.runs(`dup-${i}`)).toBe(1);
    expect(artifacts(y.runDir)).toEqual(artifacts(x.runDir));
  });
});
