/**
 * The `report` reporter: a workflow step that renders a report from a run directory's artifacts
 * (by default the current run, so it can follow the steps it charts via `needs`).
 */
import { isAbsolute, join, resolve } from 'node:path';
import { InputError, type JsonValue, type ReporterContribution } from '@percept/core';
import { CHART_KINDS, TABLE_KINDS, reportFromRunDir, type RunReportOptions } from './report/from-run.js';
import { REPORT_FORMATS, writeReport, type ReportFormat } from './report/write.js';
import { SWEEP_MEASURES, checkSweepSpecs } from './report/sweeps.js';
import { PANEL_CHARTS, checkFigure, checkPanels } from './report/paper-figures.js';
import { PAPER_FIGURES } from './published-figures.js';
import { readRun, type RunView } from './run/read-run.js';

const matrixValue = { description: 'A matrix value (string, number, boolean), or a list of allowed values.' };

const sweepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key'],
  properties: {
    key: { type: 'string', description: 'The swept matrix key (x axis), e.g. "width", "depth", "weightDecay", "step", "classes".' },
    y: { enum: [...SWEEP_MEASURES], default: 'ps', description: 'ps (perceptual-score cells), entropy (activation-entropy: per stage + mean for one series, the mean per series for several), margin (distortion-sensitivity: distance to the farther and nearer patch).' },
    series: { type: 'array', items: { type: 'string' }, description: 'Matrix keys naming the lines (default: the non-numeric keys other than key, e.g. model).' },
    where: { type: 'object', additionalProperties: matrixValue, description: 'Matrix values a cell must agree with on the keys it has.' },
    parse: { enum: ['number', 'last-number'], default: 'number', description: 'last-number: take the last number in a name (resnet50 -> 50), for depth from model names.' },
    minPoints: { type: 'integer', minimum: 1, default: 2, description: 'Series with fewer distinct key values are left out (noted).' },
    log: { type: 'boolean', description: 'Log x axis; default: log when all values are positive and span more than 1.5 decades (margin: linear).' },
    scale: { type: 'number', exclusiveMinimum: 0, description: 'Multiplies the key values, e.g. 0.000799 (1/1251) for ImageNet epochs from steps.' },
    label: { type: 'string', description: 'x-axis title (default: the key).' },
    title: { type: 'string' },
  },
} as const;

const panelSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Short id, part of the chart id: "7a" -> ps-vs-accuracy-7a.' },
    chart: { enum: [...PANEL_CHARTS], default: 'ps-vs-accuracy', description: 'The scatter this panel splits.' },
    title: { type: 'string', description: 'Panel title, e.g. "Fig. 7a: ResNets".' },
    where: { type: 'object', additionalProperties: matrixValue, description: 'Matrix values a cell must agree with on the keys it has.' },
    final: { type: 'boolean', default: false, description: 'Keep only the last checkpoint (highest step) of each model.' },
  },
} as const;

export const reportOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    run: { type: 'string', description: 'Run directory to report on (runs/<workflow>/<run-id>); default: the current run.' },
    title: { type: 'string' },
    formats: {
      type: 'array',
      items: { enum: [...REPORT_FORMATS] },
      minItems: 1,
      uniqueItems: true,
      default: ['html'],
      description: 'html: one self-contained file; md: Markdown with PNG charts beside it; png: one PNG per chart.',
    },
    charts: { type: 'array', items: { enum: [...CHART_KINDS] }, uniqueItems: true, description: 'ps-vs-accuracy, per-subset, layerwise, lowpass (Fig. 17, from lowpass-accuracy steps), pareto (Fig. 10, from pareto steps), ps-vs-entropy (Figs. 15b/d, activation-entropy steps), ps-vs-margin (Fig. 12a as the body plots it, distortion-sensitivity steps), margin-vs-accuracy (Fig. 12a as the caption plots it, distortion-sensitivity and accuracy steps), dynamic-range (Fig. 3, dynamic-range steps). Default: every chart the data supports. Sweep charts come from `sweeps`.' },
    tables: {
      type: 'array',
      items: { enum: [...TABLE_KINDS] },
      uniqueItems: true,
      description: 'per-subset (any subsets, with 95% CIs), table5 (LPIPS Table 5 layout, BAPPS val only), layerwise, jnd, lowpass (normalised accuracy per low-pass r), table1 (Kumar Table 1 and per-sweep p_max from pareto steps). Default: chosen from the data.',
    },
    psSteps: { type: 'array', items: { type: 'string' }, description: 'Steps holding per-subset 2AFC scores (default: found automatically).' },
    accuracySteps: { type: 'array', items: { type: 'string' }, description: 'Steps holding ImageNet accuracy (default: found automatically).' },
    accuracyDataset: { type: 'string', minLength: 1, description: 'The dataset the accuracy steps measured, for chart and axis titles (default "ImageNet"; e.g. "CIFAR-10" for a smoke run).' },
    colorBy: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Colour PS-vs-x points by these matrix keys, e.g. ["model"] (default: by distance id).' },
    aggregate: { type: 'string', description: 'Matrix key to average ps-vs-accuracy points over, e.g. "seed": mean ± standard error on both axes (Fig. 4).' },
    pMax: { type: 'boolean', default: false, description: 'Dotted p_max / a(p_max) lines (Fig. 9): per colour group on ps-vs-accuracy, per sweep on pareto.' },
    referenceRun: { type: 'string', minLength: 1, description: 'A run directory (e.g. of workflows/paper/fig01) whose paired PS and accuracy cells give the grey dashed reference frontier on the pareto chart (Kumar Fig. 10: out-of-the-box models). Relative to the workflow file.' },
    sweeps: { type: 'array', items: sweepSchema, description: 'One chart per entry: PS, entropy or margin against a swept matrix key (Figs. 5b, 6b/d/f, 8c/d, 9b/d/f/h, 12b, 14, 15a/c, 16).' },
    published: { type: 'boolean', default: true, description: 'Show published reference values, labelled as such (false: none, including those of `figure`).' },
    figure: { enum: [...PAPER_FIGURES], description: 'The paper figure this run reproduces: its published numbers are drawn in the charts whose axes measure them (hollow diamonds, dashed guides, grey bands, with legend entries "published point/value/range") and listed beside the run\'s in a "published vs this run" table.' },
    panels: { type: 'array', items: panelSchema, description: 'Split a scatter into panels, one chart per entry (e.g. Fig. 7a ResNets / 7b ViTs, Figs. 15b / 15d).' },
    width: { type: 'number', minimum: 50, maximum: 10000 },
    height: { type: 'number', minimum: 50, maximum: 10000 },
    scale: { type: 'number', exclusiveMinimum: 0, maximum: 16, default: 2, description: 'PNG device-pixel ratio.' },
  },
} as const;

function strings(v: unknown, key: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new InputError(`report option "${key}" must be an array of strings`);
  }
  return v as string[];
}

export const reportReporter: ReporterContribution = {
  kind: 'reporter',
  name: 'report',
  description: 'Renders tables and charts (HTML, Markdown, PNG) from a run directory\'s recorded artifacts.',
  optionsSchema: reportOptionsSchema,
  outputsSchema: {
    type: 'object',
    properties: {
      files: { type: 'array', items: { type: 'string' } },
      html: { type: 'string' },
      markdown: { type: 'string' },
      charts: { type: 'array', items: { type: 'string' } },
    },
  },
  async run(options, ctx) {
    const runOpt = options.run;
    if (runOpt !== undefined && (typeof runOpt !== 'string' || runOpt === '')) {
      throw new InputError('report option "run" must be a non-empty path to a run directory');
    }
    const runDir = runOpt ? (isAbsolute(runOpt) ? runOpt : resolve(ctx.baseDir, runOpt)) : ctx.runDir;
    const formats = (strings(options.formats, 'formats') ?? ['html']) as ReportFormat[];
    const reportOptions: RunReportOptions = {
      title: typeof options.title === 'string' ? options.title : undefined,
      charts: strings(options.charts, 'charts') as RunReportOptions['charts'],
      tables: strings(options.tables, 'tables') as RunReportOptions['tables'],
      psSteps: strings(options.psSteps, 'psSteps'),
      accuracySteps: strings(options.accuracySteps, 'accuracySteps'),
      accuracyDataset: typeof options.accuracyDataset === 'string' ? options.accuracyDataset : undefined,
      published: typeof options.published === 'boolean' ? options.published : undefined,
      colorBy: strings(options.colorBy, 'colorBy'),
      aggregate: typeof options.aggregate === 'string' && options.aggregate ? options.aggregate : undefined,
      pMax: options.pMax === true,
      referenceRun: referenceRunOf(options.referenceRun, ctx.baseDir),
      sweeps: checkSweepSpecs(options.sweeps),
      figure: checkFigure(options.figure),
      panels: checkPanels(options.panels),
      width: typeof options.width === 'number' ? options.width : undefined,
      height: typeof options.height === 'number' ? options.height : undefined,
      // Reporting on its own run, the run is still "running": the report says which step wrote it.
      writtenBy: resolve(runDir) === resolve(ctx.runDir) ? ctx.stepId : undefined,
    };
    const scale = typeof options.scale === 'number' ? options.scale : undefined;
    ctx.log.info(`report: reading ${runDir}`);
    const doc = reportFromRunDir(runDir, reportOptions);
    const outputs: Record<string, JsonValue> = { files: [] };
    const files: string[] = [];
    for (const [i, format] of formats.entries()) {
      ctx.progress(i, formats.length, 'formats', format);
      const out = format === 'html' ? join(ctx.outputDir, 'report.html') : format === 'md' ? join(ctx.outputDir, 'report.md') : join(ctx.outputDir, 'charts');
      const written = await writeReport(doc, { format, out, scale });
      files.push(...written);
      if (format === 'html') outputs.html = out;
      if (format === 'md') outputs.markdown = out;
      if (format === 'png') outputs.charts = written;
    }
    ctx.progress(formats.length, formats.length, 'formats');
    ctx.record('reportedRun', runDir);
    outputs.files = files;
    return outputs;
  },
};

/** Reads the `referenceRun` option's run, naming the option when it cannot. */
function referenceRunOf(value: unknown, baseDir: string): RunView | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new InputError('report option "referenceRun" must be a non-empty path to a run directory');
  const dir = isAbsolute(value) ? value : resolve(baseDir, value);
  try {
    return readRun(dir);
  } catch (e) {
    throw new InputError(`report option "referenceRun": ${(e as Error).message}`, { cause: e });
  }
}
