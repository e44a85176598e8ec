export { plugin } from "./plugin.js";
import { plugin } from "./plugin.js";
export default plugin;
