/**
 * Keeps workflows/fig1-from-artifacts.workflow.json working: its `with` must satisfy the reporter's
 * options schema, and running the reporter with it against a recorded run must produce the chart.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { reportReporter, reportOptionsSchema } from './index.js';
import { writeFixtureRun } from './__fixtures__/run-fixture.js';
import { inspectPng } from './__fixtures__/inspect.js';

const WORKFLOW = resolve(fileURLToPath(import.meta.url), '../../../../workflows/fig1-from-artifacts.workflow.json');

let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'percept-fig1-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('workflows/fig1-from-artifacts.workflow.json', () => {
  const wf = JSON.parse(readFileSync(WORKFLOW, 'utf8'));
  const step = wf.steps.fig1;

  it('uses the report reporter with options its schema accepts, reading the run from PERCEPT_RUN_DIR', () => {
    expect(step.uses).toBe(reportReporter.name);
    expect(step.with.run).toBe('${env.PERCEPT_RUN_DIR}');
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(reportOptionsSchema);
    expect(validate(step.with), JSON.stringify(validate.errors)).toBe(true);
  });

  it('renders the Fig. 1-style chart and Table 5 from a recorded run', async () => {
    // Stand-in for the engine's ${env.PERCEPT_RUN_DIR} substitution.
    const runDir = writeFixtureRun(root);
    const options = { ...step.with, run: runDir };
    const outputDir = join(root, 'out');
    const ctx = {
      stepId: 'fig1', outputDir, runDir: join(root, 'this-run'), baseDir: root, signal: new AbortController().signal,
      registry: undefined as never, log: { info() {}, warn() {}, debug() {} }, progress() {}, record() {},
    };
    const res = await reportReporter.run(options, ctx);
    expect(res.charts).toEqual([join(outputDir, 'charts', 'ps-vs-accuracy.png'), join(outputDir, 'charts', 'per-subset.png')]);
    const png = inspectPng(readFileSync(join(outputDir, 'charts', 'ps-vs-accuracy.png')));
    expect(png.width).toBe(560 * 2);
    expect(png.distinctColours).toBeGreaterThan(20);
    const html = readFileSync(join(outputDir, 'report.html'), 'utf8');
    expect(html).toContain('Kumar et al. 2022, Fig. 1 style');
    expect(html).toContain('AlexNet (published) 68.9');
    expect(html).not.toContain('id="layerwise"');
    expect(existsSync(join(outputDir, 'report.md'))).toBe(false);
  });
});
