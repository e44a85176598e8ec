/**
 * The backbone-plugin Nx generator (tools/generators) end to end: generate into a temp workspace,
 * compile the package with tsc against this repo's @percept packages, import the compiled plugin
 * and extract features with it on the ONNX backend.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Registry, imageBatch, type Plugin } from '@percept/core';
import backbones from '@percept/backbones';
import onnx from '@percept/backend-onnx';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const require = createRequire(import.meta.url);

interface Tree { exists(p: string): boolean; read(p: string, enc: 'utf-8'): string | null; write(p: string, c: string): void; listChanges(): unknown[] }
type Generator = ((tree: Tree, options: Record<string, unknown>) => Promise<void>) & {
  normalizeOptions(tree: Tree, options: Record<string, unknown>): { directory: string; packageName: string; offset: string };
};
const { FsTree, flushChanges } = require('nx/src/generators/tree') as {
  FsTree: new (root: string, verbose: boolean) => Tree;
  flushChanges(root: string, changes: unknown[]): void;
};
const generator = require(join(repo, 'tools/generators/backbone-plugin/generator.cjs')) as Generator;

describe('nx generator backbone-plugin', () => {
  let ws: string;

  beforeAll(() => {
    ws = mkdtempSync(join(tmpdir(), 'percept-gen-'));
    writeFileSync(join(ws, 'package.json'), JSON.stringify({ name: 'gen-ws', private: true, workspaces: ['packages/*'] }));
    writeFileSync(join(ws, 'nx.json'), '{}');
    copyFileSync(join(repo, 'tsconfig.base.json'), join(ws, 'tsconfig.base.json'));
    // @percept/* resolve to this repo's packages (their built dist/) through its node_modules.
    symlinkSync(join(repo, 'node_modules'), join(ws, 'node_modules'), 'dir');
  });
  afterAll(() => { if (ws) rmSync(ws, { recursive: true, force: true }); });

  it('writes a package that builds, registers with the built-ins and extracts features on onnx', async () => {
    const tree = new FsTree(ws, false);
    await generator(tree, { name: 'tiny-net' });
    flushChanges(ws, tree.listChanges());
    const dir = join(ws, 'packages/tiny-net');
    for (const f of ['package.json', 'tsconfig.lib.json', 'vitest.config.ts', 'src/index.ts', 'src/plugin.ts', 'src/plugin.test.ts']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@percept/tiny-net');
    expect(JSON.parse(readFileSync(join(dir, 'tsconfig.lib.json'), 'utf8')).extends).toBe('../../tsconfig.base.json');

    // Strict type-check and build, as `nx run <pkg>:build` would.
    execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.lib.json'], { cwd: dir, stdio: 'pipe' });
    expect(existsSync(join(dir, 'dist/index.js'))).toBe(true);

    const mod = (await import(pathToFileURL(join(dir, 'dist/index.js')).href)) as { default: Plugin };
    const registry = new Registry([backbones, onnx, mod.default]);
    expect(registry.pluginOf('backbone', 'tiny-net').name).toBe('@percept/tiny-net');
    expect(registry.has('backbone', 'resnet18')).toBe(true);

    const spec = await registry.get('backbone', 'tiny-net').build({ seed: 3 }, { baseDir: dir });
    const backend = await registry.get('backend', 'onnx').create({ intraOpNumThreads: 1 });
    const extractor = await backend.load(spec);
    try {
      expect(extractor.taps).toEqual(['relu1', 'relu2']);
      const pixels = Float32Array.from({ length: 2 * 12 * 12 * 3 }, (_, i) => (i % 31) / 30);
      const f = await extractor.extract(imageBatch(pixels, 2, 12, 12));
      expect(f.taps.relu1.shape).toEqual([2, 8, 12, 12]);
      expect(f.taps.relu2.shape).toEqual([2, 16, 6, 6]);
      expect(f.taps.relu2.data.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      // ReLU of a random conv on varied pixels: some units fire.
      expect(f.taps.relu2.data.some((v) => v > 0)).toBe(true);
    } finally {
      await extractor.dispose();
    }
    await expect(async () => registry.get('backbone', 'tiny-net').build({ sead: 1 }, { baseDir: dir })).rejects.toThrow(/unknown option "sead"/);
  });

  it('honours --directory and --scope, and rejects bad names and existing packages', async () => {
    const tree = new FsTree(ws, false);
    await generator(tree, { name: 'deep-net', directory: 'plugins/deep', scope: '@acme' });
    const pkg = JSON.parse(tree.read('plugins/deep/package.json', 'utf-8')!);
    expect(pkg.name).toBe('@acme/deep-net');
    expect(JSON.parse(tree.read('plugins/deep/tsconfig.lib.json', 'utf-8')!).extends).toBe('../../tsconfig.base.json');
    expect(tree.read('plugins/deep/src/plugin.ts', 'utf-8')).toContain("name: 'deep-net'");
    await expect(generator(tree, { name: 'My_Net' })).rejects.toThrow(/option "name" must be kebab-case.*"My_Net"/);
    await expect(generator(tree, { name: 'ok', scope: 'acme' })).rejects.toThrow(/option "scope" must look like "@my-org"/);
    await expect(generator(tree, { name: 'ok', directory: '../out' })).rejects.toThrow(/option "directory" must be a path inside the workspace/);
    await expect(generator(tree, { name: 'other', directory: 'plugins/deep' })).rejects.toThrow(/plugins\/deep\/package.json already exists/);
  });
});
