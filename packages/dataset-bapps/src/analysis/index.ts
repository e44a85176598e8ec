export { dynamicRangeJob, runDynamicRange, dynamicRangeOptionsSchema, dynamicRangeOutputsSchema } from './dynamic-range.js';
export { activationEntropyJob, runActivationEntropy, activationEntropyOptionsSchema, activationEntropyOutputsSchema } from './activation-entropy.js';
