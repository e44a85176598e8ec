/**
 * `percept report <run-dir>`: rebuilds tables and charts from a finished run's recorded artifacts
 * (manifest.json and steps/**\/result.json) without recomputing anything.
 */
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { ExitCode, PerceptError, didYouMean } from '@percept/core';
import { CHART_KINDS, REPORT_FORMATS, TABLE_KINDS, reportFromRunDir, writeReport, type ChartKind, type ReportFormat, type TableKind } from '@percept/report';
import type { CommandImplementation } from '../command.js';

const usage = `Usage: percept report <run-dir> [--format html|md|png] [-o <out>] [options]

Renders a report from runs/<workflow>/<run-id>: run provenance (workflow hash, engine, plugin versions,
host), tables (2AFC per subset with 95% CIs; the LPIPS Table 5 layout with published rows when BAPPS
val subsets were scored; layer-wise PS; JND mAP) and charts (PS vs ImageNet accuracy with its Pareto
frontier, per-subset bars, layer-wise PS). Published reference values are labelled "published".
Nothing is recomputed.

Options:
  --format <f>      html (default; one self-contained file), md (Markdown + PNG charts beside it),
                    png (one PNG per chart)
  -o, --out <path>  output file (html, md) or directory (png);
                    default <run-dir>/report.html, <run-dir>/report.md or <run-dir>/report-charts/
  --chart <kind>    only this chart (repeatable): ${CHART_KINDS.join(', ')}
  --table <kind>    only this table (repeatable): ${TABLE_KINDS.join(', ')}
                    (default: chosen from the data)
  --title <text>    report title
  --no-published    leave out published reference rows and lines
  --scale <n>       PNG pixel ratio (default 2)`;

/** A usage error naming the flag, the kinds it takes and the nearest one. */
function checkKind(flag: string, value: string, kinds: readonly string[]): void {
  if (kinds.includes(value)) return;
  const guess = didYouMean(value, kinds);
  throw new PerceptError(`percept report: ${flag} must be one of ${kinds.join(', ')}, got "${value}"${guess ? `; ${guess}` : ''}`, { hint: usage, exitCode: ExitCode.usage });
}

export const reportCommand: CommandImplementation = {
  name: 'report',
  usage,
  async run(argv, io) {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (e) {
      throw new PerceptError(`percept report: ${(e as Error).message}`, { hint: usage, exitCode: ExitCode.usage });
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.ok;
    }
    if (positionals.length !== 1) {
      throw new PerceptError(`percept report: expected exactly one <run-dir>, got ${positionals.length}`, { hint: usage, exitCode: ExitCode.usage });
    }
    const format = (values.format ?? 'html') as ReportFormat;
    checkKind('--format', format, REPORT_FORMATS);
    for (const c of values.chart ?? []) checkKind('--chart', c, CHART_KINDS);
    for (const t of values.table ?? []) checkKind('--table', t, TABLE_KINDS);
    const scale = values.scale === undefined ? undefined : Number(values.scale);
    if (scale !== undefined && !(scale > 0 && scale <= 16)) {
      throw new PerceptError(`percept report: --scale must be a number in (0, 16], got "${values.scale}"`, { hint: usage, exitCode: ExitCode.usage });
    }
    const runDir = resolve(io.cwd, positionals[0]);
    const defaultOut = { html: join(runDir, 'report.html'), md: join(runDir, 'report.md'), png: join(runDir, 'report-charts') }[format];
    const out = values.out ? resolve(io.cwd, values.out) : defaultOut;
    const doc = reportFromRunDir(runDir, {
      title: values.title,
      charts: values.chart as ChartKind[] | undefined,
      tables: values.table as TableKind[] | undefined,
      published: !values['no-published'],
    });
    const files = await writeReport(doc, { format, out, scale });
    for (const f of files) io.stdout.write(`${f}\n`);
    for (const n of doc.notes) io.stderr.write(`note: ${n}\n`);
    return ExitCode.ok;
  },
};

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      format: { type: 'string' },
      out: { type: 'string', short: 'o' },
      chart: { type: 'string', multiple: true },
      table: { type: 'string', multiple: true },
      title: { type: 'string' },
      'no-published': { type: 'boolean' },
      scale: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
}

export default reportCommand;
