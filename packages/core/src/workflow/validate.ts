import Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import type { JsonValue, StepContribution } from '../contracts.js';
import { ExitCode, PerceptError } from '../errors.js';
import type { Registry } from '../registry.js';
import { didYouMean } from '../suggest.js';
import { escapePointer, isPlainObject } from '../util/canonical.js';
import { collectExpressions, type ExpressionMatch } from './expressions.js';
import { expandMatrix, matrixAxes, matrixKeys, type MatrixSpec } from './matrix.js';
import { buildWorkflowSchema } from './schema.js';
import { JsonSource } from './source.js';
import type { Workflow, WorkflowStep } from './types.js';

// ajv ships CommonJS; under NodeNext its default export arrives wrapped.
const Ajv2020 = ((Ajv2020Module as any).default ?? Ajv2020Module) as typeof Ajv2020Module.default;

export interface ValidationIssue {
  file: string;
  pointer: string;
  line: number;
  column: number;
  offset: number;
  /** The rule broken: a JSON Schema keyword (type, enum, additionalProperties, …) or a semantic rule (cycle, unknownStep, …). */
  keyword: string;
  /** Where the rule lives in the merged schema ("#/…"), or "semantic" for checks beyond the schema. */
  schemaPath: string;
  message: string;
}

export function formatIssue(i: ValidationIssue): string {
  return `${i.file}:${i.line}:${i.column} ${i.pointer || '/'}: ${i.message} [${i.keyword} at ${i.schemaPath}]`;
}

export class WorkflowValidationError extends PerceptError {
  readonly issues: ValidationIssue[];
  constructor(file: string, issues: ValidationIssue[]) {
    const n = issues.length;
    super(`${file} is not a valid workflow (${n} error${n === 1 ? '' : 's'}):\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`, {
      exitCode: ExitCode.invalidWorkflow,
      hint: 'Nothing ran. `percept schema` writes the schema your editor can check against.',
    });
    this.name = 'WorkflowValidationError';
    this.issues = issues;
  }
}

/** Looks up what a step's `uses` names: a job, else a reporter. */
export function resolveUses(registry: Registry, uses: string):
  | { contribution: StepContribution; plugin: { name: string; version: string } }
  | undefined {
  for (const kind of ['job', 'reporter'] as const) {
    if (registry.has(kind, uses)) {
      const r = registry.lookup(kind, uses);
      return { contribution: r.contribution as StepContribution, plugin: r.plugin };
    }
  }
  return undefined;
}

export interface ValidateOptions {
  env?: NodeJS.ProcessEnv;
}

export interface ValidationResult {
  source: JsonSource;
  /** Present when there are no issues. */
  workflow?: Workflow;
  issues: ValidationIssue[];
}

type Compiled = { key: string; validate: ReturnType<InstanceType<typeof Ajv2020>['compile']>; paths: Map<object, string> };
const validatorCache = new WeakMap<Registry, Compiled>();

/** Every subschema object of the merged schema and its absolute location ("#/$defs/step/…"). */
function schemaLocations(schema: unknown): Map<object, string> {
  const out = new Map<object, string>();
  const walk = (v: unknown, path: string) => {
    if (!v || typeof v !== 'object') return;
    if (!out.has(v)) out.set(v, path);
    for (const [k, x] of Object.entries(v)) walk(x, `${path}/${escapePointer(k)}`);
  };
  walk(schema, '#');
  return out;
}

function compiledValidator(registry: Registry): Compiled {
  const schema = buildWorkflowSchema(registry);
  const key = JSON.stringify(schema);
  const hit = validatorCache.get(registry);
  if (hit && hit.key === key) return hit;
  // verbose: errors carry the data and the subschema, for messages and absolute schema paths.
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, allowUnionTypes: true, verbose: true });
  const compiled = { key, validate: ajv.compile(schema), paths: schemaLocations(schema) };
  validatorCache.set(registry, compiled);
  return compiled;
}

/** Parses the file (strict JSON); parse errors come back as issues with their line:column. */
export function parseWorkflowSource(file: string, text: string): { source: JsonSource; issues: ValidationIssue[]; value?: unknown } {
  const source = new JsonSource(file, text);
  if (source.parseErrors.length || !source.tree) {
    const errs = source.parseErrors.length
      ? source.parseErrors
      : [{ message: 'malformed JSON: the file is empty', position: source.position(0) }];
    const issues = errs.map((e) => ({
      file, pointer: '', line: e.position.line, column: e.position.column, offset: e.position.offset,
      keyword: 'json', schemaPath: 'syntax', message: e.message,
    }));
    return { source, issues };
  }
  return { source, issues: [], value: JSON.parse(text) };
}

/**
 * Validates a whole workflow file: the JSON syntax, the merged schema (every job's options), then
 * the checks a schema cannot express (unknown steps, cycles, undeclared outputs, matrix keys,
 * unset environment variables). Returns every issue, sorted by position.
 */
export function validateWorkflowText(file: string, text: string, registry: Registry, options: ValidateOptions = {}): ValidationResult {
  const env = options.env ?? process.env;
  const parsed = parseWorkflowSource(file, text);
  const { source } = parsed;
  if (parsed.issues.length) return { source, issues: parsed.issues };
  const value = parsed.value;
  const issues: ValidationIssue[] = [];
  const add = (pointer: string, keyword: string, schemaPath: string, message: string, at?: { key?: boolean; offset?: number }) => {
    const pos = at?.offset !== undefined ? source.position(at.offset) : source.locate(pointer, { key: at?.key });
    issues.push({ file, pointer, line: pos.line, column: pos.column, offset: pos.offset, keyword, schemaPath, message });
  };

  const { validate, paths } = compiledValidator(registry);
  if (!validate(value)) schemaIssues(validate.errors ?? [], paths, add);

  if (isPlainObject(value) && isPlainObject(value.steps)) semanticChecks(value.steps as Record<string, unknown>, registry, env, source, add, issues);

  issues.sort((a, b) => a.offset - b.offset || a.pointer.localeCompare(b.pointer) || a.keyword.localeCompare(b.keyword));
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const k = `${i.pointer}\u0000${i.keyword}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return unique.length ? { source, issues: unique } : { source, issues: [], workflow: value as Workflow };
}

type Add = (pointer: string, keyword: string, schemaPath: string, message: string, at?: { key?: boolean; offset?: number }) => void;

function schemaIssues(errors: ErrorObject[], paths: Map<object, string>, add: Add) {
  for (const e of errors) {
    // if/then/else wrappers add "must match else schema" beside the real error; keep the real one.
    if (e.keyword === 'if') continue;
    let pointer = e.instancePath;
    let message = e.message ?? 'is invalid';
    let key = false;
    if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
      const prop = (e.params as any).additionalProperty ?? (e.params as any).unevaluatedProperty;
      pointer = `${pointer}/${escapePointer(prop)}`;
      key = true;
      const known = Object.keys((e.parentSchema as any)?.properties ?? {});
      const hint = didYouMean(prop, known);
      const where = /\/with$/.test(e.instancePath) ? 'option' : 'property';
      message = `unknown ${where} "${prop}"${hint ? `; ${hint}` : known.length ? `; allowed: ${known.join(', ')}` : ''}`;
    } else if (e.keyword === 'enum' && /^\/steps\/[^/]+\/uses$/.test(pointer)) {
      const uses = String(e.data);
      const names = (e.schema as string[]) ?? [];
      const hint = didYouMean(uses, names);
      message = `unknown job or reporter "${uses}"${hint ? `; ${hint}` : ''}`;
    } else if (e.keyword === 'required') {
      message = `missing required property "${(e.params as any).missingProperty}"`;
    } else if (e.keyword === 'enum') {
      message = `must be one of ${((e.params as any).allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify((e.params as any).allowedValue)}`;
    } else if (e.keyword === 'propertyNames') {
      const name = (e.params as any).propertyName;
      pointer = `${pointer}/${escapePointer(name)}`;
      key = true;
      message = `"${name}" is not a valid name (letters, digits, "_" and "-", starting with a letter or "_")`;
    } else if (e.keyword === 'pattern' && e.propertyName !== undefined) {
      continue; // reported once by propertyNames above
    }
    if (e.keyword === 'type' || e.keyword === 'minimum' || e.keyword === 'maximum') message = `${message}, got ${JSON.stringify(e.data)}`;
    // ajv's schemaPath is relative to the last $ref; report where the rule sits in the merged schema.
    const parent = e.parentSchema && paths.get(e.parentSchema);
    add(pointer, e.keyword, parent ? `${parent}/${e.keyword}` : e.schemaPath, message, { key });
  }
}

function semanticChecks(
  steps: Record<string, unknown>,
  registry: Registry,
  env: NodeJS.ProcessEnv,
  source: JsonSource,
  add: Add,
  issues: ValidationIssue[],
) {
  const ids = Object.keys(steps);
  const edges = new Map<string, Array<{ to: string; pointer: string; offset?: number }>>();
  for (const id of ids) edges.set(id, []);

  for (const id of ids) {
    const step = steps[id];
    if (!isPlainObject(step)) continue;
    const base = `/steps/${escapePointer(id)}`;
    const s = step as unknown as WorkflowStep;

    // uses: the schema's enum already reports typos when any step contribution exists.
    let contribution: StepContribution | undefined;
    if (typeof s.uses === 'string') {
      contribution = resolveUses(registry, s.uses)?.contribution;
      const reported = issues.some((i) => i.pointer === `${base}/uses`);
      if (!contribution && !reported) {
        add(`${base}/uses`, 'unknownContribution', 'semantic', `unknown job or reporter "${s.uses}"; no job or reporter is registered (is its plugin loaded?)`);
      }
    }

    if (Array.isArray(s.needs)) {
      s.needs.forEach((dep, i) => {
        if (typeof dep !== 'string') return;
        const p = `${base}/needs/${i}`;
        if (dep === id) add(p, 'cycle', 'semantic', `step "${id}" needs itself`);
        else if (!Object.hasOwn(steps, dep)) add(p, 'unknownStep', 'semantic', `needs unknown step "${dep}"${suffix(didYouMean(dep, ids))}`);
        else edges.get(id)!.push({ to: dep, pointer: p });
      });
    }

    const keys = matrixKeysOf(s.matrix);
    if (isPlainObject(s.matrix)) {
      const matrix = s.matrix as MatrixSpec;
      const axes = matrixAxes(matrix).map(([k]) => k);
      if (Array.isArray(matrix.exclude)) {
        matrix.exclude.forEach((ex, i) => {
          if (!isPlainObject(ex)) return;
          for (const k of Object.keys(ex)) {
            if (!axes.includes(k)) add(`${base}/matrix/exclude/${i}/${escapePointer(k)}`, 'unknownMatrixKey', 'semantic', `exclude names "${k}", which is not a matrix axis (${axes.join(', ') || 'none'})`, { key: true });
          }
        });
      }
      if (keys) {
        if (expandMatrix(matrix).length === 0) add(`${base}/matrix`, 'emptyMatrix', 'semantic', 'the matrix expands to no cells (everything is excluded)');
      }
    }

    if (s.with !== undefined) {
      for (const { pointer, match } of collectExpressions(s.with, `${base}/with`)) {
        const offset = expressionOffset(source, pointer, match);
        if (match.error || !match.expr) { add(pointer, 'expression', 'semantic', match.error ?? 'bad expression', { offset }); continue; }
        const expr = match.expr;
        if (expr.kind === 'env') {
          if (expr.default === undefined && env[expr.name] === undefined) {
            add(pointer, 'unsetEnv', 'semantic', `environment variable ${expr.name} is not set (use \${env.${expr.name}:-default} for a default)`, { offset });
          }
        } else if (expr.kind === 'matrix') {
          if (!keys) add(pointer, 'unknownMatrixKey', 'semantic', `\${matrix.${expr.key}} is used but step "${id}" has no matrix`, { offset });
          else if (!keys.includes(expr.key)) add(pointer, 'unknownMatrixKey', 'semantic', `"${expr.key}" is not a matrix key of step "${id}" (keys: ${keys.join(', ')})${suffix(didYouMean(expr.key, keys))}`, { offset });
        } else {
          if (expr.step === id) { add(pointer, 'cycle', 'semantic', `step "${id}" refers to its own outputs`, { offset }); continue; }
          const target = steps[expr.step];
          if (!Object.hasOwn(steps, expr.step) || !isPlainObject(target)) {
            add(pointer, 'unknownStep', 'semantic', `refers to unknown step "${expr.step}"${suffix(didYouMean(expr.step, ids))}`, { offset });
            continue;
          }
          edges.get(id)!.push({ to: expr.step, pointer, offset });
          if (expr.matching) {
            const theirs = matrixKeysOf(target.matrix);
            const ref = `\${steps.${expr.step}.matching.outputs.${expr.output}}`;
            if (!keys) add(pointer, 'matching', 'semantic', `${ref} picks the cell of "${expr.step}" that matches this cell's matrix, but step "${id}" has no matrix`, { offset });
            else if (!theirs) add(pointer, 'matching', 'semantic', `${ref}: step "${expr.step}" has no matrix (refer to it as \${steps.${expr.step}.outputs.${expr.output}})`, { offset });
            else if (!theirs.some((k) => keys!.includes(k))) {
              add(pointer, 'matching', 'semantic', `${ref}: steps "${id}" (keys: ${keys.join(', ')}) and "${expr.step}" (keys: ${theirs.join(', ')}) share no matrix key, so no cell can be matched`, { offset });
            }
          }
          const tc = typeof target.uses === 'string' ? resolveUses(registry, target.uses)?.contribution : undefined;
          const declared = tc ? declaredOutputs(tc) : undefined;
          if (declared && !declared.open && !declared.names.includes(expr.output)) {
            add(pointer, 'unknownOutput', 'semantic',
              `step "${expr.step}" (${tc!.name}) has no output "${expr.output}"; its outputs: ${declared.names.join(', ') || 'none'}${suffix(didYouMean(expr.output, declared.names))}`, { offset });
          }
        }
      }
    }
  }

  for (const cycle of findCycles(ids, edges)) {
    const first = cycle[0];
    add(first.pointer, 'cycle', 'semantic', `steps form a cycle: ${[...cycle.map((e) => e.from), cycle[0].from].join(' -> ')}`, { offset: first.offset });
  }
}

/**
 * The keys of a well-formed matrix (non-empty axis lists, include/exclude lists of objects), or
 * undefined when there is none or it is malformed (the schema reports how).
 */
function matrixKeysOf(matrix: unknown): string[] | undefined {
  if (!isPlainObject(matrix)) return undefined;
  const m = matrix as MatrixSpec;
  const listOfObjects = (v: unknown) => v === undefined || (Array.isArray(v) && v.every(isPlainObject));
  const wellFormed = matrixAxes(m).every(([, v]) => Array.isArray(v) && v.length > 0) && listOfObjects(m.include) && listOfObjects(m.exclude);
  return wellFormed ? matrixKeys(m) : undefined;
}

function suffix(hint: string | undefined): string {
  return hint ? `; ${hint}` : '';
}

/** Where an expression starts: inside its string when the JSON text has no escapes before it. */
function expressionOffset(source: JsonSource, pointer: string, match: ExpressionMatch): number | undefined {
  const node = source.node(pointer);
  if (!node || typeof node.value !== 'string') return undefined;
  const raw = source.text.slice(node.offset + 1, node.offset + 1 + match.start);
  return raw === node.value.slice(0, match.start) ? node.offset + 1 + match.start : node.offset;
}

/** The outputs a step contribution declares; `open` when its schema admits any key. */
export function declaredOutputs(c: StepContribution): { names: string[]; open: boolean } | undefined {
  const s = c.outputsSchema as Record<string, unknown> | undefined;
  if (!s) return undefined;
  const names = Object.keys((s.properties as object) ?? {});
  const ap = s.additionalProperties;
  const open = (ap !== undefined && ap !== false) || s.patternProperties !== undefined;
  return { names, open };
}

/** Each elementary cycle once, as the edges that form it, starting from the first step in file order. */
function findCycles(ids: string[], edges: Map<string, Array<{ to: string; pointer: string; offset?: number }>>) {
  const cycles: Array<Array<{ from: string; to: string; pointer: string; offset?: number }>> = [];
  const state = new Map<string, 0 | 1 | 2>();
  const stack: Array<{ from: string; to: string; pointer: string; offset?: number }> = [];
  const seenCycles = new Set<string>();
  const visit = (id: string) => {
    state.set(id, 1);
    for (const e of edges.get(id) ?? []) {
      if (state.get(e.to) === 1) {
        const startIdx = stack.findIndex((x) => x.from === e.to);
        const cyc = [...stack.slice(startIdx === -1 ? stack.length : startIdx), { from: id, ...e }];
        const sig = [...cyc.map((c) => c.from)].sort().join(',');
        if (!seenCycles.has(sig)) { seenCycles.add(sig); cycles.push(cyc); }
      } else if (!state.get(e.to)) {
        stack.push({ from: id, ...e });
        visit(e.to);
        stack.pop();
      }
    }
    state.set(id, 2);
  };
  for (const id of ids) if (!state.get(id)) visit(id);
  return cycles;
}

/** Parses, validates and returns the workflow, or throws WorkflowValidationError listing every issue. */
export function loadWorkflowText(file: string, text: string, registry: Registry, options: ValidateOptions = {}): { workflow: Workflow; source: JsonSource } {
  const r = validateWorkflowText(file, text, registry, options);
  if (!r.workflow) throw new WorkflowValidationError(file, r.issues);
  return { workflow: r.workflow, source: r.source };
}

