/**
 * A report as data: provenance, tables and chart specs. Builders fill it; the HTML, Markdown and PNG
 * writers render it. Keeping it format-neutral means one report can be written in every format.
 */
import type { VegaLiteSpec } from '../charts/common.js';
import type { RunProvenance } from '../run/read-run.js';
import type { Table } from '../tables/model.js';

export interface ReportChart {
  /** File-name-safe id, e.g. "ps-vs-accuracy". */
  id: string;
  title: string;
  spec: VegaLiteSpec;
  /** Shown under the chart: what the points are and where published values come from. */
  caption?: string;
}

export interface ReportTable {
  id: string;
  table: Table;
}

export interface ReportDocument {
  title: string;
  /** Where the numbers came from (a run's manifest), when they came from a run. */
  provenance?: RunProvenance & {
    runDir?: string;
    steps?: ProvenanceStep[];
    /** Shown instead of the raw status, e.g. "in progress (report written by step report)". */
    statusText?: string;
  };
  tables: ReportTable[];
  charts: ReportChart[];
  /** Things the reader should know, e.g. cells that could not be paired. */
  notes: string[];
}

export interface ProvenanceStep {
  step: string;
  cell: string;
  uses?: string;
  status?: string;
  artifactHash?: string;
  /** Engine/provider summary recorded by the job, when present. */
  engine?: string;
}

const ID = /^[a-z0-9][a-z0-9-]*$/;

/** Checks ids are unique and file-name safe, since they become file names and HTML anchors. */
export function checkDocument(doc: ReportDocument): void {
  const ids = new Set<string>();
  for (const item of [...doc.tables, ...doc.charts]) {
    if (!ID.test(item.id)) throw new TypeError(`report item id "${item.id}" must be lower-case kebab-case`);
    if (ids.has(item.id)) throw new TypeError(`report item id "${item.id}" is used twice`);
    ids.add(item.id);
  }
}
