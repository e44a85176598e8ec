import { describe, it, expect } from 'vitest';
import { InputError } from '@percept/core';
import { buildTable5, tableToCsv, tableToHtml, tableToJson, tableToMarkdown, type Table } from '../index.js';

const small: Table = {
  title: 'Demo',
  columns: [
    { key: 'name', label: 'Name' },
    { key: 'v', label: 'Value', digits: 2 },
  ],
  rows: [
    { group: 'g1', cells: { name: 'a|b', v: 1.23456 } },
    { group: 'g2', cells: { name: 'say "hi", ok', v: null } },
    { group: 'g1', cells: { name: 'c', v: 2 } },
  ],
  notes: ['a note'],
};

describe('table renderers', () => {
  it('markdown: groups kept together, pipes escaped, digits applied, numbers right-aligned, missing as –', () => {
    const md = tableToMarkdown(small);
    const lines = md.trim().split('\n');
    expect(lines[0]).toBe('**Demo**');
    expect(lines[2]).toBe('| Group | Name | Value |');
    expect(lines[3]).toBe('| :--- | :--- | ---: |');
    expect(lines[4]).toBe('| g1 | a\\|b | 1.23 |');
    expect(lines[5]).toBe('| g1 | c | 2.00 |');
    expect(lines[6]).toBe('| g2 | say "hi", ok | – |');
    expect(md).toContain('_a note_');
  });

  it('csv: RFC 4180 quoting, full precision, empty field for missing', () => {
    const csv = tableToCsv(small);
    expect(csv.split('\r\n')).toEqual(['group,Name,Value', 'g1,a|b,1.23456', 'g1,c,2', 'g2,"say ""hi"", ok",', '']);
  });

  it('json: rows keyed by column, null for missing', () => {
    const json = tableToJson(small) as { rows: Record<string, unknown>[]; columns: unknown[] };
    expect(json.columns).toHaveLength(2);
    expect(json.rows[2]).toEqual({ group: 'g2', name: 'say "hi", ok', v: null });
  });

  it('html escapes cell text and adds group header rows', () => {
    const html = tableToHtml({ ...small, rows: [{ group: '<g>', cells: { name: '<script>', v: 1 } }] });
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<tr class="group"><th colspan="2">&lt;g&gt;</th></tr>');
  });

  it('rejects a cell without a column, naming row and key', () => {
    const bad: Table = { columns: [{ key: 'a', label: 'A' }], rows: [{ cells: { b: 1 } }] };
    expect(() => tableToMarkdown(bad)).toThrow(InputError);
    expect(() => tableToMarkdown(bad)).toThrow(/row 0: cell "b" has no column/);
  });
});

describe('LPIPS Table 5 layout', () => {
  const measured = [
    { method: 'alex (this run)', perSubset: { traditional: 70, cnn: 80, superres: 70, deblur: 60, color: 64, frameinterp: 62 } },
    { method: 'partial', perSubset: { traditional: 71.25 } },
  ];

  it('computes Distortions-All, Real-All and All as unweighted means, and leaves partial aggregates empty', () => {
    const t = buildTable5(measured, { includePublished: false });
    expect(t.columns.map((c) => c.label)).toEqual([
      'Method', 'Trad', 'CNN', 'Distortions-All', 'SuperRes', 'Deblur', 'Color', 'FrameInterp', 'Real-All', 'All',
    ]);
    const [full, partial] = t.rows;
    expect(full.cells.distortionsAll).toBe(75);
    expect(full.cells.realAll).toBe(64);
    expect(full.cells.all).toBeCloseTo((70 + 80 + 70 + 60 + 64 + 62) / 6, 12);
    expect(partial.cells.traditional).toBe(71.25);
    expect(partial.cells.all).toBeNull();
    expect(partial.cells.cnn).toBeNull();
  });

  it('adds the published rows in "published:" groups with the printed values', () => {
    const t = buildTable5(measured);
    const human = t.rows.find((r) => r.cells.method === 'Human');
    expect(human?.group).toBe('published: Oracle');
    expect(human?.cells.all).toBe(73.9);
    const alex = t.rows.find((r) => r.cells.method === 'AlexNet');
    expect(alex?.cells).toMatchObject({ traditional: 70.6, cnn: 83.1, all: 68.9 });
    expect(t.rows.filter((r) => r.group?.startsWith('published'))).toHaveLength(23);
    expect(t.notes?.join(' ')).toMatch(/not measured by this run/);
    const md = tableToMarkdown(t);
    expect(md).toContain('| measured | alex (this run) | 70.0 | 80.0 | 75.0 |');
  });

  it('published rows are consistent with the paper: All ≈ mean of the six subsets (±0.1, SPEC §8.9)', () => {
    const t = buildTable5([], { title: 'x' });
    for (const r of t.rows) {
      const six = ['traditional', 'cnn', 'superres', 'deblur', 'color', 'frameinterp'].map((k) => r.cells[k] as number);
      expect(Math.abs(six.reduce((a, b) => a + b) / 6 - (r.cells.all as number))).toBeLessThanOrEqual(0.1);
    }
  });

  it('filters published methods and rejects unknown ones by name', () => {
    expect(buildTable5([], { publishedMethods: ['Human', 'AlexNet'] }).rows).toHaveLength(2);
    expect(() => buildTable5([], { publishedMethods: ['Alexnet'] })).toThrow(/unknown method\(s\) Alexnet/);
  });

  it('rejects scores outside [0, 100] naming method and subset', () => {
    expect(() => buildTable5([{ method: 'm', perSubset: { cnn: 0.8 + 100 } }])).toThrow(/\(m\): perSubset.cnn must be a 2AFC score ×100/);
  });
});
