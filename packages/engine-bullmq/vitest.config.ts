import { definePackageTestConfig } from '../../tools/vitest/package-config.js';

export default definePackageTestConfig(import.meta.url);
