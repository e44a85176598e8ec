import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { InputError, imageBatch } from '@percept/core';
import type { FileModelSpec, Preprocessing } from '@percept/backbones';
import { TfjsBackend } from './backend.js';
import { fileSaveHandler } from './model-file.js';
import { randomArr, relMaxError, rng } from './__fixtures__/naive.js';

const plain: Preprocessing = { size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] };

let dir: string;
const backend = new TfjsBackend({ engine: 'wasm' });

beforeAll(async () => {
  await backend.describe();
  dir = await mkdtemp(join(tmpdir(), 'percept-tfjs-'));
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

function fileSpec(path: string, format: FileModelSpec['format'], taps: string[], logits?: string): FileModelSpec {
  return { kind: 'file', name: 'user-model', format, path, sha256: '', preprocessing: plain, taps, logits, inputLayout: 'NHWC' };
}

function images(n: number, h: number, w: number, seed: number) {
  const r = rng(seed);
  return imageBatch(randomArr([n, h, w, 3], () => r(0, 1)).data, n, h, w);
}

describe('tfjs layers model files', () => {
  let modelPath: string;
  let reference: tf.LayersModel;

  beforeAll(async () => {
    const m = tf.sequential({ name: 'tiny' });
    m.add(tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', name: 'conv_a', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    m.add(tf.layers.activation({ activation: 'relu', name: 'act' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }));
    m.add(tf.layers.flatten({ name: 'flat' }));
    m.add(tf.layers.dense({ units: 3, name: 'logits', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), biasInitializer: 'ones' }));
    await m.save(fileSaveHandler(join(dir, 'layers')));
    modelPath = join(dir, 'layers', 'model.json');
    reference = m;
  });
  afterAll(() => reference.dispose());

  it('exposes layer outputs as taps and the logits layer, equal to the original model', async () => {
    const ex = await backend.load(fileSpec(modelPath, 'tfjs-layers', ['act', 'pool'], 'logits'), { logits: true });
    try {
      expect(ex.taps).toEqual(['act', 'pool']);
      const batch = images(2, 8, 8, 1);
      const before = tf.memory().numTensors;
      const feats = await ex.extract(batch);
      expect(tf.memory().numTensors).toBe(before);
      expect(feats.taps.act.shape).toEqual([2, 8, 8, 4]);
      expect(feats.taps.act.layout).toBe('NHWC');
      expect(feats.taps.pool.shape).toEqual([2, 4, 4, 4]);
      const x = tf.tensor4d(batch.data, [2, 8, 8, 3]);
      const sub = tf.model({ inputs: reference.inputs, outputs: [reference.getLayer('act').output as tf.SymbolicTensor, reference.outputs[0]] });
      const [act, logits] = sub.predict(x) as tf.Tensor[];
      expect(relMaxError(feats.taps.act.data, act.dataSync())).toBeLessThan(1e-6);
      expect(feats.logits!.shape).toEqual([2, 3]);
      expect(relMaxError(feats.logits!.data, logits.dataSync())).toBeLessThan(1e-6);
      // The activations are not trivially zero (the comparison would otherwise prove little).
      expect(Math.max(...feats.taps.act.data)).toBeGreaterThan(0.01);
      tf.dispose([x, act, logits]);
    } finally {
      await ex.dispose();
    }
  });

  it('expands op:<LayerClass> patterns', async () => {
    const ex = await backend.load(fileSpec(modelPath, 'tfjs-layers', ['op:Conv2D', 'op:MaxPooling2D']));
    try {
      expect(ex.taps).toEqual(['conv_a', 'pool']);
    } finally {
      await ex.dispose();
    }
  });

  it('names an unknown layer and the file, with a did-you-mean', async () => {
    const err = await backend.load(fileSpec(modelPath, 'tfjs-layers', ['pol'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`tfjs model file "${modelPath}" has no layer named "pol"`);
    expect((err as InputError).hint).toMatch(/did you mean "pool"/);
  });

  it('reports a missing weight shard and a broken model.json by file name', async () => {
    await writeFile(join(dir, 'broken.json'), '{"modelTopology": ');
    await expect(backend.load(fileSpec(join(dir, 'broken.json'), 'tfjs-layers', ['act']))).rejects.toThrow(/broken\.json" is not valid JSON/);
    await writeFile(join(dir, 'noshard.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['gone.bin'], weights: [] }] }));
    await expect(backend.load(fileSpec(join(dir, 'noshard.json'), 'tfjs-layers', ['act']))).rejects.toThrow(/weight shard "gone\.bin" cannot be read/);
  });
});

describe('tfjs graph model files', () => {
  // A hand-written GraphDef: x → 1×1 Conv2D (3→2) → Relu. Strings in attrs are base64 ("VALID", "NHWC").
  const weights = new Float32Array([0.5, -1, 0.25, 2, -0.75, 0.1]); // HWIO [1,1,3,2]
  let modelPath: string;

  beforeAll(async () => {
    const graphDir = join(dir, 'graph');
    await mkdir(graphDir, { recursive: true });
    const json = {
      format: 'graph-model',
      generatedBy: 'percept-test',
      convertedBy: 'hand',
      modelTopology: {
        node: [
          { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] } } } },
          { name: 'w', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '1' }, { size: '1' }, { size: '3' }, { size: '2' }] } } } } },
          {
            name: 'conv', op: 'Conv2D', input: ['x', 'w'],
            attr: { T: { type: 'DT_FLOAT' }, strides: { list: { i: ['1', '1', '1', '1'] } }, dilations: { list: { i: ['1', '1', '1', '1'] } }, padding: { s: 'VkFMSUQ=' }, data_format: { s: 'TkhXQw==' } },
          },
          { name: 'relu', op: 'Relu', input: ['conv'], attr: { T: { type: 'DT_FLOAT' } } },
        ],
        library: {},
        versions: {},
      },
      weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [1, 1, 3, 2], dtype: 'float32' }] }],
    };
    modelPath = join(graphDir, 'model.json');
    await writeFile(modelPath, JSON.stringify(json));
    await writeFile(join(graphDir, 'weights.bin'), new Uint8Array(weights.buffer));
  });

  it('exposes nodes by name (with or without :0) and by op pattern', async () => {
    const ex = await backend.load(fileSpec(modelPath, 'tfjs-graph', ['conv:0', 'op:Relu']));
    try {
      expect(ex.taps).toEqual(['conv', 'relu']);
      const batch = images(1, 3, 2, 5);
      const before = tf.memory().numTensors;
      const feats = await ex.extract(batch);
      expect(tf.memory().numTensors).toBe(before);
      expect(feats.taps.conv.shape).toEqual([1, 3, 2, 2]);
      for (let p = 0; p < 6; p++) {
        for (let o = 0; o < 2; o++) {
          let s = 0;
          for (let c = 0; c < 3; c++) s += batch.data[p * 3 + c] * weights[c * 2 + o];
          expect(feats.taps.conv.data[p * 2 + o]).toBeCloseTo(s, 6);
          expect(feats.taps.relu.data[p * 2 + o]).toBeCloseTo(Math.max(0, s), 6);
        }
      }
    } finally {
      await ex.dispose();
    }
  });

  it('hands out a copy when a weight (Const node) is tapped, so the model survives', async () => {
    const ex = await backend.load(fileSpec(modelPath, 'tfjs-graph', ['w', 'relu']));
    try {
      const first = await ex.extract(images(1, 2, 2, 1));
      expect(Array.from(first.taps.w.data)).toEqual(Array.from(weights));
      const again = await ex.extract(images(1, 2, 2, 1));
      expect(Array.from(again.taps.w.data)).toEqual(Array.from(weights));
      expect(again.taps.relu.shape).toEqual([1, 2, 2, 2]);
    } finally {
      await ex.dispose();
    }
  });

  it('names an unknown node and the file, with a did-you-mean', async () => {
    const err = await backend.load(fileSpec(modelPath, 'tfjs-graph', ['rel'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain(`"${modelPath}" has no node named "rel"`);
    expect((err as InputError).hint).toMatch(/did you mean "relu"/);
  });
});
