import { fileURLToPath } from 'node:url';
import { dirname, basename } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * One test configuration for every package. Tests import sibling packages through the
 * `@percept/source` export condition, so they run against TypeScript sources and never
 * against a stale dist/.
 */
export function definePackageTestConfig(configUrl: string) {
  const root = dirname(fileURLToPath(configUrl));
  return defineConfig({
    root,
    resolve: { conditions: ['@percept/source'] },
    ssr: { resolve: { conditions: ['@percept/source'] } },
    test: {
      name: basename(root),
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 120_000,
      hookTimeout: 120_000,
      env: { ORT_DISABLE_TELEMETRY: '1' },
    },
  });
}
