import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '@percept/core';
import { currentEngine, initTfjs, type EnginePreference } from './engine.js';

function installed(name: string): boolean {
  try { createRequire(import.meta.url).resolve(name); return true; } catch { return false; }
}
const nativeInstalled = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

describe('initTfjs', () => {
  it.skipIf(nativeInstalled)('falls back from the native engines (not installed) to wasm and says why', async () => {
    const lines: string[] = [];
    const info = await initTfjs({ log: (l) => lines.push(l) });
    expect(info.engine).toBe('tfjs-wasm');
    expect(info.provider).toBe('wasm');
    expect(info.engineVersion).toBe(tf.version.tfjs);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.notes?.some((n) => n.startsWith('tfjs-node-gpu unavailable'))).toBe(true);
    expect(info.notes?.some((n) => n.startsWith('tfjs-node unavailable'))).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tfjs engine: tfjs-wasm /);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('is idempotent, also under concurrent calls', async () => {
    const [a, b, c] = await Promise.all([initTfjs({ prefer: 'wasm' }), initTfjs({ prefer: 'wasm' }), initTfjs({ prefer: 'wasm' })]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(currentEngine()).toBe(a);
    // Still computes after repeated initialisation.
    const s = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]);
    expect(s).toBe(6);
  });

  it('switches to the pure-JS cpu engine when asked, and back', async () => {
    const cpu = await initTfjs({ prefer: 'cpu' });
    expect(cpu.engine).toBe('tfjs-cpu');
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await initTfjs({ prefer: 'wasm' });
    expect(wasm.engine).toBe('tfjs-wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown preference, naming the choices', async () => {
    await expect(initTfjs({ prefer: 'gpu' as EnginePreference })).rejects.toThrow(InputError);
    await expect(initTfjs({ prefer: 'gpu' as EnginePreference })).rejects.toThrow(/node-gpu, node, wasm, cpu/);
  });
});
