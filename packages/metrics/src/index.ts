export { tapView, pairedTaps, resolveLayers } from './features.js';
export type { TapView } from './features.js';
export { lpips, lpipsSpatial, LpipsDistance, LPIPS_EPSILON, resolveLinWeights } from './lpips.js';
export type { LpipsOptions, LinWeights, SpatialResult } from './lpips.js';
export { meanPoolDistance, styleDistance, MeanPoolDistance, StyleDistance, gramDistanceSq } from './global.js';
export type { GlobalOptions } from './global.js';
export { l2Distance, psnr, ssim, dssim, L2Distance, DssimDistance, SsimSimilarity, PsnrSimilarity } from './pixel.js';
export type { Colorspace, SsimDistanceOptions } from './pixel.js';
export { ssimImage, ssimWindow } from './ssim.js';
export type { SsimOptions } from './ssim.js';
export { rgbToLabValues } from './lab.js';
export {
  twoAfcScore, twoAfcScores, jndMap, humanCeiling, oracle, overallPS, layerwisePS, bestLayer,
} from './scores.js';
export {
  mean, std, standardError, pearson, spearman, kendallTau, averageRanks, paretoFrontier,
  bootstrapCI, seededRandom, quantileSorted, normalQuantile, wilsonInterval,
} from './stats.js';
export type { ParetoPoint, BootstrapOptions, BootstrapResult } from './stats.js';
export { topK } from './accuracy.js';
export { TwoAfcAccumulator, JndAccumulator } from './accumulators.js';
export type { TwoAfcResult, JndResult } from './accumulators.js';
export * from './analysis/index.js';
export { plugin } from './plugin.js';
import { plugin } from './plugin.js';
export default plugin;
export {
  readRun, cellLabel, matrixValuesAgree, findAccuracyPercent, MANIFEST_FILE, RESULT_FILE, CELL_FILE,
} from './run-artifacts.js';
export type { RunProvenance, StepView, RunView, ReadRunOptions } from './run-artifacts.js';
