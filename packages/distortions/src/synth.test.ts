import { mkdtemp, readdir, readFile, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOptions, checkOutputs, type JobContext, type JsonValue } from '@percept/core';
import { readNpy, npyToNumbers } from '@percept/dataset-bapps';
import { readImage, writePng } from '@percept/images';
import { rmse } from './image.js';
import { synthJob } from './jobs.js';
import { proceduralImages } from './procedural.js';
import { synthTwoAfc } from './synth.js';

const tmp = await mkdtemp(join(tmpdir(), 'percept-synth-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function judges(dir: string, folder = 'judge'): Promise<number[]> {
  const files = (await readdir(join(dir, folder))).sort();
  return Promise.all(files.map(async (f) => npyToNumbers(await readNpy(join(dir, folder, f)))[0]));
}

describe('synthTwoAfc', () => {
  it('writes BAPPS layout with ordinal judges that match the severity order', async () => {
    const root = join(tmp, 'ordinal');
    let lastProgress = 0;
    const res = await synthTwoAfc({
      out: root, count: 8, seed: 3, subsets: ['blur', 'noise', 'photometric'], sharedSeed: true,
      onProgress: (d, t) => { lastProgress = d; expect(t).toBe(24); },
    });
    expect(res.subsets).toEqual(['blur', 'noise', 'photometric']);
    expect(lastProgress).toBe(24);
    const seen = new Set<number>();
    for (const s of res.subsets) {
      const dir = join(root, '2afc', 'val', s);
      for (const f of ['ref', 'p0', 'p1']) expect((await readdir(join(dir, f))).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `00000${i}.png`));
      const js = await judges(dir);
      for (let i = 0; i < js.length; i++) {
        const name = `00000${i}.png`;
        const [ref, p0, p1] = await Promise.all(['ref', 'p0', 'p1'].map((f) => readImage(join(dir, f, name))));
        expect(ref.shape).toEqual([1, 64, 64, 3]);
        // Shared seeds: the same perturbation at two strengths, so the less distorted patch is closer in pixels.
        const closer1 = rmse(p1.data, ref.data) < rmse(p0.data, ref.data);
        expect(js[i], `${s} ${name}`).toBe(closer1 ? 1 : 0);
        seen.add(js[i]);
      }
    }
    expect([...seen].sort()).toEqual([0, 1]);
    const manifest = JSON.parse(await readFile(join(root, 'manifest.json'), 'utf8'));
    expect(manifest.humanJudgments).toBe(false);
    expect(manifest.settings).toMatchObject({ seed: 3, count: 8, size: 64, softJudges: 0 });
    expect(manifest.subsets.blur).toEqual(['gaussian-blur', 'bilateral']);
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/no human judgments/i);
    expect(readme).toMatch(/Seed: 3/);
  });

  it('is byte-for-byte deterministic per seed', async () => {
    const opts = { count: 3, subsets: ['spatial'], seed: 5 };
    await synthTwoAfc({ ...opts, out: join(tmp, 'det-a') });
    await synthTwoAfc({ ...opts, out: join(tmp, 'det-b') });
    await synthTwoAfc({ ...opts, seed: 6, out: join(tmp, 'det-c') });
    const file = (r: string, f: string) => readFile(join(tmp, r, '2afc', 'val', 'spatial', f, '000002.png'));
    for (const f of ['ref', 'p0', 'p1']) expect((await file('det-a', f)).equals(await file('det-b', f))).toBe(true);
    expect((await file('det-a', 'p1')).equals(await file('det-c', 'p1'))).toBe(false);
    expect(await readFile(join(tmp, 'det-a', 'manifest.json'), 'utf8')).toBe(await readFile(join(tmp, 'det-b', 'manifest.json'), 'utf8'));
  });

  it('crops from an image folder, writes soft judges and JND pairs', async () => {
    const images = join(tmp, 'src-images', 'nested');
    await mkdir(images, { recursive: true });
    const src = proceduralImages(2, 100, 1);
    await writePng(join(images, 'a.png'), { data: src.data.slice(0, 100 * 100 * 3), shape: [1, 100, 100, 3] });
    // Smaller than a patch: must be enlarged, not rejected.
    await writePng(join(tmp, 'src-images', 'b.png'), { data: proceduralImages(1, 40, 2).data, shape: [1, 40, 40, 3] });
    const root = join(tmp, 'soft');
    const res = await synthTwoAfc({ out: root, images: join(tmp, 'src-images'), count: 6, subsets: ['gaussian-blur'], softJudges: 5, jnd: true, seed: 1 });
    expect(res.jnd).toBe(true);
    const js = await judges(join(root, '2afc', 'val', 'gaussian-blur'));
    expect(js).toHaveLength(6);
    for (const j of js) {
      expect(j).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThanOrEqual(1);
      expect(Math.abs(j * 5 - Math.round(j * 5))).toBeLessThan(1e-6);
    }
    const jnd = join(root, 'jnd', 'val', 'gaussian-blur');
    const same = await judges(jnd, 'same');
    expect(same).toHaveLength(6);
    for (const v of same) expect(Math.abs(v * 5 - Math.round(v * 5))).toBeLessThan(1e-6);
    // p0 of a JND pair is the undistorted reference crop.
    const p0 = await readImage(join(jnd, 'p0', '000000.png'));
    expect(p0.shape).toEqual([1, 64, 64, 3]);
    const manifest = JSON.parse(await readFile(join(root, 'manifest.json'), 'utf8'));
    expect(manifest.settings.source.files).toBe(2);
    expect(manifest.jndSets['gaussian-blur'].count).toBe(6);
  });

  it('composes two different types of the subset when asked', async () => {
    const root = join(tmp, 'composed');
    const res = await synthTwoAfc({ out: root, count: 4, subsets: ['blur', 'compression'], composeFraction: 1, seed: 2 });
    const twoAfc = res.manifest.twoAfc as Record<string, { distortions: Record<string, number> }>;
    // blur has two types, so every item is a composition of both; compression has one, so none can be.
    expect(Object.keys(twoAfc.blur.distortions).every((k) => k === 'gaussian-blur+bilateral' || k === 'bilateral+gaussian-blur')).toBe(true);
    expect(twoAfc.compression.distortions).toEqual({ jpeg: 4 });
    expect(await readFile(join(root, 'README.md'), 'utf8')).toMatch(/A fraction 1 of the items use a sequential composition/);
  });

  it('rejects bad options before writing, naming them', async () => {
    await expect(synthTwoAfc({ out: join(tmp, 'bad0'), composeFraction: 2 })).rejects.toThrow(/"composeFraction" must be a number in \[0, 1\]/);
    await expect(synthTwoAfc({ out: join(tmp, 'bad1'), subsets: ['blurry'] })).rejects.toThrow(/unknown subset "blurry"/);
    await expect(synthTwoAfc({ out: join(tmp, 'bad2'), count: 0 })).rejects.toThrow(/"count" must be an integer/);
    await expect(synthTwoAfc({ out: join(tmp, 'bad3'), images: join(tmp, 'nowhere') })).rejects.toThrow(/cannot read image folder/);
    await mkdir(join(tmp, 'empty'), { recursive: true });
    await expect(synthTwoAfc({ out: join(tmp, 'bad4'), images: join(tmp, 'empty') })).rejects.toThrow(/holds no images/);
    // An existing subset is refused (the first test wrote "blur" under ordinal/).
    await expect(synthTwoAfc({ out: join(tmp, 'ordinal'), subsets: ['compression', 'blur'], count: 1 })).rejects.toThrow(/already exists and is not empty/);
    await expect(readdir(join(tmp, 'ordinal', '2afc', 'val'))).resolves.not.toContain('compression');
  });
});

describe('synth-2afc job', () => {
  it('runs with paths relative to the workflow folder and reports outputs, progress and provenance', async () => {
    const recorded: Record<string, JsonValue> = {};
    let progressCalls = 0;
    const ctx: JobContext = {
      stepId: 'synth', outputDir: join(tmp, 'job-out'), runDir: tmp, baseDir: tmp,
      registry: { get: () => { throw new Error('unused'); }, has: () => false, list: () => [] },
      signal: new AbortController().signal,
      log: { info() {}, warn() {}, debug() {} },
      progress: () => { progressCalls++; },
      record: (k, v) => { recorded[k] = v; },
    };
    // The engine validates options against the schema and fills in defaults before the job runs.
    const options = checkOptions(synthJob, { out: 'job-data', count: 2, subsets: ['compression'] }, 'test');
    expect(options).toMatchObject({ size: 64, seed: 0, softJudges: 0, split: 'val', jnd: false });
    expect(() => checkOptions(synthJob, { count: 2, colour: true }, 'test')).toThrow(/colour/);
    const out = await synthJob.run(options, ctx);
    expect(() => checkOutputs(synthJob, out, 'test')).not.toThrow();
    expect(out).toEqual({ root: join(tmp, 'job-data'), subsets: ['compression'], count: 2 });
    expect(progressCalls).toBe(2);
    expect((recorded['synthetic-dataset'] as Record<string, JsonValue>).humanJudgments).toBe(false);
    await expect(synthJob.run({ jnd: 'yes' }, ctx)).rejects.toThrow(/option "jnd" must be true or false/);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop now'));
    await expect(synthTwoAfc({ out: join(tmp, 'aborted'), count: 2, subsets: ['blur'], signal: ac.signal })).rejects.toThrow(/stop now/);
  });
});
