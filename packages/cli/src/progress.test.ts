import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressRenderer } from './progress.js';

function sink(tty: boolean) {
  let text = '';
  const s = Object.assign(new Writable({ write(c, _e, cb) { text += c.toString(); cb(); } }), { isTTY: tty, columns: 100 });
  return { s, get text() { return text; } };
}
const cell = { step: 'score', cell: 'backbone=a,seed=1', label: 'score a/1' };

describe('progress rendering', () => {
  it('prints plain, throttled lines when not on a TTY', () => {
    const out = sink(false);
    const r = new ProgressRenderer(out.s, { intervalMs: 60_000 });
    r.handle({ type: 'cell-start', ...cell });
    for (let done = 10; done <= 100; done += 10) r.handle({ type: 'cell-progress', ...cell, done, total: 100, unit: 'triplets' });
    r.handle({ type: 'cell-finish', ...cell, status: 'succeeded', cached: false, reused: false });
    // The first update prints, the rest are throttled until the final one.
    expect(out.text).toBe('[score a/1] started\n[score a/1] 10/100 triplets\n[score a/1] 100/100 triplets\n[score a/1] done\n');
    expect(out.text).not.toContain('\x1b');
  });

  it('draws one redrawn bar per running cell on a TTY', () => {
    const out = sink(true);
    const r = new ProgressRenderer(out.s, { redrawMs: 0 });
    r.handle({ type: 'cell-start', ...cell });
    const other = { step: 'score', cell: 'backbone=b,seed=1', label: 'score b/1' };
    r.handle({ type: 'cell-start', ...other });
    r.handle({ type: 'cell-finish', ...other, status: 'succeeded', cached: true, reused: false });
    r.handle({ type: 'cell-progress', ...cell, done: 40, total: 100, unit: 'triplets' });
    r.handle({ type: 'run-finish', status: 'succeeded' });
    expect(out.text).toContain('[score b/1] done (cached)\n');
    expect(out.text).toMatch(/\[score a\/1\] █+░+  40% 40\/100 triplets/);
    expect(out.text).toContain('\x1b[2A\x1b[0J'); // two live lines erased before a permanent line
  });
});
