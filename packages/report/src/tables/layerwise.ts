/**
 * Layer-wise Perceptual Score tables (Kumar §8.3 / Fig. 13 as numbers): the score of each tapped
 * layer alone, next to the score of all layers combined. Rows are grouped into one table per set of
 * tap names, so every column header is a real tap name ("relu3", "layer2") rather than an index that
 * means different layers for different backbones.
 */
import { InputError } from '@percept/core';
import type { Table, TableColumn } from './model.js';

export interface LayerTableEntry {
  label: string;
  description?: string;
  /** In the job's layer order. */
  perLayer: Array<{ layer: string; ps: number }>;
  /** The distance's score with every layer combined. */
  combined?: number;
  bestLayer?: { layer: string; ps: number };
}

export interface LayerTableOptions {
  title?: string;
  digits?: number;
}

/** One table per distinct tap list, in order of first appearance. */
export function buildLayerwiseTables(entries: LayerTableEntry[], options: LayerTableOptions = {}): Table[] {
  const digits = options.digits ?? 1;
  const groups = new Map<string, LayerTableEntry[]>();
  for (const [i, e] of entries.entries()) {
    if (!Array.isArray(e.perLayer) || e.perLayer.length === 0) {
      throw new InputError(`layer-wise table input [${i}] (${e.label}): "perLayer" must be a non-empty array`);
    }
    for (const [j, l] of e.perLayer.entries()) {
      if (typeof l.ps !== 'number' || !Number.isFinite(l.ps)) {
        throw new InputError(`layer-wise table input [${i}] (${e.label}): perLayer[${j}].ps (${l.layer}) must be a finite number, got ${JSON.stringify(l.ps)}`);
      }
    }
    const key = e.perLayer.map((l) => l.layer).join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const many = groups.size > 1;
  return [...groups.values()].map((rows) => {
    const taps = rows[0].perLayer.map((l) => l.layer);
    const columns: TableColumn[] = [
      { key: 'label', label: 'Series', align: 'left' },
      ...taps.map((t) => ({ key: `l:${t}`, label: t, digits })),
      { key: 'combined', label: 'All layers', digits },
      { key: 'best', label: 'Best layer', align: 'left' as const },
    ];
    return {
      title: `${options.title ?? 'Layer-wise Perceptual Score'}${many ? ` (taps ${taps[0]} … ${taps[taps.length - 1]})` : ''}`,
      columns,
      rows: rows.map((e) => ({
        cells: {
          label: e.label,
          ...Object.fromEntries(e.perLayer.map((l) => [`l:${l.layer}`, l.ps])),
          combined: e.combined ?? null,
          best: e.bestLayer ? `${e.bestLayer.layer} (${e.bestLayer.ps.toFixed(digits)})` : null,
        },
      })),
      notes: ['PS of each layer\'s distance alone (mean over subsets, 2AFC ×100); "All layers" is the distance as configured.'],
    };
  });
}
