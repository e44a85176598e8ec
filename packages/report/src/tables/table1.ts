/**
 * Kumar et al. 2022 Table 1 from a `pareto` result: one row per model, the default model's PS, the PS
 * gain of the best model of each sweep over it, and the best PS (default + the largest gain). Sweeps
 * are the pareto groups named "<model>/<sweep>" (e.g. "resnet200/width"). Published rows (SPEC §2.4)
 * are a separate, labelled group, never mixed with measured ones. A second table lists each sweep's
 * p_max, a(p_max) and best model.
 */
import { InputError } from '@percept/core';
import type { GroupSummary } from '@percept/metrics';
import { PUBLISHED_TABLE1, TABLE1_SWEEPS } from '../published.js';
import type { Table, TableColumn, TableRow } from './model.js';

/** One sweep of a pareto result, as the `pareto` job writes it. */
export type SweepSummary = GroupSummary;

/** "resnet200/width" → { model: "resnet200", sweep: "width" }; a group without "/" is its own model and sweep. */
export function splitGroup(group: string): { model: string; sweep: string } {
  const i = group.lastIndexOf('/');
  return i > 0 ? { model: group.slice(0, i), sweep: group.slice(i + 1) } : { model: group, sweep: group };
}

const signed = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(1)}`;

function checkGroups(groups: Record<string, SweepSummary>): void {
  for (const [g, s] of Object.entries(groups)) {
    for (const k of ['pMax', 'aPMax'] as const) {
      if (typeof s[k] !== 'number' || !Number.isFinite(s[k])) throw new InputError(`table 1: sweep "${g}" field "${k}" must be a finite number, got ${JSON.stringify(s[k])}`);
    }
  }
}

export function buildTable1(groups: Record<string, SweepSummary>, options: { published?: boolean; source?: string } = {}): Table {
  checkGroups(groups);
  const byModel = new Map<string, Map<string, SweepSummary>>();
  for (const [g, s] of Object.entries(groups)) {
    const { model, sweep } = splitGroup(g);
    (byModel.get(model) ?? byModel.set(model, new Map()).get(model)!).set(sweep, s);
  }
  const known = TABLE1_SWEEPS.map((s) => s.key);
  const extra = [...new Set([...byModel.values()].flatMap((m) => [...m.keys()]))].filter((k) => !known.includes(k));
  const sweeps = [...TABLE1_SWEEPS, ...extra.map((k) => ({ key: k, label: k }))];
  const columns: TableColumn[] = [
    { key: 'model', label: 'Model', align: 'left' },
    { key: 'default', label: 'Default', digits: 1 },
    ...sweeps.map((s) => ({ key: `g:${s.key}`, label: s.label, align: 'right' as const })),
    { key: 'best', label: 'Best', digits: 1 },
  ];
  const notes: string[] = [];
  const rows: TableRow[] = [];
  for (const [model, sweepsOf] of byModel) {
    const defaults = [...new Set([...sweepsOf.values()].map((s) => s.baselinePS).filter((v): v is number => v !== null))];
    if (defaults.length > 1) notes.push(`${model}: sweeps were measured against different default models (PS ${defaults.map((d) => d.toFixed(2)).join(', ')}); "Default" shows the first.`);
    const gains = [...sweepsOf.values()].map((s) => s.gain).filter((v): v is number => v !== null);
    const def = defaults[0] ?? null;
    rows.push({
      group: 'measured in this run',
      cells: {
        model,
        default: def,
        ...Object.fromEntries(sweeps.map((s) => {
          const x = sweepsOf.get(s.key);
          return [`g:${s.key}`, x === undefined ? null : x.gain === null ? `p_max ${x.pMax.toFixed(1)}` : signed(x.gain)];
        })),
        best: def !== null && gains.length ? def + Math.max(...gains) : null,
      },
    });
  }
  if (options.published) {
    const present = PUBLISHED_TABLE1.filter((p) => byModel.has(p.model));
    for (const p of present) {
      rows.push({
        group: 'published (Kumar et al. 2022 Table 1)',
        cells: {
          model: `${p.label} (published)`,
          default: p.default,
          ...Object.fromEntries(sweeps.map((s) => [`g:${s.key}`, p.gains[s.key] === undefined || p.gains[s.key] === null ? null : signed(p.gains[s.key]!)])),
          best: p.best,
        },
      });
    }
    if (present.length) notes.push('Published rows: Kumar et al. 2022 Table 1 (SPEC.md §2.4), not measured here.');
  }
  notes.unshift(
    'Default: PS of the model with default hyperparameters. Each sweep column: p_max of the sweep minus the default PS (PS ×100); ' +
    '"p_max …" where the sweep has no default to compare with; "–": not swept. Best: Default + the largest gain.',
  );
  if (options.source) notes.push(options.source);
  return { title: 'Table 1: PS gained by scaling down', columns, rows, notes };
}

/** Per sweep: models, p_max, a(p_max), the model reaching it, the default's PS and the gain. */
export function buildSweepTable(groups: Record<string, SweepSummary>): Table {
  checkGroups(groups);
  return {
    title: 'Sweeps: p_max and a(p_max)',
    columns: [
      { key: 'model', label: 'Model', align: 'left' },
      { key: 'sweep', label: 'Sweep', align: 'left' },
      { key: 'n', label: 'Models' },
      { key: 'pMax', label: 'p_max', digits: 2 },
      { key: 'aPMax', label: 'a(p_max) (%)', digits: 1 },
      { key: 'best', label: 'Reached by', align: 'left' },
      { key: 'baselinePS', label: 'Default PS', digits: 2 },
      { key: 'gain', label: 'Gain', digits: 2 },
    ],
    rows: Object.entries(groups).map(([g, s]) => {
      const { model, sweep } = splitGroup(g);
      return { cells: { model, sweep, n: s.n, pMax: s.pMax, aPMax: s.aPMax, best: s.best, baselinePS: s.baselinePS, gain: s.gain } };
    }),
    notes: ['p_max: the highest PS in the sweep; a(p_max): that model\'s top-1 accuracy (Kumar §6, SPEC §3.3).'],
  };
}
