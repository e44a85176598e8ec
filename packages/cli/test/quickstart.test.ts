import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Runs the README's main job (workflows/quickstart.workflow.json) through the built binary, at a
 * reduced size, with no shared assets and no network: exactly what a fresh clone does.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repoRoot, 'packages/cli/dist/bin.js');
const built = existsSync(bin);
if (!built) {
  const reason = `${bin} is not built (npm test builds every package first)`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`[skip] ${reason}`);
}
const tmp = mkdtempSync(join(tmpdir(), 'percept-quickstart-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface ScoreResult {
  distances: Record<string, { ps: number; twoAfc: Record<string, { score: number; n: number }> }>;
}

describe.skipIf(!built)('quickstart workflow (reduced size)', () => {
  it('runs offline, scores every cell, agrees across engines and writes a report', () => {
    const env = { ...process.env, ORT_DISABLE_TELEMETRY: '1' };
    // The quickstart must not depend on shared assets: point PERCEPT_ASSETS at an empty folder.
    env.PERCEPT_ASSETS = join(tmp, 'no-assets');
    env.PERCEPT_HOME = join(tmp, 'no-home');
    const res = spawnSync(process.execPath, [
      bin, 'run', join(repoRoot, 'workflows/quickstart.workflow.json'),
      '--runs-dir', join(tmp, 'runs'), '--no-cache', '--run-id', 'ci',
      '--set', 'steps.benchmark.with.count=8',
      '--set', 'steps.pixels.with.bootstrap.resamples=20',
      '--set', 'steps.networks.with.bootstrap.resamples=20',
    ], { cwd: tmp, env, encoding: 'utf8', timeout: 240_000 });
    expect(res.status, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(0);
    const runDir = join(tmp, 'runs', 'quickstart', 'ci');
    // The last line printed is where the run went.
    expect(res.stdout.trim().split('\n').at(-1)).toBe(runDir);

    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('succeeded');
    expect(manifest.cells.map((c: { step: string; cell: string }) => `${c.step}/${c.cell}`).sort()).toEqual([
      'benchmark/', 'lpips/backbone=alexnet', 'lpips/backbone=squeezenet1_1',
      'networks/backbone=alexnet,backend=onnx', 'networks/backbone=alexnet,backend=tfjs',
      'networks/backbone=resnet6,backend=onnx', 'networks/backbone=resnet6,backend=tfjs', 'pixels/', 'report/',
    ]);
    // Without weights the LPIPS step is recorded as skipped, saying what it looked for.
    const lpipsCells = manifest.cells.filter((c: { step: string }) => c.step === 'lpips');
    for (const c of lpipsCells) {
      expect(c.status).toBe('skipped');
      expect(c.error).toMatch(/condition not met: missing asset weights\/alexnet-features\.safetensors/);
    }
    expect(res.stdout).toMatch(/7\/9 cells succeeded, 2 skipped/);

    // The synthetic benchmark says plainly that its judges are not human.
    const readme = readFileSync(join(runDir, 'steps/benchmark/dataset/README.md'), 'utf8');
    expect(readme).toMatch(/not human/i);

    const result = (cell: string): ScoreResult =>
      JSON.parse(readFileSync(join(runDir, 'steps', cell, 'result.json'), 'utf8'));
    const pixels = result('pixels');
    for (const id of ['l2-lab', 'l2-rgb', 'dssim']) {
      const d = pixels.distances[id];
      expect(d.ps, id).toBeGreaterThan(50);
      expect(d.ps, id).toBeLessThanOrEqual(100);
      for (const s of Object.values(d.twoAfc)) expect(s.n).toBe(8);
    }
    // Same random weights on two engines: the features agree to float precision, so every
    // 2AFC decision (and hence every score) is the same.
    for (const net of ['alexnet', 'resnet6']) {
      const onnx = result(`networks/backbone=${net},backend=onnx`);
      const tfjs = result(`networks/backbone=${net},backend=tfjs`);
      for (const id of ['lpips', 'mean-pool']) {
        expect(onnx.distances[id].ps, `${net} ${id}`).toBeCloseTo(tfjs.distances[id].ps, 6);
        expect(onnx.distances[id].ps).toBeGreaterThan(50);
      }
    }

    const html = readFileSync(join(runDir, 'steps/report/report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('alexnet/onnx');
    expect(existsSync(join(runDir, 'steps/report/report.md'))).toBe(true);
  }, 300_000);
});
