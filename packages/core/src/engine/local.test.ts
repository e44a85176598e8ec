import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobContribution } from '../contracts.js';
import { corePlugin } from '../core-plugin.js';
import { definePlugin } from '../plugin.js';
import { Registry } from '../registry.js';
import { writeFileAtomic } from '../util/atomic.js';
import { loadWorkflowText } from '../workflow/validate.js';
import { LocalEngine } from './local.js';
import { planWorkflow } from './plan.js';
import type { RunRequest } from './types.js';

const tmp = mkdtempSync(join(tmpdir(), 'percept-engine-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const calls: string[] = [];
let active = 0;
let maxActive = 0;
const countJob: JobContribution = {
  kind: 'job', name: 'count', description: 'counts',
  optionsSchema: { type: 'object', properties: { n: { type: 'integer' }, tag: { type: 'string', default: 'x' }, fail: { type: 'boolean' }, waitMs: { type: 'integer' } } },
  outputsSchema: { type: 'object', properties: { n: { type: 'integer' }, file: { type: 'string' }, tag: { type: 'string' } } },
  async run(options, ctx) {
    calls.push(ctx.stepId);
    active++;
    maxActive = Math.max(maxActive, active);
    try {
      await new Promise((r) => setTimeout(r, (options.waitMs as number | undefined) ?? 5));
      if (options.fail) throw new Error(`boom in ${ctx.stepId}`);
      ctx.progress(1, 1, 'items');
      ctx.record('seen', options.n as number);
      const file = join(ctx.outputDir, 'n.txt');
      await writeFileAtomic(file, String(options.n));
      return { n: options.n as number, file, tag: options.tag as string };
    } finally {
      active--;
    }
  },
};
const testPlugin = definePlugin({ name: 'engine-test', version: '2.0.0', contributes: [countJob] });

function setup(steps: Record<string, unknown>, extra: Partial<RunRequest> = {}, concurrency = 1) {
  const registry = new Registry([corePlugin, testPlugin]);
  const file = join(tmp, 'w.workflow.json');
  const text = JSON.stringify({ name: 'w', steps }, null, 2);
  const { workflow } = loadWorkflowText(file, text, registry, { env: {} });
  const plan = planWorkflow(workflow, { file, text, registry, env: {} });
  const engine = new LocalEngine();
  return (runId: string, over: Partial<RunRequest> = {}) =>
    engine.run({ plan, registry, runsDir: join(tmp, 'runs'), runId, cacheDir: join(tmp, 'cache'), concurrency, ...extra, ...over });
}

describe('local engine', () => {
  it('runs steps in dependency order, passing matrix outputs as arrays, and writes canonical artifacts', async () => {
    calls.length = 0;
    const run = setup({
      sum: { uses: 'count', with: { n: 0, tag: 'total ${steps.make.outputs.n}' } },
      make: { uses: 'count', matrix: { n: [1, 2] }, with: { n: '${matrix.n}' } },
    });
    const r = await run('r1');
    expect(r.status).toBe('succeeded');
    expect(calls).toEqual(['make[n=1]', 'make[n=2]', 'sum']);
    const sum = JSON.parse(readFileSync(join(r.runDir, 'steps/sum/result.json'), 'utf8'));
    expect(sum.tag).toBe('total [1,2]');
    const raw = readFileSync(join(r.runDir, 'steps/make/n=2/result.json'), 'utf8');
    // Keys sorted, own paths portable (no absolute run directory inside the artifact).
    expect(raw).toBe('{\n  "file": "${cell}/n.txt",\n  "n": 2,\n  "tag": "x"\n}\n');
    const manifest = JSON.parse(readFileSync(join(r.runDir, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('succeeded');
    expect(manifest.plugins).toContainEqual({ name: 'engine-test', version: '2.0.0' });
    const cell = manifest.cells.find((c: any) => c.step === 'make' && c.cell === 'n=2');
    expect(cell).toMatchObject({ status: 'succeeded', cached: false, options: { n: 2, tag: 'x' }, records: { seen: 2 } });
    expect(cell.cacheKey).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.host.cores).toBeGreaterThan(0);
  });

  it('a matching reference gives each cell the output of its own upstream cell, and only that cell keys its cache', async () => {
    calls.length = 0;
    const steps = (models: number[]) => ({
      train: { uses: 'count', matrix: { model: models }, with: { n: '${matrix.model}', tag: 'trained' } },
      score: { uses: 'count', matrix: { model: models, r: [7, 8] }, with: { n: '${matrix.r}', tag: 'model ${steps.train.matching.outputs.n}' } },
    });
    const first = await setup(steps([1, 2]))('m1');
    expect(first.status).toBe('succeeded');
    const tagOf = (runDir: string, cell: string) => JSON.parse(readFileSync(join(runDir, 'steps/score', cell, 'result.json'), 'utf8')).tag;
    expect(tagOf(first.runDir, 'model=1,r=8')).toBe('model 1');
    expect(tagOf(first.runDir, 'model=2,r=7')).toBe('model 2');
    const cellOf = (m: { cells: Array<{ step: string; cell: string; inputs?: unknown[] }> }, cell: string) => m.cells.find((c) => c.step === 'score' && c.cell === cell)!;
    expect(cellOf(first.manifest, 'model=1,r=7').inputs).toHaveLength(1);
    // A third model joins the sweep: the first two models' cells are all cache hits.
    calls.length = 0;
    const grown = await setup(steps([1, 2, 3]))('m2');
    expect(grown.status).toBe('succeeded');
    expect(calls.sort()).toEqual(['score[model=3,r=7]', 'score[model=3,r=8]', 'train[model=3]']);
    // Two upstream cells with the same shared values cannot be told apart: an error, naming them.
    const ambiguous = await setup({
      train: { uses: 'count', matrix: { model: [1], seed: [0, 1] }, with: { n: '${matrix.seed}' } },
      score: { uses: 'count', matrix: { model: [1] }, with: { n: '${steps.train.matching.outputs.n}' } },
    })('m3');
    expect(ambiguous.status).toBe('failed');
    expect(ambiguous.manifest.cells.find((c) => c.step === 'score')!.error).toMatch(/2 cells of step "train" have model=1; add the matrix keys that tell them apart/);
  });

  it('hits the cache on a re-run (the job is not called) and misses when an option changes', async () => {
    const steps = { a: { uses: 'count', with: { n: 41 } }, b: { uses: 'count', with: { n: '${steps.a.outputs.n}' } } };
    const run = setup(steps);
    const first = await run('c1');
    calls.length = 0;
    const second = await run('c2');
    expect(calls).toEqual([]);
    expect(second.manifest.cells.every((c) => c.cached)).toBe(true);
    for (const f of ['steps/a/result.json', 'steps/a/n.txt', 'steps/b/result.json', 'steps/b/cell.json']) {
      expect(readFileSync(join(second.runDir, f), 'utf8')).toBe(readFileSync(join(first.runDir, f), 'utf8'));
    }
    const changed = setup({ ...steps, a: { uses: 'count', with: { n: 42 } } });
    const third = await changed('c3');
    // a's option changed, so a misses; b's input hash changed with it, so b misses too.
    expect(calls).toEqual(['a', 'b']);
    expect(third.manifest.cells.map((c) => c.cached)).toEqual([false, false]);
  });

  it('runs independent cells concurrently up to the limit', async () => {
    maxActive = 0;
    const run = setup({ m: { uses: 'count', matrix: { n: [1, 2, 3, 4, 5] }, with: { n: '${matrix.n}', waitMs: 30 } } }, {}, 2);
    const r = await run('p1', { cacheDir: null });
    expect(r.status).toBe('succeeded');
    expect(maxActive).toBe(2);
  });

  it('stops after a failure, skips dependents and records the error', async () => {
    const run = setup({
      bad: { uses: 'count', with: { n: 1, fail: true } },
      after: { uses: 'count', needs: ['bad'], with: { n: 2 } },
    });
    const r = await run('f1', { cacheDir: null });
    expect(r.status).toBe('failed');
    expect(r.manifest.cells.map((c) => [c.step, c.status])).toEqual([['bad', 'failed'], ['after', 'skipped']]);
    expect(r.manifest.cells[0].error).toBe('boom in bad');
  });

  it('keeps going past a continueOnError step', async () => {
    const run = setup({
      bad: { uses: 'count', continueOnError: true, with: { n: 1, fail: true } },
      other: { uses: 'count', with: { n: 3 } },
    });
    const r = await run('f2', { cacheDir: null });
    expect(r.status).toBe('succeeded');
    expect(r.manifest.cells.map((c) => c.status)).toEqual(['failed', 'succeeded']);
  });

  it('on abort keeps finished cells and marks the run interrupted', async () => {
    const ac = new AbortController();
    const run = setup({ m: { uses: 'count', matrix: { n: [1, 2, 3] }, with: { n: '${matrix.n}', waitMs: 20 } } });
    const r = await run('i1', {
      cacheDir: null, signal: ac.signal, graceMs: 2000,
      onEvent: (e) => { if (e.type === 'cell-finish') ac.abort(); },
    });
    expect(r.status).toBe('interrupted');
    expect(r.manifest.cells.map((c) => c.status)).toEqual(['succeeded', 'pending', 'pending']);
    expect(readFileSync(join(r.runDir, 'steps/m/n=1/n.txt'), 'utf8')).toBe('1');
  });

  it('resume reuses finished cells of the same run', async () => {
    const ac = new AbortController();
    const run = setup({ m: { uses: 'count', matrix: { n: [1, 2] }, with: { n: '${matrix.n}' } } });
    const first = await run('res', { cacheDir: null, signal: ac.signal, onEvent: (e) => { if (e.type === 'cell-finish') ac.abort(); } });
    calls.length = 0;
    const second = await run('res', { cacheDir: null, resume: first.manifest });
    expect(second.status).toBe('succeeded');
    expect(calls).toEqual(['m[n=2]']);
    expect(second.manifest.cells.map((c) => c.reused)).toEqual([true, false]);
    expect(second.manifest.resumedAt).toHaveLength(1);
  });
});

describe('writeFileAtomic', () => {
  it('never exposes a partial file and leaves no temp files', async () => {
    const dir = join(tmp, 'atomic');
    const path = join(dir, 'big.bin');
    const a = Buffer.alloc(1 << 20, 0x61), b = Buffer.alloc(1 << 20, 0x62);
    await writeFileAtomic(path, a);
    const reads: Promise<void>[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      reads.push(writeFileAtomic(path, i % 2 ? a : b));
      reads.push((async () => {
        const got = readFileSync(path);
        expect(got.length).toBe(1 << 20);
        expect(got.every((x) => x === got[0])).toBe(true);
        seen.add(String.fromCharCode(got[0]));
      })());
    }
    await Promise.all(reads);
    expect(readdirSync(dir)).toEqual(['big.bin']);
    expect(seen.size).toBeGreaterThan(0);
  });

  it('removes its temp file when the rename fails', async () => {
    const dir = join(tmp, 'atomic2');
    await writeFileAtomic(join(dir, 'sub', 'x'), 'x'); // makes dir/sub a directory
    await expect(writeFileAtomic(join(dir, 'sub'), 'data')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['sub']);
  });
});

describe('step conditions (`if`)', () => {
  it('skips a step whose condition is unmet, and the steps using its outputs, but runs steps that only need it', async () => {
    calls.length = 0;
    const run = setup({
      base: { uses: 'count', with: { n: 1, tag: 'conditions' } },
      optional: { uses: 'count', if: { files: ['does-not-exist.bin'], env: ['PERCEPT_TEST_UNSET_VAR'] }, matrix: { n: [2, 3] }, with: { n: '${matrix.n}' } },
      user: { uses: 'count', with: { n: 4, tag: 'from ${steps.optional.outputs.n}' } },
      after: { uses: 'count', needs: ['optional'], with: { n: '${steps.base.outputs.n}' } },
      present: { uses: 'count', if: { files: ['.'] }, with: { n: 5 } },
    });
    const res = await run('cond');
    expect(res.status).toBe('succeeded');
    const byStep = (id: string) => res.manifest.cells.filter((c) => c.step === id);
    expect(byStep('optional').map((c) => c.status)).toEqual(['skipped', 'skipped']);
    expect(byStep('optional')[0].error).toMatch(/condition not met: missing file .*does-not-exist\.bin; environment variable PERCEPT_TEST_UNSET_VAR/);
    expect(byStep('user')[0]).toMatchObject({ status: 'skipped', error: 'uses the outputs of step "optional", which was skipped' });
    expect(byStep('after')[0].status).toBe('succeeded');
    expect(byStep('present')[0].status).toBe('succeeded');
    expect(calls.sort()).toEqual(['after', 'base', 'present']);
  });
});
