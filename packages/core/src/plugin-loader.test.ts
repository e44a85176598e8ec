import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configPluginRefs, loadPlugins } from './plugin-loader.js';
import { Registry } from './registry.js';

const tmp = mkdtempSync(join(tmpdir(), 'percept-plugins-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pluginFile = (file: string, name: string, job: string) =>
  writeFileSync(join(tmp, file), `export default { name: '${name}', version: '0.0.1', contributes: [
    { kind: 'job', name: '${job}', description: 'd', optionsSchema: { type: 'object' }, async run() { return {}; } }] };\n`);

describe('plugin loading', () => {
  it('loads local paths relative to the listing file and registers their default export', async () => {
    pluginFile('a.mjs', 'plugin-a', 'job-a');
    writeFileSync(join(tmp, 'percept.config.json'), JSON.stringify({ plugins: ['./a.mjs'] }));
    const refs = configPluginRefs([tmp, tmp]);
    expect(refs).toEqual([{ spec: './a.mjs', from: join(tmp, 'percept.config.json') }]);
    const registry = new Registry();
    await loadPlugins(refs, registry);
    expect(registry.pluginOf('job', 'job-a')).toEqual({ name: 'plugin-a', version: '0.0.1' });
    // The same module listed again (config and workflow) registers once.
    await loadPlugins([{ spec: './a.mjs', from: join(tmp, 'w.workflow.json') }], registry);
    expect(registry.listPlugins()).toHaveLength(1);
  });

  it('reports clashing names with the registry\'s error, naming the listing file', async () => {
    pluginFile('a2.mjs', 'plugin-a2', 'job-a');
    const registry = new Registry();
    await loadPlugins([{ spec: './a.mjs', from: join(tmp, 'x.json') }], registry);
    await expect(loadPlugins([{ spec: './a2.mjs', from: join(tmp, 'w.workflow.json') }], registry)).rejects.toThrow(
      `${join(tmp, 'w.workflow.json')}: plugin "./a2.mjs": Duplicate job name "job-a": contributed by both "plugin-a" and "plugin-a2".`,
    );
  });

  it('rejects missing files, modules without a plugin default export, and bad config files', async () => {
    const from = join(tmp, 'w.workflow.json');
    await expect(loadPlugins([{ spec: './nope.mjs', from }], new Registry())).rejects.toThrow(/plugin "\.\/nope\.mjs" not found/);
    writeFileSync(join(tmp, 'bad.mjs'), 'export const x = 1;\n');
    await expect(loadPlugins([{ spec: './bad.mjs', from }], new Registry())).rejects.toThrow(/has no default export made with definePlugin/);
    await expect(loadPlugins([{ spec: 'percept-no-such-package-xyz', from }], new Registry())).rejects.toThrow(/cannot load plugin "percept-no-such-package-xyz"/);
    const dir = mkdtempSync(join(tmp, 'cfg-'));
    writeFileSync(join(dir, 'percept.config.json'), '{"plugins": "./a.mjs"}');
    expect(() => configPluginRefs([dir])).toThrow(/"plugins" must be an array/);
  });
});
