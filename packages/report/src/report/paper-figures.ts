/**
 * A figure's published numbers in a run's report: which of them each chart (or panel) draws, in that
 * chart's coordinates, and the "published vs this run" table that puts each number beside the run's
 * counterpart (published-figures.ts says how each counterpart is found).
 */
import { InputError } from '@percept/core';
import { matrixValuesAgree, pearson } from '@percept/metrics';
import {
  NO_NUMBERS, PAPER_FIGURES, STEPS_PER_EPOCH, publishedFor,
  type PaperFigure, type PublishedAxes, type PublishedComparison, type PublishedGeometry, type PublishedValue, type RunQuery,
} from '../published-figures.js';
import type { PublishedMark } from '../charts/published-layers.js';
import { findAccuracy, findingPs, type SubsetScoreFinding } from '../run/extract.js';
import type { EntropyFinding } from '../run/measures.js';
import type { StepView } from '../run/read-run.js';
import { matchesWhere, sweepValue, type WhereValue } from '../run/sweep-select.js';
import type { Table, TableRow } from '../tables/model.js';

/** One panel of a scatter chart (report option `panels`), e.g. Fig. 7a (ResNets) and 7b (ViTs). */
export interface PanelSpec {
  /** Short id, part of the chart id: "7a" -> ps-vs-accuracy-7a. */
  id: string;
  /** The scatter it splits (default ps-vs-accuracy). */
  chart?: 'ps-vs-accuracy' | 'ps-vs-entropy' | 'ps-vs-margin' | 'margin-vs-accuracy';
  title?: string;
  /** Matrix values a cell must agree with on the keys it has (as in sweeps). */
  where?: Record<string, WhereValue>;
  /** Keep only each model's last checkpoint (the highest `step` among cells equal in every other key). */
  final?: boolean;
}

export const PANEL_CHARTS = ['ps-vs-accuracy', 'ps-vs-entropy', 'ps-vs-margin', 'margin-vs-accuracy'] as const;

export function checkFigure(v: unknown): PaperFigure | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(PAPER_FIGURES as readonly string[]).includes(v)) {
    throw new InputError(`report option "figure" must be one of ${PAPER_FIGURES.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as PaperFigure;
}

export function checkPanels(v: unknown): PanelSpec[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new InputError('report option "panels" must be an array of { id, chart?, title?, where?, final? }');
  const seen = new Set<string>();
  return v.map((p, i) => {
    const at = `panels[${i}]`;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new InputError(`report option "${at}" must be an object`);
    const o = p as Record<string, unknown>;
    if (typeof o.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(o.id)) throw new InputError(`report option "${at}.id" must be lower-case letters, digits and dashes (e.g. "7a"), got ${JSON.stringify(o.id)}`);
    if (o.chart !== undefined && !(PANEL_CHARTS as readonly unknown[]).includes(o.chart)) throw new InputError(`report option "${at}.chart" must be one of ${PANEL_CHARTS.join(', ')}`);
    const key = `${o.chart ?? 'ps-vs-accuracy'}-${o.id}`;
    if (seen.has(key)) throw new InputError(`report option "${at}.id": panel "${o.id}" of ${o.chart ?? 'ps-vs-accuracy'} is given twice`);
    seen.add(key);
    if (o.where !== undefined && (typeof o.where !== 'object' || o.where === null || Array.isArray(o.where))) throw new InputError(`report option "${at}.where" must be an object of matrix values`);
    if (o.final !== undefined && typeof o.final !== 'boolean') throw new InputError(`report option "${at}.final" must be true or false`);
    if (o.title !== undefined && typeof o.title !== 'string') throw new InputError(`report option "${at}.title" must be a string`);
    return o as unknown as PanelSpec;
  });
}

/** Cells of a panel: those agreeing with `where`, and with `final` only the last checkpoint of each model. */
export function panelCells<T extends { step: StepView; key?: string }>(items: readonly T[], panel: PanelSpec | undefined): T[] {
  if (!panel) return [...items];
  const kept = items.filter((i) => matchesWhere(i.step, panel.where));
  if (!panel.final) return kept;
  const groupOf = (i: T) => JSON.stringify([i.key ?? '', Object.entries(i.step.matrix ?? {}).filter(([k]) => k !== 'step').sort(([a], [b]) => a.localeCompare(b))]);
  const last = new Map<string, number>();
  for (const i of kept) {
    const s = sweepValue(i.step.matrix?.step) ?? -Infinity;
    last.set(groupOf(i), Math.max(last.get(groupOf(i)) ?? -Infinity, s));
  }
  return kept.filter((i) => (sweepValue(i.step.matrix?.step) ?? -Infinity) === last.get(groupOf(i)));
}

/** What a chart plots: its kind, and for sweeps the key, measure and the scale applied to the key. */
export type ChartTarget =
  | { chart: 'ps-vs-accuracy' | 'ps-vs-entropy' | 'dynamic-range' }
  | { chart: 'sweep'; key: string; y: 'ps' | 'entropy' | 'margin'; scale?: number; where?: Record<string, WhereValue> };

function axesMatch(on: PublishedAxes, t: ChartTarget): boolean {
  if (on.chart !== t.chart) return false;
  if (on.chart === 'sweep' && t.chart === 'sweep') return on.key === t.key && on.y === t.y;
  return true;
}

function modelsAllowed(v: PublishedValue, where: Record<string, WhereValue> | undefined): boolean {
  if (!v.models || !where || where.model === undefined) return true;
  const allowed = (Array.isArray(where.model) ? where.model : [where.model]).map(String);
  return v.models.some((m) => allowed.includes(m));
}

/** The published marks a chart (or one of its panels) draws, in its coordinates, and the values behind them. */
export function publishedMarks(figure: PaperFigure | undefined, target: ChartTarget, panel?: PanelSpec): { marks: PublishedMark[]; values: PublishedValue[] } {
  if (!figure) return { marks: [], values: [] };
  const marks: PublishedMark[] = [];
  const values: PublishedValue[] = [];
  for (const v of publishedFor(figure)) {
    if (panel && v.panels && !v.panels.includes(panel.id)) continue;
    if (!modelsAllowed(v, panel?.where ?? (target.chart === 'sweep' ? target.where : undefined))) continue;
    const draws = (v.draw ?? []).filter((d) => axesMatch(d.on, target));
    for (const d of draws) {
      const k = d.on.chart === 'sweep' && d.on.unit === 'epoch' && target.chart === 'sweep' ? STEPS_PER_EPOCH * (target.scale ?? 1) : 1;
      marks.push({ label: v.label, at: scaleX(d.at, k) });
    }
    if (draws.length) values.push(v);
  }
  return { marks, values };
}

function scaleX(at: PublishedGeometry, k: number): PublishedGeometry {
  if (k === 1) return at;
  if (at.kind === 'point') return { ...at, x: at.x * k };
  if (at.kind === 'x') return { ...at, x: at.x * k };
  if (at.kind === 'x-range') return { ...at, x: [at.x[0] * k, at.x[1] * k] };
  return at;
}

/** A caption sentence naming the published marks of a chart and where they come from. */
export function publishedCaption(values: readonly PublishedValue[]): string {
  if (!values.length) return '';
  const items = values.map((v) => `${v.label} (${v.source}${v.status && v.status !== 'read' ? `; ${v.status}` : ''})`);
  return ` Black and grey marks ("published point/value/range" in the legend) are the paper's numbers, not measured here: ${items.join('; ')}.`;
}

export interface RunCells {
  scores: readonly SubsetScoreFinding[];
  accuracy: readonly StepView[];
  entropy: readonly EntropyFinding[];
}

/** Strict: every key must be present (and `distance` names the distance id). */
function matches(step: StepView, key: string | undefined, where: Record<string, WhereValue>): boolean {
  return Object.entries(where).every(([k, want]) => {
    if (k === 'distance') return (Array.isArray(want) ? want : [want]).some((w) => w === key);
    if (!step.matrix || !(k in step.matrix)) return false;
    return matchesWhere(step, { [k]: want });
  });
}

type Found = { value: number; from: string } | { value: null; why: string };

function atFinal<T extends { step: StepView }>(cells: T[]): T[] {
  const steps = cells.map((c) => sweepValue(c.step.matrix?.step));
  if (steps.every((s) => s === undefined)) return cells;
  const max = Math.max(...steps.filter((s): s is number => s !== undefined));
  return cells.filter((_, i) => steps[i] === max);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cellText = (cells: Array<{ step: StepView }>, label: (c: { step: StepView }) => string) =>
  cells.length === 1 ? label(cells[0]) : `mean of ${cells.length} cells (${cells.slice(0, 3).map(label).join(', ')}${cells.length > 3 ? ', …' : ''})`;
const stepLabel = (c: { step: StepView }) => `${c.step.step}[${c.step.cell || '-'}]`;

function accuracyOf(f: { step: StepView }, run: RunCells): number | undefined {
  const a = run.accuracy.find((s) => matrixValuesAgree(f.step, s) && findAccuracy(s) !== undefined);
  return a ? findAccuracy(a) : undefined;
}

/** Kumar Fig. 4: r(top-1, PS) over the models at or beyond the accuracy of the PS-optimal model. */
function correlationBeyondOptimum(q: RunQuery, run: RunCells): Found {
  const byModel = new Map<string, { ps: number[]; acc: number[] }>();
  for (const f of atFinal(run.scores.filter((s) => matches(s.step, s.key, q.where)))) {
    const model = f.step.matrix?.model;
    const acc = accuracyOf(f, run);
    if (typeof model !== 'string' || acc === undefined) continue;
    const m = byModel.get(model) ?? byModel.set(model, { ps: [], acc: [] }).get(model)!;
    m.ps.push(findingPs(f).ps);
    m.acc.push(acc);
  }
  const models = [...byModel].map(([model, v]) => ({ model, ps: mean(v.ps), acc: mean(v.acc) }));
  if (models.length < 3) return { value: null, why: `${models.length} model(s) with both PS and top-1 at their final checkpoint; the correlation needs 3 beyond the optimum` };
  const best = models.reduce((a, b) => (b.ps > a.ps ? b : a));
  const beyond = models.filter((m) => m.acc >= best.acc);
  if (beyond.length < 3) return { value: null, why: `only ${beyond.length} model(s) at or beyond the PS optimum (${best.model}); the correlation needs 3` };
  const r = pearson(beyond.map((m) => m.acc), beyond.map((m) => m.ps));
  if (!Number.isFinite(r)) return { value: null, why: 'no spread in top-1 or PS beyond the optimum' };
  return { value: r, from: `${beyond.length} models from ${best.model} (the PS optimum) on: ${beyond.map((m) => m.model).join(', ')}` };
}

/** The run's counterpart of a published number (see RunQuery). */
export function evaluateQuery(q: RunQuery, run: RunCells): Found {
  const none = (what: string): Found => ({ value: null, why: `no ${what} cell with ${JSON.stringify(q.where)}` });
  if (q.measure === 'correlation') return correlationBeyondOptimum(q, run);
  let found: Found;
  if (q.measure === 'entropy') {
    const cells = atFinal(run.entropy.filter((e) => matches(e.step, undefined, q.where)));
    found = cells.length ? { value: mean(cells.map((c) => c.entropy)), from: cellText(cells, stepLabel) } : none('activation-entropy');
  } else {
    const scored = run.scores.filter((f) => matches(f.step, f.key, q.where));
    if (!scored.length) return none('perceptual-score');
    const cells = q.pick === 'best' ? [scored.reduce((a, b) => (findingPs(b).ps > findingPs(a).ps ? b : a))] : atFinal(scored);
    const from = cellText(cells, (c) => (c as SubsetScoreFinding).label);
    if (q.measure === 'ps') found = { value: mean(cells.map((c) => findingPs(c).ps)), from };
    else if (q.measure === 'accuracy') {
      const accs = cells.map((c) => accuracyOf(c, run));
      found = accs.every((a): a is number => a !== undefined) ? { value: mean(accs), from } : { value: null, why: `no accuracy cell paired with ${from}` };
    } else {
      const vals = cells.map((c) => sweepValue(c.step.matrix?.[q.key ?? '']));
      found = vals.every((v): v is number => v !== undefined) && new Set(vals).size === 1 ? { value: vals[0], from } : { value: null, why: `${from} has no single numeric ${q.key}` };
    }
  }
  if (found.value === null || !q.minus) return found;
  const base = atFinal(run.scores.filter((f) => matches(f.step, f.key, q.minus!)));
  if (!base.length) return { value: null, why: `no default (perceptual-score cell with ${JSON.stringify(q.minus)}) to subtract` };
  return { value: found.value - mean(base.map((b) => findingPs(b).ps)), from: `${found.from} − ${cellText(base, (c) => (c as SubsetScoreFinding).label)}` };
}

function publishedText(c: PublishedComparison): string {
  const d = c.digits ?? 1;
  const n = (x: number) => (c.quantity.includes('gain') && x > 0 ? '+' : '') + x.toFixed(d).replace('-', '−');
  return (typeof c.published === 'number' ? n(c.published) : `${n(c.published[0])}–${n(c.published[1])}`) + (c.unit ?? '');
}

/**
 * "Published vs this run": one row per published number with a run counterpart; the Published column
 * is the paper's, "This run" is computed from the run's cells ("–" when the run has none, with why).
 */
export function buildPublishedTable(figure: PaperFigure, run: RunCells): Table | undefined {
  const values = publishedFor(figure).filter((v) => v.compare?.length);
  if (!values.length) return undefined;
  const rows: TableRow[] = [];
  const missing: string[] = [];
  for (const v of values) {
    for (const c of v.compare!) {
      const r = evaluateQuery(c.query, run);
      if (r.value === null) missing.push(`${c.quantity}: ${r.why}`);
      const d = c.digits ?? (c.query.measure === 'entropy' ? 2 : 1);
      // One more decimal than the paper prints (a matrix value such as a width: as many as the paper's).
      const shown = r.value === null ? null : `${c.quantity.includes('gain') && r.value > 0 ? '+' : ''}${r.value.toFixed(c.query.measure === 'key' ? d : d + 1).replace('-', '−')}${c.unit ?? ''}`;
      rows.push({
        group: v.label,
        cells: {
          quantity: c.quantity,
          published: publishedText(c),
          run: shown,
          from: r.value === null ? null : r.from,
          source: `${v.source}${v.status && v.status !== 'read' ? ` (${v.status})` : ''}`,
        },
      });
    }
  }
  const notes = [
    'Published: Kumar et al. 2022 as SPEC.md states it, not measured here. This run: the same quantity from this run\'s cells (one more decimal); "–": the run has no such cell.',
    'p_max / a(p_max): the highest PS among the cells and that cell\'s top-1; "default": the last checkpoint of the model with default settings (mean over seeds); gain: a sweep\'s p_max (or the variant\'s PS) minus the default\'s PS.',
    ...values.filter((v) => v.note).map((v) => `${v.label}: ${v.note}.`),
  ];
  if (missing.length) notes.push(`Not in this run: ${missing.slice(0, 8).join('; ')}${missing.length > 8 ? `; and ${missing.length - 8} more` : ''}.`);
  return {
    title: `Published vs this run (${figureName(figure)})`,
    columns: [
      { key: 'quantity', label: 'Quantity', align: 'left' },
      { key: 'published', label: 'Published', align: 'right' },
      { key: 'run', label: 'This run', align: 'right' },
      { key: 'from', label: 'Run cells', align: 'left' },
      { key: 'source', label: 'Source', align: 'left' },
    ],
    rows,
    notes,
  };
}

export function figureName(f: PaperFigure): string {
  return f.startsWith('fig') ? `Kumar et al. 2022 Fig. ${Number(f.slice(3))}` : f === 'table1' ? 'Kumar et al. 2022 Table 1' : 'LPIPS Table 5';
}

export function noNumbersNote(f: PaperFigure): string | undefined {
  return NO_NUMBERS[f];
}
