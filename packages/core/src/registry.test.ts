import { describe, expect, it } from 'vitest';
import { definePlugin } from './plugin.js';
import { Registry } from './registry.js';
import type { JobContribution } from './contracts.js';

const job = (name: string, aliases?: string[]): JobContribution => ({
  kind: 'job', name, aliases, description: name, optionsSchema: { type: 'object' },
  run: async () => ({ ok: true }),
});

describe('Registry', () => {
  it('finds contributions by name and alias', () => {
    const r = new Registry([definePlugin({ name: '@x/a', version: '1.0.0', contributes: [job('perceptual-score', ['ps'])] })]);
    expect(r.get('job', 'perceptual-score').name).toBe('perceptual-score');
    expect(r.get('job', 'ps').name).toBe('perceptual-score');
    expect(r.pluginOf('job', 'ps')).toEqual({ name: '@x/a', version: '1.0.0' });
  });

  it('answers an unknown name with "did you mean"', () => {
    const r = new Registry([definePlugin({ name: '@x/a', version: '1.0.0', contributes: [job('perceptual-score'), job('accuracy')] })]);
    expect(() => r.get('job', 'perceptual-scor')).toThrow(/Unknown job "perceptual-scor"\. Did you mean "perceptual-score"\?/);
    expect(() => r.get('backend', 'onnx')).toThrow(/Unknown backend "onnx"/);
  });

  it('refuses duplicate names and names both packages', () => {
    const r = new Registry([definePlugin({ name: '@x/a', version: '1.0.0', contributes: [job('accuracy')] })]);
    const b = definePlugin({ name: '@y/b', version: '2.0.0', contributes: [job('other'), job('accuracy')] });
    expect(() => r.register(b)).toThrow(/Duplicate job name "accuracy": contributed by both "@x\/a" and "@y\/b"/);
    // Nothing of the failed plugin was registered.
    expect(r.has('job', 'other')).toBe(false);
  });

  it('refuses an alias that collides with another name', () => {
    const r = new Registry([definePlugin({ name: '@x/a', version: '1.0.0', contributes: [job('accuracy')] })]);
    expect(() => r.register(definePlugin({ name: '@y/b', version: '1', contributes: [job('acc', ['accuracy'])] }))).toThrow(/both "@x\/a" and "@y\/b"/);
  });

  it('rejects names that are not kebab-case', () => {
    expect(() => definePlugin({ name: '@x/a', version: '1', contributes: [job('Bad Name')] })).toThrow(/kebab-case/);
  });
});
