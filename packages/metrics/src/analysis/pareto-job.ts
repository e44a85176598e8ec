/** The `pareto` job: frontier, p_max / a(p_max) per sweep and Table-1 gains, from a list of models. */
import { InputError, type JobContribution, type JSONSchema, type JsonValue } from '@percept/core';
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

const outPoint: JSONSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, accuracy: { type: 'number' }, ps: { type: 'number' }, group: { type: 'string' } },
};

export const paretoJob: JobContribution = {
  kind: 'job',
  name: 'pareto',
  description: 'PS-vs-accuracy Pareto frontier (both maximised), p_max and a(p_max) per sweep, and the PS gain of each sweep over its default model (Kumar Table 1, Fig. 10).',
  optionsSchema: {
    type: 'object',
    properties: {
      points: { type: 'array', minItems: 1, items: pointSchema, description: 'One entry per trained model.' },
      baseline: {
        oneOf: [
          { type: 'string' },
          { type: 'object', additionalProperties: { type: 'string' } },
        ],
        description: 'Id of the default-hyperparameter model whose PS the gains are measured from: one id for all sweeps, or a sweep → id map.',
      },
    },
    required: ['points'],
    additionalProperties: false,
  },
  outputsSchema: {
    type: 'object',
    properties: {
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
    },
    required: ['frontier', 'groups'],
  },
  async run(options) {
    if (!Array.isArray(options.points)) throw new InputError(`pareto: option "points" must be an array of { id, accuracy, ps, group? }, got ${JSON.stringify(options.points)}`);
    const b = options.baseline;
    if (b !== undefined && typeof b !== 'string' && (typeof b !== 'object' || b === null || Array.isArray(b))) {
      throw new InputError(`pareto: option "baseline" must be a model id or a sweep → id object, got ${JSON.stringify(b)}`);
    }
    const result = paretoAnalysis(options.points as ModelPoint[], b as string | Record<string, string> | undefined);
    return JSON.parse(JSON.stringify(result)) as Record<string, JsonValue>;
  },
};
