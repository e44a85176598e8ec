export * from './npy.js';
export { writeTwoAfcSubset, writeJndSubset, sampleName } from './writer.js';
export type { TwoAfcTriplet, JndPair } from './writer.js';
export { plugin } from './plugin.js';
import { plugin } from './plugin.js';
export default plugin;
