export type { ZooEntry, ZooLocalName, ZooArchitecture } from './types.js';
export { ZOO_ENTRIES } from './entries.js';
export {
  findZooEntry, zooCachePath, entryHashMatches, locateZooFile, verifyZooFile, resolveZooFile, zooStatus, fetchZooEntry,
  type ZooContext, type ZooLocation, type LocateOptions, type ResolvedZooFile, type ZooStatus, type FetchZooOptions, type FetchedZooFile,
} from './resolve.js';
