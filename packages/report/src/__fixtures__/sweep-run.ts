/**
 * A run directory with the matrix layouts of the paper workflows (fig06 width/depth, fig04 seeds,
 * fig12 margins, fig15-16 entropy), results shaped as the jobs write them. The numbers are made up
 * for the report mechanics, not results.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BAPPS_VAL, scoreResult } from './score-run.js';

interface Cell { step: string; uses: string; matrix: Record<string, unknown>; outputs: unknown }

const cellName = (m: Record<string, unknown>) => Object.entries(m).map(([k, v]) => `${k}=${String(v)}`).join(',');

export function writeCells(root: string, cells: Cell[]): string {
  const runDir = join(root, 'runs', 'fig', 'run-1');
  const manifestCells = cells.map((c) => {
    const cell = cellName(c.matrix);
    const dir = join('steps', c.step, cell);
    mkdirSync(join(runDir, dir), { recursive: true });
    writeFileSync(join(runDir, dir, 'result.json'), JSON.stringify(c.outputs));
    return { step: c.step, uses: c.uses, cell, matrix: c.matrix, dir, status: 'succeeded' };
  });
  writeFileSync(join(runDir, 'manifest.json'), JSON.stringify({
    manifestVersion: 1, runId: 'run-1', engine: 'local', status: 'succeeded',
    startedAt: '2025-01-01T00:00:00.000Z', finishedAt: '2025-01-01T00:01:00.000Z',
    workflow: { name: 'fig', path: '/x/fig.workflow.json', sha256: 'abc', overrides: [] },
    host: { node: 'v20', platform: 'linux', release: '6', arch: 'x64', cpuModel: 'cpu', cores: 2, memoryBytes: 1, hostname: 'h' },
    plugins: [], concurrency: 1, cacheDir: null, cells: manifestCells,
  }));
  return runDir;
}

export const ps = (step: string, matrix: Record<string, unknown>, base: number): Cell => ({
  step, uses: 'perceptual-score', matrix, outputs: scoreResult(BAPPS_VAL, [{ id: 'local', use: 'lpips', base: base + 2.5 }]),
});
export const acc = (step: string, matrix: Record<string, unknown>, top1: number): Cell => ({ step, uses: 'accuracy', matrix, outputs: { top1, count: 100 } });
export const entropy = (step: string, matrix: Record<string, unknown>, e: number[]): Cell => ({
  step, uses: 'activation-entropy', matrix,
  outputs: {
    taps: e.map((_, i) => `stage${i + 1}`), entropy: e.reduce((a, b) => a + b, 0) / e.length,
    byTap: Object.fromEntries(e.map((v, i) => [`stage${i + 1}`, v])),
    bySubset: { traditional: { entropy: 0.5, byTap: {}, n: 4 } }, counts: { traditional: 4 },
  },
});
export const margin = (step: string, matrix: Record<string, unknown>, far: number, near: number): Cell => ({
  step, uses: 'distortion-sensitivity', matrix,
  outputs: {
    subsets: BAPPS_VAL, unanimous: Object.fromEntries(BAPPS_VAL.map((s) => [s, 8])),
    distances: { local: { use: 'lpips', pooled: { n: 48, seen: 60, margin: far - near, far, near }, bySubset: {}, layers: ['a'], layerMargin: { a: 0.1 } } },
  },
});
