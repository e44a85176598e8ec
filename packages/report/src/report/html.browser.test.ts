/**
 * Opens the HTML report in headless Chromium: the charts must lay out with real size, nothing may
 * be fetched from the network, and the console must stay clean. A screenshot is kept for inspection.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { reportFromRunDir, writeReport } from '../index.js';
import { writeFixtureRun } from '../__fixtures__/run-fixture.js';

const CHROMIUM = process.env.PERCEPT_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: required under CI=true (apt-get install chromium)`);
  console.warn(`[skip] HTML report browser test: ${CHROMIUM} not found (apt-get install chromium, or set PERCEPT_CHROMIUM)`);
}

/** Screenshots land here so a developer can look at them after the run. */
export const SCREENSHOT_DIR = join(tmpdir(), 'percept-report-test-output');

describe.skipIf(!haveChromium)('HTML report in headless Chromium', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'percept-report-html-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('renders every chart with a nonzero box, fetches nothing, logs no errors', async () => {
    const { chromium } = await import('playwright-core');
    const runDir = writeFixtureRun(root);
    const out = join(root, 'report.html');
    await writeReport(reportFromRunDir(runDir, { title: 'Illustrative fixture report' }), { format: 'html', out });

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(out).href;
      await page.goto(url, { waitUntil: 'load' });

      const boxes = await page.$$eval('figure.chart > svg', (svgs) =>
        svgs.map((s) => {
          const r = s.getBoundingClientRect();
          return { w: r.width, h: r.height, paths: s.querySelectorAll('path').length };
        }),
      );
      expect(boxes).toHaveLength(3);
      for (const b of boxes) {
        expect(b.w).toBeGreaterThan(100);
        expect(b.h).toBeGreaterThan(100);
        expect(b.paths).toBeGreaterThan(3);
      }
      const tableRows = await page.$$eval('section.table tbody tr', (rows) => rows.length);
      expect(tableRows).toBeGreaterThan(20);
      expect(await page.textContent('#provenance')).toContain('abc123');
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);

      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const shot = join(SCREENSHOT_DIR, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});
