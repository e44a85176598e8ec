import { describe, expect, it } from 'vitest';
import { definePlugin } from '../plugin.js';
import { Registry } from '../registry.js';
import { validateWorkflowText, WorkflowValidationError, loadWorkflowText, type ValidationIssue } from './validate.js';

const plugin = definePlugin({
  name: 'test-plugin',
  version: '1.0.0',
  contributes: [
    {
      kind: 'job', name: 'make', description: 'makes', optionsSchema: { type: 'object', properties: { n: { type: 'integer' } } },
      outputsSchema: { type: 'object', properties: { dir: { type: 'string' }, count: { type: 'integer' } } },
      run: async () => ({}),
    },
    {
      kind: 'job', name: 'score', description: 'scores',
      optionsSchema: {
        type: 'object', required: ['backbone'],
        properties: { backbone: { type: 'string' }, batch: { type: 'integer', minimum: 1 }, input: { type: 'string' }, inputs: { type: 'array', items: { type: 'string' } } },
      },
      run: async () => ({}),
    },
  ],
});
const registry = new Registry([plugin]);

/** Builds a workflow text with a known layout so tests can assert exact line:column. */
function wf(steps: Record<string, unknown>): string {
  return JSON.stringify({ name: 't', steps }, null, 2) + '\n';
}
function issues(text: string, env: NodeJS.ProcessEnv = {}): ValidationIssue[] {
  return validateWorkflowText('t.workflow.json', text, registry, { env }).issues;
}
/** 1-based line:column of the n-th occurrence of `needle` in `text`. */
function at(text: string, needle: string, nth = 0): string {
  let idx = -1;
  for (let i = 0; i <= nth; i++) idx = text.indexOf(needle, idx + 1);
  if (idx < 0) throw new Error(`"${needle}" not in text`);
  const before = text.slice(0, idx);
  return `${before.split('\n').length}:${idx - before.lastIndexOf('\n')}`;
}
const pos = (i: ValidationIssue) => `${i.line}:${i.column}`;

describe('workflow validation', () => {
  it('accepts a good workflow with references, matrix and env defaults', () => {
    const text = wf({
      make: { uses: 'make', with: { n: 3 } },
      score: {
        uses: 'score', matrix: { backbone: ['a', 'b'] },
        with: { backbone: '${matrix.backbone}', input: '${steps.make.outputs.dir}', batch: '${env.BATCH:-4}' },
      },
    });
    const r = validateWorkflowText('t.workflow.json', text, registry, { env: {} });
    expect(r.issues).toEqual([]);
    expect(r.workflow?.steps.score.uses).toBe('score');
  });

  it('reports a typo in uses with "did you mean", at the value', () => {
    const text = wf({ s: { uses: 'scroe', with: { backbone: 'x' } } });
    const [i, ...rest] = issues(text);
    expect(rest).toEqual([]);
    expect(i.pointer).toBe('/steps/s/uses');
    expect(pos(i)).toBe(at(text, '"scroe"'));
    expect(i.keyword).toBe('enum');
    expect(i.schemaPath).toBe('#/$defs/step/properties/uses/enum');
    expect(i.message).toBe('unknown job or reporter "scroe"; did you mean "score"?');
  });

  it('reports a wrong option type with the rule inside the job\'s options schema', () => {
    const text = wf({ s: { uses: 'score', with: { backbone: 'x', batch: 'eight' } } });
    const [i, ...rest] = issues(text);
    expect(rest).toEqual([]);
    expect(i.pointer).toBe('/steps/s/with/batch');
    expect(pos(i)).toBe(at(text, '"eight"'));
    expect(i.keyword).toBe('type');
    expect(i.schemaPath).toBe('#/$defs/job.score/properties/batch/else/type');
    expect(i.message).toBe('must be integer, got "eight"');
  });

  it('reports an unknown option at its key, with a suggestion', () => {
    const text = wf({ s: { uses: 'score', with: { backbone: 'x', bacth: 8 } } });
    const [i, ...rest] = issues(text);
    expect(rest).toEqual([]);
    expect(i.pointer).toBe('/steps/s/with/bacth');
    expect(pos(i)).toBe(at(text, '"bacth"'));
    expect(i.keyword).toBe('additionalProperties');
    expect(i.schemaPath).toBe('#/$defs/job.score/additionalProperties');
    expect(i.message).toBe('unknown option "bacth"; did you mean "batch"?');
  });

  it('reports a missing required option', () => {
    const text = wf({ s: { uses: 'score', with: { batch: 2 } } });
    const [i] = issues(text);
    expect(i).toMatchObject({ pointer: '/steps/s/with', keyword: 'required', message: 'missing required property "backbone"' });
  });

  it('names a cycle through needs and references', () => {
    const text = wf({
      a: { uses: 'make', needs: ['b'] },
      b: { uses: 'score', with: { backbone: 'x', input: '${steps.a.outputs.dir}' } },
    });
    const [i, ...rest] = issues(text);
    expect(rest).toEqual([]);
    expect(i.keyword).toBe('cycle');
    expect(i.schemaPath).toBe('semantic');
    expect(i.pointer).toBe('/steps/a/needs/0');
    expect(pos(i)).toBe(at(text, '"b"'));
    expect(i.message).toBe('steps form a cycle: a -> b -> a');
  });

  it('reports needs and references to missing steps', () => {
    const text = wf({
      make: { uses: 'make' },
      s: { uses: 'score', needs: ['mkae'], with: { backbone: 'x', input: 'at ${steps.nope.outputs.dir}' } },
    });
    const [a, b, ...rest] = issues(text);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ pointer: '/steps/s/needs/0', keyword: 'unknownStep', message: 'needs unknown step "mkae"; did you mean "make"?' });
    expect(pos(a)).toBe(at(text, '"mkae"'));
    expect(b).toMatchObject({ pointer: '/steps/s/with/input', keyword: 'unknownStep', message: 'refers to unknown step "nope"' });
    // The column points at the expression inside the string, not at the string's quote.
    expect(pos(b)).toBe(at(text, '${steps.nope'));
  });

  it('reports a reference to an output the step does not declare', () => {
    const text = wf({
      make: { uses: 'make' },
      s: { uses: 'score', with: { backbone: '${steps.make.outputs.dri}' } },
    });
    const [i, ...rest] = issues(text);
    expect(rest).toEqual([]);
    expect(i).toMatchObject({ pointer: '/steps/s/with/backbone', keyword: 'unknownOutput', schemaPath: 'semantic' });
    expect(i.message).toBe('step "make" (make) has no output "dri"; its outputs: dir, count; did you mean "dir"?');
    expect(pos(i)).toBe(at(text, '${steps.make'));
  });

  it('reports unknown matrix keys and unset environment variables', () => {
    const text = wf({ s: { uses: 'score', matrix: { bb: ['a'] }, with: { backbone: '${matrix.bbb}', input: '${env.NOPE_PERCEPT}' } } });
    const got = issues(text);
    expect(got.map((i) => [i.pointer, i.keyword])).toEqual([
      ['/steps/s/with/backbone', 'unknownMatrixKey'],
      ['/steps/s/with/input', 'unsetEnv'],
    ]);
    expect(got[1].message).toContain('NOPE_PERCEPT');
    expect(issues(text, { NOPE_PERCEPT: '1' }).map((i) => i.keyword)).toEqual(['unknownMatrixKey']);
  });

  it('checks matching references: both steps need a matrix and a shared key', () => {
    const text = wf({
      make: { uses: 'make', matrix: { model: ['a', 'b'] } },
      plain: { uses: 'make' },
      ok: { uses: 'score', matrix: { model: ['a', 'b'], r: [1, 2] }, with: { backbone: '${matrix.model}', input: '${steps.make.matching.outputs.dir}' } },
      single: { uses: 'score', with: { backbone: 'x', input: '${steps.make.matching.outputs.dir}' } },
      flat: { uses: 'score', matrix: { model: ['a'] }, with: { backbone: 'x', input: '${steps.plain.matching.outputs.dir}' } },
      apart: { uses: 'score', matrix: { seed: [0] }, with: { backbone: 'x', input: '${steps.make.matching.outputs.dir}' } },
    });
    const found = issues(text);
    expect(found.map((i) => [i.pointer, i.keyword])).toEqual([
      ['/steps/single/with/input', 'matching'],
      ['/steps/flat/with/input', 'matching'],
      ['/steps/apart/with/input', 'matching'],
    ]);
    expect(found[0].message).toBe('${steps.make.matching.outputs.dir} picks the cell of "make" that matches this cell\'s matrix, but step "single" has no matrix');
    expect(found[1].message).toBe('${steps.plain.matching.outputs.dir}: step "plain" has no matrix (refer to it as ${steps.plain.outputs.dir})');
    expect(found[2].message).toBe('${steps.make.matching.outputs.dir}: steps "apart" (keys: seed) and "make" (keys: model) share no matrix key, so no cell can be matched');
  });

  it('reports malformed JSON with line:column', () => {
    const text = '{\n  "steps": {\n    "a": { "uses": "make", }\n  }\n}\n';
    const [i] = issues(text);
    expect(i.keyword).toBe('json');
    expect(pos(i)).toBe('3:28');
    expect(i.message).toMatch(/^malformed JSON/);
  });

  it('reports every error at once, sorted by position, and throws them together', () => {
    const text = wf({
      z: { uses: 'score', with: { backbone: 1 } },
      a: { uses: 'scroe', extra: true },
    });
    const got = issues(text);
    expect(got.map((i) => i.pointer)).toEqual(['/steps/z/with/backbone', '/steps/a/uses', '/steps/a/extra']);
    expect(got.map((i) => i.offset)).toEqual([...got.map((i) => i.offset)].sort((x, y) => x - y));
    let err: unknown;
    try { loadWorkflowText('t.workflow.json', text, registry, { env: {} }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(WorkflowValidationError);
    expect((err as WorkflowValidationError).exitCode).toBe(3);
    expect((err as Error).message).toContain(`t.workflow.json:${pos(got[1])} /steps/a/uses: unknown job or reporter "scroe"`);
  });
});
