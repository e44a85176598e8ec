import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_SERVER, startRedis, waitFor, type RedisServer } from './testing/servers.js';
import { artifacts, makeFixture } from './testing/fixture.js';

// The CLI is built before the tests run (npm test builds every package first).
const bin = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));
const available = existsSync(REDIS_SERVER) && existsSync(bin);

interface Proc { child: ChildProcess; out: () => string; err: () => string; done: Promise<{ code: number | null; signal: string | null }> }

describe.skipIf(!available)('percept run --engine bullmq, percept worker, watch and dashboard (CLI processes)', () => {
  let redis: RedisServer;
  const fx = makeFixture();
  const spawned: Proc[] = [];
  const percept = (args: string[]): Proc => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: fx.dir, env: { ...process.env, CI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const done = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const p = { child, out: () => out, err: () => err, done };
    spawned.push(p);
    return p;
  };
  const within = <T>(p: Promise<T>, ms: number, what: string) =>
    Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms))]);

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const p of spawned) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(spawned.map((p) => Promise.race([p.done, new Promise((r) => setTimeout(r, 5000))])));
    await redis?.dispose();
    fx.dispose();
  });

  it('a coordinator killed -9 mid-sweep is resumed; workers never run a cell twice; watch reports the outcome', async () => {
    await fx.plan('cli', { steps: { s: { uses: 'sleepy', matrix: { i: [0, 1, 2, 3, 4, 5] }, with: { id: 'cli-${matrix.i}', ms: 300 } } } });
    const workers = [percept(['worker', '--broker', redis.url]), percept(['worker', '--broker', redis.url, '--concurrency', '2'])];
    await within(waitFor(() => workers.every((w) => /ready on/.test(w.err())), 'workers ready', 60_000), 65_000, 'workers');
    const args = ['run', 'cli.workflow.json', '--engine', 'bullmq', '--broker', redis.url, '--cache-dir', fx.cacheDir, '--runs-dir', fx.runsDir];
    const first = percept([...args, '--run-id', 'r']);
    await waitFor(() => [0, 1, 2, 3, 4, 5].some((i) => fx.runs(`cli-${i}`) > 0), 'a cell to start', 60_000);
    first.child.kill('SIGKILL');
    await within(first.done, 10_000, 'coordinator exit');
    const second = percept([...args, '--resume', join(fx.runsDir, 'cli', 'r')]);
    const { code } = await within(second.done, 60_000, 'resumed run');
    expect(second.err()).not.toMatch(/Error/);
    expect(code).toBe(0);
    expect(second.out()).toMatch(/6\/6 cells succeeded/);
    for (let i = 0; i < 6; i++) expect(fx.runs(`cli-${i}`)).toBe(1);
    const files = Object.values(artifacts(join(fx.runsDir, 'cli', 'r'))).filter((v) => v.startsWith('cell '));
    expect(files.sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `cell cli-${i}\n`));

    const watch = percept(['watch', 'cli/r', '--runs-dir', fx.runsDir]);
    expect((await within(watch.done, 20_000, 'watch')).code).toBe(0);
    expect(watch.out()).toMatch(/^s \[i=0\]: succeeded( \(cached\))?$/m);
    expect(watch.out()).toMatch(/run succeeded: 6\/6 cells succeeded/);

    // SIGTERM drains the CLI workers and they exit 0.
    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect((await within(w.done, 30_000, 'worker drain')).code).toBe(0);
  });

  it('the dashboard serves bull-board for the percept queues on 127.0.0.1', async () => {
    const d = percept(['dashboard', '--broker', redis.url, '--port', '0']);
    await within(waitFor(() => /bull-board: http:\/\/127\.0\.0\.1:\d+\//.test(d.out()) || d.child.exitCode !== null, 'dashboard url', 30_000), 35_000, 'dashboard');
    const url = /bull-board: (\S+)/.exec(d.out())![1];
    const res = await fetch(new URL('api/queues', url));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: Array<{ name: string }> };
    expect(body.queues.map((q) => q.name)).toEqual(expect.arrayContaining(['percept-cells-cpu', 'percept-cells-gpu', 'percept-barriers']));
    d.child.kill('SIGTERM');
    expect((await within(d.done, 10_000, 'dashboard exit')).code).toBe(0);
  });
});
