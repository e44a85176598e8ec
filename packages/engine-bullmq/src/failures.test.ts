import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, RunRequest, RunResult } from '@percept/core';
import { BullmqEngine } from './engine.js';
import { REDIS_SERVER, startRedis, waitFor, type RedisServer } from './testing/servers.js';
import { artifacts, makeFixture, spawnWorker, workerMain, type WorkerProc } from './testing/fixture.js';

const available = existsSync(REDIS_SERVER) && existsSync(workerMain);

const cells = (prefix: string, n: number, ms: number, extra: Record<string, unknown> = {}) => ({
  uses: 'sleepy', matrix: { i: Array.from({ length: n }, (_, k) => k) }, with: { id: `${prefix}-\${matrix.i}`, ms, ...extra },
});
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!available)('failures with real worker processes (Redis)', () => {
  let redis: RedisServer;
  let workers: WorkerProc[] = [];
  const fx = makeFixture();
  const worker = () => {
    const w = spawnWorker(redis.url, { lockMs: 1000, stalledMs: 300 });
    workers.push(w);
    return w;
  };
  const killWorker = async (w: WorkerProc, sig: NodeJS.Signals = 'SIGKILL') => {
    w.proc.kill(sig);
    return Promise.race([w.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('worker did not exit')), 20_000))]);
  };
  const start = async (name: string, wf: Record<string, unknown>, runId: string, extra: Partial<RunRequest> = {}, attempts = 3) => {
    const { plan, registry } = await fx.plan(name, wf);
    return new BullmqEngine({ broker: redis.url, pollMs: 50, backoffMs: 100, attempts }).run({
      plan, registry, runsDir: fx.runsDir, runId, cacheDir: fx.cacheDir, concurrency: 1, ...extra,
    });
  };
  /** Every cell succeeded and each id has exactly one artifact file in the run. */
  const expectComplete = (r: RunResult, ids: string[]) => {
    expect(r.manifest.cells.filter((c) => c.status !== 'succeeded')).toEqual([]);
    const files = Object.entries(artifacts(r.runDir)).filter(([p]) => p.endsWith('out.txt'));
    expect(files.map(([, v]) => v.trim().replace(/ after .*$/, '')).sort()).toEqual(ids.map((id) => `cell ${id}`).sort());
  };
  const pidsOf = (id: string) => readFileSync(join(fx.markers, id), 'utf8').trim().split('\n').map(Number);

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 5000))])));
    workers = [];
  });
  afterAll(async () => {
    await redis?.dispose();
    fx.dispose();
  });

  it('a worker killed -9 mid-cell: its cell process stops, the job is recovered by another worker', async () => {
    const victim = worker();
    const running = start('kill9', { steps: { k: cells('k', 3, 600) } }, 'r');
    await waitFor(() => fx.runs('k-0') + fx.runs('k-1') + fx.runs('k-2') > 0, 'a cell to start', 30_000);
    await killWorker(victim);
    const orphan = pidsOf(['k-0', 'k-1', 'k-2'].find((id) => fx.runs(id) > 0)!)[0];
    // The cell process notices its worker is gone (the IPC channel closes) and exits.
    await waitFor(() => !alive(orphan), 'the orphaned cell process to exit', 10_000);
    worker();
    const r = await running;
    expect(r.status).toBe('succeeded');
    expectComplete(r, ['k-0', 'k-1', 'k-2']);
  });

  it('all workers dead, then a new one started: the run completes', async () => {
    const a = worker(), b = worker();
    const running = start('alldead', { steps: { d: cells('d', 4, 500) } }, 'r');
    await waitFor(() => [0, 1, 2, 3].filter((i) => fx.runs(`d-${i}`) > 0).length >= 2, 'two cells to start', 30_000);
    await Promise.all([killWorker(a), killWorker(b)]);
    await new Promise((r) => setTimeout(r, 500));
    worker();
    const r = await running;
    expectComplete(r, ['d-0', 'd-1', 'd-2', 'd-3']);
  });

  it('SIGTERM drains a worker: the running cell finishes once and the worker exits 0', async () => {
    const w = worker();
    const running = start('drain', { steps: { g: { uses: 'sleepy', with: { id: 'g', ms: 800 } } } }, 'r');
    await waitFor(() => fx.runs('g') > 0, 'the cell to start', 30_000);
    const exit = await killWorker(w, 'SIGTERM');
    expect(exit.code).toBe(0);
    const r = await running;
    expectComplete(r, ['g']);
    expect(fx.runs('g')).toBe(1);
    expect(w.log()).toMatch(/draining/);
  });

  it('a poison cell fails after its attempts, a deterministic error is not retried, the others complete', async () => {
    worker();
    const r = await start('poison', {
      steps: {
        ok: cells('ok', 3, 20),
        crash: { uses: 'sleepy', continueOnError: true, with: { id: 'crash', crash: true } },
        invalid: { uses: 'sleepy', continueOnError: true, with: { id: 'invalid', invalid: true } },
      },
    }, 'r', {}, 2);
    const byStep = (s: string) => r.manifest.cells.filter((c) => c.step === s);
    expect(byStep('ok').every((c) => c.status === 'succeeded')).toBe(true);
    expect(byStep('crash')[0]).toMatchObject({ status: 'failed' });
    expect(byStep('crash')[0].error).toMatch(/exited \(code 3\)/);
    expect(fx.runs('crash')).toBe(2); // attempts: 2
    expect(byStep('invalid')[0].error).toMatch(/option "invalid" is set/);
    expect(fx.runs('invalid')).toBe(1); // UnrecoverableError: no retry
    expect(r.status).toBe('succeeded'); // every failure was in a continue-on-error step
    expect(workers[0].proc.exitCode).toBeNull(); // the worker survived its crashing cells

    // Fail-fast: the same crash in a normal step fails the run and skips what needs it.
    const ff = await start('failfast', {
      steps: { bad: { uses: 'sleepy', with: { id: 'bad', invalid: true } }, after: { uses: 'sleepy', needs: ['bad'], with: { id: 'after' } } },
    }, 'r', {}, 2);
    expect(ff.status).toBe('failed');
    expect(ff.manifest.cells.find((c) => c.step === 'after')).toMatchObject({ status: 'skipped' });
    expect(fx.runs('after')).toBe(0);
  });

  it('a cell that crashes on every attempt fails the run; after the cause is gone, --resume reruns only it', async () => {
    worker();
    const cause = join(fx.dir, 'broken-driver');
    writeFileSync(cause, '');
    const wf = {
      steps: {
        ok: cells('rs-ok', 3, 20),
        flaky: { uses: 'sleepy', with: { id: 'rs-flaky', crashWhile: cause } },
        after: { uses: 'sleepy', with: { id: 'rs-after', from: '\${steps.flaky.outputs.value}' } },
      },
    };
    const failed = await start('crashresume', wf, 'r', {}, 2);
    expect(failed.status).toBe('failed');
    expect(failed.manifest.cells.find((c) => c.step === 'flaky')).toMatchObject({ status: 'failed' });
    expect(fx.runs('rs-flaky')).toBe(2);
    rmSync(cause);
    const manifest = JSON.parse(readFileSync(join(failed.runDir, 'manifest.json'), 'utf8')) as Manifest;
    const r = await start('crashresume', wf, 'r', { resume: manifest }, 2);
    expectComplete(r, ['rs-ok-0', 'rs-ok-1', 'rs-ok-2', 'rs-flaky', 'rs-after']);
    expect(r.manifest.cells.filter((c) => c.reused).map((c) => c.cell).sort()).toEqual(failed.manifest.cells.filter((c) => c.step === 'ok').map((c) => c.cell).sort());
    expect(fx.runs('rs-flaky')).toBe(3);
    expect(artifacts(r.runDir)['after/out.txt']).toBe('cell rs-after after "rs-flaky"\n');
    for (let i = 0; i < 3; i++) expect(fx.runs(`rs-ok-${i}`)).toBe(1);
  });

  it('a coordinator stopped mid-sweep re-attaches on --resume: nothing runs twice', async () => {
    worker();
    const ids = [0, 1, 2, 3, 4].map((i) => `co-${i}`);
    const controller = new AbortController();
    const first = start('coord', { steps: { c: cells('co', 5, 300) } }, 'r', { signal: controller.signal });
    await waitFor(() => fx.runs('co-0') > 0, 'a cell to start', 30_000);
    controller.abort();
    const stopped = await first;
    expect(stopped.status).toBe('interrupted');
    // The workers carried on while no coordinator was watching.
    const manifest = JSON.parse(readFileSync(join(stopped.runDir, 'manifest.json'), 'utf8')) as Manifest;
    const r = await start('coord', { steps: { c: cells('co', 5, 300) } }, 'r', { resume: manifest });
    expectComplete(r, ids);
    for (const id of ids) expect(fx.runs(id)).toBe(1);
    expect(r.manifest.resumedAt).toHaveLength(1);
  });
});
