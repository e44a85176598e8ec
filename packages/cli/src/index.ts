export * from "./command.js";
export { commands } from "./commands/index.js";
export { builtinPlugins } from "./builtins.js";
export { runCli, findCommand, reportError } from "./main.js";
export { createRegistry } from "./registry.js";
export { prepareWorkflow } from "./workflow-file.js";
export { ProgressRenderer } from "./progress.js";
export { schemaText, DEFAULT_SCHEMA_PATH } from "./commands/schema.js";
export { createPerceptualDistance, checkPair, type PerceptualDistance, type PerceptualDistanceOptions, type PerceptualDistanceInfo, type SpatialMap, type LpipsVariant } from "./perceptual-distance.js";
