export { erf, erfc, erfinv, normalCdf, truncatedNormalInverse } from './truncnorm.js';
export { simulateDynamicRange, logSpace } from './dynamic-range.js';
export type { DynamicRangeOptions, DynamicRangePoint, DynamicRangeResult } from './dynamic-range.js';
export { normalizedSoftmaxEntropy } from './entropy.js';
export { paretoAnalysis } from './pareto.js';
export type { ModelPoint, GroupSummary, ParetoAnalysis } from './pareto.js';
export { paretoJob } from './pareto-job.js';
