import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './main.js';
import { commands } from './commands/index.js';
import { createRegistry } from './registry.js';
import { DEFAULT_SCHEMA_PATH, schemaText } from './commands/schema.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'percept-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sink() {
  let text = '';
  const s = new Writable({ write(chunk, _enc, cb) { text += chunk.toString(); cb(); } }) as Writable & { isTTY?: boolean };
  return { stream: s, get text() { return text; } };
}
async function cli(argv: string[], cwd = tmp, env: NodeJS.ProcessEnv = {}) {
  const out = sink(), err = sink();
  const code = await runCli(argv, { stdout: out.stream, stderr: err.stream, env, cwd });
  return { code, out: out.text, err: err.text };
}

describe('percept CLI', () => {
  it('prints an overview, command help, and rejects unknown commands with a suggestion', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['run', 'validate', 'plugins', 'schema']) expect(help.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    const runHelp = await cli(['run', '--help']);
    expect(runHelp.out).toMatch(/^Usage: percept run <workflow.json>/);
    const bad = await cli(['valdate', 'x.json']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown command "valdate". Did you mean "validate"?');
  });

  it('lists every command lazily, and each entry loads the command of its name', async () => {
    expect(new Set(commands.map((c) => c.name)).size).toBe(commands.length);
    for (const entry of commands) {
      expect(entry.summary, entry.name).toMatch(/^[A-Z]/);
      const loaded = await entry.load();
      expect(loaded.name).toBe(entry.name);
      expect(loaded.usage, entry.name).toMatch(new RegExp(`^Usage:\\s+percept ${entry.name}`));
    }
  });

  it('dispatches multi-word commands by their longest matching name', async () => {
    const mk = (name: string) => ({ name, summary: name, usage: `Usage: percept ${name}`, run: async (argv: string[], io: { stdout: NodeJS.WritableStream }) => { io.stdout.write(`${name}|${argv.join(',')}`); return 0; } });
    const cmds = [mk('data'), mk('data synth-2afc'), mk('run')];
    const out = sink();
    const io = { stdout: out.stream, stderr: sink().stream, env: {}, cwd: tmp };
    expect(await runCli(['data', 'synth-2afc', '--n', '3', 'x'], io, cmds)).toBe(0);
    expect(out.text).toBe('data synth-2afc|--n,3,x');
    const help = sink();
    await runCli(['help', 'data', 'synth-2afc'], { ...io, stdout: help.stream }, cmds);
    expect(help.text).toBe('Usage: percept data synth-2afc\n');
  });

  it('validate: ok for the example, every error with line:column for a bad file (exit 3)', async () => {
    const ok = await cli(['validate', join(repoRoot, 'workflows/examples/hello.workflow.json')]);
    expect(ok.err).toBe('');
    expect(ok.out).toMatch(/^ok .*hello\.workflow\.json \(3 steps, 5 cells\)/);
    const file = join(tmp, 'bad.workflow.json');
    writeFileSync(file, '{\n  "steps": {\n    "a": { "uses": "chcksum", "with": { "paths": 3 } },\n    "b": { "uses": "echo", "with": { "valuse": {} } }\n  }\n}\n');
    const bad = await cli(['validate', file]);
    expect(bad.code).toBe(3);
    expect(bad.err.trim().split('\n')).toEqual([
      `${file}:3:20 /steps/a/uses: unknown job or reporter "chcksum"; did you mean "checksum"? [enum at #/$defs/step/properties/uses/enum]`,
      `${file}:4:38 /steps/b/with/valuse: unknown option "valuse"; did you mean "values"? [additionalProperties at #/$defs/job.echo/additionalProperties]`,
    ]);
  });

  it('reports a user error as one paragraph without a stack, and a usage error with exit 2', async () => {
    const missing = await cli(['run', 'nope.workflow.json']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^percept: Cannot read workflow .*nope\.workflow\.json: no such file\.\n$/);
    const flag = await cli(['run', 'x.json', '--concurency', '2']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("Unknown option '--concurency'");
    expect(flag.err).not.toMatch(/\n\s+at /);
  });

  it('plugins lists core jobs with their plugin and version; --kind filters; --json is machine readable', async () => {
    const r = await cli(['plugins', '--kind', 'job', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Array<{ kind: string; name: string; plugin: string; version: string }>;
    expect(rows.every((x) => x.kind === 'job')).toBe(true);
    expect(rows).toContainEqual(expect.objectContaining({ name: 'checksum', plugin: '@percept/core', version: expect.stringMatching(/^\d+\.\d+\.\d+/) }));
    const table = await cli(['plugins', '--kind', 'job']);
    expect(table.out.split('\n')[0]).toMatch(/^KIND\s+NAME\s+PLUGIN\s+VERSION\s+DESCRIPTION$/);
    expect((await cli(['plugins', '--kind', 'jobs'])).code).toBe(2);
  });

  it('run: executes the example end to end, and a re-run is served from the cache', async () => {
    const wf = join(repoRoot, 'workflows/examples/hello.workflow.json');
    const args = ['run', wf, '--runs-dir', join(tmp, 'runs'), '--cache-dir', join(tmp, 'cache')];
    const first = await cli([...args, '--run-id', 'one'], tmp, { PERCEPT_GREETER: 'tester' });
    expect(first.err).not.toContain('failed');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^run succeeded: 5\/5 cells succeeded\n/);
    const runDir = join(tmp, 'runs/hello/one');
    expect(readFileSync(join(runDir, 'steps/greet/who=world,lang=fr,greeting=Bonjour/files/greeting.txt'), 'utf8')).toBe('Bonjour, world!\n');
    const summary = JSON.parse(readFileSync(join(runDir, 'steps/summary/result.json'), 'utf8'));
    expect(summary).toMatchObject({ files: 3, greeter: 'tester', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(first.err).toContain('[greet world/en/Hello] done');
    const second = await cli([...args, '--run-id', 'two'], tmp, { PERCEPT_GREETER: 'tester' });
    expect(second.out).toMatch(/5\/5 cells succeeded, 5 from cache/);
    expect(readFileSync(join(tmp, 'runs/hello/two/steps/summary/result.json'), 'utf8')).toBe(readFileSync(join(runDir, 'steps/summary/result.json'), 'utf8'));
    const again = await cli([...args, '--run-id', 'one']);
    expect(again.code).toBe(2);
    expect(again.err).toContain('already exists');
  });

  it('run: --set overrides a field before validation', async () => {
    const wf = join(repoRoot, 'workflows/examples/hello.workflow.json');
    const r = await cli(['validate', wf, '--set', 'steps.digest.with.paths=5']);
    expect(r.code).toBe(3);
    expect(r.err).toContain('/steps/digest/with/paths: must be string');
  });

  it('a failing step exits 4 and names the step', async () => {
    const file = join(tmp, 'fail.workflow.json');
    writeFileSync(file, JSON.stringify({ steps: { c: { uses: 'checksum', with: { paths: 'missing-dir' } } } }));
    const r = await cli(['run', file, '--runs-dir', join(tmp, 'runs'), '--no-cache']);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/percept: step c failed: c: option paths: ".*missing-dir" does not exist\./);
  });
});

describe('workflow schema', () => {
  it('the committed schema/percept.schema.json matches the registry (run `npm run schema` after adding contributions)', async () => {
    const committed = join(repoRoot, DEFAULT_SCHEMA_PATH);
    const fresh = schemaText(await createRegistry({ cwd: repoRoot }));
    // PERCEPT_UPDATE_SCHEMA=1 regenerates the file from the sources (like a snapshot update).
    if (process.env.PERCEPT_UPDATE_SCHEMA === '1') writeFileSync(committed, fresh);
    expect(existsSync(committed)).toBe(true);
    expect(readFileSync(committed, 'utf8'), 'schema/percept.schema.json is stale: run `npm run schema`').toBe(fresh);
  });

  it('percept schema -o writes the same text', async () => {
    const out = join(tmp, 'schema.json');
    const r = await cli(['schema', '-o', out], repoRoot);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(schemaText(await createRegistry({ cwd: repoRoot })));
  });
});
