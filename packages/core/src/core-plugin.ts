import { createRequire } from 'node:module';
import { definePlugin } from './plugin.js';
import { checksumJob } from './jobs/checksum.js';
import { echoJob } from './jobs/echo.js';
import { writeTextJob } from './jobs/write-text.js';

// Both src/ and dist/ sit directly under the package root, so this path works in either.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Core's own jobs: small, dependency-free building blocks (and the engine's end-to-end example). */
export const corePlugin = definePlugin({
  name: '@percept/core',
  version,
  contributes: [echoJob, writeTextJob, checksumJob],
});
