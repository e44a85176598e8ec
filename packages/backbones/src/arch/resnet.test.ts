import { describe, it, expect } from 'vitest';
import { sharedAssets } from '@percept/core/testing';
import { resnet, resnet6, resnet18, resnet50, resnetPresets } from './resnet.js';
import { inferShapes } from '../graph/shapes.js';
import { readSafetensors } from '../weights/safetensors.js';
import { loadWeightsStrict } from '../weights/strict.js';

function tapShapes(graph: ReturnType<typeof resnet>, size = 64) {
  const shapes = inferShapes(graph, [2, 3, size, size]);
  return Object.fromEntries(Object.entries(graph.taps).map(([t, s]) => [t, shapes.get(s.node)]));
}

describe('resnet builder', () => {
  it('gives the four reduction stages 16/8/4/2 at 64×64 for basic blocks', () => {
    const g = resnet18({ classes: 10 });
    expect(tapShapes(g)).toEqual({ layer1: [2, 64, 16, 16], layer2: [2, 128, 8, 8], layer3: [2, 256, 4, 4], layer4: [2, 512, 2, 2] });
    expect(inferShapes(g, [2, 3, 64, 64]).get(g.logits!)).toEqual([2, 10]);
  });

  it('gives 4× channels for bottleneck blocks', () => {
    const g = resnet50({ classes: 0 });
    expect(g.logits).toBeUndefined();
    expect(tapShapes(g)).toEqual({ layer1: [2, 256, 16, 16], layer2: [2, 512, 8, 8], layer3: [2, 1024, 4, 4], layer4: [2, 2048, 2, 2] });
    expect(g.params.filter((p) => p.name.endsWith('.weight') && p.shape.length === 4)).toHaveLength(53);
  });

  it('builds ResNet-6 as 6 weight layers with projection shortcuts in every group', () => {
    const g = resnet6();
    const convs = g.nodes.filter((n) => n.op === 'conv2d' && !n.id.includes('downsample'));
    const dense = g.nodes.filter((n) => n.op === 'dense');
    expect(convs.length + dense.length).toBe(6);
    expect(g.params.map((p) => p.name)).toContain('layer1.0.downsample.0.weight');
    expect(g.params.map((p) => p.name)).not.toContain('layer1.0.conv2.weight');
    expect(tapShapes(g)).toEqual({ layer1: [2, 64, 16, 16], layer2: [2, 128, 8, 8], layer3: [2, 256, 4, 4], layer4: [2, 512, 2, 2] });
    expect(resnetPresets.resnet6.description).toMatch(/single 3×3 conv/);
  });

  it('scales widths and removes skips on request', () => {
    const g = resnet({ block: 'basic', layers: [1, 1, 1, 1], width: 0.25, skip: false, classes: 5 });
    expect(tapShapes(g)).toEqual({ layer1: [2, 16, 16, 16], layer2: [2, 32, 8, 8], layer3: [2, 64, 4, 4], layer4: [2, 128, 2, 2] });
    expect(g.nodes.some((n) => n.op === 'add')).toBe(false);
    expect(g.params.some((p) => p.name.includes('downsample'))).toBe(false);
  });

  it('rejects bad options naming the option', () => {
    expect(() => resnet({ block: 'basic', layers: [1, 1, 1] })).toThrow(/"layers" must be 4/);
    expect(() => resnet({ block: 'bottleneck', layers: [0, 0, 0, 0] })).toThrow(/only with block "basic"/);
    expect(() => resnet({ block: 'wide' as 'basic', layers: [1, 1, 1, 1] })).toThrow(/"block"/);
  });

  it('names the input when its channel count is wrong', () => {
    expect(() => inferShapes(resnet18(), [1, 4, 64, 64])).toThrow(/"input" expects 3 channels/);
  });
});

const assets = sharedAssets('reference/resnet-basic-1111.safetensors', 'reference/resnet-bottleneck-1111.safetensors');
describe.skipIf(!assets.available)('resnet parameters equal torchvision state dicts', () => {
  for (const [file, block] of [['resnet-basic-1111.safetensors', 'basic'], ['resnet-bottleneck-1111.safetensors', 'bottleneck']] as const) {
    it(`${block}: names and shapes match ${file}`, async () => {
      const w = await readSafetensors(assets.refPath(file));
      expect(w.metadata.architecture).toContain(block === 'basic' ? 'BasicBlock' : 'Bottleneck');
      const g = resnet({ block, layers: [1, 1, 1, 1], classes: 10 });
      const fileKeys = [...w.tensors.keys()].filter((k) => k !== 'input' && !k.startsWith('expected.'));
      const required = g.params.filter((p) => !p.optional);
      expect(required.map((p) => p.name).sort()).toEqual([...fileKeys].sort());
      for (const p of required) expect(w.tensors.get(p.name)!.shape).toEqual(p.shape);
      const loaded = loadWeightsStrict(g, w, { ignore: ['input', 'expected.'] });
      expect(loaded.size).toBe(required.length);
      const shapes = inferShapes(g, w.tensors.get('input')!.shape);
      for (const tap of ['layer1', 'layer2', 'layer3', 'layer4']) {
        expect(shapes.get(g.taps[tap].node)).toEqual(w.tensors.get(`expected.${tap}`)!.shape);
      }
      expect(shapes.get(g.logits!)).toEqual(w.tensors.get('expected.logits')!.shape);
    });
  }
});
