/**
 * The `pareto` job: frontier, p_max / a(p_max) per sweep and Table-1 gains, from a list of models
 * given inline (`points`) and/or gathered from upstream perceptual-score and accuracy steps (`from`).
 *
 * `from` reads the run this step belongs to with the same reader and the same pairing rule as the
 * report (run-artifacts.ts): a PS cell is paired with the accuracy cell whose matrix values agree on
 * every shared key. The steps named there must be listed in the step's `needs`, so they finish first
 * and their artifacts are part of this cell's cache key.
 */
import { InputError, type JobContext, type JobContribution, type JSONSchema, type JsonValue } from '@percept/core';
import { findAccuracyPercent, matrixValuesAgree, readRun, type StepView } from '../run-artifacts.js';
import { paretoAnalysis, type ModelPoint } from './pareto.js';

const pointSchema: JSONSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', minLength: 1, description: 'Model name, unique in the list.' },
    accuracy: { type: 'number', description: 'Classification accuracy (any consistent scale, e.g. % top-1).' },
    ps: { type: 'number', description: 'Perceptual Score (e.g. the `ps` output of a perceptual-score step).' },
    group: { type: 'string', description: 'Sweep the model belongs to (one curve of Fig. 10, one column of Table 1).' },
  },
  required: ['id', 'accuracy', 'ps'],
  additionalProperties: false,
};

const steps: JSONSchema = {
  oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }],
};

const fromSchema: JSONSchema = {
  type: 'object',
  properties: {
    ps: { ...steps, description: 'perceptual-score step(s): one point per succeeded cell.' },
    accuracy: { ...steps, description: 'accuracy step(s): each PS cell takes the accuracy (top-1, %) of the cell whose matrix values agree on every shared key.' },
    group: { type: 'string', minLength: 1, description: 'The sweep these points form (e.g. "resnet200/width"). Default: the first ps step id.' },
    distance: { type: 'string', minLength: 1, description: 'Which distance\'s PS to take (a key of the perceptual-score `ps` output). Default: the only one.' },
    where: { type: 'object', description: 'Keep only PS cells whose matrix agrees with these values on the keys it has (e.g. { "step": "0112590" }).' },
  },
  required: ['ps', 'accuracy'],
  additionalProperties: false,
};

const outPoint: JSONSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, accuracy: { type: 'number' }, ps: { type: 'number' }, group: { type: 'string' },
    source: { type: 'object', description: 'For gathered points: psStep, accuracyStep, cell and matrix.' },
  },
};

export interface FromEntry {
  ps: string | string[];
  accuracy: string | string[];
  group?: string;
  distance?: string;
  where?: Record<string, JsonValue>;
}

interface GatheredPoint extends ModelPoint {
  source: { psStep: string; accuracyStep: string; cell: string; matrix: Record<string, JsonValue> | null };
}

export interface Gathered {
  points: GatheredPoint[];
  /** Cells of the named steps that gave no point, and why (skipped or failed cells, PS cells without an accuracy partner). */
  excluded: Array<{ step: string; cell: string; reason: string }>;
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const isObj = (v: unknown): v is Record<string, JsonValue> => typeof v === 'object' && v !== null && !Array.isArray(v);
const cellName = (s: StepView) => (s.cell ? `${s.step}[${s.cell}]` : s.step);

/** The PS of one perceptual-score cell: its `ps` map (distance → PS ×100), or a plain number. */
function psOf(s: StepView, distance: string | undefined, field: string): number {
  const o = s.outputs!;
  if (typeof o.ps === 'number' && Number.isFinite(o.ps)) {
    if (distance !== undefined) throw new InputError(`pareto: option "${field}.distance" is "${distance}", but ${cellName(s)} has a single "ps" number, not one per distance`);
    return o.ps;
  }
  if (!isObj(o.ps)) throw new InputError(`pareto: option "${field}.ps": ${cellName(s)} has no "ps" output (expected a perceptual-score result: { ps: { <distance>: number } })`);
  const keys = Object.keys(o.ps);
  const key = distance ?? (keys.length === 1 ? keys[0] : undefined);
  if (key === undefined) throw new InputError(`pareto: option "${field}.distance" is needed: ${cellName(s)} scored ${keys.length} distances (${keys.join(', ')})`);
  const v = o.ps[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`pareto: option "${field}.distance": ${cellName(s)} has no PS for distance "${key}" (it has: ${keys.join(', ')})`);
  return v;
}

/**
 * Gathers { id, accuracy, ps, group } points from the run's upstream cells. Point ids are
 * `<ps step>[<cell>]` (the cell's directory name, e.g. `ps_resnet6[model=resnet6,step=0112590]`),
 * or the step id for a step without a matrix.
 */
export function gatherPoints(runDir: string, from: readonly FromEntry[]): Gathered {
  const run = readRun(runDir, { manifestOptional: true });
  const byStep = new Map<string, StepView[]>();
  for (const s of run.steps) byStep.set(s.step, [...(byStep.get(s.step) ?? []), s]);
  const cellsOf = (id: string, field: string): StepView[] => {
    const cells = byStep.get(id);
    if (!cells) {
      throw new InputError(`pareto: option "${field}" names step "${id}", which has no cell in run ${run.dir}`, {
        hint: `list "${id}" in this step's "needs" (steps in the run: ${[...byStep.keys()].join(', ') || 'none'})`,
      });
    }
    const open = cells.filter((c) => c.status === 'pending' || c.status === 'running');
    if (open.length) {
      throw new InputError(`pareto: option "${field}": step "${id}" has not finished (${open.map(cellName).join(', ')} ${open[0].status}); list it in this step's "needs" so it runs first`);
    }
    return cells;
  };
  const usable = (c: StepView) => c.outputs !== null && (c.status === undefined || c.status === 'succeeded');
  const points: GatheredPoint[] = [];
  const excluded: Gathered['excluded'] = [];
  from.forEach((entry, i) => {
    const field = `from[${i}]`;
    const psSteps = list(entry.ps);
    const accCells = list(entry.accuracy).flatMap((id) => cellsOf(id, `${field}.accuracy`));
    const group = entry.group ?? psSteps[0];
    for (const id of psSteps) {
      for (const c of cellsOf(id, `${field}.ps`)) {
        if (entry.where && c.matrix && Object.entries(entry.where).some(([k, v]) => k in c.matrix! && JSON.stringify(c.matrix![k]) !== JSON.stringify(v))) continue;
        if (!usable(c)) {
          excluded.push({ step: c.step, cell: c.cell, reason: c.status ?? 'no result' });
          continue;
        }
        const partners = accCells.filter((a) => matrixValuesAgree(c, a));
        if (partners.length > 1) {
          throw new InputError(`pareto: option "${field}": ${cellName(c)} matches ${partners.length} accuracy cells (${partners.map(cellName).join(', ')}); give the steps a matrix key that tells them apart`);
        }
        const acc = partners[0];
        if (!acc) {
          excluded.push({ step: c.step, cell: c.cell, reason: `no accuracy cell in ${list(entry.accuracy).join(', ')} with matching matrix values` });
          continue;
        }
        if (!usable(acc)) {
          excluded.push({ step: c.step, cell: c.cell, reason: `its accuracy cell ${cellName(acc)} is ${acc.status ?? 'without a result'}` });
          continue;
        }
        const accuracy = findAccuracyPercent(acc.outputs);
        if (accuracy === undefined) throw new InputError(`pareto: option "${field}.accuracy": ${cellName(acc)} has no top-1 accuracy (expected an accuracy result with "top1")`);
        points.push({
          id: cellName(c), accuracy, ps: psOf(c, entry.distance, field), group,
          source: { psStep: c.step, accuracyStep: acc.step, cell: c.cell, matrix: c.matrix },
        });
      }
    }
  });
  return { points, excluded };
}

function parseFrom(v: unknown): FromEntry[] {
  if (!Array.isArray(v)) throw new InputError(`pareto: option "from" must be an array of { ps, accuracy, group?, distance?, where? }, got ${JSON.stringify(v)}`);
  return v.map((e, i) => {
    if (!isObj(e)) throw new InputError(`pareto: option "from[${i}]" must be an object { ps, accuracy, group?, distance?, where? }, got ${JSON.stringify(e)}`);
    for (const k of ['ps', 'accuracy'] as const) {
      const s = e[k];
      const ok = (typeof s === 'string' && s !== '') || (Array.isArray(s) && s.length > 0 && s.every((x) => typeof x === 'string' && x !== ''));
      if (!ok) throw new InputError(`pareto: option "from[${i}].${k}" must be a step id or a non-empty array of step ids, got ${JSON.stringify(s)}`);
    }
    for (const k of ['group', 'distance'] as const) {
      if (e[k] !== undefined && (typeof e[k] !== 'string' || e[k] === '')) throw new InputError(`pareto: option "from[${i}].${k}" must be a non-empty string, got ${JSON.stringify(e[k])}`);
    }
    if (e.where !== undefined && !isObj(e.where)) throw new InputError(`pareto: option "from[${i}].where" must be an object of matrix values, got ${JSON.stringify(e.where)}`);
    const known = ['ps', 'accuracy', 'group', 'distance', 'where'];
    for (const k of Object.keys(e)) if (!known.includes(k)) throw new InputError(`pareto: option "from[${i}].${k}" is unknown; allowed: ${known.join(', ')}`);
    return e as unknown as FromEntry;
  });
}

export const paretoJob: JobContribution = {
  kind: 'job',
  name: 'pareto',
  description: 'PS-vs-accuracy Pareto frontier (both maximised), p_max and a(p_max) per sweep, and the PS gain of each sweep over its default model (Kumar Table 1, Fig. 10); points inline or gathered from upstream perceptual-score/accuracy steps.',
  optionsSchema: {
    type: 'object',
    properties: {
      points: { type: 'array', minItems: 1, items: pointSchema, description: 'Models given inline, one entry per trained model.' },
      from: {
        type: 'array',
        minItems: 1,
        items: fromSchema,
        description: 'Gather points from upstream steps of this run (list them in "needs"): each entry pairs perceptual-score cells with accuracy cells whose matrix values agree. Point ids are "<ps step>[<cell>]".',
      },
      baseline: {
        oneOf: [
          { type: 'string' },
          { type: 'object', additionalProperties: { type: 'string' } },
        ],
        description: 'Id of the default-hyperparameter model whose PS the gains are measured from: one id for all sweeps, or a sweep → id map.',
      },
    },
    anyOf: [{ required: ['points'] }, { required: ['from'] }],
    additionalProperties: false,
  },
  outputsSchema: {
    type: 'object',
    properties: {
      points: { type: 'array', items: outPoint, description: 'Every point analysed (inline first, then gathered), with the accuracy in the unit given (gathered: top-1 %).' },
      frontier: { type: 'array', items: outPoint, description: 'Non-dominated models, by accuracy ascending.' },
      groups: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          properties: {
            n: { type: 'integer' }, best: { type: 'string' }, pMax: { type: 'number' }, aPMax: { type: 'number' },
            baseline: { type: ['string', 'null'] }, baselinePS: { type: ['number', 'null'] }, gain: { type: ['number', 'null'] },
          },
        },
      },
      excluded: {
        type: 'array',
        items: { type: 'object', properties: { step: { type: 'string' }, cell: { type: 'string' }, reason: { type: 'string' } } },
        description: 'Cells named in "from" that gave no point (skipped, failed, or without an accuracy partner).',
      },
    },
    required: ['points', 'frontier', 'groups', 'excluded'],
  },
  async run(options, ctx: JobContext) {
    if (options.points !== undefined && !Array.isArray(options.points)) throw new InputError(`pareto: option "points" must be an array of { id, accuracy, ps, group? }, got ${JSON.stringify(options.points)}`);
    if (options.points === undefined && options.from === undefined) throw new InputError('pareto: give option "points" (models inline) or "from" (steps to gather them from), or both');
    const b = options.baseline;
    if (b !== undefined && typeof b !== 'string' && (typeof b !== 'object' || b === null || Array.isArray(b))) {
      throw new InputError(`pareto: option "baseline" must be a model id or a sweep → id object, got ${JSON.stringify(b)}`);
    }
    const inline = (options.points ?? []) as ModelPoint[];
    const gathered = options.from === undefined ? { points: [], excluded: [] } : gatherPoints(ctx.runDir, parseFrom(options.from));
    if (gathered.excluded.length) {
      ctx.log.info(`${ctx.stepId}: ${gathered.excluded.length} cell(s) gave no point: ${gathered.excluded.slice(0, 5).map((e) => `${e.step}[${e.cell}] (${e.reason})`).join('; ')}${gathered.excluded.length > 5 ? '; …' : ''}`);
    }
    const points: ModelPoint[] = [...inline, ...gathered.points];
    if (points.length === 0) {
      throw new InputError(`pareto: no point to analyse: every cell named in "from" was excluded (${gathered.excluded.map((e) => `${e.step}[${e.cell}]: ${e.reason}`).join('; ')})`);
    }
    // A baseline whose cell was excluded (e.g. skipped at this scale) leaves its sweeps without a gain
    // rather than failing the analysis; any other unknown id is still an error (paretoAnalysis).
    const gone = new Set(gathered.excluded.map((e) => (e.cell ? `${e.step}[${e.cell}]` : e.step)));
    let baseline = b as string | Record<string, string> | undefined;
    if (typeof baseline === 'string' && gone.has(baseline)) baseline = undefined;
    else if (baseline && typeof baseline === 'object') baseline = Object.fromEntries(Object.entries(baseline).filter(([, id]) => !gone.has(id)));
    const result = paretoAnalysis(points, baseline);
    const sourceOf = new Map(gathered.points.map((p) => [p.id, p.source]));
    const withSource = (p: ModelPoint) => (sourceOf.has(p.id) ? { ...p, source: sourceOf.get(p.id) } : p);
    return JSON.parse(JSON.stringify({
      points: points.map(withSource),
      frontier: result.frontier.map(withSource),
      groups: result.groups,
      excluded: gathered.excluded,
    })) as Record<string, JsonValue>;
  },
};
