export type { ImagenetBatch, ClassificationDataset, IterateOptions, SkippedImage, OnError, CommonReadOptions, FileItem } from './dataset.js';
export { FileImageDataset, stackImages } from './dataset.js';
export { parseSynsetList, readSynsetList, parseValTxt, parseLocSolution, readLabelFile, imageKey } from './labels.js';
export type { SynsetList, LabelTable, LabelEntry } from './labels.js';
export { openIlsvrcVal, IlsvrcValDataset, VAL_IMAGE_PATTERN } from './ilsvrc.js';
export type { IlsvrcValOptions } from './ilsvrc.js';
export { openImageFolder, ImageFolderDataset, IMAGE_EXTENSIONS } from './folders.js';
export type { ImageFolderOptions } from './folders.js';
export { openDownsampledImagenet, DownsampledImagenetDataset } from './downsampled.js';
export type { DownsampledOptions } from './downsampled.js';
export { parseNpyHeader, npyIntegers, encodeNpy } from './npy.js';
export type { NpyHeader } from './npy.js';
export { readZipDirectory, streamZipEntry, readZipEntry } from './zip.js';
export type { ZipEntry } from './zip.js';
export { accuracyJob, runAccuracy, evaluateClassifier, classMismatch, PACKAGE_VERSION } from './accuracy.js';
export type { ClassifierEvaluation, EvaluateOptions, ClassifierOptions, ClassifierSession } from './accuracy.js';
export { openClassifierSession, perClassCounts } from './accuracy.js';
export {
  lowpassAccuracyJob, runLowpassAccuracy, parseLowpassAccuracyOptions, pairedRatioBootstrap,
  lowpassAccuracyOptionsSchema, lowpassAccuracyOutputsSchema,
} from './lowpass-accuracy.js';
export type { LowpassAccuracyOptions } from './lowpass-accuracy.js';
export { accuracyOptionsSchema, accuracyOutputsSchema, parseAccuracyOptions } from './accuracy-options.js';
export type { AccuracyOptions, UseWith } from './accuracy-options.js';
export { plugin } from './plugin.js';
import { plugin } from './plugin.js';
export default plugin;
