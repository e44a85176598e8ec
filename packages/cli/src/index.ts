export * from "./command.js";
export { commands } from "./commands/index.js";
export { builtinPlugins } from "./builtins.js";
