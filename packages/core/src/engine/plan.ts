import { basename, dirname, resolve } from 'node:path';
import type { JsonValue } from '../contracts.js';
import { InputError, PerceptError } from '../errors.js';
import type { Registry } from '../registry.js';
import { canonicalJson, hashJson, sha256 } from '../util/canonical.js';
import { collectExpressions, interpolate } from '../workflow/expressions.js';
import { cellKeys, expandMatrix, type MatrixCell } from '../workflow/matrix.js';
import type { Workflow } from '../workflow/types.js';
import { resolveUses } from '../workflow/validate.js';
import { checkOptions } from './options.js';
import { evaluateCondition } from './condition.js';
import { cellToRun } from './portable.js';
import type { CellSpec, PlannedStep, WorkflowPlan } from './types.js';

/** Default workflow name: the file name without `.workflow.json` / `.json`. */
export function defaultWorkflowName(file: string): string {
  return basename(file).replace(/\.workflow\.json$|\.json$/i, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'workflow';
}

/** Turns a validated workflow into steps in dependency order with expanded matrices. */
export function planWorkflow(
  workflow: Workflow,
  args: { file: string; text: string; registry: Registry; env?: NodeJS.ProcessEnv; overrides?: string[] },
): WorkflowPlan {
  const env = args.env ?? process.env;
  const file = resolve(args.file);
  const ids = Object.keys(workflow.steps);
  const steps = new Map<string, PlannedStep>();
  const usedEnv: Record<string, string> = {};
  for (const id of ids) {
    const s = workflow.steps[id];
    const found = resolveUses(args.registry, s.uses);
    if (!found) throw new PerceptError(`Step "${id}" uses unknown job "${s.uses}".`);
    const template = (s.with ?? {}) as Record<string, JsonValue>;
    const deps = [...(s.needs ?? [])];
    const refs: string[] = [];
    const listRefs = new Set<string>();
    for (const { match } of collectExpressions(template, '')) {
      if (match.expr?.kind === 'steps' && !refs.includes(match.expr.step)) refs.push(match.expr.step);
      if (match.expr?.kind === 'steps' && !deps.includes(match.expr.step)) deps.push(match.expr.step);
      if (match.expr?.kind === 'steps' && !match.expr.matching) listRefs.add(match.expr.step);
      if (match.expr?.kind === 'env' && env[match.expr.name] !== undefined) usedEnv[match.expr.name] = env[match.expr.name]!;
    }
    const matrixCells = s.matrix ? expandMatrix(s.matrix) : [];
    const keys = cellKeys(matrixCells);
    steps.set(id, {
      id,
      uses: s.uses,
      kind: found.contribution.kind,
      contribution: found.contribution,
      plugin: found.plugin,
      deps,
      cells: s.matrix ? matrixCells.map((m, i) => ({ key: keys[i], matrix: m })) : [{ key: '', matrix: null }],
      template,
      continueOnError: s.continueOnError === true,
      refs,
      // Steps read only through `matching` references: a cell depends on its matched cells alone.
      matchedDeps: refs.filter((r) => !listRefs.has(r) && !(s.needs ?? []).includes(r)),
      ...(s.if ? { condition: evaluateCondition(s.if, dirname(file), env) } : {}),
    });
  }
  // Topological order, stable in file order (validation has already rejected cycles).
  const ordered: PlannedStep[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (id: string) => {
    if (done.has(id)) return;
    if (visiting.has(id)) throw new PerceptError(`Steps form a cycle through "${id}".`);
    visiting.add(id);
    for (const d of steps.get(id)!.deps) visit(d);
    visiting.delete(id);
    done.add(id);
    ordered.push(steps.get(id)!);
  };
  for (const id of ids) visit(id);
  return {
    name: workflow.name ?? defaultWorkflowName(file),
    file,
    baseDir: dirname(file),
    sha256: sha256(args.text),
    overrides: args.overrides ?? [],
    concurrency: workflow.concurrency,
    steps: ordered,
    env: usedEnv,
  };
}

/** What a finished upstream cell offers to the cells that depend on it. */
export interface UpstreamCell {
  cell: string;
  /** The cell's directory relative to the run directory. */
  dir: string;
  /** Its result as stored (portable form). */
  outputs: Record<string, JsonValue>;
  hash: string;
}

export function cellDirOf(step: string, cell: string): string {
  return cell ? `steps/${step}/${cell}` : `steps/${step}`;
}

/**
 * Resolves one cell: substitutes env, matrix and upstream outputs into the options, applies the
 * option schema's defaults, and derives the cache key from everything that determines the result.
 */
export function resolveCell(
  plan: WorkflowPlan,
  step: PlannedStep,
  index: number,
  upstream: ReadonlyMap<string, UpstreamCell[]>,
): CellSpec {
  const { key, matrix } = step.cells[index];
  const label = key ? `${step.id}[${key}]` : step.id;
  // The upstream cell each `matching` reference picked, by step: also this cell's only input from it.
  const matched = new Map<string, UpstreamCell>();
  const outputOf = (stepId: string, output: string, pointer: string, matching: boolean): JsonValue => {
    const cells = upstream.get(stepId);
    const dep = plan.steps.find((s) => s.id === stepId);
    if (!cells || !dep) throw new PerceptError(`${label}: step "${stepId}" has not produced outputs (option ${pointer}).`);
    const pick = (c: UpstreamCell) => {
      if (!Object.hasOwn(c.outputs, output)) {
        throw new InputError(
          `${label}: option ${pointer} refers to output "${output}" of step "${stepId}", but its result has only: ${Object.keys(c.outputs).join(', ') || 'nothing'}.`,
        );
      }
      return cellToRun(c.outputs[output], c.dir);
    };
    if (matching) {
      if (!matched.has(stepId)) matched.set(stepId, matchingCell(dep, cells, matrix, `${label}: option ${pointer}`));
      return pick(matched.get(stepId)!);
    }
    // A matrix step's output is the list of its cells' values, in matrix order.
    return dep.cells[0].matrix ? cells.map(pick) : pick(cells[0]);
  };
  const resolved = interpolate(step.template, (expr, pointer) => {
    if (expr.kind === 'env') {
      const v = plan.env[expr.name] ?? expr.default;
      if (v === undefined) throw new InputError(`${label}: environment variable ${expr.name} (option ${pointer}) is not set.`);
      return v;
    }
    if (expr.kind === 'matrix') {
      if (!matrix || !Object.hasOwn(matrix, expr.key)) {
        throw new InputError(`${label}: \${matrix.${expr.key}} (option ${pointer}) has no value in this cell.`);
      }
      return matrix[expr.key];
    }
    return outputOf(expr.step, expr.output, pointer, expr.matching === true);
  }) as Record<string, JsonValue>;
  const options = checkOptions(step.contribution, resolved, `${plan.file}: step ${label}`);
  const inputs = step.deps.flatMap((d) => {
    const one = step.matchedDeps?.includes(d) ? matched.get(d) : undefined;
    return (one ? [one] : upstream.get(d) ?? []).map((c) => ({ step: d, cell: c.cell, hash: c.hash }));
  });
  const cacheKey = hashJson({
    plugin: step.plugin.name,
    version: step.plugin.version,
    kind: step.kind,
    contribution: step.contribution.name,
    options,
    inputs: inputs.map((i) => i.hash),
  });
  return { step: step.id, cell: key, matrix, uses: step.uses, kind: step.kind, plugin: step.plugin, options, inputs, cacheKey };
}

/**
 * The one cell of `dep` whose matrix agrees with `matrix` on every key both have; anything else is
 * an error naming the values that were looked for.
 */
function matchingCell(dep: PlannedStep, cells: readonly UpstreamCell[], matrix: MatrixCell | null, where: string): UpstreamCell {
  const ref = `\${steps.${dep.id}.matching…}`;
  if (!matrix || !dep.cells[0].matrix) throw new InputError(`${where}: ${ref} needs a matrix on both steps.`);
  const shared = Object.keys(dep.cells[0].matrix).filter((k) => Object.hasOwn(matrix, k));
  const wanted = shared.map((k) => `${k}=${canonicalJson(matrix[k])}`);
  const found = cells.filter((_, i) => {
    const theirs = dep.cells[i].matrix!;
    return shared.every((k) => Object.hasOwn(theirs, k) && canonicalJson(theirs[k]) === canonicalJson(matrix[k]));
  });
  if (found.length === 1) return found[0];
  throw new InputError(found.length === 0
    ? `${where}: ${ref}: step "${dep.id}" has no cell with ${wanted.join(', ') || 'a shared matrix key'}.`
    : `${where}: ${ref}: ${found.length} cells of step "${dep.id}" have ${wanted.join(', ')}; add the matrix keys that tell them apart to this step.`);
}
