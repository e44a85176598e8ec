import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './main.js';

/**
 * Kills the real `percept` binary mid-run and resumes it. Needs the built CLI
 * (packages/cli/dist/bin.js): `npm test` builds every package before vitest runs.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repoRoot, 'packages/cli/dist/bin.js');
const tmp = mkdtempSync(join(tmpdir(), 'percept-resume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A local plugin as a user would write one: a plain object, no imports needed.
const pluginSource = `
import { writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
const sleep = (ms, signal) => new Promise((res, rej) => {
  const t = setTimeout(res, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); rej(signal.reason); }, { once: true });
});
export default {
  name: 'slow-test-plugin',
  version: '1.0.0',
  contributes: [{
    kind: 'job', name: 'slow-count', description: 'Sleeps per item, then writes the items.',
    optionsSchema: { type: 'object', required: ['items'], properties: { items: { type: 'integer' }, seed: { type: 'integer' }, delayMs: { type: 'integer', default: 100 } } },
    outputsSchema: { type: 'object', properties: { sum: { type: 'integer' }, file: { type: 'string' } } },
    async run(options, ctx) {
      const lines = [];
      for (let i = 0; i < options.items; i++) {
        await sleep(options.delayMs, ctx.signal);
        lines.push(String(i * options.seed));
        ctx.progress(i + 1, options.items, 'items');
      }
      const file = join(ctx.outputDir, 'items.txt');
      await writeFile(file + '.tmp', lines.join('\\n') + '\\n');
      await rename(file + '.tmp', file);
      return { sum: lines.reduce((a, b) => a + Number(b), 0), file };
    },
  }],
};
`;
writeFileSync(join(tmp, 'slow-plugin.mjs'), pluginSource);
const workflow = {
  name: 'slow',
  plugins: ['./slow-plugin.mjs'],
  steps: {
    count: { uses: 'slow-count', matrix: { seed: [1, 2, 3, 4] }, with: { items: 3, seed: '${matrix.seed}' } },
    total: { uses: 'echo', with: { values: { sums: '${steps.count.outputs.sum}' } } },
  },
};
writeFileSync(join(tmp, 'slow.workflow.json'), JSON.stringify(workflow, null, 2));

function percept(args: string[]): ChildProcess & { done: Promise<{ code: number | null; signal: string | null; out: string; err: string }> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: tmp, env: { ...process.env, CI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((res) =>
    child.on('close', (code, signal) => res({ code, signal, out, err })),
  );
  return Object.assign(child, { done });
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every artifact file of a run (not the manifest, whose timings differ), as path -> content. */
function artifacts(runDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(runDir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(join(runDir, 'steps'));
  return out;
}

// cell.json is the last file a finished cell writes.
const firstCell = (runs: string, id: string) => join(tmp, runs, 'slow', id, 'steps/count/seed=1/cell.json');

describe.skipIf(!existsSync(bin))('percept run: interrupt and --resume (built CLI)', () => {
  it('a run killed with SIGKILL, then resumed, ends byte-identical to an uninterrupted run', async () => {
    // The uninterrupted reference runs in-process (same engine code) to spare a process start.
    const out = new Writable({ write: (_c, _e, cb) => cb() });
    const code = await runCli(['run', 'slow.workflow.json', '--runs-dir', 'ref', '--run-id', 'r', '--no-cache'], { stdout: out, stderr: out, env: process.env, cwd: tmp });
    expect(code).toBe(0);

    const killed = percept(['run', 'slow.workflow.json', '--runs-dir', 'runs', '--run-id', 'k', '--no-cache']);
    await waitFor(() => existsSync(firstCell('runs', 'k')), 'the first cell to finish');
    killed.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');
    const before = JSON.parse(readFileSync(join(tmp, 'runs/slow/k/manifest.json'), 'utf8'));
    expect(before.status).toBe('running');
    expect(before.cells.some((c: { status: string }) => c.status !== 'succeeded')).toBe(true);

    const resumed = await percept(['run', 'slow.workflow.json', '--runs-dir', 'runs', '--resume', '--no-cache']).done;
    expect(resumed.err).not.toContain('failed');
    expect(resumed.code).toBe(0);
    expect(resumed.err).toContain('[count 1] done (kept from the resumed run)');
    const manifest = JSON.parse(readFileSync(join(tmp, 'runs/slow/k/manifest.json'), 'utf8'));
    expect(manifest.status).toBe('succeeded');
    expect(manifest.cells[0].reused).toBe(true);
    expect(manifest.resumedAt).toHaveLength(1);
    const got = artifacts(join(tmp, 'runs/slow/k'));
    expect(Object.keys(got).sort()).toEqual(Object.keys(artifacts(join(tmp, 'ref/slow/r'))).sort());
    expect(got).toEqual(artifacts(join(tmp, 'ref/slow/r')));
    expect(JSON.parse(got['steps/total/result.json'])).toEqual({ sums: [3, 6, 9, 12] });
  });

  it('SIGTERM stops the run with exit 130, keeps finished cells and marks the manifest interrupted', async () => {
    const run = percept(['run', 'slow.workflow.json', '--runs-dir', 'term', '--run-id', 't', '--no-cache']);
    await waitFor(() => existsSync(firstCell('term', 't')), 'the first cell to finish');
    run.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.err).toContain('--resume');
    const manifest = JSON.parse(readFileSync(join(tmp, 'term/slow/t/manifest.json'), 'utf8'));
    expect(manifest.status).toBe('interrupted');
    expect(manifest.cells[0].status).toBe('succeeded');
    expect(manifest.cells.some((c: { status: string }) => c.status === 'interrupted' || c.status === 'pending')).toBe(true);
    expect(existsSync(join(tmp, 'term/slow/t/steps/count/seed=1/items.txt'))).toBe(true);
    // The interrupted cell left no result behind, so a resume reruns it rather than trusting it.
    const stopped = manifest.cells.find((c: { status: string }) => c.status === 'interrupted');
    if (stopped) expect(existsSync(join(tmp, 'term/slow/t', stopped.dir, 'cell.json'))).toBe(false);
  });
});
