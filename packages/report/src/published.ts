/**
 * Published numbers the charts and tables may show beside measured ones. They are always labelled
 * "published" so a reader never mistakes them for results of the current run. Values: SPEC.md §2.2,
 * §2.6 (LPIPS Table 5) and §9.
 */

/** BAPPS 2AFC val subsets in LPIPS Table 5 column order. */
export const BAPPS_DISTORTION_SUBSETS = ['traditional', 'cnn'] as const;
export const BAPPS_REAL_SUBSETS = ['superres', 'deblur', 'color', 'frameinterp'] as const;
export const BAPPS_SUBSETS = [...BAPPS_DISTORTION_SUBSETS, ...BAPPS_REAL_SUBSETS] as const;
export type BappsSubset = (typeof BAPPS_SUBSETS)[number];

export interface PublishedReference {
  label: string;
  /** Perceptual Score (2AFC ×100, mean of the 6 val subsets). */
  ps: number;
  source: string;
}

/** The horizontal reference lines of the PS-vs-accuracy chart (Kumar Fig. 1/3, SPEC §9). */
export const PUBLISHED_PS_LINES: readonly PublishedReference[] = [
  { label: 'Human (published)', ps: 73.9, source: 'LPIPS Table 5' },
  { label: 'AlexNet (published)', ps: 68.9, source: 'LPIPS Table 5' },
  { label: 'Random network (published)', ps: 64.3, source: 'LPIPS Table 5' },
  { label: 'FSIMc (published)', ps: 63.8, source: 'LPIPS Table 5' },
];

export interface PublishedTable5Row {
  group: string;
  method: string;
  /** Per-subset 2AFC ×100 as printed. */
  perSubset: Record<BappsSubset, number>;
  /** The aggregate columns as printed (the paper computed them from unrounded values). */
  distortionsAll: number;
  realAll: number;
  all: number;
}

type Row = [group: string, method: string, trad: number, cnn: number, distAll: number, sr: number, deblur: number, color: number, fi: number, realAll: number, all: number];

// LPIPS paper Table 5, copied from SPEC.md §2.6 in printed column order.
const TABLE5: Row[] = [
  ['Oracle', 'Human', 80.8, 84.4, 82.6, 73.4, 67.1, 68.8, 68.6, 69.5, 73.9],
  ['Low-level', 'L2', 59.9, 77.8, 68.9, 64.7, 58.2, 63.5, 55.0, 60.3, 63.2],
  ['Low-level', 'SSIM', 60.3, 79.1, 69.7, 65.1, 58.6, 58.1, 57.7, 59.8, 63.1],
  ['Low-level', 'FSIMc', 61.4, 78.6, 70.0, 68.1, 59.5, 57.3, 57.7, 60.6, 63.8],
  ['Low-level', 'HDR-VDP', 57.4, 76.8, 67.1, 64.7, 59.0, 53.7, 56.6, 58.5, 61.4],
  ['Net (Random)', 'Gaussian', 60.5, 80.7, 70.6, 64.9, 59.5, 62.8, 57.2, 61.1, 64.3],
  ['Net (Unsupervised)', 'K-means', 66.6, 83.0, 74.8, 67.3, 59.8, 63.1, 59.8, 62.5, 66.6],
  ['Net (Self-sup.)', 'Watching', 66.5, 80.7, 73.6, 69.6, 60.6, 64.4, 61.6, 64.1, 67.2],
  ['Net (Self-sup.)', 'Split-Brain', 69.5, 81.4, 75.5, 69.6, 59.3, 64.3, 61.1, 63.6, 67.5],
  ['Net (Self-sup.)', 'Puzzle', 71.5, 82.0, 76.8, 70.2, 60.2, 62.8, 61.8, 63.8, 68.1],
  ['Net (Self-sup.)', 'BiGAN', 69.8, 83.0, 76.4, 70.7, 60.5, 63.7, 62.5, 64.4, 68.4],
  ['Net (Supervised)', 'SqueezeNet', 73.3, 82.6, 78.0, 70.1, 60.1, 63.6, 62.0, 64.0, 68.6],
  ['Net (Supervised)', 'AlexNet', 70.6, 83.1, 76.8, 71.7, 60.7, 65.0, 62.7, 65.0, 68.9],
  ['Net (Supervised)', 'VGG', 70.1, 81.3, 75.7, 69.0, 59.0, 60.2, 62.1, 62.6, 67.0],
  ['LPIPS', 'Squeeze – lin', 76.1, 83.5, 79.8, 71.1, 60.8, 65.3, 63.2, 65.1, 70.0],
  ['LPIPS', 'Alex – lin', 73.9, 83.4, 78.7, 71.5, 61.2, 65.3, 63.2, 65.3, 69.8],
  ['LPIPS', 'VGG – lin', 76.0, 82.8, 79.4, 70.5, 60.5, 62.5, 63.0, 64.1, 69.2],
  ['LPIPS', 'Squeeze – scratch', 74.9, 83.1, 79.0, 71.1, 60.8, 63.0, 62.4, 64.3, 69.2],
  ['LPIPS', 'Alex – scratch', 77.6, 82.8, 80.2, 71.1, 61.0, 65.6, 63.3, 65.2, 70.2],
  ['LPIPS', 'VGG – scratch', 77.9, 83.7, 80.8, 71.1, 60.6, 64.0, 62.9, 64.6, 70.0],
  ['LPIPS', 'Squeeze – tune', 76.7, 83.2, 79.9, 70.4, 61.1, 63.2, 63.2, 64.5, 69.6],
  ['LPIPS', 'Alex – tune', 77.7, 83.5, 80.6, 69.1, 60.5, 64.8, 62.9, 64.3, 69.7],
  ['LPIPS', 'VGG – tune', 79.3, 83.5, 81.4, 69.8, 60.5, 63.4, 62.3, 64.0, 69.8],
];

export const PUBLISHED_TABLE5: readonly PublishedTable5Row[] = TABLE5.map(
  ([group, method, traditional, cnn, distortionsAll, superres, deblur, color, frameinterp, realAll, all]) => ({
    group,
    method,
    perSubset: { traditional, cnn, superres, deblur, color, frameinterp },
    distortionsAll,
    realAll,
    all,
  }),
);

/** Kumar et al. 2022 Table 1 (SPEC §2.4): default PS, the PS gain of scaling down along each hyperparameter, best PS. */
export interface PublishedTable1Row {
  /** Model key as the paper workflows name it (group "<model>/<sweep>"). */
  model: string;
  label: string;
  default: number;
  /** Sweep key → gain (null: "-" in the paper, not swept). */
  gains: Record<string, number | null>;
  best: number;
}

/** Table 1 columns: sweep key (as in group names "<model>/<sweep>") and the paper's header. */
export const TABLE1_SWEEPS: ReadonlyArray<{ key: string; label: string }> = [
  { key: 'width', label: 'Width' },
  { key: 'depth', label: 'Depth' },
  { key: 'weight-decay', label: 'Weight Decay' },
  { key: 'central-crop', label: 'Central Crop' },
  { key: 'train-steps', label: 'Train Steps' },
];

type T1 = [model: string, label: string, def: number, width: number, depth: number | null, wd: number, crop: number, steps: number, best: number];
// Copied from SPEC.md §2.4 (read from the Google AI blog copy of Table 1).
const TABLE1: T1[] = [
  ['resnet6', 'ResNet-6', 69.1, 0.4, null, 0.3, 0.0, 0.5, 69.6],
  ['resnet50', 'ResNet-50', 68.2, 0.4, null, 0.7, 0.7, 1.5, 69.7],
  ['resnet200', 'ResNet-200', 67.6, 0.2, null, 1.3, 1.2, 1.9, 69.5],
  ['vit-b8', 'ViT B/8', 67.6, 1.1, 1.0, 1.3, 0.9, 1.1, 68.9],
  ['vit-l4', 'ViT L/4', 67.9, 0.4, 0.4, -0.1, -1.1, 0.5, 68.4],
];

export const PUBLISHED_TABLE1: readonly PublishedTable1Row[] = TABLE1.map(([model, label, def, width, depth, wd, crop, steps, best]) => ({
  model, label, default: def, best,
  gains: { width, depth, 'weight-decay': wd, 'central-crop': crop, 'train-steps': steps },
}));
