import { definePlugin, type DatasetContribution, type JSONSchema } from '@percept/core';
import { isAbsolute, resolve } from 'node:path';
import { accuracyJob, PACKAGE_VERSION } from './accuracy.js';
import { lowpassAccuracyJob } from './lowpass-accuracy.js';
import { openIlsvrcVal, type IlsvrcValOptions } from './ilsvrc.js';
import { openImageFolder, type ImageFolderOptions } from './folders.js';
import { openDownsampledImagenet, type DownsampledOptions } from './downsampled.js';

const common: Record<string, JSONSchema> = {
  batchSize: { type: 'integer', minimum: 1, default: 32, description: 'Images per batch (the accuracy job sets it from its own batchSize).' },
  onError: { enum: ['fail', 'skip'], default: 'fail', description: '"skip" drops unreadable images and counts them (recorded in the manifest).' },
  limit: { type: ['integer', 'null'], minimum: 1, default: null, description: 'Read at most this many images (the first in the reader\'s order).' },
};

const schema = (properties: Record<string, JSONSchema>, required: string[]): JSONSchema => ({
  type: 'object', properties: { ...properties, ...common }, required, additionalProperties: false,
});

/** Relative paths in dataset options resolve against the workflow file's folder. */
function rooted<T>(options: Record<string, unknown>, baseDir: string): T {
  const root = options.root;
  return (typeof root === 'string' && !isAbsolute(root) ? { ...options, root: resolve(baseDir, root) } : options) as T;
}

const imagenetVal: DatasetContribution = {
  kind: 'dataset',
  name: 'imagenet-val',
  aliases: ['ilsvrc2012-val'],
  description: 'ILSVRC2012 validation images as distributed (flat ILSVRC2012_val_*.JPEG) with Caffe\'s val.txt or Kaggle\'s LOC_val_solution.csv + a synset list; labels of absent images are ignored.',
  optionsSchema: schema({
    root: { type: 'string', description: 'Folder with the images (directly or in ILSVRC2012_img_val/) and the label files; relative to the workflow file.' },
    images: { type: 'string', description: 'Image folder relative to root (default: ILSVRC2012_img_val or val if present, else root).' },
    labels: { type: 'string', description: 'val.txt ("<file> <index>") or LOC_val_solution.csv, relative to root (default: whichever exists).' },
    synsets: { type: 'string', description: 'Synset list, index = line order (synset_words.txt, LOC_synset_mapping.txt); needed for LOC_val_solution.csv.' },
    classes: { type: 'integer', minimum: 1, default: 1000, description: 'Number of classes when there is no synset list.' },
  }, ['root']),
  open: (o, ctx) => openIlsvrcVal(rooted<IlsvrcValOptions>(o, ctx.baseDir)),
};

const folderProps = (classesDescription: string): Record<string, JSONSchema> => ({
  root: { type: 'string', description: 'Folder of class folders (<root>/<class>/…/<image>); relative to the workflow file.' },
  classes: {
    oneOf: [{ type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true }, { type: 'string' }],
    description: classesDescription,
  },
  interleave: { type: 'boolean', default: false, description: 'Order images class by class in turn, so that "limit" samples every class.' },
});

const imagenetFolders: DatasetContribution = {
  kind: 'dataset',
  name: 'imagenet-folders',
  aliases: ['imagenet-train'],
  description: 'ImageNet in synset folders (<root>/n01440764/*.JPEG, the train layout): class index = sorted synset order, or the order of a synset list.',
  optionsSchema: schema(folderProps('A synset list file (index = line order, e.g. synset_words.txt; relative to root) or the synset ids in index order. Default: sorted folder names.'), ['root']),
  open: (o, ctx) => openImageFolder(rooted<ImageFolderOptions>(o, ctx.baseDir), 'imagenet-folders'),
};

const imageFolder: DatasetContribution = {
  kind: 'dataset',
  name: 'image-folder',
  aliases: ['cifar10-folders'],
  description: 'Any image-folder dataset, class = folder name (torchvision ImageFolder; the CIFAR-10 JPEG layout <root>/<class>/0000.jpg).',
  optionsSchema: schema(folderProps('Class names in index order, or a file with one per line (relative to root). Default: sorted folder names.'), ['root']),
  open: (o, ctx) => openImageFolder(rooted<ImageFolderOptions>(o, ctx.baseDir), 'image-folder'),
};

const downsampled: DatasetContribution = {
  kind: 'dataset',
  name: 'imagenet-downsampled',
  aliases: ['imagenet64'],
  description: 'Downsampled ImageNet (Chrabaszcz et al. 2017; 64×64, 32×32 or 16×16) npz batches: data uint8 [N, 3·S·S] CHW rows, labels 1-based. Streamed with bounded memory.',
  optionsSchema: schema({
    root: { type: 'string', description: 'Folder with val_data.npz / train_data_batch_<k>.npz; relative to the workflow file.' },
    split: { enum: ['train', 'val'], default: 'val' },
    files: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Explicit npz files (relative to root) instead of split.' },
    classes: { type: 'integer', minimum: 1, default: 1000 },
  }, []),
  open: (o, ctx) => openDownsampledImagenet(rooted<DownsampledOptions>({ root: ctx.baseDir, ...o }, ctx.baseDir)),
};

/** The @percept/dataset-imagenet plugin: its contributions to the registry. */
export const plugin = definePlugin({
  name: '@percept/dataset-imagenet',
  version: PACKAGE_VERSION,
  contributes: [imagenetVal, imagenetFolders, imageFolder, downsampled, accuracyJob, lowpassAccuracyJob],
});
