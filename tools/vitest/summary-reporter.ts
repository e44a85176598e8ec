import { writeFileSync, mkdirSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the plain closing line CI reads ("N passed, N failed, N skipped") and keeps a copy in
 * .ci-results/summary.txt so .ci/run can repeat it as its very last line.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0, failed = 0, skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A module that failed to load contributes no tests; count it so it cannot pass silently.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
    }
    const line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    mkdirSync('.ci-results', { recursive: true });
    writeFileSync('.ci-results/summary.txt', line + '\n');
    process.stdout.write(`\n${line}\n`);
  }
}
