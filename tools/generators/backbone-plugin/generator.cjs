'use strict';
/**
 * Nx generator: scaffolds a backbone plugin package. Plain CommonJS so `nx g` can load it with no
 * build step. The files are written from template functions below (not EJS templates) so the
 * generated TypeScript stays greppable and the generator has no template-engine dependency.
 */
const { joinPathFragments, offsetFromRoot } = require('@nx/devkit');

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SCOPE = /^@[a-z0-9][a-z0-9._-]*$/;

/** Validates and fills in the generator options; bad input names the option and what was expected. */
function normalizeOptions(tree, options) {
  const name = options.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new Error(`backbone-plugin: option "name" must be kebab-case (letters, digits, single dashes; starts with a letter), got ${JSON.stringify(name)}`);
  }
  const scope = options.scope ?? '@percept';
  if (!SCOPE.test(scope)) throw new Error(`backbone-plugin: option "scope" must look like "@my-org", got ${JSON.stringify(scope)}`);
  const directory = (options.directory ?? joinPathFragments('packages', name)).replace(/\/+$/, '');
  if (directory.startsWith('/') || directory.split('/').includes('..')) {
    throw new Error(`backbone-plugin: option "directory" must be a path inside the workspace, got ${JSON.stringify(directory)}`);
  }
  if (tree.exists(joinPathFragments(directory, 'package.json'))) {
    throw new Error(`backbone-plugin: ${directory}/package.json already exists; choose another name or --directory`);
  }
  // Depend on the Percept version this workspace has, so the scaffold and its deps agree.
  let perceptVersion = '0.1.0';
  const backbonesPkg = 'packages/backbones/package.json';
  if (tree.exists(backbonesPkg)) perceptVersion = JSON.parse(tree.read(backbonesPkg, 'utf-8')).version ?? perceptVersion;
  return { name, scope, directory, packageName: `${scope}/${name}`, offset: offsetFromRoot(directory), perceptVersion };
}

function packageJson(o) {
  return {
    name: o.packageName,
    version: '0.1.0',
    description: `Percept backbone plugin: the "${o.name}" backbone.`,
    type: 'module',
    license: 'MIT',
    engines: { node: '>=20.9' },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: {
      '.': { '@percept/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
    files: ['dist', '!dist/**/*.test.*', 'README.md'],
    scripts: { build: 'tsc -p tsconfig.lib.json', test: 'vitest run' },
    dependencies: {
      '@percept/core': o.perceptVersion,
      '@percept/backbones': o.perceptVersion,
    },
    devDependencies: {
      '@percept/backend-onnx': o.perceptVersion,
    },
  };
}

function tsconfigLib(o) {
  return {
    extends: `${o.offset}tsconfig.base.json`,
    compilerOptions: { rootDir: 'src', outDir: 'dist' },
    include: ['src/**/*.ts'],
    exclude: ['src/**/*.test.ts'],
  };
}

const vitestConfig = (o) => `import { definePackageTestConfig } from '${o.offset}tools/vitest/package-config.js';

export default definePackageTestConfig(import.meta.url);
`;

const indexTs = () => `export { plugin, buildGraph } from './plugin.js';
import { plugin } from './plugin.js';
export default plugin;
`;

const pluginTs = (o) => `/**
 * The "${o.name}" backbone: a two-stage conv net written in Percept's layer-graph IR. Every backend
 * (onnx, tfjs) compiles the same graph, so this file is all a new architecture needs.
 */
import { InputError, definePlugin, type BackboneContribution } from '@percept/core';
import { GraphBuilder, identityPreprocessing, randomWeights, type IRGraph, type IRModelSpec } from '@percept/backbones';

/**
 * Node ids double as parameter prefixes (conv1 reads conv1.weight [8, 3, 3, 3] and conv1.bias [8]),
 * the same names a PyTorch state dict of the equivalent nn.Module would use.
 */
export function buildGraph(): IRGraph {
  const g = new GraphBuilder('${o.name}');
  let x = g.conv('conv1', 'input', { in: 3, out: 8, kernel: 3, pad: 1 });
  x = g.relu('relu1', x);
  g.tap('relu1', x, 'relu1: after conv1 (8 channels, full resolution)');
  x = g.maxpool('pool1', x, { kernel: 2 });
  x = g.conv('conv2', x, { in: 8, out: 16, kernel: 3, pad: 1 });
  x = g.relu('relu2', x);
  g.tap('relu2', x, 'relu2: after conv2 (16 channels, half resolution)');
  return g.build();
}

const backbone: BackboneContribution = {
  kind: 'backbone',
  name: '${o.name}',
  description: '${o.name}: two 3×3 conv + ReLU stages with taps relu1 and relu2, seeded random weights.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'Seed of the random weights.' },
    },
  },
  build(options): IRModelSpec {
    for (const key of Object.keys(options)) {
      if (key !== 'seed') throw new InputError(\`backbone "${o.name}": unknown option "\${key}" (options: seed)\`);
    }
    const seed = options.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new InputError(\`backbone "${o.name}": option "seed" must be an integer in [0, 2^32), got \${JSON.stringify(seed)}\`);
    }
    const graph = buildGraph();
    return {
      kind: 'ir',
      name: '${o.name}',
      graph,
      weights: randomWeights(graph, seed),
      // Raw [0,1] RGB at any size; swap in a preset (e.g. imagenetNormalize) to match trained weights.
      preprocessing: identityPreprocessing,
      provenance: { source: 'random', seed },
    };
  },
};

export const plugin = definePlugin({
  name: '${o.packageName}',
  version: '0.1.0',
  contributes: [backbone],
});
`;

const pluginTestTs = (o) => `import { describe, it, expect } from 'vitest';
import { Registry, imageBatch } from '@percept/core';
import backbones from '@percept/backbones';
import onnx from '@percept/backend-onnx';
import plugin from './index.js';

describe('the ${o.name} backbone plugin', () => {
  const registry = new Registry([backbones, onnx, plugin]);

  it('registers beside the built-in backbones', () => {
    expect(registry.pluginOf('backbone', '${o.name}').name).toBe('${o.packageName}');
  });

  it('extracts both taps on the onnx backend, deterministically per seed', async () => {
    const spec = await registry.get('backbone', '${o.name}').build({ seed: 1 }, { baseDir: process.cwd() });
    const backend = await registry.get('backend', 'onnx').create({ intraOpNumThreads: 1 });
    const extractor = await backend.load(spec);
    try {
      const pixels = Float32Array.from({ length: 2 * 16 * 16 * 3 }, (_, i) => (i % 97) / 96);
      const a = await extractor.extract(imageBatch(pixels, 2, 16, 16));
      expect(extractor.taps).toEqual(['relu1', 'relu2']);
      expect(a.taps.relu1.shape).toEqual([2, 8, 16, 16]);
      expect(a.taps.relu2.shape).toEqual([2, 16, 8, 8]);
      expect(a.taps.relu2.data.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      const b = await extractor.extract(imageBatch(pixels, 2, 16, 16));
      expect(b.taps.relu2.data).toEqual(a.taps.relu2.data);
    } finally {
      await extractor.dispose();
    }
  });

  it('rejects unknown options by name', () => {
    expect(() => registry.get('backbone', '${o.name}').build({ sead: 1 }, { baseDir: '.' })).toThrow(/unknown option "sead"/);
  });
});
`;

const readme = (o) => `# ${o.packageName}

A Percept backbone plugin contributing the \`${o.name}\` backbone (generated by
\`nx g ./tools/generators:backbone-plugin ${o.name}\`). See docs/backbone-plugins.md.

Use it from a workflow by listing the built package in \`plugins\` (or in \`percept.config.json\`), then
\`"backbone": { "use": "${o.name}", "with": { "seed": 0 } }\`.
`;

/** Writes the package; returns nothing to run afterwards (the user runs npm install to link it). */
async function backbonePluginGenerator(tree, options) {
  const o = normalizeOptions(tree, options);
  const file = (rel, content) => tree.write(joinPathFragments(o.directory, rel), content);
  file('package.json', JSON.stringify(packageJson(o), null, 2) + '\n');
  file('tsconfig.lib.json', JSON.stringify(tsconfigLib(o), null, 2) + '\n');
  file('vitest.config.ts', vitestConfig(o));
  file('README.md', readme(o));
  file('src/index.ts', indexTs(o));
  file('src/plugin.ts', pluginTs(o));
  file('src/plugin.test.ts', pluginTestTs(o));
}

module.exports = backbonePluginGenerator;
module.exports.default = backbonePluginGenerator;
module.exports.backbonePluginGenerator = backbonePluginGenerator;
module.exports.normalizeOptions = normalizeOptions;
