import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts'],
    reporters: ['default', './tools/vitest/summary-reporter.ts'],
    // Two cores: model tests are CPU-bound, so more forks only thrash.
    maxWorkers: 2,
  },
});
