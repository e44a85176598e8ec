import Ajv2020Module from 'ajv/dist/2020.js';
import type { JsonValue, StepContribution } from '../contracts.js';
import { InputError } from '../errors.js';

const Ajv2020 = ((Ajv2020Module as any).default ?? Ajv2020Module) as typeof Ajv2020Module.default;
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, allowUnionTypes: true, useDefaults: true });
const compiled = new WeakMap<StepContribution, ReturnType<typeof ajv.compile>>();

/**
 * Checks fully resolved options against the contribution's own schema (the workflow schema had to
 * let `${…}` stand for anything; the values behind them are checked here) and fills in defaults,
 * so the cache key and the manifest see exactly what the job sees.
 */
export function checkOptions(c: StepContribution, options: Record<string, JsonValue>, where: string): Record<string, JsonValue> {
  let validate = compiled.get(c);
  if (!validate) {
    const { $id: _id, $schema: _s, ...schema } = c.optionsSchema as Record<string, unknown>;
    const closed = 'additionalProperties' in schema || 'unevaluatedProperties' in schema ? schema : { ...schema, unevaluatedProperties: false };
    validate = ajv.compile(closed);
    compiled.set(c, validate);
  }
  const copy = structuredClone(options);
  if (!validate(copy)) {
    const lines = (validate.errors ?? []).map((e) => {
      const extra = (e.params as any).additionalProperty ?? (e.params as any).unevaluatedProperty;
      return `  options${e.instancePath || ''}${extra ? `/${extra}` : ''}: ${e.message} [${e.keyword}]`;
    });
    throw new InputError(`${where}: the resolved options of ${c.kind} "${c.name}" are invalid:\n${lines.join('\n')}`, {
      hint: 'Values substituted from ${…} expressions are checked only now, when they are known.',
    });
  }
  return copy;
}

const outputValidators = new WeakMap<StepContribution, ReturnType<typeof ajv.compile>>();
const plainAjv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, allowUnionTypes: true });

/** A job's result must match the outputs it declares, or downstream references would break later and obscurely. */
export function checkOutputs(c: StepContribution, result: Record<string, JsonValue>, label: string): void {
  if (!c.outputsSchema) return;
  let validate = outputValidators.get(c);
  if (!validate) {
    const { $id: _id, $schema: _s, ...schema } = c.outputsSchema as Record<string, unknown>;
    validate = plainAjv.compile(schema);
    outputValidators.set(c, validate);
  }
  if (!validate(result)) {
    const lines = (validate.errors ?? []).map((e) => `  result${e.instancePath}: ${e.message} [${e.keyword}]`);
    throw new InputError(`${label}: ${c.kind} "${c.name}" returned outputs that do not match its outputsSchema:\n${lines.join('\n')}`);
  }
}
