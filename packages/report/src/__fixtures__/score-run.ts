/**
 * Writes a run directory shaped exactly like a real quickstart run: perceptual-score result.json files
 * as packages/dataset-bapps/src/perceptual-score.ts writes them (ps, paperPS, split, subsets, counts,
 * humanCeiling, oracle, jndCounts, skipped, distances.<id>.{use, input, settings, twoAfc, ps, psCI95,
 * layers, layerPS, layerTwoAfc, bestLayer, jnd, jndMean}) and the engine's manifest. The numbers are
 * made up for the report mechanics (internally consistent: ps is the mean of the subset scores), not results.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SYNTHETIC_SUBSETS = ['photometric', 'noise', 'blur', 'spatial', 'compression'];
export const BAPPS_VAL = ['traditional', 'cnn', 'superres', 'deblur', 'color', 'frameinterp'];

interface DistanceFixture {
  id: string;
  use: string;
  /** Base score; subset k scores base - k (×100). */
  base: number;
  layers?: string[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One perceptual-score result object. */
export function scoreResult(subsets: string[], distances: DistanceFixture[], opts: { split?: 'val' | 'train'; n?: number } = {}) {
  const n = opts.n ?? 48;
  const out: Record<string, unknown> = {};
  const ps: Record<string, number> = {};
  for (const d of distances) {
    const scores = subsets.map((_, k) => d.base - k);
    const layers = d.layers ?? [];
    // Layer i scores base - 1 - 0.5·|i - 1|: layer 2 (index 1) is best.
    const layerPS = Object.fromEntries(layers.map((l, i) => [l, d.base - 1 - 0.5 * Math.abs(i - 1)]));
    ps[d.id] = mean(scores);
    out[d.id] = {
      use: d.use,
      input: layers.length ? 'features' : 'pixels',
      settings: { lowerIsMoreSimilar: true },
      twoAfc: Object.fromEntries(subsets.map((s, k) => [s, { score: scores[k], ci95: [scores[k] - 2, Math.min(100, scores[k] + 2)], n }])),
      ps: mean(scores),
      psCI95: [mean(scores) - 1, mean(scores) + 1],
      layers,
      layerPS,
      layerTwoAfc: Object.fromEntries(layers.map((l) => [l, Object.fromEntries(subsets.map((s) => [s, layerPS[l]]))])),
      bestLayer: layers.length ? { layer: layers[1] ?? layers[0], ps: layerPS[layers[1] ?? layers[0]] } : null,
      jnd: Object.fromEntries(subsets.map((s, k) => [s, { mAP: 90 - k, n, perLayer: Object.fromEntries(layers.map((l) => [l, 80])) }])),
      jndMean: mean(subsets.map((_, k) => 90 - k)),
    };
  }
  return {
    ps,
    paperPS: opts.split !== 'train' && BAPPS_VAL.every((s) => subsets.includes(s)),
    split: opts.split ?? 'val',
    subsets,
    counts: Object.fromEntries(subsets.map((s) => [s, n])),
    humanCeiling: Object.fromEntries(subsets.map((s) => [s, 99])),
    oracle: Object.fromEntries(subsets.map((s) => [s, 100])),
    jndCounts: Object.fromEntries(subsets.map((s) => [s, n])),
    skipped: 0,
    distances: out,
  };
}

const ALEX_TAPS = ['relu1', 'relu2', 'relu3', 'relu4', 'relu5'];
const RESNET_TAPS = ['layer1', 'layer2', 'layer3', 'layer4'];

/**
 * A quickstart-like run: step "pixels" (no matrix; l2-lab, dssim) and step "networks" with matrix
 * backbone × backend (alexnet, resnet6 × onnx, tfjs; lpips, mean-pool), where both backends give
 * identical numbers as in the real run. The manifest says "running" with the report cell running,
 * as it does while the report step writes its report.
 */
export function writeScoreRun(root: string, opts: { subsets?: string[]; split?: 'val' | 'train'; name?: string } = {}): string {
  const subsets = opts.subsets ?? SYNTHETIC_SUBSETS;
  const runDir = join(root, 'runs', opts.name ?? 'quickstart', 'r1');
  const cells: object[] = [];
  const write = (dir: string, result: unknown) => {
    mkdirSync(join(runDir, dir), { recursive: true });
    writeFileSync(join(runDir, dir, 'result.json'), JSON.stringify(result, null, 2));
  };
  write('steps/pixels', scoreResult(subsets, [{ id: 'l2-lab', use: 'l2', base: 97 }, { id: 'dssim', use: 'dssim', base: 96 }], opts));
  cells.push({ step: 'pixels', cell: '', matrix: null, uses: 'perceptual-score', dir: 'steps/pixels', status: 'succeeded', artifactHash: 'p0' });
  for (const backbone of ['alexnet', 'resnet6']) {
    for (const backend of ['onnx', 'tfjs']) {
      const cell = `backbone=${backbone},backend=${backend}`;
      const taps = backbone === 'alexnet' ? ALEX_TAPS : RESNET_TAPS;
      const base = backbone === 'alexnet' ? 98 : 95;
      write(`steps/networks/${cell}`, scoreResult(subsets, [{ id: 'lpips', use: 'lpips', base, layers: taps }, { id: 'mean-pool', use: 'mean-pool', base: base - 1, layers: taps }], opts));
      cells.push({
        step: 'networks', cell, matrix: { backbone, backend }, uses: 'perceptual-score', dir: `steps/networks/${cell}`, status: 'succeeded',
        artifactHash: `n-${backbone}`,
        records: { engine: backend === 'onnx' ? { engine: 'onnxruntime-node', engineVersion: '1.30.0', provider: 'cpu' } : { engine: 'tfjs-wasm', engineVersion: '4.22.0', provider: 'wasm' } },
      });
    }
  }
  cells.push({ step: 'report', cell: '', matrix: null, uses: 'report', dir: 'steps/report', status: 'running' });
  writeFileSync(
    join(runDir, 'manifest.json'),
    JSON.stringify({
      manifestVersion: 1, runId: 'r1', engine: 'local', status: 'running', startedAt: '2026-01-01T00:00:00.000Z',
      workflow: { name: opts.name ?? 'quickstart', path: '/x/quickstart.workflow.json', sha256: 'feed', overrides: [] },
      host: { node: 'v20', platform: 'linux', arch: 'x64', cpuModel: 'cpu', cores: 2 },
      plugins: [{ name: '@percept/dataset-bapps', version: '0.1.0' }, { name: '@percept/report', version: '0.1.0' }],
      cells,
    }),
  );
  return runDir;
}
