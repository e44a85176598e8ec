import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, corePlugin, loadPlugins, parseWorkflowSource, planWorkflow, validateWorkflowText, type WorkflowPlan } from '@percept/core';

const coreDist = fileURLToPath(new URL('../../../core/dist/index.js', import.meta.url));
export const workerMain = fileURLToPath(new URL('../../dist/worker-main.js', import.meta.url));

/**
 * A test-only plugin with sleep-bound cells. Each execution appends a line to
 * `<markers>/<id>` so tests can count how often a cell really ran; `crash` makes the cell
 * process exit abruptly (a poison cell), `crashWhile` does so while a file exists, `invalid`
 * throws a deterministic InputError.
 */
const pluginSource = (markers: string) => `
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from ${JSON.stringify(coreDist)};
export default {
  name: 'sleepy-test-plugin', version: '1.0.0',
  contributes: [{
    kind: 'job', name: 'sleepy', description: 'sleeps, then writes its id',
    optionsSchema: { type: 'object', properties: {
      id: { type: 'string' }, ms: { type: 'integer', default: 50 }, crash: { type: 'boolean', default: false },
      invalid: { type: 'boolean', default: false }, from: { default: null },
      crashWhile: { type: 'string', description: 'crash while this file exists' },
      readRun: { type: 'boolean', default: false, description: 'copy what the run manifest says into run.json' } }, required: ['id'], additionalProperties: false },
    outputs: { value: { type: 'string' }, file: { type: 'string' } },
    async run(o, ctx) {
      appendFileSync(join(${JSON.stringify(markers)}, o.id), process.pid + '\\n');
      if (o.invalid) throw new InputError('cell ' + o.id + ': option "invalid" is set; this cell can never succeed');
      if (o.crash || (o.crashWhile && existsSync(o.crashWhile))) process.exit(3);
      const t0 = Date.now();
      while (Date.now() - t0 < o.ms) {
        if (ctx.signal.aborted) throw new Error('aborted');
        ctx.progress(Date.now() - t0, o.ms, 'ms');
        await new Promise((r) => setTimeout(r, Math.min(20, o.ms)));
      }
      const file = join(ctx.outputDir, 'out.txt');
      writeFileSync(file, 'cell ' + o.id + (o.from ? ' after ' + JSON.stringify(o.from) : '') + '\\n');
      if (o.readRun) {
        const m = JSON.parse(readFileSync(join(ctx.runDir, 'manifest.json'), 'utf8'));
        const cells = m.cells.filter((c) => c.status === 'succeeded').map((c) => ({ dir: c.dir, present: existsSync(join(ctx.runDir, c.dir, 'result.json')) }));
        writeFileSync(join(ctx.outputDir, 'run.json'), JSON.stringify({ runId: m.runId, engine: m.engine, cells }));
      }
      return { value: o.id, file };
    },
  }],
};
`;

export interface Fixture {
  dir: string;
  markers: string;
  cacheDir: string;
  runsDir: string;
  /** Writes a workflow and returns its plan and registry (as the coordinator builds them). */
  plan(name: string, workflow: Record<string, unknown>): Promise<{ plan: WorkflowPlan; registry: Registry }>;
  /** How many times the cell with this id executed. */
  runs(id: string): number;
  /** Removes the fixture's temp directory. */
  dispose(): void;
}

export function makeFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'percept-bullmq-'));
  const markers = join(dir, 'markers');
  mkdirSync(markers);
  writeFileSync(join(dir, 'sleepy-plugin.mjs'), pluginSource(markers));
  return {
    dir, markers, cacheDir: join(dir, 'cache'), runsDir: join(dir, 'runs'),
    async plan(name, workflow) {
      const file = join(dir, `${name}.workflow.json`);
      const text = JSON.stringify({ name, plugins: ['./sleepy-plugin.mjs'], ...workflow }, null, 2);
      writeFileSync(file, text);
      const registry = new Registry();
      registry.register(corePlugin);
      await loadPlugins([{ spec: './sleepy-plugin.mjs', from: file }], registry);
      const parsed = parseWorkflowSource(file, text);
      if (parsed.issues.length) throw new Error(JSON.stringify(parsed.issues));
      const r = validateWorkflowText(file, text, registry, { env: {} });
      if (!r.workflow) throw new Error(JSON.stringify(r.issues));
      return { plan: planWorkflow(r.workflow, { file, text, registry, env: {} }), registry };
    },
    runs(id) {
      try {
        return readFileSync(join(markers, id), 'utf8').trim().split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WorkerProc {
  proc: ChildProcess;
  log: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

/** A real worker process (from dist/) with short lock and stall timings. */
export function spawnWorker(broker: string, opts: { lockMs?: number; stalledMs?: number; concurrency?: number } = {}): WorkerProc {
  const proc = spawn(process.execPath, [
    workerMain, '--broker', broker, '--concurrency', String(opts.concurrency ?? 1),
    '--lock-ms', String(opts.lockMs ?? 2000), '--stalled-ms', String(opts.stalledMs ?? 1000),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  return { proc, log: () => log, exited };
}

/** Every file under the run's steps/ folder, as relative path -> content. */
export function artifacts(runDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(join(runDir, 'steps'), '');
  return out;
}
