import { definePlugin } from '@percept/core';

/** The engine contributes no jobs; it is chosen with `percept run --engine bullmq`. */
export const plugin = definePlugin({ name: '@percept/engine-bullmq', version: '0.1.0', contributes: [] });
export default plugin;
