export * from './tensors.js';
export * from './contracts.js';
export * from './errors.js';
export * from './plugin.js';
export * from './registry.js';
export * from './suggest.js';
export * from './assets.js';
