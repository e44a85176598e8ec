import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkOutputs, definePlugin, Registry,
  type Backend, type FeatureExtractor, type Features, type ImageBatch, type JobContext, type JsonValue,
} from '@percept/core';
import { writeTwoAfcSubset } from '../writer.js';
import { openTwoAfc } from '../reader.js';
import { dynamicRangeJob } from './dynamic-range.js';
import { activationEntropyJob } from './activation-entropy.js';

/* A fake network with three taps whose entropies are known by hand:
 * "flat" NCHW [n,2,2,2] all equal → 1; "peak" NC [n,8] one value 60, rest 0 → ≈ 0;
 * "hand" NC [n,4] = (0, 0, 0, log 2): softmax (1/5,1/5,1/5,2/5), H = (3/5 log 5 + 2/5 log 5/2) / log 4. */
const HAND = (0.6 * Math.log(5) + 0.4 * Math.log(2.5)) / Math.log(4);
let extracted: number[] = [];
let disposed = 0;

function fakeExtractor(): FeatureExtractor {
  return {
    taps: ['flat', 'peak', 'hand'],
    async extract(batch: ImageBatch): Promise<Features> {
      const n = batch.shape[0];
      extracted.push(n);
      const flat = new Float32Array(n * 8).fill(batch.data[0] * 5);
      const peak = new Float32Array(n * 8);
      const hand = new Float32Array(n * 4);
      for (let i = 0; i < n; i++) { peak[i * 8 + 3] = 60; hand[i * 4 + 3] = Math.log(2); }
      return {
        taps: {
          flat: { data: flat, shape: [n, 2, 2, 2], layout: 'NCHW' },
          peak: { data: peak, shape: [n, 8], layout: 'NC' },
          hand: { data: hand, shape: [n, 4], layout: 'NC' },
        },
      };
    },
    info: () => ({ engine: 'fake', engineVersion: '0', provider: 'js' }),
    dispose: () => { disposed++; },
  };
}

const fakePlugin = definePlugin({
  name: 'fake-entropy-plugin',
  version: '1.0.0',
  contributes: [
    {
      kind: 'backend', name: 'fake', description: 'test backend', optionsSchema: {},
      create: (): Backend => ({ name: 'fake', load: async () => fakeExtractor(), describe: async () => ({ engine: 'fake', engineVersion: '0', provider: 'js' }) }),
    },
    {
      kind: 'backbone', name: 'fake-net', description: 'test backbone', optionsSchema: {},
      build: () => ({ kind: 'fake', name: 'fake-net', provenance: { source: 'random', seed: 1 } }) as never,
    },
  ],
});

const grey = (k: number): ImageBatch => ({ data: new Float32Array(64 * 64 * 3).fill(k / 255), shape: [1, 64, 64, 3] });
// Judges by subset; oracle by hand: a: max(p,1−p) = 0.8, 0.6, 1, 0.5 → 72.5; b: 0.9, 0.7 → 80; overall 76.25.
const JUDGES = { traditional: [0.2, 0.6, 1, 0.5], cnn: [0.9, 0.3] };

let root: string;
let records: Record<string, JsonValue>;
function makeCtx(): JobContext {
  records = {};
  return {
    stepId: 'analysis', outputDir: root, runDir: root, baseDir: root,
    registry: new Registry([fakePlugin]),
    signal: new AbortController().signal,
    log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
    progress: () => undefined,
    record: (k, v) => { records[k] = v; },
  };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'percept-analysis-'));
  for (const [subset, ps] of Object.entries(JUDGES)) {
    await writeTwoAfcSubset(root, 'val', subset, ps.map((p, i) => ({ ref: grey(10 * i), p0: grey(100), p1: grey(200), judge: p })));
  }
});
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

describe('judges-only reading', () => {
  it('reads every judge of every subset without decoding images', async () => {
    const reader = await openTwoAfc({ root, subsets: ['traditional', 'cnn'] });
    const j = await reader.judges();
    expect([...j.get('traditional')!].map((v) => +v.toFixed(5))).toEqual(JUDGES.traditional);
    expect(j.get('cnn')!.length).toBe(2);
  });
});

describe('dynamic-range job', () => {
  it('goes from the oracle (tiny σ) to ~50 (huge σ), with outputs matching the schema', async () => {
    const out = await dynamicRangeJob.run({ root: '.', subsets: ['traditional', 'cnn'], sigmas: [1e-4, 0.3, 1e4], repeats: 300, seed: 2 }, makeCtx());
    checkOutputs(dynamicRangeJob, out, 'dynamic-range');
    expect(out.oracle).toBeCloseTo(76.25, 4);
    const ps = out.ps as number[];
    expect(ps[0]).toBeCloseTo(76.25, 3);
    expect(ps[1]).toBeLessThan(ps[0]);
    expect(ps[1]).toBeGreaterThan(ps[2]);
    expect(Math.abs(ps[2] - 50)).toBeLessThan(2.5);
    expect(out.counts).toEqual({ traditional: 4, cnn: 2 });
    expect(records.skipped).toEqual({ count: 0, samples: [] });
  });
  it('defaults to a 25-point log grid from 0.01 to 10', async () => {
    const out = await dynamicRangeJob.run({ root, subsets: ['cnn'], repeats: 1 }, makeCtx());
    const s = out.sigmas as number[];
    expect(s.length).toBe(25);
    expect(s[0]).toBeCloseTo(0.01, 10);
    expect(s[24]).toBeCloseTo(10, 10);
  });
  it('fails on a bad judge file naming it, or skips it on request', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'percept-analysis-bad-'));
    try {
      await writeTwoAfcSubset(bad, 'val', 'cnn', JUDGES.cnn.map((p) => ({ ref: grey(1), p0: grey(2), p1: grey(3), judge: p })));
      const reader = await openTwoAfc({ root: bad, subsets: ['cnn'] });
      const judgeFile = (reader as unknown as { indexes: { samples: { files: string[] }[] }[] }).indexes[0].samples[0].files[3];
      await writeFile(judgeFile, 'not npy');
      await expect(dynamicRangeJob.run({ root: bad, subsets: ['cnn'], sigmas: [1], repeats: 1 }, makeCtx())).rejects.toThrow(judgeFile);
      const out = await dynamicRangeJob.run({ root: bad, subsets: ['cnn'], sigmas: [1], repeats: 1, onError: 'skip' }, makeCtx());
      expect(out.counts).toEqual({ cnn: 1 });
      expect((records.skipped as { count: number }).count).toBe(1);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

describe('activation-entropy job', () => {
  it('gives 1 for flat maps, ~0 for one dominant value and the hand value, per subset and pooled', async () => {
    extracted = [];
    disposed = 0;
    const out = await activationEntropyJob.run({
      root, subsets: ['traditional', 'cnn'], backbone: { use: 'fake-net' }, backend: { use: 'fake' }, batchSize: 3,
    }, makeCtx());
    checkOutputs(activationEntropyJob, out, 'activation-entropy');
    const byTap = out.byTap as Record<string, number>;
    expect(byTap.flat).toBeCloseTo(1, 10);
    expect(byTap.peak).toBeLessThan(1e-20);
    expect(byTap.hand).toBeCloseTo(HAND, 6);
    expect(out.entropy).toBeCloseTo((1 + HAND) / 3, 6);
    expect((out.bySubset as Record<string, { n: number; entropy: number }>).cnn).toEqual({ n: 2, entropy: expect.closeTo((1 + HAND) / 3, 6), byTap: expect.any(Object) });
    expect(out.counts).toEqual({ traditional: 4, cnn: 2 });
    // Only the reference patches go through the network: 3 + 1 (traditional), 2 (cnn).
    expect(extracted).toEqual([3, 1, 2]);
    expect(disposed).toBe(1);
    expect(records.taps).toEqual(['flat', 'peak', 'hand']);
    expect((records.backbone as { use: string }).use).toBe('fake-net');
  });
  it('honours "limit" and "taps", and names an unknown tap', async () => {
    const out = await activationEntropyJob.run({ root, subsets: ['traditional'], backbone: { use: 'fake-net' }, backend: { use: 'fake' }, taps: ['hand'], limit: 2 }, makeCtx());
    expect(out.taps).toEqual(['hand']);
    expect(out.entropy).toBeCloseTo(HAND, 6);
    expect(out.counts).toEqual({ traditional: 2 });
    await expect(activationEntropyJob.run({ root, subsets: ['cnn'], backbone: { use: 'fake-net' }, backend: { use: 'fake' }, taps: ['conv9'] }, makeCtx()))
      .rejects.toThrow(/"conv9", which backbone "fake-net" does not expose/);
  });
});
