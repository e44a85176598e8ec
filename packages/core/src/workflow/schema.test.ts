import Ajv2020Module from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { definePlugin } from '../plugin.js';
import { Registry } from '../registry.js';
import { admitExpressionsIn, buildWorkflowSchema } from './schema.js';

const Ajv2020 = ((Ajv2020Module as any).default ?? Ajv2020Module) as typeof Ajv2020Module.default;

describe('merged workflow schema', () => {
  const registry = new Registry([definePlugin({
    name: 'p', version: '1.0.0',
    contributes: [{
      kind: 'reporter', name: 'plot', description: 'plots',
      optionsSchema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { series: { type: 'array', items: { $ref: '#/$defs/series' } }, width: { type: 'integer', default: 640, description: 'px' } },
        $defs: { series: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
      },
      run: async () => ({}),
    }],
  })]);
  const schema = buildWorkflowSchema(registry);
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
  const wf = (w: unknown) => ({ steps: { s: { uses: 'plot', with: w } } });

  it('compiles, and re-roots local $refs of option schemas', () => {
    expect(validate(wf({ series: [{ x: 1 }], width: 3 }))).toBe(true);
    expect(validate(wf({ series: [{ y: 1 }] }))).toBe(false);
    expect(JSON.stringify(schema)).toContain('"#/$defs/reporter.plot/$defs/series"');
  });

  it('accepts a whole ${…} expression for any value, at any depth, but not a partial one for a number', () => {
    expect(validate(wf({ series: '${steps.a.outputs.s}', width: '${matrix.w}' }))).toBe(true);
    expect(validate(wf({ series: ['${steps.a.outputs.one}'] }))).toBe(true);
    expect(validate(wf({ width: 'w=${matrix.w}' }))).toBe(false);
  });

  it('closes the options object and keeps titles and defaults visible to editors', () => {
    expect(validate(wf({ widht: 3 }))).toBe(false);
    const rewritten = admitExpressionsIn({ type: 'object', properties: { width: { type: 'integer', default: 640, description: 'px' } } }, '#');
    expect((rewritten.properties as any).width).toMatchObject({ default: 640, description: 'px', else: { type: 'integer' } });
  });
});
