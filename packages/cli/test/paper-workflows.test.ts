import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedAssets } from '@percept/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The paper's workflows (workflows/paper/): every one validates at full scale and in its smoke
 * profile, and the smoke profile of the priority figures runs end to end through the built binary
 * on CIFAR-10 and synthetic 2AFC data, with the ImageNet/BAPPS steps recorded as skipped.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repoRoot, 'packages/cli/dist/bin.js');
const paperDir = join(repoRoot, 'workflows/paper');
const built = existsSync(bin);
if (!built) {
  const reason = `${bin} is not built (npm test builds every package first)`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`[skip] ${reason}`);
}
const cifar = sharedAssets('datasets/cifar10');
const files = readdirSync(paperDir).filter((f) => f.endsWith('.workflow.json')).sort();
const tmp = mkdtempSync(join(tmpdir(), 'percept-paper-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv) {
  const clean = { ...process.env, ORT_DISABLE_TELEMETRY: '1', ...env };
  for (const k of ['BAPPS_ROOT', 'IMAGENET64_ROOT']) if (!(k in env)) delete clean[k];
  return spawnSync(process.execPath, [bin, ...args], { cwd: tmp, env: clean, encoding: 'utf8', timeout: 120_000 });
}

describe.skipIf(!built)('paper workflows validate', () => {
  it('there are paper workflows, each with a smoke profile', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const wf = JSON.parse(readFileSync(join(paperDir, f), 'utf8'));
      expect(wf.profiles?.smoke?.set, f).toBeTypeOf('object');
    }
  });

  it('at full scale (BAPPS_ROOT and IMAGENET64_ROOT set)', () => {
    const res = cli(['validate', ...files.map((f) => join(paperDir, f))], { BAPPS_ROOT: '/data/bapps', IMAGENET64_ROOT: '/data/imagenet64' });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.match(/^ok /gm)?.length).toBe(files.length);
  });

  it('in the smoke profile, without either root', () => {
    const res = cli(['validate', '--profile', 'smoke', ...files.map((f) => join(paperDir, f))], { PERCEPT_ASSETS: tmp });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.match(/^ok /gm)?.length).toBe(files.length);
  });

  it('rejects an unknown profile with the known ones', () => {
    const res = cli(['validate', '--profile', 'smok', join(paperDir, files[0])], { PERCEPT_ASSETS: tmp });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/declares the profiles "smoke"; did you mean "smoke"\?/);
  });
});

interface Cell { step: string; cell: string; status: string }

const runs: Array<{ file: string; name: string; ran: string[]; artifacts: string[] }> = [
  // Fig. 1 also trains and scores a tiny EfficientNet-B0 (width 0.25, 10 steps) through the CLI.
  {
    file: 'fig01-ps-vs-accuracy', name: 'kumar-fig01',
    ran: ['train_resnet6', 'ps_resnet6', 'acc_resnet6', 'train_efficientnet_b0', 'ps_efficientnet_b0', 'acc_efficientnet_b0', 'report'],
    artifacts: ['report/charts/ps-vs-accuracy.png', 'report/report.md'],
  },
  // Fig. 5a (ResNets) is a panel of its own; 5c (ViTs) has no cell in the smoke profile.
  { file: 'fig05-epochs', name: 'kumar-fig05', ran: ['train_resnet6', 'ps_resnet6', 'acc_resnet6', 'report'], artifacts: ['report/charts/ps-vs-accuracy-5a.png'] },
  { file: 'fig13-layerwise', name: 'kumar-fig13', ran: ['train_resnet6', 'ps_resnet6', 'report'], artifacts: ['report/report.md'] },
  { file: 'fig17-lowpass', name: 'kumar-fig17', ran: ['train_resnet6', 'lowpass_resnet6', 'report'], artifacts: ['report/report.md', 'report/report-charts/lowpass.png'] },
  {
    file: 'table1-fig10-pareto', name: 'kumar-table1-fig10',
    ran: ['train_resnet6', 'ps_resnet6', 'acc_resnet6', 'train_resnet6_w0_5', 'ps_resnet6_w0_5', 'acc_resnet6_w0_5', 'pareto', 'report'],
    artifacts: ['report/report.md', 'report/report-charts/pareto.png'],
  },
];

describe.skipIf(!built || !cifar.available)('paper workflows run in the smoke profile', () => {
  for (const r of runs) {
    it(`${r.file} succeeds on CIFAR-10 and synthetic 2AFC data`, () => {
      const res = cli(['run', join(paperDir, `${r.file}.workflow.json`), '--profile', 'smoke', '--runs-dir', join(tmp, 'runs'), '--no-cache', '--run-id', 'ci'],
        { PERCEPT_ASSETS: cifar.dir });
      expect(res.status, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(0);
      const runDir = join(tmp, 'runs', r.name, 'ci');
      const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as { status: string; cells: Cell[] };
      expect(manifest.status).toBe('succeeded');
      const succeeded = new Set(manifest.cells.filter((c) => c.status === 'succeeded').map((c) => c.step));
      for (const s of r.ran) expect(succeeded.has(s), `${s} succeeded`).toBe(true);
      // Full-scale models need ImageNet 64x64: recorded as skipped, not silently dropped.
      expect(manifest.cells.some((c) => c.status === 'skipped')).toBe(true);
      for (const a of r.artifacts) expect(existsSync(join(runDir, 'steps', a)), a).toBe(true);
      // The smoke model really was trained and scored: accuracy and PS are finite numbers.
      const first = (step: string) => {
        const dir = join(runDir, 'steps', step);
        const cell = readdirSync(dir).find((d) => existsSync(join(dir, d, 'result.json')));
        return JSON.parse(readFileSync(join(dir, cell!, 'result.json'), 'utf8'));
      };
      if (r.ran.includes('ps_resnet6')) expect(first('ps_resnet6').ps.lpips).toBeGreaterThan(0);
      if (r.ran.includes('ps_efficientnet_b0')) expect(first('ps_efficientnet_b0').ps.lpips).toBeGreaterThan(0);
      // The report step names its figure: the paper's numbers sit beside the run's (issue #9).
      if (r.file === 'fig05-epochs') expect(readFileSync(join(runDir, 'steps/report/report.md'), 'utf8')).toMatch(/Published vs this run \(Kumar et al\. 2022 Fig\. 5\)[\s\S]*\| ResNet-6 a\(p_max\) over epochs \| 15–25% \| \d+\.\d% \|/);
      if (r.ran.includes('acc_resnet6')) expect(first('acc_resnet6').top1).toBeGreaterThanOrEqual(0);
      if (r.ran.includes('lowpass_resnet6')) {
        const lp = first('lowpass_resnet6');
        expect(lp.r).toEqual([8, 16, 32]);
        expect(lp.count).toBe(40);
        expect(lp.curve.map((c: { top1: number }) => c.top1).every((t: number) => t >= 0 && t <= 1)).toBe(true);
        expect(readFileSync(join(runDir, 'steps/report/report.md'), 'utf8')).toMatch(/Normalized accuracy per low-pass filter size r/);
      }
      if (r.ran.includes('pareto')) {
        // Gathered from the smoke cells: the default's two checkpoints and the one width point; the rest skipped.
        const p = JSON.parse(readFileSync(join(runDir, 'steps/pareto/result.json'), 'utf8'));
        expect(p.groups['resnet6/train-steps']).toMatchObject({ n: 2, baseline: 'ps_resnet6[model=resnet6,step=0000020]' });
        expect(p.groups['resnet6/width']).toMatchObject({ n: 1, best: 'ps_resnet6_w0_5[model=resnet6,width=0.5,step=0000020]' });
        expect(typeof p.groups['resnet6/width'].gain).toBe('number');
        expect(p.points).toHaveLength(3);
        expect(p.excluded.length).toBeGreaterThan(0);
        expect(readFileSync(join(runDir, 'steps/report/report.md'), 'utf8')).toMatch(/Table 1: PS gained by scaling down/);
      }
    }, 150_000);
  }
});
