import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageBatch } from '@percept/core';
import { sharedAssets } from '@percept/core/testing';
import { seededRandom } from '@percept/metrics';
import { JND_SUBSETS, VAL_SUBSETS, writeJndSubset, writeTwoAfcSubset, type JndPair, type TwoAfcTriplet } from '@percept/dataset-bapps';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The example workflows workflows/lpips-baselines and workflows/ps-by-backbone: both validate with
 * BAPPS_ROOT set (and in their smoke profile without it), and both run end to end through the built
 * binary on a tiny BAPPS-layout fixture written here, with the real LPIPS weights from PERCEPT_ASSETS.
 *
 * The fixture is built so that the answer is known: p0/p1 are the reference plus weak or strong
 * noise, and the "humans" (judge) prefer the weakly distorted patch 4 to 1, so every sensible
 * distance scores exactly 80 on every subset; JND pairs are "same" exactly when the noise is weak,
 * so every sensible distance has mAP 100.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repoRoot, 'packages/cli/dist/bin.js');
const workflows = {
  baselines: join(repoRoot, 'workflows/lpips-baselines.workflow.json'),
  byBackbone: join(repoRoot, 'workflows/ps-by-backbone.workflow.json'),
};
const built = existsSync(bin);
if (!built) {
  const reason = `${bin} is not built (npm test builds every package first)`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`[skip] ${reason}`);
}
const weights = sharedAssets(
  'weights/alexnet-features.safetensors',
  'weights/lpips-v0.1-alex-lin.safetensors',
  'weights/squeezenet1_1-features.safetensors',
  'weights/lpips-v0.1-squeeze-lin.safetensors',
);
const tmp = mkdtempSync(join(tmpdir(), 'percept-examples-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv) {
  const clean: NodeJS.ProcessEnv = { ...process.env, ORT_DISABLE_TELEMETRY: '1', ...env };
  for (const k of ['BAPPS_ROOT', 'PERCEPT_BACKEND']) if (!(k in env)) delete clean[k];
  return spawnSync(process.execPath, [bin, ...args], { cwd: tmp, env: clean, encoding: 'utf8', timeout: 150_000 });
}

describe.skipIf(!built)('example workflows validate', () => {
  it('with BAPPS_ROOT set', () => {
    const res = cli(['validate', workflows.baselines, workflows.byBackbone], { BAPPS_ROOT: '/data/bapps' });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.match(/^ok /gm)?.length).toBe(2);
  });

  it('without BAPPS_ROOT: an unset-variable error per step that reads it', () => {
    const res = cli(['validate', workflows.baselines], {});
    expect(res.status).toBe(3);
    expect(res.stdout + res.stderr).toMatch(/\/steps\/pixels\/with\/root: environment variable BAPPS_ROOT is not set/);
    expect(res.stdout + res.stderr).toMatch(/\/steps\/lpips\/with\/root: environment variable BAPPS_ROOT is not set/);
  });

  it('in the smoke profile, without BAPPS_ROOT', () => {
    const res = cli(['validate', '--profile', 'smoke', workflows.baselines, workflows.byBackbone], {});
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.match(/^ok /gm)?.length).toBe(2);
  });
});

// ---- a BAPPS-layout fixture with known answers ----------------------------------------------------

const SIZE = 64;

/** A smooth colourful patch: a few random sinusoids per channel. */
function patch(seed: number): ImageBatch {
  const r = seededRandom(seed);
  const waves = Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => [r() * 0.3, r() * 0.3, r() * 6.28, 0.1 + 0.15 * r()]));
  const data = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0.5;
        for (const [fx, fy, ph, amp] of waves[c]) v += amp * Math.sin(fx * x + fy * y + ph);
        data[(y * SIZE + x) * 3 + c] = Math.min(1, Math.max(0, v));
      }
    }
  }
  return { data, shape: [1, SIZE, SIZE, 3] };
}

/** The patch plus Gaussian noise of standard deviation sigma, clipped to [0,1]. */
function noisy(img: ImageBatch, sigma: number, seed: number): ImageBatch {
  const r = seededRandom(seed);
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    data[i] = Math.min(1, Math.max(0, img.data[i] + sigma * g));
  }
  return { data, shape: img.shape };
}

const WEAK = 0.02;
const STRONG = 0.25;
const TRIPLETS = 3;
const PAIRS = 4;

async function writeFixture(root: string): Promise<void> {
  for (const [s, subset] of VAL_SUBSETS.entries()) {
    const triplets: TwoAfcTriplet[] = [];
    for (let i = 0; i < TRIPLETS; i++) {
      const seed = 1000 * s + 10 * i;
      const ref = patch(seed);
      const weak = noisy(ref, WEAK, seed + 1);
      const strong = noisy(ref, STRONG, seed + 2);
      // judge = fraction preferring p1: 4 of 5 raters pick the weakly distorted patch, on either side.
      triplets.push(i % 2 === 0 ? { ref, p0: weak, p1: strong, judge: 0.2 } : { ref, p0: strong, p1: weak, judge: 0.8 });
    }
    await writeTwoAfcSubset(root, 'val', subset, triplets);
  }
  for (const [s, subset] of JND_SUBSETS.entries()) {
    const pairs: JndPair[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const seed = 50_000 + 1000 * s + 10 * i;
      const ref = patch(seed);
      const same = i % 2 === 0;
      pairs.push({ p0: ref, p1: noisy(ref, same ? WEAK : STRONG, seed + 1), same: same ? 1 : 0 });
    }
    await writeJndSubset(root, subset, pairs);
  }
}

interface Cell { step: string; cell: string; status: string; error?: string }
interface DistanceResult { use: string; ps: number; twoAfc: Record<string, { score: number; n: number }>; layers: string[]; jnd: Record<string, { mAP: number; n: number }> }
interface ScoreResult { ps: Record<string, number>; paperPS: boolean; subsets: string[]; counts: Record<string, number>; distances: Record<string, DistanceResult> }

function readRun(runDir: string) {
  const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as { status: string; cells: Cell[] };
  const results = (step: string): Array<{ cell: string; result: ScoreResult }> => {
    const dir = join(runDir, 'steps', step);
    if (!existsSync(join(dir, 'result.json'))) {
      return readdirSync(dir).filter((d) => existsSync(join(dir, d, 'result.json')))
        .map((cell) => ({ cell, result: JSON.parse(readFileSync(join(dir, cell, 'result.json'), 'utf8')) as ScoreResult }));
    }
    return [{ cell: '', result: JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ScoreResult }];
  };
  return { manifest, results };
}

/** Every subset of the fixture scored, with the known answer (80 on each, mAP 100 when JND is scored). */
function expectKnownAnswers(r: ScoreResult, ids: string[], jnd: boolean, what: string): void {
  expect(r.subsets, what).toEqual([...VAL_SUBSETS]);
  expect(r.paperPS, what).toBe(true);
  expect(Object.values(r.counts), what).toEqual(VAL_SUBSETS.map(() => TRIPLETS));
  expect(Object.keys(r.distances).sort(), what).toEqual([...ids].sort());
  for (const id of ids) {
    const d = r.distances[id];
    expect(Object.keys(d.twoAfc).sort(), `${what} ${id}`).toEqual([...VAL_SUBSETS].sort());
    for (const s of VAL_SUBSETS) expect(d.twoAfc[s].score, `${what} ${id} ${s}`).toBeCloseTo(80, 6);
    expect(r.ps[id], `${what} ${id}`).toBeCloseTo(80, 6);
    if (jnd) {
      expect(Object.keys(d.jnd).sort(), `${what} ${id} jnd`).toEqual([...JND_SUBSETS].sort());
      for (const s of JND_SUBSETS) expect(d.jnd[s].mAP, `${what} ${id} jnd ${s}`).toBeCloseTo(100, 6);
    } else {
      expect(d.jnd, `${what} ${id} jnd`).toEqual({});
    }
  }
}

describe.skipIf(!built || !weights.available)('example workflows run on a BAPPS-layout fixture', () => {
  const bapps = join(tmp, 'bapps');
  const runs = join(tmp, 'runs');
  // An empty download cache: backbones that exist only as downloads are skipped the same way everywhere.
  const home = join(tmp, 'home');
  const env = () => ({ BAPPS_ROOT: bapps, PERCEPT_ASSETS: weights.dir, PERCEPT_HOME: home });

  beforeAll(async () => {
    mkdirSync(home, { recursive: true });
    await writeFixture(bapps);
  });

  it('lpips-baselines: pixel metrics and AlexNet/SqueezeNet lin + baseline on 2AFC and JND, Table 5 report', () => {
    const res = cli(['run', workflows.baselines, '--runs-dir', runs, '--no-cache', '--run-id', 'ci',
      '--set', 'steps.pixels.with.bootstrap.resamples=50', '--set', 'steps.lpips.with.bootstrap.resamples=50'], env());
    expect(res.status, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(0);
    const runDir = join(runs, 'lpips-baselines', 'ci');
    const { manifest, results } = readRun(runDir);
    expect(manifest.status).toBe('succeeded');
    expect(manifest.cells.map((c) => `${c.step}:${c.status}`).sort())
      .toEqual(['lpips:succeeded', 'lpips:succeeded', 'pixels:succeeded', 'report:succeeded']);

    const [pixels] = results('pixels');
    expectKnownAnswers(pixels.result, ['l2-lab', 'l2-rgb', 'dssim-lab', 'dssim-rgb'], true, 'pixels');
    const nets = results('lpips');
    expect(nets.map((n) => n.cell).sort()).toEqual(['backbone=alexnet', 'backbone=squeezenet1_1']);
    for (const n of nets) {
      expectKnownAnswers(n.result, ['lin', 'baseline'], true, n.cell);
      expect(n.result.distances.lin.layers.length, n.cell).toBe(n.cell.endsWith('alexnet') ? 5 : 7);
    }
    // The pretrained trunks and lin weights were found through PERCEPT_ASSETS, and recorded.
    const alexManifest = readFileSync(join(runDir, 'steps', 'lpips', 'backbone=alexnet', 'cell.json'), 'utf8');
    expect(alexManifest).toContain('alexnet-features.safetensors');
    expect(alexManifest).toContain('lpips-v0.1-alex-lin.safetensors');

    const md = readFileSync(join(runDir, 'steps', 'report', 'report.md'), 'utf8');
    expect(md).toContain('LPIPS Table 5 layout');
    for (const col of ['Trad', 'CNN', 'Distortions-All', 'SuperRes', 'Deblur', 'Color', 'FrameInterp', 'Real-All', 'All']) expect(md).toContain(`| ${col} `);
    for (const row of ['pixels · l2-lab', 'pixels · dssim-rgb', 'alexnet · lin', 'alexnet · baseline', 'squeezenet1_1 · lin', 'squeezenet1_1 · baseline']) {
      expect(md).toMatch(new RegExp(`\\| ${row.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*\\| 80\\.0`));
    }
    expect(md).toContain('JND mAP per subset');
    expect(existsSync(join(runDir, 'steps', 'report', 'report.html'))).toBe(true);
  }, 150_000);

  it('ps-by-backbone: the LPIPS trunks on both engines agree; download-only backbones are skipped with the reason', () => {
    const res = cli(['run', workflows.byBackbone, '--runs-dir', runs, '--no-cache', '--run-id', 'ci',
      ...['alexnet', 'squeezenet1_1', 'vgg16', 'resnet18', 'resnet50'].flatMap((b) => ['--set', `steps.ps_${b}.with.bootstrap.resamples=50`])], env());
    expect(res.status, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(0);
    const runDir = join(runs, 'ps-by-backbone', 'ci');
    const { manifest, results } = readRun(runDir);
    expect(manifest.status).toBe('succeeded');
    const status = (step: string) => manifest.cells.filter((c) => c.step === step).map((c) => c.status);
    for (const b of ['alexnet', 'squeezenet1_1']) expect(status(`ps_${b}`), b).toEqual(['succeeded', 'succeeded']);
    for (const b of ['vgg16', 'resnet18', 'resnet50']) {
      expect(status(`ps_${b}`), b).toEqual(['skipped', 'skipped']);
      expect(manifest.cells.find((c) => c.step === `ps_${b}`)?.error, b).toMatch(new RegExp(`models/torchvision/${b}/`));
    }
    expect(status('report')).toEqual(['succeeded']);

    for (const b of ['alexnet', 'squeezenet1_1']) {
      const cells = results(`ps_${b}`);
      expect(cells.map((c) => c.cell).sort()).toEqual([`backbone=${b},backend=onnx`, `backbone=${b},backend=tfjs`]);
      for (const c of cells) expectKnownAnswers(c.result, ['ps'], false, c.cell);
      // Same weights, two engines: the same taps, and the same per-layer 2AFC scores.
      const [onnx, tfjs] = cells.sort((x, y) => x.cell.localeCompare(y.cell)).map((c) => c.result.distances.ps);
      expect(tfjs.layers).toEqual(onnx.layers);
      expect(tfjs.twoAfc).toEqual(onnx.twoAfc);
    }
    const md = readFileSync(join(runDir, 'steps', 'report', 'report.md'), 'utf8');
    expect(md).toContain('LPIPS Table 5 layout');
    for (const row of ['alexnet/onnx · ps', 'alexnet/tfjs · ps', 'squeezenet1_1/onnx · ps', 'squeezenet1_1/tfjs · ps']) expect(md).toContain(`| ${row} `);
    expect(md).toMatch(/skipped by the run: .*ps_vgg16/);
  }, 150_000);
});

// ---- workflows/examples/width-sweep: matching references through the CLI --------------------------

const cifar = sharedAssets('datasets/cifar10');

describe.skipIf(!built || !cifar.available)('width-sweep (matching references)', () => {
  it('each scoring cell reads the checkpoints of its own width, and the report is written', () => {
    const file = join(repoRoot, 'workflows/examples/width-sweep.workflow.json');
    const res = cli(['run', file, '--runs-dir', join(tmp, 'runs'), '--no-cache', '--run-id', 'ws'], { PERCEPT_ASSETS: cifar.dir });
    expect(res.status, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(0);
    const runDir = join(tmp, 'runs', 'width-sweep', 'ws');
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as {
      cells: Array<{ step: string; status: string; matrix: Record<string, unknown> | null; options: { backbone: { with: { weights: string } } }; inputs: Array<{ step: string; cell: string }> }>;
    };
    expect(manifest.cells.every((c) => c.status === 'succeeded')).toBe(true);
    const scoring = manifest.cells.filter((c) => c.step === 'ps' || c.step === 'accuracy');
    expect(scoring).toHaveLength(8);
    for (const c of scoring) {
      const { width, step } = c.matrix as { width: number; step: string };
      expect(c.options.backbone.with.weights).toMatch(new RegExp(`steps/train/width=${width}/checkpoints/step-${step}\\.safetensors$`));
      // Its cache key covers the matched training cell only.
      expect(c.inputs.filter((i) => i.step === 'train').map((i) => i.cell)).toEqual([`width=${width}`]);
    }
    // accuracyDataset names what the accuracy was measured on.
    expect(readFileSync(join(runDir, 'steps/report/report.md'), 'utf8')).toContain('Perceptual Score vs CIFAR-10 accuracy');
  }, 150_000);
});
