import { parseArgs } from 'node:util';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  ExitCode, LocalEngine, MANIFEST_FILE, PerceptError, newRunId, overridesWithProfile, planWorkflow, runDirOf, type Engine, type Manifest, type RunStatus,
} from '@percept/core';
import { positiveInt, withUsageErrors } from '../args.js';
import type { CliIO, CommandImplementation } from '../command.js';
import { ProgressRenderer } from '../progress.js';
import { prepareWorkflow } from '../workflow-file.js';

const usage = `Usage: percept run <workflow.json> [options]

Validates the workflow, then runs its steps in dependency order. Artifacts go to
<runs-dir>/<workflow name>/<run id>/steps/<step>[/<cell>]/, with manifest.json beside them.

Options:
  --run-id <id>          name of the run (default: a UTC timestamp)
  --resume [<dir>|latest] continue a killed or failed run: finished cells are kept, the rest rerun
  --concurrency <n>      cells run at once (default: the workflow's "concurrency", else 1)
  --runs-dir <dir>       where runs go (default ./runs)
  --cache-dir <dir>      the cell cache (default: $PERCEPT_CACHE, else .percept/cache beside the runs dir)
  --no-cache             neither read nor write the cache
  --set <path=value>     override a field, e.g. --set steps.score.with.batch=8 (repeatable)
  --profile <name>       apply the workflow's named "profiles" overrides first (e.g. smoke); --set wins
  --grace <ms>           after Ctrl-C, how long to wait for running cells (default 10000)
  --engine <local|bullmq> where cells run (default local); bullmq farms them out to "percept worker"s
  --broker <url>         the bullmq engine's broker: redis://host:6379 or postgres://user@host/db
                         (default $PERCEPT_BROKER); the cache dir must be shared with the workers
  --queue <cpu|gpu>      the bullmq queue the cells go to (default cpu)

Exit codes: 0 success, 2 usage, 3 invalid workflow, 4 a step failed, 130 interrupted.`;

/** `--resume` takes an optional value: keep the next word only when it is "latest" or a run directory. */
export function normalizeResume(argv: string[], cwd: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a !== '--resume') { out.push(a); continue; }
    const next = argv[i + 1];
    const isValue = next !== undefined && (next === 'latest' || (existsSync(resolve(cwd, next)) && statSync(resolve(cwd, next)).isDirectory()));
    out.push(`--resume=${isValue ? next : 'latest'}`);
    if (isValue) i++;
  }
  return out;
}

function readManifest(runDir: string): Manifest {
  const file = join(runDir, MANIFEST_FILE);
  if (!existsSync(file)) throw new PerceptError(`--resume: ${runDir} has no ${MANIFEST_FILE}; it is not a run directory.`, { exitCode: ExitCode.usage });
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

/** The newest run (by start time) of a workflow under the runs directory. */
function latestRun(runsDir: string, name: string): string {
  const dir = join(runsDir, name);
  const runs = existsSync(dir)
    ? readdirSync(dir).filter((d) => existsSync(join(dir, d, MANIFEST_FILE))).map((d) => ({ d, m: readManifest(join(dir, d)) }))
    : [];
  if (!runs.length) throw new PerceptError(`--resume latest: no run of "${name}" under ${dir}.`, { exitCode: ExitCode.usage });
  runs.sort((a, b) => a.m.startedAt.localeCompare(b.m.startedAt) || a.d.localeCompare(b.d));
  return join(dir, runs[runs.length - 1].d);
}

/** --engine/--broker/--queue: the local engine, or the bullmq coordinator (loaded only when asked for). */
async function chooseEngine(values: { engine?: string; broker?: string; queue?: string }, io: CliIO): Promise<Engine> {
  const name = values.engine ?? 'local';
  if (name === 'local') {
    if (values.broker !== undefined || values.queue !== undefined) throw new PerceptError('run: --broker and --queue need --engine bullmq.', { exitCode: ExitCode.usage });
    return new LocalEngine();
  }
  if (name !== 'bullmq') throw new PerceptError(`run: unknown --engine "${name}"; use "local" or "bullmq".`, { exitCode: ExitCode.usage });
  const broker = values.broker ?? io.env.PERCEPT_BROKER;
  if (!broker) throw new PerceptError('run: --engine bullmq needs --broker <url> (or PERCEPT_BROKER).', { exitCode: ExitCode.usage });
  const queue = values.queue ?? 'cpu';
  if (queue !== 'cpu' && queue !== 'gpu') throw new PerceptError(`run: --queue must be "cpu" or "gpu", got "${queue}".`, { exitCode: ExitCode.usage });
  const { BullmqEngine } = await import('@percept/engine-bullmq');
  return new BullmqEngine({ broker, queue });
}

const exitFor: Record<RunStatus, number> = { succeeded: ExitCode.ok, failed: ExitCode.stepFailed, interrupted: ExitCode.interrupted, running: ExitCode.internal };

export const runCommand: CommandImplementation = {
  name: 'run',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = withUsageErrors('run', () =>
      parseArgs({ args: normalizeResume(argv, io.cwd), options: {
      'run-id': { type: 'string' },
      resume: { type: 'string' },
      concurrency: { type: 'string' },
      'runs-dir': { type: 'string' },
      'cache-dir': { type: 'string' },
      'no-cache': { type: 'boolean' },
      set: { type: 'string', multiple: true },
      profile: { type: 'string' },
      grace: { type: 'string' },
      engine: { type: 'string' },
      broker: { type: 'string' },
      queue: { type: 'string' },
    }, allowPositionals: true, strict: true }),
    );
    if (positionals.length !== 1) throw new PerceptError('run: expected exactly one workflow file.', { exitCode: ExitCode.usage, hint: usage.split('\n')[0] });
    const sets = overridesWithProfile(resolve(io.cwd, positionals[0]), values.profile, values.set);
    const prepared = await prepareWorkflow(positionals[0], { cwd: io.cwd, env: io.env, sets });
    const plan = planWorkflow(prepared.workflow, { file: prepared.file, text: prepared.text, registry: prepared.registry, env: io.env, overrides: prepared.overrides });

    let runsDir = resolve(io.cwd, values['runs-dir'] ?? 'runs');
    let runId = values['run-id'] ?? newRunId();
    let resume: Manifest | undefined;
    if (values.resume !== undefined) {
      const runDir = values.resume === 'latest' ? latestRun(runsDir, plan.name) : resolve(io.cwd, values.resume);
      resume = readManifest(runDir);
      if (resume.workflow.name !== plan.name) {
        throw new PerceptError(`--resume: ${runDir} is a run of "${resume.workflow.name}", not of "${plan.name}".`, { exitCode: ExitCode.usage });
      }
      runId = basename(runDir);
      runsDir = dirname(dirname(runDir));
      if (resume.workflow.sha256 !== plan.sha256) io.stderr.write('percept: note: the workflow changed since this run started; cells whose inputs changed will rerun.\n');
    } else if (existsSync(join(runDirOf(runsDir, plan.name, runId), MANIFEST_FILE))) {
      throw new PerceptError(`Run "${runId}" of "${plan.name}" already exists under ${runsDir}.`, {
        exitCode: ExitCode.usage, hint: 'Use --resume to continue it, or another --run-id.',
      });
    }
    const cacheDir = values['no-cache'] ? null : resolve(io.cwd, values['cache-dir'] ?? io.env.PERCEPT_CACHE ?? join(dirname(runsDir), '.percept', 'cache'));
    const concurrency = positiveInt('--concurrency', values.concurrency) ?? plan.concurrency ?? 1;
    const graceMs = values.grace === undefined ? undefined : Number(values.grace);
    if (graceMs !== undefined && !(graceMs >= 0)) throw new PerceptError(`--grace must be a number of milliseconds, got "${values.grace}".`, { exitCode: ExitCode.usage });

    const engine = await chooseEngine(values, io);

    const controller = new AbortController();
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        io.stderr.write(`\npercept: ${sig}: stopping; waiting for running cells (again to quit at once)\n`);
        controller.abort(new PerceptError(`interrupted by ${sig}`, { exitCode: ExitCode.interrupted }));
      } else {
        process.exit(ExitCode.interrupted);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const renderer = new ProgressRenderer(io.stderr, { verbose: io.verbose });
    try {
      const result = await engine.run({
        plan, registry: prepared.registry, runsDir, runId, cacheDir, concurrency, signal: controller.signal, graceMs, resume,
        onEvent: (e) => renderer.handle(e),
      });
      const cells = result.manifest.cells;
      const count = (f: (c: (typeof cells)[number]) => boolean) => cells.filter(f).length;
      const summary = [
        `${count((c) => c.status === 'succeeded')}/${cells.length} cells succeeded`,
        count((c) => !!c.cached) ? `${count((c) => !!c.cached)} from cache` : '',
        count((c) => !!c.reused) ? `${count((c) => !!c.reused)} kept from the resumed run` : '',
        count((c) => c.status === 'failed') ? `${count((c) => c.status === 'failed')} failed` : '',
        count((c) => c.status === 'skipped') ? `${count((c) => c.status === 'skipped')} skipped` : '',
      ].filter(Boolean).join(', ');
      io.stdout.write(`run ${result.status}: ${summary}\n${result.runDir}\n`);
      if (result.status === 'failed') {
        for (const c of cells.filter((x) => x.status === 'failed')) io.stderr.write(`percept: step ${c.step}${c.cell ? ` [${c.cell}]` : ''} failed: ${c.error}\n`);
      }
      if (result.status === 'interrupted') io.stderr.write(`percept: interrupted; continue with: percept run ${positionals[0]} --resume ${result.runDir}\n`);
      return exitFor[result.status];
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
