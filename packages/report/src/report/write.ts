/** Writes a ReportDocument to disk as HTML, Markdown (+ PNG charts) or PNG charts only. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { InputError } from '@percept/core';
import { renderPng } from '../render.js';
import { checkDocument, type ReportDocument } from './document.js';
import { renderHtmlReport } from './html.js';
import { renderMarkdownReport } from './markdown.js';

export const REPORT_FORMATS = ['html', 'md', 'png'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface WriteReportOptions {
  format: ReportFormat;
  /** html/md: the file to write; png: the directory for one PNG per chart. */
  out: string;
  /** PNG device-pixel ratio (default 2). */
  scale?: number;
}

/** Writes via a temp file + rename so a reader never sees half a report. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Returns the absolute paths written. */
export async function writeReport(doc: ReportDocument, options: WriteReportOptions): Promise<string[]> {
  checkDocument(doc);
  if (!(REPORT_FORMATS as readonly string[]).includes(options.format)) {
    throw new InputError(`report format "${options.format}" is not one of ${REPORT_FORMATS.join(', ')}`);
  }
  const written: string[] = [];
  const pngs = async (dir: string) => {
    for (const c of doc.charts) {
      const file = join(dir, `${c.id}.png`);
      await writeAtomic(file, await renderPng(c.spec, { scale: options.scale, name: `chart "${c.id}"` }));
      written.push(file);
    }
  };
  if (options.format === 'html') {
    await writeAtomic(options.out, await renderHtmlReport(doc));
    written.push(options.out);
  } else if (options.format === 'md') {
    const imgDir = join(dirname(options.out), `${basename(options.out).replace(/\.md$/i, '')}-charts`);
    const rel = relative(dirname(options.out), imgDir).split('\\').join('/');
    await pngs(imgDir);
    await writeAtomic(options.out, renderMarkdownReport(doc, (id) => `${rel}/${id}.png`));
    written.push(options.out);
  } else {
    if (!doc.charts.length) throw new InputError('report format "png": this report has no charts to render');
    await pngs(options.out);
  }
  return written;
}
