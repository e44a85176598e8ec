/**
 * The numbers Kumar et al. 2022 publishes for each figure, as SPEC.md §2–§5 states them, with where
 * each was read. A value is drawn on a chart only where the chart's axes measure it (an (accuracy, PS)
 * pair is a point on PS vs accuracy, a p_max is a horizontal guide on a PS axis, an optimal width is a
 * vertical guide on a width axis); statements without a number are not drawn. Each value may also name
 * its counterpart in a run (`compare`), so the report's "published vs this run" table can put the
 * run's number beside it.
 *
 * Fig. 1/3's LPIPS Table 5 reference lines stay in published.ts (PUBLISHED_PS_LINES); Table 1 and
 * Table 5 have their own table builders.
 */
import type { WhereValue } from './run/sweep-select.js';

/** Figure ids, as the paper workflows' file names start (fig15 and fig16 share one workflow). */
export const PAPER_FIGURES = [
  'fig01', 'fig03', 'fig04', 'fig05', 'fig06', 'fig07', 'fig08', 'fig09', 'fig10', 'fig11', 'fig12', 'fig13', 'fig14', 'fig15', 'fig16', 'fig17', 'table1', 'table5',
] as const;
export type PaperFigure = (typeof PAPER_FIGURES)[number];

/** Where a value sits on a chart: a point, a guide line on one axis, or a range (band) on one axis. */
export type PublishedGeometry =
  | { kind: 'point'; x: number; y: number }
  | { kind: 'y'; y: number }
  | { kind: 'x'; x: number }
  | { kind: 'y-range'; y: readonly [number, number] }
  | { kind: 'x-range'; x: readonly [number, number] };

/**
 * A chart, named by what its axes measure. `sweep` charts plot `y` against the matrix key `key`; a
 * training-step key is in ImageNet epochs here (`unit: "epoch"`) and is converted to the chart's x
 * (1251 steps per epoch at batch 1024, SPEC §3.2, times the sweep's `scale`); `model` is a depth
 * (the sweep's parse "last-number").
 */
export type PublishedAxes =
  | { chart: 'ps-vs-accuracy' }
  | { chart: 'ps-vs-entropy' }
  | { chart: 'dynamic-range' }
  | { chart: 'sweep'; key: string; y: 'ps' | 'entropy'; unit?: 'epoch' };

/** Steps per ImageNet epoch in the paper's ResNet recipe (1,281,167 images at batch 1024; SPEC §3.2). */
export const STEPS_PER_EPOCH = 1251;

/**
 * How to find a published number's counterpart among a run's cells.
 * - `where`: matrix values every cell must have (a list allows several); the pseudo-key `distance`
 *   matches the distance id of a perceptual-score result (fig11's `local`, `mean-pool`, `style`).
 * - `pick`: `final` = the cells at the highest `step` (their mean, e.g. over seeds); `best` = the cell
 *   with the highest PS (p_max): its PS, its paired accuracy (a(p_max)) or its value of `key`.
 * - `minus`: subtract the PS of these cells (pick final): a gain over the default model (Table 1).
 */
export interface RunQuery {
  /**
   * `correlation`: Pearson's r between top-1 and PS over the models (matrix key `model`; each model's
   * final checkpoint, averaged over seeds) whose accuracy is at least that of the model with the
   * highest PS: Kumar's "beyond the optimal accuracy" (Fig. 4).
   */
  measure: 'ps' | 'accuracy' | 'entropy' | 'key' | 'correlation';
  /** For measure `key`: the matrix key whose value is reported (e.g. the width at p_max). */
  key?: string;
  where: Record<string, WhereValue>;
  pick: 'final' | 'best';
  minus?: Record<string, WhereValue>;
}

export interface PublishedComparison {
  /** What is compared, e.g. "ResNet-50 p_max over epochs". */
  quantity: string;
  /** The published number or range. */
  published: number | readonly [number, number];
  query: RunQuery;
  /** Decimals shown (default 1). */
  digits?: number;
  /** A unit appended to the number in the table, e.g. "%". */
  unit?: string;
}

export interface PublishedValue {
  /** Figures whose reports show it. */
  figures: readonly PaperFigure[];
  /** Short text drawn beside the mark, e.g. "ResNet-18 (52.0%, 68.5)". */
  label: string;
  /** Where it was read: the paper's section/figure/table and SPEC.md's section. */
  source: string;
  /**
   * read (default): copied from SPEC; approximate: the paper writes "≈"/"around"; inferred: derived
   * by SPEC or here, not printed by the paper; inconsistent: the paper prints another value elsewhere
   * (see `note`).
   */
  status?: 'read' | 'approximate' | 'inferred' | 'inconsistent';
  note?: string;
  /** The `model` matrix values it is about: a chart panel restricted to other models leaves it out. */
  models?: readonly string[];
  /** Panel ids (report option `panels`) it belongs to; a panel with another id leaves it out. Default: every panel. */
  panels?: readonly string[];
  draw?: ReadonlyArray<{ on: PublishedAxes; at: PublishedGeometry }>;
  compare?: readonly PublishedComparison[];
}

const RESNETS = ['resnet6', 'resnet50', 'resnet200'];
const VITS = ['vit-b8', 'vit-l4'];
const NAMES: Record<string, string> = { resnet6: 'ResNet-6', resnet50: 'ResNet-50', resnet200: 'ResNet-200', 'vit-b8': 'ViT-B/8', 'vit-l4': 'ViT-L/4' };
const VIT_DEPTH: Record<string, number> = { 'vit-b8': 12, 'vit-l4': 24 };
const FIG_PS_VS_ACC = { chart: 'ps-vs-accuracy' } as const;
const T1 = 'Kumar Table 1 (SPEC §2.4)';

/** Table 1's default PS per model (SPEC §2.4). */
const DEFAULT_PS: Record<string, number> = { resnet6: 69.1, resnet50: 68.2, resnet200: 67.6, 'vit-b8': 67.6, 'vit-l4': 67.9 };

/** A Table 1 gain column as comparisons: the run's best swept PS minus its default model's PS. */
function gains(
  column: string,
  values: Record<string, number>,
  where: (model: string) => { where: Record<string, WhereValue>; minus: Record<string, WhereValue>; pick?: 'final' | 'best' },
): PublishedComparison[] {
  return Object.entries(values).map(([model, gain]) => {
    const w = where(model);
    return { quantity: `${NAMES[model]} ${column} gain over the default`, published: gain, query: { measure: 'ps', where: w.where, minus: w.minus, pick: w.pick ?? 'best' } };
  });
}

const defaultPs = (model: string, extra: Record<string, WhereValue> = {}): PublishedComparison => ({
  quantity: `${NAMES[model]} default PS`, published: DEFAULT_PS[model], query: { measure: 'ps', where: { model, ...extra }, pick: 'final' },
});

export const PUBLISHED_VALUES: readonly PublishedValue[] = [
  // Fig. 1 / Fig. 4 (Kumar §5; SPEC §2.2–2.3).
  {
    figures: ['fig01', 'fig04'], label: 'ResNet-18 (52.0%, 68.5)', source: 'Kumar §5, Fig. 4 text (SPEC §2.3)', models: ['resnet18'],
    note: 'the best PS among out-of-the-box models; mean of 5 runs',
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'point', x: 52.0, y: 68.5 } }],
    compare: [
      { quantity: 'ResNet-18 top-1', published: 52.0, unit: '%', query: { measure: 'accuracy', where: { model: 'resnet18' }, pick: 'final' } },
      { quantity: 'ResNet-18 PS', published: 68.5, query: { measure: 'ps', where: { model: 'resnet18' }, pick: 'final' } },
    ],
  },
  {
    figures: ['fig01', 'fig04'], label: 'EfficientNet-B5 (66.3%, 67.2)', source: 'Kumar §5, Fig. 4 text (SPEC §2.3)', models: ['efficientnet-b5'],
    note: 'the worst PS among out-of-the-box models',
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'point', x: 66.3, y: 67.2 } }],
    compare: [
      { quantity: 'EfficientNet-B5 top-1', published: 66.3, unit: '%', query: { measure: 'accuracy', where: { model: 'efficientnet-b5' }, pick: 'final' } },
      { quantity: 'EfficientNet-B5 PS', published: 67.2, query: { measure: 'ps', where: { model: 'efficientnet-b5' }, pick: 'final' } },
    ],
  },
  {
    figures: ['fig04'], label: 'accuracy–PS correlation beyond the optimum −0.84', source: 'Kumar §5, Fig. 4 text (SPEC §2.3)',
    note: 'Pearson r over the models at or beyond the PS-optimal model\'s accuracy; the paper does not say which models it counted',
    compare: [{ quantity: 'Pearson r of top-1 and PS, models at or beyond the PS optimum', published: -0.84, digits: 2, query: { measure: 'correlation', where: {}, pick: 'final' } }],
  },
  {
    figures: ['fig01', 'fig04'], label: 'ResNet-6 default 69.1', source: 'Kumar §5 and Table 1 (SPEC §2.3, §2.4)', models: ['resnet6'],
    note: 'its accuracy is not given',
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'y', y: 69.1 } }],
    compare: [defaultPs('resnet6')],
  },
  {
    figures: ['fig01', 'fig04'], label: 'defaults of Table 1', source: T1, models: ['resnet50', 'resnet200', 'vit-b8', 'vit-l4'],
    status: 'inconsistent', note: 'ResNet-50 is 68.2 in Table 1 but 68.0 in the entropy section (SPEC §8.3)',
    compare: ['resnet50', 'resnet200', 'vit-b8', 'vit-l4'].map((m) => defaultPs(m)),
  },
  {
    figures: ['fig01'], label: 'best PS at 20–40% accuracy', source: 'Kumar Fig. 1 caption (SPEC §2.2)',
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'x-range', x: [20, 40] } }],
    compare: [{ quantity: 'top-1 of the best-PS model', published: [20, 40], digits: 0, unit: '%', query: { measure: 'accuracy', where: {}, pick: 'best' } }],
  },
  // Fig. 3 (Kumar §3.2; SPEC §4.1): the reference lines of the dynamic-range plot.
  { figures: ['fig03'], label: 'AlexNet 68.9', source: 'Kumar Fig. 3 / LPIPS Table 5 (SPEC §4.1, §2.6)', draw: [{ on: { chart: 'dynamic-range' }, at: { kind: 'y', y: 68.9 } }] },
  { figures: ['fig03'], label: 'untrained network 64.3', source: 'Kumar Fig. 3 / LPIPS Table 5 (SPEC §4.1, §2.6)', draw: [{ on: { chart: 'dynamic-range' }, at: { kind: 'y', y: 64.3 } }] },
  { figures: ['fig03'], label: 'FSIMc 63.8', source: 'Kumar Fig. 3 / LPIPS Table 5 (SPEC §4.1, §2.6)', draw: [{ on: { chart: 'dynamic-range' }, at: { kind: 'y', y: 63.8 } }] },
  {
    figures: ['fig03'], label: 'upper bound ≈ 80', source: 'Kumar §3.2 ("from the upper bound (∼0.8)", SPEC §4.1)', status: 'approximate',
    note: 'the σ → 0 limit; SPEC infers it equals the oracle mean(max(p, 1−p)), which the run records',
    draw: [{ on: { chart: 'dynamic-range' }, at: { kind: 'y', y: 80 } }],
  },
  // Fig. 5 (Kumar §6 "train epochs"; SPEC §2.5, §3.3).
  {
    figures: ['fig05'], label: 'ResNet-50/200 p_max 69.7', source: 'Kumar §6, Fig. 5 text (SPEC §2.5)', models: ['resnet50', 'resnet200'],
    note: '"at the first few epochs of training"',
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'y', y: 69.7 } }, { on: { chart: 'sweep', key: 'step', y: 'ps', unit: 'epoch' }, at: { kind: 'y', y: 69.7 } }],
    compare: ['resnet50', 'resnet200'].map((m) => ({ quantity: `${NAMES[m]} p_max over epochs`, published: 69.7, query: { measure: 'ps', where: { model: m }, pick: 'best' } }) as const),
  },
  {
    figures: ['fig05'], label: 'ResNets a(p_max) 15–25%', source: 'Kumar §6, Fig. 5 text (SPEC §2.5)', models: RESNETS,
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'x-range', x: [15, 25] } }],
    compare: RESNETS.map((m) => ({ quantity: `${NAMES[m]} a(p_max) over epochs`, published: [15, 25], digits: 0, unit: '%', query: { measure: 'accuracy', where: { model: m }, pick: 'best' } }) as const),
  },
  {
    figures: ['fig05'], label: 'ViTs p_max 68.4', source: 'Kumar §6, Fig. 5 text (SPEC §2.5)', models: VITS,
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'y', y: 68.4 } }, { on: { chart: 'sweep', key: 'step', y: 'ps', unit: 'epoch' }, at: { kind: 'y', y: 68.4 } }],
    compare: VITS.map((m) => ({ quantity: `${NAMES[m]} p_max over epochs`, published: 68.4, query: { measure: 'ps', where: { model: m }, pick: 'best' } }) as const),
  },
  {
    figures: ['fig05'], label: 'ViTs a(p_max) 40–50%', source: 'Kumar §6, Fig. 5 text (SPEC §2.5)', models: VITS,
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'x-range', x: [40, 50] } }],
    compare: VITS.map((m) => ({ quantity: `${NAMES[m]} a(p_max) over epochs`, published: [40, 50], digits: 0, unit: '%', query: { measure: 'accuracy', where: { model: m }, pick: 'best' } }) as const),
  },
  {
    figures: ['fig05'], label: 'ViT peak ≈ 60 epochs', source: 'Kumar §6, Fig. 5 text (SPEC §2.5)', status: 'approximate', models: VITS,
    draw: [{ on: { chart: 'sweep', key: 'step', y: 'ps', unit: 'epoch' }, at: { kind: 'x', x: 60 } }],
  },
  {
    figures: ['fig05'], label: 'Table 1 Train Steps', source: T1, models: [...RESNETS, ...VITS],
    compare: gains('Train Steps', { resnet6: 0.5, resnet50: 1.5, resnet200: 1.9, 'vit-b8': 1.1, 'vit-l4': 0.5 }, (model) => ({ where: { model }, minus: { model } })),
  },
  // Fig. 6 (Kumar §6 "width and depth"; SPEC §2.5, §3.3, §8.3).
  {
    figures: ['fig06'], label: 'ResNet-6 width p_max (20%, 69.6)', source: 'Kumar §6, Fig. 6a text (SPEC §2.5)', models: ['resnet6'],
    status: 'inconsistent', note: 'Table 1 implies 69.1 + 0.4 = 69.5 for the width sweep (SPEC §8.3)',
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'point', x: 20, y: 69.6 } }, { on: { chart: 'sweep', key: 'width', y: 'ps' }, at: { kind: 'y', y: 69.6 } }],
    compare: [
      { quantity: 'ResNet-6 p_max over widths', published: 69.6, query: { measure: 'ps', where: { model: 'resnet6', width: [0.0625, 0.125, 0.25, 0.5, 1] }, pick: 'best' } },
      { quantity: 'ResNet-6 a(p_max) over widths', published: 20, digits: 0, unit: '%', query: { measure: 'accuracy', where: { model: 'resnet6', width: [0.0625, 0.125, 0.25, 0.5, 1] }, pick: 'best' } },
    ],
  },
  {
    figures: ['fig06'], label: 'ResNet-200 width p_max (65%, 67.6)', source: 'Kumar §6, Fig. 6a text (SPEC §2.5)', models: ['resnet200'],
    status: 'inconsistent', note: 'Table 1 implies 67.6 + 0.2 = 67.8 for the width sweep (SPEC §8.3)',
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'point', x: 65, y: 67.6 } }, { on: { chart: 'sweep', key: 'width', y: 'ps' }, at: { kind: 'y', y: 67.6 } }],
    compare: [
      { quantity: 'ResNet-200 p_max over widths', published: 67.6, query: { measure: 'ps', where: { model: 'resnet200', width: [0.0625, 0.125, 0.25, 0.5, 1] }, pick: 'best' } },
      { quantity: 'ResNet-200 a(p_max) over widths', published: 65, digits: 0, unit: '%', query: { measure: 'accuracy', where: { model: 'resnet200', width: [0.0625, 0.125, 0.25, 0.5, 1] }, pick: 'best' } },
    ],
  },
  {
    figures: ['fig06'], label: 'ResNet-6/50 best width 25%', source: 'Kumar §6 (SPEC §2.5)', models: ['resnet6', 'resnet50'],
    draw: [{ on: { chart: 'sweep', key: 'width', y: 'ps' }, at: { kind: 'x', x: 0.25 } }],
    compare: ['resnet6', 'resnet50'].map((m) => ({ quantity: `${NAMES[m]} width at p_max`, published: 0.25, digits: 4, query: { measure: 'key', key: 'width', where: { model: m }, pick: 'best' } }) as const),
  },
  {
    figures: ['fig06'], label: 'ViT-B/8 best width 6%', source: 'Kumar §6 (SPEC §2.5)', models: ['vit-b8'],
    draw: [{ on: { chart: 'sweep', key: 'width', y: 'ps' }, at: { kind: 'x', x: 0.06 } }],
    compare: [{ quantity: 'ViT-B/8 width at p_max', published: 0.06, digits: 4, query: { measure: 'key', key: 'width', where: { model: 'vit-b8', depth: 12 }, pick: 'best' } }],
  },
  {
    figures: ['fig06'], label: 'ViT-L/4 best width 12%', source: 'Kumar §6 (SPEC §2.5)', models: ['vit-l4'],
    draw: [{ on: { chart: 'sweep', key: 'width', y: 'ps' }, at: { kind: 'x', x: 0.12 } }],
    compare: [{ quantity: 'ViT-L/4 width at p_max', published: 0.12, digits: 4, query: { measure: 'key', key: 'width', where: { model: 'vit-l4', depth: 24 }, pick: 'best' } }],
  },
  {
    figures: ['fig06'], label: 'ViT width a(p_max) 20–30%', source: 'Kumar §6 (SPEC §2.5)', models: VITS, panels: ['6c'],
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'x-range', x: [20, 30] } }],
    compare: VITS.map((m) => ({ quantity: `${NAMES[m]} a(p_max) over widths`, published: [20, 30], digits: 0, unit: '%', query: { measure: 'accuracy', where: { model: m, depth: VIT_DEPTH[m] }, pick: 'best' } }) as const),
  },
  {
    figures: ['fig06'], label: 'ViT depth a(p_max) 45–50%', source: 'Kumar §6 (SPEC §2.5)', models: VITS, panels: ['6e'],
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'x-range', x: [45, 50] } }],
    compare: VITS.map((m) => ({ quantity: `${NAMES[m]} a(p_max) over depths`, published: [45, 50], digits: 0, unit: '%', query: { measure: 'accuracy', where: { model: m, width: 1 }, pick: 'best' } }) as const),
  },
  {
    figures: ['fig06'], label: 'ViT best depth 2 blocks', source: 'Kumar §6 (SPEC §2.5)', models: VITS,
    draw: [{ on: { chart: 'sweep', key: 'depth', y: 'ps' }, at: { kind: 'x', x: 2 } }],
    compare: VITS.map((m) => ({ quantity: `${NAMES[m]} depth at p_max`, published: 2, digits: 0, query: { measure: 'key', key: 'depth', where: { model: m, width: 1 }, pick: 'best' } }) as const),
  },
  {
    figures: ['fig06'], label: 'Table 1 Width and Depth', source: T1, models: [...RESNETS, ...VITS],
    compare: [
      ...gains('Width', { resnet6: 0.4, resnet50: 0.4, resnet200: 0.2, 'vit-b8': 1.1, 'vit-l4': 0.4 }, (model) => {
        const depth: Record<string, WhereValue> = VIT_DEPTH[model] !== undefined ? { depth: VIT_DEPTH[model] } : {};
        return { where: { model, width: [0.0625, 0.125, 0.25, 0.5], ...depth }, minus: { model, width: 1, ...depth } };
      }),
      ...gains('Depth', { 'vit-b8': 1.0, 'vit-l4': 0.4 }, (model) => ({
        where: { model, width: 1, depth: [1, 2, 4, 8, 16].filter((d) => d < VIT_DEPTH[model]) }, minus: { model, width: 1, depth: VIT_DEPTH[model] },
      })),
    ],
  },
  // Fig. 7 (SPEC §2.4, §3.3): the Central Crop column of Table 1.
  {
    figures: ['fig07'], label: 'Table 1 Central Crop', source: T1, models: [...RESNETS, ...VITS],
    note: 'the paper: every architecture moves to lower accuracy and higher PS except ViT-L/4 (SPEC §3.3)',
    compare: [
      ...gains('Central Crop', { resnet6: 0.0, resnet50: 0.7, resnet200: 1.2, 'vit-b8': 0.9, 'vit-l4': -1.1 }, (model) => ({
        where: { model, crop: 'central' }, minus: { model, crop: 'inception' }, pick: 'final',
      })),
      ...[...RESNETS, ...VITS].map((m) => defaultPs(m, { crop: 'inception' })),
    ],
  },
  // Fig. 8 (SPEC §2.4, §2.5, §3.2).
  {
    figures: ['fig08'], label: 'default 1e-4: worst PS', source: 'Kumar §6 (SPEC §2.5, §3.3)', models: RESNETS,
    note: 'the ResNet default ("around 10^-4") gives the worst PS and the best accuracy; the ViT default is 0.3 (a recipe not used here)',
    draw: [{ on: { chart: 'sweep', key: 'weightDecay', y: 'ps' }, at: { kind: 'x', x: 1e-4 } }],
  },
  {
    figures: ['fig08'], label: 'Table 1 Weight Decay', source: T1, models: [...RESNETS, ...VITS],
    note: 'the paper\'s ViT default weight decay is 0.3; these workflows centre the ViT grid on 1e-4',
    compare: gains('Weight Decay', { resnet6: 0.3, resnet50: 0.7, resnet200: 1.3, 'vit-b8': 1.3, 'vit-l4': -0.1 }, (model) => ({
      where: { model, weightDecay: [1e-6, 1e-5, 3e-5, 3e-4, 1e-3] }, minus: { model, weightDecay: 1e-4 },
    })),
  },
  // Fig. 9: no numbers beyond Table 1's defaults (SPEC §3.3).
  {
    figures: ['fig09'], label: 'Table 1 defaults', source: T1, models: [...RESNETS, ...VITS],
    note: 'the paper gives no numbers for the label-smoothing and dropout sweeps',
    compare: [...RESNETS, ...VITS].map((m) => defaultPs(m, { labelSmoothing: 0, dropout: 0 })),
  },
  // Fig. 11 (Kumar §8.1; SPEC §2.5).
  ...([
    ['ResNet-6 Local 69.1', 'resnet6', 'local', 69.1, 'final'],
    ['ResNet-6 Mean Pool 69.7', 'resnet6', 'mean-pool', 69.7, 'final'],
    ['ResNet-6 Style 69.5', 'resnet6', 'style', 69.5, 'final'],
    ['early-stopped ResNet-200 Local 69.5', 'resnet200', 'local', 69.5, 'best'],
    ['early-stopped ResNet-200 Mean Pool 69.8', 'resnet200', 'mean-pool', 69.8, 'best'],
    ['early-stopped ResNet-200 Style 69.7', 'resnet200', 'style', 69.7, 'best'],
    ['early-stopped ResNet-6 Mean Pool 70.2', 'resnet6', 'mean-pool', 70.2, 'best'],
  ] as const).map(([label, model, distance, ps, pick]): PublishedValue => ({
    figures: ['fig11'], label, source: 'Kumar §8.1 (SPEC §2.5)', models: [model], panels: pick === 'final' ? ['11a'] : ['11b', '11b-resnet6'],
    ...(pick === 'best' ? { note: 'early-stopped: the run\'s value is the best PS over its checkpoints' } : {}),
    draw: [{ on: FIG_PS_VS_ACC, at: { kind: 'y', y: ps } }],
    compare: [{ quantity: `${label.replace(/ [\d.]+$/, '')} PS`, published: ps, query: { measure: 'ps', where: { model, distance }, pick } }],
  })),
  // Fig. 14 (SPEC §3.3): at all 1000 classes, the defaults of Table 1.
  ...(['resnet6', 'resnet200'] as const).map((model): PublishedValue => ({
    figures: ['fig14'], label: `${NAMES[model]} 1000 classes ${DEFAULT_PS[model]}`, source: T1, models: [model], status: 'inferred',
    note: 'Table 1\'s default PS, placed at 1000 classes because the default model trains on all of ImageNet; the paper gives no subset numbers',
    draw: [{ on: { chart: 'sweep', key: 'classes', y: 'ps' }, at: { kind: 'point', x: 1000, y: DEFAULT_PS[model] } }],
    compare: [{ quantity: `${NAMES[model]} PS with 1000 classes`, published: DEFAULT_PS[model], query: { measure: 'ps', where: { model, classes: 1000 }, pick: 'final' } }],
  })),
  // Figs. 15–16 (Kumar §8.5; SPEC §2.5, §4.7).
  {
    figures: ['fig15'], label: 'ResNet-6 entropy ≈ 0.5 (best PS)', source: 'Kumar §8.5 (SPEC §2.5, §4.7)', status: 'approximate', models: ['resnet6'], panels: ['15d'],
    draw: [
      { on: { chart: 'ps-vs-entropy' }, at: { kind: 'x', x: 0.5 } },
      { on: { chart: 'sweep', key: 'model', y: 'entropy' }, at: { kind: 'point', x: 6, y: 0.5 } },
    ],
    compare: [{ quantity: 'ResNet-6 mean entropy', published: 0.5, digits: 2, query: { measure: 'entropy', where: { model: 'resnet6', skip: true }, pick: 'final' } }],
  },
  {
    figures: ['fig15'], label: 'ResNet-50 (≈ 0.7, PS 68.0)', source: 'Kumar §8.5 (SPEC §2.5, §4.7)', status: 'inconsistent', models: ['resnet50'], panels: ['15d'],
    note: 'entropy "around 0.7"; PS 68.0 here but 68.2 in Table 1 (SPEC §8.3)',
    draw: [
      { on: { chart: 'ps-vs-entropy' }, at: { kind: 'point', x: 0.7, y: 68.0 } },
      { on: { chart: 'sweep', key: 'model', y: 'entropy' }, at: { kind: 'point', x: 50, y: 0.7 } },
    ],
    compare: [
      { quantity: 'ResNet-50 mean entropy', published: 0.7, digits: 2, query: { measure: 'entropy', where: { model: 'resnet50', skip: true }, pick: 'final' } },
      { quantity: 'ResNet-50 PS', published: 68.0, query: { measure: 'ps', where: { model: 'resnet50', skip: true }, pick: 'final' } },
    ],
  },
  {
    figures: ['fig15'], label: 'ResNet-200 first epochs: entropy 0.9–1.0', source: 'Kumar §8.5 (SPEC §2.5, §4.7)', models: ['resnet200'], panels: ['15b'],
    note: 'the stage entropies during the first few epochs',
    draw: [
      { on: { chart: 'ps-vs-entropy' }, at: { kind: 'x-range', x: [0.9, 1.0] } },
      { on: { chart: 'sweep', key: 'step', y: 'entropy', unit: 'epoch' }, at: { kind: 'y-range', y: [0.9, 1.0] } },
    ],
  },
];

/** The published values of one figure. */
export function publishedFor(figure: PaperFigure): PublishedValue[] {
  return PUBLISHED_VALUES.filter((v) => v.figures.includes(figure));
}

/** What the paper says about figures that have no number to draw (for the report's notes). */
export const NO_NUMBERS: Partial<Record<PaperFigure, string>> = {
  fig09: 'Fig. 9: the paper gives no numbers for label smoothing or dropout; only Table 1\'s defaults are compared (SPEC §3.3).',
  fig10: 'Fig. 10: the paper gives no numbers; Table 1 holds the published values (SPEC §2.4, §3.3).',
  fig12: 'Fig. 12: the paper gives no numbers: no positive correlation between margin and PS, and ResNet-200\'s margin stays fairly constant over epochs (SPEC §4.3).',
  fig13: 'Fig. 13: the paper gives no numbers: the best layer is the 4×4 stage (layer 3) at every depth (SPEC §4.5).',
  fig16: 'Fig. 16: the paper gives no numbers: without skips ResNets train only up to depth 50, entropy rises, ResNet-6 and early-stopped models stay best (SPEC §4.7).',
  fig17: 'Fig. 17: the paper gives no numbers: ResNet-6 has a steeper normalised-accuracy slope at r = 40–50 than ResNet-200 (SPEC §4.8).',
  table5: 'LPIPS Table 5: the published rows are in the Table 5 layout (SPEC §2.6).',
  table1: 'Table 1: the published rows are in the Table 1 layout (SPEC §2.4).',
};
