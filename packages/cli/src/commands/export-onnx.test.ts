import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as ort from 'onnxruntime-node';
import { Registry, definePlugin, imageBatch, type BackboneContribution } from '@percept/core';
import { randomWeights, resnet, type IRModelSpec } from '@percept/backbones';
import { OnnxBackend } from '@percept/backend-onnx';
import type { CliIO } from '../command.js';
import { createExportOnnxCommand } from './export-onnx.js';

/** A registry with one small backbone, so the command is tested without the real model zoo. */
function testRegistry(): Registry {
  const tiny: BackboneContribution = {
    kind: 'backbone',
    name: 'tiny-resnet',
    description: 'ResNet-6, 10 classes, for tests',
    optionsSchema: { type: 'object', properties: { weights: { type: 'string' }, seed: { type: 'integer' } } },
    build(options): IRModelSpec {
      if (options.weights !== undefined && options.weights !== 'random') throw new Error('test backbone: only random weights');
      const graph = resnet({ block: 'basic', layers: [0, 0, 0, 0], classes: 10, width: 0.25, name: 'tiny-resnet' });
      const seed = (options.seed as number | undefined) ?? 0;
      return {
        kind: 'ir', name: 'tiny-resnet', graph, weights: randomWeights(graph, seed),
        preprocessing: { size: [32, 32], resize: 'resize', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
        provenance: { source: 'random', seed },
      };
    },
  };
  return new Registry([definePlugin({ name: 'test-backbones', version: '0.0.0', contributes: [tiny] })]);
}

function io(cwd: string): CliIO & { out: () => string } {
  let text = '';
  const sink = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
  return { stdout: sink, stderr: sink, env: {}, cwd, verbose: false, out: () => text };
}

describe('percept export onnx', () => {
  const command = createExportOnnxCommand(async () => testRegistry());

  it('writes a model whose outputs match the onnx backend on the same backbone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percept-export-'));
    const cli = io(dir);
    const code = await command.run(['tiny-resnet', '--weights', 'random', '--seed', '3', '--taps', 'layer2,layer4', '-o', 'tiny.onnx'], cli);
    expect(code).toBe(0);
    expect(cli.out()).toMatch(/Wrote .*tiny\.onnx/);

    const session = await ort.InferenceSession.create(join(dir, 'tiny.onnx'));
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['layer2', 'layer4', 'logits']);
    const x = new Float32Array(2 * 3 * 32 * 32).map((_, i) => (i % 17) / 17);
    const fromFile = await session.run({ input: new ort.Tensor('float32', x, [2, 3, 32, 32]) });
    await session.release();

    // The same backbone through the backend (which feeds NHWC [0,1] images): identical logits.
    const spec = testRegistry().get('backbone', 'tiny-resnet').build({ seed: 3 }, { baseDir: dir }) as IRModelSpec;
    const extractor = await new OnnxBackend().load(spec, { logits: true });
    const nhwc = new Float32Array(x.length);
    for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) nhwc[(b * 1024 + p) * 3 + c] = x[(b * 3 + c) * 1024 + p];
    const features = await extractor.extract(imageBatch(nhwc, 2, 32, 32));
    await extractor.dispose();
    const a = fromFile.logits.data as Float32Array;
    const b = features.logits!.data;
    expect(a.length).toBe(20);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    // The seed matters: a different seed gives a different file.
    await command.run(['tiny-resnet', '--seed', '4', '-o', 'other.onnx'], cli);
    expect(Buffer.compare(readFileSync(join(dir, 'tiny.onnx')), readFileSync(join(dir, 'other.onnx')))).not.toBe(0);
  });

  it('rejects an unknown backbone with a suggestion and bad usage with the usage exit code', async () => {
    const cli = io(tmpdir());
    await expect(command.run(['tiny-resnt'], cli)).rejects.toThrow(/Unknown backbone "tiny-resnt".*tiny-resnet/);
    await expect(command.run([], cli)).rejects.toMatchObject({ exitCode: 2 });
    await expect(command.run(['tiny-resnet', '--seed', '1.5'], cli)).rejects.toThrow(/--seed must be a non-negative integer/);
    await expect(command.run(['tiny-resnet', '--taps', 'layer9', '-o', join(tmpdir(), 'x.onnx')], cli)).rejects.toThrow(/no tap or node named "layer9"/);
  });

  it('exports a backbone contributed by @percept/backbones through the built-in registry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percept-export-'));
    const cli = io(dir);
    const real = createExportOnnxCommand();
    expect(await real.run(['resnet10', '--weights', 'random', '--seed', '1', '--taps', 'layer1,layer4', '-o', 'r10.onnx'], cli)).toBe(0);
    const session = await ort.InferenceSession.create(join(dir, 'r10.onnx'));
    expect(session.outputNames).toEqual(['layer1', 'layer4', 'logits']);
    const x = new Float32Array(1 * 3 * 64 * 64).fill(0.5);
    const out = await session.run({ input: new ort.Tensor('float32', x, [1, 3, 64, 64]) });
    await session.release();
    expect(out.layer1.dims).toEqual([1, 64, 16, 16]);
    expect(out.layer4.dims).toEqual([1, 512, 2, 2]);
    expect((out.logits.data as Float32Array).every(Number.isFinite)).toBe(true);
  });
});
