/**
 * Writes a small run directory in the engine's layout for tests. The numbers are illustrative inputs
 * for the report mechanics, not results.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SUBSETS = ['traditional', 'cnn', 'superres', 'deblur', 'color', 'frameinterp'];

export function writeFixtureRun(root: string, opts: { failedCell?: boolean } = {}): string {
  const runDir = join(root, 'runs', 'demo', 'run-1');
  const models = [
    { name: 'net-a', top1: 0.2, base: 69 },
    { name: 'net-b', top1: 0.45, base: 68.2 },
    { name: 'net-c', top1: 0.6, base: 67.1 },
  ];
  const cells: object[] = [];
  for (const [i, m] of models.entries()) {
    const cell = `backbone=${m.name}`;
    const psDir = join('steps', 'score', cell);
    const accDir = join('steps', 'accuracy', cell);
    mkdirSync(join(runDir, psDir), { recursive: true });
    mkdirSync(join(runDir, accDir), { recursive: true });
    writeFileSync(
      join(runDir, psDir, 'result.json'),
      JSON.stringify({
        distances: {
          'lpips-baseline': {
            perSubset: Object.fromEntries(SUBSETS.map((s, k) => [s, { score: (m.base + k - 2.5) / 100, n: 10 }])),
            perLayer: { layer1: 0.66 + i * 0.001, layer2: 0.67, layer3: 0.685 - i * 0.002, layer4: 0.675 },
          },
        },
      }),
    );
    // The first model's accuracy carries its Wilson interval, as the accuracy job records it.
    const ci = i === 0 ? { top1CI95: [m.top1 - 0.07, m.top1 + 0.09] } : {};
    writeFileSync(join(runDir, accDir, 'result.json'), JSON.stringify({ top1: m.top1, top5: m.top1 + 0.2, count: 100, ...ci }));
    const common = { matrix: { backbone: m.name }, cell, plugin: { name: '@percept/x', version: '0.1.0' }, artifactHash: `h${i}` };
    cells.push({ step: 'score', uses: 'perceptual-score', dir: psDir, status: 'succeeded', records: { engine: { engine: 'onnxruntime-node', engineVersion: '1.30.0', provider: 'cpu' } }, ...common });
    cells.push({ step: 'accuracy', uses: 'accuracy', dir: accDir, status: 'succeeded', ...common });
  }
  if (opts.failedCell) {
    cells.push({ step: 'score', uses: 'perceptual-score', cell: 'backbone=net-d', matrix: { backbone: 'net-d' }, dir: 'steps/score/backbone=net-d', status: 'failed', error: 'boom' });
  }
  writeFileSync(
    join(runDir, 'manifest.json'),
    JSON.stringify({
      manifestVersion: 1,
      runId: 'run-1',
      engine: 'local',
      status: 'succeeded',
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:01:00.000Z',
      workflow: { name: 'demo', path: '/x/demo.workflow.json', sha256: 'abc123', overrides: [] },
      host: { node: 'v20', platform: 'linux', release: '6', arch: 'x64', cpuModel: 'cpu', cores: 2, memoryBytes: 1, hostname: 'h' },
      plugins: [{ name: '@percept/report', version: '0.1.0' }],
      concurrency: 1,
      cacheDir: null,
      cells,
    }),
  );
  return runDir;
}
