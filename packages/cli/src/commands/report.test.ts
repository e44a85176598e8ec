import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { reportCommand } from './report.js';

function sink() {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } });
  return { stream, text: () => text };
}

let root: string;
let runDir: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'percept-cli-report-'));
  runDir = join(root, 'runs', 'wf', 'r1');
  // A minimal run in the engine's layout; the scores are illustrative inputs, not results.
  const cellDir = join(runDir, 'steps', 'score');
  mkdirSync(cellDir, { recursive: true });
  writeFileSync(join(cellDir, 'result.json'), JSON.stringify({ perSubset: { traditional: 0.7, cnn: 0.8 } }));
  writeFileSync(join(runDir, 'manifest.json'), JSON.stringify({
    manifestVersion: 1, runId: 'r1', engine: 'local', status: 'succeeded', workflow: { name: 'wf', sha256: 'feedbeef' },
    cells: [{ step: 'score', cell: '', matrix: null, dir: 'steps/score', status: 'succeeded', uses: 'perceptual-score' }],
  }));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const io = () => {
  const out = sink(), err = sink();
  return { io: { stdout: out.stream, stderr: err.stream, env: {}, cwd: root, verbose: false }, out, err };
};

describe('percept report', () => {
  it('writes a self-contained HTML report into the run directory by default', async () => {
    const { io: cli, out } = io();
    expect(await reportCommand.run([runDir], cli)).toBe(0);
    const file = join(runDir, 'report.html');
    expect(out.text().trim()).toBe(file);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('feedbeef');
    expect(html).toContain('<svg');
    expect(html).toMatch(/<td style="text-align:right">70\.0<\/td>/);
  });

  it('md to a chosen path, with the chart PNG beside it', async () => {
    const { io: cli } = io();
    expect(await reportCommand.run([runDir, '--format', 'md', '-o', 'out/rep.md', '--no-published'], cli)).toBe(0);
    const md = readFileSync(join(root, 'out', 'rep.md'), 'utf8');
    expect(md).toContain('(rep-charts/per-subset.png)');
    expect(md).not.toContain('published: Oracle');
    expect(existsSync(join(root, 'out', 'rep-charts', 'per-subset.png'))).toBe(true);
  });

  it('--table picks tables; an unknown kind is a usage error naming the kinds', async () => {
    const { io: cli } = io();
    expect(await reportCommand.run([runDir, '--format', 'md', '-o', 'out/t.md', '--table', 'per-subset'], cli)).toBe(0);
    const md = readFileSync(join(root, 'out', 't.md'), 'utf8');
    expect(md).toContain('**2AFC score per subset**');
    expect(md).not.toContain('LPIPS Table 5 layout');
    await expect(reportCommand.run([runDir, '--table', 'tabel5'], cli)).rejects.toThrow(/--table must be one of per-subset, table5, layerwise, jnd, .*got "tabel5"; did you mean "table5"\?/);
  });

  it('usage errors exit with code 2 through PerceptError', async () => {
    const { io: cli } = io();
    await expect(reportCommand.run([], cli)).rejects.toMatchObject({ exitCode: 2 });
    await expect(reportCommand.run([runDir, '--format', 'pdf'], cli)).rejects.toThrow(/--format must be one of html, md, png/);
    await expect(reportCommand.run([join(root, 'nope')], cli)).rejects.toThrow(/does not exist/);
  });
});
