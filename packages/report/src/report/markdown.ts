/** The Markdown report: tables inline, charts as PNG files written beside it and linked relatively. */
import { tableToMarkdown } from '../tables/render.js';
import { checkDocument, type ReportDocument } from './document.js';

/** `chartFile(id)` gives the relative path each chart's PNG is (or will be) written to. */
export function renderMarkdownReport(doc: ReportDocument, chartFile: (id: string) => string): string {
  checkDocument(doc);
  const out: string[] = [`# ${doc.title}`, ''];
  const p = doc.provenance;
  if (p) {
    out.push('## Provenance', '');
    const rows: Array<[string, string | undefined]> = [
      ['run', p.runId],
      ['status', p.statusText ?? p.status],
      ['workflow', [p.workflow?.name, p.workflow?.path].filter(Boolean).join(' — ')],
      ['workflow sha256', p.workflow?.sha256],
      ['engine', p.engine],
      ['started', p.startedAt],
      ['finished', p.finishedAt],
      ['plugins', (p.plugins ?? []).map((x) => `${x.name}@${x.version}`).join(', ')],
      ['host', p.host ? `${p.host.platform ?? ''} ${p.host.arch ?? ''}, ${p.host.cpuModel ?? ''}, node ${p.host.node ?? ''}` : undefined],
    ];
    for (const [k, v] of rows) if (v) out.push(`- **${k}**: \`${v.replace(/`/g, "'")}\``);
    out.push('');
  }
  if (doc.charts.length) {
    out.push('## Charts', '');
    for (const c of doc.charts) {
      out.push(`### ${c.title}`, '', `![${c.title}](${chartFile(c.id)})`, '');
      if (c.caption) out.push(`_${c.caption}_`, '');
    }
  }
  if (doc.tables.length) {
    out.push('## Tables', '');
    for (const t of doc.tables) out.push(tableToMarkdown(t.table));
  }
  if (doc.notes.length) out.push('## Notes', '', ...doc.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
