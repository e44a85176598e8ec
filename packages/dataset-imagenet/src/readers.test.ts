import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, type ImageBatch } from '@percept/core';
import { encodeJpeg, encodePng } from '@percept/images';
import type { PreprocessingLike } from '@percept/images';
import { sharedAssets } from '@percept/core/testing';
import { openIlsvrcVal } from './ilsvrc.js';
import { openImageFolder } from './folders.js';
import type { ImagenetBatch } from './dataset.js';

/** A solid image whose grey level encodes an id (so tests can tell images apart after decoding). */
function solid(level: number, h: number, w: number): ImageBatch {
  return { data: new Float32Array(h * w * 3).fill(level / 255), shape: [1, h, w, 3] };
}
const meanOf = (b: ImageBatch, i: number) => {
  const len = b.shape[1] * b.shape[2] * 3;
  let s = 0;
  for (let k = 0; k < len; k++) s += b.data[i * len + k];
  return (s / len) * 255;
};
const resizeTo8: PreprocessingLike = {
  size: [8, 8], resize: 'resize', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1],
};
async function collect(it: AsyncIterable<ImagenetBatch>): Promise<ImagenetBatch[]> {
  const out: ImagenetBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

let root: string;
const valName = (k: number) => `ILSVRC2012_val_${String(k).padStart(8, '0')}`;
// Images present: 2, 3, 5, 7, 8 with sizes that differ; labels in val.txt for 1..9.
const PRESENT = [2, 3, 5, 7, 8];
const LABEL = (k: number) => k % 4;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'percept-imagenet-'));
  const val = join(root, 'val');
  await mkdir(join(val, 'ILSVRC2012_img_val'), { recursive: true });
  for (const k of PRESENT) {
    // PNG keeps the grey level exact; the reader does not care about the extension's case.
    await writeFile(join(val, 'ILSVRC2012_img_val', `${valName(k)}.png`), await encodePng(solid(20 * k, 10 + k, 12)));
  }
  await writeFile(join(val, 'ILSVRC2012_img_val', 'README.txt'), 'not an image');
  await writeFile(join(val, 'val.txt'), Array.from({ length: 9 }, (_, i) => `${valName(i + 1)}.JPEG ${LABEL(i + 1)}`).join('\n') + '\n');
  await writeFile(join(val, 'synset_words.txt'), 'n0 zero\nn1 one\nn2 two\nn3 three\n');
  await writeFile(join(val, 'LOC_val_solution.csv'), 'ImageId,PredictionString\n' + PRESENT.map((k) => `${valName(k)},n${LABEL(k)} 1 2 3 4`).join('\n') + '\n');
});
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

describe('imagenet-val reader', () => {
  it('reads the flat folder with val.txt, ignoring labels of absent images, in name order', async () => {
    const ds = await openIlsvrcVal({ root: join(root, 'val'), batchSize: 2 });
    expect(ds.size).toBe(5);
    expect(ds.classes).toBe(4);
    expect(ds.classNames).toEqual(['n0', 'n1', 'n2', 'n3']);
    const batches = await collect(ds.iterate({ geometry: resizeTo8 }));
    expect(batches.map((b) => b.labels.length)).toEqual([2, 2, 1]);
    expect(batches.flatMap((b) => b.names)).toEqual(PRESENT.map(valName));
    expect(batches.flatMap((b) => [...b.labels])).toEqual(PRESENT.map(LABEL));
    expect(batches[0].images.shape).toEqual([2, 8, 8, 3]);
    // Image content travels with its label: grey level 20·k.
    expect(meanOf(batches[1].images, 1)).toBeCloseTo(20 * 7, 3);
    expect(ds.describe()).toMatchObject({ layout: 'ilsvrc2012-val', imagesInFolder: 5, images: 5 });
  });

  it('reads LOC_val_solution.csv through the synset list', async () => {
    const ds = await openIlsvrcVal({ root: join(root, 'val'), labels: 'LOC_val_solution.csv', batchSize: 8, limit: 3 });
    const [b] = await collect(ds.iterate({ geometry: resizeTo8 }));
    expect([...b.labels]).toEqual(PRESENT.slice(0, 3).map(LABEL));
    expect(ds.size).toBe(3);
  });

  it('fails on an image the label file does not cover, naming both', async () => {
    const dir = join(root, 'uncovered');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${valName(1)}.png`), await encodePng(solid(1, 4, 4)));
    await writeFile(join(dir, `${valName(4)}.png`), await encodePng(solid(1, 4, 4)));
    await writeFile(join(dir, 'val.txt'), `${valName(1)}.JPEG 0\n`);
    await expect(openIlsvrcVal({ root: dir })).rejects.toThrow(new RegExp(`${valName(4)}\\.png: image ${valName(4)} has no label in .*val\\.txt`));
  });

  it('without a geometry, images of different sizes in one batch are an error naming the file', async () => {
    const ds = await openIlsvrcVal({ root: join(root, 'val'), batchSize: 2 });
    await expect(collect(ds)).rejects.toThrow(new RegExp(`${valName(3)}\\.png: image ${valName(3)} is 12x13 \\(WxH\\)`));
  });

  it('a corrupt JPEG fails naming the file, or is skipped and counted with onError "skip"', async () => {
    const dir = join(root, 'corrupt');
    await mkdir(dir, { recursive: true });
    for (const k of [1, 2, 3]) await writeFile(join(dir, `${valName(k)}.JPEG`), await encodeJpeg(solid(100, 6, 6), 90));
    const good = await encodeJpeg(solid(100, 6, 6), 90);
    await writeFile(join(dir, `${valName(2)}.JPEG`), good.subarray(0, 20));
    await writeFile(join(dir, 'val.txt'), [1, 2, 3].map((k) => `${valName(k)}.JPEG ${k}`).join('\n'));
    const failing = await openIlsvrcVal({ root: dir, batchSize: 3, classes: 5 });
    await expect(collect(failing)).rejects.toThrow(new RegExp(`${valName(2)}\\.JPEG`));
    const skipping = await openIlsvrcVal({ root: dir, batchSize: 3, classes: 5, onError: 'skip' });
    for (let pass = 0; pass < 2; pass++) {
      const batches = await collect(skipping);
      expect(batches.flatMap((b) => b.names)).toEqual([valName(1), valName(3)]);
      expect(skipping.skipped).toHaveLength(1); // not counted twice on the second pass
      expect(skipping.skipped[0].file).toBe(join(dir, `${valName(2)}.JPEG`));
    }
  });

  it('decodes exactly one batch ahead of the consumer', async () => {
    const ds = await openIlsvrcVal({ root: join(root, 'val'), batchSize: 1 });
    const started: number[] = [];
    let signal: () => void = () => undefined;
    const it = ds.iterate({
      geometry: resizeTo8,
      transform: (b, start) => { started.push(start); signal(); return b; },
    })[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value!.names).toEqual([valName(2)]);
    // The next batch is being prepared; wait until it is, then give the event loop many more turns.
    if (!started.includes(1)) await new Promise<void>((r) => { signal = r; });
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    await it.next();
    await it.return?.();
  });

  it('rejects bad options', async () => {
    await expect(openIlsvrcVal({ root: join(root, 'val'), batchSize: 0 })).rejects.toThrow(/option "batchSize" must be a positive integer/);
    await expect(openIlsvrcVal({ root: join(root, 'nope') })).rejects.toThrow(/is not a folder/);
    await expect(openIlsvrcVal({ root: join(root, 'val'), labels: 'LOC_val_solution.csv', synsets: 'missing.txt' })).rejects.toThrow(/option "synsets": file not found/);
  });
});

describe('class-folder readers', () => {
  let folders: string;
  beforeAll(async () => {
    folders = join(root, 'folders');
    for (const [cls, level] of [['cat', 10], ['airplane', 50], ['bird', 90]] as const) {
      await mkdir(join(folders, cls, 'sub'), { recursive: true });
      await writeFile(join(folders, cls, '0000.png'), await encodePng(solid(level, 5, 5)));
      await writeFile(join(folders, cls, 'sub', '0001.png'), await encodePng(solid(level + 1, 5, 5)));
      await writeFile(join(folders, cls, 'notes.txt'), 'ignored');
    }
  });

  it('indexes classes by sorted folder name and recurses into class folders', async () => {
    const ds = await openImageFolder({ root: folders, batchSize: 4 });
    expect(ds.classNames).toEqual(['airplane', 'bird', 'cat']);
    expect(ds.size).toBe(6);
    const batches = await collect(ds);
    expect(batches.flatMap((b) => [...b.labels])).toEqual([0, 0, 1, 1, 2, 2]);
    expect(batches[0].names).toEqual(['airplane/0000.png', 'airplane/sub/0001.png', 'bird/0000.png', 'bird/sub/0001.png']);
    expect(meanOf(batches[1].images, 1)).toBeCloseTo(11, 3);
  });

  it('follows a given class order; interleave makes limit sample every class', async () => {
    const ds = await openImageFolder({ root: folders, classes: ['cat', 'bird', 'airplane', 'dog'], interleave: true, limit: 3, batchSize: 8 });
    expect(ds.classes).toBe(4);
    const [b] = await collect(ds);
    expect([...b.labels]).toEqual([0, 1, 2]);
    expect(b.names).toEqual(['cat/0000.png', 'bird/0000.png', 'airplane/0000.png']);
  });

  it('a folder that is not in the class list is an error naming it', async () => {
    await expect(openImageFolder({ root: folders, classes: ['cat', 'bird'] })).rejects.toThrow(/folder .*airplane is not a class in option "classes"/);
    await writeFile(join(root, 'synsets.txt'), 'cat\nbird\nairplanes\n');
    await expect(openImageFolder({ root: folders, classes: join(root, 'synsets.txt') }, 'imagenet-folders'))
      .rejects.toSatisfy((e: unknown) => e instanceof InputError && /airplane is not a class in .*synsets\.txt/.test(e.message) && /airplanes/.test(e.hint ?? ''));
  });
});

const assets = sharedAssets('datasets/cifar10/test', 'datasets/imagenet-val-subset/val.txt');
describe.skipIf(!assets.available)('real layouts under PERCEPT_ASSETS', () => {
  it('reads the CIFAR-10 JPEG folders (10 classes, every class sampled)', async () => {
    const ds = await openImageFolder({ root: assets.path('datasets/cifar10/test'), interleave: true, limit: 20, batchSize: 20 });
    expect(ds.classNames).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    const [b] = await collect(ds);
    expect(b.images.shape).toEqual([20, 32, 32, 3]);
    expect([...b.labels]).toEqual([...Array(20)].map((_, i) => i % 10));
  });

  it('indexes the ImageNet val subset: 1,300 images, labels from val.txt', async () => {
    const ds = await openIlsvrcVal({ root: assets.path('datasets/imagenet-val-subset') });
    expect(ds.size).toBe(1300);
    expect(ds.classes).toBe(1000);
    expect(ds.classNames[0]).toBe('n01440764');
    // ILSVRC2012_val_00000347.JPEG is the first file; val.txt line 347 labels it.
    const first = ds.files()[0];
    expect(first.name).toBe('ILSVRC2012_val_00000347');
    const { readFile } = await import('node:fs/promises');
    const line = (await readFile(assets.path('datasets/imagenet-val-subset/val.txt'), 'utf8')).split('\n')[346];
    expect(line.startsWith(first.name)).toBe(true);
    expect(first.label).toBe(Number(line.split(' ')[1]));
  });
});
