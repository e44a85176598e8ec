import type { JobContribution, JsonValue } from '../contracts.js';

/** Returns its `values` as outputs: a way to name constants once and reference them from many steps. */
export const echoJob: JobContribution = {
  kind: 'job',
  name: 'echo',
  description: 'Returns the given values as its outputs (and logs an optional message).',
  optionsSchema: {
    type: 'object',
    properties: {
      values: { type: 'object', description: 'Becomes the step\'s outputs, key for key.', default: {} },
      message: { type: 'string', description: 'Logged when the step runs.' },
    },
  },
  outputsSchema: { type: 'object', additionalProperties: true },
  async run(options, ctx) {
    if (typeof options.message === 'string') ctx.log.info(options.message);
    return (options.values ?? {}) as Record<string, JsonValue>;
  },
};
