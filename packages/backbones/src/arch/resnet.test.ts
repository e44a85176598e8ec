import { describe, it, expect } from 'vitest';
import { sharedAssets } from '@percept/core/testing';
import { resnet, resnet2, resnet3, resnet4, resnet5, resnet6, resnet8, resnet18, resnet50, resnetPresets } from './resnet.js';
import { countParams } from '../graph/params.js';
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

  it('builds the reduced-depth ResNet-2..5 as ResNet-6 cut after its first k groups, tapping the stages that exist', () => {
    const stages = { layer1: [2, 64, 16, 16], layer2: [2, 128, 8, 8], layer3: [2, 256, 4, 4] };
    expect(tapShapes(resnet2())).toEqual({ stem: [2, 64, 16, 16] });
    expect(tapShapes(resnet3())).toEqual({ layer1: stages.layer1 });
    expect(tapShapes(resnet4())).toEqual({ layer1: stages.layer1, layer2: stages.layer2 });
    expect(tapShapes(resnet5())).toEqual(stages);
    for (const [depth, build] of [[2, resnet2], [3, resnet3], [4, resnet4], [5, resnet5], [6, resnet6]] as const) {
      const g = build({ classes: 10 });
      const weightLayers = g.nodes.filter((n) => (n.op === 'conv2d' && !n.id.includes('downsample')) || n.op === 'dense');
      expect(weightLayers, `resnet${depth}`).toHaveLength(depth);
      expect(inferShapes(g, [2, 3, 64, 64]).get(g.logits!), `resnet${depth}`).toEqual([2, 10]);
      expect(g.name).toBe(`resnet${depth}`);
    }
    // ResNet-2 has no groups, so nothing to skip: no add, no projection.
    expect(resnet2().nodes.some((n) => n.op === 'add')).toBe(false);
    expect(resnet2({ classes: 0 }).logits).toBeUndefined();
    expect(resnet({ block: 'basic', layers: [] }).name).toBe('resnet-basic-stem');
    expect(resnetPresets.resnet3.description).toMatch(/our reading/);
  });

  it('has the parameter counts of the same networks built in PyTorch (state_dict sizes without num_batches_tracked)', () => {
    // Counted once with torch 1.13 from nn.Conv2d/BatchNorm2d/Linear modules laid out as in the module comment.
    expect(countParams(resnet2())).toBe(74_664);
    expect(countParams(resnet3())).toBe(116_136);
    expect(countParams(resnet4())).toBe(263_080);
    expect(countParams(resnet5())).toBe(720_808);
    expect(countParams(resnet6())).toBe(2_291_624);
    expect(countParams(resnet2({ width: 0.25, classes: 10 }))).toBe(2_586);
    expect(countParams(resnet3({ width: 0.25, classes: 10 }))).toBe(5_274);
    expect(countParams(resnet5({ width: 0.25, classes: 10 }))).toBe(32_122);
    expect(countParams(resnet6({ width: 0.25, classes: 10 }))).toBe(115_706);
  });

  it('builds ResNet-8 as basic [1, 1, 0, 0] with all four stages', () => {
    const g = resnet8();
    expect(g.params.map((p) => p.name)).toEqual(resnet({ block: 'basic', layers: [1, 1, 0, 0] }).params.map((p) => p.name));
    expect(tapShapes(g)).toEqual({ layer1: [2, 64, 16, 16], layer2: [2, 128, 8, 8], layer3: [2, 256, 4, 4], layer4: [2, 512, 2, 2] });
    const convs = g.nodes.filter((n) => (n.op === 'conv2d' && !n.id.includes('downsample')) || n.op === 'dense');
    expect(convs).toHaveLength(8);
  });

  it('rejects bad options naming the option', () => {
    expect(() => resnet({ block: 'basic', layers: [1, 1, 1, 1, 1] })).toThrow(/"layers" must be 0 to 4 non-negative integers.*\[1,1,1,1,1\]/);
    expect(() => resnet({ block: 'basic', layers: [1, -1] })).toThrow(/"layers" must be 0 to 4/);
    expect(() => resnet({ block: 'basic', layers: 4 as unknown as number[] })).toThrow(/"layers" must be 0 to 4/);
    expect(() => resnet({ block: 'bottleneck', layers: [0, 0, 0, 0] })).toThrow(/only with block "basic"/);
    expect(() => resnet({ block: 'bottleneck', layers: [3, 0] })).toThrow(/only with block "basic"/);
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
