/**
 * Sessions held by a worker thread must give exactly what a session on the calling thread gives,
 * keep calls in order, report failures with the model's label, and refuse work once released.
 */
import { describe, it, expect, afterAll } from 'vitest';
import type { FeatureExtractor } from '@percept/core';
import { alexnet } from '@percept/backbones';
import { OnnxBackend } from './backend.js';
import { compileModelSpec } from './compile.js';
import { SessionWorker } from './session-worker.js';
import { patternBatch as batch, randomSpec } from './__fixtures__/random-models.js';

const spec = randomSpec(alexnet(), 5);

const open: FeatureExtractor[] = [];
afterAll(async () => { for (const e of open) await e.dispose(); });

async function load(sessionThread: 'worker' | 'main'): Promise<FeatureExtractor> {
  const e = await new OnnxBackend({ intraOpNumThreads: 1, sessionThread }).load(spec);
  open.push(e);
  return e;
}

describe('onnx sessions in a worker thread', () => {
  it('give bit-identical taps to a main-thread session, also for overlapping calls of different sizes', async () => {
    const main = await load('main');
    const worker = await load('worker');
    expect(worker.info().notes).toContain('session thread: worker');
    expect(main.info().notes).toContain('session thread: main');
    const inputs = [batch(3, 1), batch(5, 2), batch(1, 3), batch(4, 4)];
    const expected = [];
    for (const x of inputs) expected.push((await main.extract(x)).taps);
    const got = await Promise.all(inputs.map((x) => worker.extract(x)));
    got.forEach((f, i) => {
      for (const tap of worker.taps) {
        expect(f.taps[tap].shape).toEqual(expected[i][tap].shape);
        expect(f.taps[tap].data).toEqual(expected[i][tap].data);
      }
    });
    // The caller's images are copied, never transferred away.
    expect(inputs[0].data.length).toBe(3 * 64 * 64 * 3);
  });

  it('reports a failed run with the model label and keeps serving later runs', async () => {
    const compiled = compileModelSpec(spec, { taps: ['relu5'] });
    const host = new SessionWorker(compiled.encode(), 'backbone "test-alexnet"');
    const session = await host.open({ executionProviders: ['cpu'], intraOpNumThreads: 1 });
    try {
      const x = new Float32Array(2 * 3 * 64 * 64).fill(0.25);
      await expect(session.run('no-such-input', x, [2, 3, 64, 64], ['relu5'])).rejects.toThrow(/backbone "test-alexnet"/);
      const ok = await session.run(compiled.inputName, new Float32Array(2 * 3 * 64 * 64).fill(0.25), [2, 3, 64, 64], [compiled.outputs[0].output]);
      expect(ok.outputs[compiled.outputs[0].output].dims).toEqual([2, 256, 3, 3]);
      expect(ok.input.length).toBe(2 * 3 * 64 * 64);
    } finally {
      await session.release();
    }
    await expect(session.run(compiled.inputName, new Float32Array(3 * 64 * 64), [1, 3, 64, 64], ['relu5'])).rejects.toThrow(/released/);
  });

  it('rejects an unknown sessionThread value by name', () => {
    expect(() => new OnnxBackend({ sessionThread: 'gpu' as never })).toThrow(/"sessionThread" must be "worker" or "main", got "gpu"/);
  });
});
