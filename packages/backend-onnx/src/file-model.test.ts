import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedAssets } from '@percept/core/testing';
import { imageBatch, concatBatches, type FeatureExtractor } from '@percept/core';
import type { FileModelSpec, Preprocessing } from '@percept/backbones';
import { readImages } from '@percept/images';
import { OnnxBackend } from './backend.js';
import { compileIR } from './compile.js';
import { GraphIndex, parseOnnx, resolveTaps, tapOnnxModel } from './file-model.js';
import { decodeModel, encodeModel } from './proto/onnx.js';

const MODEL = 'models/mobilenetv2-12-int8.onnx';
const DATA = 'datasets/imagenet-val-subset';
const assets = sharedAssets(MODEL, `${DATA}/val.txt`);

const torchvision: Preprocessing = {
  size: [224, 224], resize: 'resize-shorter-crop', resizeShorter: 256, interpolation: 'bilinear',
  channelOrder: 'RGB', scale: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
};

function mobilenet(taps: string[], extra: Partial<FileModelSpec> = {}): FileModelSpec {
  return {
    kind: 'file', name: 'mobilenetv2-int8', format: 'onnx', path: assets.path(MODEL), sha256: '',
    preprocessing: torchvision, taps, logits: 'output', inputLayout: 'NCHW', ...extra,
  };
}

const open: FeatureExtractor[] = [];
afterAll(async () => { for (const e of open) await e.dispose(); });

/** A tiny hand-made model (one conv) for tests that do not need the shared assets. */
function tinyModelBytes(): Uint8Array {
  const k = new Float32Array(27).fill(0.1);
  return compileIR(
    { name: 'tiny', input: { name: 'x', channels: 3 }, nodes: [
      { id: 'conv_a', inputs: ['x'], op: 'conv2d', param: 'c', inChannels: 3, outChannels: 1, kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1, bias: false },
      { id: 'relu_a', inputs: ['conv_a'], op: 'relu' },
    ], taps: { out: { node: 'relu_a', description: '' } }, params: [] },
    new Map([['c.weight', { data: k, shape: [1, 3, 3, 3] }]]),
  ).encode();
}

describe('ONNX reader and graph editing', () => {
  it('round-trips a model losslessly through decode/encode', () => {
    const bytes = tinyModelBytes();
    const again = encodeModel(decodeModel(bytes));
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('rejects a truncated file, naming it and the byte offset', () => {
    const bytes = tinyModelBytes();
    expect(() => parseOnnx(bytes.subarray(0, Math.floor(bytes.length * 0.6)), 'cut.onnx')).toThrow(/cut\.onnx is not a readable ONNX model: .*truncated.* at byte \d+/);
  });

  it('resolves exact names, globs, regular expressions and op: patterns, and suggests names for typos', () => {
    const index = new GraphIndex(decodeModel(tinyModelBytes()).graph);
    expect(resolveTaps(index, ['relu_a'], 't.onnx')).toEqual(['relu_a']);
    expect(resolveTaps(index, ['*_a'], 't.onnx')).toEqual(['conv_a', 'relu_a']);
    expect(resolveTaps(index, ['/^conv/'], 't.onnx')).toEqual(['conv_a']);
    // Duplicates collapse and the result is in graph order, whatever the request order.
    expect(resolveTaps(index, ['op:Relu', 'conv_a', 'relu_a'], 't.onnx')).toEqual(['conv_a', 'relu_a']);
    expect(() => resolveTaps(index, ['relu_b'], 't.onnx')).toThrow(/t\.onnx has no tensor named "relu_b"\. Did you mean "relu_a"/);
    expect(() => resolveTaps(index, ['op:Rlu'], 't.onnx')).toThrow(/no node of op type "Rlu".*"op:Relu"/);
    expect(() => resolveTaps(index, ['zz*'], 't.onnx')).toThrow(/matches no tensor/);
    expect(() => resolveTaps(index, ['c.weight'], 't.onnx')).toThrow(/is a weight \(initializer\)/);
  });
});

describe.skipIf(!assets.available)('user ONNX file: quantized MobileNetV2', () => {
  it('lists the graph, adds outputs for taps and keeps every node and weight', () => {
    const bytes = new Uint8Array(readFileSync(assets.path(MODEL)));
    const model = parseOnnx(bytes, MODEL);
    const nodesBefore = model.graph.nodes.length;
    const tapped = tapOnnxModel(model, MODEL, { taps: ['op:QLinearGlobalAveragePool'] });
    expect(tapped.inputName).toBe('input');
    const reread = decodeModel(tapped.encode());
    expect(reread.graph.nodes.length).toBe(nodesBefore);
    expect(reread.graph.outputs.map((o) => o.name)).toEqual(['output', ...tapped.taps]);
    expect(reread.graph.initializers.length).toBe(model.graph.initializers.length);
    expect(tapped.quant.get(tapped.taps[0])!.scale).toBeGreaterThan(0);
  });

  it('taps QLinear tensors by name and by op:QLinearConv, dequantized on the graph\'s own grid', async () => {
    const files = readdirSync(assets.path(`${DATA}/ILSVRC2012_img_val`)).sort().slice(0, 2);
    const batch = await readImages(files.map((f) => join(assets.path(`${DATA}/ILSVRC2012_img_val`), f)));
    const extractor = await new OnnxBackend({ intraOpNumThreads: 2 }).load(mobilenet(['474_quantized', 'op:QLinearConv']));
    open.push(extractor);
    expect(extractor.taps[0]).toBe('474_quantized');
    expect(extractor.taps.length).toBe(52); // the named tensor is also a QLinearConv output

    const features = await extractor.extract(batch);
    expect(Object.keys(features.taps)).toEqual(extractor.taps);
    expect(features.logits).toBeUndefined();
    for (const t of Object.values(features.taps)) expect(t.data.every(Number.isFinite)).toBe(true);
    const first = features.taps['474_quantized'];
    expect(first.shape).toEqual([2, 32, 112, 112]);
    expect(first.layout).toBe('NCHW');
    // Values lie on the grid (q - zeroPoint)·scale of the graph's own parameters, with q in 0..255.
    const model = parseOnnx(new Uint8Array(readFileSync(assets.path(MODEL))), MODEL);
    const q = tapOnnxModel(model, MODEL, { taps: ['474_quantized'] }).quant.get('474_quantized')!;
    const codes = new Set<number>();
    let offGrid = 0;
    for (let i = 0; i < first.data.length; i += 7) {
      const code = first.data[i] / q.scale + q.zeroPoint;
      if (Math.abs(code - Math.round(code)) > 1e-3) offGrid++;
      codes.add(Math.round(code));
    }
    expect(offGrid).toBe(0);
    expect(Math.min(...codes)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...codes)).toBeLessThanOrEqual(255);
    expect(codes.size).toBeGreaterThan(10);
  });

  it('classifies real ImageNet validation images far above chance', async () => {
    const labels = new Map(readFileSync(assets.path(`${DATA}/val.txt`), 'utf8').trim().split('\n').map((l) => {
      const [file, label] = l.split(' ');
      return [file, Number(label)] as const;
    }));
    const files = readdirSync(assets.path(`${DATA}/ILSVRC2012_img_val`)).sort().slice(0, 20);
    const batch = await readImages(files.map((f) => join(assets.path(`${DATA}/ILSVRC2012_img_val`), f)));
    const extractor = await new OnnxBackend({ intraOpNumThreads: 2 }).load(mobilenet([]), { logits: true });
    open.push(extractor);
    const logits = (await extractor.extract(batch)).logits!;
    expect(logits.shape).toEqual([20, 1000]);
    expect(logits.layout).toBe('NC');
    let correct = 0;
    files.forEach((f, i) => {
      const row = Array.from(logits.data.subarray(i * 1000, (i + 1) * 1000));
      if (row.indexOf(Math.max(...row)) === labels.get(f)) correct++;
    });
    // The model's published top-1 is ~70% (chance 0.1%); 20 images: require at least half.
    expect(correct).toBeGreaterThanOrEqual(10);
  });

  it('reports an unknown tensor name with the file and a suggestion', async () => {
    await expect(new OnnxBackend().load(mobilenet(['474_quantised']))).rejects.toThrow(/mobilenetv2-12-int8\.onnx has no tensor named "474_quantised"\. Did you mean "474_quantized"/);
  });
});

describe('backend options', () => {
  it('falls back past an unavailable provider and says so in info()', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'percept-onnx-')), 'tiny.onnx');
    writeFileSync(path, tinyModelBytes());
    const spec: FileModelSpec = {
      kind: 'file', name: 'tiny', format: 'onnx', path, sha256: '', taps: ['relu_a'], inputLayout: 'NCHW',
      preprocessing: { size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
    };
    const extractor = await new OnnxBackend({ executionProviders: ['no-such-ep', 'tensorrt', 'cpu'], intraOpNumThreads: 1 }).load(spec);
    open.push(extractor);
    const info = extractor.info();
    expect(info.provider).toBe('cpu');
    expect(info.threads).toBe(1);
    expect(info.notes!.join('\n')).toMatch(/"no-such-ep" is not available in this onnxruntime-node build/);
    // tensorrt is known to the build but not installed here (or has no GPU): tried, failed, noted.
    expect(info.notes!.join('\n')).toMatch(/"tensorrt"/);
    expect(info.notes!.join('\n')).toMatch(/fell back to "cpu"/);
    const ones = concatBatches([imageBatch(new Float32Array(5 * 4 * 3).fill(1), 1, 5, 4)]);
    const out = await extractor.extract(ones);
    // Centre pixel: 27 taps of 0.1 × 1.
    expect(out.taps.relu_a.shape).toEqual([1, 1, 5, 4]);
    expect(out.taps.relu_a.data[1 * 4 + 1]).toBeCloseTo(2.7, 5);
    await expect(new OnnxBackend({ executionProviders: ['no-such-ep'] }).load(spec)).rejects.toThrow(/could not load .*tiny\.onnx.*"no-such-ep" is not available/);
  });
});
