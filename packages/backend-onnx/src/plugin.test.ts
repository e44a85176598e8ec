import { describe, it, expect } from 'vitest';
import { Registry } from '@percept/core';
import plugin, { OnnxBackend } from './index.js';

describe('the onnx backend contribution', () => {
  const registry = new Registry([plugin]);

  it('is registered as "onnx" with aliases "onnxruntime" and "ort", and describes its engine', async () => {
    expect(registry.get('backend', 'ort').name).toBe('onnx');
    expect(registry.get('backend', 'onnxruntime').name).toBe('onnx');
    const backend = await registry.get('backend', 'onnx').create({ executionProviders: ['cuda', 'cpu'], intraOpNumThreads: 1 });
    const info = await backend.describe();
    expect(info.engine).toBe('onnxruntime-node');
    expect(info.engineVersion).toMatch(/^\d+\.\d+\.\d+/);
    // cuda is not bundled in the npm package: describe() names the first bundled provider and notes cuda.
    expect(info.provider).toBe('cpu');
    expect(info.notes?.join(' ')).toMatch(/requested providers: cuda, cpu/);
    expect(info.notes?.join(' ')).toMatch(/cuda: need separately installed libraries/);
  });

  it('rejects bad options, naming the option and what was expected', () => {
    const c = registry.get('backend', 'onnx');
    expect(() => c.create({ threads: 2 })).toThrow(/unknown option "threads"/);
    expect(() => c.create({ executionProviders: [] })).toThrow(/"executionProviders" must be a non-empty list/);
    expect(() => c.create({ intraOpNumThreads: 1.5 })).toThrow(/"intraOpNumThreads" must be a non-negative integer/);
    expect(() => c.create({ graphOptimizationLevel: 'max' })).toThrow(/"graphOptimizationLevel" must be one of disabled, basic, extended, layout, all/);
    // Library callers constructing the backend directly get the same checks.
    expect(() => new OnnxBackend({ threads: 2 } as never)).toThrow(/unknown option "threads"/);
    expect(() => new OnnxBackend({ intraOpNumThreads: -1 })).toThrow(/"intraOpNumThreads" must be a non-negative integer/);
  });
});
