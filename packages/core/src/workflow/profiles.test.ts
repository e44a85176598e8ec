import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PerceptError } from '../errors.js';
import { applyOverrides } from './overrides.js';
import { overridesWithProfile, profileNames, profileOverrides } from './profiles.js';

const text = `{
  // a comment, as workflows allow
  "profiles": {
    "smoke": { "description": "tiny", "set": { "steps.train.with.steps": 20, "steps.score.matrix.backbone": ["resnet6"], "steps.score.with.label": "42" } },
    "full": { "set": {} }
  },
  "steps": {
    "train": { "uses": "echo", "with": { "steps": 112590 } },
    "score": { "uses": "echo", "matrix": { "backbone": ["resnet18", "resnet50"] }, "with": { "label": "x" } }
  }
}`;

const tmp = mkdtempSync(join(tmpdir(), 'percept-profiles-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('workflow profiles', () => {
  it('lists the declared profiles', () => {
    expect(profileNames(text)).toEqual(['smoke', 'full']);
    expect(profileNames('{"steps": {}}')).toEqual([]);
  });

  it('turns a profile into overrides that applyOverrides applies like --set (strings stay strings)', () => {
    const sets = profileOverrides('wf.json', text, 'smoke');
    const out = JSON.parse(applyOverrides(text.replace(/\/\/.*\n/, ''), sets));
    expect(out.steps.train.with.steps).toBe(20);
    expect(out.steps.score.matrix.backbone).toEqual(['resnet6']);
    expect(out.steps.score.with.label).toBe('42');
  });

  it('puts explicit --set after the profile so that it wins', () => {
    const file = join(tmp, 'wf.workflow.json');
    writeFileSync(file, text);
    const sets = overridesWithProfile(file, 'smoke', ['steps.train.with.steps=5']);
    expect(sets.at(-1)).toBe('steps.train.with.steps=5');
    const out = JSON.parse(applyOverrides(text.replace(/\/\/.*\n/, ''), sets));
    expect(out.steps.train.with.steps).toBe(5);
    expect(overridesWithProfile(file, undefined, ['a=1'])).toEqual(['a=1']);
  });

  it('rejects an unknown profile, listing the known ones with a did-you-mean', () => {
    expect(() => profileOverrides('wf.json', text, 'smok')).toThrow(PerceptError);
    expect(() => profileOverrides('wf.json', text, 'smok')).toThrow(/wf\.json declares the profiles "smoke", "full"; did you mean "smoke"\?/);
    expect(() => profileOverrides('plain.json', '{"steps":{}}', 'smoke')).toThrow(/plain\.json declares no "profiles"/);
  });

  it('rejects a profile without a "set" object, naming where', () => {
    expect(() => profileOverrides('wf.json', '{"profiles":{"smoke":{"set":[1]}}}', 'smoke')).toThrow(/\/profiles\/smoke\/set: expected an object/);
  });
});
