/** Renderers from the table model to Markdown, CSV, JSON and HTML. */
import type { JsonValue } from '@percept/core';
import { type Table, type TableColumn, formatCell, formatInterval, formatNumber, isEstimate, isNumericColumn, validateTable } from './model.js';

function alignOf(table: Table, c: TableColumn): 'left' | 'right' | 'center' {
  return c.align ?? (isNumericColumn(table, c) ? 'right' : 'left');
}

/** Rows in display order: grouped rows keep the order in which their group first appears. */
function orderedRows(table: Table) {
  const groups: string[] = [];
  for (const r of table.rows) if (!groups.includes(r.group ?? '')) groups.push(r.group ?? '');
  return groups.flatMap((g) => table.rows.filter((r) => (r.group ?? '') === g));
}

function hasGroups(table: Table): boolean {
  return table.rows.some((r) => r.group !== undefined && r.group !== '');
}

function escapeMd(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** GitHub-flavoured Markdown; a "Group" column is added when any row has a group. */
export function tableToMarkdown(table: Table): string {
  validateTable(table);
  const grouped = hasGroups(table);
  const header = [...(grouped ? ['Group'] : []), ...table.columns.map((c) => c.label)];
  const rule = [
    ...(grouped ? [':---'] : []),
    ...table.columns.map((c) => ({ left: ':---', right: '---:', center: ':---:' })[alignOf(table, c)]),
  ];
  const lines: string[] = [];
  if (table.title) lines.push(`**${escapeMd(table.title)}**`, '');
  lines.push(`| ${header.map(escapeMd).join(' | ')} |`, `| ${rule.join(' | ')} |`);
  for (const r of orderedRows(table)) {
    const cells = table.columns.map((c) => escapeMd(formatCell(r.cells[c.key], c)));
    lines.push(`| ${[...(grouped ? [escapeMd(r.group ?? '')] : []), ...cells].join(' | ')} |`);
  }
  if (table.notes?.length) lines.push('', ...table.notes.map((n) => `_${escapeMd(n)}_`));
  return lines.join('\n') + '\n';
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Columns that hold at least one interval get two extra CSV columns for its ends. */
function intervalColumns(table: Table): Set<string> {
  return new Set(table.columns.filter((c) => table.rows.some((r) => { const v = r.cells[c.key]; return isEstimate(v) && v.ci; })).map((c) => c.key));
}

/**
 * RFC 4180 CSV. Numbers are written in full precision (not rounded to `digits`) and missing values
 * as empty fields, so the file is data rather than presentation. An interval becomes two columns,
 * "<label> CI95 low" and "<label> CI95 high", right after its value.
 */
export function tableToCsv(table: Table): string {
  validateTable(table);
  const grouped = hasGroups(table);
  const withCi = intervalColumns(table);
  const header = table.columns.flatMap((c) => (withCi.has(c.key) ? [c.label, `${c.label} CI95 low`, `${c.label} CI95 high`] : [c.label]));
  const lines = [[...(grouped ? ['group'] : []), ...header].map(csvField).join(',')];
  for (const r of orderedRows(table)) {
    const cells = table.columns.flatMap((c) => {
      const v = r.cells[c.key];
      if (isEstimate(v)) {
        const main = String(v.value);
        return withCi.has(c.key) ? [main, v.ci ? String(v.ci[0]) : '', v.ci ? String(v.ci[1]) : ''] : [main];
      }
      const text = v === null || v === undefined ? '' : csvField(String(v));
      return withCi.has(c.key) ? [text, '', ''] : [text];
    });
    lines.push([...(grouped ? [csvField(r.group ?? '')] : []), ...cells].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** A JSON document: columns, and rows as objects keyed by column key (full precision, null for missing). */
export function tableToJson(table: Table): JsonValue {
  validateTable(table);
  return {
    ...(table.title ? { title: table.title } : {}),
    columns: table.columns.map((c) => ({ key: c.key, label: c.label, ...(c.digits !== undefined ? { digits: c.digits } : {}) })),
    rows: orderedRows(table).map((r) => ({
      ...(r.group !== undefined ? { group: r.group } : {}),
      ...Object.fromEntries(
        table.columns.map((c) => {
          const v = r.cells[c.key];
          return [c.key, isEstimate(v) ? { value: v.value, ...(v.ci ? { ci95: [v.ci[0], v.ci[1]] } : {}) } : (v ?? null)];
        }),
      ),
    })),
    ...(table.notes?.length ? { notes: table.notes } : {}),
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An interval goes on its own, smaller line so a row of intervals stays narrow and the values line up. */
function htmlCell(v: Table['rows'][number]['cells'][string] | undefined, c: TableColumn): string {
  if (isEstimate(v) && v.ci) {
    return `${escapeHtml(formatNumber(v.value, c))}<br><span class="ci">${escapeHtml(formatInterval(v.ci, c))}</span>`;
  }
  return escapeHtml(formatCell(v, c));
}

/** An HTML <table> with group header rows, for the HTML report. */
export function tableToHtml(table: Table): string {
  validateTable(table);
  const out: string[] = ['<table>'];
  if (table.title) out.push(`<caption>${escapeHtml(table.title)}</caption>`);
  out.push(
    '<thead><tr>' +
      table.columns.map((c) => `<th style="text-align:${alignOf(table, c)}">${escapeHtml(c.label)}</th>`).join('') +
      '</tr></thead><tbody>',
  );
  let group: string | undefined;
  for (const r of orderedRows(table)) {
    if (hasGroups(table) && r.group !== group) {
      group = r.group;
      out.push(`<tr class="group"><th colspan="${table.columns.length}">${escapeHtml(group ?? '')}</th></tr>`);
    }
    out.push(
      '<tr>' +
        table.columns
          // The first column names the row (a series label): keep it on one line.
          .map((c, i) => `<td${i === 0 ? ' class="label"' : ''} style="text-align:${alignOf(table, c)}">${htmlCell(r.cells[c.key], c)}</td>`)
          .join('') +
        '</tr>',
    );
  }
  out.push('</tbody></table>');
  if (table.notes?.length) out.push(...table.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`));
  return out.join('\n');
}
