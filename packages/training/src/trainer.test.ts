import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTfjs, tf, compileGraph } from '@percept/backend-tfjs';
import { efficientnet, imagenetNormalize, randomWeights, readWeights, loadWeightsStrict, resnet2, resnet3, resnet5, resnet6, resnet, vit } from '@percept/backbones';
import { trainClassifier, defaultTrainConfig, type TrainConfig, type TrainIO } from './trainer.js';
import { syntheticSource } from './testing-sources.js';
import { checkpointPath } from './checkpoint.js';
import { normalizeInPlace, DataOrder } from './data/batches.js';
import { readTrainingState } from './checkpoint.js';
import { openDownsampledImagenet } from '@percept/dataset-imagenet';
import { writeNpzShards } from './__fixtures__/npz.js';
import { toLabeledSource } from './data/adapt.js';

let tmp: string;
beforeAll(async () => { await initTfjs({ prefer: 'cpu' }); tmp = mkdtempSync(join(tmpdir(), 'percept-train-')); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const graph = resnet6({ width: 0.125, classes: 3 });
const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  ...defaultTrainConfig, steps: 8, batchSize: 6, imageSize: 16, lr: 0.05, checkpointEvery: 4, evalBatchSize: 6, ...over,
});
const io = (dir: string, over: Partial<TrainIO> = {}): TrainIO => ({
  model: { graph, weights: randomWeights(graph, 1), preprocessing: imagenetNormalize },
  train: syntheticSource({ classes: 3, perClass: 8, size: 16 }),
  val: syntheticSource({ classes: 3, perClass: 2, size: 16, seed: 9 }),
  outputDir: join(tmp, dir),
  ...over,
});

describe('trainClassifier', () => {
  it('is deterministic, and a killed run resumes to the same losses', async () => {
    const full = await trainClassifier(cfg(), io('full'));
    expect(full.losses.every(Number.isFinite)).toBe(true);
    expect(full.checkpoints.map((c) => c.step)).toEqual([4, 8]);
    expect(existsSync(checkpointPath(join(tmp, 'full'), 4))).toBe(true);

    const again = await trainClassifier(cfg(), io('again'));
    expect(Array.from(again.losses)).toEqual(Array.from(full.losses));

    // Kill at step 6 (state saved every 2 steps), then resume in the same directory.
    const ac = new AbortController();
    const killed = trainClassifier(cfg({ stateEvery: 2 }), io('killed', { signal: ac.signal, onStep: (s) => { if (s === 5) ac.abort(); } }));
    await expect(killed).rejects.toThrow(/interrupted at step 6/);
    const resumed = await trainClassifier(cfg({ stateEvery: 2 }), io('killed'));
    expect(resumed.resumedFrom).toBe(6);
    expect(Array.from(resumed.losses)).toEqual(Array.from(full.losses));
    expect(resumed.checkpoints.map((c) => [c.step, c.valAccuracy])).toEqual(full.checkpoints.map((c) => [c.step, c.valAccuracy]));
  });

  it('streams npz training data through the shuffle buffer, and a killed run resumes to the same losses', async () => {
    const root = join(tmp, 'npz-data');
    await writeNpzShards(root, [7, 6, 8, 5], { side: 16, classes: 3 }); // 26 images: 4 batches of 6 per epoch
    const open = async () => toLabeledSource(await openDownsampledImagenet({ root, split: 'train', classes: 3 }), 'option "train"');
    const c = cfg({ stateEvery: 2, shuffleBuffer: 5 });
    const npz = async (dir: string, over: Partial<TrainIO> = {}) => io(dir, { train: await open(), val: undefined, ...over });
    const seen: number[][] = [];
    const full = await trainClassifier(c, await npz('npz-full', { onBatch: (_s, b) => seen.push(b.indices) }));
    expect(full.losses.every(Number.isFinite)).toBe(true);
    expect(full.data.peakHeld).toBeLessThanOrEqual(5 + 6); // buffer + the batch being assembled
    expect(full.data.read).toBe(2 * 26);
    expect(new Set(seen.slice(0, 4).flat()).size).toBe(24);

    // Killed after step 6 (epoch 1, batch 2: the buffer holds 5 images), then resumed.
    const ac = new AbortController();
    const killed = trainClassifier(c, await npz('npz-killed', { signal: ac.signal, onStep: (s) => { if (s === 5) ac.abort(); } }));
    await expect(killed).rejects.toThrow(/interrupted at step 6/);
    const state = await readTrainingState(join(tmp, 'npz-killed'));
    expect(state!.dataOrder).toMatchObject({ epoch: 1, batch: 2 });
    expect(state!.dataOrder!.buffer).toHaveLength(5);
    const resumedSeen: number[][] = [];
    const resumed = await trainClassifier(c, await npz('npz-killed', { onBatch: (_s, b) => resumedSeen.push(b.indices) }));
    expect(resumed.resumedFrom).toBe(6);
    expect(resumedSeen).toEqual(seen.slice(6));
    expect(Array.from(resumed.losses)).toEqual(Array.from(full.losses));
    // The buffer size shapes the order, so a state saved under another one is refused.
    await expect(trainClassifier(cfg({ stateEvery: 2, shuffleBuffer: 4 }), await npz('npz-full'))).rejects.toThrow(/different options/);
  });

  it('writes checkpoints whose fresh inference equals the trained model', async () => {
    const res = await trainClassifier(cfg({ steps: 4, dropout: 0.3 }), io('infer'));
    const file = await readWeights(res.checkpoints[0].path);
    const weights = loadWeightsStrict(graph, file);
    const src = syntheticSource({ classes: 3, perClass: 1, size: 16, seed: 5 });
    const img = await src.load(0);
    normalizeInPlace(img.data, imagenetNormalize);
    const x = tf.tensor4d(img.data, [1, 16, 16, 3]);
    const plain = compileGraph(graph, weights, { fuse: false });
    const fused = compileGraph(graph, weights);
    const trainedAgain = compileGraph(graph, weights, { training: true });
    const a = plain.run(x, [graph.logits!])[graph.logits!];
    const b = fused.run(x, [graph.logits!])[graph.logits!];
    const c = trainedAgain.run(x, [graph.logits!])[graph.logits!];
    expect(Array.from(await c.data())).toEqual(Array.from(await a.data()));
    const av = await a.data(), bv = await b.data();
    for (let i = 0; i < av.length; i++) expect(bv[i]).toBeCloseTo(av[i], 4);
    tf.dispose([x, a, b, c]); plain.dispose(); fused.dispose(); trainedAgain.dispose();
  });

  it('learns the synthetic classes', async () => {
    const res = await trainClassifier(cfg({ steps: 16, checkpointEvery: 16, lr: 0.01, schedule: 'constant', weightDecay: 0, crop: 'central', cropFraction: 1 }), io('learn'));
    const first = res.losses[0];
    const last = res.losses.slice(-4).reduce((a, b) => a + b) / 4;
    expect(last).toBeLessThan(first * 0.5);
    expect(res.checkpoints[0].valAccuracy).toBeGreaterThan(0.8);
  });

  it('stops on a NaN loss naming the step and batch, keeping the last good checkpoint', async () => {
    const base = syntheticSource({ classes: 3, perClass: 8, size: 16 });
    const bad = new DataOrder({ size: base.size, batchSize: 6, seed: 0 }).indices(3)[2];
    const train = { ...base, load: async (i: number) => { const img = await base.load(i); if (i === bad) img.data.fill(NaN); return img; } };
    const run = trainClassifier(cfg({ checkpointEvery: 2 }), io('nan', { train }));
    await expect(run).rejects.toThrow(/loss is NaN at step 3 \(epoch 0, batch 3: samples .*\b/);
    await run.catch((e) => expect(e.message).toContain(`synthetic/${bad % 3}/${Math.floor(bad / 3)}`));
    expect(existsSync(checkpointPath(join(tmp, 'nan'), 2))).toBe(true);
    expect((await readTrainingState(join(tmp, 'nan')))!.step).toBe(2);
  });

  it('refuses a head larger than the data and a state written under other options', async () => {
    const big = resnet6({ width: 0.125, classes: 5 });
    await expect(trainClassifier(cfg(), io('head', { model: { graph: big, weights: randomWeights(big, 0), preprocessing: imagenetNormalize } })))
      .rejects.toThrow(/3 classes, but the model's head "fc" has 5 outputs/);
    await trainClassifier(cfg({ steps: 2, checkpointEvery: 2 }), io('other'));
    await expect(trainClassifier(cfg({ steps: 2, checkpointEvery: 2, lr: 0.5 }), io('other'))).rejects.toThrow(/different options/);
  });

  it('trains a ViT with Adam and a skip-free ResNet', async () => {
    const v = vit({ imageSize: 16, patch: 8, layers: 1, heads: 2, dim: 16, mlpDim: 32, classes: 3 });
    const vr = await trainClassifier(cfg({ steps: 3, checkpointEvery: 3, optimizer: 'adamw', lr: 1e-3, weightDecay: 0.3, schedule: 'cosine' }),
      io('vit', { model: { graph: v, weights: randomWeights(v, 0), preprocessing: imagenetNormalize } }));
    expect(vr.losses.every(Number.isFinite)).toBe(true);
    const noskip = resnet({ block: 'basic', layers: [1, 1, 0, 0], width: 0.125, classes: 3, skip: false });
    expect(noskip.nodes.some((n) => n.op === 'add')).toBe(false);
    const nr = await trainClassifier(cfg({ steps: 2, checkpointEvery: 2 }), io('noskip', { model: { graph: noskip, weights: randomWeights(noskip, 0), preprocessing: imagenetNormalize } }));
    expect(nr.checkpoints).toHaveLength(1);
  });

  it('trains the reduced-depth ResNet-2, -3 and -5 (stem only; 1 and 3 groups) and writes checkpoints that load strictly', async () => {
    for (const [name, build] of [['resnet2', resnet2], ['resnet3', resnet3], ['resnet5', resnet5]] as const) {
      const g = build({ width: 0.125, classes: 3 });
      const weights = randomWeights(g, 0);
      const res = await trainClassifier(cfg({ steps: 2, checkpointEvery: 2 }), io(name, { model: { graph: g, weights, preprocessing: imagenetNormalize } }));
      expect(res.losses.every(Number.isFinite), name).toBe(true);
      expect(res.checkpoints.map((c) => c.step)).toEqual([2]);
      const trained = loadWeightsStrict(g, await readWeights(res.checkpoints[0].path));
      expect(trained.size).toBe(weights.size);
      // The step moved the stem conv (the only conv ResNet-2 has).
      expect(Array.from(trained.get('conv1.weight')!.data)).not.toEqual(Array.from(weights.get('conv1.weight')!.data));
    }
  });

  it('trains a tiny EfficientNet (depthwise convs, squeeze-excitation, seeded stochastic depth and dropout): the loss falls, same seed same losses, checkpoints load back', async () => {
    const e = efficientnet({ width: 0.1, depth: 0.5, classes: 3, stochasticDepth: 0.2, dropout: 0.2 });
    // Default SGD with Nesterov momentum, on the tfjs cpu engine (beforeAll), as training runs.
    expect(e.nodes.some((n) => n.op === 'stochasticdepth')).toBe(true);
    const c = cfg({ steps: 16, checkpointEvery: 16, lr: 0.01, schedule: 'constant', weightDecay: 0, crop: 'central', cropFraction: 1 });
    const run = (dir: string) => trainClassifier(c, io(dir, { model: { graph: e, weights: randomWeights(e, 0), preprocessing: imagenetNormalize }, val: undefined }));
    const a = await run('effnet-a');
    expect(a.losses.every(Number.isFinite)).toBe(true);
    // Batches of 6 (with stochastic depth and dropout) are noisy: compare the means of the first and last 4 steps.
    const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((x, y) => x + y) / xs.length;
    expect(mean(a.losses.slice(-4))).toBeLessThan(0.8 * mean(a.losses.slice(0, 4)));
    expect(Array.from((await run('effnet-b')).losses)).toEqual(Array.from(a.losses));
    const w = loadWeightsStrict(e, await readWeights(a.checkpoints[0].path));
    expect(w.get('features.4.1.block.2.fc2.weight')!.data).not.toEqual(randomWeights(e, 0).get('features.4.1.block.2.fc2.weight')!.data);
  });

  it('trains with seeded dropout inside the model (ViT encoder) and before the classifier: same seed, same losses; resumes exactly', async () => {
    const arch = { imageSize: 16, patch: 8, layers: 1, heads: 2, dim: 16, mlpDim: 32, classes: 3 };
    const vd = vit({ ...arch, dropout: 0.3 });
    const v0 = vit(arch);
    const weights = randomWeights(vd, 0);
    const c = cfg({ steps: 4, checkpointEvery: 4, stateEvery: 2, optimizer: 'adamw', lr: 1e-3, weightDecay: 0.1, schedule: 'constant', dropout: 0.2 });
    const run = (dir: string, graph = vd, over: Partial<TrainConfig> = {}, more: Partial<TrainIO> = {}) =>
      trainClassifier({ ...c, ...over }, io(dir, { model: { graph, weights, preprocessing: imagenetNormalize }, val: undefined, ...more }));
    const a = await run('vd-a');
    const b = await run('vd-b');
    expect(Array.from(b.losses)).toEqual(Array.from(a.losses));
    expect(Array.from((await run('vd-seed', vd, { seed: 1 })).losses)).not.toEqual(Array.from(a.losses));
    // Same data, weights and head dropout; only the encoder's masks are missing: the first loss differs.
    expect((await run('vd-none', v0)).losses[0]).not.toBe(a.losses[0]);
    const ac = new AbortController();
    await expect(run('vd-killed', vd, {}, { signal: ac.signal, onStep: (s) => { if (s === 1) ac.abort(); } })).rejects.toThrow(/interrupted at step 2/);
    const resumed = await run('vd-killed');
    expect(resumed.resumedFrom).toBe(2);
    expect(Array.from(resumed.losses)).toEqual(Array.from(a.losses));
  });
});
